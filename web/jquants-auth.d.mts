// Types for jquants-auth.mjs: the J-Quants API V2 with an API key (and the
// retired V1 login) from the browser (or Node ≥ 20) through a CORS proxy,
// with the decisions made by Go compiled to WebAssembly. TypeScript finds this file for "./jquants-auth.mjs" (a .mjs
// module's types live in the matching .d.mts).

/** Options of {@link load}. Only the first call's options count. */
export interface LoadOptions {
  /** The module. Default: the one built beside this file,
   *  `new URL("./jquants-auth.<content hash>.wasm", import.meta.url)`
   *  (`make web` writes its name in). A `file:` URL is read from disk (Node). */
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
   *  password, refresh token or API key, bad `baseURL`, an undocumented V2
   *  path, a bad query or plan); nothing was sent. status 0. V2: also a 400
   *  from J-Quants for the query's parameters (e.g. neither code nor date). */
  | "invalid_input"
  /** 400: the mail address and password, or the refresh token, are incorrect. */
  | "invalid_credentials"
  /** 403 (V1; V2: a 403 whose message is none of the four below). */
  | "forbidden"
  /** V2 403: no API key was sent. */
  | "key_required"
  /** V2 403: the API key is wrong, or was deleted or re-issued. */
  | "key_invalid"
  /** V2 403: the plan does not include this endpoint. */
  | "not_on_plan"
  /** V2 403: no such endpoint (or method). */
  | "no_such_endpoint"
  /** V2 400: a date outside the plan's window; see `from` and `to`. */
  | "outside_plan_dates"
  /** 429; see `retryAfter` (V2: at least 60 s, as J-Quants asks). */
  | "rate_limited"
  /** 500, 502, 503, 504 (after retries), any other unexpected status, a
   *  200 without a usable token, or (V2) a 200 that is not a page or a page
   *  over 16 MiB. */
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
   *  (Retry-After; the proxy must expose that header to CORS). A V2 429
   *  always has it, at least 60. */
  retryAfter?: number;
  /** Code `"outside_plan_dates"`: the first day the plan covers, as
   *  J-Quants said it (`"2024-03-21"`). */
  from?: string;
  /** Code `"outside_plan_dates"`: the last day the plan covers, or null
   *  when the window has no end (the paid plans). */
  to?: string | null;
}

/** The same error by the name it carries. */
export type JQuantsAuthError = AuthError;

/** A J-Quants plan; it sets the pace (requests a minute per key): free 5,
 *  light 60, standard 120, premium 500; `/fins/summary` and `/fins/details`
 *  at most 60 on every plan. */
export type Plan = "free" | "light" | "standard" | "premium";

/** The V2 data endpoints J-Quants documents, as {@link JQuantsAuth.get}
 *  takes them. */
export type V2Path =
  | "/equities/master"
  | "/equities/bars/daily"
  | "/equities/bars/daily/am"
  | "/equities/bars/minute"
  | "/equities/earnings-calendar"
  | "/equities/investor-types"
  | "/fins/summary"
  | "/fins/details"
  | "/fins/dividend"
  | "/markets/calendar"
  | "/markets/breakdown"
  | "/markets/margin-interest"
  | "/markets/margin-alert"
  | "/markets/short-ratio"
  | "/markets/short-sale-report"
  | "/indices/bars/daily"
  | "/indices/bars/daily/topix"
  | "/derivatives/bars/daily/futures"
  | "/derivatives/bars/daily/options"
  | "/derivatives/bars/daily/options/225"
  | "/bulk/list"
  | "/bulk/get";

/** A V2 query: parameter names to values, e.g. `{ code: "86970", from:
 *  "2026-06-01", to: "2026-08-31" }`. Never `pagination_key`: the fetch
 *  follows it. */
export type Query = Record<string, string | number | boolean>;

/** What {@link V2Options.onProgress} is told: after each page (`reason`
 *  `"page"`, `waitMs` 0), and when a wait starts: `"pace"` keeps to the
 *  plan's rate, `"rate_limited"` waits out a 429 (60 s or more, never
 *  retried at once), `"retry"` backs off after a 5xx or a failed request. */
export interface Progress {
  /** Pages received so far. */
  pages: number;
  /** Their rows. */
  rows: number;
  /** Their bytes, as read (after any gzip). */
  bytes: number;
  /** The wait starting now, in milliseconds; 0 for a page. */
  waitMs: number;
  reason: "page" | "pace" | "rate_limited" | "retry";
}

/** Options of {@link JQuantsAuth.checkKey}, {@link JQuantsAuth.get} and
 *  {@link JQuantsAuth.pages}. */
export interface V2Options {
  /** The proxy, as for {@link CallOptions.baseURL}; requests go to
   *  `${baseURL}/v2${path}?${query}`. Default: `location.origin`; where
   *  there is none (Node), the J-Quants API. */
  baseURL?: string | URL;
  /** The plan the key is on; it sets the pace. The module keeps one pace
   *  per plan for its life, so a key check and the fetches after it share
   *  it. Default `"free"`. */
  plan?: Plan;
  /** Bound on each request (waits not included), in milliseconds (1 to
   *  600000). Default 30000. */
  timeoutMs?: number;
  /** Aborting it stops the fetch (a request in flight or a wait): the call
   *  rejects with code `"canceled"`. */
  signal?: AbortSignal;
  /** Told of each page and each wait; see {@link Progress}. */
  onProgress?: (progress: Progress) => void;
  /** The clock, in epoch milliseconds. Default `Date.now`. With `sleep`,
   *  for tests: a clock of one's own makes the pace's minutes instant. */
  now?: () => number;
  /** Waits `ms`, rejecting if `signal` aborts. Default: a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** JPX Group's `/equities/master` row that the key check fetched, with
 *  J-Quants' field names. */
export interface Listing {
  Date: string;
  Code: string;
  /** The company's name in Japanese, and in English. */
  CoName: string;
  CoNameEn: string;
  S17: string;
  S17Nm: string;
  S33: string;
  S33Nm: string;
  ScaleCat: string;
  /** The market segment's code and name (in Japanese). */
  Mkt: string;
  MktNm: string;
  Mrgn: string;
  MrgnNm: string;
}

/** What {@link JQuantsAuth.checkKey} yields: the key works. */
export interface CheckKeyResult {
  listing: Listing;
}

/** A row of a V2 answer, with J-Quants' field names. */
export type Row = Record<string, unknown>;

/** What {@link JQuantsAuth.get} yields: every page's rows, joined in order. */
export interface GetResult<R = Row> {
  data: R[];
  /** How many pages they came in. */
  pages: number;
}

/** One page of {@link JQuantsAuth.pages}. */
export interface Page<R = Row> {
  /** 1 for the first page. */
  number: number;
  data: R[];
  /** Its bytes, as read. */
  bytes: number;
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
  /** Checks an API key: GET `/v2/equities/master?code=86970` (one row, on
   *  every plan), paced as {@link get}. Resolves when the key works, with
   *  the row; rejects with an {@link AuthError}: `"key_required"`,
   *  `"key_invalid"`, `"rate_limited"` (not waited out: `retryAfter` says
   *  how long, and later calls on the plan wait that long first),
   *  `"timeout"`, `"network"`, `"canceled"`, … */
  checkKey(apiKey: string, options?: V2Options): Promise<CheckKeyResult>;
  /** GETs `path` with `query`, following `pagination_key` to the last
   *  page, paced by `options.plan`; a 429 is waited out (60 s or more) and
   *  tried again, as are 5xx answers and failed requests (twice, backing
   *  off). Resolves to every page's rows joined (a 210 is an empty page),
   *  rejects with an {@link AuthError}. */
  get<R = Row>(apiKey: string, path: V2Path | (string & {}), query?: Query | null, options?: V2Options): Promise<GetResult<R>>;
  /** The pages of {@link get} one by one. Breaking out of the loop stops the
   *  fetch. */
  pages<R = Row>(apiKey: string, path: V2Path | (string & {}), query?: Query | null, options?: V2Options): AsyncGenerator<Page<R>, void, undefined>;
}

/** Loads jquants-auth.wasm once (the promise is memoised; a failed load may
 *  be retried). Rejects with a plain `Error` if the module cannot be loaded
 *  or started. */
export function load(options?: LoadOptions): Promise<JQuantsAuth>;
