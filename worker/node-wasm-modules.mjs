// Imported for its effect, in Node only (bench/cpu.mjs, worker/entry.test.mjs):
// workerd imports a .wasm module as its compiled WebAssembly.Module, and
// after this Node does the same, so build/worker.mjs runs unchanged.
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
export async function load(url, context, next) {
  if (!url.endsWith(".wasm")) return next(url, context);
  return {
    format: "module",
    shortCircuit: true,
    source: "import { readFileSync } from 'node:fs';" +
      "export default new WebAssembly.Module(readFileSync(new URL(" + JSON.stringify(url) + ")));",
  };
}`),
);
