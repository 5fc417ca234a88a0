// The yardstick for `make bench`: the proxy's contract (proxy/ package) in
// plain JavaScript on the same workerd. Not shipped; kept only to measure the
// Go Worker against, so it does the same work per request:
//   * POST /v1/token/auth_user ({"mailaddress","password"}) and
//     /v1/token/auth_refresh (?refreshtoken=… or {"refreshtoken"});
//   * GET /v2/<documented path>?<query> with x-api-key, as proxy/v2.go: the
//     key and query checked (403 as J-Quants with no key, 400), the API
//     limiter, then J-Quants' answer passed through as it streams (its
//     status if documented, Content-Type, Retry-After; gzip undone unless
//     the caller takes it, then passed as it came);
//   * one fixed upstream, checked once per isolate like proxy.New does
//     (https, or http to a loopback host; no path, query or user info);
//     redirects are never followed (the password must not go elsewhere);
//   * exact-origin CORS: the configured origins, normalised, plus the
//     Worker's own; other origins 403 on every method; preflights as rs/cors;
//   * the same checks in the same order: config, path (404), Origin (403),
//     preflight (204), method (405), Content-Type (415: JSON, text/plain or
//     none), size (413), body (400: UTF-8, JSON object, duplicate fields,
//     string fields, auth.NewCredentials' rules), rate limit (429, when on
//     and bound);
//   * Cache-Control: no-store and X-Content-Type-Options: nosniff on every
//     answer; an upstream timeout (AbortSignal.timeout) answering 504; an
//     upstream answer of at most 64 KiB; J-Quants' statuses mapped as
//     auth.DecodeAnswer + proxy.answer do;
//   * one log line per request through console.log, like the Go proxy's.
const PATH = "/v1/token/auth_user";
const REFRESH_PATH = "/v1/token/auth_refresh";
const MAX_REFRESH_TOKEN = 3072;
const MAX_BODY = 4 << 10;
const MAX_ANSWER = 64 << 10;
const MAX_MESSAGE = 512;
const DEFAULT_BASE = "https://api.jquants.com";
const DEFAULT_ORIGINS = "http://localhost:8787,http://127.0.0.1:8787";
const DEFAULT_TIMEOUT_MS = 10000;
const DEFAULT_V2_TIMEOUT_MS = 30000;
const DEFAULT_BODY_READ_MS = 30000;
const MAX_TIMEOUT_MS = 5 * 60 * 1000;
const V2_PREFIX = "/v2";
const MAX_API_KEY = 256;
const MAX_QUERY = 4096; // auth.MaxQueryBytes
const ALLOW_V2 = "GET, OPTIONS";
// auth's table of the documented V2 endpoints.
const V2_PATHS = new Set([
  "/equities/master", "/equities/bars/daily", "/equities/bars/daily/am", "/equities/bars/minute",
  "/equities/earnings-calendar", "/equities/investor-types", "/fins/summary", "/fins/details", "/fins/dividend",
  "/markets/calendar", "/markets/breakdown", "/markets/margin-interest", "/markets/margin-alert",
  "/markets/short-ratio", "/markets/short-sale-report", "/indices/bars/daily", "/indices/bars/daily/topix",
  "/derivatives/bars/daily/futures", "/derivatives/bars/daily/options", "/derivatives/bars/daily/options/225",
  "/bulk/list", "/bulk/get",
]);
// The documented statuses J-Quants' V2 answers pass through with (and any 5xx).
const V2_STATUSES = new Set([200, 210, 400, 403, 404, 429]);
const RETRY_AFTER = "60";
const UPSTREAM = "the J-Quants API";
const ALLOW = "OPTIONS, POST";
const enc = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });

// ---- configuration, compiled once per env object (proxy.New) -------------

const compiledFor = new WeakMap();

function config(env) {
  let c = compiledFor.get(env);
  if (c === undefined) {
    c = compile(env);
    compiledFor.set(env, c);
    if (c.error) console.log(`jquants-auth: configuration error: ${c.error}`);
  }
  return c;
}

function compile(env) {
  const errs = [];
  const c = {
    base: "", origins: new Set(), timeoutMs: DEFAULT_TIMEOUT_MS, timeoutText: "10s", v2TimeoutMs: DEFAULT_V2_TIMEOUT_MS, v2TimeoutText: "30s",
    bodyReadMs: DEFAULT_BODY_READ_MS, limiter: null, apiLimiter: null, error: "",
  };
  const base = checkBaseURL(String(env.JQUANTS_API_BASE_URL ?? "").trim(), errs);
  c.base = base;

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
      c.timeoutMs = c.v2TimeoutMs = ms;
      c.timeoutText = c.v2TimeoutText = t;
    }
  }
  const b = String(env.BODY_READ_TIMEOUT ?? "").trim();
  if (b !== "") {
    const ms = parseGoDuration(b);
    if (!(ms > 0)) errs.push(`BODY_READ_TIMEOUT=${JSON.stringify(b)}: want a positive Go duration such as "30s"`);
    else if (ms > MAX_TIMEOUT_MS) errs.push(`BodyReadTimeout (BODY_READ_TIMEOUT) ${b}: want more than 0 and at most 5m0s`);
    else c.bodyReadMs = ms;
  }

  const rl = String(env.LOGIN_RATE_LIMIT ?? "").trim().toLowerCase();
  if (rl !== "" && rl !== "on" && rl !== "off") errs.push(`LOGIN_RATE_LIMIT=${JSON.stringify(rl)}: want "on" or "off"`);
  if (rl !== "off" && env.LOGIN_LIMITER && typeof env.LOGIN_LIMITER.limit === "function") c.limiter = env.LOGIN_LIMITER;
  const al = String(env.API_RATE_LIMIT ?? "").trim().toLowerCase();
  if (al !== "" && al !== "on" && al !== "off") errs.push(`API_RATE_LIMIT=${JSON.stringify(al)}: want "on" or "off"`);
  if (al !== "off" && env.API_LIMITER && typeof env.API_LIMITER.limit === "function") c.apiLimiter = env.API_LIMITER;
  c.error = errs.join("; ");
  return c;
}

function checkBaseURL(s, errs) {
  if (s === "") return DEFAULT_BASE;
  const bad = (why) => {
    errs.push(`BaseURL (JQUANTS_API_BASE_URL) ${why}`);
    return DEFAULT_BASE;
  };
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

function isLoopback(host) {
  return host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]";
}

function normalizeOrigin(o, errs) {
  let s = o.trim().toLowerCase();
  if (s.endsWith("/")) s = s.slice(0, -1);
  const bad = (why) => {
    errs.push(`allowed origin ${JSON.stringify(o)} (ALLOWED_ORIGINS) ${why}`);
    return "";
  };
  if (s.includes("*")) return bad("has a wildcard: list exact origins");
  const m = /^(https?):\/\/([^/?#@\s]+)$/.exec(s);
  if (!m) return bad("must be scheme://host[:port] with nothing else");
  let host = m[2];
  if ((m[1] === "http" && host.endsWith(":80")) || (m[1] === "https" && host.endsWith(":443"))) host = host.slice(0, host.lastIndexOf(":"));
  else if (host.endsWith(":")) return bad("has an empty port");
  return `${m[1]}://${host}`;
}

// parseGoDuration parses Go's time.ParseDuration syntax into milliseconds (NaN if invalid).
const UNIT_MS = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
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

// ---- answers (proxy/respond.go) -------------------------------------------

function json(status, body, headers) {
  headers["Content-Type"] = "application/json; charset=utf-8";
  headers["Cache-Control"] = "no-store";
  headers["X-Content-Type-Options"] = "nosniff";
  if (headers.Vary === undefined) headers.Vary = "Origin";
  return new Response(body, { status, headers });
}

function fail(log, status, code, message, headers = {}) {
  log.status = status;
  log.code = code;
  return json(status, JSON.stringify({ message, code }), headers);
}

// ---- the handler (proxy/proxy.go) -----------------------------------------

async function serve(request, env, log) {
  const c = config(env);
  if (c.error) {
    log.detail = c.error;
    return fail(log, 500, "misconfigured", `the proxy is misconfigured: ${c.error}`);
  }
  const url = new URL(request.url);
  const refresh = url.pathname === REFRESH_PATH;
  const v2 = url.pathname.startsWith(V2_PREFIX + "/") && V2_PATHS.has(url.pathname.slice(V2_PREFIX.length));
  if (url.pathname !== PATH && !refresh && !v2) return fail(log, 404, "not_found", `not found: the proxy serves POST ${PATH}, POST ${REFRESH_PATH} and GET /v2/<documented path>`);

  const origin = request.headers.get("Origin");
  const allowed = origin === null || originAllowed(c, url, request, origin);
  if (!allowed) return fail(log, 403, "origin_not_allowed", "this origin may not use the proxy: add it to ALLOWED_ORIGINS");

  const method = request.method;
  if (method === "OPTIONS" && request.headers.has("Access-Control-Request-Method")) return preflight(request, origin, log, v2);
  if (v2) return serveV2(c, request, url, origin, log);
  // rs/cors' actual-request headers: Vary always, Allow-Origin for allowed methods.
  const headers = { Vary: "Origin" };
  if (origin !== null && (method === "POST" || method === "OPTIONS")) {
    headers["Access-Control-Allow-Origin"] = origin;
    headers["Access-Control-Expose-Headers"] = "Retry-After"; // a page reads it on a 429
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
    return fail(log, 415, "unsupported_media_type", "the body must be JSON: send Content-Type: application/json", headers);
  }
  const tooLarge = () => fail(log, 413, "body_too_large", "the body is larger than 4 KiB", headers);
  if (Number(request.headers.get("Content-Length") ?? 0) > MAX_BODY) return tooLarge();
  let raw;
  try {
    raw = await readBody(request.body, c.bodyReadMs);
  } catch (e) {
    log.detail = String(e?.message ?? e);
    return fail(log, 400, "invalid_input", "the body could not be read", headers);
  }
  if (raw === null) return tooLarge();

  if (refresh) {
    const token = refreshToken(url, raw);
    if (token.problem) return fail(log, 400, "invalid_input", token.problem, headers);
    return forward(c, `${c.base}${REFRESH_PATH}?refreshtoken=${encodeURIComponent(token.value)}`, null, "idToken", headers, log, request.signal);
  }
  const input = parseBody(raw, ["mailaddress", "password"]);
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
  return forward(c, c.base + PATH, enc.encode(JSON.stringify({ mailaddress: mail, password: input.password })), "refreshToken", headers, log, request.signal);
}

// refreshToken takes the token from the query (J-Quants' shape) or the body.
function refreshToken(url, raw) {
  const q = url.searchParams.getAll("refreshtoken");
  let value;
  if (q.length > 1) return { problem: "the query parameter refreshtoken appears twice" };
  if (q.length === 1) {
    if (raw.byteLength > 0) return { problem: "send the refresh token in the query or in the body, not both" };
    value = q[0];
  } else {
    const input = parseBody(raw, ["refreshtoken"]);
    if (typeof input === "string") return { problem: input };
    value = input.refreshtoken;
  }
  if (value === "") return { problem: "refreshtoken is required" };
  if (value.length > MAX_REFRESH_TOKEN) return { problem: `refreshtoken is longer than ${MAX_REFRESH_TOKEN} bytes` };
  if (!/^[\x21-\x7e]+$/.test(value)) return { problem: "refreshtoken must be visible ASCII characters only" };
  return { value };
}

function originAllowed(c, url, request, origin) {
  if (c.origins.has(origin)) return true;
  const i = origin.indexOf("://");
  if (i < 0) return false;
  const host = request.headers.get("Host") ?? url.host;
  return origin.slice(0, i) + ":" === url.protocol && i + 3 < origin.length && origin.slice(i + 3).toLowerCase() === host.toLowerCase();
}

function preflight(request, origin, log, v2) {
  log.status = 204;
  const headers = {
    Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  };
  const method = request.headers.get("Access-Control-Request-Method");
  const asked = request.headers.get("Access-Control-Request-Headers");
  const allowed = v2 ? ["", "x-api-key", "accept"] : ["", "content-type", "origin"];
  const headersOK = asked === null || asked.split(",").every((h) => allowed.includes(h.trim().toLowerCase()));
  if (origin !== null && (v2 ? method === "GET" : method === "POST" || method === "OPTIONS") && headersOK) {
    headers["Access-Control-Allow-Origin"] = origin;
    headers["Access-Control-Allow-Methods"] = method;
    if (asked) headers["Access-Control-Allow-Headers"] = asked;
    headers["Access-Control-Max-Age"] = "600";
  }
  return new Response(null, { status: 204, headers });
}

// isJSONType: application/json, text/plain or none, with no charset but utf-8.
function isJSONType(v) {
  if (v === null) return true;
  if (v.includes(",")) return false; // several Content-Type values
  const parts = v.split(";");
  const type = parts[0].trim().toLowerCase();
  if (type !== "application/json" && type !== "text/plain") return false;
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

// readBody is readAtMost within ms: a stalled upload is answered, not
// waited on for ever.
async function readBody(stream, ms) {
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    reader.cancel().catch(() => {});
  }, ms);
  try {
    const body = await readAtMost(reader, MAX_BODY);
    if (late) throw new Error(`the body did not come within ${ms} ms`);
    return body;
  } finally {
    clearTimeout(timer);
  }
}

// readAtMost returns the bytes reader gives, or null when there are more than max.
async function readAtMost(reader, max) {
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      reader.cancel().catch(() => {});
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

// parseBody returns the object with string fields keys, or a message (proxy.bodyFields).
function parseBody(raw, keys) {
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
  if (body === null || typeof body !== "object" || Array.isArray(body)) return `the body must be a JSON object with string fields ${keys.join(" and ")}`;
  const dup = duplicateKey(text);
  if (dup !== null) {
    return keys.includes(dup) ? `the field ${dup} appears twice` : "a field appears twice in the body";
  }
  for (const key of keys) {
    if (!Object.hasOwn(body, key)) return `the field ${key} is missing`;
    if (typeof body[key] !== "string") return `the field ${key} must be a string`;
  }
  return body;
}

// duplicateKey returns the first key that appears twice in the top-level
// object of text (valid JSON), or null. JSON.parse keeps only the last.
function duplicateKey(text) {
  const seen = new Set();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1));
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      depth++;
      expectKey = depth === 1;
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--;
    } else if (ch === 0x2c /* , */ && depth === 1) {
      expectKey = true;
    }
  }
  return null;
}

// checkCredentials: auth.NewCredentials' rules (mail already trimmed).
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

// stopper aborts its signal after ms, or when the caller leaves; why()
// says which ("" while neither).
function stopper(ms, gone) {
  const stop = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, ms);
  const leave = () => stop.abort();
  gone.addEventListener("abort", leave);
  if (gone.aborted) stop.abort();
  return {
    signal: stop.signal,
    why: () => (gone.aborted ? "canceled" : timedOut ? "timeout" : ""),
    done() {
      clearTimeout(timer);
      gone.removeEventListener("abort", leave);
    },
  };
}

function forward(c, url, body, field, headers, log, gone) {
  const stop = stopper(c.timeoutMs, gone);
  return forwardWith(c, url, body, field, headers, log, stop).finally(stop.done);
}

async function forwardWith(c, url, body, field, headers, log, stop) {
  const failed = (e, fallback) => {
    log.detail = String(e?.message ?? e);
    const why = stop.why();
    if (why === "canceled") return fail(log, 499, "canceled", "the request was canceled", headers);
    if (why === "timeout") return fail(log, 504, "timeout", `no answer from the J-Quants API within ${c.timeoutText}`, headers);
    return fallback();
  };
  let upstream;
  try {
    upstream = await fetch(url, {
      method: "POST",
      headers: body === null ? { Accept: "application/json" } : { "Content-Type": "application/json", Accept: "application/json" },
      body,
      redirect: "manual",
      signal: stop.signal,
    });
  } catch (e) {
    return failed(e, () => fail(log, 502, "upstream_unreachable", `could not reach ${UPSTREAM}, or it closed the connection without answering`, headers));
  }
  const status = upstream.status;
  const tooLarge = () => fail(log, 502, "upstream_error", `${UPSTREAM} answered with a body larger than 64 KiB`, headers);
  if (Number(upstream.headers.get("Content-Length") ?? 0) > MAX_ANSWER) {
    upstream.body?.cancel().catch(() => {});
    return tooLarge();
  }
  let raw = new Uint8Array(0);
  try {
    if (upstream.body !== null) raw = await readAtMost(upstream.body.getReader(), MAX_ANSWER);
  } catch (e) {
    return failed(e, () => fail(log, 502, "upstream_error", `${UPSTREAM}'s answer (status ${status}) was cut off or could not be read`, headers));
  }
  if (raw === null) return tooLarge();
  const text = new TextDecoder().decode(raw);
  let answer;
  try {
    answer = text.trimStart().startsWith("{") ? JSON.parse(text) : undefined;
  } catch {
    answer = undefined;
  }
  if (status === 200) {
    const tok = answer?.[field];
    if (typeof tok === "string" && tok !== "") {
      log.status = 200;
      return json(200, JSON.stringify({ [field]: tok }), headers);
    }
    const why = answer === undefined ? "the answer is not a JSON object" : `the answer has no ${field}`;
    const what = field === "idToken" ? "ID token" : "refresh token";
    return fail(log, 502, "upstream_error", `${UPSTREAM} answered 200 without a usable ${what}: ${why}`, headers);
  }
  log.detail = `upstream status ${status}`;
  const message = typeof answer?.message === "string" ? truncateUTF8(answer.message, MAX_MESSAGE) : "";
  const retryAfter = parseRetryAfter(upstream.headers.get("Retry-After"));
  const pass = (st, code, fallback) => fail(log, st, code, message || fallback, headers);
  switch (status) {
    case 400:
      return pass(400, "invalid_credentials", field === "idToken" ? `${UPSTREAM} rejected the refresh token: it is incorrect or expired` : `${UPSTREAM} rejected the mail address or password`);
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
      return fail(log, 502, "endpoint_gone", `J-Quants retired its V1 API, ${new URL(url).pathname} included, on 2026-06-01 (it answered 404)`, headers);
    default:
      if (retryAfter !== null) headers["Retry-After"] = retryAfter;
      return fail(log, 502, "upstream_error", `${UPSTREAM} answered with unexpected status ${status}`, headers);
  }
}

// ---- V2 (proxy/v2.go) ------------------------------------------------------

async function serveV2(c, request, url, origin, log) {
  const method = request.method;
  const headers = { Vary: "Origin" };
  if (method === "OPTIONS" || method !== "GET") {
    headers.Allow = ALLOW_V2;
    if (method === "OPTIONS") {
      log.status = 204;
      headers["Cache-Control"] = "no-store";
      headers["X-Content-Type-Options"] = "nosniff";
      return new Response(null, { status: 204, headers });
    }
    return fail(log, 405, "method_not_allowed", "method not allowed: the V2 API takes GET", headers);
  }
  if (origin !== null) {
    headers["Access-Control-Allow-Origin"] = origin;
    headers["Access-Control-Expose-Headers"] = "Retry-After";
  }
  const key = (request.headers.get("x-api-key") ?? "").trim();
  if (key === "") return fail(log, 403, "key_required", "The api key is required.", headers);
  const keyProblem = key.length > MAX_API_KEY ? `is longer than ${MAX_API_KEY} bytes` : /^[\x21-\x7e]+$/.test(key) ? "" : "must be visible ASCII characters only";
  if (keyProblem) return fail(log, 400, "invalid_input", `the x-api-key header ${keyProblem}`, headers);
  const query = url.search.slice(1);
  const queryProblem = checkQuery(query);
  if (queryProblem) return fail(log, 400, "invalid_input", `the query ${queryProblem}`, headers);

  if (c.apiLimiter) {
    try {
      const { success } = await c.apiLimiter.limit({ key: request.headers.get("CF-Connecting-IP")?.trim() ?? "" });
      if (!success) {
        headers["Retry-After"] = RETRY_AFTER;
        headers.Vary = "Origin, Accept-Encoding";
        return fail(log, 429, "rate_limited", `too many requests from this address: try again in ${RETRY_AFTER} seconds`, headers);
      }
    } catch (e) {
      log.detail = `limiter failed, the request went through: ${String(e)}`;
    }
  }
  const gzip = acceptsGzip(request.headers.get("Accept-Encoding") ?? "");
  const up = { "x-api-key": key, Accept: "application/json" };
  if (gzip) up["Accept-Encoding"] = "gzip";
  const init = { headers: up, redirect: "manual" };
  if (gzip) init.encodeResponseBody = "manual";
  const stop = stopper(c.v2TimeoutMs, request.signal);
  init.signal = stop.signal;
  headers.Vary = "Origin, Accept-Encoding";
  let res;
  try {
    res = await fetch(`${c.base}${url.pathname}${query === "" ? "" : "?" + query}`, init);
  } catch (e) {
    log.detail = String(e?.message ?? e);
    const why = stop.why();
    if (why === "canceled") return fail(log, 499, "canceled", "the request was canceled", headers);
    if (why === "timeout") return fail(log, 504, "timeout", `no answer from the J-Quants API within ${c.v2TimeoutText}`, headers);
    return fail(log, 502, "upstream_unreachable", `could not reach ${UPSTREAM}, or it closed the connection without answering`, headers);
  } finally {
    stop.done();
  }
  const status = res.status;
  if (!V2_STATUSES.has(status) && !(status >= 500 && status <= 599)) {
    res.body?.cancel().catch(() => {});
    return fail(log, 502, "upstream_error", `${UPSTREAM} answered with unexpected status ${status}`, headers);
  }
  headers["Cache-Control"] = "no-store";
  headers["X-Content-Type-Options"] = "nosniff";
  for (const name of gzip ? ["Content-Type", "Content-Encoding", "Content-Length", "Retry-After"] : ["Content-Type", "Retry-After"]) {
    const v = res.headers.get(name);
    if (v) headers[name] = v;
  }
  log.status = status;
  // J-Quants' body as it came: never read here, nor decoded and encoded again.
  return new Response(res.body, { status, headers, encodeBody: "manual" });
}

// acceptsGzip: gzip (or x-gzip) with a q-value above 0.
function acceptsGzip(v) {
  for (const part of v.split(",")) {
    const [coding, ...params] = part.split(";");
    const c = coding.trim().toLowerCase();
    if (c !== "gzip" && c !== "x-gzip") continue;
    const q = params.join(";").replaceAll(" ", "").trim();
    return !q.startsWith("q=") || q.slice(2).replace(/^[0.]+|[0.]+$/g, "") !== "";
  }
  return false;
}

// checkQuery: auth.CheckQuery's rules; the problem, or "".
function checkQuery(raw) {
  if (raw.length > MAX_QUERY) return `is longer than ${MAX_QUERY} bytes`;
  if (raw === "") return "";
  let n = 0;
  for (const pair of raw.split("&")) {
    const at = ` (parameter ${++n})`;
    const eq = pair.indexOf("=");
    if (eq <= 0) return `must be name=value pairs joined by &${at}`;
    if (!/^[A-Za-z0-9_]+$/.test(pair.slice(0, eq))) return `parameter names are letters, digits and _${at}`;
    const value = pair.slice(eq + 1);
    if (/[^\x21-\x7e]|#/.test(value)) return `values must be visible ASCII, percent-encoded where needed${at}`;
    if (/%(?![0-9A-Fa-f]{2})/.test(value)) return `a value has a malformed percent escape${at}`;
    let text;
    try {
      text = utf8.decode(Uint8Array.from(unescape(value.replaceAll("+", " ")), (ch) => ch.charCodeAt(0)));
    } catch {
      return `values must decode to UTF-8 text${at}`;
    }
    if (/[\x00-\x1f\x7f-\x9f]/.test(text)) return `values must not hold control characters${at}`;
  }
  return "";
}

// parseRetryAfter: whole seconds (rounded up, at least 1) of a delay up to 24 h, or null.
function parseRetryAfter(v) {
  if (v === null) return null;
  v = v.trim();
  let ms;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const t = Date.parse(v);
    if (Number.isNaN(t)) return null;
    ms = t - Date.now();
  }
  if (!(ms > 0) || ms > 24 * 3600 * 1000) return null;
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

function truncateUTF8(s, n) {
  const b = enc.encode(s);
  if (b.byteLength <= n) return s;
  let end = n;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(b.subarray(0, end));
}

const cut = (s, n) => (s.length <= n ? s : `${s.slice(0, n)}…`);

export default {
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
    // Cancel what was left unread, as the Go proxy closes the body: a
    // refused upload is then not read to the end before the answer leaves.
    if (request.body !== null && !request.bodyUsed) request.body.cancel().catch(() => {});
    // One line per request, as proxy.Handler.logRequest writes it.
    const origin = request.headers.get("Origin");
    let line = `proxy: method=${request.method} path=${JSON.stringify(cut(new URL(request.url).pathname, 200))} status=${log.status} duration=${(performance.now() - start).toFixed(3)}ms`;
    if (origin !== null) line += ` origin=${JSON.stringify(cut(origin, 200))}`;
    if (log.code) line += ` code=${log.code}`;
    if (log.detail) line += ` detail=${JSON.stringify(cut(log.detail, 300))}`;
    console.log(line);
    return response;
  },
};
