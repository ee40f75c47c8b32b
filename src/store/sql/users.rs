//! The statements of users, sessions, throttles and account changes.

// Users and sessions.

/// `?5` the handle, or NULL.
pub const INSERT_USER: &str =
    "INSERT INTO users (user_id, username, password, created_at, handle) VALUES (?1, ?2, ?3, ?4, ?5)";
pub const USER: &str = "SELECT user_id, username, handle FROM users WHERE user_id = ?1";
pub const USER_BY_HANDLE: &str = "SELECT user_id, username, handle FROM users WHERE handle = ?1";
pub const INSERT_SESSION: &str = "INSERT INTO sessions (key_hash, user_id, expires_at) VALUES (?1, ?2, ?3)";
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE key_hash = ?1";
pub const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2";
pub const UPDATE_PASSWORD: &str = "UPDATE users SET password = ?2 WHERE user_id = ?1";

// Handles: `?1` the user taking one (a new user's id at sign-up), `?2` the handle, `?3` now,
// `?4` how long a released handle is held (30 days), `?5` the window of `HANDLE_CHANGES_PER_DAY`
// and `?6` its ceiling.

/// Fails the batch (`handle_guard`'s CHECK: 409) if someone else has the handle, or gave it up
/// less than a hold ago.
pub const GUARD_HANDLE: &str = "INSERT INTO handle_guard (taken)
 SELECT 1 WHERE EXISTS (SELECT 1 FROM users WHERE handle = ?2 AND user_id <> ?1)
    OR EXISTS (SELECT 1 FROM released_handles WHERE handle = ?2 AND user_id <> ?1 AND released_at > ?3 - ?4)";
/// The user's handle, if they have another one and may change it now: held for them from now.
pub const RELEASE_HANDLE: &str = "INSERT INTO released_handles (handle, user_id, released_at)
 SELECT handle, user_id, ?3 FROM users
  WHERE user_id = ?1 AND handle IS NOT NULL AND handle <> ?2
    AND NOT (handle_window_start > ?3 - ?5 AND handle_changes >= ?6)
 ON CONFLICT (handle) DO UPDATE SET user_id = excluded.user_id, released_at = excluded.released_at";
/// The change, counted in the same statement, unless the handle is the user's already or they
/// changed it as often as they may in the window.
pub const CHANGE_HANDLE: &str = "UPDATE users SET handle = ?2,
    handle_changes = CASE WHEN handle_window_start > ?3 - ?5 THEN handle_changes + 1 ELSE 1 END,
    handle_window_start = CASE WHEN handle_window_start > ?3 - ?5 THEN handle_window_start ELSE ?3 END
  WHERE user_id = ?1 AND handle IS NOT ?2
    AND NOT (handle_window_start > ?3 - ?5 AND handle_changes >= ?6)";
/// Once the user has the handle, nothing holds it any more (their own hold, or a lapsed one).
pub const TAKE_UP_HANDLE: &str = "DELETE FROM released_handles
  WHERE handle = ?2 AND EXISTS (SELECT 1 FROM users WHERE user_id = ?1 AND handle = ?2)";
/// Holds that have lapsed.
pub const FORGET_RELEASED_HANDLES: &str = "DELETE FROM released_handles WHERE released_at <= ?3 - ?4";
/// After a change: the handle the user has, and their counter of changes.
pub const HANDLE_CHANGES: &str = "SELECT handle, handle_changes, handle_window_start FROM users WHERE user_id = ?1";
/// An account's deletion: its handle is held (`?2` now).
pub const RELEASE_USER_HANDLE: &str = "INSERT INTO released_handles (handle, user_id, released_at)
 SELECT handle, user_id, ?2 FROM users WHERE user_id = ?1 AND handle IS NOT NULL
 ON CONFLICT (handle) DO UPDATE SET user_id = excluded.user_id, released_at = excluded.released_at";
/// People whose handle starts with `?1` (a `HandlePrefix`: every character of a handle sorts
/// before `~`), by handle; `?2` the limit, `?3` the offset.
pub const USERS_BY_HANDLE: &str = "SELECT user_id, username, handle FROM users
  WHERE handle >= ?1 AND handle < ?1 || '~' ORDER BY handle LIMIT ?2 OFFSET ?3";
pub const USER_COUNT_BY_HANDLE: &str = "SELECT count(*) AS count FROM users WHERE handle >= ?1 AND handle < ?1 || '~'";

// Throttles. Password checks take `?1` the user (by id, or by handle for a login: an id has 36
// characters, a handle at most 32), `?2` the source (`net:` and the tag of the
// client's network, or `key:` and a session key's hash), `?3` now, `?4` the attempt's random
// id. Only a known user's checks are counted or forgotten, so that an unknown id writes nothing.

/// `?2`: the last check before which a source's count is forgotten.
pub const FORGET_PASSWORD_FAILURES: &str = "DELETE FROM password_failures
  WHERE last_at <= ?2 AND EXISTS (SELECT 1 FROM users WHERE user_id = ?1 OR handle = ?1)";
/// Counts the check if the source may check now, and then sets when it may next: `?5` is
/// `Backoff::schedule`, the delay after each count. A source that must wait is left as it is.
pub const COUNT_PASSWORD_ATTEMPT: &str =
    "INSERT INTO password_failures (user_id, source, failures, allowed_at, last_at, attempt)
  SELECT user_id, ?2, 1, ?3 + json_extract(?5, '$[0]'), ?3, ?4 FROM users WHERE user_id = ?1 OR handle = ?1
  ON CONFLICT (user_id, source) DO UPDATE SET
    failures = failures + 1,
    allowed_at = ?3 + json_extract(?5, '$[' || min(failures, json_array_length(?5) - 1) || ']'),
    last_at = ?3,
    attempt = ?4
  WHERE allowed_at <= ?3";
/// The user's id and stored hash, whether this attempt (`?3`) was let in, and when the source
/// may next check.
pub const PASSWORD_ATTEMPT: &str = "SELECT u.user_id, u.password, f.attempt = ?3 AS admitted, f.allowed_at
  FROM users AS u LEFT JOIN password_failures AS f ON f.user_id = u.user_id AND f.source = ?2
  WHERE u.user_id = ?1 OR u.handle = ?1";
pub const RESET_PASSWORD_FAILURES: &str = "DELETE FROM password_failures WHERE user_id = ?1 AND source = ?2";
/// `?2`: the window start at or before which a user's ceiling window has passed.
pub const FORGET_LOGIN_CEILINGS: &str = "DELETE FROM login_ceilings
  WHERE window_start <= ?2 AND EXISTS (SELECT 1 FROM users WHERE user_id = ?1 OR handle = ?1)";
/// Counts a login check against the user's ceiling, if its source let it in.
pub const COUNT_LOGIN_FAILURE: &str = "INSERT INTO login_ceilings (user_id, window_start, failures)
  SELECT user_id, ?3, 1 FROM password_failures
   WHERE user_id = (SELECT user_id FROM users WHERE user_id = ?1 OR handle = ?1) AND source = ?2 AND attempt = ?4
  ON CONFLICT (user_id) DO UPDATE SET failures = failures + 1
  RETURNING failures, window_start";
/// A right password was no failure.
pub const UNCOUNT_LOGIN_FAILURE: &str = "UPDATE login_ceilings SET failures = failures - 1
  WHERE user_id = ?1 AND failures > 0";

// Sign-ups: `?1` the tag of the client's network, `?2` an hour ago, `?3` the cap. The first two
// write only while the network is under the cap, so a refused sign-up writes nothing.
pub const FORGET_SIGNUPS: &str = "DELETE FROM signups
  WHERE at <= ?2 AND (SELECT count(*) FROM signups WHERE address_tag = ?1 AND at > ?2) < ?3";
/// `?4` now.
pub const COUNT_SIGNUP: &str = "INSERT INTO signups (address_tag, at)
  SELECT ?1, ?4 WHERE (SELECT count(*) FROM signups WHERE address_tag = ?1 AND at > ?2) < ?3
  RETURNING at";
/// The sign-up whose passing frees a place: the cap-th newest (`?3` the cap less one).
pub const SIGNUP_FREED_AT: &str = "SELECT at FROM signups
  WHERE address_tag = ?1 AND at > ?2 ORDER BY at DESC LIMIT 1 OFFSET ?3";

// The key guard: the first statement of every batch of a request that presents a key (`?1`
// the key's hash, `?2` the user KV named, `?3` now). It inserts a row that the table's CHECK
// refuses unless the key has a live session row, so that D1, which unlike KV is strongly
// consistent, fails and rolls back the whole batch for a key revoked anywhere.

pub const GUARD_KEY: &str = "INSERT INTO dead_key_guard (dead)
 SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE key_hash = ?1 AND user_id = ?2 AND expires_at > ?3)";

// Ending sessions: each queues the keys' hashes for their KV entries to go (`?3` now), then
// deletes their rows, in one transaction.

/// Every session of user `?1` but the key `?2`.
pub const QUEUE_OTHER_SESSIONS: &str = "INSERT OR IGNORE INTO kv_forget (key_hash, queued_at)
 SELECT key_hash, ?3 FROM sessions WHERE user_id = ?1 AND key_hash <> ?2";
pub const DELETE_OTHER_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = ?1 AND key_hash <> ?2";
/// Every session of user `?1` (the account's own deletion removes the rows).
pub const QUEUE_USER_SESSIONS: &str = "INSERT OR IGNORE INTO kv_forget (key_hash, queued_at)
 SELECT key_hash, ?2 FROM sessions WHERE user_id = ?1";
/// One key, `?1`.
pub const QUEUE_SESSION: &str = "INSERT OR IGNORE INTO kv_forget (key_hash, queued_at) VALUES (?1, ?2)";
/// The sessions of user `?1` past the newest `?2` (the cap, at login).
pub const QUEUE_OLDEST_SESSIONS: &str = "INSERT OR IGNORE INTO kv_forget (key_hash, queued_at)
 SELECT key_hash, ?3 FROM sessions WHERE user_id = ?1 ORDER BY expires_at DESC LIMIT -1 OFFSET ?2";
pub const DELETE_OLDEST_SESSIONS: &str = "DELETE FROM sessions WHERE key_hash IN (
    SELECT key_hash FROM sessions WHERE user_id = ?1 ORDER BY expires_at DESC LIMIT -1 OFFSET ?2)";
/// The oldest `?1` hashes still to forget in KV (every time is at least 0: the bound makes it
/// a search of the index from its start).
pub const KV_FORGET_CHUNK: &str = "SELECT key_hash FROM kv_forget WHERE queued_at >= 0 ORDER BY queued_at LIMIT ?1";
/// The hashes (`?1`, a JSON array) whose KV entries are gone.
pub const KV_FORGOTTEN: &str = "DELETE FROM kv_forget WHERE key_hash IN (SELECT value FROM json_each(?1))";

// Account changes: `?1` the user; the batch's key guard has already confirmed the request's
// key.

/// Each room the user owns passes to its longest-standing admin, else its longest-standing
/// member.
pub const HAND_OVER_OWNED_ROOMS: &str = "UPDATE rooms SET owner_id = (
        SELECT m.user_id FROM members AS m
         WHERE m.room_id = rooms.room_id AND m.present = 1 AND m.user_id <> ?1
         ORDER BY m.admin DESC, m.position LIMIT 1)
  WHERE owner_id = ?1
    AND EXISTS (SELECT 1 FROM members AS m WHERE m.room_id = rooms.room_id AND m.present = 1 AND m.user_id <> ?1)";
/// The new owners (owners of the user's rooms who are not admins yet) become admins.
pub const NEW_OWNERS_ARE_ADMINS: &str = "UPDATE members SET admin = 1
  WHERE admin = 0
    AND (room_id, user_id) IN (
        SELECT room_id, owner_id FROM rooms
         WHERE room_id IN (SELECT room_id FROM members WHERE user_id = ?1 AND present = 1))";
/// First of all, so that each room hears of the user's sessions' ends (`key_ended`, by the
/// trigger on `sessions`) before anything else of the deletion: its sockets close as their key's.
pub const DELETE_USER_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = ?1";
pub const DELETE_OWNED_ROOMS: &str = "DELETE FROM rooms WHERE owner_id = ?1";
/// Memberships, bans and sessions go with the user (foreign keys cascade); messages stay in
/// the rooms' objects.
pub const DELETE_USER: &str = "DELETE FROM users WHERE user_id = ?1";

// Blocks: `?1` the blocker, `?2` the user blocked, `?3` now.

/// Blocks `?2`, if they exist; blocking twice keeps the first time.
pub const BLOCK: &str = "INSERT INTO blocks (user_id, blocked_id, at)
 SELECT ?1, user_id, ?3 FROM users WHERE user_id = ?2
 ON CONFLICT (user_id, blocked_id) DO NOTHING";
pub const UNBLOCK: &str = "DELETE FROM blocks WHERE user_id = ?1 AND blocked_id = ?2";
/// Whether the other user exists: a block of an unknown one is a 404.
pub const USER_EXISTS: &str = "SELECT count(*) AS count FROM users WHERE user_id = ?1";
/// The people `?1` blocked, newest first; `?2` the limit, `?3` the offset.
pub const BLOCKS_PAGE: &str = "SELECT b.blocked_id AS user_id, u.username, u.handle, b.at
  FROM blocks AS b JOIN users AS u ON u.user_id = b.blocked_id
  WHERE b.user_id = ?1 ORDER BY b.at DESC, b.blocked_id DESC LIMIT ?2 OFFSET ?3";
pub const BLOCK_COUNT: &str = "SELECT count(*) AS count FROM blocks WHERE user_id = ?1";
