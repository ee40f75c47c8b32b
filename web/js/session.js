// The logged-in user: { user_id, username, handle, key }. The key lives in sessionStorage, so it dies
// with the tab and is never written to disk beyond the browser's session store.

/**
 * @typedef {object} Session
 * @property {import('./api.js').UserId} user_id
 * @property {string} username
 * @property {string | null} [handle] the person's handle, without the @
 * @property {string} key
 */

const STORAGE = 'chatrooms.session';
// What one logged in with last on this device (the handle, or the user id of an account
// without one) is kept (it is not a secret), so that the login form can offer it.
const LAST_USER = 'chatrooms.last-user-id';

/** @returns {Session | null} */
export function current() {
  try {
    // Nothing stored: JSON.parse(null) is null.
    const session = JSON.parse(/** @type {string} */ (sessionStorage.getItem(STORAGE)));
    return session && session.key && session.user_id ? session : null;
  } catch {
    return null;
  }
}

/** @param {Session} session */
export function save(session) {
  sessionStorage.setItem(STORAGE, JSON.stringify(session));
  try { localStorage.setItem(LAST_USER, session.handle ?? session.user_id); } catch { /* storage may be off */ }
}

export function clear() {
  sessionStorage.removeItem(STORAGE);
}

/** After the account is deleted, its id is no use on the login form. */
export function forgetLastUserId() {
  try { localStorage.removeItem(LAST_USER); } catch { /* storage may be off */ }
}

export function lastUserId() {
  try { return localStorage.getItem(LAST_USER) || ''; } catch { return ''; }
}

// Where to go after logging in: the page a person was on when their session ended, or the
// link they opened before logging in. Kept only for the same user (or anyone, for a link).
const RETURN = 'chatrooms.return-to';

/**
 * @param {string} hash
 * @param {string | null | undefined} [user_id] whose page it was; none for a link opened before logging in
 */
export function rememberReturn(hash, user_id = null) {
  sessionStorage.setItem(RETURN, JSON.stringify({ hash, user_id }));
}

/**
 * @param {string} user_id
 * @returns {string | null}
 */
export function takeReturn(user_id) {
  const saved = sessionStorage.getItem(RETURN);
  sessionStorage.removeItem(RETURN);
  try {
    // Nothing saved: JSON.parse(null) is null, and the destructuring throws.
    const { hash, user_id: owner } = JSON.parse(/** @type {string} */ (saved));
    return !owner || owner === user_id ? hash : null;
  } catch {
    return null;
  }
}
