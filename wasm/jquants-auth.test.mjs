// Tests of web/jquants-auth.mjs with the built module (make web), under Node:
//   node --test wasm/jquants-auth.test.mjs
// A Node HTTP server on 127.0.0.1 serves the .wasm and plays the proxy.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";

const wasmPath = new URL("../web/jquants-auth.wasm", import.meta.url);
const requests = [];
let server;
let base;
let wasmLoads = 0;

before(async () => {
  const wasm = await readFile(wasmPath).catch(() => {
    throw new Error("web/jquants-auth.wasm is missing: run make web first");
  });
  server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (req.url === "/jquants-auth.wasm") {
        wasmLoads++;
        res.writeHead(200, { "Content-Type": "application/wasm" }).end(wasm);
        return;
      }
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      const { password } = JSON.parse(body || "{}");
      if (password === "right") {
        res.writeHead(200, { "Content-Type": "application/json" }).end('{"refreshToken":"tok-123"}');
      } else if (password === "busy") {
        res.writeHead(429, { "Content-Type": "application/json", "Retry-After": "9" })
          .end('{"message":"slow down","code":"rate_limited"}');
      } else {
        res.writeHead(400, { "Content-Type": "application/json" })
          .end(`{"message":"'mailaddress' or 'password' is incorrect."}`);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const { load } = await import("../web/jquants-auth.mjs");

test("load is memoised and resolves to the API", async () => {
  const a = load({ wasmURL: `${base}/jquants-auth.wasm` });
  const b = load({ wasmURL: `${base}/other.wasm` });
  assert.equal(a, b);
  const jq = await a;
  assert.equal(typeof jq.authUser, "function");
  assert.equal(Object.isFrozen(jq), true);
  assert.equal(wasmLoads, 1);
  assert.equal(globalThis.__jquantsAuth, undefined, "the Go global is taken off globalThis");
});

test("authUser resolves to the token and its times", async () => {
  const jq = await load();
  requests.length = 0;
  const res = await jq.authUser("demo@example.com", "right", { baseURL: new URL(base + "/") });
  assert.deepEqual(Object.keys(res), ["refreshToken", "issuedAt", "expiresAt"]);
  assert.equal(res.refreshToken, "tok-123");
  assert.match(res.issuedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(Date.parse(res.expiresAt) - Date.parse(res.issuedAt), 7 * 24 * 3600 * 1000);
  assert.ok(Math.abs(Date.parse(res.issuedAt) - Date.now()) < 5000);
  assert.equal(requests.length, 1);
  const r = requests[0];
  assert.equal(r.method, "POST");
  assert.equal(r.url, "/v1/token/auth_user");
  assert.equal(r.headers["content-type"], "application/json");
  assert.equal(r.headers["content-length"], String(Buffer.byteLength(r.body)));
  assert.equal(r.headers["transfer-encoding"], undefined);
  assert.deepEqual(JSON.parse(r.body), { mailaddress: "demo@example.com", password: "right" });
});

test("authUser rejects with status, code and a safe message", async () => {
  const jq = await load();
  await assert.rejects(jq.authUser("demo@example.com", "wrong-secret", { baseURL: base }), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.name, "JQuantsAuthError");
    assert.equal(err.code, "invalid_credentials");
    assert.equal(err.status, 400);
    assert.equal(err.retryAfter, undefined);
    assert.ok(!err.message.includes("wrong-secret"));
    return true;
  });
  await assert.rejects(jq.authUser("demo@example.com", "busy", { baseURL: base }), {
    code: "rate_limited",
    status: 429,
    retryAfter: 9,
  });
});

test("invalid input is rejected before anything is sent", async () => {
  const jq = await load();
  requests.length = 0;
  for (const [mail, password, options] of [
    ["", "x", { baseURL: base }],
    ["no-at-sign", "x", { baseURL: base }],
    ["demo@example.com", "", { baseURL: base }],
    ["demo@example.com", "x", { baseURL: "not a url" }],
    ["demo@example.com", "x", { baseURL: base, timeoutMs: -1 }],
    ["demo@example.com", 42, { baseURL: base }],
  ]) {
    await assert.rejects(jq.authUser(mail, password, options), { code: "invalid_input", status: 0 });
  }
  assert.equal(requests.length, 0);
});

test("an unreachable proxy is a network error with status 0", async () => {
  const jq = await load();
  // Port 9 on loopback: Node's fetch refuses it ("bad port"), so no HTTP answer.
  await assert.rejects(jq.authUser("demo@example.com", "right", { baseURL: "http://127.0.0.1:9", timeoutMs: 5000 }), {
    code: "network",
    status: 0,
  });
});

test("an aborted signal rejects with canceled", async () => {
  const jq = await load();
  await assert.rejects(jq.authUser("demo@example.com", "right", { baseURL: base, signal: AbortSignal.abort() }), {
    code: "canceled",
    status: 0,
  });
});
