// A chat over Tether in the browser: every line typed goes to the server,
// which (tether serve --mode chat) sends it to every session. The connection
// survives reconnects and falls back to SSE or long-polling where a proxy
// blocks WebSockets; the status line says which transport carries it.
import { load, Tether } from './dist/tether.js';

const status = document.getElementById('status');
const log = document.getElementById('log');
const form = document.getElementById('send');
const text = document.getElementById('text');
const button = form.querySelector('button');

function line(s, cls) {
  const li = document.createElement('li');
  li.textContent = s;
  if (cls) li.className = cls;
  log.append(li);
  li.scrollIntoView({ block: 'nearest' });
}

try {
  await load(); // tether.wasm beside tether.js
} catch (e) {
  status.textContent = 'could not load the Tether bundle: ' + e.message + ' (run make wasm)';
  throw e;
}

// Relative to the page: an https page connects with wss, and a ws:// URL
// would be refused as mixed content.
const t = new Tether(new URL('live', location.href).pathname);

t.onopen = () => {
  status.textContent = `connected over ${t.transport}`;
  text.disabled = button.disabled = false;
  text.focus();
};
t.ontransportchange = (e) => {
  status.textContent = `connected over ${e.transport} (${e.reason})`;
  line(`now on ${e.transport}`, 'note');
};
t.onreconnecting = (e) => {
  status.textContent = `reconnecting (attempt ${e.attempt}): ${e.reason}`;
};
t.onmessage = (e) => line(typeof e.data === 'string' ? e.data : `[${e.data.byteLength} bytes]`);
t.onerror = (e) => line('error: ' + e.message, 'note');
t.onclose = (e) => {
  status.textContent = `closed: ${e.code} ${e.reason}`;
  text.disabled = button.disabled = true;
};

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const s = text.value.trim();
  if (!s) return;
  t.send(s); // queued while reconnecting; delivered once, in order
  text.value = '';
});
