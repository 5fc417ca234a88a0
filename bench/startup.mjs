// Start-up cost of the Go Worker module, measured in Node (run by `make bench`
// through bench/cmd/bench; Node 22: node_modules/.bin/node):
//
//   node bench/startup.mjs [app.wasm] [wasm_exec.js] [N]
//
// It compiles app.wasm once, then N times does what worker/entry.mjs does for
// a new Go instance: WebAssembly.Instance + go.run(instance, context) until
// the Go main calls the `workers.ready` import, and reads the instance's
// linear memory size then. The stub `context` holds what main.go reads
// (cloudflare.Getenv: the four [vars]; cloudflare.GetBinding("LOGIN_LIMITER"))
// and a `binding` object that main fills with serveRequest (workerglue.Serve;
// syumai's package adds handleRequest), as under worker/entry.mjs
// (singleInstance: true).
// Prints one JSON object (times in ms, memory in bytes).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [wasmPath = "build/app.wasm", execPath = "build/wasm_exec.js", nArg = "50"] = process.argv.slice(2);
const n = Number(nArg);

// syumai/workers' copy of Go's wasm_exec.js: defines globalThis.Go, whose
// run(instance, context) exposes `context` to Go as globalThis.context.
await import(pathToFileURL(resolve(execPath)).href);
globalThis.tryCatch = (fn) => {
  try {
    return { result: fn() };
  } catch (e) {
    return { error: e };
  }
};

const bytes = readFileSync(wasmPath);
let t = performance.now();
const mod = new WebAssembly.Module(bytes);
const compileMs = performance.now() - t;

const env = {
  JQUANTS_API_BASE_URL: "https://api.jquants.com",
  ALLOWED_ORIGINS: "http://localhost:8787,http://127.0.0.1:8787",
  UPSTREAM_TIMEOUT: "10s",
  LOGIN_RATE_LIMIT: "on",
  LOGIN_LIMITER: { limit: async () => ({ success: true }) },
};

const samples = [];
const keep = []; // keep instances alive so that each one starts from scratch alongside the others, as isolates would
for (let i = 0; i < n; i++) {
  const go = new Go();
  let ready;
  const readyPromise = new Promise((r) => {
    ready = r;
  });
  const context = { env, ctx: { waitUntil() {}, passThroughOnException() {} }, connect() {}, binding: {}, singleInstance: true };
  const t0 = performance.now();
  const instance = new WebAssembly.Instance(mod, { ...go.importObject, workers: { ready: () => ready() } });
  const t1 = performance.now();
  go.run(instance, context);
  await readyPromise;
  const t2 = performance.now();
  if (typeof context.binding.serveRequest !== "function") throw new Error("Go main did not set binding.serveRequest");
  samples.push({ instantiateMs: t1 - t0, runMs: t2 - t1, totalMs: t2 - t0, memBytes: instance.exports.mem.buffer.byteLength });
  if (keep.length < 4) keep.push(go);
}

const stat = (key) => {
  const v = samples.map((s) => s[key]).sort((a, b) => a - b);
  return { median: v[Math.floor(v.length / 2)], best: v[0], worst: v[v.length - 1] };
};
console.log(
  JSON.stringify({
    node: process.version,
    n,
    wasmBytes: bytes.byteLength,
    compileMs,
    instantiateMs: stat("instantiateMs"),
    runMs: stat("runMs"),
    totalMs: stat("totalMs"),
    memBytes: stat("memBytes"),
  }),
);
process.exit(0);
