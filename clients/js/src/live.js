// A room's live socket (GET /room/{id}/live, the frames of the service's AsyncAPI document):
// takes a ticket, resumes from the last event's `seq` after every reconnect (backoff with
// jitter), so that nothing is missed or doubled, retries unanswered sends with their `txn_id`
// until the room answers, and says when no socket can be had, so that its owner can read by
// HTTP meanwhile (sends then go by HTTP, those no socket ever carried).

import { ChatroomsError, CLOSE, closeReason } from './errors.js';
import { backoff, Emitter, onComeBack, openSocket } from './socket.js';

/** @typedef {import('./generated/frames.js').RoomServerFrame} ServerFrame */
/** @typedef {import('./generated/frames.js').RoomClientFrame} ClientFrame */
/** @typedef {import('./client.js').Message} Message */
/** @typedef {Extract<ServerFrame, { type: 'hello' }>} Hello */
/**
 * The room's events, in the room's order (each with its `seq`), and `presence` and `typing`,
 * which are not kept.
 * @typedef {Exclude<ServerFrame, { type: 'hello' | 'ready' | 'reset' | 'sent' | 'error' | 'pong' | 'read' }>} RoomEvent
 */
/** @typedef {Omit<Extract<ClientFrame, { type: 'send' }>, 'type' | 'txn_id' | 'text'>} SendOptions mentions, reply_to, thread, files */
/**
 * What a live room tells, by name (`live.on(name, listener)`):
 * - `event`: every event, in order (a reconnect replays what was missed first); and each by its
 *   own type (`message`, `message_edited`, `member_joined`, `typing` …).
 * - `hello`: the room and one's standing in it, on every (re)connection.
 * - `connected`: live now. **`resumed: false` means reload**: events may have been missed (the
 *   first connection, or after the room said `reset`: it no longer keeps what came after the
 *   last `seq` one had), so read what you show again through HTTP (`room.messages()`); events
 *   from here on follow it. `resumed: true`: every missed event has come, in order.
 * - `disconnected`: not live; `fallback` once no socket can be had from a service that is up
 *   (refused three times in a row): read by HTTP until `connected` comes again.
 * - `closed`: closed for good (`key_ended`, `room_deleted`), or stopped by `stop()`: nothing
 *   more comes. A `key_ended` also ends the client's session.
 * - `unavailable`: the ticket was refused with 404: the room is gone, or may not be seen.
 * - `read`: one's read position moved (on another device, say).
 * @typedef {{
 *   event: RoomEvent,
 *   hello: Hello,
 *   connected: { resumed: boolean },
 *   disconnected: { fallback: boolean },
 *   closed: { code: number, reason: import('./errors.js').CloseReason, text: string },
 *   unavailable: ChatroomsError,
 *   read: Extract<ServerFrame, { type: 'read' }>,
 * } & { [T in RoomEvent['type']]: Extract<RoomEvent, { type: T }> }} LiveEvents
 */
/**
 * @typedef {object} LiveOptions
 * @property {number} [after] the `seq` of the last event one already has (from `messages()`,
 *   say): the first connection resumes after it, rather than from now
 */

// After this many failures in a row of a service that is up (a ticket came, or a 4xx), the
// owner is told to read by HTTP until a socket opens again. A service that cannot be reached
// (or answers 5xx) is only waited for: HTTP would not reach it either, and what is sent
// meanwhile waits to go over the next socket.
const FALLBACK_AFTER = 3;
// The room takes one `typing` a socket per 2 s; a little more leaves room for the network.
const TYPING_EVERY_MS = 2_100;
/** How often, at most, the room is told how far one has read. */
const READ_EVERY_MS = 1_000;
// After these, connecting again is pointless: the key is dead, or the room is gone. After 4003
// it is not (an open room can still be read).
/** @type {ReadonlySet<number>} */
const FINAL = new Set([CLOSE.KEY_ENDED, CLOSE.ROOM_DELETED]);

/** A transaction id for `send`: random, so that a retry is told apart from a second message. */
const txnId = () => crypto.randomUUID();

/**
 * One room's live connection. Connects at once; `stop()` ends it.
 * @extends {Emitter<LiveEvents>}
 */
export class RoomLive extends Emitter {
  /** @type {import('./client.js').RoomClient} */
  #room;
  /** @type {import('./client.js').SocketLike | null} */
  #socket = null;
  #ready = false; // `ready` came on the current socket: events are live
  /** @type {number | null} the last event's seq: where the next connection resumes */
  #seq = null;
  #resumed = false; // the current socket resumes from #seq: it brings whatever was missed
  #connecting = false;
  #failures = 0; // connections in a row that never became live
  #refusals = 0; // … of them, from a service that answered
  #fallback = false;
  #stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;
  #lastTyping = 0;
  #member = false; // the socket's person is a present member: they keep a read position
  #readSent = 0; // the highest seq told the room as read
  #readShown = 0; // the highest seq the owner has shown (`read(seq)`)
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #readTimer;
  /**
   * Sends awaiting their `sent`, by txn_id. `socket` once handed to a socket: from then on only
   * a socket may retry it (its txn_id makes that safe), since an HTTP post could post it twice.
   * @type {Map<string, { text: string, options: SendOptions, socket: boolean, resolve: (message: Message) => void, reject: (error: Error) => void }>}
   */
  #pending = new Map();
  /** @type {() => void} */
  #untrack;
  /** @type {() => void} */
  #unwake;

  /**
   * @param {import('./client.js').RoomClient} room
   * @param {LiveOptions} [options]
   */
  constructor(room, { after } = {}) {
    super();
    this.#room = room;
    if (after != null) this.#seq = after;
    this.#untrack = room.client.track(this);
    this.#unwake = onComeBack(() => this.wake());
    // Listeners are added after the constructor returns; the first frame comes later anyway.
    queueMicrotask(() => this.#connect());
  }

  /** The room's id. */
  get roomId() {
    return this.#room.id;
  }

  /** Whether events are live now. */
  get live() {
    return this.#ready;
  }

  /** The `seq` of the last event that came: where a reconnect resumes. */
  get seq() {
    return this.#seq;
  }

  /** Whether it has stopped for good. */
  get stopped() {
    return this.#stopped;
  }

  #schedule() {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#connect(), backoff(this.#failures));
  }

  /**
   * A connection that never became live.
   * @param {boolean} answered the service is up and refused (a 4xx, or a socket that failed
   *   after its ticket came)
   */
  #failed(answered) {
    this.#failures += 1;
    if (answered) this.#refusals += 1;
    if (!this.#fallback && this.#refusals >= FALLBACK_AFTER && !this.#stopped) {
      this.#fallback = true;
      this.emit('disconnected', { fallback: true });
      // What never reached a socket can go by HTTP now.
      for (const [id, entry] of this.#pending) {
        if (entry.socket) continue;
        this.#pending.delete(id);
        this.#room.post(entry.text, entry.options).then(entry.resolve, entry.reject);
      }
    }
    this.#schedule();
  }

  async #connect() {
    clearTimeout(this.#timer);
    if (this.#stopped || this.#socket || this.#connecting) return;
    this.#connecting = true;
    try {
      await this.#open();
    } finally {
      this.#connecting = false;
    }
  }

  async #open() {
    /** @type {string | null} */
    let ticket = null;
    try {
      // Without a key (a viewer of an open room) the socket needs no ticket.
      if (this.#room.client.session) ticket = (await this.#room.liveTicket()).ticket;
    } catch (error) {
      const refusal = /** @type {ChatroomsError} */ (error);
      if (this.#stopped) return;
      if (refusal.sessionEnded) return this.#end(CLOSE.KEY_ENDED, 'key no longer valid');
      if (refusal.status === 404) {
        this.#stopped = true;
        this.#fallback = true;
        this.#close();
        this.emit('unavailable', refusal);
        return;
      }
      // Unreachable, or in trouble (5xx, a restart's 503): waited for. A 4xx is an answer.
      this.#failed(refusal.status >= 400 && refusal.status < 500);
      return;
    }
    if (this.#stopped) return;
    const url = this.#room.client.url(this.#room.path('/live'), { ticket, after: this.#seq });
    /** @type {import('./client.js').SocketLike} */
    let current;
    try {
      current = openSocket(this.#room.client.WebSocket, url, (/** @type {ServerFrame} */ frame) => {
        if (this.#socket === current) this.#receive(current, frame);
      }, (code, reason) => {
        if (this.#socket === current) this.#closed(code, reason);
      });
    } catch {
      this.#failed(true);
      return;
    }
    this.#socket = current;
    this.#resumed = this.#seq != null;
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #closed(code, reason) {
    this.#socket = null;
    const wasReady = this.#ready;
    this.#ready = false;
    if (this.#stopped) return;
    if (FINAL.has(code)) return this.#end(code, reason);
    this.emit('disconnected', { fallback: this.#fallback });
    // 4003 (access lost): connecting again asks for a ticket, which says whether the room can
    // still be read (an open room can, after a ban) or is gone (404).
    if (wasReady) {
      this.#failures = 0;
      this.#connect();
    } else {
      // The ticket came, so the service is up: this socket was refused, or cut.
      this.#failed(true);
    }
  }

  /**
   * Closed for good by the room (4001, 4004).
   * @param {number} code
   * @param {string} reason
   */
  #end(code, reason) {
    this.#stopped = true;
    this.#close();
    if (code === CLOSE.KEY_ENDED) this.#room.client.endSession();
    this.#rejectPending(new ChatroomsError(code === CLOSE.KEY_ENDED ? 401 : 404, reason || null, { message: 'Not sent: the room closed.' }));
    this.emit('closed', { code, reason: closeReason(code), text: reason });
  }

  /**
   * @param {import('./client.js').SocketLike} current
   * @param {ServerFrame} frame
   */
  #receive(current, frame) {
    switch (frame.type) {
      case 'pong':
        return;
      case 'hello':
        this.#member = Boolean(frame.you?.present);
        if (this.#seq == null) this.#seq = frame.seq;
        this.emit('hello', frame);
        return;
      case 'reset':
        // Events after #seq are no longer kept: everything is read again through HTTP.
        this.#seq = frame.seq;
        this.#resumed = false;
        return;
      case 'ready': {
        // `ready` names the room's latest seq, which the replay has just reached.
        if (this.#seq != null && frame.seq > this.#seq) return this.#resync(current);
        this.#ready = true;
        this.#failures = 0;
        this.#refusals = 0;
        this.#fallback = false;
        this.emit('connected', { resumed: this.#resumed });
        for (const [id, entry] of this.#pending) {
          entry.socket = true;
          current.send(sendFrame(id, entry.text, entry.options));
        }
        this.#seen();
        return;
      }
      case 'sent': {
        const entry = this.#pending.get(frame.txn_id);
        this.#pending.delete(frame.txn_id);
        entry?.resolve(frame.message);
        return;
      }
      case 'error': {
        const entry = frame.txn_id == null ? null : this.#pending.get(frame.txn_id);
        if (!entry || frame.txn_id == null) return; // a typing too soon, say: nothing to show
        this.#pending.delete(frame.txn_id);
        entry.reject(this.#room.client.refusal(400, frame.error));
        return;
      }
      case 'read':
        this.emit('read', frame);
        return;
      case 'presence':
      case 'typing':
        this.#deliver(frame);
        return;
      default: {
        if (typeof frame.seq !== 'number') return;
        const seq = this.#seq;
        if (seq != null && frame.seq <= seq) return; // already seen
        if (seq != null && frame.seq !== seq + 1) return this.#resync(current);
        this.#seq = frame.seq;
        const me = this.#room.client.session?.user_id;
        if (frame.type === 'member_left' && frame.user_id === me) this.#member = false;
        if (frame.type === 'member_joined' && frame.user_id === me) this.#member = true;
        this.#deliver(frame);
      }
    }
  }

  /** @param {RoomEvent} frame */
  #deliver(frame) {
    this.emit('event', frame);
    this.emit(frame.type, /** @type {any} its own type's listeners */ (frame));
  }

  /**
   * An event is missing (a gap in `seq`): this socket cannot be trusted; a new one resumes from
   * the last event that came.
   * @param {import('./client.js').SocketLike} current
   */
  #resync(current) {
    current.close(1000, 'resume');
  }

  /**
   * One has been shown the room's messages up to `seq`: the room hears it as read (at most once
   * a second, over the socket, or by HTTP while there is none), if one is a member.
   * @param {number} seq
   */
  read(seq) {
    if (seq <= this.#readShown) return;
    this.#readShown = seq;
    this.#seen();
  }

  #seen() {
    if (this.#readTimer != null || !this.#member || this.#readShown <= this.#readSent) return;
    this.#readTimer = setTimeout(() => {
      this.#readTimer = undefined;
      this.#tellRead();
    }, READ_EVERY_MS);
  }

  /** Tells the room at once what was shown and it has not been told. */
  #tellRead() {
    if (!this.#member || this.#readShown <= this.#readSent) return;
    const upTo = this.#readShown;
    if (this.#ready && this.#socket) {
      this.#readSent = upTo;
      this.#socket.send(JSON.stringify({ type: 'read', seq: upTo }));
    } else if (this.#fallback) {
      this.#readSent = upTo;
      this.#room.markRead(upTo).catch(() => { this.#readSent = Math.min(this.#readSent, upTo - 1); });
    }
    // Otherwise a socket is coming: its `ready` tells it.
  }

  /**
   * Posts a message: over the socket when one is live or coming (retried with the same txn_id
   * until the room answers `sent`, so it is posted once however often the connection drops), by
   * HTTP while the room is read by HTTP. Resolves to the message as posted; rejects with the
   * room's refusal, or when `stop()` comes first.
   * @param {string} text
   * @param {SendOptions} [options]
   * @returns {Promise<Message>}
   */
  send(text, options = {}) {
    if (this.#stopped) return Promise.reject(new ChatroomsError(0, null, { message: 'Not sent: the room is no longer live.' }));
    if (this.#fallback && !this.#ready) return this.#room.post(text, options);
    return new Promise((resolve, reject) => {
      const id = txnId();
      const socket = this.#ready ? this.#socket : null;
      this.#pending.set(id, { text, options, socket: Boolean(socket), resolve, reject });
      socket?.send(sendFrame(id, text, options));
    });
  }

  /** Sends waiting for the room's answer (offline, or on their way). */
  get unsent() {
    return this.#pending.size;
  }

  /** Says one is typing, at most once per 2.1 s; nothing when not live. */
  typing() {
    const now = Date.now();
    if (!this.#ready || !this.#socket || now - this.#lastTyping < TYPING_EVERY_MS) return;
    this.#lastTyping = now;
    this.#socket.send(JSON.stringify({ type: 'typing' }));
  }

  /** Tries at once rather than at the end of the backoff (the network came back, say). */
  wake() {
    if (!this.#stopped && !this.#socket) this.#connect();
  }

  /** @param {Error} error */
  #rejectPending(error) {
    this.#pending.forEach((entry) => entry.reject(error));
    this.#pending.clear();
  }

  #close() {
    clearTimeout(this.#timer);
    this.#untrack();
    this.#unwake();
  }

  /**
   * Closes it as the room would with `code` (the client's session ended elsewhere: 4001).
   * @param {number} code
   * @param {string} text
   */
  closeFor(code, text) {
    if (this.#stopped) return;
    const socket = this.#socket;
    this.#socket = null;
    this.#ready = false;
    socket?.close(1000, 'done');
    this.#end(code, text);
  }

  /**
   * Ends the connection: what was shown is told as read first; sends still unanswered are
   * rejected (they may or may not have been posted: the room's history says).
   */
  stop() {
    if (this.#stopped) return;
    clearTimeout(this.#readTimer);
    this.#readTimer = undefined;
    this.#tellRead();
    this.#stopped = true;
    this.#close();
    const socket = this.#socket;
    this.#socket = null;
    this.#ready = false;
    socket?.close(1000, 'done');
    this.#rejectPending(new ChatroomsError(0, null, { message: 'Not sent: you left the room.' }));
    this.emit('closed', { code: 1000, reason: 'normal', text: 'done' });
  }
}

/**
 * A `send` frame.
 * @param {string} id
 * @param {string} text
 * @param {SendOptions} options
 */
const sendFrame = (id, text, { mentions, mention_room, reply_to, thread, files }) =>
  JSON.stringify(/** @satisfies {ClientFrame} */ ({ type: 'send', text, txn_id: id, mentions, mention_room, reply_to, thread, files }));
