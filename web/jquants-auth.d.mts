// Types for jquants-auth.mjs: J-Quants tokens from the browser (or Node ≥ 20)
// through a CORS proxy, with the decisions made by Go compiled to
// WebAssembly. TypeScript finds this file for "./jquants-auth.mjs" (a .mjs
// module's types live in the matching .d.mts).

/** Options of {@link load}. Only the first call's options count. */
export interface LoadOptions {
  /** The module. Default: `new URL("./jquants-auth.wasm", import.meta.url)`.
   *  A `file:` URL is read from disk (Node). */
  wasmURL?: string | URL;
  /** Go's wasm_exec.js (a classic script defining `globalThis.Go`), loaded
   *  only if `globalThis.Go` is not yet defined.
   *  Default: `new URL("./wasm_exec.js", import.meta.url)`. */
  wasmExecURL?: string | URL;
}

/** Options of {@link JQuantsAuth.authUser} and {@link JQuantsAuth.authRefresh}. */
export interface CallOptions {
  /** The proxy: scheme, host, optional port and path prefix; no query,
   *  fragment or user info. The request goes to
   *  `${baseURL}/v1/token/auth_user` or `…/auth_refresh` (a trailing slash
   *  is ignored). Default: `location.origin`, the page's own origin; where
   *  there is none (Node), the J-Quants API. */
  baseURL?: string | URL;
  /** Bound on the whole call, retries and waits included, in milliseconds
   *  (1 to 600000). Default 10000. */
  timeoutMs?: number;
  /** Aborting it rejects the call with code `"canceled"`. */
  signal?: AbortSignal;
}

/** What {@link JQuantsAuth.authUser} yields. */
export interface AuthUserResult {
  /** The refresh token. Treat it as a secret. */
  refreshToken: string;
  /** When the token was received: ISO 8601 UTC with milliseconds,
   *  as `Date.prototype.toISOString` writes it. */
  issuedAt: string;
  /** `issuedAt` plus 7 days, the refresh token's lifetime, in the same form. */
  expiresAt: string;
}

/** What {@link JQuantsAuth.authRefresh} yields. */
export interface AuthRefreshResult {
  /** The ID token, for the J-Quants data API. Treat it as a secret. */
  idToken: string;
  /** When the token was received (ISO 8601 UTC with milliseconds). */
  issuedAt: string;
  /** `issuedAt` plus 24 hours, the ID token's lifetime. */
  expiresAt: string;
}

/** The codes an {@link AuthError} carries. */
export type AuthErrorCode =
  /** The arguments are unusable (e.g. no `@` in the mail address, empty
   *  password or refresh token, bad `baseURL`); nothing was sent. status 0. */
  | "invalid_input"
  /** 400: the mail address and password, or the refresh token, are incorrect. */
  | "invalid_credentials"
  /** 403. */
  | "forbidden"
  /** 429; see `retryAfter`. */
  | "rate_limited"
  /** 500, 502, 503, 504 (after retries), any other unexpected status, or a
   *  200 without a usable token. */
  | "upstream_error"
  /** The V1 endpoint no longer exists upstream (J-Quants retired it). */
  | "endpoint_gone"
  /** No answer within `timeoutMs` (status 0), or the proxy's own upstream
   *  timeout (504). */
  | "timeout"
  /** No HTTP answer: the proxy could not be reached, it redirected, or the
   *  browser refused its answer (CORS). Browsers do not tell these apart.
   *  status 0. */
  | "network"
  /** `signal` was aborted. status 0. */
  | "canceled"
  /** The WebAssembly module failed (a bug); reload the page. status 0. */
  | "internal";

/** How the calls reject: an `Error` with these fields. */
export interface AuthError extends Error {
  name: "JQuantsAuthError";
  /** A stable code. The proxy's own codes (e.g. `"upstream_unreachable"`,
   *  `"origin_not_allowed"`) are passed on as they are. */
  code: AuthErrorCode | (string & {});
  /** The HTTP status of the answer; 0 when there was no HTTP answer. */
  status: number;
  /** One sentence: the server's own message when it sent one, else the
   *  code's description. Never the password or a token. */
  message: string;
  /** Seconds to wait before trying again, when a 429 or 503 said
   *  (Retry-After; the proxy must expose that header to CORS). */
  retryAfter?: number;
}

/** The loaded module. */
export interface JQuantsAuth {
  /** Logs in: POST `{"mailaddress","password"}` to
   *  `${baseURL}/v1/token/auth_user`. Retries 500/502/503/504 and network
   *  failures twice, waiting as Retry-After says or backing off; never 4xx.
   *  Resolves to the refresh token, rejects with an {@link AuthError}. */
  authUser(mailaddress: string, password: string, options?: CallOptions): Promise<AuthUserResult>;
  /** Gets an ID token: POST `{"refreshtoken"}` (JSON, so the token stays
   *  out of URLs) to `${baseURL}/v1/token/auth_refresh`, the proxy's shape;
   *  to the J-Quants API itself (no baseURL and no page origin, as in Node)
   *  the token goes in the query, as J-Quants' contract says. Retries as {@link authUser} does. Resolves to the ID token, rejects
   *  with an {@link AuthError}. */
  authRefresh(refreshToken: string, options?: CallOptions): Promise<AuthRefreshResult>;
}

/** Loads jquants-auth.wasm once (the promise is memoised; a failed load may
 *  be retried). Rejects with a plain `Error` if the module cannot be loaded
 *  or started. */
export function load(options?: LoadOptions): Promise<JQuantsAuth>;
