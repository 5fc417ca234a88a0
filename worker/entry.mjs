// Worker entry module (project-owned; replaces syumai/workers' common/worker.mjs).
//
// syumai's default entry starts a fresh Go instance for every request (~5 ms and
// ~5 MiB each). This entry instantiates the Go module ONCE per isolate and hands
// every request to that same instance via binding.serveRequest (see serve()
// below; syumai's binding.handleRequest when the Go side has no serveRequest).
//
// Contract with the Go side (main.go):
//   workers.ServeNonBlock(h); workerglue.Serve(binding, h); workers.Ready(); select {}
// i.e. never wait on workers.Done() (that would exit after the first response).
// The Go side may check `context.singleInstance` (true here, undefined under
// syumai's entry) to choose between `select {}` and `<-workers.Done()`.
//
// Limits of the shared instance:
//   * `context.env` is the env of the request that started the instance (the env
//     object is the same for every request of an isolate).
//   * `context.ctx` is NOT a per-request ExecutionContext: cloudflare.WaitUntil /
//     PassThroughOnException throw. Do not use them.
//   * A Go panic/exit kills the instance: in-flight requests are rejected (500)
//     and the next request starts a new instance. Recover panics on the Go side.
//   * Go code runs in the I/O context of whichever JS callback resumed the Go
//     runtime. A goroutine woken by its own request's events (its fetch, body
//     read, stream pull) runs in its own context; one woken by another
//     goroutine (channel, mutex) or by a Go timer may run in another request's
//     context. Keep per-request work driven by its own JS promises; do not hold
//     locks across JS awaits; use AbortSignal.timeout for upstream timeouts.
//   * Go timers (time.Sleep, time.After, context deadlines) use ONE setTimeout
//     armed in whatever request context was current. When that request ends,
//     workerd drops the timer and a request waiting only on it hangs ("code had
//     hung and would never generate a response"). handOffTimers() below re-arms
//     pending Go timeouts in another in-flight request's context when a
//     request's serveRequest promise settles (i.e. when its headers are ready;
//     a Go timer armed while a long body is still streaming is not covered).
import "./wasm_exec.js";
import { connect } from "cloudflare:sockets";
import mod from "./app.wasm";

// Used by syumai/workers internal/jsutil (TryCatch).
globalThis.tryCatch = (fn) => {
  try {
    return { result: fn() };
  } catch (e) {
    return { error: e };
  }
};

const notPerRequest = (name) => () => {
  throw new Error(
    `ctx.${name} is not available: the Go instance is shared by all requests`,
  );
};

let current; // the shared Go instance state, or undefined
let generation = 0;

function startGo(env) {
  const go = new Go();
  const state = {
    gen: ++generation,
    go,
    binding: {},
    exited: false,
    pending: new Set(), // reject functions of in-flight requests
    wakers: new Set(), // per-request timer pumps of in-flight requests
    deadlines: new Map(), // Go timeout id -> Date.now() deadline
  };
  let onReady;
  let onFail;
  state.ready = new Promise((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  state.ready.catch(() => {}); // awaited by fetch(); avoid unhandled-rejection noise
  const runtimeContext = {
    env,
    ctx: {
      waitUntil: notPerRequest("waitUntil"),
      passThroughOnException: notPerRequest("passThroughOnException"),
    },
    connect,
    binding: state.binding,
    singleInstance: true,
  };
  trackTimeouts(go, state);
  const instance = new WebAssembly.Instance(mod, {
    ...go.importObject,
    workers: { ready: () => onReady() },
  });
  const died = (err) => {
    if (state.exited && state.pending.size === 0) return;
    state.exited = true;
    if (current === state) current = undefined;
    const e = err instanceof Error ? err : new Error("Go program exited");
    console.error(`go instance #${state.gen} stopped: ${e.message}`);
    onFail(e);
    for (const reject of state.pending) reject(e);
    state.pending.clear();
  };
  state.died = died;
  // wasm_exec.js calls go.exit(code) synchronously when the Go program exits
  // (e.g. an unrecovered panic in any goroutine). Its run() promise may never
  // settle in that case, because _resume throws after the exit.
  go.exit = (code) => died(new Error(`Go program exited with code ${code}`));
  // go.run() runs Go's main synchronously until it blocks.
  go.run(instance, runtimeContext).then(() => died(), died);
  console.log(`go instance #${state.gen} started`);
  return state;
}

// Record the deadline of every Go runtime timeout (wasm_exec.js keeps only the
// setTimeout handle in go._scheduledTimeouts).
function trackTimeouts(go, state) {
  const gojs = go.importObject.gojs;
  const schedule = gojs["runtime.scheduleTimeoutEvent"];
  const clear = gojs["runtime.clearTimeoutEvent"];
  gojs["runtime.scheduleTimeoutEvent"] = (sp) => {
    schedule(sp);
    sp >>>= 0;
    const delay = go.mem.getUint32(sp + 8, true) + go.mem.getInt32(sp + 12, true) * 4294967296;
    state.deadlines.set(go.mem.getInt32(sp + 16, true), Date.now() + delay);
  };
  gojs["runtime.clearTimeoutEvent"] = (sp) => {
    clear(sp);
    state.deadlines.delete(go.mem.getInt32((sp >>> 0) + 8, true));
  };
}

// Re-arm pending Go timeouts in the current request's I/O context.
function rearmTimers(go, state) {
  for (const [id, handle] of go._scheduledTimeouts) {
    clearTimeout(handle);
    const delay = Math.max(0, (state.deadlines.get(id) ?? 0) - Date.now());
    go._scheduledTimeouts.set(id, setTimeout(() => {
      go._resume();
      while (!go.exited && go._scheduledTimeouts.has(id)) go._resume();
    }, delay));
  }
}

// Called when a request settles: if Go timeouts are pending, wake another
// in-flight request so that it re-arms them in its own (still live) context.
function handOffTimers(state) {
  if (state.exited || state.go._scheduledTimeouts.size === 0) return;
  for (const wake of state.wakers) {
    wake();
    return;
  }
}

async function timerPump(state, req) {
  for (;;) {
    await new Promise((resolve) => {
      req.wake = resolve;
    });
    if (req.done || state.exited) return;
    rearmTimers(state.go, state);
  }
}

async function fetch(req, env, ctx) {
  if (current === undefined || current.exited) {
    current = startGo(env);
  }
  const state = current;
  await state.ready;
  if (state.go._scheduledTimeouts.size > 0) rearmTimers(state.go, state);
  const r = { wake: undefined, done: false };
  const waker = () => r.wake();
  timerPump(state, r);
  state.wakers.add(waker);
  const settle = () => {
    r.done = true;
    state.wakers.delete(waker);
    state.pending.delete(reject);
    r.wake();
    handOffTimers(state);
  };
  let reject;
  return new Promise((resolve, rej) => {
    reject = rej;
    state.pending.add(reject);
    let p;
    try {
      p = serve(state.binding, req);
    } catch (e) {
      // The Go program exited during this call (panic) or before it.
      state.died(e);
      settle();
      rej(e);
      return;
    }
    p.then(resolve, rej).finally(settle);
  });
}

// serve hands req to Go. binding.serveRequest (internal/workerglue.Serve)
// takes the request apart here and the answer back in two strings and a
// Uint8Array: every JS object or string Go holds costs it an allocation, a
// finalizer and a call back into JS, and syumai's handleRequest needs dozens.
function serve(binding, req) {
  if (typeof binding.serveRequest !== "function") return binding.handleRequest(req);
  let headers = "";
  for (const [name, value] of req.headers) headers += `${name}\n${value}\n`;
  let resolve, reject;
  const p = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const respond = (status, head, body) => {
    try {
      resolve(toResponse(status, head, body));
    } catch (e) {
      reject(e);
    }
  };
  binding.serveRequest(req.method, req.url, headers, req.body, respond, reject);
  return p;
}

// toResponse: head is the status text, then "\nname\nvalue" per header value.
function toResponse(status, head, body) {
  const parts = head.split("\n");
  const headers = new Headers();
  for (let i = 1; i + 1 < parts.length; i += 2) headers.append(parts[i], parts[i + 1]);
  return new Response(body, { status, statusText: parts[0], headers });
}

export default { fetch };
