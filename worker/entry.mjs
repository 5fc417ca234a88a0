// The Worker's entry: one Go instance per isolate (main.go), and all of a
// request's I/O here, in the request's own handler. Go decides (prepare,
// finish: synchronous exports, numbers in and out, the bytes in Go's memory,
// in the form main.go's comment gives); this module reads the body, asks the
// rate limiter, fetches upstream and answers. Go never runs across an await,
// so no request's code ever runs in another request's I/O context.
import "./wasm_exec.js"; // Go's own: globalThis.Go
import mod from "./app.wasm";

const MAX_BODY = 4096; // proxy.MaxBodyBytes
const MAX_ANSWER = 65536; // auth.MaxAnswerBytes
const utf8 = new TextEncoder();
const fromUTF8 = new TextDecoder();

let go; // the running Go instance: {exports, runtime, bodyReadTimeoutMs}
let started = 0;

// start runs a new Go instance: go.run returns once main has read the
// Worker's vars (Go's environment here) and blocked, its exports ready.
function start(env) {
  const n = ++started;
  const runtime = new Go();
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") runtime.env[name] = value;
  const instance = new WebAssembly.Instance(mod, runtime.importObject);
  const g = { exports: instance.exports, runtime, bodyReadTimeoutMs: 0 };
  const stopped = () => {
    if (go === g) go = undefined;
    console.log(`go instance #${n} stopped`);
  };
  runtime.run(instance).then(stopped, stopped);
  try {
    // An instance that never ran (go.run refused its vars) traps here.
    if (!runtime.exited) g.bodyReadTimeoutMs = instance.exports.bodyReadTimeout();
  } catch {}
  if (!(g.bodyReadTimeoutMs > 0)) throw new GoGone("did not get ready");
  console.log(`go instance #${n} started`);
  return g;
}

class GoGone extends Error {
  name = "GoGone";
}

// callGo writes head and body into Go's input buffer, calls prepare or
// finish and decodes what it wrote. A throw or an exit in it means the
// instance died: the next request starts another.
function callGo(g, name, head, body, tooLarge) {
  const ex = g.exports;
  const bodyLen = body === null ? -1 : body.byteLength;
  try {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8. Any call into Go
    // may grow its memory, which detaches every view of the old one: each
    // view is made after the call that gives its address.
    // Go clears what it read when the call returns, and this what Go
    // wrote once decoded: a password, a key or a token stays in either
    // buffer no longer than the call.
    const size = 3 * head.length + Math.max(bodyLen, 0);
    const at = ex.input(size) >>> 0;
    const view = new Uint8Array(ex.mem.buffer, at, size);
    const { written } = utf8.encodeInto(head, view);
    if (body !== null) view.set(body, written);
    const now = Date.now(); // Go reads no clock of its own
    const n = name === "prepare" ? ex.prepare(written, bodyLen, tooLarge, now) : ex.finish(written, bodyLen, now);
    if (!g.runtime.exited) {
      const from = ex.output() >>> 0;
      const out = new Uint8Array(ex.mem.buffer, from, n);
      const decoded = decode(fromUTF8.decode(out));
      out.fill(0);
      return decoded;
    }
  } catch {}
  if (go === g) go = undefined;
  throw new GoGone(`the Go instance stopped in ${name}`);
}

// oneLine makes an error's text fit on a line of a head.
const oneLine = (s) => s.replaceAll("\n", " ");

// decode reads prepare's and finish's out.
function decode(out) {
  let at = 0;
  const line = () => {
    const nl = out.indexOf("\n", at);
    const s = out.slice(at, nl);
    at = nl + 1;
    return s;
  };
  const pairs = (n) => {
    const h = [];
    for (; n > 0; n--) h.push([line(), line()]);
    return h;
  };
  const first = line();
  if (first === "call") {
    const method = line();
    const timeoutMs = Number(line());
    const limiter = line();
    const limitKey = line();
    const state = line();
    const url = line();
    const headers = pairs(Number(line()));
    return { call: { method, timeoutMs, limiter, limitKey, state, url, headers, body: out.slice(at) || null } };
  }
  const [status, n, stream] = first.split(" ");
  const log = line();
  const headers = pairs(Number(n));
  return { answer: { status: Number(status), headers, body: out.slice(at) || null, stream: stream === "stream", log } };
}

async function fetch(req, env) {
  let a;
  try {
    a = await serve(req, env);
  } catch (e) {
    // Only the error's name: a message can quote what it failed on.
    a = internal(req, e?.name ?? "error");
  }
  console.log(a.log);
  if (a.stream) {
    // J-Quants' body as it came: never read here, nor decoded and encoded again.
    return new Response(a.body, { status: a.status, headers: a.headers, encodeBody: "manual" });
  }
  return new Response(a.body, { status: a.status, headers: a.headers });
}

async function serve(req, env) {
  const g = (go ??= start(env));
  let body = null;
  let tooLarge = false;
  let readErr = ""; // why the body could not be read
  if (req.body !== null) {
    if (Number(req.headers.get("content-length")) > MAX_BODY) {
      tooLarge = true;
      req.body.cancel().catch(() => {});
    } else {
      try {
        body = await readBody(req.body, g.bodyReadTimeoutMs);
      } catch (e) {
        readErr = oneLine(String(e?.message ?? e));
      }
    }
  }
  let head = `${req.method}\n${req.url}\n${readErr}\n`;
  for (const [name, value] of req.headers) head += `${name}\n${value}\n`;
  const p = callGo(g, "prepare", head, body, tooLarge);
  if (p.answer !== undefined) return p.answer;
  const c = p.call;
  const up = await upstream(c, env, req.signal);
  const a = callGo(g, "finish", `${c.state}\n${up.outcome}\n${up.status}\n${up.detail}\n${up.headers}`, up.body).answer;
  if (up.stream != null) {
    if (a.stream) a.body = up.stream;
    else up.stream.cancel().catch(() => {});
  }
  return a;
}

// readBody reads a request's body (see readUpTo) within ms, as the native
// server's ReadTimeout bounds it: a stalled upload is answered, not waited
// on for ever.
async function readBody(stream, ms) {
  const reader = stream.getReader();
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    reader.cancel().catch(() => {});
  }, ms);
  try {
    const body = await readUpTo(reader, MAX_BODY);
    if (late) throw new Error(`the body did not come within ${ms} ms`);
    return body;
  } finally {
    clearTimeout(timer);
  }
}

// upstream asks the limiter, then makes the call; it returns what became of
// it in finish's terms. gone is the request's signal: a caller who leaves
// cancels the call (canceled, logged 499 as natively). Nothing here may put
// c.url in a detail: auth_refresh's holds a refresh token.
async function upstream(c, env, gone) {
  const up = { outcome: "", status: 0, headers: "", body: null, stream: null, detail: "" };
  const limiter = c.limiter === "api" ? env.API_LIMITER : env.LOGIN_LIMITER;
  if (c.limitKey !== "" && limiter !== undefined) {
    try {
      if (!(await limiter.limit({ key: c.limitKey })).success) {
        up.outcome = "limited";
        return up;
      }
    } catch {
      up.detail = "limiter error"; // fail open: the login goes through
    }
  }
  // The timeout covers a login's whole answer, but only a V2 answer's
  // head: its body streams for as long as it takes, until the caller has
  // it all or leaves (workerd then cancels the body, and with it the call).
  const stop = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, c.timeoutMs);
  const leave = () => stop.abort();
  gone.addEventListener("abort", leave);
  if (gone.aborted) stop.abort();
  try {
    return await call(c, up, stop.signal, () => (gone.aborted ? "canceled" : timedOut ? "timeout" : ""));
  } finally {
    clearTimeout(timer);
    gone.removeEventListener("abort", leave);
  }
}

// call makes the upstream request of c and fills in up; stopped says why
// its signal was aborted, if it was.
async function call(c, up, signal, stopped) {
  const fail = (outcome, e) => {
    const why = stopped();
    up.outcome = why || outcome;
    up.detail = [up.detail, category(e, why, outcome)].filter(Boolean).join("; ");
    return up;
  };
  let res;
  try {
    // The body as it came (encodeResponseBody): workerd undoes no
    // encoding, as net/http undoes none natively; the core refuses one the
    // call did not ask for.
    const init = { method: c.method, headers: c.headers, body: c.body, redirect: "manual", signal, encodeResponseBody: "manual" };
    res = await globalThis.fetch(c.url, init);
  } catch (e) {
    return fail("unreachable", e);
  }
  up.status = res.status;
  for (const [name, value] of res.headers) up.headers += `${name}\n${value}\n`;
  if (c.method === "GET") {
    up.stream = res.body;
    return up;
  }
  if (res.body === null) return up;
  if (Number(res.headers.get("content-length")) > MAX_ANSWER) {
    res.body.cancel().catch(() => {});
    up.outcome = "too_large";
    return up;
  }
  try {
    up.body = await readUpTo(res.body.getReader(), MAX_ANSWER);
  } catch (e) {
    return fail("cut", e);
  }
  if (up.body.byteLength > MAX_ANSWER) up.outcome = "too_large";
  return up;
}

// readUpTo reads to the end, or up to limit+1 bytes and cancels the rest.
async function readUpTo(reader, limit) {
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.byteLength;
    if (n > limit) {
      reader.cancel().catch(() => {});
      break;
    }
  }
  if (chunks.length === 1 && n <= limit) return chunks[0];
  const out = new Uint8Array(Math.min(n, limit + 1));
  let at = 0;
  for (const ch of chunks) {
    out.set(ch.subarray(0, out.length - at), at);
    at += ch.byteLength;
    if (at >= out.length) break;
  }
  return out;
}

// category names why a call failed, as proxy.Upstream.Detail's categories
// do (proxy.go): never the error's text, which may quote the URL or what the
// upstream sent. workerd's fetch says "Network connection lost." for a
// refused, reset or closed connection and a malformed answer alike, and
// "internal error; reference = …" for a failed DNS lookup or TLS handshake.
function category(e, why, outcome) {
  const m = String(e?.message ?? "");
  if (why === "canceled") return ""; // the caller left: no detail, as natively
  if (why === "timeout") return "timed out";
  if (outcome === "cut") return "answer cut off";
  if (m.startsWith("Network connection lost")) return "connection lost";
  if (m.startsWith("internal error")) return "runtime error";
  return "other error";
}

// internal is the answer when Go could not give one (proxy.Internal's shape).
function internal(req, detail) {
  return {
    status: 500,
    headers: [
      ["Cache-Control", "no-store"],
      ["X-Content-Type-Options", "nosniff"],
      ["Vary", "Origin"],
      ["Content-Type", "application/json; charset=utf-8"],
    ],
    body: '{"message":"internal error in the proxy","code":"internal"}',
    log: `proxy: method=${JSON.stringify(req.method)} path=${JSON.stringify(new URL(req.url).pathname)} status=500 code=internal detail=${JSON.stringify(detail)}`,
  };
}

export default { fetch };
