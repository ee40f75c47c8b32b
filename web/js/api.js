// The API client: one function per endpoint, one error type, and the one place that notices a
// dead session key (401 on a request that carried one) and hands over to `onSessionEnded`.

import * as session from './session.js';

/** Every failed call: `status` is the HTTP status (0 when the server could not be reached). */
export class ApiError extends Error {
  constructor(status, message, { retryAfter = null, sessionEnded = false } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.retryAfter = retryAfter;
    // The app has already sent the person back to the login page: nothing more to show.
    this.sessionEnded = sessionEnded;
  }
}

let sessionEnded = () => {};
/** Called with (ApiError, user_id) for a dead key; main.js sends the person to log in. */
export function onSessionEnded(handler) {
  sessionEnded = handler;
}

/**
 * One request. `auth` sends the session key as a Bearer header; `query` goes in the URL and
 * `body` as JSON. Resolves to the parsed JSON (null for 204), or throws an ApiError.
 */
async function call(method, path, { query, body, auth = false } = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value != null) url.searchParams.set(name, String(value));
  }
  const headers = { Accept: 'application/json' };
  const key = auth ? session.current()?.key : null;
  if (auth && !key) throw endSession(new ApiError(401, 'You are not logged in.'), null);
  if (key) headers.Authorization = `Bearer ${key}`;
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

function endSession(error, user_id) {
  error.sessionEnded = true;
  session.clear();
  sessionEnded(error, user_id);
  return error;
}

/** The server's `{"error": "..."}` as a sentence a person can read. */
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
    if (seconds > 0) text += ` Try again in ${seconds < 90 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`}.`;
  }
  return text;
}

const me = () => session.current()?.user_id ?? '';
const enc = encodeURIComponent;
const room = (id, rest = '') => `/room/${enc(id)}${rest}`;

// Accounts and sessions.
export const signUp = (username, password) => call('POST', '/user', { body: { username, password } });
// POST, so that the password travels in the body and never in a URL that logs keep.
export const logIn = (user_id, password) => call('POST', '/token', { body: { user_id, password } });
export const logOut = () => call('DELETE', '/token', { auth: true, body: { user_id: me() } });
export const user = (id) => call('GET', `/user/${enc(id)}`);
export const changePassword = (password, new_password) =>
  call('PUT', `/user/${enc(me())}/password`, { auth: true, body: { password, new_password } });
export const deleteAccount = (password) => call('DELETE', `/user/${enc(me())}`, { auth: true, body: { password } });

// Finding rooms.
export const directory = (q, offset, limit) => call('GET', '/rooms', { query: { q: q || null, offset, limit } });
export const myRooms = (offset, limit) => call('GET', `/user/${enc(me())}/rooms`, { auth: true, query: { offset, limit } });

// One room. Reads send the key too: a closed room is visible only to its members.
export const createRoom = (name, open) => call('POST', '/room', { auth: true, body: { name, open } });
export const getRoom = (id) => call('GET', room(id), { auth: true });
export const updateRoom = (id, changes) => call('PATCH', room(id), { auth: true, body: changes });
export const deleteRoom = (id) => call('DELETE', room(id), { auth: true });
export const handOver = (id, user_id) => call('PUT', room(id, '/owner'), { auth: true, body: { user_id } });

export const members = (id, offset, limit) => call('GET', room(id, '/members'), { auth: true, query: { offset, limit } });
export const admins = (id, offset, limit) => call('GET', room(id, '/admins'), { auth: true, query: { offset, limit } });
export const bans = (id, offset, limit) => call('GET', room(id, '/bans'), { auth: true, query: { offset, limit } });
export const membership = (id, user_id) => call('GET', room(id, `/members/${enc(user_id)}`), { auth: true });
export const join = (id) => call('POST', room(id, '/members'), { auth: true });
export const addMember = (id, user_id) => call('POST', room(id, '/members'), { auth: true, body: { user_id } });
export const removeMember = (id, user_id) => call('DELETE', room(id, `/members/${enc(user_id)}`), { auth: true });
export const promote = (id, user_id) => call('POST', room(id, '/admins'), { auth: true, body: { user_id } });
export const demote = (id, user_id) => call('DELETE', room(id, `/admins/${enc(user_id)}`), { auth: true });
export const ban = (id, user_id) => call('PUT', room(id, `/bans/${enc(user_id)}`), { auth: true });
export const unban = (id, user_id) => call('DELETE', room(id, `/bans/${enc(user_id)}`), { auth: true });

/** A page of messages, newest first: `{ before }` pages back, `{ after }` fetches what is newer. */
export const messages = (id, { before, after, limit } = {}) =>
  call('GET', room(id, '/messages'), { auth: true, query: { before, after, limit } });
export const post = (id, text) => call('POST', room(id, '/messages'), { auth: true, body: { text } });

// Usernames, fetched once per id: the API's lists and messages carry user ids only.
const names = new Map();
/** Resolves to the username, or null for an account that no longer exists. */
export function username(id) {
  if (!names.has(id)) {
    const lookup = user(id).then((profile) => profile.username, (error) => {
      if (error.status === 404) return null;
      names.delete(id); // a passing failure: ask again next time
      throw error;
    });
    names.set(id, lookup);
  }
  return names.get(id);
}
