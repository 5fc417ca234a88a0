// Types for jquants-auth.mjs: a J-Quants refresh token from the browser,
// through a CORS proxy, with the login done in Go compiled to WebAssembly.

/** Options of {@link load}. Only the first call's options count. */
export interface LoadOptions {
  /** The module. Default: `new URL("./jquants-auth.wasm", import.meta.url)`. */
  wasmURL?: string | URL;
  /** Go's wasm_exec.js (a classic script defining `globalThis.Go`), loaded
   *  only if `globalThis.Go` is not yet defined.
   *  Default: `new URL("./wasm_exec.js", import.meta.url)`. */
  wasmExecURL?: string | URL;
}

/** Options of {@link JQuantsAuth.authUser}. */
export interface AuthUserOptions {
  /** The proxy: scheme, host, optional port and path prefix; no query,
   *  fragment or user info. The request goes to
   *  `${baseURL}/v1/token/auth_user` (a trailing slash is ignored).
   *  Default: `location.origin`, the page's own origin. */
  baseURL?: string | URL;
  /** Bound on the whole call, retries included, in milliseconds (1 to
   *  600000). Default 10000. */
  timeoutMs?: number;
  /** Aborting it rejects the call with code `"canceled"`. */
  signal?: AbortSignal;
}

/** What a successful login yields. */
export interface AuthUserResult {
  /** The refresh token. Treat it as a secret. */
  refreshToken: string;
  /** When the token was received: ISO 8601 UTC with milliseconds,
   *  as `Date.prototype.toISOString` writes it. */
  issuedAt: string;
  /** `issuedAt` plus 7 days, the token's lifetime, in the same form. */
  expiresAt: string;
}

/** The codes an {@link AuthError} carries. */
export type AuthErrorCode =
  /** The arguments are unusable (e.g. no `@` in the mail address, empty
   *  password, bad `baseURL`); nothing was sent. status 0. */
  | "invalid_input"
  /** 400: the mail address or password is incorrect. */
  | "invalid_credentials"
  /** 403. */
  | "forbidden"
  /** 429 from the proxy; see `retryAfter`. */
  | "rate_limited"
  /** 500, 502, 503, 504 (after retries), any other unexpected status, or a
   *  200 without a usable token. */
  | "upstream_error"
  /** 404: the V1 endpoint no longer exists upstream. */
  | "endpoint_gone"
  /** No answer within `timeoutMs`. status 0. */
  | "timeout"
  /** No HTTP answer: the proxy could not be reached, or the browser refused
   *  its answer (CORS). Browsers do not tell these apart. status 0. */
  | "network"
  /** `signal` was aborted. status 0. */
  | "canceled"
  /** The WebAssembly module stopped (a bug); reload the page. status 0. */
  | "internal";

/** How {@link JQuantsAuth.authUser} rejects: an `Error` with these fields. */
export interface AuthError extends Error {
  name: "JQuantsAuthError";
  /** A stable code. A proxy may send codes of its own, passed on as is. */
  code: AuthErrorCode | (string & {});
  /** The HTTP status of the answer; 0 when there was no HTTP answer. */
  status: number;
  /** Plain words for developers; never the password or the token. Show
   *  users text chosen by `code`. */
  message: string;
  /** Seconds to wait before trying again, when the answer said
   *  (Retry-After; the proxy must expose that header to CORS). */
  retryAfter?: number;
}

/** The loaded module. */
export interface JQuantsAuth {
  /** Logs in: POST `{"mailaddress","password"}` to
   *  `${baseURL}/v1/token/auth_user`. Retries 500/502/503/504 and network
   *  failures twice; never 4xx. Resolves to the token, rejects with an
   *  {@link AuthError}. */
  authUser(mailaddress: string, password: string, options?: AuthUserOptions): Promise<AuthUserResult>;
}

/** Loads jquants-auth.wasm once per page (the promise is memoised; a failed
 *  load may be retried). Rejects with a plain `Error` if the module cannot be
 *  fetched or started. */
export function load(options?: LoadOptions): Promise<JQuantsAuth>;
