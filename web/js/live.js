// A room's live socket (GET /room/{id}/live, the frames of web/asyncapi.json): connects with a
// ticket, resumes from the last event's `seq` after every reconnect (backoff with jitter),
// retries unanswered sends with their txn_id, and says when a socket cannot be had, so that the
// room falls back to polling until one can.

import * as api from './api.js';
import * as session from './session.js';

/** @typedef {import('./api.js').Message} Message */
/** @typedef {import('./api.js').HistoryItem} HistoryItem */
/** @typedef {import('./api.js').Room} Room */
/**
 * The frames the server sends (web/asyncapi.json). Events with a `seq` are persisted, in the
 * room's order; `typing` and `presence` are not.
 * @typedef {{ type: 'hello', seq: number, room: Room, you: { user_id: string, present: boolean, admin: boolean, owner: boolean, read_seq?: number, unread?: number, marked_unread?: boolean } | null }
 *   | { type: 'ready' | 'reset', seq: number }
 *   | { type: 'presence', users: string[] }
 *   | { type: 'typing', user_id: string }
 *   | { type: 'read', seq: number }
 *   | { type: 'message' | 'message_edited', seq: number, message: HistoryItem, thread?: string }
 *   | { type: 'message_deleted', seq: number, message_id: string }
 *   | { type: 'reaction_added' | 'reaction_removed', seq: number, message_id: string, key: string, user_id: string, count: number }
 *   | { type: 'thread_updated', seq: number, root_id: string, thread: NonNullable<Message['thread']> }
 *   | { type: 'member_joined' | 'admin_added' | 'admin_removed', seq: number, user_id: string }
 *   | { type: 'member_left', seq: number, user_id: string, reason: 'left' | 'removed' | 'banned' }
 *   | { type: 'member_invited', seq: number, user_id: string, by: string }
 *   | { type: 'invite_withdrawn', seq: number, user_id: string }
 *   | { type: 'owner_changed', seq: number, owner: string }
 *   | { type: 'room_updated', seq: number, room: Room }
 *   | { type: 'room_deleted', seq: number }
 *   | { type: 'sent', txn_id: string, message: Message }
 *   | { type: 'error', error: string, txn_id?: string }
 *   | { type: 'pong' }} Frame
 */
/** @typedef {Exclude<Frame, { type: 'hello' | 'ready' | 'reset' | 'sent' | 'error' | 'pong' }>} RoomFrame what the room view is handed */
/**
 * What the live connection tells its owner (room.js):
 * - `frame(frame)`: an event, `presence` or `typing`, in the order the room made them; a resumed
 *   socket replays what was missed first.
 * - `hello(frame)`: the room and the person's standing in it, on every (re)connection.
 * - `connected({ resumed })`: live now; `resumed` is false when events may have been missed
 *   (the first connection, or after a `reset`): read through HTTP what the socket did not bring.
 * - `disconnected({ fallback })`: not live; `fallback` once a socket cannot be had (poll).
 * - `closed(code, reason)`: the server closed it for good (4001 key, 4003 access, 4004 deleted).
 * - `unavailable(error)`: the ticket was refused with 404: the room is gone, or has no socket.
 * @typedef {object} LiveHandlers
 * @property {(frame: RoomFrame) => void} frame
 * @property {(frame: Extract<Frame, { type: 'hello' }>) => void} hello
 * @property {(state: { resumed: boolean }) => void} connected
 * @property {(state: { fallback: boolean }) => void} disconnected
 * @property {(code: number, reason: string) => void} closed
 * @property {(error: import('./api.js').ApiError) => void} unavailable
 */

// Reconnection: 0.5 s, 1 s, 2 s … up to 10 s, each times a random 0.5–1 (so that a restarted
// server is not met by every tab at the same instant). After this many failures in a row of a
// server that is up (a ticket came, or a 4xx), the room polls until a socket opens again. A
// server that cannot be reached (or answers 5xx) is only waited for: polling would not reach
// it either, and what the person sends meanwhile waits to go over the next socket.
const BACKOFF_MS = 500;
const BACKOFF_CAP_MS = 10_000;
const FALLBACK_AFTER = 3;
// The server takes one `typing` a socket per 2 s; a little more leaves room for the network.
const TYPING_EVERY_MS = 2_100;
/** How often, at most, the page tells the room how far the person has read. */
const READ_EVERY_MS = 1_000;
/** The codes the server closes a socket with for good (web/asyncapi.json, `x-close-codes`). */
export const CLOSE = Object.freeze({ KEY_ENDED: 4001, ACCESS_LOST: 4003, ROOM_DELETED: 4004 });
// After these, connecting again is pointless: the key is dead, or the room is gone. After 4003
// it is not (an open room is still readable).
/** @type {Set<number>} */
const FINAL = new Set([CLOSE.KEY_ENDED, CLOSE.ROOM_DELETED]);

/**
 * @param {number} attempt failures in a row so far
 * @returns {number} milliseconds to wait
 */
export const backoff = (attempt) => Math.min(BACKOFF_CAP_MS, BACKOFF_MS * 2 ** attempt) * (0.5 + Math.random() / 2);

/**
 * Opens a socket of the service at `path` (`params` in its query; null ones left out): it sends
 * `ping` as soon as it opens (answered `pong` by the platform, free: the runtime ends the
 * connection of a socket that never sent a frame only seconds after the server closes it), and
 * hands each frame, parsed, to `onFrame`, and its close to `onClose`. Throws as `new WebSocket`
 * does.
 * @template F
 * @param {string} path
 * @param {Record<string, string | null>} params
 * @param {(frame: F) => void} onFrame
 * @param {(event: CloseEvent) => void} onClose
 * @returns {WebSocket}
 */
export function openSocket(path, params, onFrame, onClose) {
  const url = new URL(path, location.origin);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [name, value] of Object.entries(params)) if (value != null) url.searchParams.set(name, value);
  const socket = new WebSocket(url);
  socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'ping' })));
  socket.addEventListener('message', (event) => {
    let frame;
    try {
      frame = /** @type {F} */ (JSON.parse(event.data));
    } catch {
      return;
    }
    onFrame(frame);
  });
  socket.addEventListener('close', onClose);
  return socket;
}

/**
 * A `send` frame (web/asyncapi.json `client_send`).
 * @param {string} text
 * @param {string} txnId
 * @param {string[]} mentions
 * @param {string | null} replyTo
 * @param {string[]} files
 */
const sendFrame = (text, txnId, mentions, replyTo, files) =>
  JSON.stringify({ type: 'send', text, txn_id: txnId, mentions, ...(replyTo ? { reply_to: replyTo } : {}),
    ...(files.length > 0 ? { files } : {}) });

/** A transaction id for `send`: random, so that a retry is told apart from a second message. */
const txnId = () => crypto.randomUUID();

/**
 * Opens room `roomId`'s live connection. Returns { send(text), typing(), read(seq), live(), stop() }.
 * @param {string} roomId
 * @param {LiveHandlers} handlers
 */
export function openLive(roomId, handlers) {
  /** @type {WebSocket | null} */
  let socket = null;
  let ready = false; // `ready` came on the current socket: events are live
  /** @type {number | null} */
  let seq = null; // the last event's seq: where the next connection resumes
  let resumed = false; // the current socket resumes from `seq`: it brings whatever was missed
  let connecting = false;
  let failures = 0; // connections in a row that never became live
  let refusals = 0; // … of them, with a server that answered
  let fallback = false;
  let stopped = false;
  /** @type {any} setTimeout's id, or null */
  let timer = null;
  let lastTyping = 0;
  let member = false; // the socket's person is a present member: they keep a read position
  let readSent = 0; // the highest seq told the room as read
  let readShown = 0; // the highest seq the page has shown the person (`read(seq)`)
  /** @type {any} setTimeout's id, or null */
  let readTimer = null;
  /**
   * Sends awaiting their `sent`, by txn_id. `socket` once handed to a socket: from then on only a
   * socket may retry it (its txn_id makes that safe), since an HTTP POST could post it twice.
   * @type {Map<string, { text: string, mentions: string[], replyTo: string | null, files: string[], socket: boolean, resolve: (message: Message) => void, reject: (error: Error) => void }>}
   */
  const pending = new Map();

  function schedule() {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(connect, backoff(failures));
  }

  /**
   * A connection that never became live.
   * @param {boolean} answered whether the server is up and refused (a 4xx, or a socket that
   *   failed after its ticket came)
   */
  function failed(answered) {
    failures += 1;
    if (answered) refusals += 1;
    if (!fallback && refusals >= FALLBACK_AFTER && !stopped) {
      fallback = true;
      handlers.disconnected({ fallback: true });
      // What never reached a socket can go by HTTP now.
      for (const [id, entry] of pending) {
        if (entry.socket) continue;
        pending.delete(id);
        api.post(roomId, entry.text, entry.mentions, entry.replyTo, null, entry.files).then(entry.resolve, entry.reject);
      }
    }
    schedule();
  }

  async function connect() {
    clearTimeout(timer);
    if (stopped || socket || connecting) return;
    connecting = true;
    try {
      await open();
    } finally {
      connecting = false;
    }
  }

  async function open() {
    /** @type {string | null} */
    let ticket = null;
    try {
      // Without a key (a reader of an open room) the socket needs no ticket.
      if (session.current()) ticket = (await api.liveTicket(roomId)).ticket;
    } catch (/** @type {any} an ApiError */ error) {
      if (stopped || error.sessionEnded) return;
      if (error.status === 404) {
        stopped = true;
        fallback = true;
        handlers.unavailable(error);
        return;
      }
      // Unreachable, or in trouble (5xx, a restart's 503): waited for. A 4xx is an answer.
      failed(error.status >= 400 && error.status < 500);
      return;
    }
    if (stopped) return;
    /** @type {WebSocket} */
    let current;
    try {
      const params = { ticket, after: seq == null ? null : String(seq) };
      current = openSocket(`/room/${encodeURIComponent(roomId)}/live`, params, (/** @type {Frame} */ frame) => {
        if (socket === current) receive(current, frame);
      }, closed);
    } catch {
      failed(true);
      return;
    }
    socket = current;
    resumed = seq != null;
    /** @param {CloseEvent} event */
    function closed(event) {
      if (socket !== current) return;
      socket = null;
      const wasReady = ready;
      ready = false;
      if (stopped) return;
      if (FINAL.has(event.code)) {
        stopped = true;
        if (event.code === CLOSE.KEY_ENDED) api.keyEnded();
        handlers.closed(event.code, event.reason);
        return;
      }
      handlers.disconnected({ fallback });
      // 4003 (access lost): connecting again asks for a ticket, which says whether the room
      // can still be read (an open room can, after a ban) or is gone (404).
      if (wasReady) {
        failures = 0;
        connect();
      } else {
        // The ticket came, so the server is up: this socket was refused, or cut.
        failed(true);
      }
    }
  }

  /**
   * @param {WebSocket} current
   * @param {Frame} frame
   */
  function receive(current, frame) {
    switch (frame.type) {
      case 'pong':
        return;
      case 'hello':
        member = Boolean(frame.you?.present);
        if (seq == null) seq = frame.seq;
        handlers.hello(frame);
        return;
      case 'reset':
        // Events after `seq` are no longer kept: everything is read again through HTTP.
        seq = frame.seq;
        resumed = false;
        return;
      case 'ready':
        // `ready` names the room's latest seq, which the replay has just reached.
        if (seq != null && frame.seq > seq) return resync(current);
        ready = true;
        failures = 0;
        refusals = 0;
        fallback = false;
        handlers.connected({ resumed });
        for (const [id, entry] of pending) {
          entry.socket = true;
          current.send(sendFrame(entry.text, id, entry.mentions, entry.replyTo, entry.files));
        }
        seen();
        return;
      case 'sent': {
        const entry = pending.get(frame.txn_id);
        pending.delete(frame.txn_id);
        entry?.resolve(frame.message);
        return;
      }
      case 'error': {
        const entry = frame.txn_id == null ? null : pending.get(frame.txn_id);
        if (!entry || frame.txn_id == null) return; // a typing too soon, say: nothing to show
        pending.delete(frame.txn_id);
        entry.reject(new api.ApiError(403, sentence(frame.error)));
        return;
      }
      case 'presence':
      case 'typing':
        handlers.frame(frame);
        return;
      case 'read':
        // Read on another device: this page has nothing to draw of it yet.
        return;
      default:
        if (!('seq' in frame) || typeof frame.seq !== 'number') return;
        if (seq != null && frame.seq <= seq) return; // already seen
        if (seq != null && frame.seq !== seq + 1) return resync(current);
        seq = frame.seq;
        handlers.frame(frame);
        if (frame.type === 'member_left' && frame.user_id === session.current()?.user_id) member = false;
        if (frame.type === 'member_joined' && frame.user_id === session.current()?.user_id) member = true;
    }
  }

  /**
   * The page has shown the person the room's messages up to `upTo` (only what was on screen
   * counts: messages.js watches that): the room hears it as read.
   * @param {number} upTo
   */
  function read(upTo) {
    if (upTo <= readShown) return;
    readShown = upTo;
    seen();
  }

  /**
   * Tells the room how far the page has shown it, at most once a second, and only while the
   * person is a member: over the socket, or by HTTP while the room has none.
   */
  function seen() {
    if (readTimer != null || !member || readShown <= readSent) return;
    readTimer = setTimeout(() => {
      readTimer = null;
      tellRead();
    }, READ_EVERY_MS);
  }

  /** Tells the room at once what the page has shown and it has not been told. */
  function tellRead() {
    if (!member || readShown <= readSent) return;
    const upTo = readShown;
    if (ready && socket) {
      readSent = upTo;
      socket.send(JSON.stringify({ type: 'read', seq: upTo }));
    } else if (fallback) {
      readSent = upTo;
      api.markRead(roomId, upTo).catch(() => { readSent = Math.min(readSent, upTo - 1); });
    }
    // Otherwise a socket is coming: its `ready` tells it.
  }

  /**
   * An event is missing (a gap in `seq`): this socket cannot be trusted; a new one resumes
   * from the last event that came.
   * @param {WebSocket} current
   */
  function resync(current) {
    current.close(1000, 'resume');
  }

  /**
   * Posts `text`: over the socket when one is live or coming (retried with the same txn_id
   * until the server answers `sent`), by HTTP when the room is polling or the socket is over.
   * @param {string} text
   * @param {string[]} [mentions] the ids of the people it mentions
   * @param {string | null} [replyTo] the id of the message it replies to
   * @param {string[]} [files] the ids of the uploads it carries
   * @returns {Promise<Message>}
   */
  function send(text, mentions = [], replyTo = null, files = []) {
    if (stopped || (fallback && !ready)) return api.post(roomId, text, mentions, replyTo, null, files);
    return new Promise((resolve, reject) => {
      const id = txnId();
      const live = Boolean(ready && socket);
      pending.set(id, { text, mentions, replyTo, files, socket: live, resolve, reject });
      if (live) /** @type {WebSocket} */ (socket).send(sendFrame(text, id, mentions, replyTo, files));
    });
  }

  /** Says the person is typing, at most once per TYPING_EVERY_MS; nothing when not live. */
  function typing() {
    const now = Date.now();
    if (!ready || !socket || now - lastTyping < TYPING_EVERY_MS) return;
    lastTyping = now;
    socket.send(JSON.stringify({ type: 'typing' }));
  }

  /** Tries at once, rather than at the end of the backoff (the tab came back, the network did). */
  function wake() {
    if (!stopped && !socket) connect();
  }
  const onVisible = () => {
    if (!document.hidden) wake();
  };
  document.addEventListener('visibilitychange', onVisible);
  window.addEventListener('online', wake);

  function stop() {
    // A glance counts: what was shown is told before the socket closes.
    clearTimeout(readTimer);
    readTimer = null;
    tellRead();
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
    window.removeEventListener('online', wake);
    const current = socket;
    socket = null;
    current?.close(1000, 'left the room');
    const left = new api.ApiError(0, 'Not sent: you left the room.');
    pending.forEach((entry) => entry.reject(left));
    pending.clear();
  }

  connect();
  return { send, typing, read, live: () => ready, stop };
}

/**
 * The server's error as a sentence, as api.js says HTTP errors.
 * @param {string} text
 */
function sentence(text) {
  const readable = String(text || 'refused').replace(/\b([a-z]+)_([a-z]+)\b/g, '$1 $2');
  const capital = readable.charAt(0).toUpperCase() + readable.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
