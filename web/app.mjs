// The page: API key first (J-Quants' live service, V2), then a first real
// call (a stock's daily closes as a chart); the retired V1 login one click
// away. It drives jquants-auth.mjs. Nothing is stored: no cookies, no
// localStorage, sessionStorage or IndexedDB, no URL changes. The API key,
// the tokens and the data live in the page until it is left.
//
// Where a secret goes: the API key only to the deployer's proxy (this page's
// own origin, or the proxy named in config.json). The V1 password goes
// there too, or to a proxy the person typed into the Advanced field,
// announced beside the button before anything is sent. No URL parameter or
// fragment can choose either: a link must not send a secret to a stranger.
import { load } from "./jquants-auth.mjs";

const seconds = (n) => `${n} second${n === 1 ? "" : "s"}`;
const PLAN_NAMES = { free: "Free", light: "Light", standard: "Standard", premium: "Premium" };
const PLAN_RATES = { free: 5, light: 60, standard: 120, premium: 500 }; // requests a minute (auth.Plan.PerMinute)
// J-Quants' market segment codes (equities/master's Mkt), for English; the
// row's MktNm is Japanese.
const MARKETS_EN = { "0111": "Prime Market", "0112": "Standard Market", "0113": "Growth Market", "0105": "TOKYO PRO Market" };

const TEXT = {
  en: {
    title: "J-Quants API key",
    lead: "Check your J-Quants API key, then fetch data with it in this page, through this site's proxy.",
    apiKey: "API key",
    apiKeyHint: "J-Quants issues keys on its dashboard, under Settings » API key:",
    apiKeyLink: "jpx-jquants.com",
    plan: "Your plan",
    planHint: (plan) =>
      `It sets the pace: the ${PLAN_NAMES[plan]} plan allows ${PLAN_RATES[plan]} requests a minute, so this page never sends more.`,
    checkKey: "Check key",
    checkBusy: "Checking the key…",
    keyOk: (l, market) => `The key works: it fetched JPX's own listing, ${l.CoNameEn} (${l.Code}), ${market}.`,
    show: "Show",
    hide: "Hide",
    wait: (n) => `Try again in ${n} s`,
    again: "You can try again now.",
    chartTitle: "Daily closes",
    code: "Stock code",
    range: (from, to, plan) => `From ${from} to ${to}: the last 3 months the ${PLAN_NAMES[plan]} plan covers.`,
    getChart: "Show daily closes",
    chartBusy: "Fetching…",
    stop: "Stop",
    fetched: (p) => `Page ${p.pages}: ${p.rows} rows, ${kb(p.bytes)} KB.`,
    waitPace: (n, plan) =>
      `Waiting ${n} s: the ${PLAN_NAMES[plan]} plan allows ${PLAN_RATES[plan]} requests a minute.`,
    waitLimited: (n) => `J-Quants asked this key to slow down (429): trying again in ${n} s.`,
    waitRetry: (n) => `No usable answer: trying again in ${n} s.`,
    done: (rows, pages) => `${rows} daily closes, in ${pages} page${pages === 1 ? "" : "s"}.`,
    stopped: "Stopped: nothing more will be fetched.",
    caption: (name, code, from, to) => `${name} (${code}): daily closes from ${from} to ${to}, in yen.`,
    chartName: (name, code) => `Daily closes of ${name} (${code})`,
    chartDesc: (c) =>
      `${c.n} trading days from ${c.from} to ${c.to}. First close ${c.first}, last ${c.last}; low ${c.low} on ${c.lowDate}, high ${c.high} on ${c.highDate}.`,
    tableSummary: "The closes as a table",
    date: "Date",
    close: "Close (yen)",
    v1Summary: "Mail address and password (V1): retired by J-Quants on 2026-06-01",
    v1Lead:
      "The login J-Quants used before API keys: a refresh token for the J-Quants API (valid for 7 days), then an ID token from it (valid for 24 hours). J-Quants retired it on 2026-06-01; this project's demo server still answers it.",
    mail: "Mail address",
    password: "Password",
    advanced: "Advanced",
    api: "Proxy URL",
    apiHint: (origin, own) =>
      `Only for your own proxy: the CORS proxy that forwards the login to J-Quants. Leave it empty to use ${own ? `this site (${origin})` : origin}.`,
    notice: (origin) =>
      `Your mail address and password will be sent to ${origin}, the proxy you entered. Send them only to a proxy you trust.`,
    submit: "Get refresh token",
    busy: "Logging in…",
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
      config: "This site's proxy setting (config.json) is not valid, so the page cannot send anything. Tell the site's owner.",
      invalid_input: "Check the mail address and the password.",
      bad_key: "Check the API key: it is letters, digits and symbols, with no spaces, as the dashboard shows it.",
      bad_code: "Enter a stock code of 4 or 5 letters and digits, such as 86970 or 7203.",
      bad_request: "J-Quants did not accept the request's parameters (HTTP 400).",
      bad_api:
        "The proxy URL is not valid. Enter an https address such as https://proxy.example (http only for localhost or 127.0.0.1), or leave it empty.",
      key_required: "Enter your API key.",
      key_invalid: "J-Quants did not accept this API key: it is wrong, or it was deleted or re-issued on the dashboard.",
      not_on_plan: "Your J-Quants plan does not include this data.",
      no_such_endpoint: "J-Quants says this API does not exist (HTTP 403).",
      outside_plan_dates: (from, to) =>
        to ? `Your plan covers the dates from ${from} to ${to} only.` : `Your plan covers the dates from ${from} on only.`,
      no_such_code: (code) => `J-Quants lists no stock with the code ${code}.`,
      no_data: (code) => `J-Quants has no daily bars for ${code} in these dates.`,
      invalid_credentials: "The mail address or the password is incorrect.",
      refresh_refused: "J-Quants did not accept the refresh token. Log in again to get a new one.",
      forbidden: "J-Quants refused the request (HTTP 403). Check that your account may use the API.",
      rate_limited: (s) =>
        s
          ? `Too many requests with this key: wait ${seconds(s)}. The button counts down and works again at zero.`
          : "Too many requests with this key. Wait a little and try again.",
      too_many_attempts: (s) =>
        s
          ? `Too many attempts: wait ${seconds(s)}. The button counts down and works again at zero.`
          : "Too many attempts. Wait a little and try again.",
      upstream_error: (status) =>
        `J-Quants or the proxy had a problem${status ? ` (HTTP ${status})` : ""}. Try again later.`,
      endpoint_gone:
        "J-Quants retired this login API (V1) on 2026-06-01, so logging in with a mail address and password no longer works. Use an API key from the J-Quants dashboard instead.",
      timeout: "No answer in time. Check your connection and try again.",
      network: (origin) =>
        `The proxy could not be reached (${origin}). It may be down or unreachable, or it does not accept this page (CORS). Check the proxy URL and your connection.`,
      canceled: "The request was canceled.",
      internal: "The J-Quants module stopped working. Reload the page.",
      load: "The J-Quants module could not be loaded. Reload the page.",
      other: (status, code) => `The request failed (${[status && `HTTP ${status}`, code].filter(Boolean).join(", ")}).`,
    },
  },
  ja: {
    title: "J-Quants API キー",
    lead: "J-Quants の API キーを確認して、このサイトのプロキシ経由で、このページでデータを取得します。",
    apiKey: "API キー",
    apiKeyHint: "API キーは J-Quants のダッシュボードの「設定 » API キー」で発行します:",
    apiKeyLink: "jpx-jquants.com",
    plan: "ご利用のプラン",
    planHint: (plan) =>
      `リクエストの間隔を決めます。${PLAN_NAMES[plan]} プランは 1 分間に ${PLAN_RATES[plan]} リクエストまでなので、このページはそれを超えて送りません。`,
    checkKey: "キーを確認",
    checkBusy: "キーを確認しています…",
    keyOk: (l, market) => `キーは有効です。JPX の銘柄情報を取得しました: ${l.CoName}（${l.Code}）、${market}。`,
    show: "表示",
    hide: "隠す",
    wait: (n) => `${n} 秒後に再試行できます`,
    again: "もう一度お試しいただけます。",
    chartTitle: "日々の終値",
    code: "銘柄コード",
    range: (from, to, plan) => `${from} から ${to} まで（${PLAN_NAMES[plan]} プランで取得できる直近 3 か月）。`,
    getChart: "終値を表示",
    chartBusy: "取得しています…",
    stop: "中止",
    fetched: (p) => `${p.pages} ページ目: ${p.rows} 行、${kb(p.bytes)} KB。`,
    waitPace: (n, plan) =>
      `${n} 秒待っています（${PLAN_NAMES[plan]} プランは 1 分間に ${PLAN_RATES[plan]} リクエストまで）。`,
    waitLimited: (n) => `J-Quants からリクエストを控えるよう求められました（429）。${n} 秒後に再試行します。`,
    waitRetry: (n) => `使える応答がありませんでした。${n} 秒後に再試行します。`,
    done: (rows, pages) => `${rows} 日分の終値（${pages} ページ）。`,
    stopped: "中止しました。これ以上は取得しません。",
    caption: (name, code, from, to) => `${name}（${code}）の日々の終値（円）、${from} から ${to} まで。`,
    chartName: (name, code) => `${name}（${code}）の日々の終値`,
    chartDesc: (c) =>
      `${c.from} から ${c.to} までの ${c.n} 営業日。最初の終値 ${c.first}、最後 ${c.last}。安値 ${c.low}（${c.lowDate}）、高値 ${c.high}（${c.highDate}）。`,
    tableSummary: "終値を表で見る",
    date: "日付",
    close: "終値（円）",
    v1Summary: "メールアドレスとパスワード（V1）: J-Quants が 2026年6月1日に廃止",
    v1Lead:
      "API キー以前の J-Quants のログインです。J-Quants API のリフレッシュトークン（7 日間有効）と、そこから IDトークン（24 時間有効）を取得します。J-Quants は 2026年6月1日に廃止しました。このプロジェクトのデモサーバーは今も応答します。",
    mail: "メールアドレス",
    password: "パスワード",
    advanced: "詳細設定",
    api: "プロキシ URL",
    apiHint: (origin, own) =>
      `独自のプロキシを使う場合にだけ入力します。ログインを J-Quants に中継する CORS プロキシです。空欄のときは${own ? `このサイト（${origin}）` : ` ${origin} `}を使います。`,
    notice: (origin) =>
      `メールアドレスとパスワードは、入力したプロキシ ${origin} に送信されます。信頼できるプロキシにだけ送信してください。`,
    submit: "リフレッシュトークンを取得",
    busy: "ログインしています…",
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
      config: "このサイトのプロキシ設定（config.json）が正しくないため、送信できません。サイトの管理者に連絡してください。",
      invalid_input: "メールアドレスとパスワードを確認してください。",
      bad_key: "API キーを確認してください。ダッシュボードに表示されるとおりの英数字と記号で、空白は含みません。",
      bad_code: "86970 や 7203 のような、4 桁か 5 桁の英数字の銘柄コードを入力してください。",
      bad_request: "J-Quants がリクエストのパラメータを受け付けませんでした（HTTP 400）。",
      bad_api:
        "プロキシ URL が正しくありません。https://proxy.example のような https のアドレスを入力するか（http は localhost と 127.0.0.1 のみ）、空欄にしてください。",
      key_required: "API キーを入力してください。",
      key_invalid: "J-Quants がこの API キーを受け付けませんでした。誤っているか、ダッシュボードで削除または再発行されています。",
      not_on_plan: "ご利用の J-Quants プランでは、このデータを取得できません。",
      no_such_endpoint: "J-Quants によると、この API は存在しません（HTTP 403）。",
      outside_plan_dates: (from, to) =>
        to
          ? `ご利用のプランで取得できるのは ${from} から ${to} までのデータです。`
          : `ご利用のプランで取得できるのは ${from} 以降のデータです。`,
      no_such_code: (code) => `J-Quants には銘柄コード ${code} の銘柄がありません。`,
      no_data: (code) => `この期間の ${code} の日足は J-Quants にありません。`,
      invalid_credentials: "メールアドレスまたはパスワードが正しくありません。",
      refresh_refused: "J-Quants がリフレッシュトークンを受け付けませんでした。もう一度ログインして、新しいトークンを取得してください。",
      forbidden: "J-Quants がリクエストを拒否しました（HTTP 403）。アカウントで API を利用できるか確認してください。",
      rate_limited: (s) =>
        s
          ? `このキーのリクエストが多すぎます。${s} 秒お待ちください。ボタンのカウントダウンが 0 になると、もう一度お試しいただけます。`
          : "このキーのリクエストが多すぎます。しばらく待ってからもう一度お試しください。",
      too_many_attempts: (s) =>
        s
          ? `試行回数が多すぎます。${s} 秒お待ちください。ボタンのカウントダウンが 0 になると、もう一度お試しいただけます。`
          : "試行回数が多すぎます。しばらく待ってからもう一度お試しください。",
      upstream_error: (status) =>
        `J-Quants またはプロキシでエラーが発生しました${status ? `（HTTP ${status}）` : ""}。しばらくしてからもう一度お試しください。`,
      endpoint_gone:
        "J-Quants はこのログイン API（V1）を 2026年6月1日に廃止したため、メールアドレスとパスワードではログインできません。代わりに J-Quants のダッシュボードで発行する API キーを使ってください。",
      timeout: "時間内に応答がありませんでした。接続を確認して、もう一度お試しください。",
      network: (origin) =>
        `プロキシ（${origin}）に接続できませんでした。停止しているか接続できない状態か、このページからの接続を許可していない（CORS）可能性があります。プロキシ URL と接続を確認してください。`,
      canceled: "リクエストを中止しました。",
      internal: "J-Quants 用モジュールが停止しました。ページを再読み込みしてください。",
      load: "J-Quants 用モジュールを読み込めませんでした。ページを再読み込みしてください。",
      other: (status, code) =>
        `リクエストが失敗しました（${[status && `HTTP ${status}`, code].filter(Boolean).join("、")}）。`,
    },
  },
};

const kb = (bytes) => (bytes / 1024).toFixed(bytes < 10240 ? 1 : 0);

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
// The API key and the first call.
const keyForm = $("key-form");
const apiKey = $("api-key");
const revealKey = $("reveal-key");
const plan = $("plan");
const planHint = $("plan-hint");
const checkKey = $("check-key");
const checkKeyLabel = $("check-key-label");
const keyStatus = $("key-status");
const keyError = $("key-error");
const keyOk = $("key-ok");
const chartStep = $("chart-step");
const chartForm = $("chart-form");
const code = $("code");
const range = $("range");
const getChart = $("get-chart");
const getChartLabel = $("get-chart-label");
const stop = $("stop");
const progress = $("progress");
const chartError = $("chart-error");
const chart = $("chart");
const chartCaption = $("chart-caption");
const chartPlot = $("chart-plot");
const chartTable = $("chart-table");
// The retired V1 login.
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
  // V2
  keyBusy: false, // a key check is running
  keyStatus: undefined,
  keyError: undefined,
  listing: undefined, // the key check's row, once the key worked
  chartBusy: false, // a chart fetch is running
  stopper: undefined, // its AbortController
  chartStatus: undefined,
  chartError: undefined,
  waiting: undefined, // { step: "key" or "chart", until, reason, plan } while the module waits
  ticker: undefined, // re-renders the wait's countdown
  chartData: undefined, // { name, code, from, to, points }
  // V1
  busy: false, // a login is running
  idBusy: false, // an ID token request is running
  canRefresh: false, // the module has authRefresh
  loginBaseURL: "", // the proxy that issued the refresh token shown
  status: undefined,
  error: undefined,
  expiresAt: "",
  idExpiresAt: "",
  copied: new Map(), // status element → text
  countdown: undefined, // { until, button, timer } after a 429 with Retry-After
};
const t = () => TEXT[state.lang];

// KEEP_WHOLE matches what must not be split over two lines: the brand at
// its hyphen, a number and its unit ("7 日間", "58 s"), a date, a time with
// its zone ("2:48 UTC"), a status code ("HTTP 403", "（429）") and short
// phrases.
const KEEP_WHOLE = new RegExp(
  "(" +
    [
      "J-Quants",
      "（\\d+ (?:日間|時間)有効）",
      "\\d+ (?:日間|時間|秒|s|KB|rows|pages?|trading days|requests|months)\\b",
      "\\d+ (?:日間|時間|秒|行|ページ|営業日|リクエスト|か月)",
      "\\d{4}-\\d\\d-\\d\\d",
      "\\d{4}年\\d{1,2}月\\d{1,2}日",
      "\\d{1,2}:\\d\\d(?::\\d\\d)?(?:\\s?[AaPp]\\.?[Mm]\\.?)?(?: (?:[A-Z]{2,5}|GMT[+-]\\d{1,2}(?::\\d\\d)?))?",
      "HTTP \\d{3}",
      "（\\d{3}）",
      "\\(\\d{3}\\)",
      "もう一度",
      "API キー",
      "IDトークン",
      "1 分間",
    ].join("|") +
    ")",
);

// setText changes an element's text only when it differs, so that live
// regions (the alerts, the status lines) speak only what is new. Parts that
// must stay on one line go in a .nowrap span; the text stays the same. The
// text last set is kept beside it, since index.html's own English text
// equals it but has no spans yet.
const shown = new WeakMap();
function setText(el, text) {
  if (shown.get(el) === text && el.textContent === text) return;
  shown.set(el, text);
  if (el.textContent === text && !KEEP_WHOLE.test(text)) return;
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

// ---- where secrets go ---------------------------------------------------

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

// ---- dates --------------------------------------------------------------

const DAY = 24 * 3600 * 1000;
const ymd = (ms) => new Date(ms).toISOString().slice(0, 10);

// todayInJapan is today's date in Japan, by which J-Quants' days turn, as
// midnight UTC.
function todayInJapan() {
  const jst = new Date(Date.now() + 9 * 3600 * 1000);
  return Date.UTC(jst.getUTCFullYear(), jst.getUTCMonth(), jst.getUTCDate());
}

// threeMonthsBefore is the day three calendar months before the day ms.
function threeMonthsBefore(ms) {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() - 3);
  return d.getTime();
}

// planRange is the chart's default span: the last 3 months the plan covers.
// Free covers up to 12 weeks ago, as J-Quants documents; the paid plans up
// to today. If J-Quants says otherwise, its window wins (see fetchCloses).
function planRange(p, window) {
  let to = p === "free" ? todayInJapan() - 84 * DAY : todayInJapan();
  let from = threeMonthsBefore(to);
  if (window) {
    to = window.to ? Date.parse(window.to) : todayInJapan();
    from = Math.max(Date.parse(window.from), threeMonthsBefore(to));
  }
  return { from: ymd(from), to: ymd(to) };
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
  const ready = !!state.proxy && !state.configBroken;
  const waiting = state.countdown ? Math.max(0, Math.ceil((state.countdown.until - Date.now()) / 1000)) : 0;
  renderKey(tx, ready, waiting);
  renderChart(tx);
  renderLogin(tx, ready, waiting);
}

function renderKey(tx, ready, waiting) {
  setText(revealKey, apiKey.type === "password" ? tx.show : tx.hide);
  setText(planHint, tx.planHint(plan.value));
  checkKey.disabled = !ready || state.keyBusy || (waiting > 0 && state.countdown.button === checkKey);
  keyForm.setAttribute("aria-busy", String(state.keyBusy));
  checkKey.classList.toggle("busy", state.keyBusy);
  // Once the key works, the next step is the primary button.
  checkKey.classList.toggle("primary", !state.listing);
  checkKey.classList.toggle("secondary", !!state.listing);
  setText(
    checkKeyLabel,
    state.keyBusy
      ? tx.checkBusy
      : waiting > 0 && state.countdown.button === checkKey
        ? tx.wait(waiting)
        : tx.checkKey,
  );
  setText(keyStatus, state.waiting?.step === "key" ? waitText(tx, state.waiting) : state.keyStatus?.(tx) ?? "");
  const error = state.keyError?.(tx) ?? "";
  setText(keyError, error);
  keyError.hidden = !error;
  const l = state.listing;
  setText(keyOk, l ? tx.keyOk(l, state.lang === "ja" ? marketJa(l) : MARKETS_EN[l.Mkt] ?? l.MktNm) : "");
  keyOk.hidden = !l;
  chartStep.hidden = !l;
}

// waitText counts down a wait the module is making, and says why.
function waitText(tx, w) {
  const n = Math.max(0, Math.ceil((w.until - Date.now()) / 1000));
  return w.reason === "rate_limited" ? tx.waitLimited(n) : w.reason === "retry" ? tx.waitRetry(n) : tx.waitPace(n, w.plan);
}

// showWait follows the module's progress: a wait starts a countdown on
// step's status line; anything else ends it.
function showWait(step, pr, p) {
  clearInterval(state.ticker);
  state.waiting = undefined;
  if (pr?.waitMs > 0) {
    state.waiting = { step, until: Date.now() + pr.waitMs, reason: pr.reason, plan: p };
    state.ticker = setInterval(render, 250);
  }
}

const marketJa = (l) => (/市場$/.test(l.MktNm) || !l.MktNm ? l.MktNm : `${l.MktNm}市場`);

function renderChart(tx) {
  const r = planRange(plan.value);
  setText(range, tx.range(r.from, r.to, plan.value));
  getChart.disabled = state.chartBusy || !state.listing;
  getChart.classList.toggle("busy", state.chartBusy);
  chartForm.setAttribute("aria-busy", String(state.chartBusy));
  setText(getChartLabel, state.chartBusy ? tx.chartBusy : tx.getChart);
  stop.hidden = !state.chartBusy;
  setText(progress, state.waiting?.step === "chart" ? waitText(tx, state.waiting) : state.chartStatus?.(tx) ?? "");
  const error = state.chartError?.(tx) ?? "";
  setText(chartError, error);
  chartError.hidden = !error;
  const d = state.chartData;
  chart.hidden = !d;
  if (d) drawChart(tx, d);
}

function renderLogin(tx, ready, waiting) {
  setText(reveal, password.type === "password" ? tx.show : tx.hide);
  if (state.proxy) {
    const own = state.proxy.origin === location.origin;
    setText(apiHint, tx.apiHint(state.proxy.origin, own));
    api.placeholder = state.proxy.href;
  }
  renderNotice();

  submit.disabled = !ready || state.busy || state.idBusy || (waiting > 0 && state.countdown.button !== checkKey);
  form.setAttribute("aria-busy", String(state.busy));
  form.classList.toggle("busy", state.busy);
  setText(
    submitLabel,
    state.busy ? tx.busy : waiting > 0 && state.countdown.button === submit ? tx.wait(waiting) : tx.submit,
  );
  setText(status, state.status?.(tx) ?? "");

  // After a login the next step, the ID token, is the primary button.
  const loggedIn = !!token.value;
  submit.classList.toggle("primary", !loggedIn);
  submit.classList.toggle("secondary", loggedIn);
  getId.hidden = !state.canRefresh || !loggedIn;
  getId.classList.toggle("primary", !idToken.value);
  getId.classList.toggle("secondary", !!idToken.value);
  getId.disabled = state.busy || state.idBusy || (waiting > 0 && state.countdown.button !== checkKey);
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

// ---- the chart: inline SVG, built with DOM calls ------------------------

const SVG = "http://www.w3.org/2000/svg";

function svg(name, attrs, ...children) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

// drawChart draws d.points ({ date, close }) as a line with its axes, and
// fills the table behind the disclosure. The SVG is drawn at the plot's
// width in pixels, so its text keeps its size at 360 px as at 1280 px.
function drawChart(tx, d) {
  const locale = state.lang === "ja" ? "ja-JP" : "en-US";
  const yen = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const closes = d.points.map((p) => p.close);
  const low = Math.min(...closes);
  const high = Math.max(...closes);
  const at = (v) => d.points[closes.indexOf(v)].date;
  const summary = {
    n: d.points.length,
    from: d.points[0].date,
    to: d.points.at(-1).date,
    first: yen.format(closes[0]),
    last: yen.format(closes.at(-1)),
    low: yen.format(low),
    lowDate: at(low),
    high: yen.format(high),
    highDate: at(high),
  };
  setText(chartCaption, tx.caption(d.name, d.code, d.from, d.to));

  const width = Math.max(240, Math.round(chartPlot.clientWidth || 320));
  const height = width < 480 ? 220 : 300;
  const pad = { left: 52, right: 12, top: 12, bottom: 26 };
  const span = high - low || 1;
  const x = (i) => pad.left + ((width - pad.left - pad.right) * i) / Math.max(1, d.points.length - 1);
  const y = (v) => pad.top + ((height - pad.top - pad.bottom) * (high - v)) / span;
  const key = [state.lang, width, d.code, d.from, d.to, d.points.length].join(" ");
  if (chartPlot.dataset.key !== key) {
    chartPlot.dataset.key = key;
    const grid = [];
    for (let i = 0; i <= 3; i++) {
      const v = low + (span * i) / 3;
      grid.push(
        svg("line", { class: "grid", x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }),
        svg("text", { class: "tick", x: pad.left - 6, y: y(v) + 4, "text-anchor": "end" }, yen.format(Math.round(v))),
      );
    }
    const dates = [0, d.points.length - 1].map((i, n) =>
      svg(
        "text",
        { class: "tick", x: x(i), y: height - 6, "text-anchor": n === 0 ? "start" : "end" },
        d.points[i].date,
      ),
    );
    const line = svg("polyline", {
      class: "line",
      points: d.points.map((p, i) => `${x(i).toFixed(1)},${y(p.close).toFixed(1)}`).join(" "),
    });
    chartPlot.replaceChildren(
      svg(
        "svg",
        {
          width,
          height,
          viewBox: `0 0 ${width} ${height}`,
          role: "img",
          "aria-labelledby": "chart-name chart-desc",
          class: "line-chart",
        },
        svg("title", { id: "chart-name" }, tx.chartName(d.name, d.code)),
        svg("desc", { id: "chart-desc" }, tx.chartDesc(summary)),
        ...grid,
        ...dates,
        line,
      ),
    );
    const body = chartTable.tBodies[0];
    body.replaceChildren(
      ...d.points.map((p) => {
        const tr = document.createElement("tr");
        const th = document.createElement("th");
        th.scope = "row";
        th.textContent = p.date;
        const td = document.createElement("td");
        td.textContent = yen.format(p.close);
        tr.append(th, td);
        return tr;
      }),
    );
  }
}

// ---- errors ---------------------------------------------------------------

function errorText(err, baseURL, step) {
  const code = err?.code;
  return (tx) => {
    const e = tx.errors;
    switch (code) {
      case "rate_limited":
        return step === "login" || step === "refresh" ? e.too_many_attempts(err.retryAfter) : e.rate_limited(err.retryAfter);
      case "upstream_error":
        return e.upstream_error(err.status);
      case "network":
        return e.network(parseProxy(baseURL)?.origin ?? baseURL);
      case "invalid_credentials":
        return step === "refresh" ? e.refresh_refused : e.invalid_credentials;
      case "invalid_input":
        if (step === "key") return err.status === 400 ? e.bad_request : e.bad_key;
        if (step === "chart") return err.status === 400 ? e.bad_request : e.bad_code;
        return e.invalid_input;
      case "outside_plan_dates":
        return e.outside_plan_dates(err.from, err.to);
      case "key_required":
      case "key_invalid":
      case "not_on_plan":
      case "no_such_endpoint":
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

// startCountdown keeps button (and, for a login, the other login button)
// disabled for the wait the proxy asked for, counting it down on button.
function startCountdown(secs, button) {
  clearInterval(state.countdown?.timer);
  const until = Date.now() + secs * 1000;
  const timer = setInterval(() => {
    if (Date.now() >= until) {
      clearInterval(timer);
      state.countdown = undefined;
      const again = (tx) => tx.again;
      if (button === checkKey) state.keyStatus = again;
      else state.status = again;
    }
    render();
  }, 200);
  state.countdown = { until, button, timer };
  render();
}

// ---- the API key ----------------------------------------------------------

function hideKey() {
  apiKey.type = "password";
  revealKey.setAttribute("aria-pressed", "false");
}

// onPaste puts the pasted text in trimmed: a key copied from the dashboard
// often brings a space or a line break along.
function onPasteKey(event) {
  const text = event.clipboardData?.getData("text/plain");
  if (text === undefined || text === text.trim()) return;
  event.preventDefault();
  apiKey.setRangeText(text.trim(), apiKey.selectionStart ?? 0, apiKey.selectionEnd ?? 0, "end");
  apiKey.dispatchEvent(new Event("input", { bubbles: true }));
}

// onKeyInput: another key is not the key that worked.
function onKeyInput() {
  if (!state.listing && !state.keyError) return;
  stopChart();
  state.listing = undefined;
  state.keyError = undefined;
  state.chartData = undefined;
  state.chartError = undefined;
  state.chartStatus = undefined;
  render();
}

async function onCheckKey(event) {
  event.preventDefault();
  if (checkKey.disabled) return;
  const key = apiKey.value.trim();
  apiKey.value = key;
  stopChart();
  state.listing = undefined;
  state.chartData = undefined;
  state.chartError = undefined;
  state.chartStatus = undefined;
  state.keyStatus = undefined;
  if (!key) {
    state.keyError = (tx) => tx.errors.key_required;
    render();
    keyError.focus();
    return;
  }
  state.keyError = undefined;
  state.keyBusy = true;
  hideKey();
  render();
  const p = plan.value;
  const baseURL = state.proxy.href;
  try {
    const jq = await load();
    const { listing } = await jq.checkKey(key, {
      baseURL,
      plan: p,
      onProgress: (pr) => {
        showWait("key", pr, p);
        render();
      },
    });
    showWait();
    state.keyBusy = false;
    state.listing = listing;
    render();
    keyOk.focus();
  } catch (err) {
    showWait();
    state.keyBusy = false;
    if (err?.code === "rate_limited" && err.retryAfter > 0) startCountdown(err.retryAfter, checkKey);
    state.keyError = errorText(err, baseURL, "key");
    render();
    keyError.focus();
  }
}

function onRevealKey() {
  const show = apiKey.type === "password";
  apiKey.type = show ? "text" : "password";
  revealKey.setAttribute("aria-pressed", String(show));
  render();
  apiKey.focus();
}

// ---- the first call: a stock's daily closes -------------------------------

function stopChart() {
  state.stopper?.abort();
}

// fetchCloses gets the company's name and its daily closes over the plan's
// last 3 months, paced for the plan. A 400 that names the plan's window
// (the plan chosen is not the key's, or the day turned) is tried once more
// within that window.
async function fetchCloses(jq, key, codeValue, p, opts) {
  let listing = state.listing;
  if (listing.Code !== codeValue && listing.Code !== `${codeValue}0`) {
    const { data } = await jq.get(key, "/equities/master", { code: codeValue }, opts);
    listing = data[0];
    if (!listing) return { missing: "code" };
  }
  let r = planRange(p);
  let bars;
  try {
    bars = await jq.get(key, "/equities/bars/daily", { code: codeValue, from: r.from, to: r.to }, opts);
  } catch (err) {
    if (err?.code !== "outside_plan_dates" || !err.from) throw err;
    r = planRange(p, { from: err.from, to: err.to });
    bars = await jq.get(key, "/equities/bars/daily", { code: codeValue, from: r.from, to: r.to }, opts);
  }
  const points = bars.data
    .filter((b) => typeof b.C === "number" && typeof b.Date === "string")
    .map((b) => ({ date: b.Date, close: b.C }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { listing, points, pages: bars.pages, ...r };
}

async function onChart(event) {
  event.preventDefault();
  if (getChart.disabled || !state.listing) return;
  const codeValue = code.value.trim().toUpperCase();
  code.value = codeValue;
  state.chartError = undefined;
  state.chartStatus = undefined;
  if (!/^[0-9A-Z]{4,5}$/.test(codeValue)) {
    state.chartError = (tx) => tx.errors.bad_code;
    render();
    chartError.focus();
    return;
  }
  const key = apiKey.value.trim();
  const p = plan.value;
  const baseURL = state.proxy.href;
  const stopper = new AbortController();
  state.stopper = stopper;
  state.chartBusy = true;
  state.chartData = undefined;
  render();
  const onProgress = (pr) => {
    showWait("chart", pr, p);
    if (pr.waitMs === 0) state.chartStatus = (tx) => tx.fetched(pr);
    render();
  };
  try {
    const jq = await load();
    const res = await fetchCloses(jq, key, codeValue, p, { baseURL, plan: p, signal: stopper.signal, onProgress });
    if (res.missing) {
      state.chartError = (tx) => tx.errors.no_such_code(codeValue);
    } else if (res.points.length === 0) {
      state.chartError = (tx) => tx.errors.no_data(codeValue);
    } else {
      const name = (lang) => (lang === "ja" ? res.listing.CoName : res.listing.CoNameEn) || res.listing.CoName;
      state.chartData = {
        get name() {
          return name(state.lang);
        },
        code: res.listing.Code ?? codeValue,
        from: res.from,
        to: res.to,
        points: res.points,
      };
      state.chartStatus = (tx) => tx.done(res.points.length, res.pages);
    }
  } catch (err) {
    if (err?.code === "canceled") {
      state.chartStatus = (tx) => tx.stopped;
    } else {
      state.chartStatus = undefined;
      state.chartError = errorText(err, baseURL, "chart");
    }
  } finally {
    showWait();
    state.chartBusy = false;
    if (state.stopper === stopper) state.stopper = undefined;
  }
  render();
  if (state.chartError) chartError.focus();
  // Stop hides itself: the focus goes to the button that starts again.
  else if (stopper.signal.aborted && (document.activeElement === stop || document.activeElement === document.body)) {
    getChart.focus();
  }
}

// ---- the V1 login -----------------------------------------------------------

// showError puts one error in the login's box and moves the focus there. A
// failed ID token request keeps the refresh token shown: it is still good.
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

function fail(err, baseURL, step, button) {
  if (err?.code === "rate_limited" && err.retryAfter > 0) startCountdown(err.retryAfter, button);
  showError(errorText(err, baseURL, step), { keepResult: step === "refresh" });
}

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
    // The next step, right under the token, comes into view with it.
    getId.scrollIntoView({ block: "nearest" });
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

// No key, password or token in the page after it is hidden or left
// (bfcache included).
function onPageHide() {
  stopChart();
  apiKey.value = "";
  state.listing = undefined;
  state.chartData = undefined;
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
  keyForm.addEventListener("submit", onCheckKey);
  apiKey.addEventListener("paste", onPasteKey);
  apiKey.addEventListener("input", onKeyInput);
  revealKey.addEventListener("click", onRevealKey);
  plan.addEventListener("change", render);
  chartForm.addEventListener("submit", onChart);
  stop.addEventListener("click", stopChart);
  new ResizeObserver(() => state.chartData && render()).observe(chartPlot);
  form.addEventListener("submit", onSubmit);
  api.addEventListener("input", renderNotice);
  api.addEventListener("change", renderNotice);
  copy.addEventListener("click", () => copyFrom(token, copied));
  copyId.addEventListener("click", () => copyFrom(idToken, copiedId));
  getId.addEventListener("click", onGetId);
  reveal.addEventListener("click", onReveal);
  for (const b of document.querySelectorAll("button[data-lang]")) b.addEventListener("click", onLanguage);
  addEventListener("pagehide", onPageHide);
  // The buttons stay disabled until the page knows where requests go.
  const proxy = await loadConfig();
  if (proxy) {
    state.proxy = proxy;
  } else {
    state.proxy = { href: location.origin, origin: location.origin };
    state.configBroken = true;
    state.keyError = (tx) => tx.errors.config;
    state.error = (tx) => tx.errors.config;
  }
  render();
}

start();
