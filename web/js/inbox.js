// One's inbox socket (`GET /user/{id}/live`, web/asyncapi.json channel `inboxLive`): the one
// connection that tells the sidebar and My rooms what happens in one's rooms, without polling. It takes a
// ticket, sends `ping` once open, and reconnects with backoff; a reconnect brings a fresh
// `hello` (the whole list), so nothing is missed. The key's end (4001) ends the session.

import * as api from './api.js';
import { backoff, CLOSE, openSocket } from './live.js';
import * as session from './session.js';

/** @typedef {import('./api.js').MyRoom} MyRoom */
/** @typedef {import('./api.js').Message} Message */
/**
 * A frame the inbox sends (web/asyncapi.json, operation `sendInboxFrames`).
 * @typedef {{ type: 'hello', rooms: MyRoom[] }
 *   | { type: 'room_activity', room_id: string, last_seq: number, last_message_at: string | null, unread: number, mentions: number }
 *   | { type: 'read', room_id: string, read_seq: number }
 *   | { type: 'mention', room_id: string, message: Message }
 *   | { type: 'invited', room_id: string, by: string }
 *   | { type: 'dm_request', room_id: string, from: string }
 *   | { type: 'joined', room_id: string }
 *   | { type: 'left', room_id: string, reason: 'left' | 'removed' | 'banned' | 'deleted' }
 *   | { type: 'error', error: string }
 *   | { type: 'pong' }} InboxFrame
 */

/** @typedef {(frame: InboxFrame) => void} InboxListener */

/**
 * The page's one inbox connection, shared by whoever listens (the sidebar, My rooms): opened for
 * the first listener, closed after the last, and opened anew for another person's key.
 * `greeted` once its first `hello` came: a listener that comes later hears only reconnects' hellos.
 * @type {{ key: string, listeners: Set<InboxListener>, greeted: boolean, stop: () => void } | null}
 */
let shared = null;

/**
 * Listens to one's inbox: `onFrame` hears every frame but `pong` from now on. Returns the way
 * to stop listening.
 * @param {InboxListener} onFrame
 * @returns {() => void}
 */
export function listenInbox(onFrame) {
  const key = session.current()?.key ?? '';
  if (shared && shared.key !== key) stopInbox();
  if (!shared) {
    /** @type {Set<InboxListener>} */
    const listeners = new Set();
    const connection = { key, listeners, greeted: false, stop: () => {} };
    connection.stop = openInbox((frame) => {
      listeners.forEach((listener) => listener(frame));
      if (frame.type === 'hello') connection.greeted = true;
    });
    shared = connection;
  }
  const connection = shared;
  connection.listeners.add(onFrame);
  return () => {
    connection.listeners.delete(onFrame);
    if (connection.listeners.size === 0 && shared === connection) stopInbox();
  };
}

/**
 * Whether the inbox connection has said `hello` already: if so, the next one a new listener hears
 * is a reconnect's (what it read before may be stale).
 */
export const inboxGreeted = () => shared?.greeted ?? false;

/** Closes the inbox connection, whoever listens (logging out). */
export function stopInbox() {
  shared?.stop();
  shared = null;
}

/**
 * Opens one's inbox: `onFrame` hears every frame but `pong`. Returns `stop()`.
 * @param {InboxListener} onFrame
 * @returns {() => void}
 */
function openInbox(onFrame) {
  /** @type {WebSocket | null} */
  let socket = null;
  let stopped = false;
  let failures = 0;
  /** @type {any} setTimeout's id */
  let timer = null;

  function schedule() {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(open, backoff(failures));
  }

  async function open() {
    if (stopped || socket || !session.current()) return;
    let ticket;
    try {
      ticket = (await api.inboxTicket()).ticket;
    } catch (/** @type {any} an ApiError */ error) {
      if (error.sessionEnded) return;
      failures += 1;
      schedule();
      return;
    }
    if (stopped) return;
    /** @type {WebSocket} */
    let current;
    try {
      current = openSocket(`/user/${encodeURIComponent(session.current()?.user_id ?? '')}/live`, { ticket }, (/** @type {InboxFrame} */ frame) => {
        if (socket !== current) return;
        if (frame.type === 'hello') failures = 0;
        if (frame.type !== 'pong') onFrame(frame);
      }, (event) => {
        if (socket !== current) return;
        socket = null;
        if (stopped) return;
        if (event.code === CLOSE.KEY_ENDED) {
          stopped = true;
          api.keyEnded();
          return;
        }
        failures += 1;
        schedule();
      });
    } catch {
      failures += 1;
      schedule();
      return;
    }
    socket = current;
  }

  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close(1000, 'done');
    socket = null;
  };
}
