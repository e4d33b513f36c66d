// Socket.IO 4.x client side of Tether's benchmarks; prints one JSON line.
//
//   node client.js --url URL --transport polling|websocket --mode echo|push|connect
//                  [--dur MS] [--window N] [--size BYTES] [--runs N]
//
// echo:    emits "echo" with an ack callback, keeping --window in flight, for
//          --dur ms (after a warm-up): acks per second, latency percentiles
// push:    asks the server to emit for --dur ms: messages per second
// connect: --runs times io() to "connect" and to the first echo: medians
// net:     as connect, but as Socket.IO runs by default (polling, then the
//          upgrade to websocket), through --path (default /socket.io/) and
//          --proxy (a CONNECT proxy, http://HOST:PORT); also the time until on
//          --best (websocket or polling) within --bestwait ms
// The CA comes from NODE_EXTRA_CA_CERTS. Except in net mode only the named
// transport is used (no upgrade).
"use strict";
const { io } = require("socket.io-client");

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf("--" + name);
  return i >= 0 ? argv[i + 1] : def;
};
const url = opt("url");
const transport = opt("transport", "websocket");
const mode = opt("mode", "echo");
const dur = Number(opt("dur", "1000"));
const windowSize = Number(opt("window", "128"));
const size = Number(opt("size", "1024"));
const runs = Number(opt("runs", "20"));
const sioPath = opt("path", "/socket.io/");
const proxy = opt("proxy", "");
const best = opt("best", "");
const bestWait = Number(opt("bestwait", "3000"));
let payload = "";
for (let i = 0; i < size; i++) payload += "0123456789abcdefghijklmnopqrstuvwxyz"[i % 36];

const connect = () =>
  new Promise((resolve, reject) => {
    const s = io(url, { transports: [transport], upgrade: false, forceNew: true, reconnection: false });
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const pct = (sorted, p) => (sorted.length ? sorted[Math.floor((p / 100) * (sorted.length - 1))] : 0);

function echoPhase(s, ms, lats) {
  return new Promise((resolve) => {
    let inflight = 0, done = 0, stop = false;
    const start = now();
    setTimeout(() => (stop = true), ms);
    const sendOne = () => {
      inflight++;
      const t0 = now();
      s.emit("echo", payload, () => {
        inflight--;
        done++;
        if (lats) lats.push(now() - t0);
        if (!stop) sendOne();
        else if (inflight === 0) resolve({ n: done, secs: (now() - start) / 1000 });
      });
    };
    for (let i = 0; i < windowSize; i++) sendOne();
  });
}

function push(s, ms) {
  return new Promise((resolve) => {
    let n = 0;
    const start = now();
    const onM = () => n++;
    s.on("m", onM);
    s.once("end", () => {
      s.off("m", onM);
      resolve({ n, secs: (now() - start) / 1000 });
    });
    s.emit("push", { ms, size });
  });
}

// netRun is one run of net mode.
function netRun() {
  return new Promise((resolve, reject) => {
    const o = { path: sioPath, forceNew: true, reconnection: false };
    if (proxy) {
      const { HttpsProxyAgent } = require("https-proxy-agent");
      o.agent = new HttpsProxyAgent(proxy);
    }
    const t0 = now();
    const r = { bestMs: -1 };
    const s = io(url, o);
    let bestTimer = null;
    const finish = () => {
      clearTimeout(bestTimer);
      r.transport = s.io.engine ? s.io.engine.transport.name : "?";
      s.close();
      resolve(r);
    };
    const onBest = () => {
      if (r.bestMs < 0) r.bestMs = now() - t0;
      if (r.echo !== undefined) finish();
    };
    s.once("connect_error", (e) => reject(new Error("connect_error: " + e.message)));
    s.once("connect", () => {
      r.connected = now() - t0;
      const engine = s.io.engine;
      r.connectedOn = engine.transport.name;
      if (r.connectedOn === best) r.bestMs = r.connected;
      else engine.once("upgrade", (t) => { if (t.name === best) onBest(); });
      s.emit("echo", payload, () => {
        r.echo = now() - t0;
        if (r.bestMs >= 0 || !best) return finish();
        bestTimer = setTimeout(finish, Math.max(0, bestWait - r.echo));
      });
    });
  });
}

async function main() {
  const cpu0 = process.cpuUsage();
  if (mode === "net") {
    const out = { Lib: "socket.io", Runs: runs, ConnectedMs: [], FirstEcho: [], BestMs: [], ConnectedOn: "", Transport: "", Reason: "" };
    for (let i = 0; i < runs; i++) {
      const r = await netRun();
      out.ConnectedMs.push(r.connected);
      out.FirstEcho.push(r.echo);
      out.BestMs.push(r.bestMs);
      out.ConnectedOn = r.connectedOn;
      out.Transport = r.transport;
    }
    console.log(JSON.stringify(out));
    process.exit(0);
  }
  if (mode === "connect") {
    const connected = [], first = [];
    for (let i = 0; i < runs; i++) {
      const t0 = now();
      const s = await connect();
      connected.push(now() - t0);
      await new Promise((r) => s.emit("echo", payload, r));
      first.push(now() - t0);
      s.close();
    }
    console.log(JSON.stringify({ Lib: "socket.io", Transport: transport, Mode: mode, ConnectedMs: connected, FirstEcho: first }));
    process.exit(0);
  }
  const s = await connect();
  let r;
  const lats = [];
  if (mode === "echo") {
    await echoPhase(s, Math.min(300, dur), null); // warm-up
    r = await echoPhase(s, dur, lats);
  } else {
    await push(s, Math.min(300, dur)); // warm-up
    r = await push(s, dur);
  }
  lats.sort((a, b) => a - b);
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({
    Lib: "socket.io", Transport: transport, Mode: mode, Msgs: r.n, Secs: r.secs, Rate: r.n / r.secs,
    P50us: pct(lats, 50) * 1000, P99us: pct(lats, 99) * 1000, ClientCPU: (cpu.user + cpu.system) / 1e6,
  }));
  s.close();
  process.exit(0);
}
main().catch((e) => {
  console.error(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
