// The demo page: a login form for jquants-auth.mjs. Nothing is stored:
// no cookies, no localStorage or sessionStorage, no URL changes.
import { load } from "./jquants-auth.mjs";

const TEXT = {
  en: {
    title: "J-Quants refresh token",
    lead: "Sign in with your J-Quants account to get a refresh token for the J-Quants API. It is valid for 7 days.",
    mail: "Mail address",
    password: "Password",
    show: "Show",
    hide: "Hide",
    api: "Proxy URL",
    apiHint: "The CORS proxy that forwards the login to J-Quants. Default: this site.",
    submit: "Get refresh token",
    busy: "Signing in…",
    resultTitle: "Your refresh token",
    token: "Refresh token",
    copy: "Copy",
    copied: "Copied to the clipboard.",
    copyFailed: "Could not copy: select the token and copy it yourself.",
    secret: "Keep it secret: anyone with it can use the API as you. Nothing is stored by this page.",
    expires: (date) => `Expires ${date} (valid for 7 days).`,
    errors: {
      invalid_input: "Check the mail address and the password.",
      bad_api: "The proxy URL is not valid. Enter an http or https address, such as https://proxy.example.",
      invalid_credentials: "The mail address or the password is incorrect.",
      forbidden: "J-Quants refused the request (403). Check that your account may use the API.",
      rate_limited: (s) =>
        s ? `Too many attempts. Try again in ${s} seconds.` : "Too many attempts. Wait a little and try again.",
      upstream_error: (status) =>
        `J-Quants or the proxy had a problem${status ? ` (HTTP ${status})` : ""}. Try again later.`,
      endpoint_gone: "This J-Quants API (V1) no longer exists (HTTP 404).",
      timeout: "No answer in time. Check your connection and try again.",
      network: (origin) =>
        `The proxy could not be reached (${origin}). It may be down or unreachable, or it does not accept this page (CORS). Check the proxy URL and your connection.`,
      canceled: "The login was canceled.",
      internal: "The login module stopped working. Reload the page.",
      load: "The login module could not be loaded. Reload the page.",
      other: (status, code) => `Login failed (${[status && `HTTP ${status}`, code].filter(Boolean).join(", ")}).`,
    },
  },
  ja: {
    title: "J-Quants リフレッシュトークン",
    lead: "J-Quants のアカウントでサインインして、J-Quants API のリフレッシュトークンを取得します。有効期間は 7 日間です。",
    mail: "メールアドレス",
    password: "パスワード",
    show: "表示",
    hide: "隠す",
    api: "プロキシ URL",
    apiHint: "ログインを J-Quants に中継する CORS プロキシです。既定値はこのサイトです。",
    submit: "リフレッシュトークンを取得",
    busy: "サインインしています…",
    resultTitle: "リフレッシュトークン",
    token: "リフレッシュトークン",
    copy: "コピー",
    copied: "クリップボードにコピーしました。",
    copyFailed: "コピーできませんでした。トークンを選択して手動でコピーしてください。",
    secret: "トークンは秘密にしてください。知っている人は誰でもあなたとして API を使えます。このページは何も保存しません。",
    expires: (date) => `有効期限: ${date}（7 日間有効）`,
    errors: {
      invalid_input: "メールアドレスとパスワードを確認してください。",
      bad_api: "プロキシ URL が正しくありません。https://proxy.example のような http または https のアドレスを入力してください。",
      invalid_credentials: "メールアドレスまたはパスワードが正しくありません。",
      forbidden: "J-Quants がリクエストを拒否しました（403）。アカウントで API を利用できるか確認してください。",
      rate_limited: (s) =>
        s ? `試行回数が多すぎます。${s} 秒後にもう一度お試しください。` : "試行回数が多すぎます。しばらく待ってからもう一度お試しください。",
      upstream_error: (status) =>
        `J-Quants またはプロキシでエラーが発生しました${status ? `（HTTP ${status}）` : ""}。しばらくしてからもう一度お試しください。`,
      endpoint_gone: "この J-Quants API（V1）は提供を終了しています（HTTP 404）。",
      timeout: "時間内に応答がありませんでした。接続を確認して、もう一度お試しください。",
      network: (origin) =>
        `プロキシ（${origin}）に接続できませんでした。停止しているか接続できない状態か、このページからの接続を許可していない（CORS）可能性があります。プロキシ URL と接続を確認してください。`,
      canceled: "サインインを中止しました。",
      internal: "ログイン用モジュールが停止しました。ページを再読み込みしてください。",
      load: "ログイン用モジュールを読み込めませんでした。ページを再読み込みしてください。",
      other: (status, code) => `サインインできませんでした（${[status && `HTTP ${status}`, code].filter(Boolean).join("、")}）。`,
    },
  },
};

// The first of the user's languages we have: ja* → Japanese, else English.
const locale =
  (navigator.languages?.length ? navigator.languages : [navigator.language || "en"]).find((l) =>
    /^(ja|en)\b/i.test(l),
  ) ?? "en";
const lang = /^ja\b/i.test(locale) ? "ja" : "en";
const t = TEXT[lang];

const $ = (id) => document.getElementById(id);
const form = $("login");
const mail = $("mailaddress");
const password = $("password");
const reveal = $("reveal");
const api = $("api");
const submit = $("submit");
const submitLabel = $("submit-label");
const status = $("status");
const errorBox = $("error");
const result = $("result");
const token = $("token");
const copy = $("copy");
const copied = $("copied");
const expires = $("expires");

function translate() {
  document.documentElement.lang = lang;
  document.title = t.title;
  for (const el of document.querySelectorAll("[data-i18n]")) {
    const text = t[el.dataset.i18n];
    if (typeof text === "string") el.textContent = text;
  }
}

// The proxy: ?api= when given, else this page's origin. Never written back.
function initialAPI() {
  const fromQuery = new URLSearchParams(location.search).get("api");
  return fromQuery?.trim() || location.origin;
}

// checkAPI returns the proxy base URL, or undefined when it is unusable.
function checkAPI(value) {
  let url;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  const ok =
    (url.protocol === "https:" || url.protocol === "http:") &&
    !url.username && !url.password && !url.search && !url.hash;
  return ok ? url.href.replace(/\/+$/, "") : undefined;
}

function setBusy(busy) {
  submit.disabled = busy;
  form.setAttribute("aria-busy", String(busy));
  form.classList.toggle("busy", busy);
  submitLabel.textContent = busy ? t.busy : t.submit;
  status.textContent = busy ? t.busy : "";
}

function showError(text) {
  token.value = "";
  result.hidden = true;
  errorBox.textContent = text;
  errorBox.hidden = false;
  errorBox.focus();
}

function clearOutput() {
  errorBox.hidden = true;
  errorBox.textContent = "";
  result.hidden = true;
  token.value = "";
  copied.textContent = "";
  expires.textContent = "";
}

function errorText(err, baseURL) {
  const e = t.errors;
  switch (err?.code) {
    case "rate_limited":
      return e.rate_limited(err.retryAfter);
    case "upstream_error":
      return e.upstream_error(err.status);
    case "network": {
      let origin = baseURL;
      try {
        origin = new URL(baseURL).origin;
      } catch {}
      return e.network(origin);
    }
    case "invalid_input":
    case "invalid_credentials":
    case "forbidden":
    case "endpoint_gone":
    case "timeout":
    case "canceled":
    case "internal":
      return e[err.code];
    default:
      return err?.code ? e.other(err.status, err.code) : e.load;
  }
}

function formatExpiry(iso) {
  const date = new Date(iso);
  const fmt = new Intl.DateTimeFormat(locale, {
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  });
  return t.expires(fmt.format(date));
}

function hidePassword() {
  password.type = "password";
  reveal.setAttribute("aria-pressed", "false");
  reveal.textContent = t.show;
}

async function onSubmit(event) {
  event.preventDefault();
  if (submit.disabled) return;
  clearOutput();
  hidePassword();
  const baseURL = checkAPI(api.value || location.origin);
  if (!baseURL) {
    showError(t.errors.bad_api);
    api.focus();
    return;
  }
  if (!form.reportValidity()) return;
  setBusy(true);
  const mailValue = mail.value;
  const passwordValue = password.value;
  password.value = ""; // cleared after each attempt, whatever its outcome
  try {
    const jq = await load();
    const res = await jq.authUser(mailValue, passwordValue, { baseURL });
    token.value = res.refreshToken;
    expires.textContent = formatExpiry(res.expiresAt);
    result.hidden = false;
    setBusy(false);
    token.focus();
    token.select();
  } catch (err) {
    setBusy(false);
    showError(errorText(err, baseURL));
  }
}

async function onCopy() {
  copied.textContent = "";
  try {
    await navigator.clipboard.writeText(token.value);
    copied.textContent = t.copied;
  } catch {
    token.focus();
    token.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {}
    copied.textContent = ok ? t.copied : t.copyFailed;
  }
}

function onReveal() {
  const show = password.type === "password";
  password.type = show ? "text" : "password";
  reveal.setAttribute("aria-pressed", String(show));
  reveal.textContent = show ? t.hide : t.show;
  password.focus();
}

translate();
api.value = initialAPI();
form.addEventListener("submit", onSubmit);
copy.addEventListener("click", onCopy);
reveal.addEventListener("click", onReveal);
// No password in the page after it is hidden or left (bfcache included).
addEventListener("pagehide", () => {
  password.value = "";
  token.value = "";
  result.hidden = true;
});
submit.disabled = false;
// Start loading the module now, so the first click does not wait for it.
load().catch(() => {});
