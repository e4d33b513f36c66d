// Tether in the browser: a WebSocket-shaped client that survives hostile
// networks (WebSocket, then SSE, then long-polling; resume with nothing lost,
// duplicated or reordered). The session logic is Tether's Go client, compiled
// to WebAssembly (tether.wasm beside this file) and run by Go's wasm_exec.js.
//
//   import { load, Tether } from './tether.js';
//   await load();
//   const t = new Tether('/live');
//   t.onmessage = (e) => console.log(e.data);
//   t.onopen = () => t.send('hello');

const BRIDGE = '__tetherBridge';
let loading = null;

/**
 * Starts the Go runtime once per page. Later calls return the same promise.
 * @param {string|URL} [wasmURL] where tether.wasm is; default: beside tether.js.
 */
export function load(wasmURL) {
  if (loading) return loading;
  loading = (async () => {
    if (!globalThis.Go) {
      await import(new URL('./wasm_exec.js', import.meta.url).href);
    }
    const go = new globalThis.Go();
    const url = wasmURL ?? new URL('./tether.wasm', import.meta.url);
    let instance;
    if (WebAssembly.instantiateStreaming) {
      try {
        ({ instance } = await WebAssembly.instantiateStreaming(fetch(url), go.importObject));
      } catch (e) {
        // A server that does not say application/wasm: compile from bytes.
        if (!(e instanceof TypeError)) throw e;
      }
    }
    if (!instance) {
      const resp = await fetch(url);
      if (!resp.ok) throw new Error(`tether: loading ${url}: ${resp.status} ${resp.statusText}`);
      ({ instance } = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject));
    }
    go.run(instance); // runs main until it waits: the bridge is set by then
    if (!globalThis[BRIDGE]) throw new Error('tether: tether.wasm did not start its bridge');
  })();
  loading.catch(() => { loading = null; });
  return loading;
}

function bridge() {
  const b = globalThis[BRIDGE];
  if (!b) throw new Error('tether: call `await load()` before `new Tether(...)`');
  return b;
}

/** A string from the bridge is a failed call (a panic it recovered): thrown. */
function checked(r) {
  if (typeof r === 'string') throw new Error(r);
  return r;
}

const EVENTS = ['open', 'message', 'close', 'error', 'transportchange', 'reconnecting'];

/** An event with extra fields, for transportchange and reconnecting. */
class TetherEvent extends Event {
  constructor(type, fields) {
    super(type);
    Object.assign(this, fields);
  }
}

/**
 * A connection to a Tether server, shaped like the browser's WebSocket.
 * Unlike a WebSocket, send() also works while connecting or reconnecting:
 * messages wait in the queue and are delivered exactly once, in order.
 */
export class Tether extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  #id = 0;
  #state = 0;
  #transport = '';
  #sid = '';

  /**
   * @param {string|URL} url wss://, https://, or a URL relative to the page.
   * @param {object} [options] see tether.d.ts.
   */
  constructor(url, options = {}) {
    super();
    for (const t of EVENTS) this['on' + t] = null;
    this.url = new URL(String(url), globalThis.location?.href).href;
    const id = bridge().open(this.url, options, (type, a, b, c) => {
      queueMicrotask(() => this.#event(type, a, b, c));
    });
    if (typeof id === 'string') throw new TypeError(id);
    this.#id = id;
  }

  get readyState() { return this.#state; }
  /** "websocket", "sse" or "longpoll"; "" before open. */
  get transport() { return this.#transport; }
  /** The session id; "" before open. */
  get sessionId() { return this.#sid; }
  /** Bytes passed to send() not yet taken into the session's send queue. */
  get bufferedAmount() { return this.#state === 3 ? 0 : checked(bridge().info(this.#id)).bufferedAmount; }

  /**
   * Sends a string (a text message) or bytes (a binary message).
   * @param {string|ArrayBuffer|ArrayBufferView|Blob} data
   */
  send(data) {
    if (this.#state >= 2) return; // dropped, as a closing WebSocket does
    let r;
    if (typeof data === 'string') {
      r = bridge().send(this.#id, data, false);
    } else if (data instanceof ArrayBuffer) {
      r = bridge().send(this.#id, new Uint8Array(data), true);
    } else if (ArrayBuffer.isView(data)) {
      r = bridge().send(this.#id, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), true);
    } else {
      throw new TypeError('tether: send() takes a string, an ArrayBuffer or an ArrayBufferView');
    }
    if (typeof r === 'string') throw new RangeError(r);
  }

  /**
   * Ends the session after the messages already sent. code and reason reach
   * the server in the close frame, and this client's close event.
   */
  close(code = 1000, reason = '') {
    if (this.#state >= 2) return;
    if (code !== 1000 && (code < 3000 || code > 4999)) {
      throw new DOMException(`tether: close code ${code} is neither 1000 nor in 3000-4999`, 'InvalidAccessError');
    }
    if (new TextEncoder().encode(String(reason)).length > 123) {
      throw new DOMException('tether: close reason longer than 123 bytes of UTF-8', 'SyntaxError');
    }
    this.#state = 2;
    checked(bridge().close(this.#id, code, String(reason)));
  }

  #event(type, a, b, c) {
    let ev;
    switch (type) {
      case 'open':
        this.#state = 1;
        this.#transport = a;
        this.#sid = b;
        ev = new Event('open');
        break;
      case 'message':
        ev = new MessageEvent('message', { data: a });
        break;
      case 'error':
        ev = new TetherEvent('error', { message: a });
        break;
      case 'close':
        this.#state = 3;
        ev = new CloseEvent('close', { code: a, reason: b, wasClean: c });
        break;
      case 'transportchange':
        this.#transport = a;
        this.#sid = checked(bridge().info(this.#id)).sessionId || this.#sid;
        ev = new TetherEvent('transportchange', { transport: a, reason: b, from: c });
        break;
      case 'reconnecting':
        ev = new TetherEvent('reconnecting', { attempt: a, delay: b, reason: c });
        break;
      default:
        return;
    }
    this.dispatchEvent(ev);
    const h = this['on' + type];
    if (typeof h === 'function') h.call(this, ev);
  }
}

export default Tether;
