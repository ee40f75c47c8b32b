// One's inbox socket (GET /user/{id}/live, the AsyncAPI document's `inboxLive`): the one
// connection that tells what happens in all of one's rooms (activity with exact unread and
// mention counts, reads on other devices, mentions, invitations, DM requests, joins and
// leaves). It takes a ticket and reconnects with backoff; every (re)connection brings a fresh
// `hello` with the whole rooms list, so nothing is missed.

import { ChatroomsError, CLOSE, closeReason } from './errors.js';
import { backoff, Emitter, onComeBack, openSocket } from './socket.js';

/** @typedef {import('./generated/frames.js').InboxFrame} InboxFrame */
/** @typedef {Exclude<InboxFrame, { type: 'pong' }>} InboxEvent */
/**
 * What the inbox tells, by name (`inbox.on(name, listener)`): `event` (every frame but `pong`),
 * each frame by its own type (`hello` on every connection: the whole list, as it is now;
 * `room_activity`, `read`, `mention`, `invited`, `dm_request`, `joined`, `left`, `error`),
 * `connected` and `disconnected`, and `closed` once it ends (the key ended, or `stop()`).
 * @typedef {{
 *   event: InboxEvent,
 *   connected: {},
 *   disconnected: {},
 *   closed: { code: number, reason: import('./errors.js').CloseReason, text: string },
 * } & { [T in InboxEvent['type']]: Extract<InboxEvent, { type: T }> }} InboxEvents
 */

/**
 * One's inbox connection. Connects at once; `stop()` ends it.
 * @extends {Emitter<InboxEvents>}
 */
export class Inbox extends Emitter {
  /** @type {import('./client.js').Client} */
  #client;
  /** @type {import('./client.js').SocketLike | null} */
  #socket = null;
  #stopped = false;
  #failures = 0;
  #connected = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  /** @type {() => void} */
  #untrack;
  /** @type {() => void} */
  #unwake;

  /** @param {import('./client.js').Client} client */
  constructor(client) {
    super();
    this.#client = client;
    /** The key it was opened with. */
    this.key = client.session?.key;
    this.#untrack = client.track(this);
    this.#unwake = onComeBack(() => { if (!this.#stopped && !this.#socket) this.#open(); });
    queueMicrotask(() => this.#open());
  }

  /** Whether it has stopped for good. */
  get stopped() {
    return this.#stopped;
  }

  /** Whether a socket is open and has said `hello`. */
  get connected() {
    return this.#connected;
  }

  #schedule() {
    clearTimeout(this.#timer);
    if (!this.#stopped) this.#timer = setTimeout(() => this.#open(), backoff(this.#failures));
  }

  async #open() {
    clearTimeout(this.#timer);
    if (this.#stopped || this.#socket) return;
    let ticket;
    let user;
    try {
      user = this.#client.me;
      ticket = (await this.#client.inboxTicket()).ticket;
    } catch (error) {
      if (this.#stopped) return;
      if (/** @type {ChatroomsError} */ (error).sessionEnded || !this.#client.session) return this.#end(CLOSE.KEY_ENDED, 'key no longer valid');
      this.#failures += 1;
      this.#schedule();
      return;
    }
    if (this.#stopped || this.#socket) return;
    const url = this.#client.url(`/user/${encodeURIComponent(user)}/live`, { ticket });
    /** @type {import('./client.js').SocketLike} */
    let current;
    try {
      current = openSocket(this.#client.WebSocket, url, (/** @type {InboxFrame} */ frame) => {
        if (this.#socket !== current || frame.type === 'pong') return;
        if (frame.type === 'hello') {
          this.#failures = 0;
          if (!this.#connected) {
            this.#connected = true;
            this.emit('connected', {});
          }
        }
        this.emit('event', frame);
        this.emit(frame.type, /** @type {any} its own type's listeners */ (frame));
      }, (code, reason) => {
        if (this.#socket !== current) return;
        this.#socket = null;
        if (this.#stopped) return;
        if (code === CLOSE.KEY_ENDED) return this.#end(code, reason);
        if (this.#connected) {
          this.#connected = false;
          this.emit('disconnected', {});
        }
        this.#failures += 1;
        this.#schedule();
      });
    } catch {
      this.#failures += 1;
      this.#schedule();
      return;
    }
    this.#socket = current;
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #end(code, reason) {
    this.#stopped = true;
    this.#release();
    if (code === CLOSE.KEY_ENDED) this.#client.endSession();
    this.emit('closed', { code, reason: closeReason(code), text: reason });
  }

  #release() {
    clearTimeout(this.#timer);
    this.#untrack();
    this.#unwake();
  }

  /**
   * Closes it as the service would with `code` (the client's session ended elsewhere: 4001).
   * @param {number} code
   * @param {string} text
   */
  closeFor(code, text) {
    if (this.#stopped) return;
    this.#socket?.close(1000, 'done');
    this.#socket = null;
    this.#connected = false;
    this.#end(code, text);
  }

  /** Closes the inbox for good. */
  stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#release();
    this.#socket?.close(1000, 'done');
    this.#socket = null;
    this.#connected = false;
    this.emit('closed', { code: 1000, reason: 'normal', text: 'done' });
  }
}
