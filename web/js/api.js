// The web client's calls: the client package (clients/js, copied into web/js/client/ by
// scripts/build.sh) acting for the session this tab keeps (session.js), its errors worded for a
// person, and what the pages share on top of it (profiles fetched once, the blocked set).

import { ChatroomsError, createClient } from './client/index.js';
import * as session from './session.js';

// Types from the OpenAPI document (web/openapi.json), as the package generates them
// (clients/js/scripts/generate.mjs): a field the document renames is an error wherever the page
// reads it. Comments only: the browser runs this file as it is.
/** @typedef {import('./client/generated/openapi.js').components['schemas']} Schemas */
/** @typedef {Schemas['UserId']} UserId */
/** @typedef {Schemas['User']} Profile a person as everyone may see them: id, name and handle */
/** @typedef {Schemas['Room']} Room */
/** @typedef {Schemas['RoomSummary']} RoomSummary */
/** @typedef {Schemas['RoomList']} RoomList */
/** @typedef {Schemas['MyRoom']} MyRoom a room of one's own, with where one stands in it */
/** @typedef {Schemas['MyRoomList']} MyRoomList */
/** @typedef {Schemas['UserList']} UserList */
/** @typedef {Schemas['BlockList']} BlockList */
/** @typedef {Schemas['InvitationList']} InvitationList */
/** @typedef {Schemas['DmRequestList']} DmRequestList */
/** @typedef {Schemas['Message']} Message */
/** @typedef {Schemas['DeletedMessage']} DeletedMessage */
/** @typedef {Message | DeletedMessage} HistoryItem a message as history and the live socket show it */
/** @typedef {Schemas['Reaction']} Reaction one key's reactions to a message, `me` for this person */
/** @typedef {Schemas['File']} FileInfo a file as a message shows it */
/** @typedef {Schemas['Limits']} Limits */

/** Every failed call: `status` is the HTTP status (0 when the server could not be reached). */
export { ChatroomsError as ApiError };

/** @typedef {(error: ChatroomsError, user_id: UserId | null | undefined) => void} SessionEndedHandler */
/** @type {SessionEndedHandler} */
let sessionEnded = () => {};
/**
 * Called with (ApiError, user_id) for a dead key; main.js sends the person to log in.
 * @param {SessionEndedHandler} handler
 */
export function onSessionEnded(handler) {
  sessionEnded = handler;
}

/**
 * The server's `{"error": "..."}` as a sentence a person can read.
 * @param {{ status: number, error: string | null, retryAfter: number | null }} answer
 */
function describe({ status, error, retryAfter }) {
  if (status === 0) return 'The server cannot be reached. Check your connection and try again.';
  if (status === 401 && error === 'not logged in') return 'You are not logged in.';
  if (status >= 500) return 'Something went wrong on the server. Please try again in a moment.';
  let text = error || `The server answered ${status}.`;
  // The API names its fields ("wrong user_id or password"); a person reads "user id".
  text = text.replace(/\b([a-z]+)_([a-z]+)\b/g, '$1 $2');
  text = text.charAt(0).toUpperCase() + text.slice(1);
  if (!/[.!?]$/.test(text)) text += '.';
  if (status === 429 && retryAfter != null && retryAfter > 0) {
    text += ` Try again in ${retryAfter < 90 ? `${retryAfter} second${retryAfter === 1 ? '' : 's'}` : `${Math.ceil(retryAfter / 60)} minutes`}.`;
  }
  return text;
}

/**
 * The page's one client: the session lives in this tab's sessionStorage (session.js), where
 * the pages read it too; a dead key ends it and sends the person to log in (main.js).
 */
export const client = createClient({
  store: {
    get: session.current,
    set: (value) => {
      if (!value) return session.clear();
      // The package knows the key and whose it is; the pages add the name and handle.
      const kept = session.current();
      session.save({ username: '', ...(kept?.user_id === value.user_id ? kept : {}), user_id: value.user_id, key: value.key });
    },
  },
  describe,
  onSessionEnded: (error, ended) => sessionEnded(error, ended.user_id),
});

/** @param {string} id */
const room = (id) => client.room(id);

// Accounts and sessions.
/** @type {(username: string, password: string, handle: string) => ReturnType<typeof client.signUp>} */
export const signUp = (username, password, handle) => client.signUp({ username, password, handle });
/**
 * Logs in by handle or by user id (whichever `login` names): the key, and whose it is.
 * POST, so that the password travels in the body and never in a URL that logs keep.
 * @type {(login: { user_id: UserId } | { handle: string }, password: string) => ReturnType<typeof client.logIn>}
 */
export const logIn = (login, password) => client.logIn(login, password);
export const logOut = () => client.logOut();
/** @param {UserId} id */
export const user = (id) => client.user(id);
/**
 * The person with a handle someone typed: an unknown or malformed one is a 404 that says so.
 * @param {string} handle
 */
export const personByHandle = (handle) => client.userByHandle(handle).catch((error) => {
  throw error.status === 404 || error.status === 400 ? new ChatroomsError(404, null, { message: `Nobody has the handle @${handle}.` }) : error;
});
/** @type {(q: string, offset: number, limit: number) => ReturnType<typeof client.findPeople>} */
export const findPeople = (q, offset, limit) => client.findPeople({ q, offset, limit });
/** @type {(offset: number, limit: number) => ReturnType<typeof client.blocks>} */
export const blocks = (offset, limit) => client.blocks({ offset, limit });

// Whom the person logged in blocked, read once (a person blocks few): their messages are hidden
// behind a toggle.
/** @type {{ of: string, set: Promise<Set<UserId>> } | null} */
let blockedSet = null;
const me = () => session.current()?.user_id ?? '';
/** @returns {Promise<Set<UserId>>} the ids the person blocked (empty if the list cannot be read) */
export function blocked() {
  if (blockedSet?.of !== me()) {
    const set = blocks(0, 500).then((page) => new Set(page.blocks.map((entry) => entry.user_id)), () => {
      blockedSet = null;
      return new Set();
    });
    blockedSet = { of: me(), set };
  }
  return blockedSet.set;
}

/**
 * Blocks (or unblocks) someone, and keeps the set `blocked()` gives in step.
 * @param {UserId} other
 * @param {boolean} block
 */
export async function setBlocked(other, block) {
  const answer = await (block ? client.block(other) : client.unblock(other));
  const set = await blocked();
  if (block) set.add(other);
  else set.delete(other);
  return answer;
}

/** @param {string} handle */
export const changeHandle = (handle) => client.changeHandle(handle);
/** @type {(password: string, new_password: string) => ReturnType<typeof client.changePassword>} */
export const changePassword = (password, new_password) => client.changePassword(password, new_password);
/** @param {string} password */
export const deleteAccount = (password) => client.deleteAccount(password);

// Finding rooms.
/** @type {(q: string, offset: number, limit: number) => ReturnType<typeof client.directory>} */
export const directory = (q, offset, limit) => client.directory({ q: q || undefined, offset, limit });
/** @type {(before: string | null, limit: number) => ReturnType<typeof client.mentions>} */
export const mentions = (before, limit) => client.mentions({ before: before ?? undefined, limit });
/** @type {(offset: number, limit: number) => ReturnType<typeof client.myRooms>} */
export const myRooms = (offset, limit) => client.myRooms({ offset, limit, sort: 'activity' });

// One room. Reads send the key too: a closed room is visible only to its members.
/** @type {(name: string, open: boolean) => ReturnType<typeof client.createRoom>} */
export const createRoom = (name, open) => client.createRoom({ name, open });
/** @param {string} id */
export const getRoom = (id) => room(id).get();
/** @type {(id: string, changes: Parameters<import('./client/client.js').RoomClient['update']>[0]) => ReturnType<import('./client/client.js').RoomClient['update']>} */
export const updateRoom = (id, changes) => room(id).update(changes);
/** @param {string} id */
export const deleteRoom = (id) => room(id).delete();
/** @type {(id: string, user_id: UserId) => ReturnType<import('./client/client.js').RoomClient['transferOwnership']>} */
export const handOver = (id, user_id) => room(id).transferOwnership(user_id);
/** @type {(id: string, seq: number) => ReturnType<import('./client/client.js').RoomClient['markRead']>} */
export const markRead = (id, seq) => room(id).markRead(seq);
/** @type {(id: string, offset: number, limit: number) => ReturnType<import('./client/client.js').RoomClient['members']>} */
export const members = (id, offset, limit) => room(id).members({ offset, limit });
/** @type {(id: string, offset: number, limit: number) => ReturnType<import('./client/client.js').RoomClient['admins']>} */
export const admins = (id, offset, limit) => room(id).admins({ offset, limit });
/** @type {(id: string, offset: number, limit: number) => ReturnType<import('./client/client.js').RoomClient['bans']>} */
export const bans = (id, offset, limit) => room(id).bans({ offset, limit });
/** @type {(id: string, user_id: UserId) => ReturnType<import('./client/client.js').RoomClient['member']>} */
export const membership = (id, user_id) => room(id).member(user_id);
/** @param {string} id */
export const join = (id) => room(id).join();
/** @type {(id: string, user_id: UserId) => ReturnType<import('./client/client.js').RoomClient['addMember']>} */
export const addMember = (id, user_id) => room(id).addMember(user_id);
/** @type {(id: string, user_id: UserId) => ReturnType<import('./client/client.js').RoomClient['invite']>} */
export const invite = (id, user_id) => room(id).invite(user_id);
/** @param {string} id the person declines their invitation */
export const declineInvite = (id) => room(id).declineInvite();
/** @param {UserId} user_id */
export const openDm = (user_id) => client.openDm(user_id);
/** @type {(offset: number, limit: number) => ReturnType<typeof client.dmRequests>} */
export const dmRequests = (offset, limit) => client.dmRequests({ offset, limit });
/** @type {(offset: number, limit: number) => ReturnType<typeof client.invites>} */
export const invites = (offset, limit) => client.invites({ offset, limit });
/** @type {(id: string, user_id: UserId) => ReturnType<import('./client/client.js').RoomClient['removeMember']>} */
export const removeMember = (id, user_id) => room(id).removeMember(user_id);
/** @type {(id: string, user_id: UserId) => ReturnType<import('./client/client.js').RoomClient['promote']>} */
export const promote = (id, user_id) => room(id).promote(user_id);
/** @type {(id: string, user_id: UserId) => ReturnType<import('./client/client.js').RoomClient['demote']>} */
export const demote = (id, user_id) => room(id).demote(user_id);
/** @type {(id: string, user_id: UserId) => ReturnType<import('./client/client.js').RoomClient['ban']>} */
export const ban = (id, user_id) => room(id).ban(user_id);
/** @type {(id: string, user_id: UserId) => ReturnType<import('./client/client.js').RoomClient['unban']>} */
export const unban = (id, user_id) => room(id).unban(user_id);

/**
 * A page of messages, newest first: `{ before }` pages back, `{ after }` fetches what is newer;
 * `{ thread }` pages the replies in that root's thread instead of the room's own line.
 * @type {(id: string, page?: { before?: string | null, after?: string | null, limit?: number, thread?: string | null }) => ReturnType<import('./client/client.js').RoomClient['messages']>}
 */
export const messages = (id, page = {}) => room(id).messages(page);
/**
 * Posts a message: with `replyTo`, a reply to that one; with `thread`, in that root's thread;
 * with `files`, carrying those uploads.
 * @type {(id: string, text: string, mentions?: UserId[], replyTo?: string | null, thread?: string | null, files?: string[]) => ReturnType<import('./client/client.js').RoomClient['post']>}
 */
export const post = (id, text, mentions = [], replyTo = null, thread = null, files = []) =>
  room(id).post(text, { mentions, ...(replyTo ? { reply_to: replyTo } : {}), ...(thread ? { thread } : {}), ...(files.length > 0 ? { files } : {}) });
/** What an upload may be here. */
export const limits = () => client.limits();
/**
 * Uploads `file` to the room, telling `progress(sent, total)` as its bytes go: the file as
 * messages will show it.
 * @param {string} id
 * @param {File} file
 * @param {(sent: number, total: number) => void} progress
 */
export const uploadFile = (id, file, progress) => room(id).upload(file, { name: file.name || 'file', type: file.type, onProgress: progress });
/**
 * A file's bytes, fetched with the key as a header (an <img> cannot send one, and a key in a
 * URL would end up in logs): shown from a blob: URL. Each file is fetched once a page.
 * @type {(id: string, fileId: string) => Promise<Blob>}
 */
export const fileBlob = (id, fileId) => {
  let blob = blobs.get(fileId);
  if (!blob) {
    blob = room(id).file(fileId).then((response) => response.blob(), (/** @type {ChatroomsError} */ error) => {
      throw new ChatroomsError(error.status, error.error, { message: 'The file cannot be shown.' });
    });
    blob.catch(() => blobs.delete(fileId));
    blobs.set(fileId, blob);
  }
  return blob;
};
/** @type {Map<string, Promise<Blob>>} */
const blobs = new Map();
/** @type {(id: string, message_id: string, text: string) => ReturnType<import('./client/client.js').RoomClient['edit']>} */
export const editMessage = (id, message_id, text) => room(id).edit(message_id, text);
/** @type {(id: string, message_id: string) => ReturnType<import('./client/client.js').RoomClient['deleteMessage']>} */
export const deleteMessage = (id, message_id) => room(id).deleteMessage(message_id);
/**
 * The room's messages whose text holds `q`, newest first; `before` is the previous page's `next`.
 * @type {(id: string, q: string, page: { before?: string | null, limit?: number }) => ReturnType<import('./client/client.js').RoomClient['search']>}
 */
export const search = (id, q, { before, limit } = {}) => room(id).search(q, { before: before ?? undefined, limit });
/**
 * Adds (`add`) or takes back the person's reaction `key` to a message: the message's reactions then.
 * @type {(id: string, message_id: string, key: string, add: boolean) => ReturnType<import('./client/client.js').RoomClient['react']>}
 */
export const react = (id, message_id, key, add) => (add ? room(id).react(message_id, key) : room(id).unreact(message_id, key));

// Profiles (name and handle), fetched once per id: the API's lists and messages carry user ids
// only.
/** @type {Map<UserId, Promise<Profile | null>>} */
const profiles = new Map();
/**
 * Resolves to the person's profile, or null for an account that no longer exists.
 * @param {UserId} id
 * @returns {Promise<Profile | null>}
 */
export function profile(id) {
  if (!profiles.has(id)) {
    const lookup = user(id).catch((error) => {
      if (error.status === 404) return null;
      profiles.delete(id); // a passing failure: ask again next time
      throw error;
    });
    profiles.set(id, lookup);
  }
  return /** @type {Promise<Profile | null>} */ (profiles.get(id));
}

/**
 * Someone's handle changed (one's own, from the account page): ask again next time.
 * @param {UserId} id
 */
export const forgetProfile = (id) => { profiles.delete(id); };

/**
 * Resolves to the username, or null for an account that no longer exists.
 * @param {UserId} id
 * @returns {Promise<string | null>}
 */
export const username = (id) => profile(id).then((found) => found?.username ?? null);

/**
 * How a person is named on screen: "ana @ana.lee", or the name alone for someone without a
 * handle (usernames need not be unique: the handle tells people apart, never the user id).
 * @param {Profile} person
 */
export const displayName = (person) => (person.handle ? `${person.username} @${person.handle}` : person.username);
