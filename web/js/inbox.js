// One's inbox, for the sidebar and My rooms: the client package's `client.inbox()` (one socket,
// a ticket, reconnects with backoff, a fresh `hello` with the whole list on each), shared by
// whoever listens on the page.

import { client } from './api.js';
import * as session from './session.js';

/** @typedef {import('./client/inbox.js').InboxEvent} InboxFrame a frame the inbox sends, but `pong` */
/** @typedef {(frame: InboxFrame) => void} InboxListener */

/**
 * The page's one inbox connection, shared by whoever listens (the sidebar, My rooms): opened for
 * the first listener, closed after the last, and opened anew for another person's key.
 * @type {{ key: string, listeners: Set<InboxListener>, stop: () => void } | null}
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
    const inbox = client.inbox();
    const connection = { key, listeners, stop: () => inbox.stop() };
    inbox.on('event', (frame) => listeners.forEach((listener) => listener(frame)));
    shared = connection;
  }
  const connection = shared;
  connection.listeners.add(onFrame);
  return () => {
    connection.listeners.delete(onFrame);
    if (connection.listeners.size === 0 && shared === connection) stopInbox();
  };
}

/** Closes the inbox connection, whoever listens (logging out). */
export function stopInbox() {
  shared?.stop();
  shared = null;
}
