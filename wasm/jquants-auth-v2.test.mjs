// Tests of the module's V2 calls (checkKey, get, pages) with the built
// module (make web), under Node:
//   node --test wasm/jquants-auth-v2.test.mjs
// The servers are real: the fake J-Quants on a clock this file sets
// (wasm/testfake) and the native proxy (`go run .`) in front of it, both
// built and started here. One clock, the test's, drives the module
// (options.now and options.sleep) and the fake's per-key limits and plan
// windows: a minute of pacing is one step of the clock, never a real
// minute. This file runs in a process of its own, so the module's pace per
// plan (kept for the module's life) is this file's alone.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { root, build, start, stop } from "./testservers.mjs";
const day = 24 * 3600 * 1000;

let dir;
let fake; // the fake's base URL
let proxy; // the native proxy's
let proxyLog = "";
let hangServer;
let hang; // a server that takes requests and never answers
let hung = []; // the requests it holds, with a promise that settles when each closes
let onHang; // called with each

before(async () => {
  dir = await build("jquants-auth-v2-test-", { testfake: "./wasm/testfake", proxy: "." });
  fake = await start("testfake", [], {}, "stdout");
  proxy = await start(
    "proxy",
    [],
    { JQUANTS_API_BASE_URL: fake, PORT: "0", WEB_DIR: dir },
    "stderr",
    (line) => (proxyLog += line + "\n"),
  );
  hangServer = createServer((req, res) => {
    const closed = new Promise((resolve) => res.on("close", resolve));
    hung.push({ url: req.url, headers: req.headers, closed });
    onHang?.();
  });
  await new Promise((resolve) => hangServer.listen(0, "127.0.0.1", resolve));
  hang = `http://127.0.0.1:${hangServer.address().port}`;
});

after(async () => {
  hangServer?.closeAllConnections();
  hangServer?.close();
  await stop();
});

// control calls the fake's /_test/ API.
async function control(method, path, body) {
  const res = await fetch(fake + "/_test/" + path, { method, body: body && JSON.stringify(body) });
  if (!res.ok) assert.fail(`${method} /_test/${path}: ${res.status} ${await res.text()}`);
  return res;
}
const newKey = async (plan) => (await control("POST", `key?plan=${plan}`)).text();
const setPageRows = (n) => control("POST", `page-rows?n=${n}`);
const setFault = (fault) => control("POST", "fault", fault);
const recorded = async () => (await control("GET", "requests")).json();

// The clock: 2026-12-03 (a Thursday) at 14:00 in Japan, then an hour on
// for each test, so that no test meets the sends of the one before it.
let clockMs = Date.UTC(2026, 11, 3, 5, 0, 0);
let sleeps = []; // each wait the module made, in ms
async function setClock(ms) {
  clockMs = ms;
  await control("POST", `clock?ms=${ms}`);
}
const clock = {
  now: () => clockMs,
  sleep: async (ms, signal) => {
    if (signal?.aborted) throw signal.reason;
    sleeps.push(ms);
    await setClock(clockMs + ms);
  },
};

beforeEach(async () => {
  await setClock(clockMs + 3600 * 1000);
  await control("POST", "reset");
  await setPageRows(0);
  sleeps = [];
  hung = [];
  onHang = undefined;
});

// Free's window on the clock's day in Japan: from 2 years before "12 weeks
// ago" to 12 weeks ago, as J-Quants documents it (and the fake serves).
function freeWindow() {
  const jst = new Date(clockMs + 9 * 3600 * 1000);
  const today = Date.UTC(jst.getUTCFullYear(), jst.getUTCMonth(), jst.getUTCDate());
  const to = new Date(today - 84 * day);
  const from = new Date(to);
  from.setUTCFullYear(to.getUTCFullYear() - 2);
  return { from: ymd(from), to: ymd(to), toMs: to.getTime() };
}
const ymd = (d) => new Date(d).toISOString().slice(0, 10);
// barsQuery is about three months of JPX Group's daily bars in Free's window.
function barsQuery() {
  const { toMs } = freeWindow();
  return { code: "86970", from: ymd(toMs - 90 * day), to: ymd(toMs) };
}

const { load } = await import("../build/web/jquants-auth.mjs");

function wantError(err, code, status, key) {
  assert.ok(err instanceof Error, "an Error");
  assert.equal(err.name, "JQuantsAuthError");
  assert.equal(err.code, code, err.message);
  assert.equal(err.status, status);
  assert.match(err.message, /^[A-Z].*\.$/, "one sentence");
  if (key) assert.ok(!JSON.stringify({ ...err, message: err.message }).includes(key), "no key in the error");
  return true;
}

// keyInNoURL checks the fake's records: the key came in the header on
// each, and in no URL (the fake records any key of its own it finds in a
// query as [REDACTED]), and the proxy's log never held it.
function keyInNoURL(records, key) {
  for (const r of records) {
    assert.ok(r.keySent, `no x-api-key on ${r.path}`);
    assert.ok(!r.query.includes("REDACTED") && !r.query.includes(key), `a key in the query ${r.query}`);
  }
  assert.ok(!proxyLog.includes(key), "the proxy's log holds the key");
}

test("load: the V2 calls are there", async () => {
  const jq = await load();
  assert.deepEqual(Object.keys(jq), ["authUser", "authRefresh", "checkKey", "get", "pages"]);
  assert.ok(Object.isFrozen(jq));
});

test("checkKey: the JPX row, from the fake and through the native proxy; the key only in x-api-key", async () => {
  const jq = await load();
  const key = await newKey("free");
  for (const baseURL of [fake, new URL(proxy + "/")]) {
    // Pasted text keeps its white space; the module trims it.
    const { listing } = await jq.checkKey(` ${key}\n`, { baseURL, ...clock });
    assert.equal(listing.Code, "86970");
    assert.equal(listing.CoName, "日本取引所グループ");
    assert.equal(listing.CoNameEn, "Japan Exchange Group,Inc.");
    assert.equal(listing.MktNm, "プライム");
    assert.match(listing.Date, /^\d{4}-\d\d-\d\d$/);
  }
  const records = await recorded();
  assert.deepEqual(
    records.map((r) => [r.path, r.query, r.keyPlan]),
    [
      ["/v2/equities/master", "code=86970", "free"],
      ["/v2/equities/master", "code=86970", "free"],
    ],
  );
  keyInNoURL(records, key);
  assert.deepEqual(sleeps, [], "two requests on Free: no wait");
});

test("each 403 message is its code, one request each; a 400 names the plan's window", async () => {
  const jq = await load();
  const key = await newKey("free");
  const opts = { baseURL: fake, ...clock };
  const cases = [
    [() => jq.checkKey("fake-api-key-00000000000000000000", opts), "key_invalid", 403, "The incoming api key is invalid or expired."],
    [() => jq.get(key, "/equities/bars/minute", { code: "86970", date: freeWindow().to }, opts), "not_on_plan", 403, /^This API is not available on your subscription\. /],
    [() => jq.get(key, "/equities/bars/daily", {}, opts), "invalid_input", 400, "This API requires at least 1 parameter as follows; date, code."],
  ];
  // J-Quants' other 403s, which the module never causes: played by the fake.
  for (const [message, code] of [
    ["The api key is required.", "key_required"],
    ["The requested endpoint does not exist. Please check the URL.", "no_such_endpoint"],
    ["Missing Authentication Token", "forbidden"],
  ]) {
    cases.push([
      async () => {
        await setFault({ status: 403, message, times: 1 });
        return jq.checkKey(key, opts);
      },
      code,
      403,
      message.endsWith(".") ? message : message + ".",
    ]);
  }
  for (const [call, code, status, message] of cases) {
    await control("POST", "reset");
    await assert.rejects(call(), (err) => {
      wantError(err, code, status, key);
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    });
    assert.equal((await recorded()).length, 1, `${code}: one request, not retried`);
  }

  const { from, to } = freeWindow();
  await assert.rejects(jq.get(key, "/equities/bars/daily", { code: "86970", from: "2020-01-06" }, opts), (err) => {
    wantError(err, "outside_plan_dates", 400, key);
    assert.equal(err.from, from);
    assert.equal(err.to, to);
    return true;
  });
  const light = await newKey("light");
  await assert.rejects(jq.get(light, "/equities/bars/daily", { code: "86970", from: "2001-01-04" }, { ...opts, plan: "light" }), (err) => {
    wantError(err, "outside_plan_dates", 400, light);
    assert.match(err.from, /^\d{4}-\d\d-\d\d$/);
    assert.equal(err.to, null, "a paid plan's window has no end");
    return true;
  });
});

test("a three-page fetch is joined in order: the same rows as one page", async () => {
  const jq = await load();
  const key = await newKey("light");
  const opts = { baseURL: fake, plan: "light", ...clock };
  const whole = await jq.get(key, "/equities/bars/daily", barsQuery(), opts);
  assert.equal(whole.pages, 1);
  assert.ok(whole.data.length > 50, `${whole.data.length} rows`);
  const dates = whole.data.map((r) => r.Date);
  assert.deepEqual(dates, [...dates].sort(), "in date order");

  await setPageRows(Math.ceil(whole.data.length / 3));
  await control("POST", "reset");
  const progress = [];
  const paged = await jq.get(key, "/equities/bars/daily", barsQuery(), { ...opts, onProgress: (p) => progress.push(p) });
  assert.equal(paged.pages, 3);
  assert.deepEqual(paged.data, whole.data);
  assert.deepEqual(
    progress.map((p) => [p.pages, p.reason, p.waitMs]),
    [
      [1, "page", 0],
      [2, "page", 0],
      [3, "page", 0],
    ],
  );
  assert.equal(progress[2].rows, whole.data.length);
  assert.ok(progress[0].bytes > 0 && progress[2].bytes > progress[1].bytes && progress[1].bytes > progress[0].bytes);
  const keys = (await recorded()).map((r) => new URLSearchParams(r.query).get("pagination_key"));
  assert.equal(keys[0], null);
  assert.ok(keys[1] && keys[2] && keys[1] !== keys[2], "a new pagination_key for each page");

  // The same, page by page.
  const numbers = [];
  const rows = [];
  for await (const page of jq.pages(key, "/equities/bars/daily", barsQuery(), opts)) {
    numbers.push(page.number);
    rows.push(...page.data);
    assert.ok(page.bytes > 0);
  }
  assert.deepEqual(numbers, [1, 2, 3]);
  assert.deepEqual(rows, whole.data);
});

test("Free's pace: a key check and a fetch of 7 pages, never 6 requests in a minute, no 429", async () => {
  const jq = await load();
  const key = await newKey("free");
  const opts = { baseURL: fake, ...clock }; // plan: "free", the default
  const whole = await jq.get(key, "/equities/bars/daily", barsQuery(), opts);
  await setClock(clockMs + 3600 * 1000);
  await control("POST", "reset");
  await setPageRows(10);
  sleeps = [];
  const start = clockMs;

  await jq.checkKey(key, opts); // the same pace as the fetch after it
  const progress = [];
  const paged = await jq.get(key, "/equities/bars/daily", barsQuery(), { ...opts, onProgress: (p) => progress.push(p) });
  const pages = Math.ceil(whole.data.length / 10);
  assert.equal(paged.pages, pages);
  assert.ok(pages >= 6, `${pages} pages`);
  assert.deepEqual(paged.data, whole.data);

  const records = await recorded();
  assert.equal(records.length, pages + 1, "each request once: no 429 and no retry");
  for (let i = 5; i < records.length; i++) {
    assert.ok(records[i].ms - records[i - 5].ms >= 60000, `request ${i + 1} came within a minute of request ${i - 4}`);
  }
  const waits = progress.filter((p) => p.waitMs > 0);
  assert.ok(waits.length >= 1, "no wait");
  assert.ok(waits.every((p) => p.reason === "pace"), JSON.stringify(waits));
  assert.deepEqual(sleeps, waits.map((p) => p.waitMs), "each wait told, then made");
  assert.equal(waits[0].pages, 4, "the wait came after the check and 4 pages: 5 requests");
  assert.ok(clockMs - start >= 61000 && clockMs - start < 3 * 61000, `took ${clockMs - start} ms of the clock`);
  keyInNoURL(records, key);
});

test("a 429 is waited out for a minute, never retried at once; a key check's 429 is the answer", async () => {
  const jq = await load();
  const key = await newKey("free");
  const opts = { baseURL: fake, ...clock };
  // Another program with the same key used up the minute.
  const useUp = async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${fake}/v2/markets/calendar?date=${freeWindow().to}`, { headers: { "x-api-key": key } });
      assert.equal(res.status, 200);
    }
  };
  await useUp();
  const progress = [];
  const res = await jq.get(key, "/equities/master", { code: "86970" }, { ...opts, onProgress: (p) => progress.push(p) });
  assert.equal(res.data.length, 1);
  assert.deepEqual(sleeps, [60000]);
  assert.deepEqual(progress.map((p) => [p.reason, p.waitMs]), [["rate_limited", 60000], ["page", 0]]);
  const mine = (await recorded()).filter((r) => r.path === "/v2/equities/master");
  assert.equal(mine.length, 2);
  assert.equal(mine[1].ms - mine[0].ms, 60000, "the retry came a minute later");

  // A key check is told to wait instead; the pace then holds the next call.
  await setClock(clockMs + 3600 * 1000);
  await control("POST", "reset");
  sleeps = [];
  await useUp();
  await assert.rejects(jq.checkKey(key, opts), (err) => {
    wantError(err, "rate_limited", 429, key);
    assert.equal(err.retryAfter, 60);
    return true;
  });
  assert.equal((await recorded()).length, 6, "the check's request, once");
  assert.deepEqual(sleeps, []);
  const sentAt = clockMs;
  await jq.checkKey(key, opts);
  assert.deepEqual(sleeps, [60000], "the next call waited out the 429 first");
  const last = (await recorded()).at(-1);
  assert.equal(last.ms, sentAt + 60000);
});

test("a 500 is tried again after a short backoff", async () => {
  const jq = await load();
  const key = await newKey("light");
  await setFault({ path: "/v2/equities/master", status: 500, message: "Unexpected error. Please try again later.", times: 1 });
  const progress = [];
  const res = await jq.get(key, "/equities/master", { code: "86970" }, { baseURL: fake, plan: "light", ...clock, onProgress: (p) => progress.push(p) });
  assert.equal(res.data.length, 1);
  assert.equal(sleeps.length, 1);
  assert.ok(sleeps[0] >= 100 && sleeps[0] <= 200, `backoff ${sleeps[0]} ms`);
  assert.deepEqual(progress.map((p) => p.reason), ["retry", "page"]);
});

test("a query's numbers are sent as String writes them, in the order given", async () => {
  const jq = await load();
  const key = await newKey("premium");
  const date = freeWindow().to;
  const res = await jq.get(key, "/equities/master", { code: 86970, date }, { baseURL: fake, plan: "premium", ...clock });
  assert.equal(res.data[0].Code, "86970");
  assert.deepEqual(
    (await recorded()).map((r) => r.query),
    [`code=86970&date=${date}`],
  );
});

test("210: an empty page", async () => {
  const jq = await load();
  const key = await newKey("standard");
  // 09:30 in Japan: the morning session's bars come out at noon.
  await setClock(Date.UTC(2026, 11, 8, 0, 30, 0));
  const res = await jq.get(key, "/equities/bars/daily/am", { code: "86970" }, { baseURL: fake, plan: "standard", ...clock });
  assert.deepEqual(res, { data: [], pages: 1 });
  await setClock(Date.UTC(2026, 11, 8, 4, 0, 0)); // 13:00
  const later = await jq.get(key, "/equities/bars/daily/am", { code: "86970" }, { baseURL: fake, plan: "standard", ...clock });
  assert.equal(later.data.length, 1);
});

test("aborting stops the fetch: during the pace's wait, and with a request in flight", async () => {
  const jq = await load();
  const key = await newKey("free");
  await setPageRows(10);
  const ctrl = new AbortController();
  // The wait starts, and the Stop button is pressed while it counts down.
  const stopWhileWaiting = (ms, signal) =>
    new Promise((_, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      queueMicrotask(() => ctrl.abort());
    });
  let told;
  const opts = { baseURL: fake, now: clock.now, sleep: stopWhileWaiting, signal: ctrl.signal, onProgress: (p) => (told = p) };
  await assert.rejects(jq.get(key, "/equities/bars/daily", barsQuery(), opts), (err) => {
    wantError(err, "canceled", 0, key);
    assert.equal(err.message, "The call was canceled.");
    return true;
  });
  assert.deepEqual([told.pages, told.reason], [5, "pace"], "stopped in the wait after 5 pages");
  assert.equal((await recorded()).length, 5, "nothing sent after the abort");

  const inFlight = new AbortController();
  onHang = () => inFlight.abort();
  await assert.rejects(jq.checkKey(key, { baseURL: hang, plan: "premium", signal: inFlight.signal }), (err) =>
    wantError(err, "canceled", 0, key),
  );
  assert.equal(hung.length, 1);
  await hung[0].closed; // the request was aborted, so its connection closed
  assert.equal(hung[0].headers["x-api-key"], key);
  assert.equal(hung[0].url, "/v2/equities/master?code=86970");

  await assert.rejects(jq.checkKey(key, { baseURL: fake, signal: AbortSignal.abort(), ...clock }), (err) =>
    wantError(err, "canceled", 0),
  );
});

test("timeoutMs bounds each request: code timeout, not retried", async () => {
  const jq = await load();
  const key = await newKey("premium");
  const start = performance.now();
  await assert.rejects(jq.checkKey(key, { baseURL: hang, plan: "premium", timeoutMs: 1000 }), (err) => {
    wantError(err, "timeout", 0, key);
    assert.equal(err.message, "No answer came in time.");
    return true;
  });
  const took = performance.now() - start;
  assert.ok(took >= 990 && took < 6000, `took ${took} ms for a 1000 ms timeout`);
  assert.equal(hung.length, 1);
  await hung[0].closed;
});

test("a 200 that is not a page is upstream_error, not retried", async () => {
  const jq = await load();
  const key = await newKey("premium");
  for (const body of ["<html>", '{"data":{}}', '{"data":[],"pagination_key":7}']) {
    await control("POST", "reset");
    await setFault({ path: "/v2/markets/calendar", status: 200, body, times: 1 });
    await assert.rejects(jq.get(key, "/markets/calendar", { date: freeWindow().to }, { baseURL: fake, plan: "premium", ...clock }), (err) =>
      wantError(err, "upstream_error", 200, key),
    );
    assert.equal((await recorded()).length, 1, body);
  }
});

test("through the native proxy: a paged fetch, the same rows, the key in no URL and no log line", async () => {
  const jq = await load();
  const key = await newKey("light");
  const direct = await jq.get(key, "/equities/bars/daily", barsQuery(), { baseURL: fake, plan: "light", ...clock });
  await setPageRows(20);
  await control("POST", "reset");
  const proxied = await jq.get(key, "/equities/bars/daily", barsQuery(), { baseURL: proxy, plan: "light", ...clock });
  assert.equal(proxied.pages, Math.ceil(direct.data.length / 20));
  assert.deepEqual(proxied.data, direct.data);
  keyInNoURL(await recorded(), key);
  assert.match(proxyLog, /path="\/v2\/equities\/bars\/daily"/, "the proxy logged the calls");
});

test("invalid input is refused before any request", async () => {
  const jq = await load();
  const key = await newKey("free");
  const baseURL = fake;
  for (const [call, message] of [
    [() => jq.checkKey("", { baseURL }), "The API key is required."],
    [() => jq.checkKey("abc def", { baseURL }), /visible ASCII/],
    [() => jq.checkKey(undefined, { baseURL }), /API key must be a string/],
    [() => jq.get(key, "/equities/secret", {}, { baseURL }), /documented/],
    [() => jq.get(key, "/equities/master", { pagination_key: "x" }, { baseURL }), /pagination_key/],
    [() => jq.get(key, "/equities/master", ["code"], { baseURL }), /plain object/],
    [() => jq.get(key, "/equities/master", { code: null }, { baseURL }), /strings or numbers/],
    [() => jq.get(key, "/equities/master", { code: undefined }, { baseURL }), /strings or numbers/],
    [() => jq.get(key, "/equities/master", { code: { value: "86970" } }, { baseURL }), /strings or numbers/],
    [() => jq.get(key, "/equities/master", { code: ["86970"] }, { baseURL }), /strings or numbers/],
    [() => jq.get(key, "/equities/master", "code=86970", { baseURL }), /plain object/],
    [() => jq.get(key, "/equities/master", {}, { baseURL, plan: "gold" }), /plan/],
    [() => jq.get(key, "/equities/master", {}, { baseURL: "not a url" }), /baseURL/],
    [() => jq.get(key, "/equities/master", {}, { baseURL, timeoutMs: 0 }), /timeoutMs/],
    [() => jq.get(key, "/equities/master", {}, { baseURL, onProgress: "x" }), /onProgress/],
    [() => jq.get(key, "/equities/master", {}, "https://proxy.example"), /options/],
  ]) {
    await assert.rejects(call(), (err) => {
      wantError(err, "invalid_input", 0, key);
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    });
  }
  assert.equal((await recorded()).length, 0);
});

test("the README's V2 example runs as it is written, through the native proxy", async () => {
  const readme = await readFile(join(root, "README.md"), "utf8");
  const example = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes("checkKey("));
  assert.ok(example, "no JavaScript block with checkKey in README.md");
  const moduleImport = '"./jquants-auth.mjs"';
  const proxyURL = '"https://proxy.example"';
  assert.ok(example.includes(moduleImport) && example.includes(proxyURL), example);
  // The same code with the module where it is built, the native proxy, and
  // a key and dates for its free variables. It runs in a process of its
  // own: its module paces on the real clock, as a reader's would.
  const key = await newKey("free");
  const { toMs } = freeWindow();
  const code =
    `const apiKey = ${JSON.stringify(key)}, from = ${JSON.stringify(ymd(toMs - 30 * day))}, to = ${JSON.stringify(ymd(toMs))};\n` +
    example
      .replace(moduleImport, JSON.stringify(pathToFileURL(join(root, "build/web/jquants-auth.mjs")).href))
      .replace(proxyURL, JSON.stringify(proxy));
  const file = join(dir, "readme-v2-example.mjs");
  await writeFile(file, code);
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [file], { timeout: 30000 });
  assert.equal(stderr, "");
  assert.match(stdout, /^Japan Exchange Group,Inc\.: (\d+) daily bars in 1 page\(s\)\n$/);
  assert.ok(Number(/: (\d+) daily/.exec(stdout)[1]) >= 15, stdout);
  const records = await recorded();
  assert.deepEqual(records.map((r) => r.path), ["/v2/equities/master", "/v2/equities/bars/daily"]);
  keyInNoURL(records, key);
});
