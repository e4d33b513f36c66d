// Types of tether.js: Tether in the browser, shaped like the WebSocket.

/** Starts the Go runtime once per page (default: tether.wasm beside tether.js). */
export function load(wasmURL?: string | URL): Promise<void>;

export type TransportName = 'websocket' | 'sse' | 'longpoll';

export interface TetherOptions {
  /** Transports to try, in order. Default: ["websocket", "sse", "longpoll"]. */
  transports?: TransportName[];
  /**
   * Headers sent with the SSE and long-poll requests (fetch). A browser
   * WebSocket cannot send headers: use cookies or the URL there.
   */
  headers?: Record<string, string>;
  /** Silence (ms) after which the next transport starts in parallel. Default 2500. */
  slowTimeout?: number;
  /** Wait (ms) for the first SSE event before a buffering proxy is assumed. Default 3000. */
  firstEventWait?: number;
  /** Reconnect backoff bounds (ms), exponential with full jitter. Defaults 500 and 30000. */
  initialBackoff?: number;
  maxBackoff?: number;
  /** Reconnect attempts after a loss before the client closes; 0: forever. */
  maxAttempts?: number;
  /** Time (ms) a connection must stay up before the backoff starts over. Default 30000. */
  healthyAfter?: number;
  /** First delay (ms) before probing WebSocket again while on a fallback; negative: never. Default 5000. */
  probeInterval?: number;
  /** Bound of the messages sent but not yet acknowledged, in bytes. Default 4 MiB. */
  maxQueuedBytes?: number;
  /** Largest message sent or received, in bytes. Default 1 MiB. */
  maxMessageBytes?: number;
  /** Log the client's diagnostics (connects, transport changes, reconnects) to the console. Default false. */
  debug?: boolean;
}

export interface TetherTransportChangeEvent extends Event {
  readonly transport: TransportName;
  readonly from: TransportName | '';
  readonly reason: string;
}

export interface TetherReconnectingEvent extends Event {
  readonly attempt: number;
  /** Delay in ms before this attempt. */
  readonly delay: number;
  /** Why the connection was lost. */
  readonly reason: string;
}

export interface TetherErrorEvent extends Event {
  readonly message: string;
}

export interface TetherEventMap {
  open: Event;
  /** data is a string (text message) or an ArrayBuffer (binary message). */
  message: MessageEvent<string | ArrayBuffer>;
  close: CloseEvent;
  error: TetherErrorEvent;
  transportchange: TetherTransportChangeEvent;
  reconnecting: TetherReconnectingEvent;
}

export declare class Tether extends EventTarget {
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;

  /** url: wss://, https://, or relative to the page (resolved against location). */
  constructor(url: string | URL, options?: TetherOptions);

  /** The resolved URL. */
  readonly url: string;
  /** 0 connecting, 1 open (also while reconnecting), 2 closing, 3 closed. */
  readonly readyState: 0 | 1 | 2 | 3;
  /** The transport carrying the session; "" before open. */
  readonly transport: TransportName | '';
  /** The session id; "" before open. */
  readonly sessionId: string;
  /** Bytes passed to send() that the server has not acknowledged yet (queued, in flight or unacknowledged). */
  readonly bufferedAmount: number;

  onopen: ((this: Tether, ev: Event) => any) | null;
  onmessage: ((this: Tether, ev: MessageEvent<string | ArrayBuffer>) => any) | null;
  onclose: ((this: Tether, ev: CloseEvent) => any) | null;
  onerror: ((this: Tether, ev: TetherErrorEvent) => any) | null;
  ontransportchange: ((this: Tether, ev: TetherTransportChangeEvent) => any) | null;
  onreconnecting: ((this: Tether, ev: TetherReconnectingEvent) => any) | null;

  /** Queues a message; also while connecting or reconnecting. Throws RangeError over maxMessageBytes. */
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  /** Ends the session after the messages sent before; code (1000 or 3000-4999) and reason (at most 123 bytes) reach the server and the close event. */
  close(code?: number, reason?: string): void;

  addEventListener<K extends keyof TetherEventMap>(type: K, listener: (this: Tether, ev: TetherEventMap[K]) => any, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof TetherEventMap>(type: K, listener: (this: Tether, ev: TetherEventMap[K]) => any, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

export default Tether;
