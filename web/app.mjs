// The login page: a form for jquants-auth.mjs. Nothing is stored: no
// cookies, no localStorage or sessionStorage, no URL changes. The tokens live
// in the page until it is left.
//
// Where the password goes: this page's own origin, the proxy named by the
// deployer in config.json (same origin), or a proxy the person typed into the
// Advanced field, announced beside the button before anything is sent. No URL
// parameter or fragment can choose it: a link must not send a password to a
// stranger.
import { load } from "./jquants-auth.mjs";

const seconds = (n) => `${n} second${n === 1 ? "" : "s"}`;

const TEXT = {
  en: {
    title: "J-Quants refresh token",
    lead: "Sign in with your J-Quants account to get a refresh token for the J-Quants API (valid for 7 days), then an ID token from it (valid for 24 hours).",
    mail: "Mail address",
    password: "Password",
    show: "Show",
    hide: "Hide",
    advanced: "Advanced",
    api: "Proxy URL",
    apiHint: (origin, own) =>
      `Only for your own proxy: the CORS proxy that forwards the sign-in to J-Quants. Leave it empty to use ${own ? `this site (${origin})` : origin}.`,
    notice: (origin) =>
      `Your mail address and password will be sent to ${origin}, the proxy you entered. Send them only to a proxy you trust.`,
    submit: "Get refresh token",
    busy: "Signing in…",
    wait: (n) => `Try again in ${n} s`,
    again: "You can try again now.",
    resultTitle: "Your refresh token",
    token: "Refresh token",
    copy: "Copy",
    copied: "Copied to the clipboard.",
    copyFailed: "Could not copy: select the token and copy it yourself.",
    secret: "Keep it secret: anyone with it can use the API as you. Nothing is stored by this page.",
    expires: (date) => `Expires ${date} (valid for 7 days).`,
    getId: "Get ID token",
    idBusy: "Getting the ID token…",
    idTitle: "Your ID token",
    idToken: "ID token",
    idExpires: (date) => `Expires ${date} (valid for 24 hours).`,
    errors: {
      config: "This site's proxy setting (config.json) is not valid, so the page cannot sign in. Tell the site's owner.",
      invalid_input: "Check the mail address and the password.",
      bad_api:
        "The proxy URL is not valid. Enter an https address such as https://proxy.example (http only for localhost or 127.0.0.1), or leave it empty.",
      invalid_credentials: "The mail address or the password is incorrect.",
      refresh_refused: "J-Quants did not accept the refresh token. Sign in again to get a new one.",
      forbidden: "J-Quants refused the request (403). Check that your account may use the API.",
      rate_limited: (s) =>
        s
          ? `Too many attempts: wait ${seconds(s)}. The button counts down and works again at zero.`
          : "Too many attempts. Wait a little and try again.",
      upstream_error: (status) =>
        `J-Quants or the proxy had a problem${status ? ` (HTTP ${status})` : ""}. Try again later.`,
      endpoint_gone:
        "J-Quants retired this login API (V1) on 2026-06-01, so signing in with a mail address and password no longer works. Use an API key from the J-Quants dashboard instead.",
      timeout: "No answer in time. Check your connection and try again.",
      network: (origin) =>
        `The proxy could not be reached (${origin}). It may be down or unreachable, or it does not accept this page (CORS). Check the proxy URL and your connection.`,
      canceled: "The request was canceled.",
      internal: "The login module stopped working. Reload the page.",
      load: "The login module could not be loaded. Reload the page.",
      other: (status, code) => `The request failed (${[status && `HTTP ${status}`, code].filter(Boolean).join(", ")}).`,
    },
  },
  ja: {
    title: "J-Quants リフレッシュトークン",
    lead: "J-Quants のアカウントでサインインして、J-Quants API のリフレッシュトークン（7 日間有効）と、そこから ID トークン（24 時間有効）を取得します。",
    mail: "メールアドレス",
    password: "パスワード",
    show: "表示",
    hide: "隠す",
    advanced: "詳細設定",
    api: "プロキシ URL",
    apiHint: (origin, own) =>
      `独自のプロキシを使う場合にだけ入力します。ログインを J-Quants に中継する CORS プロキシです。空欄のときは${own ? `このサイト（${origin}）` : ` ${origin} `}を使います。`,
    notice: (origin) =>
      `メールアドレスとパスワードは、入力したプロキシ ${origin} に送信されます。信頼できるプロキシにだけ送信してください。`,
    submit: "リフレッシュトークンを取得",
    busy: "サインインしています…",
    wait: (n) => `${n} 秒後に再試行できます`,
    again: "もう一度お試しいただけます。",
    resultTitle: "リフレッシュトークン",
    token: "リフレッシュトークン",
    copy: "コピー",
    copied: "クリップボードにコピーしました。",
    copyFailed: "コピーできませんでした。トークンを選択して手動でコピーしてください。",
    secret: "トークンは秘密にしてください。知っている人は誰でもあなたとして API を使えます。このページは何も保存しません。",
    expires: (date) => `有効期限: ${date}（7 日間有効）`,
    getId: "IDトークンを取得",
    idBusy: "IDトークンを取得しています…",
    idTitle: "IDトークン",
    idToken: "IDトークン",
    idExpires: (date) => `有効期限: ${date}（24 時間有効）`,
    errors: {
      config: "このサイトのプロキシ設定（config.json）が正しくないため、サインインできません。サイトの管理者に連絡してください。",
      invalid_input: "メールアドレスとパスワードを確認してください。",
      bad_api:
        "プロキシ URL が正しくありません。https://proxy.example のような https のアドレスを入力するか（http は localhost と 127.0.0.1 のみ）、空欄にしてください。",
      invalid_credentials: "メールアドレスまたはパスワードが正しくありません。",
      refresh_refused: "J-Quants がリフレッシュトークンを受け付けませんでした。もう一度サインインして、新しいトークンを取得してください。",
      forbidden: "J-Quants がリクエストを拒否しました（403）。アカウントで API を利用できるか確認してください。",
      rate_limited: (s) =>
        s
          ? `試行回数が多すぎます。${s} 秒お待ちください。ボタンのカウントダウンが 0 になると、もう一度お試しいただけます。`
          : "試行回数が多すぎます。しばらく待ってからもう一度お試しください。",
      upstream_error: (status) =>
        `J-Quants またはプロキシでエラーが発生しました${status ? `（HTTP ${status}）` : ""}。しばらくしてからもう一度お試しください。`,
      endpoint_gone:
        "J-Quants はこのログイン API（V1）を 2026年6月1日に廃止したため、メールアドレスとパスワードではサインインできません。代わりに J-Quants のダッシュボードで発行する API キーを使ってください。",
      timeout: "時間内に応答がありませんでした。接続を確認して、もう一度お試しください。",
      network: (origin) =>
        `プロキシ（${origin}）に接続できませんでした。停止しているか接続できない状態か、このページからの接続を許可していない（CORS）可能性があります。プロキシ URL と接続を確認してください。`,
      canceled: "リクエストを中止しました。",
      internal: "ログイン用モジュールが停止しました。ページを再読み込みしてください。",
      load: "ログイン用モジュールを読み込めませんでした。ページを再読み込みしてください。",
      other: (status, code) =>
        `リクエストが失敗しました（${[status && `HTTP ${status}`, code].filter(Boolean).join("、")}）。`,
    },
  },
};

const LANG_PATTERN = /^(ja|en)\b/i;
const browserLanguages = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];

// ?lang=ja or ?lang=en selects the language for a link; otherwise the first
// of the browser's languages we have. Nothing remembers a choice.
function initialLang() {
  const asked = new URLSearchParams(location.search).get("lang") ?? "";
  const found = LANG_PATTERN.test(asked) ? asked : browserLanguages.find((l) => LANG_PATTERN.test(l)) ?? "en";
  return found.slice(0, 2).toLowerCase();
}

// Dates follow the language shown: ja-JP for Japanese, the browser's own
// English locale (en-GB, en-US…) for English.
function dateLocale(lang) {
  return lang === "ja" ? "ja-JP" : browserLanguages.find((l) => /^en\b/i.test(l)) ?? "en-US";
}

const $ = (id) => document.getElementById(id);
const form = $("login");
const mail = $("mailaddress");
const password = $("password");
const reveal = $("reveal");
const advanced = $("advanced");
const api = $("api");
const apiHint = $("api-hint");
const apiNotice = $("api-notice");
const submit = $("submit");
const submitLabel = $("submit-label");
const status = $("status");
const errorBox = $("error");
const result = $("result");
const token = $("token");
const copy = $("copy");
const copied = $("copied");
const expires = $("expires");
const getId = $("get-id");
const getIdLabel = $("get-id-label");
const idResult = $("id-result");
const idToken = $("id-token");
const copyId = $("copy-id");
const copiedId = $("copied-id");
const idExpires = $("id-expires");

// Everything the texts are made from, so that a language switch can render
// all of it again. Each text is kept as a function of the language's TEXT.
const state = {
  lang: initialLang(),
  proxy: undefined, // the default proxy { href, origin }, once config.json is read
  configBroken: false,
  busy: false, // a login is running
  idBusy: false, // an ID token request is running
  canRefresh: false, // the module has authRefresh
  loginBaseURL: "", // the proxy that issued the refresh token shown
  countdown: undefined, // { until, button, timer } after a 429 with Retry-After
  status: undefined,
  error: undefined,
  expiresAt: "",
  idExpiresAt: "",
  copied: new Map(), // status element → text
};
const t = () => TEXT[state.lang];

// KEEP_WHOLE matches what must not be split over two lines: the brand at its
// hyphen, and a number from its unit ("7 日間").
const KEEP_WHOLE = /(J-Quants|（\d+ (?:日間|時間)有効）|\d+ (?:日間|時間|秒))/;

// setText changes an element's text only when it differs, so that live
// regions (the alert, the status lines) speak only what is new. Parts that
// must stay on one line go in a .nowrap span; the text stays the same.
function setText(el, text) {
  if (el.textContent === text) return;
  const parts = text.split(KEEP_WHOLE);
  if (parts.length === 1) {
    el.textContent = text;
    return;
  }
  el.replaceChildren(
    ...parts.map((part, i) => {
      if (i % 2 === 0) return part;
      const span = document.createElement("span");
      span.className = "nowrap";
      span.textContent = part;
      return span;
    }),
  );
}

// ---- where the password goes -------------------------------------------

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1"]);

// parseProxy returns { href, origin } for a usable proxy base URL, else
// undefined. Besides this site itself, only https, or http to this machine,
// is usable: the same set the CSP's connect-src allows.
function parseProxy(value) {
  let url;
  try {
    url = new URL(String(value).trim());
  } catch {
    return undefined;
  }
  const allowed =
    url.origin === location.origin ||
    url.protocol === "https:" ||
    (url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname));
  if (!allowed || url.username || url.password || /[?#]/.test(url.href)) return undefined;
  return { href: url.href.replace(/\/+$/, ""), origin: url.origin };
}

// loadConfig reads the deployer's config.json beside this page:
// {"proxy": "https://…"} names the default proxy; null, an empty string or
// no file at all means this site. Only a file that is there and wrong is an
// error: then nothing is sent anywhere.
async function loadConfig() {
  const own = { href: location.origin, origin: location.origin };
  let res;
  try {
    res = await fetch(new URL("config.json", document.baseURI), {
      mode: "same-origin",
      credentials: "same-origin",
      cache: "no-cache",
    });
  } catch {
    return own;
  }
  // A host without the file may answer 404, or its index page (text/html).
  if (!res.ok || !/[/+]json\b/i.test(res.headers.get("Content-Type") ?? "")) return own;
  let proxy;
  try {
    ({ proxy } = await res.json());
  } catch {
    return undefined;
  }
  if (proxy === undefined || proxy === null || proxy === "") return own;
  return typeof proxy === "string" ? parseProxy(proxy) : undefined;
}

// target is where a login goes now: the typed proxy, else the default. A
// typed proxy is "foreign" unless it is this site or the configured proxy;
// only a foreign one needs the notice.
function target() {
  const typed = api.value.trim();
  if (!typed) return { ...state.proxy, foreign: false };
  const p = parseProxy(typed);
  if (!p) return undefined;
  return { ...p, foreign: p.origin !== location.origin && p.origin !== state.proxy.origin };
}

// noticeShows says whether the notice names origin right now, so that a
// password never goes to a typed host before the person could read it.
function noticeShows(origin) {
  return !apiNotice.hidden && apiNotice.dataset.origin === origin;
}

// ---- rendering ----------------------------------------------------------

function render() {
  const tx = t();
  document.documentElement.lang = state.lang;
  document.title = tx.title;
  for (const el of document.querySelectorAll("[data-i18n]")) {
    const text = tx[el.dataset.i18n];
    if (typeof text === "string") setText(el, text);
  }
  for (const b of document.querySelectorAll("button[data-lang]")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang));
  }
  setText(reveal, password.type === "password" ? tx.show : tx.hide);

  if (state.proxy) {
    const own = state.proxy.origin === location.origin;
    setText(apiHint, tx.apiHint(state.proxy.origin, own));
    api.placeholder = state.proxy.href;
  }
  renderNotice();

  const waiting = state.countdown ? Math.max(0, Math.ceil((state.countdown.until - Date.now()) / 1000)) : 0;
  const ready = !!state.proxy && !state.configBroken;
  submit.disabled = !ready || state.busy || state.idBusy || waiting > 0;
  form.setAttribute("aria-busy", String(state.busy));
  form.classList.toggle("busy", state.busy);
  setText(
    submitLabel,
    state.busy ? tx.busy : waiting > 0 && state.countdown.button === submit ? tx.wait(waiting) : tx.submit,
  );
  setText(status, state.status?.(tx) ?? "");

  getId.hidden = !state.canRefresh || !token.value;
  getId.disabled = state.busy || state.idBusy || waiting > 0;
  getId.classList.toggle("busy", state.idBusy);
  setText(
    getIdLabel,
    state.idBusy ? tx.idBusy : waiting > 0 && state.countdown.button === getId ? tx.wait(waiting) : tx.getId,
  );

  const error = state.error?.(tx) ?? "";
  setText(errorBox, error);
  errorBox.hidden = !error;

  const fmt = new Intl.DateTimeFormat(dateLocale(state.lang), {
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  });
  setText(expires, state.expiresAt ? tx.expires(fmt.format(new Date(state.expiresAt))) : "");
  setText(idExpires, state.idExpiresAt ? tx.idExpires(fmt.format(new Date(state.idExpiresAt))) : "");
  for (const el of [copied, copiedId]) setText(el, state.copied.get(el)?.(tx) ?? "");
}

function renderNotice() {
  const to = state.proxy && target();
  const show = !!to?.foreign;
  apiNotice.hidden = !show;
  apiNotice.dataset.origin = show ? to.origin : "";
  setText(apiNotice, show ? t().notice(to.origin) : "");
}

// showError puts one error in the box and moves the focus there. A failed
// ID token request keeps the refresh token shown: it is still good.
function showError(text, { keepResult = false } = {}) {
  if (!keepResult) clearResult();
  state.error = text;
  render();
  errorBox.focus();
}

function clearResult() {
  result.hidden = true;
  token.value = "";
  state.expiresAt = "";
  clearIdResult();
  state.copied.clear();
}

function clearIdResult() {
  idResult.hidden = true;
  idToken.value = "";
  state.idExpiresAt = "";
  state.copied.delete(copiedId);
}

function errorText(err, baseURL, step) {
  const code = err?.code;
  return (tx) => {
    const e = tx.errors;
    switch (code) {
      case "rate_limited":
        return e.rate_limited(err.retryAfter);
      case "upstream_error":
        return e.upstream_error(err.status);
      case "network":
        return e.network(parseProxy(baseURL)?.origin ?? baseURL);
      case "invalid_credentials":
        return step === "refresh" ? e.refresh_refused : e.invalid_credentials;
      case "invalid_input":
      case "forbidden":
      case "endpoint_gone":
      case "timeout":
      case "canceled":
      case "internal":
        return e[code];
      default:
        return code ? e.other(err.status, code) : e.load;
    }
  };
}

// startCountdown keeps both buttons disabled for the wait the proxy asked
// for (Retry-After), counting it down on the button that was pressed.
function startCountdown(secs, button) {
  clearInterval(state.countdown?.timer);
  const until = Date.now() + secs * 1000;
  const timer = setInterval(() => {
    if (Date.now() >= until) {
      clearInterval(timer);
      state.countdown = undefined;
      state.status = (tx) => tx.again;
    }
    render();
  }, 200);
  state.countdown = { until, button, timer };
  render();
}

function fail(err, baseURL, step, button) {
  if (err?.code === "rate_limited" && err.retryAfter > 0) startCountdown(err.retryAfter, button);
  showError(errorText(err, baseURL, step), { keepResult: step === "refresh" });
}

// ---- actions ------------------------------------------------------------

function hidePassword() {
  password.type = "password";
  reveal.setAttribute("aria-pressed", "false");
}

async function onSubmit(event) {
  event.preventDefault();
  if (submit.disabled) return;
  const to = target();
  if (!to) {
    showError((tx) => tx.errors.bad_api);
    advanced.open = true;
    api.focus();
    return;
  }
  // The field changed without the page seeing it (no input event): show
  // where the password would go and let the person press again.
  if (to.foreign && !noticeShows(to.origin)) {
    renderNotice();
    return;
  }
  if (!form.reportValidity()) return;
  state.error = undefined;
  state.status = (tx) => tx.busy;
  clearResult();
  hidePassword();
  state.busy = true;
  render();
  const mailValue = mail.value;
  const passwordValue = password.value;
  password.value = ""; // cleared after each attempt, whatever its outcome
  try {
    const jq = await load();
    const res = await jq.authUser(mailValue, passwordValue, { baseURL: to.href });
    state.canRefresh = typeof jq.authRefresh === "function";
    state.loginBaseURL = to.href;
    token.value = res.refreshToken;
    state.expiresAt = res.expiresAt;
    result.hidden = false;
    state.busy = false;
    state.status = undefined;
    render();
    token.focus();
    token.select();
  } catch (err) {
    state.busy = false;
    state.status = undefined;
    fail(err, to.href, "login", submit);
  }
}

// onGetId trades the refresh token shown for an ID token, through the proxy
// that issued the refresh token.
async function onGetId() {
  if (getId.disabled || !token.value) return;
  const baseURL = state.loginBaseURL;
  state.error = undefined;
  state.status = (tx) => tx.idBusy;
  clearIdResult();
  state.idBusy = true;
  render();
  try {
    const jq = await load();
    const res = await jq.authRefresh(token.value, { baseURL });
    idToken.value = res.idToken;
    state.idExpiresAt = res.expiresAt;
    idResult.hidden = false;
    state.idBusy = false;
    state.status = undefined;
    render();
    idToken.focus();
    idToken.select();
  } catch (err) {
    state.idBusy = false;
    state.status = undefined;
    fail(err, baseURL, "refresh", getId);
  }
}

async function copyFrom(field, statusEl) {
  state.copied.delete(statusEl);
  render();
  let ok;
  try {
    await navigator.clipboard.writeText(field.value);
    ok = true;
  } catch {
    field.focus();
    field.select();
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
  }
  state.copied.set(statusEl, ok ? (tx) => tx.copied : (tx) => tx.copyFailed);
  render();
}

function onReveal() {
  const show = password.type === "password";
  password.type = show ? "text" : "password";
  reveal.setAttribute("aria-pressed", String(show));
  render();
  password.focus();
}

function onLanguage(event) {
  const lang = event.currentTarget.dataset.lang;
  if (!TEXT[lang] || lang === state.lang) return;
  state.lang = lang;
  render();
}

// No password or token in the page after it is hidden or left (bfcache included).
function onPageHide() {
  password.value = "";
  clearResult();
  render();
}

async function start() {
  // Start loading the module first, so the first click does not wait for it.
  load().then(
    (jq) => {
      state.canRefresh = typeof jq.authRefresh === "function";
      render();
    },
    () => {},
  );
  render();
  form.addEventListener("submit", onSubmit);
  api.addEventListener("input", renderNotice);
  api.addEventListener("change", renderNotice);
  copy.addEventListener("click", () => copyFrom(token, copied));
  copyId.addEventListener("click", () => copyFrom(idToken, copiedId));
  getId.addEventListener("click", onGetId);
  reveal.addEventListener("click", onReveal);
  for (const b of document.querySelectorAll("button[data-lang]")) b.addEventListener("click", onLanguage);
  addEventListener("pagehide", onPageHide);
  // The button stays disabled until the page knows where a login goes.
  const proxy = await loadConfig();
  if (proxy) {
    state.proxy = proxy;
  } else {
    state.proxy = { href: location.origin, origin: location.origin };
    state.configBroken = true;
    state.error = (tx) => tx.errors.config;
  }
  render();
}

start();
