// Tests of web/jquants-auth.mjs as `make web` builds it into build/web/, with
// the module named after its content beside it, under Node:
//   node --test wasm/jquants-auth.test.mjs
// The servers are real: the fake J-Quants (cmd/fakejquants) and the native
// proxy (`go run .`, pointed at the fake), both built and started here. A
// small Node server in front of them records what the module sends and
// plays the faults the fakes cannot (a 503, a hang, a redirect).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { root, build, start, stop } from "./testservers.mjs";
const mail = "demo@example.com";
const password = "jquants-demo-password";
const day = 24 * 3600 * 1000;
const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let dir;
const targets = {}; // "fake" and "proxy" → base URL
let proxyLog = "";
let frontServer;
let front; // base URL of the recording front
let requests = []; // what the front received in the current test (see frontTest)
let onRequest; // called with each recorded request

before(async () => {
  dir = await build("jquants-auth-test-", { fakejquants: "./cmd/fakejquants", proxy: "." });

  targets.fake = await start("fakejquants", ["-addr", "127.0.0.1:0"], {}, "stdout");
  targets.proxy = await start("proxy", [], {
    JQUANTS_API_BASE_URL: targets.fake,
    PORT: "0",
    WEB_DIR: dir, // no page: only the proxy
  }, "stderr", (line) => (proxyLog += line + "\n"));

  frontServer = createServer((req, res) => {
    // /<tag>/<mode>/<target>/v1/token/…; tag is the test's, so that a late
    // request of an earlier test is not counted in a later one.
    const [, tag, mode, target, ...rest] = req.url.split("/");
    const rec = {
      mode, method: req.method, url: req.url, headers: req.headers, body: "", at: performance.now(),
      closed: new Promise((resolve) => res.on("close", resolve)),
    };
    if (tag !== testTag) return res.destroy();
    requests.push(rec);
    serve(req, res, rec, mode, target, rest.join("/")).catch(() => res.destroy());
  });
  await new Promise((resolve) => frontServer.listen(0, "127.0.0.1", resolve));
  front = `http://127.0.0.1:${frontServer.address().port}`;
});

after(async () => {
  frontServer?.closeAllConnections();
  frontServer?.close();
  await stop();
});

// serve answers as mode says; "pass" forwards to the fake or the proxy.
async function serve(req, res, rec, mode, target, path) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  rec.body = Buffer.concat(chunks).toString("utf8");
  onRequest?.(rec);
  const send = (status, headers, text) => res.writeHead(status, { "Content-Type": "application/json", ...headers }).end(text);
  switch (mode) {
    case "hang":
      return; // until the client gives up
    case "503once":
      if (requests.length === 1) return send(503, { "Retry-After": "1" }, '{"message":"Service Unavailable"}');
      break;
    case "500":
      return send(500, {}, '{"message":"Unexpected error. Please try again later."}');
    case "big":
      return send(200, {}, `{"refreshToken":"${"x".repeat(70 << 10)}"}`);
    case "redirect":
      return send(307, { Location: `/${testTag}/pass/${target}/${path}` }, "");
  }
  const up = await fetch(`${targets[target]}/${path}`, {
    method: req.method,
    headers: { "Content-Type": req.headers["content-type"] ?? "" },
    body: req.method === "POST" ? rec.body : undefined,
  });
  const retryAfter = up.headers.get("Retry-After");
  send(up.status, retryAfter ? { "Retry-After": retryAfter } : {}, await up.text());
}

const { load } = await import("../build/web/jquants-auth.mjs");

// A test of its own tag, with an empty record of the front's requests;
// via(mode, target) is the base URL that makes the front act as mode says.
let testTag = "";
const frontTest = (name, fn) =>
  test(name, { timeout: 20000 }, async (t) => {
    testTag = Math.random().toString(36).slice(2);
    requests = [];
    onRequest = undefined;
    await fn(t);
  });
const via = (mode, target = "fake") => `${front}/${testTag}/${mode}/${target}`;

function wantError(err, code, status) {
  assert.ok(err instanceof Error, "an Error");
  assert.equal(err.name, "JQuantsAuthError");
  assert.equal(err.code, code, err.message);
  assert.equal(err.status, status);
  assert.match(err.message, /^['A-Z].*\.$/, "one sentence");
  assert.ok(!err.message.includes(password), "no password in the message");
  return true;
}

test("load in Node reads file: URLs from disk, and a failed load is forgotten", async () => {
  await assert.rejects(load({ wasmURL: new URL("../build/web/missing.wasm", import.meta.url) }), { code: "ENOENT" });
  const a = load(); // the default: the .wasm built beside the module (named after its content), a file: URL here
  const b = load({ wasmURL: "file:///nowhere.wasm" });
  assert.equal(a, b, "memoised");
  const jq = await a;
  assert.deepEqual(Object.keys(jq), ["authUser", "authRefresh", "checkKey", "get", "pages"]);
  assert.ok(Object.isFrozen(jq));
  assert.equal(globalThis.__jquantsAuth, undefined, "the module leaves no global behind");
});

test("authUser against the fake J-Quants: a refresh token valid 7 days", async () => {
  const jq = await load();
  const before = Date.now();
  const res = await jq.authUser(` ${mail} `, password, { baseURL: new URL(targets.fake + "/") });
  assert.deepEqual(Object.keys(res), ["refreshToken", "issuedAt", "expiresAt"]);
  assert.match(res.refreshToken, /^fake-refresh-token-/);
  assert.match(res.issuedAt, iso);
  assert.match(res.expiresAt, iso);
  assert.ok(Date.parse(res.issuedAt) >= before - 1 && Date.parse(res.issuedAt) <= Date.now());
  assert.equal(Date.parse(res.expiresAt) - Date.parse(res.issuedAt), 7 * day);
});

frontTest("the request: POST, JSON, exact body, no credentials", async () => {
  const jq = await load();
  await jq.authUser(mail, password, { baseURL: via("pass") });
  assert.equal(requests.length, 1);
  const [r] = requests;
  assert.equal(r.method, "POST");
  assert.equal(r.url, `/${testTag}/pass/fake/v1/token/auth_user`);
  assert.equal(r.headers["content-type"], "application/json");
  assert.equal(r.headers["content-length"], String(Buffer.byteLength(r.body)));
  assert.equal(r.headers.cookie, undefined);
  assert.equal(r.body, JSON.stringify({ mailaddress: mail, password }));
});

frontTest("a wrong password: one sentence, invalid_credentials, 400, not retried", async () => {
  const jq = await load();
  await assert.rejects(jq.authUser(mail, "wrong-secret", { baseURL: via("pass") }), (err) => {
    wantError(err, "invalid_credentials", 400);
    assert.equal(err.message, "'mailaddress' or 'password' is incorrect.");
    assert.equal(err.retryAfter, undefined);
    assert.ok(!err.message.includes("wrong-secret"));
    return true;
  });
  assert.equal(requests.length, 1);
});

frontTest("a 503 with Retry-After: 1, then success: Go's wait is kept", async () => {
  const jq = await load();
  const res = await jq.authUser(mail, password, { baseURL: via("503once") });
  assert.match(res.refreshToken, /^fake-refresh-token-/);
  assert.equal(requests.length, 2);
  const gap = requests[1].at - requests[0].at;
  assert.ok(gap >= 990 && gap < 4000, `the retry came ${gap} ms after the 503, want about 1000`);
});

frontTest("a 500 every time: three tries with backoff, then upstream_error", async () => {
  const jq = await load();
  await assert.rejects(jq.authUser(mail, password, { baseURL: via("500") }), (err) => {
    wantError(err, "upstream_error", 500);
    assert.equal(err.message, "Unexpected error. Please try again later.");
    return true;
  });
  assert.equal(requests.length, 3);
  assert.ok(requests[1].at - requests[0].at >= 95, "the first retry waits at least ~100 ms");
  assert.ok(requests[2].at - requests[1].at >= 195, "the second at least ~200 ms");
});

frontTest("an answer over 64 KiB is refused", async () => {
  const jq = await load();
  await assert.rejects(jq.authUser(mail, password, { baseURL: via("big") }), (err) =>
    wantError(err, "upstream_error", 200),
  );
});

frontTest("a redirect is not followed (it would resend the password)", async () => {
  const jq = await load();
  await assert.rejects(jq.authUser(mail, password, { baseURL: via("redirect") }), (err) =>
    wantError(err, "network", 0),
  );
  assert.ok(requests.length >= 1 && requests.every((r) => r.mode === "redirect"), "nothing went to the Location");
});

frontTest("the timeout bounds the whole call: code timeout, the request aborted", async () => {
  const jq = await load();
  const start = performance.now();
  // 1 s: time enough for the request to arrive first on a loaded machine.
  await assert.rejects(jq.authUser(mail, password, { baseURL: via("hang"), timeoutMs: 1000 }), (err) => {
    wantError(err, "timeout", 0);
    assert.equal(err.message, "No answer came in time.");
    return true;
  });
  const took = performance.now() - start;
  assert.ok(took >= 990 && took < 6000, `took ${took} ms for a 1000 ms timeout`);
  assert.equal(requests.length, 1, "a timeout is not retried");
  await requests[0].closed; // the fetch was aborted, so the connection closed
});

frontTest("aborting the signal: code canceled; an aborted signal sends nothing", async () => {
  const jq = await load();
  const ctrl = new AbortController();
  onRequest = () => ctrl.abort(); // once the request is in flight
  await assert.rejects(jq.authUser(mail, password, { baseURL: via("hang"), signal: ctrl.signal }), (err) => {
    wantError(err, "canceled", 0);
    assert.equal(err.message, "The call was canceled.");
    return true;
  });
  await requests[0].closed;
  await assert.rejects(jq.authUser(mail, password, { baseURL: via("pass"), signal: AbortSignal.abort() }), (err) =>
    wantError(err, "canceled", 0),
  );
  assert.equal(requests.length, 1);
});

frontTest("invalid input is rejected before any request", async () => {
  const jq = await load();
  const baseURL = via("pass");
  for (const [call, message] of [
    [() => jq.authUser("", password, { baseURL }), "The mail address is required."],
    [() => jq.authUser("no-at-sign", password, { baseURL }), /exactly one @/],
    [() => jq.authUser(mail, "", { baseURL }), "The password is required."],
    [() => jq.authUser(mail, 42, { baseURL }), /must be strings/],
    [() => jq.authUser({}, password, { baseURL }), /must be strings/],
    [() => jq.authUser(mail, new TextEncoder().encode(password), { baseURL }), /must be strings/],
    [() => jq.authUser("dëmo-ünïcode🔑", password, { baseURL }), /exactly one @/],
    [() => jq.authUser(mail, password, { baseURL: 8787 }), "The baseURL must be a string."],
    [() => jq.authUser(mail, password, { baseURL: "not a url" }), /baseURL/],
    [() => jq.authUser(mail, password, { baseURL, timeoutMs: -1 }), /timeoutMs/],
    [() => jq.authUser(mail, password, { baseURL, timeoutMs: "100" }), /timeoutMs/],
    [() => jq.authUser(mail, password, { baseURL, signal: "x" }), /signal/],
    [() => jq.authUser(mail, password, "https://proxy.example"), /options/],
    [() => jq.authRefresh("", { baseURL }), "The refresh token is required."],
    [() => jq.authRefresh("has space", { baseURL }), /visible ASCII/],
    [() => jq.authRefresh(undefined, { baseURL }), /must be a string/],
  ]) {
    await assert.rejects(call(), (err) => {
      wantError(err, "invalid_input", 0);
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    });
  }
  assert.equal(requests.length, 0);
});

test("an unreachable server is a network error with status 0", async () => {
  const jq = await load();
  // Port 9: Node's fetch refuses it ("bad port"), so there is no HTTP answer.
  await assert.rejects(jq.authUser(mail, password, { baseURL: "http://127.0.0.1:9" }), (err) => {
    wantError(err, "network", 0);
    assert.equal(err.message, "The server could not be reached.");
    return true;
  });
});

frontTest("authRefresh through the native proxy: an ID token valid 24 h, the token never in a URL", async () => {
  const jq = await load();
  const { refreshToken } = await jq.authUser(mail, password, { baseURL: targets.proxy });
  const res = await jq.authRefresh(refreshToken, { baseURL: via("pass", "proxy") });
  assert.deepEqual(Object.keys(res), ["idToken", "issuedAt", "expiresAt"]);
  assert.match(res.idToken, /^fake-id-token-/);
  assert.match(res.issuedAt, iso);
  assert.equal(Date.parse(res.expiresAt) - Date.parse(res.issuedAt), day);
  assert.equal(requests.length, 1);
  const [r] = requests;
  assert.equal(r.url, `/${testTag}/pass/proxy/v1/token/auth_refresh`, "no query");
  assert.equal(r.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(r.body), { refreshtoken: refreshToken });
  assert.ok(!proxyLog.includes(refreshToken), "the proxy's log holds no refresh token");
});

frontTest("authRefresh with an unknown token: the proxy's 400, one sentence", async () => {
  const jq = await load();
  await assert.rejects(jq.authRefresh("fake-refresh-token-unknown", { baseURL: targets.proxy }), (err) => {
    wantError(err, "invalid_credentials", 400);
    assert.ok(!err.message.includes("fake-refresh-token-unknown"));
    return true;
  });
});

frontTest("the proxy's own code and message are passed on", async () => {
  const jq = await load();
  await assert.rejects(jq.authRefresh("tok", { baseURL: `${targets.proxy}/elsewhere` }), (err) => {
    wantError(err, "not_found", 404);
    assert.match(err.message, /^Not found/);
    return true;
  });
});

frontTest("the README's JavaScript example runs as it is written", async () => {
  const readme = await readFile(join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 2, "JavaScript blocks in README.md: V2 (wasm/jquants-auth-v2.test.mjs runs it) and V1");
  const example = blocks.find((b) => b.includes("authUser("));
  const moduleImport = '"./jquants-auth.mjs"';
  const proxy = '"https://proxy.example"';
  assert.ok(example.includes(moduleImport) && example.includes(proxy), example);
  // The same code, with the module where it is built, this test's recording
  // proxy, and the demo account for its free variables mail and password.
  const code =
    `const mail = ${JSON.stringify(mail)}, password = ${JSON.stringify(password)};\n` +
    example
      .replace(moduleImport, JSON.stringify(pathToFileURL(join(root, "build/web/jquants-auth.mjs")).href))
      .replace(proxy, JSON.stringify(via("pass", "proxy")));
  const file = join(dir, "readme-example.mjs");
  await writeFile(file, code);
  const logged = [];
  const errors = [];
  const { log, error } = console;
  console.log = (...args) => logged.push(args.join(" "));
  console.error = (...args) => errors.push(args.join(" "));
  try {
    await import(pathToFileURL(file).href);
  } finally {
    Object.assign(console, { log, error });
  }
  assert.deepEqual(errors, []);
  assert.equal(logged.length, 1, logged.join("\n"));
  assert.match(logged[0], /^an ID token of \d+ characters, valid until \d{4}-\d\d-\d\dT/);
  assert.deepEqual(
    requests.map((r) => r.url),
    ["auth_user", "auth_refresh"].map((p) => `/${testTag}/pass/proxy/v1/token/${p}`),
    "the token in a body, not in the URL",
  );
});
