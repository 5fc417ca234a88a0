// Compiled, never run, by `make test-wasm`: tsc --noEmit --strict with
// moduleResolution nodenext and bundler. It proves that TypeScript finds
// web/jquants-auth.d.mts for the .mjs and that the types say what the module
// does; each @ts-expect-error is a misuse the types must refuse.
import {
  load,
  type AuthError,
  type AuthErrorCode,
  type AuthRefreshResult,
  type AuthUserResult,
  type CheckKeyResult,
  type GetResult,
  type JQuantsAuth,
  type JQuantsAuthError,
  type Listing,
  type Page,
  type Plan,
  type Progress,
} from "../web/jquants-auth.mjs";

export async function check(signal: AbortSignal): Promise<string> {
  const jq: JQuantsAuth = await load({ wasmURL: new URL("https://example.test/jquants-auth.wasm") });
  const user: AuthUserResult = await jq.authUser("demo@example.com", "password", {
    baseURL: "https://proxy.example",
    timeoutMs: 5000,
    signal,
  });
  const id: AuthRefreshResult = await jq.authRefresh(user.refreshToken, { baseURL: new URL("https://proxy.example") });
  try {
    await jq.authRefresh(id.idToken);
  } catch (e) {
    const err = e as AuthError;
    const retry: number | undefined = err.retryAfter;
    return `${err.name} ${err.code} ${err.status} ${err.message} ${retry ?? ""}`;
  }

  // @ts-expect-error: authUser yields a refresh token, not an ID token
  user.idToken;
  // @ts-expect-error: authRefresh yields an ID token, not a refresh token
  id.refreshToken;
  // @ts-expect-error: the password is required
  await jq.authUser("demo@example.com");
  // @ts-expect-error: timeoutMs is a number
  await jq.authRefresh("token", { timeoutMs: "100" });
  // @ts-expect-error: an unknown option
  await jq.authRefresh("token", { baseUrl: "https://proxy.example" });
  // @ts-expect-error: a code is a string
  const code: number = ({} as AuthError).code;

  return id.idToken + id.issuedAt + id.expiresAt + user.expiresAt + code;
}

interface DailyBar {
  Date: string;
  C: number;
}

// The V2 calls: an API key, a documented path, a plain query, a plan.
export async function checkV2(apiKey: string, signal: AbortSignal): Promise<string> {
  const jq = await load();
  const plan: Plan = "light";
  const seen: Progress[] = [];
  const opts = { baseURL: "https://proxy.example", plan, signal, timeoutMs: 30000, onProgress: (p: Progress) => seen.push(p) };
  const checked: CheckKeyResult = await jq.checkKey(apiKey, opts);
  const listing: Listing = checked.listing;
  const bars: GetResult<DailyBar> = await jq.get<DailyBar>(apiKey, "/equities/bars/daily", { code: "86970", from: "2026-06-01" }, opts);
  const closes: number[] = bars.data.map((b) => b.C);
  for await (const page of jq.pages(apiKey, "/markets/calendar", null, { now: () => 0, sleep: async () => {} })) {
    const p: Page = page;
    closes.push(p.number, p.bytes, p.data.length);
  }
  try {
    await jq.checkKey(apiKey);
  } catch (e) {
    const err = e as JQuantsAuthError;
    const code: AuthErrorCode | (string & {}) = err.code;
    if (code === "outside_plan_dates") return `${err.from} ~ ${err.to ?? ""}`;
    if (code === "rate_limited") return String(err.retryAfter);
  }
  const reasons = seen.map((p) => p.reason + p.waitMs + p.pages + p.rows);

  // @ts-expect-error: the plan is one of four
  await jq.get(apiKey, "/equities/master", {}, { plan: "gold" });
  // @ts-expect-error: query values are strings, numbers or booleans
  await jq.get(apiKey, "/equities/master", { code: ["86970"] });
  // @ts-expect-error: the key is required
  await jq.checkKey();
  // @ts-expect-error: onProgress takes a Progress
  await jq.get(apiKey, "/equities/master", {}, { onProgress: (p: string) => p });
  // @ts-expect-error: a Listing has no price
  listing.C;
  // @ts-expect-error: bars.pages is a count
  const pages: string = bars.pages;

  return listing.CoName + listing.MktNm + closes.join() + reasons.join() + pages + bars.pages;
}
