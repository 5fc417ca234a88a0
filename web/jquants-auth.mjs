// jquants-auth.mjs: J-Quants tokens in the browser (and in Node ≥ 20).
//
//   import { load } from "./jquants-auth.mjs";
//   const jq = await load();
//   const { refreshToken } = await jq.authUser(mail, password, { baseURL: "https://proxy.example" });
//   const { idToken } = await jq.authRefresh(refreshToken, { baseURL: "https://proxy.example" });
//
// Go compiled to WebAssembly (jquants-auth.wasm, built by `make web`, with
// Go's wasm_exec.js beside it) decides; this file does the I/O. Go checks
// the input and builds each request (begin), then says what every outcome
// means (decide): a token, an error, or "wait this long and send it again".
// Here we fetch, read the answer, and wait. The boundary (callGo here) is
// described in wasm/main.go; the contract for callers is in
// jquants-auth.d.mts.
//
// baseURL must be a CORS proxy (the project's Worker): J-Quants itself sends
// no CORS headers, and authRefresh sends the proxy's {"refreshtoken"} body.

const MAX_ANSWER_BYTES = 64 << 10; // auth.MaxAnswerBytes
const DEFAULT_TIMEOUT_MS = 10000;
const MAX_TIMEOUT_MS = 600000;

let loading; // the memoised load() promise

/**
 * Loads the module once; later calls return the same promise (their options
 * are ignored). A failed load is forgotten, so it can be retried.
 * @param {import("./jquants-auth.mjs").LoadOptions} [options]
 * @returns {Promise<import("./jquants-auth.mjs").JQuantsAuth>}
 */
export function load(options = {}) {
  loading ??= start(options).catch((err) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

async function start({ wasmURL, wasmExecURL } = {}) {
  wasmURL = new URL(wasmURL ?? "./jquants-auth.wasm", import.meta.url);
  wasmExecURL = new URL(wasmExecURL ?? "./wasm_exec.js", import.meta.url);
  // The module downloads and compiles while wasm_exec.js loads: neither
  // waits for the other (index.html preloads both).
  const compiling = compile(wasmURL);
  compiling.catch(() => {}); // awaited below; a failed import must not leave it unhandled
  if (typeof globalThis.Go !== "function") {
    // A classic script that only defines globals (globalThis.Go); importing
    // it as a module runs it the same way, within script-src 'self', and
    // Node imports a file: URL from disk.
    await import(/* webpackIgnore: true */ /* @vite-ignore */ wasmExecURL.href);
  }
  const go = new globalThis.Go();
  const instance = await WebAssembly.instantiate(await compiling, go.importObject);
  // run() executes Go's main until it blocks, which keeps the exports
  // callable; its promise settles only if the program ends.
  go.run(instance).catch(() => {});
  const { exports } = instance;
  if (go.exited || typeof exports.buffer !== "function" || typeof exports.call !== "function") {
    throw new Error("jquants-auth: the WebAssembly module did not start");
  }
  const core = {
    begin: (...args) => callGo(go, exports, "begin", args),
    decide: (...args) => callGo(go, exports, "decide", args),
  };
  return Object.freeze({
    authUser(mailaddress, password, options) {
      return exchange(core, "auth_user", [mailaddress, password], options, "refreshToken");
    },
    authRefresh(refreshToken, options) {
      return exchange(core, "auth_refresh", [refreshToken], options, "idToken");
    },
  });
}

const utf8 = new TextEncoder();
const fromUTF8 = new TextDecoder();

// callGo calls the Go function name with args and returns its result: the
// call's bytes go into Go's buffer (exports.buffer), exports.call runs it
// and leaves the result there as JSON text. Go recovers its own panics; a
// throw here means the Go program has ended (out of memory).
function callGo(go, exports, name, args) {
  if (go.exited) throw stopped();
  const input = encodeCall(name, args);
  let result;
  try {
    // A fresh view for each use: memory grows, and growing detaches views.
    new Uint8Array(exports.mem.buffer, exports.buffer(input.length) >>> 0, input.length).set(input);
    const n = exports.call(input.length);
    result = fromUTF8.decode(new Uint8Array(exports.mem.buffer, exports.buffer(n) >>> 0, n));
  } catch {
    throw stopped();
  }
  return JSON.parse(result);
}

// The tags of a call's values (wasm/main.go): undefined or null, string,
// number, Uint8Array, anything else.
const [NONE, STRING, NUMBER, BYTES, OTHER] = [0, 1, 2, 3, 4];

// encodeCall is name, then each argument: a tag byte, a 4-byte
// little-endian length, the bytes.
function encodeCall(name, args) {
  const values = [name, ...args].map((v) => {
    if (v === undefined || v === null) return [NONE, new Uint8Array(0)];
    if (typeof v === "string") return [STRING, utf8.encode(v)];
    if (typeof v === "number") {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v, true);
      return [NUMBER, b];
    }
    if (v instanceof Uint8Array) return [BYTES, v];
    return [OTHER, new Uint8Array(0)];
  });
  const out = new Uint8Array(values.reduce((n, [, b]) => n + 5 + b.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [tag, b] of values) {
    out[at] = tag;
    view.setUint32(at + 1, b.length, true);
    out.set(b, at + 5);
    at += 5 + b.length;
  }
  return out;
}

// compile fetches and compiles the module, streaming: compiling starts with
// the first bytes.
async function compile(url) {
  if (url.protocol === "file:") {
    // Node: its fetch refuses file: URLs. Browsers never get here, so they
    // never load node:fs.
    const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ "node:fs/promises");
    return WebAssembly.compile(await readFile(url));
  }
  // The same mode and credentials as index.html's <link rel="preload"
  // as="fetch" crossorigin>, so that this fetch takes the preloaded answer.
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`jquants-auth: cannot load ${url.pathname}: HTTP ${response.status}`);
  }
  const type = response.headers.get("Content-Type") ?? "";
  if (typeof WebAssembly.compileStreaming === "function" && /^application\/wasm\b/i.test(type)) {
    return WebAssembly.compileStreaming(response);
  }
  // A server that sends another MIME type: compile from the bytes.
  return WebAssembly.compile(await response.arrayBuffer());
}

// exchange is one call: Go's begin, then fetch and Go's decide until Go says
// done. Go keeps no state, so the attempt number travels with each decide.
async function exchange(core, kind, secrets, options, field) {
  const opts = readOptions(options);
  let baseURL = opts.baseURL === undefined ? globalThis.location?.origin : opts.baseURL;
  if (baseURL instanceof URL) baseURL = baseURL.href;
  const req = core.begin(kind, baseURL, ...secrets);
  if (req.error) throw authError(req.error);
  const { signal } = opts;
  // Why a call ended early: the caller's signal wins over our timeout.
  const fault = () => (signal?.aborted ? "canceled" : "timeout");
  const finish = (attempt, f) => {
    throw authError(core.decide(kind, attempt, 0, null, null, f).error);
  };
  if (signal?.aborted) finish(0, "canceled");
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  for (let attempt = 0; ; attempt++) {
    let status = 0;
    let retryAfter = null;
    let body = null;
    let f = "";
    try {
      const res = await fetch(req.url, {
        method: "POST",
        // "" is J-Quants' own auth_refresh shape: the token in the query.
        ...(req.body ? { headers: { "Content-Type": "application/json" }, body: req.body } : {}),
        signal: both,
        credentials: "omit",
        // A redirect would resend the password elsewhere.
        redirect: "error",
      });
      status = res.status;
      retryAfter = res.headers.get("Retry-After");
      body = await readAtMost(res, MAX_ANSWER_BYTES);
      if (body === null) f = "too_large";
    } catch {
      f = both.aborted ? fault() : "network";
    }
    const step = core.decide(kind, attempt, status, retryAfter, body, f);
    if (step.error) throw authError(step.error);
    if (step.token !== undefined) {
      return { [field]: step.token, issuedAt: iso(step.issuedAt), expiresAt: iso(step.expiresAt) };
    }
    try {
      await sleep(step.waitMs, both);
    } catch {
      finish(attempt + 1, fault());
    }
  }
}

// readOptions checks what only JS uses (timeoutMs, signal); Go checks baseURL.
function readOptions(options) {
  if (options == null) return { timeoutMs: DEFAULT_TIMEOUT_MS };
  if (typeof options !== "object") throw inputError("The options must be an object.");
  const { baseURL, timeoutMs = DEFAULT_TIMEOUT_MS, signal } = options;
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw inputError(`The timeoutMs option must be a number of milliseconds from 1 to ${MAX_TIMEOUT_MS}.`);
  }
  if (signal != null && !(signal instanceof AbortSignal)) {
    throw inputError("The signal option must be an AbortSignal.");
  }
  return { baseURL: baseURL ?? undefined, timeoutMs, signal: signal ?? undefined };
}

// readAtMost returns the body, or null when it is longer than limit (then
// the rest is not read).
async function readAtMost(res, limit) {
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > limit) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

const iso = (ms) => new Date(ms).toISOString();

function authError({ message, status, code, retryAfter }) {
  const err = Object.assign(new Error(message), { name: "JQuantsAuthError", status, code });
  if (retryAfter !== undefined) err.retryAfter = retryAfter;
  return err;
}

const inputError = (message) => authError({ message, status: 0, code: "invalid_input" });

const stopped = () =>
  authError({ message: "The jquants-auth module has stopped; reload the page.", status: 0, code: "internal" });
