// The one error every call throws, and what the live sockets' close codes mean.

/**
 * A call the service refused, or could not answer. `status` is the HTTP status (0 when the
 * service could not be reached); `error` is the service's own `{"error": "..."}` text, when it
 * sent one; `retryAfter` the seconds a 429 (or a 503) asks to wait.
 */
export class ChatroomsError extends Error {
  /**
   * @param {number} status
   * @param {string | null} error
   * @param {{ message?: string, retryAfter?: number | null, sessionEnded?: boolean }} [options]
   */
  constructor(status, error, { message, retryAfter = null, sessionEnded = false } = {}) {
    super(message ?? error ?? (status === 0 ? 'The service cannot be reached.' : `The service answered ${status}.`));
    this.name = 'ChatroomsError';
    /** @type {number} */
    this.status = status;
    /** @type {string | null} the service's `error` text */
    this.error = error;
    /** @type {number | null} seconds to wait before asking again (`Retry-After`) */
    this.retryAfter = retryAfter;
    /** @type {boolean} the session's key is no longer valid: the client has forgotten it */
    this.sessionEnded = sessionEnded;
  }
}

/**
 * Why a socket closed, by its code (`x-close-codes` in the service's AsyncAPI document):
 * - `key_ended` (4001): the key was revoked or expired; the session is over (do not reconnect).
 * - `access_lost` (4003): left, removed, banned, or the room closed to non-members.
 * - `room_deleted` (4004): the room is gone (do not reconnect).
 * - `too_many_frames` (1008): over the frame rate, or an 11th socket of one person in a room.
 * - `frame_too_big` (1009), `binary_frame` (1003): a frame the service does not take.
 * - `normal` (1000): closed on purpose; `connection_lost`: anything else (a network, a restart).
 * @typedef {'key_ended' | 'access_lost' | 'room_deleted' | 'too_many_frames' | 'frame_too_big' | 'binary_frame' | 'normal' | 'connection_lost'} CloseReason
 */

/** The codes the service closes a socket with on purpose. */
export const CLOSE = Object.freeze({
  NORMAL: 1000, BINARY_FRAME: 1003, TOO_MANY_FRAMES: 1008, FRAME_TOO_BIG: 1009,
  KEY_ENDED: 4001, ACCESS_LOST: 4003, ROOM_DELETED: 4004,
});

/** @type {ReadonlyMap<number, CloseReason>} */
const REASONS = new Map([
  [CLOSE.NORMAL, 'normal'], [CLOSE.BINARY_FRAME, 'binary_frame'], [CLOSE.TOO_MANY_FRAMES, 'too_many_frames'],
  [CLOSE.FRAME_TOO_BIG, 'frame_too_big'], [CLOSE.KEY_ENDED, 'key_ended'], [CLOSE.ACCESS_LOST, 'access_lost'],
  [CLOSE.ROOM_DELETED, 'room_deleted'],
]);

/**
 * @param {number} code a socket's close code
 * @returns {CloseReason}
 */
export const closeReason = (code) => REASONS.get(code) ?? 'connection_lost';
