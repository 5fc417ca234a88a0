var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });

// worker.mjs
var PATH = "/v1/token/auth_user";
var MAX_BODY = 4 << 10;
var MAX_ANSWER = 64 << 10;
var MAX_MESSAGE = 512;
var DEFAULT_BASE = "https://api.jquants.com";
var DEFAULT_ORIGINS = "http://localhost:8787,http://127.0.0.1:8787";
var DEFAULT_TIMEOUT_MS = 1e4;
var MAX_TIMEOUT_MS = 5 * 60 * 1e3;
var RETRY_AFTER = "60";
var UPSTREAM = "the J-Quants API";
var ALLOW = "OPTIONS, POST";
var enc = new TextEncoder();
var utf8 = new TextDecoder("utf-8", { fatal: true });
var compiledFor = /* @__PURE__ */ new WeakMap();
function config(env) {
  let c = compiledFor.get(env);
  if (c === void 0) {
    c = compile(env);
    compiledFor.set(env, c);
    if (c.error) console.log(`jquants-auth: configuration error: ${c.error}`);
  }
  return c;
}
__name(config, "config");
function compile(env) {
  const errs = [];
  const c = { url: "", origins: /* @__PURE__ */ new Set(), timeoutMs: DEFAULT_TIMEOUT_MS, timeoutText: "10s", limiter: null, error: "" };
  const base = checkBaseURL(String(env.JQUANTS_API_BASE_URL ?? "").trim(), errs);
  c.url = base + PATH;
  const list = String(env.ALLOWED_ORIGINS ?? "").trim();
  const origins = list === "" ? DEFAULT_ORIGINS.split(",") : list.toLowerCase() === "none" ? [] : list.split(",");
  for (const o of origins) {
    if (o.trim() === "") continue;
    const n = normalizeOrigin(o, errs);
    if (n) c.origins.add(n);
  }
  const t = String(env.UPSTREAM_TIMEOUT ?? "").trim();
  if (t !== "") {
    const ms = parseGoDuration(t);
    if (!(ms > 0)) errs.push(`UPSTREAM_TIMEOUT=${JSON.stringify(t)}: want a positive Go duration such as "10s"`);
    else if (ms > MAX_TIMEOUT_MS) errs.push(`UpstreamTimeout (UPSTREAM_TIMEOUT) ${t}: want more than 0 and at most 5m0s`);
    else {
      c.timeoutMs = ms;
      c.timeoutText = t;
    }
  }
  const rl = String(env.LOGIN_RATE_LIMIT ?? "").trim().toLowerCase();
  if (rl !== "" && rl !== "on" && rl !== "off") errs.push(`LOGIN_RATE_LIMIT=${JSON.stringify(rl)}: want "on" or "off"`);
  if (rl !== "off" && env.LOGIN_LIMITER && typeof env.LOGIN_LIMITER.limit === "function") c.limiter = env.LOGIN_LIMITER;
  c.error = errs.join("; ");
  return c;
}
__name(compile, "compile");
function checkBaseURL(s, errs) {
  if (s === "") return DEFAULT_BASE;
  const bad = /* @__PURE__ */ __name((why) => {
    errs.push(`BaseURL (JQUANTS_API_BASE_URL) ${why}`);
    return DEFAULT_BASE;
  }, "bad");
  let u;
  try {
    u = new URL(s);
  } catch {
    return bad("is not a URL");
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return bad("must start with https:// (or http:// for a loopback host)");
  if (u.host === "") return bad("has no host");
  if (u.username !== "" || u.password !== "" || s.includes("@")) return bad("must not contain user info");
  if (s.includes("?") || s.includes("#")) return bad("must not have a query or fragment");
  if (u.pathname !== "/") return bad(`must not have a path (the proxy appends ${PATH})`);
  if (u.protocol === "http:" && !isLoopback(u.hostname)) return bad("must use https unless the host is loopback (localhost, 127.0.0.1, ::1)");
  return `${u.protocol}//${u.host}`;
}
__name(checkBaseURL, "checkBaseURL");
function isLoopback(host) {
  return host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]";
}
__name(isLoopback, "isLoopback");
function normalizeOrigin(o, errs) {
  let s = o.trim().toLowerCase();
  if (s.endsWith("/")) s = s.slice(0, -1);
  const bad = /* @__PURE__ */ __name((why) => {
    errs.push(`allowed origin ${JSON.stringify(o)} (ALLOWED_ORIGINS) ${why}`);
    return "";
  }, "bad");
  if (s.includes("*")) return bad("has a wildcard: list exact origins");
  const m = /^(https?):\/\/([^/?#@\s]+)$/.exec(s);
  if (!m) return bad("must be scheme://host[:port] with nothing else");
  let host = m[2];
  if (m[1] === "http" && host.endsWith(":80") || m[1] === "https" && host.endsWith(":443")) host = host.slice(0, host.lastIndexOf(":"));
  else if (host.endsWith(":")) return bad("has an empty port");
  return `${m[1]}://${host}`;
}
__name(normalizeOrigin, "normalizeOrigin");
var UNIT_MS = { ns: 1e-6, us: 1e-3, "\xB5s": 1e-3, "\u03BCs": 1e-3, ms: 1, s: 1e3, m: 6e4, h: 36e5 };
function parseGoDuration(s) {
  let sign = 1;
  if (s[0] === "-" || s[0] === "+") {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return NaN;
    ms += Number(m[1]) * UNIT_MS[m[2]];
    pos = re.lastIndex;
  }
  return pos === 0 ? NaN : sign * ms;
}
__name(parseGoDuration, "parseGoDuration");
function json(status, body, headers) {
  headers["Content-Type"] = "application/json; charset=utf-8";
  headers["Cache-Control"] = "no-store";
  headers["X-Content-Type-Options"] = "nosniff";
  if (headers.Vary === void 0) headers.Vary = "Origin";
  return new Response(body, { status, headers });
}
__name(json, "json");
function fail(log, status, code, message, headers = {}) {
  log.status = status;
  log.code = code;
  return json(status, JSON.stringify({ message, code }), headers);
}
__name(fail, "fail");
async function serve(request, env, log) {
  const c = config(env);
  if (c.error) {
    log.detail = c.error;
    return fail(log, 500, "misconfigured", `the proxy is misconfigured: ${c.error}`);
  }
  const url = new URL(request.url);
  if (url.pathname !== PATH) return fail(log, 404, "not_found", `not found: the proxy serves only POST ${PATH}`);
  const origin = request.headers.get("Origin");
  const allowed = origin === null || originAllowed(c, url, request, origin);
  if (!allowed) return fail(log, 403, "origin_not_allowed", "this origin may not use the proxy: add it to ALLOWED_ORIGINS");
  const method = request.method;
  if (method === "OPTIONS" && request.headers.has("Access-Control-Request-Method")) return preflight(request, origin, log);
  const headers = { Vary: "Origin" };
  if (origin !== null && (method === "POST" || method === "OPTIONS")) {
    headers["Access-Control-Allow-Origin"] = origin;
    headers["Access-Control-Expose-Headers"] = "Retry-After";
  }
  if (method === "OPTIONS") {
    log.status = 204;
    headers.Allow = ALLOW;
    headers["Cache-Control"] = "no-store";
    headers["X-Content-Type-Options"] = "nosniff";
    return new Response(null, { status: 204, headers });
  }
  if (method !== "POST") {
    headers.Allow = ALLOW;
    return fail(log, 405, "method_not_allowed", "method not allowed: use POST", headers);
  }
  if (!isJSONType(request.headers.get("Content-Type"))) {
    return fail(log, 415, "unsupported_media_type", "the body must be sent as Content-Type: application/json", headers);
  }
  const tooLarge = /* @__PURE__ */ __name(() => fail(log, 413, "body_too_large", "the body is larger than 4 KiB", headers), "tooLarge");
  if (Number(request.headers.get("Content-Length") ?? 0) > MAX_BODY) return tooLarge();
  const raw = await readAtMost(request.body, MAX_BODY);
  if (raw === null) return tooLarge();
  const input = parseBody(raw);
  if (typeof input === "string") return fail(log, 400, "invalid_input", input, headers);
  const mail = input.mailaddress.trim();
  const problem = checkCredentials(mail, input.password);
  if (problem) return fail(log, 400, "invalid_input", problem, headers);
  if (c.limiter) {
    try {
      const { success } = await c.limiter.limit({ key: request.headers.get("CF-Connecting-IP")?.trim() ?? "" });
      if (!success) {
        headers["Retry-After"] = RETRY_AFTER;
        return fail(log, 429, "rate_limited", `too many login attempts from this address: try again in ${RETRY_AFTER} seconds`, headers);
      }
    } catch (e) {
      console.log(`proxy: limiter failed, letting the login through detail=${JSON.stringify(String(e))}`);
    }
  }
  return forward(c, mail, input.password, headers, log);
}
__name(serve, "serve");
function originAllowed(c, url, request, origin) {
  if (c.origins.has(origin)) return true;
  const i = origin.indexOf("://");
  if (i < 0) return false;
  const host = request.headers.get("Host") ?? url.host;
  return origin.slice(0, i) + ":" === url.protocol && i + 3 < origin.length && origin.slice(i + 3).toLowerCase() === host.toLowerCase();
}
__name(originAllowed, "originAllowed");
function preflight(request, origin, log) {
  log.status = 204;
  const headers = {
    Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff"
  };
  const method = request.headers.get("Access-Control-Request-Method");
  const asked = request.headers.get("Access-Control-Request-Headers");
  const headersOK = asked === null || asked.split(",").every((h) => ["", "content-type", "origin"].includes(h.trim().toLowerCase()));
  if (origin !== null && (method === "POST" || method === "OPTIONS") && headersOK) {
    headers["Access-Control-Allow-Origin"] = origin;
    headers["Access-Control-Allow-Methods"] = method;
    if (asked) headers["Access-Control-Allow-Headers"] = asked;
    headers["Access-Control-Max-Age"] = "600";
  }
  return new Response(null, { status: 204, headers });
}
__name(preflight, "preflight");
function isJSONType(v) {
  if (v === null || v.includes(",")) return false;
  const parts = v.split(";");
  if (parts[0].trim().toLowerCase() !== "application/json") return false;
  for (const p of parts.slice(1)) {
    const eq = p.indexOf("=");
    if (eq <= 0) return false;
    const key = p.slice(0, eq).trim().toLowerCase();
    let value = p.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (key === "charset" && value.toLowerCase() !== "utf-8") return false;
  }
  return true;
}
__name(isJSONType, "isJSONType");
async function readAtMost(stream, max) {
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks = [];
  let n = 0;
  for (; ; ) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      reader.cancel().catch(() => {
      });
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(n);
  let off = 0;
  for (const ch of chunks) {
    out.set(ch, off);
    off += ch.byteLength;
  }
  return out;
}
__name(readAtMost, "readAtMost");
var SHAPE = "the body must be a JSON object with string fields mailaddress and password";
function parseBody(raw) {
  let text;
  try {
    text = utf8.decode(raw);
  } catch {
    return "the body is not valid UTF-8";
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return "the body is not valid JSON";
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return SHAPE;
  const dup = duplicateKey(text);
  if (dup !== null) {
    return dup === "mailaddress" || dup === "password" ? `the field ${dup} appears twice` : "a field appears twice in the body";
  }
  for (const key of ["mailaddress", "password"]) {
    if (!Object.hasOwn(body, key)) return `the field ${key} is missing`;
    if (typeof body[key] !== "string") return `the field ${key} must be a string`;
  }
  return body;
}
__name(parseBody, "parseBody");
function duplicateKey(text) {
  const seen = /* @__PURE__ */ new Set();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 34) j += text.charCodeAt(j) === 92 ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1));
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === 123 || ch === 91) {
      depth++;
      expectKey = depth === 1;
    } else if (ch === 125 || ch === 93) {
      depth--;
    } else if (ch === 44 && depth === 1) {
      expectKey = true;
    }
  }
  return null;
}
__name(duplicateKey, "duplicateKey");
function checkCredentials(mail, password) {
  if (mail === "") return "mailaddress is required";
  if (enc.encode(mail).byteLength > 254) return "mailaddress is longer than 254 bytes";
  if (/[\s\p{Cc}]/u.test(mail)) return "mailaddress must not contain white space or control characters";
  const at = mail.indexOf("@");
  if (at < 0 || mail.indexOf("@", at + 1) >= 0) return "mailaddress must contain exactly one @";
  if (at === 0) return "mailaddress needs a name before the @";
  if (at === mail.length - 1) return "mailaddress needs a domain after the @";
  if (password === "") return "password is required";
  if (enc.encode(password).byteLength > 1024) return "password is longer than 1024 bytes";
  return "";
}
__name(checkCredentials, "checkCredentials");
async function forward(c, mailaddress, password, headers, log) {
  let upstream;
  try {
    upstream = await fetch(c.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: enc.encode(JSON.stringify({ mailaddress, password })),
      redirect: "manual",
      signal: AbortSignal.timeout(c.timeoutMs)
    });
  } catch (e) {
    log.detail = String(e?.message ?? e);
    if (e?.name === "TimeoutError") return fail(log, 504, "timeout", `no answer from the J-Quants API within ${c.timeoutText}`, headers);
    return fail(log, 502, "upstream_unreachable", `could not reach ${UPSTREAM}, or it closed the connection without answering`, headers);
  }
  const status = upstream.status;
  const tooLarge = /* @__PURE__ */ __name(() => fail(log, 502, "upstream_error", `${UPSTREAM} answered with a body larger than 64 KiB`, headers), "tooLarge");
  if (Number(upstream.headers.get("Content-Length") ?? 0) > MAX_ANSWER) {
    upstream.body?.cancel().catch(() => {
    });
    return tooLarge();
  }
  let raw;
  try {
    raw = await readAtMost(upstream.body, MAX_ANSWER);
  } catch (e) {
    log.detail = String(e?.message ?? e);
    if (e?.name === "TimeoutError") return fail(log, 504, "timeout", `no answer from the J-Quants API within ${c.timeoutText}`, headers);
    return fail(log, 502, "upstream_error", `${UPSTREAM}'s answer (status ${status}) was cut off or could not be read`, headers);
  }
  if (raw === null) return tooLarge();
  const text = new TextDecoder().decode(raw);
  let answer;
  try {
    answer = text.trimStart().startsWith("{") ? JSON.parse(text) : void 0;
  } catch {
    answer = void 0;
  }
  if (status === 200) {
    const tok = answer?.refreshToken;
    if (typeof tok === "string" && tok !== "") {
      log.status = 200;
      return json(200, JSON.stringify({ refreshToken: tok }), headers);
    }
    const why = answer === void 0 ? "the answer is not a JSON object" : "the answer has no refreshToken";
    return fail(log, 502, "upstream_error", `${UPSTREAM} answered 200 without a usable refresh token: ${why}`, headers);
  }
  log.detail = `upstream status ${status}`;
  const message = typeof answer?.message === "string" ? truncateUTF8(answer.message, MAX_MESSAGE) : "";
  const retryAfter = parseRetryAfter(upstream.headers.get("Retry-After"));
  const pass = /* @__PURE__ */ __name((st, code, fallback) => fail(log, st, code, message || fallback, headers), "pass");
  switch (status) {
    case 400:
      return pass(400, "invalid_credentials", `${UPSTREAM} rejected the mail address or password`);
    case 403:
      return pass(403, "forbidden", `${UPSTREAM} refused the request`);
    case 500:
      return pass(500, "upstream_error", `${UPSTREAM} failed; try again later`);
    case 429: {
      const ra = retryAfter ?? RETRY_AFTER;
      headers["Retry-After"] = ra;
      return pass(429, "rate_limited", `${UPSTREAM} is rate limiting logins: try again in ${ra} seconds`);
    }
    case 404:
      return fail(log, 502, "endpoint_gone", `J-Quants retired its V1 API, ${PATH} included, on 2026-06-01 (it answered 404)`, headers);
    default:
      if (retryAfter !== null) headers["Retry-After"] = retryAfter;
      return fail(log, 502, "upstream_error", `${UPSTREAM} answered with unexpected status ${status}`, headers);
  }
}
__name(forward, "forward");
function parseRetryAfter(v) {
  if (v === null) return null;
  v = v.trim();
  let ms;
  if (/^\d+$/.test(v)) ms = Number(v) * 1e3;
  else {
    const t = Date.parse(v);
    if (Number.isNaN(t)) return null;
    ms = t - Date.now();
  }
  if (!(ms > 0) || ms > 24 * 3600 * 1e3) return null;
  return String(Math.max(1, Math.ceil(ms / 1e3)));
}
__name(parseRetryAfter, "parseRetryAfter");
function truncateUTF8(s, n) {
  const b = enc.encode(s);
  if (b.byteLength <= n) return s;
  let end = n;
  while (end > 0 && (b[end] & 192) === 128) end--;
  return new TextDecoder().decode(b.subarray(0, end));
}
__name(truncateUTF8, "truncateUTF8");
var cut = /* @__PURE__ */ __name((s, n) => s.length <= n ? s : `${s.slice(0, n)}\u2026`, "cut");
var worker_default = {
  async fetch(request, env) {
    const start = performance.now();
    const log = { status: 200, code: "", detail: "" };
    let response;
    try {
      response = await serve(request, env, log);
    } catch (e) {
      log.detail = `panic: ${String(e?.message ?? e)}`;
      response = fail(log, 500, "internal", "internal error in the proxy");
    }
    if (request.body !== null && !request.bodyUsed) request.body.cancel().catch(() => {
    });
    const origin = request.headers.get("Origin");
    let line = `proxy: method=${request.method} path=${JSON.stringify(cut(new URL(request.url).pathname, 200))} status=${log.status} duration=${(performance.now() - start).toFixed(3)}ms`;
    if (origin !== null) line += ` origin=${JSON.stringify(cut(origin, 200))}`;
    if (log.code) line += ` code=${log.code}`;
    if (log.detail) line += ` detail=${JSON.stringify(cut(log.detail, 300))}`;
    console.log(line);
    return response;
  }
};

// ../../node_modules/wrangler/templates/middleware/middleware-ensure-req-body-drained.ts
var drainBody = /* @__PURE__ */ __name(async (request, env, _ctx, middlewareCtx) => {
  try {
    return await middlewareCtx.next(request, env);
  } finally {
    try {
      if (request.body !== null && !request.bodyUsed) {
        const reader = request.body.getReader();
        while (!(await reader.read()).done) {
        }
      }
    } catch (e) {
      console.error("Failed to drain the unused request body.", e);
    }
  }
}, "drainBody");
var middleware_ensure_req_body_drained_default = drainBody;

// ../../node_modules/wrangler/templates/middleware/middleware-miniflare3-json-error.ts
function reduceError(e) {
  return {
    name: e?.name,
    message: e?.message ?? String(e),
    stack: e?.stack,
    cause: e?.cause === void 0 ? void 0 : reduceError(e.cause)
  };
}
__name(reduceError, "reduceError");
var jsonError = /* @__PURE__ */ __name(async (request, env, _ctx, middlewareCtx) => {
  try {
    return await middlewareCtx.next(request, env);
  } catch (e) {
    const error = reduceError(e);
    const body = JSON.stringify(error);
    const headers = {
      "Content-Type": "application/json",
      "MF-Experimental-Error-Stack": "true"
    };
    const encoded = encodeURIComponent(body);
    if (encoded.length <= 8192) {
      headers["MF-Experimental-Error-Stack-Payload"] = encoded;
    }
    return new Response(body, { status: 500, headers });
  }
}, "jsonError");
var middleware_miniflare3_json_error_default = jsonError;

// .wrangler/tmp/bundle-UVR6pU/middleware-insertion-facade.js
var __INTERNAL_WRANGLER_MIDDLEWARE__ = [
  middleware_ensure_req_body_drained_default,
  middleware_miniflare3_json_error_default
];
var middleware_insertion_facade_default = worker_default;

// ../../node_modules/wrangler/templates/middleware/common.ts
var __facade_middleware__ = [];
function __facade_register__(...args) {
  __facade_middleware__.push(...args.flat());
}
__name(__facade_register__, "__facade_register__");
function __facade_invokeChain__(request, env, ctx, dispatch, middlewareChain) {
  const [head, ...tail] = middlewareChain;
  const middlewareCtx = {
    dispatch,
    next(newRequest, newEnv) {
      return __facade_invokeChain__(newRequest, newEnv, ctx, dispatch, tail);
    }
  };
  return head(request, env, ctx, middlewareCtx);
}
__name(__facade_invokeChain__, "__facade_invokeChain__");
function __facade_invoke__(request, env, ctx, dispatch, finalMiddleware) {
  return __facade_invokeChain__(request, env, ctx, dispatch, [
    ...__facade_middleware__,
    finalMiddleware
  ]);
}
__name(__facade_invoke__, "__facade_invoke__");

// .wrangler/tmp/bundle-UVR6pU/middleware-loader.entry.ts
var __Facade_ScheduledController__ = class ___Facade_ScheduledController__ {
  constructor(scheduledTime, cron, noRetry) {
    this.scheduledTime = scheduledTime;
    this.cron = cron;
    this.#noRetry = noRetry;
  }
  scheduledTime;
  cron;
  static {
    __name(this, "__Facade_ScheduledController__");
  }
  #noRetry;
  noRetry() {
    if (!(this instanceof ___Facade_ScheduledController__)) {
      throw new TypeError("Illegal invocation");
    }
    this.#noRetry();
  }
};
function wrapExportedHandler(worker) {
  if (__INTERNAL_WRANGLER_MIDDLEWARE__ === void 0 || __INTERNAL_WRANGLER_MIDDLEWARE__.length === 0) {
    return worker;
  }
  for (const middleware of __INTERNAL_WRANGLER_MIDDLEWARE__) {
    __facade_register__(middleware);
  }
  const fetchDispatcher = /* @__PURE__ */ __name(function(request, env, ctx) {
    if (worker.fetch === void 0) {
      throw new Error("Handler does not export a fetch() function.");
    }
    return worker.fetch(request, env, ctx);
  }, "fetchDispatcher");
  return {
    ...worker,
    fetch(request, env, ctx) {
      const dispatcher = /* @__PURE__ */ __name(function(type, init) {
        if (type === "scheduled" && worker.scheduled !== void 0) {
          const controller = new __Facade_ScheduledController__(
            Date.now(),
            init.cron ?? "",
            () => {
            }
          );
          return worker.scheduled(controller, env, ctx);
        }
      }, "dispatcher");
      return __facade_invoke__(request, env, ctx, dispatcher, fetchDispatcher);
    }
  };
}
__name(wrapExportedHandler, "wrapExportedHandler");
function wrapWorkerEntrypoint(klass) {
  if (__INTERNAL_WRANGLER_MIDDLEWARE__ === void 0 || __INTERNAL_WRANGLER_MIDDLEWARE__.length === 0) {
    return klass;
  }
  for (const middleware of __INTERNAL_WRANGLER_MIDDLEWARE__) {
    __facade_register__(middleware);
  }
  return class extends klass {
    #fetchDispatcher = /* @__PURE__ */ __name((request, env, ctx) => {
      this.env = env;
      this.ctx = ctx;
      if (super.fetch === void 0) {
        throw new Error("Entrypoint class does not define a fetch() function.");
      }
      return super.fetch(request);
    }, "#fetchDispatcher");
    #dispatcher = /* @__PURE__ */ __name((type, init) => {
      if (type === "scheduled" && super.scheduled !== void 0) {
        const controller = new __Facade_ScheduledController__(
          Date.now(),
          init.cron ?? "",
          () => {
          }
        );
        return super.scheduled(controller);
      }
    }, "#dispatcher");
    fetch(request) {
      return __facade_invoke__(
        request,
        this.env,
        this.ctx,
        this.#dispatcher,
        this.#fetchDispatcher
      );
    }
  };
}
__name(wrapWorkerEntrypoint, "wrapWorkerEntrypoint");
var WRAPPED_ENTRY;
if (typeof middleware_insertion_facade_default === "object") {
  WRAPPED_ENTRY = wrapExportedHandler(middleware_insertion_facade_default);
} else if (typeof middleware_insertion_facade_default === "function") {
  WRAPPED_ENTRY = wrapWorkerEntrypoint(middleware_insertion_facade_default);
}
var middleware_loader_entry_default = WRAPPED_ENTRY;
export {
  __INTERNAL_WRANGLER_MIDDLEWARE__,
  middleware_loader_entry_default as default
};
//# sourceMappingURL=worker.js.map
