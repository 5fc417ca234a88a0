// Compiled, never run, by `make test-wasm`: tsc --noEmit --strict with
// moduleResolution nodenext and bundler. It proves that TypeScript finds
// web/jquants-auth.d.mts for the .mjs and that the types say what the module
// does; each @ts-expect-error is a misuse the types must refuse.
import { load, type AuthError, type AuthRefreshResult, type AuthUserResult, type JQuantsAuth } from "../web/jquants-auth.mjs";

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
