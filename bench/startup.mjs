// Start-up cost of the Go Worker's module, measured in Node (run by
// `make bench` through bench/cmd/bench; Node 22: node_modules/.bin/node):
//
//   node bench/startup.mjs [app.wasm] [wasm_exec.js] [N]
//
// It compiles app.wasm once, then N times does what worker/entry.mjs's
// start() does for an isolate's Go instance: WebAssembly.Instance with the
// Worker's vars as go.env, then go.run(instance), which returns once main
// has read them and blocked, and the first export call (bodyReadTimeout):
// the instance is ready then. It reads the instance's linear memory size
// then. Prints one JSON object (times in ms, memory in bytes).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [wasmPath = "build/app.wasm", execPath = "build/wasm_exec.js", nArg = "50"] = process.argv.slice(2);
const n = Number(nArg);

// Go's wasm_exec.js: globalThis.Go.
await import(pathToFileURL(resolve(execPath)).href);

const bytes = readFileSync(wasmPath);
let t = performance.now();
const mod = new WebAssembly.Module(bytes);
const compileMs = performance.now() - t;

const env = {
  JQUANTS_API_BASE_URL: "https://api.jquants.com",
  ALLOWED_ORIGINS: "http://localhost:8787,http://127.0.0.1:8787",
  UPSTREAM_TIMEOUT: "10s",
  LOGIN_RATE_LIMIT: "on",
};

const samples = [];
const keep = []; // a few instances stay alive, as other isolates' would
for (let i = 0; i < n; i++) {
  const go = new Go();
  go.env = { ...env };
  const t0 = performance.now();
  const instance = new WebAssembly.Instance(mod, go.importObject);
  const t1 = performance.now();
  go.run(instance);
  if (go.exited || !(instance.exports.bodyReadTimeout() > 0)) throw new Error("Go main did not get ready within go.run");
  const readyAt = performance.now();
  samples.push({ instantiateMs: t1 - t0, runMs: readyAt - t1, totalMs: readyAt - t0, memBytes: instance.exports.mem.buffer.byteLength });
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
