// The Worker's entry: one Go instance per isolate (main.go), and all of a
// request's I/O here, in the request's own handler. Go decides (prepare,
// finish: synchronous, plain data in and out, in the form main.go's comment
// gives); this module reads the body, asks the rate limiter, fetches
// upstream and answers. Go never runs across an await, so no request's code
// ever runs in another request's I/O context.
import "./wasm_exec.js"; // syumai/workers' copy of Go's: go.run(instance, context)
import mod from "./app.wasm";

const MAX_BODY = 4096; // proxy.MaxBodyBytes
const MAX_ANSWER = 65536; // auth.MaxAnswerBytes
const utf8 = new TextEncoder();
const fromUTF8 = new TextDecoder();

let go; // the binding of the running Go instance: {prepare, finish, grow, in, out}
let started = 0;

// start runs a new Go instance up to its `workers.ready` call, which its
// main makes before it first blocks, so within go.run.
function start(env) {
  const n = ++started;
  const runtime = new Go();
  const binding = {};
  let isReady = false;
  const instance = new WebAssembly.Instance(mod, { ...runtime.importObject, workers: { ready: () => (isReady = true) } });
  const stopped = () => {
    if (go === binding) go = undefined;
    console.log(`go instance #${n} stopped`);
  };
  runtime.run(instance, { env, binding }).then(stopped, stopped);
  if (!isReady) throw new GoGone("did not get ready");
  console.log(`go instance #${n} started`);
  return binding;
}

class GoGone extends Error {
  name = "GoGone";
}

// callGo puts head and body in binding.in, calls the Go function name as a
// plain function (no `this` for Go to hold) and decodes what it wrote to
// binding.out. A throw or no length returned means the instance died in
// it: the next request starts another.
function callGo(binding, name, head, body, ...args) {
  const bodyLen = body === null ? -1 : body.byteLength;
  let n;
  try {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    if (binding.in.length < 3 * head.length + bodyLen) binding.grow(3 * head.length + bodyLen);
    const { written } = utf8.encodeInto(head, binding.in);
    if (body !== null) binding.in.set(body, written);
    const fn = binding[name];
    n = fn(written, bodyLen, ...args);
  } catch {}
  if (typeof n === "number") return decode(fromUTF8.decode(binding.out.subarray(0, n)));
  if (go === binding) go = undefined;
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
  const binding = (go ??= start(env));
  let body = null;
  let tooLarge = false;
  let readErr = ""; // why the body could not be read
  if (req.body !== null) {
    if (Number(req.headers.get("content-length")) > MAX_BODY) {
      tooLarge = true;
      req.body.cancel().catch(() => {});
    } else {
      try {
        body = await readUpTo(req.body, MAX_BODY);
      } catch (e) {
        readErr = oneLine(String(e?.message ?? e));
      }
    }
  }
  let head = `${req.method}\n${req.url}\n${readErr}\n`;
  for (const [name, value] of req.headers) head += `${name}\n${value}\n`;
  const p = callGo(binding, "prepare", head, body, tooLarge);
  if (p.answer !== undefined) return p.answer;
  const c = p.call;
  const up = await upstream(c, env);
  const a = callGo(binding, "finish", `${c.state}\n${up.outcome}\n${up.status}\n${up.detail}\n${up.headers}`, up.body).answer;
  if (up.stream != null) {
    if (a.stream) a.body = up.stream;
    else up.stream.cancel().catch(() => {});
  }
  return a;
}

// upstream asks the limiter, then makes the call; it returns what became of
// it in finish's terms. Nothing here may put c.url in a detail:
// auth_refresh's holds a refresh token.
async function upstream(c, env) {
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
  // head: its body streams for as long as it takes.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), c.timeoutMs);
  try {
    return await call(c, up, timeout.signal);
  } finally {
    clearTimeout(timer);
  }
}

// call makes the upstream request of c and fills in up.
async function call(c, up, signal) {
  const fail = (outcome, e) => {
    up.outcome = signal.aborted ? "timeout" : outcome;
    up.detail = [up.detail, category(e, signal, outcome)].filter(Boolean).join("; ");
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
    up.body = await readUpTo(res.body, MAX_ANSWER);
  } catch (e) {
    return fail("cut", e);
  }
  if (up.body.byteLength > MAX_ANSWER) up.outcome = "too_large";
  return up;
}

// readUpTo reads stream to its end, or up to limit+1 bytes and cancels the rest.
async function readUpTo(stream, limit) {
  const reader = stream.getReader();
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
function category(e, signal, outcome) {
  const m = String(e?.message ?? "");
  if (signal.aborted) return "timed out";
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
