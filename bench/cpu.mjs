// CPU time per request of the Go Worker (build/worker.mjs, the real entry
// and app.wasm) and of the JS yardstick, measured in Node (run by
// `make bench` through bench/cmd/bench):
//
//   node bench/cpu.mjs [worker.mjs] [jsworker.mjs] [rounds] [n]
//
// wrangler dev's ~10 ms of routing per request hides the Workers' own work;
// this isolates it. Each Worker's fetch handler takes n valid logins per
// round, rounds alternating, with upstream fetch stubbed (an instant 200
// with a token) and console.log stubbed out for both. CPU time is
// process.cpuUsage() (user + system) per request, which a busy machine
// disturbs far less than wall time; on Cloudflare it is what a request is
// billed for. Prints one JSON object (µs).
import "../worker/node-wasm-modules.mjs"; // .wasm imports as workerd does them
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [goPath = "build/worker.mjs", jsPath = "bench/jsworker/worker.mjs", roundsArg = "7", nArg = "1000"] = process.argv.slice(2);
const rounds = Number(roundsArg);
const n = Number(nArg);


const print = console.log;
console.log = () => {}; // both Workers log one line per request

const token = "fake-refresh-token-0123456789abcdef0123456789abcdef0123456789abcdef";
const answer = JSON.stringify({ refreshToken: token });
globalThis.fetch = async () =>
  new Response(answer, { status: 200, headers: { "Content-Type": "application/json", "Content-Length": String(answer.length) } });

const env = {
  JQUANTS_API_BASE_URL: "https://api.jquants.com",
  ALLOWED_ORIGINS: "http://localhost:8787,http://127.0.0.1:8787",
  UPSTREAM_TIMEOUT: "10s",
  LOGIN_RATE_LIMIT: "off",
};

// Go must never arm a timer in the Worker (a timer armed in one request's
// context fires in no other's): count the Go runtime's, which it asks
// wasm_exec.js for through its runtime.scheduleTimeoutEvent import. (The
// entry's own timers, in the request's own handler, are not counted.)
let timers = 0;
const load = async (path) => (await import(pathToFileURL(resolve(path)).href)).default;
const workers = { go: await load(goPath), js: await load(jsPath) };
const RealGo = globalThis.Go; // wasm_exec.js's, which the Go Worker's entry imports
globalThis.Go = class extends RealGo {
  constructor() {
    super();
    const gojs = this.importObject.gojs;
    const schedule = gojs["runtime.scheduleTimeoutEvent"];
    gojs["runtime.scheduleTimeoutEvent"] = (sp) => {
      timers++;
      return schedule(sp);
    };
  }
};

const body = JSON.stringify({ mailaddress: "demo@example.com", password: "jquants-demo-password" });
const request = () =>
  new Request("http://localhost:8787/v1/token/auth_user", {
    method: "POST",
    headers: { "Content-Type": "application/json", Origin: "http://localhost:8787", "Content-Length": String(body.length) },
    body,
  });
async function login(worker) {
  const res = await worker.fetch(request(), env, {});
  const text = await res.text();
  if (res.status !== 200 || !text.includes(token)) throw new Error(`status ${res.status}: ${text}`);
}

const samples = { go: { c1: [], c16: [] }, js: { c1: [], c16: [] } };
for (const worker of Object.values(workers)) for (let i = 0; i < 500; i++) await login(worker); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const name of r % 2 ? ["js", "go"] : ["go", "js"]) {
    const worker = workers[name];
    let t = process.cpuUsage();
    for (let i = 0; i < n; i++) await login(worker);
    let d = process.cpuUsage(t);
    samples[name].c1.push((d.user + d.system) / n);
    t = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next++ < n) await login(worker);
      }),
    );
    d = process.cpuUsage(t);
    samples[name].c16.push((d.user + d.system) / n);
  }
}
const stat = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], best: s[0] };
};
print(
  JSON.stringify({
    node: process.version,
    rounds,
    n,
    go: { c1: stat(samples.go.c1), c16: stat(samples.go.c16) },
    timers,
    js: { c1: stat(samples.js.c1), c16: stat(samples.js.c16) },
  }),
);
process.exit(0);
