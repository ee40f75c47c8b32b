// A room's live connection, for the room view (room.js): the client package's `room.live()`
// (tickets, reconnects with backoff, resume from the last `seq`, sends retried with their
// txn_id, the fall back to HTTP), its events handed to the view's handlers.

import { client } from './api.js';

/** @typedef {import('./client/live.js').Hello} Hello */
/** @typedef {import('./client/live.js').RoomEvent} RoomFrame what the room view is handed */
/**
 * What the live connection tells its owner (room.js):
 * - `frame(frame)`: an event, `presence` or `typing`, in the order the room made them; a resumed
 *   socket replays what was missed first.
 * - `hello(frame)`: the room and the person's standing in it, on every (re)connection.
 * - `connected({ resumed })`: live now; `resumed` is false when events may have been missed
 *   (the first connection, or after a `reset`): read through HTTP what the socket did not bring.
 * - `disconnected({ fallback })`: not live; `fallback` once a socket cannot be had (poll).
 * - `closed(code, reason)`: the server closed it for good (4001 key, 4004 deleted).
 * - `unavailable(error)`: the ticket was refused with 404: the room is gone, or has no socket.
 * @typedef {object} LiveHandlers
 * @property {(frame: RoomFrame) => void} frame
 * @property {(frame: Hello) => void} hello
 * @property {(state: { resumed: boolean }) => void} connected
 * @property {(state: { fallback: boolean }) => void} disconnected
 * @property {(code: number, reason: string) => void} closed
 * @property {(error: import('./api.js').ApiError) => void} unavailable
 */

export { CLOSE } from './client/index.js';

/**
 * Opens room `roomId`'s live connection. Returns { send(text), typing(), read(seq), live(), stop() }.
 * @param {string} roomId
 * @param {LiveHandlers} handlers
 */
export function openLive(roomId, handlers) {
  const live = client.room(roomId).live();
  live.on('event', handlers.frame);
  live.on('hello', handlers.hello);
  live.on('connected', handlers.connected);
  live.on('disconnected', handlers.disconnected);
  live.on('unavailable', handlers.unavailable);
  // Its own stop() is no news to the view.
  live.on('closed', ({ code, reason, text }) => { if (reason !== 'normal') handlers.closed(code, text); });
  return {
    /**
     * Posts `text` (with the ids of the people it mentions, the message it replies to, the
     * uploads it carries): over the socket, retried until the room answers, or by HTTP.
     * @param {string} text
     * @param {string[]} [mentions]
     * @param {string | null} [replyTo]
     * @param {string[]} [files]
     */
    send: (text, mentions = [], replyTo = null, files = []) =>
      live.send(text, { mentions, ...(replyTo ? { reply_to: replyTo } : {}), ...(files.length > 0 ? { files } : {}) }),
    typing: () => live.typing(),
    /** @param {number} seq what the page has shown */
    read: (seq) => live.read(seq),
    live: () => live.live,
    stop: () => live.stop(),
  };
}
