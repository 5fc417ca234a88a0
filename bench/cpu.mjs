// CPU time per request of the Go Worker's handler and of the JS yardstick,
// measured in Node (run by `make bench` through bench/cmd/bench):
//
//   node bench/cpu.mjs [app.wasm] [wasm_exec.js] [jsworker.mjs] [rounds] [n]
//
// Unlike the figures through wrangler dev, whose ~10 ms of routing per
// request on this machine hides the Workers' own work, this isolates it:
// one Go instance (as worker/entry.mjs keeps one per isolate) and the
// yardstick's fetch handler each take n valid logins per round, rounds
// alternating, with a stubbed upstream fetch (an instant 200 with a token)
// and console.log stubbed out for both. CPU time is process.cpuUsage()
// (user + system) per request, which a busy machine disturbs far less than
// wall time. On Cloudflare this is the CPU time a request is billed for,
// minus the runtime's own. Prints one JSON object (µs).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [wasmPath = "build/app.wasm", execPath = "build/wasm_exec.js", jsPath = "bench/jsworker/worker.mjs", roundsArg = "7", nArg = "1000"] =
  process.argv.slice(2);
const rounds = Number(roundsArg);
const n = Number(nArg);

const print = console.log;
console.log = () => {}; // both Workers log one line per request

const token = "fake-refresh-token-0123456789abcdef0123456789abcdef0123456789abcdef";
const answer = JSON.stringify({ refreshToken: token });
globalThis.fetch = async () =>
  new Response(answer, { status: 200, headers: { "Content-Type": "application/json", "Content-Length": String(answer.length) } });

const env = {
  JQUANTS_API_BASE_URL: "https://api.jquants.com",
  ALLOWED_ORIGINS: "http://localhost:8787,http://127.0.0.1:8787",
  UPSTREAM_TIMEOUT: "10s",
  LOGIN_RATE_LIMIT: "off",
};

// The Go Worker, entered as worker/entry.mjs's serve() does.
await import(pathToFileURL(resolve(execPath)).href);
globalThis.tryCatch = (fn) => {
  try {
    return { result: fn() };
  } catch (e) {
    return { error: e };
  }
};
const go = new Go();
let ready;
const readyPromise = new Promise((r) => {
  ready = r;
});
const context = { env, ctx: {}, connect() {}, binding: {}, singleInstance: true };
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {
  ...go.importObject,
  workers: { ready: () => ready() },
});
go.run(instance, context);
await readyPromise;
const binding = context.binding;
if (typeof binding.serveRequest !== "function") throw new Error("Go main did not set binding.serveRequest");

function toResponse(status, head, body) {
  const parts = head.split("\n");
  const headers = new Headers();
  for (let i = 1; i + 1 < parts.length; i += 2) headers.append(parts[i], parts[i + 1]);
  return new Response(body, { status, statusText: parts[0], headers });
}
function serveGo(req) {
  let headers = "";
  for (const [name, value] of req.headers) headers += `${name}\n${value}\n`;
  return new Promise((res, rej) =>
    binding.serveRequest(req.method, req.url, headers, req.body, (s, h, b) => res(toResponse(s, h, b)), rej),
  );
}

const yardstick = (await import(pathToFileURL(resolve(jsPath)).href)).default;
const targets = { go: serveGo, js: (req) => yardstick.fetch(req, env, {}) };

const body = JSON.stringify({ mailaddress: "demo@example.com", password: "jquants-demo-password" });
const request = () =>
  new Request("http://localhost:8787/v1/token/auth_user", {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: "http://localhost:8787", "Content-Length": String(body.length) },
    body,
  });
async function login(handle) {
  const res = await handle(request());
  const text = await res.text();
  if (res.status !== 200 || !text.includes(token)) throw new Error(`status ${res.status}: ${text}`);
}

const samples = { go: { c1: [], c16: [] }, js: { c1: [], c16: [] } };
for (const handle of Object.values(targets)) for (let i = 0; i < 500; i++) await login(handle); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const name of r % 2 ? ["js", "go"] : ["go", "js"]) {
    const handle = targets[name];
    let t = process.cpuUsage();
    for (let i = 0; i < n; i++) await login(handle);
    let d = process.cpuUsage(t);
    samples[name].c1.push((d.user + d.system) / n);
    t = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next++ < n) await login(handle);
      }),
    );
    d = process.cpuUsage(t);
    samples[name].c16.push((d.user + d.system) / n);
  }
}
const stat = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], best: s[0] };
};
print(
  JSON.stringify({
    node: process.version,
    rounds,
    n,
    go: { c1: stat(samples.go.c1), c16: stat(samples.go.c16) },
    js: { c1: stat(samples.js.c1), c16: stat(samples.js.c16) },
  }),
);
process.exit(0);
