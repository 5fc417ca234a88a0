// jquants-auth.mjs: get a J-Quants refresh token in the browser.
//
//   import { load } from "./jquants-auth.mjs";
//   const jq = await load();
//   const { refreshToken, expiresAt } = await jq.authUser(mail, password, { baseURL: "https://proxy.example" });
//
// The login itself is Go compiled to WebAssembly (jquants-auth.wasm, built by
// `make web`, with Go's wasm_exec.js beside it). It POSTs to
// `${baseURL}/v1/token/auth_user` with the browser's fetch: baseURL must be a
// CORS proxy (the project's Worker), since J-Quants itself sends no CORS
// headers. The contract is in jquants-auth.d.ts.

const GLOBAL = "__jquantsAuth";

let loading; // the memoised load() promise

/**
 * Loads the module once; later calls return the same promise (their options
 * are ignored). A failed load is forgotten, so it can be retried.
 * @param {import("./jquants-auth").LoadOptions} [options]
 * @returns {Promise<import("./jquants-auth").JQuantsAuth>}
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
  if (typeof globalThis.Go !== "function") {
    // A classic script that only defines globals (globalThis.Go); importing
    // it as a module runs it the same way, within script-src 'self'.
    await import(wasmExecURL.href);
  }
  const go = new globalThis.Go();
  const instance = await instantiate(wasmURL, go.importObject);
  // run() executes Go's main up to its select{}, which registers the global
  // synchronously; its promise settles only if the program ends (a panic).
  go.run(instance).catch(() => {});
  const api = globalThis[GLOBAL];
  delete globalThis[GLOBAL];
  if (go.exited || typeof api?.authUser !== "function") {
    throw new Error("jquants-auth: the WebAssembly module did not start");
  }
  const stopped = () =>
    Promise.reject(internalError("the jquants-auth module has stopped; reload the page"));
  return Object.freeze({
    authUser(mailaddress, password, options) {
      if (go.exited) return stopped();
      const { baseURL = globalThis.location?.origin, timeoutMs, signal } = options ?? {};
      const opts = { baseURL: baseURL instanceof URL ? baseURL.href : baseURL, timeoutMs, signal };
      try {
        return api.authUser(mailaddress, password, opts);
      } catch {
        return stopped(); // "Go program has already exited"
      }
    },
  });
}

async function instantiate(url, imports) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`jquants-auth: cannot load ${url.pathname}: HTTP ${response.status}`);
  }
  const type = response.headers.get("Content-Type") ?? "";
  if (typeof WebAssembly.instantiateStreaming === "function" && /^application\/wasm\b/i.test(type)) {
    return (await WebAssembly.instantiateStreaming(response, imports)).instance;
  }
  // A server that sends another MIME type: compile from the bytes.
  return (await WebAssembly.instantiate(await response.arrayBuffer(), imports)).instance;
}

function internalError(message) {
  return Object.assign(new Error(message), { name: "JQuantsAuthError", status: 0, code: "internal" });
}
