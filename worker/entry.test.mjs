// node --test worker/entry.test.mjs (run by `make test-wasm` after
// `make worker`): the real build/worker.mjs with the real app.wasm, in Node,
// against the real fake J-Quants: the wasm boundary as main.go's comment
// gives it, through the entry's fetch handler. workerd cannot be made to
// lose the Go instance on purpose, so this is where the entry's last line
// of defence is shown: when the instance dies (here its linear memory is
// wiped, so the next Go call traps, as a Go fatal error would end it), that
// request still gets the contract's 500 JSON and the next request starts a
// new instance.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import "./node-wasm-modules.mjs"; // .wasm imports as workerd does them
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");


// Every Go instance the entry creates, to reach its memory. A Proxy keeps
// instanceof WebAssembly.Instance true, which wasm_exec.js checks.
const instances = [];
WebAssembly.Instance = new Proxy(WebAssembly.Instance, {
  construct(target, args) {
    const inst = Reflect.construct(target, args);
    instances.push(inst);
    return inst;
  },
});

const logs = [];
console.log = (line) => logs.push(String(line));

let dir, fake, fakeBase, freeKey, worker;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "jquants-auth-entry-"));
  await promisify(execFile)(process.env.GO ?? "go", ["build", "-o", join(dir, "fakejquants"), "./cmd/fakejquants"], { cwd: root });
  fake = spawn(join(dir, "fakejquants"), ["-addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "ignore"] });
  fakeBase = await new Promise((resolve, reject) => {
    fake.on("exit", (code) => reject(new Error(`fakejquants exited (${code})`)));
    let base;
    createInterface({ input: fake.stdout }).on("line", (line) => {
      const m = /listening on (http:\/\/[^\s,]+)/.exec(line);
      if (m) base = m[1];
      const k = /demo API key, free plan: (\S+)/.exec(line);
      if (k) {
        freeKey = k[1];
        resolve(base);
      }
    });
  });
  worker = (await import(pathToFileURL(join(root, "build/worker.mjs")).href)).default;
});

after(async () => {
  fake?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const env = () => ({
  JQUANTS_API_BASE_URL: fakeBase,
  ALLOWED_ORIGINS: "http://localhost:8787",
  UPSTREAM_TIMEOUT: "5s",
  LOGIN_RATE_LIMIT: "off",
});

async function login(headers = {}) {
  const body = JSON.stringify({ mailaddress: "demo@example.com", password: "jquants-demo-password" });
  const res = await worker.fetch(
    new Request("http://localhost:8787/v1/token/auth_user", {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "http://localhost:8787", ...headers },
      body,
    }),
    env(),
    {},
  );
  return { status: res.status, headers: res.headers, json: await res.json() };
}

const memBytes = () => instances.at(-1).exports.mem.buffer.byteLength;

test("a dead Go instance: that request gets 500 JSON, the next one a new instance", async () => {
  const first = await login();
  assert.equal(first.status, 200);
  assert.match(first.json.refreshToken, /^fake-refresh-token-/);
  assert.equal(instances.length, 1);

  new Uint8Array(instances[0].exports.mem.buffer).fill(0xff); // the instance is gone
  const dead = await login();
  assert.equal(dead.status, 500);
  assert.deepEqual(dead.json, { message: "internal error in the proxy", code: "internal" });
  assert.equal(dead.headers.get("Cache-Control"), "no-store");
  assert.equal(dead.headers.get("Content-Type"), "application/json; charset=utf-8");
  assert.equal(instances.length, 1, "a new instance already, within the failed request");

  const next = await login();
  assert.equal(next.status, 200, JSON.stringify(next.json));
  assert.match(next.json.refreshToken, /^fake-refresh-token-/);
  assert.notEqual(next.json.refreshToken, first.json.refreshToken);
  assert.equal(instances.length, 2, "the next request started a second instance");

  assert.ok(logs.includes("go instance #1 started"), logs.join("\n"));
  assert.ok(logs.includes("go instance #2 started"), logs.join("\n"));
  assert.ok(logs.some((l) => l.startsWith("proxy: ") && l.includes("status=500") && l.includes("code=internal")), logs.join("\n"));
  for (const l of logs) assert.ok(!l.includes("jquants-demo-password") && !l.includes(first.json.refreshToken), l);
});

// A V2 GET: Go answers " stream" and never sees the page, which the entry
// passes from J-Quants' answer as it comes; J-Quants' own refusals pass the
// same way.
test("a V2 GET streams J-Quants' answer through", async () => {
  const get = (key) =>
    worker.fetch(
      new Request("http://localhost:8787/v2/equities/master?code=86970", { headers: { "x-api-key": key, Origin: "http://localhost:8787" } }),
      env(),
      {},
    );
  const res = await get(freeKey);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("Content-Type"), "application/json");
  assert.equal(res.headers.get("Access-Control-Allow-Origin"), "http://localhost:8787");
  const page = await res.json();
  assert.equal(page.data.length, 1);
  assert.equal(page.data[0].Code, "86970");

  const refused = await get("not-a-key-the-fake-knows");
  assert.equal(refused.status, 403);
  assert.deepEqual(await refused.json(), { message: "The incoming api key is invalid or expired." });
  for (const l of logs) assert.ok(!l.includes(freeKey) && !l.includes("not-a-key-the-fake-knows"), l);
});

// A request larger than Go's memory makes it grow, which detaches every
// view of the old memory: the entry's views are made afresh per call.
test("a 4 MiB header grows Go's memory; the answers stay right", async () => {
  await login(); // an instance, if the tests before left none
  const before = memBytes();
  const big = await login({ "X-Padding": "p".repeat(4 << 20) });
  assert.equal(big.status, 200, JSON.stringify(big.json));
  assert.match(big.json.refreshToken, /^fake-refresh-token-/);
  assert.ok(memBytes() > before + (4 << 20), `memory ${before} → ${memBytes()} bytes`);
  const next = await login();
  assert.equal(next.status, 200, JSON.stringify(next.json));
  assert.notEqual(next.json.refreshToken, big.json.refreshToken);
});

// A login's password and token cross through Go's two buffers: Go clears
// its input when a call returns, the entry the output once read.
test("Go's buffers hold nothing of a login after it", async () => {
  const res = await login();
  assert.equal(res.status, 200);
  const ex = instances.at(-1).exports;
  // The input buffer is at least 16 KiB; the output held the answer, some
  // 400 bytes, of which the first 256 are checked.
  for (const [at, n] of [[ex.input(0) >>> 0, 16 << 10], [ex.output() >>> 0, 256]]) {
    const bytes = new Uint8Array(ex.mem.buffer, at, n);
    assert.ok(bytes.every((b) => b === 0), `non-zero bytes at ${at}: ${new TextDecoder().decode(bytes).slice(0, 200)}`);
  }
});

// A caller who leaves (Request.signal aborts: workerd does it with
// enable_request_signal; wrangler dev never does, see e2e/client_side_test.go)
// cancels the call upstream at once, and the log says 499, not 504. The
// upstream here holds every request; a second copy of the module (its own
// Go instance) is configured for it.
test("a caller who leaves cancels the upstream call: 499 in the log", { timeout: 30_000 }, async () => {
  const holding = createServer(() => {}); // never answers
  holding.listen(0, "127.0.0.1");
  await once(holding, "listening");
  const arrived = once(holding, "request");
  const held = pathToFileURL(join(root, "build/worker.mjs")).href + "?holding";
  const w = (await import(held)).default;
  const leave = new AbortController();
  const body = JSON.stringify({ mailaddress: "demo@example.com", password: "jquants-demo-password" });
  const answer = w.fetch(
    new Request("http://localhost:8787/v1/token/auth_user", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
      signal: leave.signal,
    }),
    { ...env(), JQUANTS_API_BASE_URL: `http://127.0.0.1:${holding.address().port}`, UPSTREAM_TIMEOUT: "5m" },
    {},
  );
  const [, res] = await arrived;
  const closed = once(res.socket, "close");
  leave.abort();
  const a = await answer;
  assert.equal(a.status, 499);
  assert.deepEqual(await a.json(), { message: "the request was canceled", code: "canceled" });
  await closed; // the call upstream was canceled
  holding.close();
  assert.ok(logs.some((l) => l.startsWith("proxy: ") && l.includes("status=499") && l.includes("code=canceled")), logs.join("\n"));
});

// Issue 18 item 7: a request without CF-Connecting-IP (a service binding's
// call; wrangler dev sets one on every request it serves) is limited all the
// same, under one key shared by all such requests.
test("no CF-Connecting-IP: the limiter is asked with one shared key", async () => {
  // A module of its own, so its Go instance reads this env.
  const entry = (await import(`${pathToFileURL(join(root, "build/worker.mjs")).href}?shared-key`)).default;
  const keys = [];
  const limitedEnv = {
    ...env(),
    LOGIN_RATE_LIMIT: "on",
    LOGIN_LIMITER: { limit: async ({ key }) => (keys.push(key), { success: keys.length <= 1 }) },
  };
  const statuses = [];
  for (let i = 0; i < 2; i++) {
    const res = await entry.fetch(
      new Request("http://localhost:8787/v1/token/auth_user", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ mailaddress: "demo@example.com", password: "jquants-demo-password" }),
      }),
      limitedEnv,
      {},
    );
    statuses.push(res.status);
    await res.arrayBuffer();
  }
  assert.deepEqual(statuses, [200, 429]);
  assert.deepEqual(keys, ["shared:no-client-address", "shared:no-client-address"]);
});
