// jquants-auth.mjs: J-Quants in the browser (and in Node ≥ 20): API V2
// with an API key, and the retired V1 login.
//
//   import { load } from "./jquants-auth.mjs";
//   const jq = await load();
//   const opts = { baseURL: "https://proxy.example", plan: "free" };
//   const { listing } = await jq.checkKey(apiKey, opts); // JPX Group's row: the key works
//   const { data } = await jq.get(apiKey, "/equities/bars/daily", { code: "86970" }, opts);
//
// Go compiled to WebAssembly (jquants-auth.<content hash>.wasm, built by
// `make web` into build/web/ beside a copy of this file that names it, with
// Go's wasm_exec.js) decides; this file does the I/O. For V2, Go
// checks the key, path and query and says what to send and when (it keeps
// each plan's pace), then what every answer means: a page, the next page,
// an error, or "wait this long first". Here we fetch, JSON.parse the pages
// and wait. The boundary (callGo here) is described in wasm/main.go and
// wasm/v2.go; the contract for callers is in jquants-auth.d.mts.
//
// baseURL must be a CORS proxy (the project's Worker): J-Quants itself sends
// no CORS headers. The API key is an argument, held in memory for the call
// only: never stored, never put in a URL, never logged.

const MAX_ANSWER_BYTES = 64 << 10; // auth.MaxAnswerBytes
const DEFAULT_TIMEOUT_MS = 10000;
const MAX_TIMEOUT_MS = 600000;
const MAX_PAGE_BYTES = 16 << 20; // auth.MaxPageBytes
const DEFAULT_REQUEST_TIMEOUT_MS = 30000; // auth.DefaultRequestTimeout
// The Go functions this file calls (wasm/main.go's invoke).
const GO_FUNCTIONS = ["begin", "decide", "fetchBegin", "fetchNext", "fetchReceive", "fetchEnd"];

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
  // `make web` writes the built module's name, hash and all, in here.
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
  const core = Object.fromEntries(GO_FUNCTIONS.map((name) => [name, (...args) => callGo(go, exports, name, args)]));
  return Object.freeze({
    authUser(mailaddress, password, options) {
      return exchange(core, "auth_user", [mailaddress, password], options, "refreshToken");
    },
    authRefresh(refreshToken, options) {
      return exchange(core, "auth_refresh", [refreshToken], options, "idToken");
    },
    async checkKey(apiKey, options) {
      // Go ends a check with its one page, whose first row is the listing,
      // or with an error.
      for await (const page of v2(core, "check", apiKey, undefined, undefined, options)) {
        return { listing: page.data[0] };
      }
      throw stopped();
    },
    async get(apiKey, path, query, options) {
      const data = [];
      let pages = 0;
      for await (const page of v2(core, "get", apiKey, path, query, options)) {
        pages++;
        for (const row of page.data) data.push(row);
      }
      return { data, pages };
    },
    pages(apiKey, path, query, options) {
      return v2(core, "get", apiKey, path, query, options);
    },
  });
}

const toUTF8 = new TextEncoder();
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
    input.fill(0);
    const n = exports.call(input.length);
    const out = new Uint8Array(exports.mem.buffer, exports.buffer(n) >>> 0, n);
    result = fromUTF8.decode(out);
    out.fill(0); // it may hold a key: no longer than the call

  } catch {
    throw stopped();
  }
  return JSON.parse(result);
}

// The tags of a call's values (wasm/main.go): undefined or null, string,
// number, Uint8Array, anything else, boolean, an object that is no array.
const [NONE, STRING, NUMBER, BYTES, OTHER, BOOLEAN, OBJECT] = [0, 1, 2, 3, 4, 5, 6];
const NO_BYTES = new Uint8Array(0);

// encodeCall is name, then each argument: a tag byte, a 4-byte
// little-endian length, the bytes.
function encodeCall(name, args) {
  return encodeValues([name, ...args], false);
}

// encodeValues encodes values one after the other. An object's bytes are its
// own entries' names and values (nested: an object among them is OTHER, so
// that a deep one costs nothing).
function encodeValues(values, nested) {
  const encoded = values.map((v) => {
    if (v === undefined || v === null) return [NONE, NO_BYTES];
    if (typeof v === "string") return [STRING, toUTF8.encode(v)];
    if (typeof v === "number") {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v, true);
      return [NUMBER, b];
    }
    if (typeof v === "boolean") return [BOOLEAN, Uint8Array.of(v ? 1 : 0)];
    if (v instanceof Uint8Array) return [BYTES, v];
    if (!nested && typeof v === "object" && !Array.isArray(v)) return [OBJECT, encodeValues(Object.entries(v).flat(), true)];
    return [OTHER, NO_BYTES];
  });
  const out = new Uint8Array(encoded.reduce((n, [, b]) => n + 5 + b.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [tag, b] of encoded) {
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
  const baseURL = defaultBaseURL(opts.baseURL);
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

// v2 runs one V2 fetch: Go's fetchBegin, then, until Go says done, Go's
// fetchNext (send now, or wait first), the request, and Go's fetchReceive.
// It yields each page ({ number, data, bytes }). Leaving it early (break,
// an error, the signal) drops the fetch in Go, the key with it.
async function* v2(core, kind, apiKey, path, query, options) {
  const opts = readV2Options(options);
  const begun = core.fetchBegin(kind, apiKey, defaultBaseURL(opts.baseURL), path, queryStrings(query), opts.plan);
  if (begun.error) throw authError(begun.error);
  const { handle } = begun;
  const progress = { pages: 0, rows: 0, bytes: 0 };
  let reason = "pace"; // why the next wait, if any, is made
  // An abort outside a request: Go ends the fetch as for one inside.
  const canceled = () =>
    authError(core.fetchReceive(handle, 0, null, null, null, null, false, "canceled", opts.now(), null).error);
  try {
    for (;;) {
      if (opts.signal?.aborted) throw canceled();
      const next = core.fetchNext(handle, opts.now());
      if (next.done) return;
      if (next.waitMs > 0) {
        opts.onProgress?.({ ...progress, waitMs: next.waitMs, reason });
        try {
          await opts.sleep(next.waitMs, opts.signal);
        } catch (err) {
          if (opts.signal?.aborted) throw canceled();
          throw err;
        }
        continue;
      }
      const answer = await send(next, opts, kind === "check" ? MAX_ANSWER_BYTES : MAX_PAGE_BYTES);
      const page = readPage(answer);
      const step = core.fetchReceive(
        handle,
        answer.status,
        answer.retryAfter,
        page.paginationKey,
        page.message,
        page.code,
        page.malformed,
        answer.fault,
        opts.now(),
        page.data[0] ?? null,
      );
      if (step.page) {
        progress.pages++;
        progress.rows += page.data.length;
        progress.bytes += answer.body.byteLength;
        opts.onProgress?.({ ...progress, waitMs: 0, reason: "page" });
        yield { number: progress.pages, data: page.data, bytes: answer.body.byteLength };
      }
      if (step.error && step.done) throw authError(step.error);
      if (step.done) return;
      reason = !step.error ? "pace" : step.error.code === "rate_limited" ? "rate_limited" : "retry";
    }
  } finally {
    core.fetchEnd(handle);
  }
}

// queryStrings is query with its numbers and booleans written as String
// writes them, as a URL would have them; Go checks the rest.
function queryStrings(query) {
  if (query === null || typeof query !== "object" || Array.isArray(query)) return query;
  const string = (v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v);
  return Object.fromEntries(Object.entries(query).map(([name, v]) => [name, string(v)]));
}

// send makes the request Go named: the key in x-api-key (never in the URL),
// no cookies, no redirects; the body read up to limit bytes.
async function send({ url, apiKey }, opts, limit) {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const both = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const res = await fetch(url, {
      headers: { "x-api-key": apiKey, Accept: "application/json" },
      signal: both,
      credentials: "omit",
      redirect: "error",
      cache: "no-store",
    });
    const body = await readAtMost(res, limit);
    return { status: res.status, retryAfter: res.headers.get("Retry-After"), body, fault: body === null ? "too_large" : "" };
  } catch {
    const fault = !both.aborted ? "network" : opts.signal?.aborted ? "canceled" : "timeout";
    return { status: 0, retryAfter: null, body: null, fault };
  }
}

// readPage parses an answer with JSON.parse and hands Go what it decides on:
// a page's rows and pagination_key, or an error's message and code.
function readPage({ status, body }) {
  let parsed;
  try {
    parsed = body && JSON.parse(fromUTF8.decode(body));
  } catch {
    parsed = undefined;
  }
  const object = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
  const string = (v) => (typeof v === "string" ? v : null);
  const data = Array.isArray(object.data) ? object.data : undefined;
  const key = object.pagination_key;
  return {
    data: data ?? [],
    paginationKey: string(key),
    malformed: !data || (key !== undefined && typeof key !== "string"),
    message: string(object.message),
    code: string(object.code),
  };
}

// readV2Options checks what only JS uses; Go checks baseURL and plan.
function readV2Options(options) {
  if (options != null && typeof options !== "object") throw inputError("The options must be an object.");
  const {
    baseURL,
    plan,
    timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
    signal,
    onProgress,
    now = Date.now,
    sleep: wait = sleep,
  } = options ?? {};
  if (typeof timeoutMs !== "number" || !(timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw inputError(`The timeoutMs option must be a number of milliseconds from 1 to ${MAX_TIMEOUT_MS}.`);
  }
  if (signal != null && !(signal instanceof AbortSignal)) {
    throw inputError("The signal option must be an AbortSignal.");
  }
  for (const [name, f] of [["onProgress", onProgress], ["now", now], ["sleep", wait]]) {
    if (f != null && typeof f !== "function") throw inputError(`The ${name} option must be a function.`);
  }
  return { baseURL: baseURL ?? undefined, plan, timeoutMs, signal: signal ?? undefined, onProgress, now, sleep: wait };
}

// defaultBaseURL is the page's own origin when none is given.
function defaultBaseURL(baseURL) {
  const url = baseURL === undefined ? globalThis.location?.origin : baseURL;
  return url instanceof URL ? url.href : url;
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

// sleep waits ms, or until signal (if any) aborts, which rejects.
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const iso = (ms) => new Date(ms).toISOString();

function authError({ message, status, code, retryAfter, from, to }) {
  const err = Object.assign(new Error(message), { name: "JQuantsAuthError", status, code });
  if (retryAfter !== undefined) err.retryAfter = retryAfter;
  if (from !== undefined) Object.assign(err, { from, to });
  return err;
}

const inputError = (message) => authError({ message, status: 0, code: "invalid_input" });

const stopped = () =>
  authError({ message: "The jquants-auth module has stopped; reload the page.", status: 0, code: "internal" });
