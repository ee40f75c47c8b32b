// The API client: one function per endpoint, one error type, and the one place that notices a
// dead session key (401 on a request that carried one) and hands over to `onSessionEnded`.

import * as session from './session.js';

// Types from the OpenAPI document (web/openapi.json, by openapi-typescript: scripts/contract.sh),
// so that a field the document renames is an error wherever the client reads it. Comments only:
// the browser runs this file as it is.
/** @typedef {import('openapi').operations} Operations */
/** @typedef {import('openapi').components['schemas']} Schemas */
/**
 * What operation `Id` answers with `Status`: its JSON, or null for an answer without a body (204).
 * @template {keyof Operations} Id
 * @template {keyof Operations[Id]['responses']} Status
 * @typedef {Operations[Id]['responses'][Status] extends { content: { 'application/json': infer T } } ? T : null} Answer
 */
/**
 * The JSON body operation `Id` takes.
 * @template {keyof Operations} Id
 * @typedef {NonNullable<Operations[Id]['requestBody']>['content'] extends { 'application/json': infer T } ? T : never} Body
 */
/**
 * The query operation `Id` takes; `call` leaves out the null and undefined ones.
 * @template {keyof Operations} Id
 * @typedef {{ [Name in keyof NonNullable<Operations[Id]['parameters']['query']>]?:
 *   NonNullable<Operations[Id]['parameters']['query']>[Name] | null }} Query
 */
/**
 * The JSON body of an operation that takes the session key in it or as `Authorization: Bearer`:
 * this client sends it as Bearer, so its bodies go without it.
 * @template {keyof Operations} Id
 * @typedef {Omit<Body<Id>, 'key'>} AuthBody
 */
/**
 * The query of listMessages: its `cursor` is an object parameter, sent exploded (`?before=…`);
 * the client sends only its two fields (the document lets other parameters be, as ignored).
 * @typedef {Omit<Query<'listMessages'>, 'cursor' | 'key'> & Pick<NonNullable<Query<'listMessages'>['cursor']>, 'before' | 'after'>} MessagesQuery
 */
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
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {{ retryAfter?: number | null, sessionEnded?: boolean }} [options]
   */
  constructor(status, message, { retryAfter = null, sessionEnded = false } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    /** @type {number | null} seconds, from a 429's Retry-After */
    this.retryAfter = retryAfter;
    // The app has already sent the person back to the login page: nothing more to show.
    this.sessionEnded = sessionEnded;
  }
}

/** @typedef {(error: ApiError, user_id: UserId | null | undefined) => void} SessionEndedHandler */
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
 * One request. `auth` sends the session key as a Bearer header; `query` goes in the URL and
 * `body` as JSON. Resolves to the parsed JSON (null for 204), or throws an ApiError.
 * @param {string} method
 * @param {string} path
 * @param {{ query?: Record<string, string | number | null | undefined>, body?: object, auth?: boolean }} [options]
 * @returns {Promise<any>} typed by each endpoint's function below, from the document
 */
async function call(method, path, { query, body, auth = false } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value != null) url.searchParams.set(name, String(value));
  }
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  const key = auth ? session.current()?.key : null;
  if (auth && !key) throw endSession(new ApiError(401, 'You are not logged in.'), null);
  if (key) headers.Authorization = `Bearer ${key}`;
  /** @type {RequestInit} */
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check your connection and try again.');
  }
  const data = await response.json().catch(() => null);
  if (response.ok) return data;

  const error = new ApiError(response.status, describe(response, data), {
    retryAfter: Number(response.headers.get('Retry-After')) || null,
  });
  // A request that sent a key and got 401: the key expired or was revoked. (A login answers
  // 401 for a wrong password, but sends no key.)
  if (response.status === 401 && key) throw endSession(error, session.current()?.user_id);
  throw error;
}

/**
 * @param {ApiError} error
 * @param {UserId | null | undefined} user_id
 */
function endSession(error, user_id) {
  error.sessionEnded = true;
  session.clear();
  sessionEnded(error, user_id);
  return error;
}

/**
 * The server's `{"error": "..."}` as a sentence a person can read.
 * @param {{ status: number, headers: { get: (name: string) => string | null } }} response a fetch
 *   Response, or what an XMLHttpRequest says of its answer
 * @param {Partial<Schemas['Error']> | null} data whatever JSON came back, if any
 */
function describe(response, data) {
  const status = response.status;
  if (status >= 500) return 'Something went wrong on the server. Please try again in a moment.';
  let text = typeof data?.error === 'string' && data.error ? data.error : `The server answered ${status}.`;
  // The API names its fields ("wrong user_id or password"); a person reads "user id".
  text = text.replace(/\b([a-z]+)_([a-z]+)\b/g, '$1 $2');
  text = text.charAt(0).toUpperCase() + text.slice(1);
  if (!/[.!?]$/.test(text)) text += '.';
  if (status === 429) {
    const seconds = Number(response.headers.get('Retry-After'));
    if (seconds > 0) text += ` Try again in ${seconds < 90 ? `${seconds} second${seconds === 1 ? '' : 's'}` : `${Math.ceil(seconds / 60)} minutes`}.`;
  }
  return text;
}

const me = () => session.current()?.user_id ?? '';
const enc = encodeURIComponent;
/** @type {(id: string, rest?: string) => string} */
const room = (id, rest = '') => `/room/${enc(id)}${rest}`;

// Accounts and sessions.
/** @type {(username: Body<'signUp'>['username'], password: Body<'signUp'>['password'], handle: Body<'signUp'>['handle']) => Promise<Answer<'signUp', 202>>} */
export const signUp = (username, password, handle) =>
  call('POST', '/user', { body: /** @satisfies {Body<'signUp'>} */ ({ username, password, handle }) });
/**
 * Logs in by handle or by user id (whichever `login` names): the key, and whose it is.
 * POST, so that the password travels in the body and never in a URL that logs keep.
 * @type {(login: { user_id: UserId } | { handle: string }, password: string) => Promise<Answer<'logInWithBody', 200>>}
 */
export const logIn = (login, password) => call('POST', '/token', { body: /** @satisfies {Body<'logInWithBody'>} */ ({ ...login, password }) });
/** @type {() => Promise<Answer<'logOut', 204>>} */
export const logOut = () => endingOwnSession(call('DELETE', '/token', { auth: true, body: /** @satisfies {AuthBody<'logOut'>} */ ({ user_id: me() }) }));
/** @type {(id: string) => Promise<Answer<'getUser', 200>>} */
export const user = (id) => call('GET', `/user/${enc(id)}`);
/** @type {(handle: string) => Promise<Answer<'getUserByHandle', 200>>} */
export const byHandle = (handle) => call('GET', `/handle/${enc(handle)}`);
/**
 * The person with a handle someone typed: an unknown or malformed one is a 404 that says so.
 * @type {(handle: string) => Promise<Answer<'getUserByHandle', 200>>}
 */
export const personByHandle = (handle) => byHandle(handle).catch((error) => {
  throw error.status === 404 || error.status === 400 ? new ApiError(404, `Nobody has the handle @${handle}.`) : error;
});
/** @type {(q: string, offset: number, limit: number) => Promise<Answer<'findPeople', 200>>} */
export const findPeople = (q, offset, limit) => call('GET', '/users', { auth: true, query: /** @satisfies {Query<'findPeople'>} */ ({ q, offset, limit }) });
/** @type {(offset: number, limit: number) => Promise<Answer<'listBlocks', 200>>} */
export const blocks = (offset, limit) => call('GET', `/user/${enc(me())}/blocks`, { auth: true, query: /** @satisfies {Query<'listBlocks'>} */ ({ offset, limit }) });

// Whom the person logged in blocked, read once (a person blocks few): their messages are hidden
// behind a toggle.
/** @type {{ of: string, set: Promise<Set<UserId>> } | null} */
let blockedSet = null;
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
 * @type {(other: UserId, block: boolean) => Promise<Answer<'blockUser', 200>>}
 */
export async function setBlocked(other, block) {
  const answer = await call(block ? 'PUT' : 'DELETE', `/user/${enc(me())}/blocks/${enc(other)}`, { auth: true });
  const set = await blocked();
  if (block) set.add(other);
  else set.delete(other);
  return answer;
}

/** @type {(handle: AuthBody<'changeHandle'>['handle']) => Promise<Answer<'changeHandle', 200>>} */
export const changeHandle = (handle) => call('PUT', `/user/${enc(me())}/handle`, { auth: true, body: /** @satisfies {AuthBody<'changeHandle'>} */ ({ handle }) });
/** @type {(password: AuthBody<'changePassword'>['password'], new_password: AuthBody<'changePassword'>['new_password']) => Promise<Answer<'changePassword', 204>>} */
export const changePassword = (password, new_password) =>
  call('PUT', `/user/${enc(me())}/password`, { auth: true, body: /** @satisfies {AuthBody<'changePassword'>} */ ({ password, new_password }) });
/** @type {(password: AuthBody<'deleteUser'>['password']) => Promise<Answer<'deleteUser', 204>>} */
export const deleteAccount = (password) => endingOwnSession(call('DELETE', `/user/${enc(me())}`, { auth: true, body: /** @satisfies {AuthBody<'deleteUser'>} */ ({ password }) }));

// Finding rooms.
/** @type {(q: string, offset: number, limit: number) => Promise<Answer<'listOpenRooms', 200>>} */
export const directory = (q, offset, limit) => call('GET', '/rooms', { query: /** @satisfies {Query<'listOpenRooms'>} */ ({ q: q || null, offset, limit }) });
/** @type {(before: string | null, limit: number) => Promise<Answer<'listMentions', 200>>} */
export const mentions = (before, limit) => call('GET', `/user/${enc(me())}/mentions`, { auth: true, query: /** @satisfies {Query<'listMentions'>} */ ({ before, limit }) });
/** @type {(offset: number, limit: number) => Promise<Answer<'getRoomsOfUser', 200>>} */
export const myRooms = (offset, limit) => call('GET', `/user/${enc(me())}/rooms`, { auth: true, query: /** @satisfies {Query<'getRoomsOfUser'>} */ ({ offset, limit, sort: 'activity' }) });

// One room. Reads send the key too: a closed room is visible only to its members.
/** @type {(name: AuthBody<'createRoom'>['name'], open: AuthBody<'createRoom'>['open']) => Promise<Answer<'createRoom', 200>>} */
export const createRoom = (name, open) => call('POST', '/room', { auth: true, body: /** @satisfies {AuthBody<'createRoom'>} */ ({ name, open }) });
/** @type {(id: string) => Promise<Answer<'getRoom', 200>>} */
export const getRoom = (id) => call('GET', room(id), { auth: true });
/** @type {(id: string, changes: AuthBody<'updateRoom'>) => Promise<Answer<'updateRoom', 200>>} */
export const updateRoom = (id, changes) => call('PATCH', room(id), { auth: true, body: changes });
/** @type {(id: string) => Promise<Answer<'deleteRoom', 204>>} */
export const deleteRoom = (id) => call('DELETE', room(id), { auth: true });
/** @type {(id: string, user_id: AuthBody<'transferOwnership'>['user_id']) => Promise<Answer<'transferOwnership', 200>>} */
export const handOver = (id, user_id) => call('PUT', room(id, '/owner'), { auth: true, body: /** @satisfies {AuthBody<'transferOwnership'>} */ ({ user_id }) });

/** @type {(id: string, seq: number) => Promise<Answer<'markRead', 200>>} */
export const markRead = (id, seq) => call('PUT', room(id, '/read'), { auth: true, body: /** @satisfies {AuthBody<'markRead'>} */ ({ seq }) });

/** @type {(id: string, offset: number, limit: number) => Promise<Answer<'listMembers', 200>>} */
export const members = (id, offset, limit) => call('GET', room(id, '/members'), { auth: true, query: /** @satisfies {Query<'listMembers'>} */ ({ offset, limit }) });
/** @type {(id: string, offset: number, limit: number) => Promise<Answer<'listAdmins', 200>>} */
export const admins = (id, offset, limit) => call('GET', room(id, '/admins'), { auth: true, query: /** @satisfies {Query<'listAdmins'>} */ ({ offset, limit }) });
/** @type {(id: string, offset: number, limit: number) => Promise<Answer<'listBans', 200>>} */
export const bans = (id, offset, limit) => call('GET', room(id, '/bans'), { auth: true, query: /** @satisfies {Query<'listBans'>} */ ({ offset, limit }) });
/** @type {(id: string, user_id: string) => Promise<Answer<'getMember', 200>>} */
export const membership = (id, user_id) => call('GET', room(id, `/members/${enc(user_id)}`), { auth: true });
/** @type {(id: string) => Promise<Answer<'addMember', 200>>} */
export const join = (id) => call('POST', room(id, '/members'), { auth: true });
/** @type {(id: string, user_id: NonNullable<AuthBody<'addMember'>['user_id']>) => Promise<Answer<'addMember', 200>>} */
export const addMember = (id, user_id) => call('POST', room(id, '/members'), { auth: true, body: /** @satisfies {AuthBody<'addMember'>} */ ({ user_id }) });
/** @type {(id: string, user_id: AuthBody<'inviteUser'>['user_id']) => Promise<Answer<'inviteUser', 200>>} */
export const invite = (id, user_id) => call('POST', room(id, '/invites'), { auth: true, body: /** @satisfies {AuthBody<'inviteUser'>} */ ({ user_id }) });
/** @type {(id: string) => Promise<Answer<'withdrawInvite', 204>>} the person declines their invitation */
export const declineInvite = (id) => call('DELETE', room(id, `/invites/${enc(me())}`), { auth: true });
/** @type {(user_id: string) => Promise<Answer<'openDm', 200>>} */
export const openDm = (user_id) => call('PUT', `/dm/${enc(user_id)}`, { auth: true });
/** @type {(offset: number, limit: number) => Promise<Answer<'listDmRequests', 200>>} */
export const dmRequests = (offset, limit) => call('GET', `/user/${enc(me())}/requests`, { auth: true, query: /** @satisfies {Query<'listDmRequests'>} */ ({ offset, limit }) });
/** @type {(offset: number, limit: number) => Promise<Answer<'listInvites', 200>>} */
export const invites = (offset, limit) => call('GET', `/user/${enc(me())}/invites`, { auth: true, query: /** @satisfies {Query<'listInvites'>} */ ({ offset, limit }) });
/** @type {(id: string, user_id: string) => Promise<Answer<'removeMember', 200>>} */
export const removeMember = (id, user_id) => call('DELETE', room(id, `/members/${enc(user_id)}`), { auth: true });
/** @type {(id: string, user_id: AuthBody<'promoteAdmin'>['user_id']) => Promise<Answer<'promoteAdmin', 200>>} */
export const promote = (id, user_id) => call('POST', room(id, '/admins'), { auth: true, body: /** @satisfies {AuthBody<'promoteAdmin'>} */ ({ user_id }) });
/** @type {(id: string, user_id: string) => Promise<Answer<'demoteAdmin', 200>>} */
export const demote = (id, user_id) => call('DELETE', room(id, `/admins/${enc(user_id)}`), { auth: true });
/** @type {(id: string, user_id: string) => Promise<Answer<'banUser', 200>>} */
export const ban = (id, user_id) => call('PUT', room(id, `/bans/${enc(user_id)}`), { auth: true });
/** @type {(id: string, user_id: string) => Promise<Answer<'unbanUser', 200>>} */
export const unban = (id, user_id) => call('DELETE', room(id, `/bans/${enc(user_id)}`), { auth: true });

/**
 * A page of messages, newest first: `{ before }` pages back, `{ after }` fetches what is newer;
 * `{ thread }` pages the replies in that root's thread instead of the room's own line.
 * @type {(id: string, page?: MessagesQuery) => Promise<Answer<'listMessages', 200>>}
 */
export const messages = (id, { before, after, limit, thread } = {}) =>
  call('GET', room(id, '/messages'), { auth: true, query: /** @satisfies {MessagesQuery} */ ({ before, after, limit, thread }) });
/**
 * Posts a message: with `replyTo`, a reply to that one; with `thread`, in that root's thread;
 * with `files`, carrying those uploads.
 * @type {(id: string, text: AuthBody<'postMessage'>['text'], mentions?: UserId[], replyTo?: string | null, thread?: string | null, files?: string[]) => Promise<Answer<'postMessage', 201>>}
 */
export const post = (id, text, mentions = [], replyTo = null, thread = null, files = []) =>
  call('POST', room(id, '/messages'), {
    auth: true,
    body: /** @satisfies {AuthBody<'postMessage'>} */ ({
      text, mentions, ...(replyTo ? { reply_to: replyTo } : {}), ...(thread ? { thread } : {}),
      ...(files.length > 0 ? { files } : {}),
    }),
  });
/** What an upload may be here (read once). @type {() => Promise<Answer<'getLimits', 200>>} */
export const limits = () => call('GET', '/limits');
/**
 * Uploads `file` to the room, telling `progress(sent, total)` as its bytes go (XMLHttpRequest:
 * fetch says nothing of an upload's progress): the file as messages will show it.
 * @param {string} id
 * @param {File} file
 * @param {(sent: number, total: number) => void} progress
 * @returns {Promise<Answer<'uploadFile', 201>>}
 */
export function uploadFile(id, file, progress) {
  const key = session.current()?.key;
  if (!key) return Promise.reject(endSession(new ApiError(401, 'You are not logged in.'), null));
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `${room(id, '/files')}?name=${enc(file.name || 'file')}`);
    request.setRequestHeader('Authorization', `Bearer ${key}`);
    request.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    request.upload.onprogress = (event) => progress(event.loaded, event.total || file.size);
    request.onload = () => {
      /** @type {any} */
      let data = null;
      try { data = JSON.parse(request.responseText); } catch { /* not JSON: said below */ }
      if (request.status === 201) return resolve(data);
      // Said as every other answer is (`describe` reads only a status and headers).
      const answer = { status: request.status, headers: { get: (/** @type {string} */ name) => request.getResponseHeader(name) } };
      const error = new ApiError(request.status, describe(answer, data), { retryAfter: Number(request.getResponseHeader('Retry-After')) || null });
      reject(request.status === 401 ? endSession(error, session.current()?.user_id) : error);
    };
    request.onerror = () => reject(new ApiError(0, 'The server cannot be reached. Check your connection and try again.'));
    request.send(file);
  });
}
/**
 * A file's bytes, fetched with the key as a header (an <img> cannot send one, and a key in a
 * URL would end up in logs): shown from a blob: URL. Each file is fetched once a page.
 * @type {(id: string, fileId: string) => Promise<Blob>}
 */
export const fileBlob = (id, fileId) => {
  let blob = blobs.get(fileId);
  if (!blob) {
    const key = session.current()?.key;
    blob = fetch(room(id, `/files/${enc(fileId)}`), { headers: key ? { Authorization: `Bearer ${key}` } : {} })
      .then((response) => {
        if (!response.ok) throw new ApiError(response.status, 'The file cannot be shown.');
        return response.blob();
      });
    blob.catch(() => blobs.delete(fileId));
    blobs.set(fileId, blob);
  }
  return blob;
};
/** @type {Map<string, Promise<Blob>>} */
const blobs = new Map();
/** @type {(id: string, message_id: string, text: AuthBody<'editMessage'>['text']) => Promise<Answer<'editMessage', 200>>} */
export const editMessage = (id, message_id, text) =>
  call('PATCH', room(id, `/messages/${enc(message_id)}`), { auth: true, body: /** @satisfies {AuthBody<'editMessage'>} */ ({ text }) });
/** @type {(id: string, message_id: string) => Promise<Answer<'deleteMessage', 204>>} */
export const deleteMessage = (id, message_id) => call('DELETE', room(id, `/messages/${enc(message_id)}`), { auth: true });
/**
 * The room's messages whose text holds `q`, newest first; `before` is the previous page's `next`.
 * @type {(id: string, q: string, page: { before?: string | null, limit?: number }) => Promise<Answer<'searchMessages', 200>>}
 */
export const search = (id, q, { before, limit } = {}) =>
  call('GET', room(id, '/search'), { auth: true, query: /** @satisfies {Query<'searchMessages'>} */ ({ q, before, limit }) });
/**
 * Adds (`add`) or takes back the person's reaction `key` to a message: the message's reactions then.
 * @type {(id: string, message_id: string, key: string, add: boolean) => Promise<Answer<'addReaction', 200>>}
 */
export const react = (id, message_id, key, add) =>
  call(add ? 'PUT' : 'DELETE', room(id, `/messages/${enc(message_id)}/reactions/${enc(key)}`), { auth: true });
/**
 * A single-use ticket for the room's live socket (live.js): a browser cannot send the key as a
 * header on a WebSocket, and a key in a URL would end up in logs.
 * @type {(id: string) => Promise<Answer<'createLiveTicket', 200>>}
 */
export const liveTicket = (id) => call('POST', room(id, '/live'), { auth: true });
/**
 * A single-use ticket for one's inbox socket (inbox.js), for the same reason.
 * @type {() => Promise<Answer<'createInboxTicket', 200>>}
 */
export const inboxTicket = () => call('POST', `/user/${enc(me())}/live`, { auth: true });

/**
 * Ends the session as a 401 does: for the live socket's close 4001 (key no longer valid), which
 * is no HTTP answer.
 */
export function keyEnded() {
  // The page itself is ending the session (logging out, deleting the account): it says so, and
  // goes on, when its request answers; a socket's word of it meanwhile is its echo.
  if (ending > 0) return;
  if (session.current()) endSession(new ApiError(401, 'The session key is no longer valid.'), session.current()?.user_id);
}

/** Requests of the page's own that end its session, under way. */
let ending = 0;

/**
 * A request that ends the page's own session: while it is under way, a socket closed for the
 * key's end (its echo) ends nothing by itself.
 * @template T
 * @param {Promise<T>} request
 * @returns {Promise<T>}
 */
async function endingOwnSession(request) {
  ending += 1;
  try {
    return await request;
  } finally {
    ending -= 1;
  }
}

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
