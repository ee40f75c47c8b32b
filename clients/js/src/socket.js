// What both live sockets share: the reconnection's backoff, opening a socket of the service, and
// a small typed event emitter.

// Reconnection: 0.5 s, 1 s, 2 s … up to 10 s, each times a random 0.5–1, so that a restarted
// service is not met by every client at the same instant.
const BACKOFF_MS = 500;
const BACKOFF_CAP_MS = 10_000;

/**
 * @param {number} attempt failures in a row so far
 * @returns {number} milliseconds to wait before the next attempt
 */
export const backoff = (attempt) => Math.min(BACKOFF_CAP_MS, BACKOFF_MS * 2 ** attempt) * (0.5 + Math.random() / 2);

/**
 * Opens a socket of the service at `url`: it sends `ping` as soon as it opens (answered `pong`
 * by the platform, free: the runtime ends a socket that never sent a frame only seconds after
 * the service closes it), hands each frame, parsed, to `onFrame`, and its close to `onClose`
 * (once, also for a socket that failed before it opened). Throws as `new WebSocket` does.
 * @template F
 * @param {import('./client.js').SocketConstructor | undefined} Socket
 * @param {URL} url an http(s) URL: made ws(s)
 * @param {(frame: F) => void} onFrame
 * @param {(code: number, reason: string) => void} onClose
 * @returns {import('./client.js').SocketLike}
 */
export function openSocket(Socket, url, onFrame, onClose) {
  if (!Socket) throw new TypeError('no WebSocket: pass createClient({ WebSocket })');
  const address = new URL(url);
  address.protocol = address.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new Socket(address.toString());
  let closed = false;
  socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'ping' })));
  socket.addEventListener('message', (event) => {
    if (typeof event.data !== 'string') return;
    let frame;
    try {
      frame = /** @type {F} */ (JSON.parse(event.data));
    } catch {
      return;
    }
    onFrame(frame);
  });
  socket.addEventListener('close', (event) => {
    if (closed) return;
    closed = true;
    onClose(Number(event.code) || 1006, String(event.reason ?? ''));
  });
  return socket;
}

/**
 * A few named events, each with its own value: `on(name, listener)` returns the way to stop
 * listening.
 * @template {Record<string, unknown>} Events
 */
export class Emitter {
  /** @type {Map<keyof Events, Set<(value: any) => void>>} */
  #listeners = new Map();

  /**
   * @template {keyof Events} K
   * @param {K} name
   * @param {(value: Events[K]) => void} listener
   * @returns {() => void}
   */
  on(name, listener) {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => { set.delete(listener); };
  }

  /**
   * @template {keyof Events} K
   * @param {K} name
   * @param {Events[K]} value
   */
  emit(name, value) {
    for (const listener of [...(this.#listeners.get(name) ?? [])]) {
      try {
        listener(value);
      } catch (error) {
        // A listener's mistake must not stop the socket: it is reported, as an event handler's is.
        queueMicrotask(() => { throw error; });
      }
    }
  }
}

/**
 * Calls `wake` when a browser's tab comes back into view or its network comes back (nothing
 * elsewhere); returns the way to stop.
 * @param {() => void} wake
 * @returns {() => void}
 */
export function onComeBack(wake) {
  const target = /** @type {any} */ (globalThis);
  const doc = target.document;
  // Only a page: a Worker's or Node's global has no such events (a Worker may refuse them).
  if (!doc || typeof target.addEventListener !== 'function') return () => {};
  const onVisible = () => { if (!doc.hidden) wake(); };
  target.addEventListener('online', wake);
  doc.addEventListener('visibilitychange', onVisible);
  return () => {
    target.removeEventListener('online', wake);
    doc.removeEventListener('visibilitychange', onVisible);
  };
}
