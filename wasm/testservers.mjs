// The servers of the module's node tests (jquants-auth.test.mjs and
// jquants-auth-v2.test.mjs): Go programs of this repository built into a
// temporary directory and started, each printing "listening on <URL>".
import { spawn, execFile } from "node:child_process";
import { mkdtemp, rm, access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

const children = [];
let dir;

// build checks that make web has run, then builds each {name: package} into
// a new temporary directory, whose path it returns.
export async function build(prefix, packages) {
  await access(join(root, "build/web/jquants-auth.mjs")).catch(() => {
    throw new Error("build/web/jquants-auth.mjs is missing: run make web first");
  });
  dir = await mkdtemp(join(tmpdir(), prefix));
  const go = process.env.GO ?? "go";
  await Promise.all(
    Object.entries(packages).map(([out, pkg]) => promisify(execFile)(go, ["build", "-o", join(dir, out), pkg], { cwd: root })),
  );
  return dir;
}

// start runs a built program and resolves to the base URL it prints on
// stream; onLine sees each line of it.
export function start(name, args, env, stream, onLine) {
  const cmd = join(dir, name);
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`${cmd} exited (${code}) before listening`)));
    const lines = createInterface({ input: child[stream] });
    lines.on("line", (line) => {
      onLine?.(line);
      const m = /listening on (http:\/\/[^\s,]+)/.exec(line);
      if (m) resolve(m[1]);
    });
    child[stream === "stdout" ? "stderr" : "stdout"].resume();
  });
}

// stop ends what start started and removes the directory.
export async function stop() {
  for (const c of children) c.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
}
