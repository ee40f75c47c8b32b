// One's inbox, for the sidebar and My rooms: the client package's `client.inbox()` (one socket,
// a ticket, reconnects with backoff, a fresh `hello` with the whole list on each), shared by
// whoever listens on the page.

import { client, myRooms } from './api.js';
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
    inbox.on('event', (frame) => {
      overheard(frame);
      listeners.forEach((listener) => listener(frame));
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

/** Closes the inbox connection, whoever listens (logging out). */
export function stopInbox() {
  shared?.stop();
  shared = null;
}

/**
 * The readings of one's rooms under way, each with what the inbox said of each room since it
 * began: `room_activity`'s counts and `read`'s position, the latest of each.
 * @type {Set<Map<string, Partial<import('./api.js').MyRoom>>>}
 */
const readings = new Set();

/** @param {InboxFrame} frame */
function overheard(frame) {
  if (frame.type !== 'room_activity' && frame.type !== 'read') return;
  const { type: _type, room_id: roomId, ...news } = frame;
  for (const heard of readings) heard.set(roomId, { ...heard.get(roomId), ...news });
}

/**
 * A page of one's rooms, the latest activity first (`api.myRooms`), with what the inbox said of
 * them meanwhile laid over it. A room's flush writes D1 and then pushes, so a reading may be
 * answered from before a push that came while it was under way, and drawing it as read would
 * undo the push; a push that came before it began, it has.
 * @param {number} offset
 * @param {number} limit
 * @returns {ReturnType<typeof myRooms>}
 */
export async function readRooms(offset, limit) {
  /** @type {Map<string, Partial<import('./api.js').MyRoom>>} */
  const heard = new Map();
  readings.add(heard);
  try {
    const page = await myRooms(offset, limit);
    return { ...page, rooms: page.rooms.map((room) => ({ ...room, ...heard.get(room.room_id) })) };
  } finally {
    readings.delete(heard);
  }
}
