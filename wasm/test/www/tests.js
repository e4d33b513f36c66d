// Scenarios of the Chromium tests (wasm/test/run.sh). The driver calls
// window.run(name) and gets {ok, detail}.
import { load, Tether } from '/dist/tether.js';

const FAST = { initialBackoff: 50, maxBackoff: 400 };

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function within(ms, what, p) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error('timeout: ' + what)), ms); })])
    .finally(() => clearTimeout(t));
}

function opened(t) {
  return new Promise((resolve, reject) => {
    t.addEventListener('open', () => resolve(), { once: true });
    t.addEventListener('close', (e) => reject(new Error(`closed before open: ${e.code} ${e.reason}`)), { once: true });
  });
}

function closed(t) {
  return new Promise((resolve) => t.addEventListener('close', (e) => resolve(e), { once: true }));
}

// next message on t
function nextMessage(t) {
  return new Promise((resolve) => t.addEventListener('message', (e) => resolve(e.data), { once: true }));
}

function bytesEqual(a, b) {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a), y = new Uint8Array(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

async function roundTrip(options, wantTransport, url = '/live') {
  const t = new Tether(url, { ...FAST, ...options });
  await within(15000, 'open', opened(t));
  const detail = { transport: t.transport, sessionId: t.sessionId, readyState: t.readyState };
  if (t.transport !== wantTransport) throw new Error(`transport ${t.transport}, want ${wantTransport}`);
  if (!t.sessionId) throw new Error('no session id');
  let m = nextMessage(t);
  t.send('héllo wörld ✓');
  const text = await within(10000, 'text echo', m);
  if (text !== 'héllo wörld ✓') throw new Error('text echo: ' + JSON.stringify(text));
  const bin = new Uint8Array(300);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 7) & 255;
  m = nextMessage(t);
  t.send(bin.buffer); // ArrayBuffer
  const got = await within(10000, 'binary echo', m);
  if (!(got instanceof ArrayBuffer) || !bytesEqual(got, bin.buffer)) throw new Error('binary echo differs');
  m = nextMessage(t);
  t.send(new DataView(bin.buffer, 10, 20)); // an ArrayBufferView: its window only
  const got2 = await within(10000, 'view echo', m);
  if (!bytesEqual(got2, bin.buffer.slice(10, 30))) throw new Error('view echo differs');
  const c = closed(t);
  t.close(1000, 'done');
  if (t.readyState !== 2) throw new Error('readyState after close() is ' + t.readyState);
  const ev = await within(10000, 'close', c);
  if (ev.code !== 1000 || !ev.wasClean || ev.reason !== 'done') throw new Error(`close event ${ev.code} ${ev.reason} ${ev.wasClean}`);
  if (t.readyState !== 3) throw new Error('readyState after close is ' + t.readyState);
  return detail;
}

// N messages each way with connections cut mid-stream: all arrive, once, in order.
async function cuts(transports) {
  const N = 1000;
  const cutsBefore = +(await (await fetch('/ctl/cuts', { cache: 'no-store' })).text());
  const t = new Tether('/live', { ...FAST, transports });
  await within(15000, 'open', opened(t));
  const echoed = [], streamed = [];
  let reconnects = 0;
  t.addEventListener('reconnecting', () => reconnects++);
  let cutsDone = 0;
  const cutAt = new Set([150, 450, 750]);
  const cut = () => fetch('/ctl/cut', { cache: 'no-store' }).catch(() => {});
  const done = new Promise((resolve) => {
    t.onmessage = (e) => {
      const s = e.data;
      if (s.startsWith('c:')) echoed.push(+s.slice(2));
      else if (s.startsWith('s:')) {
        streamed.push(+s.slice(2));
        if (cutAt.has(streamed.length)) { cutsDone++; cut(); }
      }
      if (echoed.length >= N && streamed.length >= N) resolve();
    };
  });
  t.send('stream:' + N);
  for (let i = 1; i <= N; i++) {
    t.send('c:' + i);
    if (i % 100 === 0) await sleep(20);
    if (i === 500) { cutsDone++; cut(); }
  }
  try {
    await within(90000, `all messages (echoed ${echoed.length}, streamed ${streamed.length})`, done);
  } finally {
    t.close();
  }
  const check = (arr, name) => {
    const seen = new Set();
    let dup = 0, reordered = 0;
    for (let i = 0; i < arr.length; i++) {
      if (seen.has(arr[i])) dup++;
      seen.add(arr[i]);
      if (i > 0 && arr[i] < arr[i - 1]) reordered++;
    }
    let lost = 0;
    for (let i = 1; i <= N; i++) if (!seen.has(i)) lost++;
    if (lost || dup || reordered) throw new Error(`${name}: lost ${lost}, duplicated ${dup}, reordered ${reordered}`);
  };
  await sleep(300); // anything late would be a duplicate
  check(echoed, 'client->server->client');
  check(streamed, 'server->client');
  if (echoed.length !== N || streamed.length !== N) throw new Error(`counts ${echoed.length} ${streamed.length}`);
  const cutConns = +(await (await fetch('/ctl/cuts', { cache: 'no-store' })).text()) - cutsBefore;
  if (cutConns === 0) throw new Error('the cuts closed no connection');
  // A cut WebSocket or event stream is a dead link: the client reconnects.
  // Long-polling may absorb a cut without one (the poll is retried at once).
  if (reconnects === 0 && transports[0] !== 'longpoll') throw new Error('no reconnect after the cuts');
  return { each_way: N, cuts: cutsDone, connections_cut: cutConns, reconnects, transport: t.transport, lost: 0, duplicated: 0, reordered: 0 };
}

const scenarios = {
  websocket: () => roundTrip({}, 'websocket'),
  sse: () => roundTrip({ transports: ['sse'] }, 'sse'),
  longpoll: () => roundTrip({ transports: ['longpoll'] }, 'longpoll'),

  async mixed() {
    const before = performance.getEntriesByType('resource').length;
    const t = new Tether('ws://example.com/live', FAST);
    const errors = [];
    t.onerror = (e) => errors.push(e.message);
    const ev = await within(10000, 'close', closed(t));
    if (!errors.length || !/mixed content/.test(errors[0])) throw new Error('error: ' + JSON.stringify(errors));
    if (ev.code !== 1006 || ev.wasClean) throw new Error(`close ${ev.code} ${ev.wasClean}`);
    const after = performance.getEntriesByType('resource').filter((r) => r.name.includes('example.com'));
    if (after.length) throw new Error('a request was made: ' + after[0].name);
    return { error: errors[0], code: ev.code, resources_before: before };
  },

  async serverclose() {
    const t = new Tether('/live', FAST);
    await within(15000, 'open', opened(t));
    const c = closed(t);
    t.send('close:4321:bye now');
    const ev = await within(10000, 'close', c);
    if (ev.code !== 4321 || ev.reason !== 'bye now' || !ev.wasClean) throw new Error(`close ${ev.code} ${ev.reason} ${ev.wasClean}`);
    return { code: ev.code, reason: ev.reason };
  },

  // WebSocket refused (400, as a proxy without Upgrade forwarding): the
  // client falls back to SSE; once upgrades pass again, its probe moves the
  // session back to WebSocket, with nothing lost on the way.
  async fallback_probe() {
    await fetch('/ctl/blockws?on=1', { cache: 'no-store' });
    let t;
    try {
      t = new Tether('/live', { ...FAST, probeInterval: 300 });
      await within(15000, 'open', opened(t));
    } finally {
      await fetch('/ctl/blockws?on=0', { cache: 'no-store' });
    }
    const first = t.transport;
    if (first !== 'sse') throw new Error('first transport ' + first + ', want sse');
    const got = [];
    t.onmessage = (e) => got.push(e.data);
    const change = new Promise((resolve) => t.addEventListener('transportchange', (e) => resolve(e), { once: true }));
    for (let i = 1; i <= 50; i++) { t.send('p:' + i); await sleep(20); }
    const ev = await within(30000, 'transportchange', change);
    for (let i = 51; i <= 100; i++) t.send('p:' + i);
    const done = closed(t);
    await within(10000, 'echoes', (async () => { while (got.length < 100) await sleep(20); })());
    t.close();
    await done;
    const want = Array.from({ length: 100 }, (_, i) => 'p:' + (i + 1)).join(',');
    if (got.join(',') !== want) throw new Error('echoes differ: ' + got.join(','));
    if (ev.transport !== 'websocket' || ev.from !== 'sse') throw new Error(`transportchange ${ev.from} -> ${ev.transport}`);
    return { first, then: ev.transport, reason: ev.reason, messages: got.length };
  },

  // Through nginx (the page too): without Upgrade forwarding -> SSE; when it
  // also buffers event streams -> long-polling (the first event never comes).
  via_noupgrade: () => roundTrip({}, 'sse'),
  via_buffering: () => roundTrip({ firstEventWait: 1500 }, 'longpoll'),

  // A page of another origin (nginx's) to the backend's origin: /live (same
  // origin only) refuses it on every transport; /live-open allows it, over
  // WebSocket and, with CORS, over SSE.
  async via_noupgrade_crossorigin(backend) {
    if (backend === location.origin) throw new Error('not a cross-origin page');
    const t = new Tether(backend + '/live', { ...FAST, slowTimeout: 10000 });
    const errors = [];
    t.onerror = (e) => errors.push(e.message);
    const ev = await within(30000, 'refusal', closed(t));
    if (ev.code !== 1006 || !errors.length || !/could not connect/.test(errors[0])) throw new Error(`refused? close ${ev.code}, errors ${JSON.stringify(errors)}`);
    const ws = await roundTrip({}, 'websocket', backend + '/live-open');
    const sse = await roundTrip({ transports: ['sse'] }, 'sse', backend + '/live-open');
    return { refused: errors[0].slice(0, 200), allowed: [ws.transport, sse.transport] };
  },

  // The WebSocket's path goes dead without a close (the server's connection
  // stops moving bytes): the link's watchdog notices the missing heartbeats
  // within the welcome's timeout (2 s here), the client resumes on a new
  // WebSocket, and the messages sent into the dead one arrive once, in order.
  async freeze_websocket() {
    const t = new Tether('/live-fast', { ...FAST, transports: ['websocket'] });
    await within(15000, 'open', opened(t));
    const got = [];
    t.onmessage = (e) => got.push(e.data);
    t.send('f:1');
    await within(10000, 'first echo', (async () => { while (got.length < 1) await sleep(10); })());
    const reconnecting = new Promise((resolve) => t.addEventListener('reconnecting', (e) => resolve(e), { once: true }));
    await fetch('/ctl/freeze', { cache: 'no-store' });
    for (let i = 2; i <= 20; i++) t.send('f:' + i);
    const ev = await within(20000, 'reconnecting', reconnecting);
    await within(20000, 'echoes after the resume', (async () => { while (got.length < 20) await sleep(20); })());
    await sleep(200);
    const c = closed(t);
    t.close();
    await c;
    const want = Array.from({ length: 20 }, (_, i) => 'f:' + (i + 1)).join(',');
    if (got.join(',') !== want) throw new Error('echoes: ' + got.join(','));
    if (!/no frame within/.test(ev.reason)) throw new Error('reconnect reason: ' + ev.reason);
    return { reason: ev.reason, messages: got.length, transport: t.transport };
  },

  cut_websocket: () => cuts(['websocket']),
  cut_sse: () => cuts(['sse']),
  cut_longpoll: () => cuts(['longpoll']),

  // 200 clients opened and closed on one page (5 at a time): the bridge
  // forgets each, and the js.Funcs and goroutines go back to where they were.
  async many() {
    const bridge = globalThis.__tetherBridge;
    const sessionsBefore = +(await (await fetch('/ctl/sessions', { cache: 'no-store' })).text());
    const before = bridge.stats();
    // A slow WebSocket (2.5 s by default, easily reached with 20 handshakes
    // at once on a loaded machine) makes the client start SSE in parallel,
    // and the loser's new session waits on the server for its TTL: keep
    // the race out of this count.
    const opts = { ...FAST, slowTimeout: 20000 };
    const total = 200, batch = 5;
    for (let i = 0; i < total; i += batch) {
      await Promise.all(Array.from({ length: batch }, async (_, j) => {
        const t = new Tether('/live', opts);
        await within(30000, 'open', opened(t));
        const m = nextMessage(t);
        t.send('hi ' + (i + j));
        const got = await within(10000, 'echo', m);
        if (got !== 'hi ' + (i + j)) throw new Error('echo ' + got);
        const c = closed(t);
        t.close();
        await within(10000, 'close', c);
      }));
    }
    await sleep(200);
    const after = bridge.stats();
    if (after.clients !== 0) throw new Error('clients left in the bridge: ' + after.clients);
    if (after.funcs !== before.funcs) throw new Error(`js.Funcs: ${before.funcs} before, ${after.funcs} after`);
    if (after.goroutines > before.goroutines + 5) throw new Error(`goroutines: ${before.goroutines} before, ${after.goroutines} after`);
    if (after.heapBytes > before.heapBytes + (1 << 20)) throw new Error(`Go heap: ${before.heapBytes} bytes before, ${after.heapBytes} after`);
    let sessions = -1;
    // Closed sessions stay findable on the server for up to 10 s.
    for (let k = 0; k < 150 && !(sessions >= 0 && sessions <= sessionsBefore); k++) {
      sessions = +(await (await fetch('/ctl/sessions', { cache: 'no-store' })).text());
      if (sessions > sessionsBefore) await sleep(100);
    }
    if (sessions > sessionsBefore) throw new Error(`server sessions: ${sessionsBefore} before, ${sessions} after`);
    return { clients: total, before, after, sessionsBefore, sessionsAfter: sessions };
  },
};

window.run = async (name, arg) => {
  try {
    const detail = await scenarios[name](arg);
    return { ok: true, detail };
  } catch (e) {
    return { ok: false, detail: String(e && e.stack || e) };
  }
};
window.scenarioNames = Object.keys(scenarios);

load('/dist/tether.wasm').then(() => {
  document.getElementById('out').textContent = 'ready';
  window.tetherReady = true;
}, (e) => {
  document.getElementById('out').textContent = 'load failed: ' + e;
  window.tetherReady = String(e);
});
