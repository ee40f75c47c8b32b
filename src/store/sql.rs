//! Every SQL statement the service sends, as constants, each written out in full so that it
//! reads as the SQL that runs; listed in `ALL` so that a test can check each one's query plan,
//! and shared with nothing else. Room statements take `?1` the room, `?2` the caller, `?3` the
//! target.
//!
//! The room writes carry the rules of `domain::Situation::check` again, as guards (one
//! condition a line), so that the rules hold at the very moment of the write;
//! `tests/room_rules.rs` proves the two equal case by case.
//!
//! The writes that count against a ceiling of their author (`domain::limits`) carry its guard
//! too: `NOT EXISTS` a counter of the author's, of the write's kind, whose window is still on
//! (`window_start > now - window`) and full (`count >= max`). A `COUNT_...` statement after
//! the write counts it once it happened, in the same transaction, so that concurrent writes
//! are counted exactly.

// Users and sessions.

pub const INSERT_USER: &str = "INSERT INTO users (user_id, username, password, created_at) VALUES (?1, ?2, ?3, ?4)";
pub const USERNAME: &str = "SELECT username FROM users WHERE user_id = ?1";
pub const INSERT_SESSION: &str = "INSERT INTO sessions (key_hash, user_id, expires_at) VALUES (?1, ?2, ?3)";
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE key_hash = ?1";
pub const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2";
pub const UPDATE_PASSWORD: &str = "UPDATE users SET password = ?2 WHERE user_id = ?1";

// Throttles. Password checks take `?1` the user, `?2` the source (`net:` and the tag of the
// client's network, or `key:` and a session key's hash), `?3` now, `?4` the attempt's random
// id. Only a known user's checks are counted or forgotten, so that an unknown id writes nothing.

/// `?2`: the last check before which a source's count is forgotten.
pub const FORGET_PASSWORD_FAILURES: &str = "DELETE FROM password_failures
  WHERE last_at <= ?2 AND EXISTS (SELECT 1 FROM users WHERE user_id = ?1)";
/// Counts the check if the source may check now, and then sets when it may next: `?5` is
/// `Backoff::schedule`, the delay after each count. A source that must wait is left as it is.
pub const COUNT_PASSWORD_ATTEMPT: &str =
    "INSERT INTO password_failures (user_id, source, failures, allowed_at, last_at, attempt)
  SELECT user_id, ?2, 1, ?3 + json_extract(?5, '$[0]'), ?3, ?4 FROM users WHERE user_id = ?1
  ON CONFLICT (user_id, source) DO UPDATE SET
    failures = failures + 1,
    allowed_at = ?3 + json_extract(?5, '$[' || min(failures, json_array_length(?5) - 1) || ']'),
    last_at = ?3,
    attempt = ?4
  WHERE allowed_at <= ?3";
/// The stored hash, whether this attempt (`?3`) was let in, and when the source may next check.
pub const PASSWORD_ATTEMPT: &str = "SELECT u.password, f.attempt = ?3 AS admitted, f.allowed_at
  FROM users AS u LEFT JOIN password_failures AS f ON f.user_id = u.user_id AND f.source = ?2
  WHERE u.user_id = ?1";
pub const RESET_PASSWORD_FAILURES: &str = "DELETE FROM password_failures WHERE user_id = ?1 AND source = ?2";
/// `?2`: the window start at or before which a user's ceiling window has passed.
pub const FORGET_LOGIN_CEILINGS: &str = "DELETE FROM login_ceilings
  WHERE window_start <= ?2 AND EXISTS (SELECT 1 FROM users WHERE user_id = ?1)";
/// Counts a login check against the user's ceiling, if its source let it in.
pub const COUNT_LOGIN_FAILURE: &str = "INSERT INTO login_ceilings (user_id, window_start, failures)
  SELECT user_id, ?3, 1 FROM password_failures WHERE user_id = ?1 AND source = ?2 AND attempt = ?4
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

// Rooms.

/// The room with the caller's (`?2`) and the target's (`?3`) standing in it; either may be
/// NULL. A ban reads as whether the owner placed it, NULL for none.
pub const ROOM: &str = "SELECT r.open, r.name, r.user_count, r.admin_count, r.ban_count, r.owner_id AS owner,
       c.present AS caller_present, c.admin AS caller_admin,
       (SELECT by_owner FROM bans WHERE room_id = ?1 AND user_id = ?2) AS caller_ban,
       t.present AS target_present, t.admin AS target_admin,
       (SELECT by_owner FROM bans WHERE room_id = ?1 AND user_id = ?3) AS target_ban,
       EXISTS (SELECT 1 FROM users WHERE user_id = ?3) AS target_exists
  FROM rooms AS r
  LEFT JOIN members AS c ON c.room_id = r.room_id AND c.user_id = ?2
  LEFT JOIN members AS t ON t.room_id = r.room_id AND t.user_id = ?3
 WHERE r.room_id = ?1";
/// Only for an owner who exists (the key guard before it already refuses a key that outlived
/// its account; this keeps the statement safe on its own, as tests/room_rules.rs runs it), owns
/// fewer rooms than `?9`, and is under the ceiling of room creations (`?6` now, `?7` the
/// window, `?8` the ceiling).
pub const INSERT_ROOM: &str = "INSERT INTO rooms (room_id, name, name_search, open, owner_id, created_at)
 SELECT ?1, ?2, ?3, ?4, ?5, ?6 FROM users
  WHERE user_id = ?5 AND owned_count < ?9
    AND NOT EXISTS (SELECT 1 FROM write_counts
                     WHERE user_id = ?5 AND kind = 'room' AND window_start > ?6 - ?7 AND count >= ?8)";
/// The room's creation, once it happened (the room's id is new).
pub const COUNT_ROOM_CREATION: &str = "INSERT INTO write_counts (user_id, kind, window_start, count)
 SELECT ?5, 'room', ?6, 1 WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1)
 ON CONFLICT (user_id, kind) DO UPDATE
    SET count = CASE WHEN window_start > ?6 - ?7 THEN count + 1 ELSE 1 END,
        window_start = CASE WHEN window_start > ?6 - ?7 THEN window_start ELSE ?6 END";
/// The room's name pieces (`?2`, a JSON array), for the directory's search.
pub const INSERT_ROOM_GRAMS: &str = "INSERT OR IGNORE INTO room_grams (gram, room_id)
 SELECT value, ?1 FROM json_each(?2) WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1)";
pub const INSERT_OWNER: &str = "INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
 SELECT ?1, ?2, ?3, 1, 1, 1 WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1)";
pub const ROOM_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1) AS created";
/// Present members from offset `?5`, `?4` of them. The block holding the offset's member
/// comes from the running sum of the blocks' counts; only the rest of that block is skipped
/// row by row, so offset 99,000 costs about what offset 0 does.
pub const MEMBERS_PAGE: &str = "WITH blocks AS (
      SELECT block, present, sum(present) OVER (ORDER BY block ROWS UNBOUNDED PRECEDING) AS through
        FROM member_blocks WHERE room_id = ?1),
  start AS (
      SELECT block, ?5 - (through - present) AS skip FROM blocks WHERE through > ?5
       ORDER BY block LIMIT 1)
  SELECT user_id FROM members
   WHERE room_id = ?1 AND present = 1 AND position >= (SELECT block FROM start) << 10
   ORDER BY position LIMIT ?4 OFFSET coalesce((SELECT skip FROM start), 0)";
pub const ADMINS_PAGE: &str =
    "SELECT user_id FROM members WHERE room_id = ?1 AND admin = 1 ORDER BY position LIMIT ?4 OFFSET ?5";
pub const BANS_PAGE: &str =
    "SELECT user_id FROM bans WHERE room_id = ?1 ORDER BY banned_at, user_id LIMIT ?4 OFFSET ?5";
/// The target becomes a present member: the caller joining an open room themself (not
/// banned, with an account), or an admin adding someone who exists and is not banned, under
/// the ceiling of additions (`?4` now, `?5` the window, `?6` the ceiling). Each join takes the
/// room's next position; a present member keeps theirs.
pub const ADD_MEMBER: &str = "INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
 SELECT room_id, ?3, ?4, 1, 0, join_seq + 1 FROM rooms
  WHERE room_id = ?1
    AND NOT EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3)
    AND EXISTS (SELECT 1 FROM users WHERE user_id = ?3)
    AND ((?2 = ?3 AND open = 1)
         OR EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1))
    AND (?2 = ?3
         OR NOT EXISTS (SELECT 1 FROM write_counts
                         WHERE user_id = ?2 AND kind = 'addition' AND window_start > ?4 - ?5 AND count >= ?6))
 ON CONFLICT (room_id, user_id) DO UPDATE
    SET present = 1, joined_at = excluded.joined_at, position = excluded.position
  WHERE members.present = 0";
/// An admin's addition of someone else, once it went ahead: the target is present (a banned
/// user never is) and the addition was under the ceiling.
pub const COUNT_ADDITION: &str = "INSERT INTO write_counts (user_id, kind, window_start, count)
 SELECT ?2, 'addition', ?4, 1
  WHERE ?2 <> ?3
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND present = 1)
    AND NOT EXISTS (SELECT 1 FROM write_counts
                     WHERE user_id = ?2 AND kind = 'addition' AND window_start > ?4 - ?5 AND count >= ?6)
 ON CONFLICT (user_id, kind) DO UPDATE
    SET count = CASE WHEN window_start > ?4 - ?5 THEN count + 1 ELSE 1 END,
        window_start = CASE WHEN window_start > ?4 - ?5 THEN window_start ELSE ?4 END";
/// The target leaves (target = caller) or is removed: by the owner, or by an admin if the
/// target is no admin; never the owner.
pub const REMOVE_MEMBER: &str = "UPDATE members SET present = 0, admin = 0
  WHERE room_id = ?1 AND user_id = ?3 AND present = 1
    AND NOT EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?3)
    AND (?2 = ?3
         OR EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2)
         OR (EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
             AND NOT EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND admin = 1)))";
/// Someone else who exists, by the same rule as a removal. Written before the removal that
/// follows it, so that the guard still sees the target's admin flag. The owner's ban, even of
/// someone an admin banned, is the owner's.
pub const INSERT_BAN: &str = "INSERT INTO bans (room_id, user_id, banned_at, by_owner)
 SELECT ?1, ?3, ?4, EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2)
  WHERE ?2 <> ?3
    AND EXISTS (SELECT 1 FROM users WHERE user_id = ?3)
    AND NOT EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?3)
    AND (EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2)
         OR (EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
             AND NOT EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND admin = 1)))
 ON CONFLICT (room_id, user_id) DO UPDATE SET by_owner = 1 WHERE excluded.by_owner = 1";
pub const REMOVE_BANNED: &str = "UPDATE members SET present = 0, admin = 0
  WHERE room_id = ?1 AND user_id = ?3 AND present = 1
    AND EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3)";
/// By an admin; a ban the owner placed, by the owner.
pub const DELETE_BAN: &str = "DELETE FROM bans
  WHERE room_id = ?1 AND user_id = ?3
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
    AND (by_owner = 0 OR EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2))";
/// Promoting an admin, demoting a member who is none or handing a room to its owner changes
/// nothing, and touches no row: the event queued after a write (`changes()`) is then none.
pub const PROMOTE: &str = "UPDATE members SET admin = 1
  WHERE room_id = ?1 AND user_id = ?3 AND present = 1 AND admin = 0
    AND EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2)";
pub const DEMOTE: &str = "UPDATE members SET admin = 0
  WHERE room_id = ?1 AND user_id = ?3 AND admin = 1
    AND NOT EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?3)
    AND (?2 = ?3 OR EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2))";
pub const HAND_OVER: &str = "UPDATE rooms SET owner_id = ?3
  WHERE room_id = ?1 AND owner_id = ?2 AND ?3 <> ?2
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND present = 1)";
/// By an admin; opening a closed room (`?6` = 1), by the owner alone; a rename (`?4`), under
/// the ceiling of renames (`?8` now, `?9` the window, `?10` the ceiling). An update that would
/// change nothing touches no row, so that `QUEUE_ROOM_UPDATED` queues no event for it.
pub const UPDATE_ROOM: &str =
    "UPDATE rooms SET name = coalesce(?4, name), name_search = coalesce(?5, name_search), open = coalesce(?6, open)
  WHERE room_id = ?1
    AND (name IS NOT coalesce(?4, name) OR open IS NOT coalesce(?6, open))
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
    AND (coalesce(?6, 0) = 0 OR open = 1 OR owner_id = ?2)
    AND (?4 IS NULL
         OR NOT EXISTS (SELECT 1 FROM write_counts
                         WHERE user_id = ?2 AND kind = 'rename' AND window_start > ?8 - ?9 AND count >= ?10))";
/// On a rename, after the update: the pieces follow the room's name (`?5`) as it now stands.
/// A refused rename to the name the room has already writes back the same pieces.
pub const DELETE_RENAMED_GRAMS: &str = "DELETE FROM room_grams
  WHERE room_id = ?1
    AND EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND name_search = ?5)";
pub const INSERT_RENAMED_GRAMS: &str = "INSERT OR IGNORE INTO room_grams (gram, room_id)
 SELECT value, ?1 FROM json_each(?7)
  WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND name_search = ?5)";
/// The rename, once it went ahead: the guard of `UPDATE_ROOM`, which the update leaves as it
/// was (an opening that went ahead left the room open).
pub const COUNT_RENAME: &str = "INSERT INTO write_counts (user_id, kind, window_start, count)
 SELECT ?2, 'rename', ?8, 1 FROM rooms
  WHERE room_id = ?1
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
    AND (coalesce(?6, 0) = 0 OR open = 1 OR owner_id = ?2)
    AND NOT EXISTS (SELECT 1 FROM write_counts
                     WHERE user_id = ?2 AND kind = 'rename' AND window_start > ?8 - ?9 AND count >= ?10)
 ON CONFLICT (user_id, kind) DO UPDATE
    SET count = CASE WHEN window_start > ?8 - ?9 THEN count + 1 ELSE 1 END,
        window_start = CASE WHEN window_start > ?8 - ?9 THEN window_start ELSE ?8 END";
/// The room goes with its memberships and bans (foreign keys cascade); its object, told by
/// the event queued after it, wipes its messages.
pub const DELETE_ROOM: &str = "DELETE FROM rooms WHERE room_id = ?1 AND owner_id = ?2";

// Events for the rooms' objects (`store::outbox`), queued in the transaction of the change
// they describe. One queued right after a room write reads `changes()`: the rows that write
// touched, so that a write its guard refused queues nothing.

pub const QUEUE_MEMBER_JOINED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'member_joined', 'user_id', ?3) WHERE changes() > 0";
pub const QUEUE_MEMBER_LEFT: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'member_left', 'user_id', ?3, 'reason', CASE WHEN ?2 = ?3 THEN 'left' ELSE 'removed' END)
  WHERE changes() > 0";
pub const QUEUE_MEMBER_BANNED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'member_left', 'user_id', ?3, 'reason', 'banned') WHERE changes() > 0";
/// After `QUEUE_MEMBER_BANNED`, which queued nothing when the banned user was not a present
/// member: then, if this ban (`?4`, its time) was placed, their sockets are told apart.
pub const QUEUE_USER_BANNED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'user_banned', 'user_id', ?3)
  WHERE changes() = 0 AND EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3 AND banned_at = ?4)";
pub const QUEUE_USER_UNBANNED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'user_unbanned', 'user_id', ?3) WHERE changes() > 0";
pub const QUEUE_ADMIN_ADDED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'admin_added', 'user_id', ?3) WHERE changes() > 0";
pub const QUEUE_ADMIN_REMOVED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'admin_removed', 'user_id', ?3) WHERE changes() > 0";
pub const QUEUE_OWNER_CHANGED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'owner_changed', 'owner', ?3) WHERE changes() > 0";
/// The room as the update left it.
pub const QUEUE_ROOM_UPDATED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'room_updated', 'room', json_object(
        'open', json(CASE open WHEN 1 THEN 'true' ELSE 'false' END), 'name', name,
        'user_count', user_count, 'owner', owner_id))
   FROM rooms WHERE room_id = ?1 AND changes() > 0";
pub const QUEUE_ROOM_DELETED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'room_deleted') WHERE changes() > 0";
/// An account's deletion (`?1` the user), before `HAND_OVER_OWNED_ROOMS`: the rooms it hands
/// over, to whom.
pub const QUEUE_OWNED_ROOMS_HANDED_OVER: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'owner_changed', 'owner', (
        SELECT m.user_id FROM members AS m
         WHERE m.room_id = rooms.room_id AND m.present = 1 AND m.user_id <> ?1
         ORDER BY m.admin DESC, m.position LIMIT 1))
   FROM rooms
  WHERE owner_id = ?1
    AND EXISTS (SELECT 1 FROM members AS m WHERE m.room_id = rooms.room_id AND m.present = 1 AND m.user_id <> ?1)";
/// Before `NEW_OWNERS_ARE_ADMINS`: the admins it makes.
pub const QUEUE_NEW_OWNERS_ADMINS: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'admin_added', 'user_id', user_id) FROM members
  WHERE admin = 0
    AND (room_id, user_id) IN (
        SELECT room_id, owner_id FROM rooms
         WHERE room_id IN (SELECT room_id FROM members WHERE user_id = ?1 AND present = 1))";
/// Before `DELETE_OWNED_ROOMS`: the rooms it deletes.
pub const QUEUE_OWNED_ROOMS_DELETED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'room_deleted') FROM rooms WHERE owner_id = ?1";
/// Before `DELETE_USER`: the rooms the user leaves.
pub const QUEUE_USER_LEFT: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'member_left', 'user_id', ?1, 'reason', 'left') FROM members
  WHERE user_id = ?1 AND present = 1";
/// A room's pending events, oldest first, for its object.
pub const ROOM_OUTBOX: &str = "SELECT id, room_id, event FROM room_outbox WHERE room_id = ?1 ORDER BY id LIMIT ?2";
/// The outbox's newest id (0 when empty): read first in a batch that queues events for many
/// rooms, so that the events it queued are those above it.
pub const OUTBOX_NEWEST: &str = "SELECT coalesce(max(id), 0) AS id FROM room_outbox";
/// Read last in such a batch: the pending events (the first `?2` of each) of every room with
/// an event among the newest `?1` ids.
pub const RECENT_ROOMS_OUTBOX: &str = "SELECT id, room_id, event FROM (
        SELECT id, room_id, event, row_number() OVER (PARTITION BY room_id ORDER BY id) AS n
          FROM room_outbox
         WHERE room_id IN (SELECT room_id FROM room_outbox
                            WHERE id > (SELECT coalesce(max(id), 0) FROM room_outbox) - ?1))
  WHERE n <= ?2 ORDER BY id";
/// The pending events (the first `?2` of each) of the rooms `?1` (a JSON array of ids).
pub const ROOMS_OUTBOX: &str = "SELECT id, room_id, event FROM (
        SELECT o.id, o.room_id, o.event, row_number() OVER (PARTITION BY o.room_id ORDER BY o.id) AS n
          FROM json_each(?1) AS r JOIN room_outbox AS o ON o.room_id = r.value)
  WHERE n <= ?2 ORDER BY id";
/// A page of the outbox after id `?1`: which rooms have events pending.
pub const OUTBOX_PAGE: &str = "SELECT id, room_id FROM room_outbox WHERE id > ?1 ORDER BY id LIMIT ?2";
/// The events the rooms' objects have applied: `?1` a JSON array of `[room_id, id]`, each
/// room's events up to that id.
pub const OUTBOX_APPLIED: &str = "DELETE FROM room_outbox WHERE id IN (
        SELECT o.id FROM json_each(?1) AS a
          JOIN room_outbox AS o
            ON o.room_id = json_extract(a.value, '$[0]') AND o.id <= json_extract(a.value, '$[1]'))";
/// The key (`?1`, a hash) opened a socket or took a ticket in the room (`?2`), so that its
/// session's end reaches the room.
pub const LIVE_KEY: &str = "INSERT OR IGNORE INTO live_keys (key_hash, room_id)
 SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?2)";
/// When the key's session ends, unless it ends sooner.
pub const SESSION_EXPIRY: &str = "SELECT expires_at FROM sessions WHERE key_hash = ?1";

// The directory.

pub const OPEN_ROOMS: &str = "SELECT r.room_id, r.name, r.open, r.user_count, r.owner_id AS owner
  FROM rooms AS r WHERE r.open = 1 ORDER BY r.user_count DESC, r.room_id LIMIT ?1 OFFSET ?2";
pub const OPEN_ROOM_COUNT: &str = "SELECT value AS count FROM counters WHERE name = 'open_rooms'";
/// Open rooms whose name contains `?4`, found through the pieces from `?3` to `?5` (one
/// piece, or those that start with a query shorter than a piece: a name may have several).
/// `CROSS JOIN` keeps the pieces first: SQLite's planner, without statistics, would rather read
/// every open room and look its pieces up.
pub const OPEN_ROOMS_NAMED: &str = "SELECT DISTINCT r.room_id, r.name, r.open, r.user_count, r.owner_id AS owner
  FROM room_grams AS g CROSS JOIN rooms AS r ON r.room_id = g.room_id
  WHERE g.gram BETWEEN ?3 AND ?5 AND r.open = 1 AND instr(r.name_search, ?4) > 0
  ORDER BY r.user_count DESC, r.room_id LIMIT ?1 OFFSET ?2";
pub const OPEN_ROOM_NAMED_COUNT: &str =
    "SELECT count(DISTINCT g.room_id) AS count FROM room_grams AS g CROSS JOIN rooms AS r ON r.room_id = g.room_id
  WHERE g.gram BETWEEN ?1 AND ?3 AND r.open = 1 AND instr(r.name_search, ?2) > 0";
pub const ROOMS_OF_USER: &str = "SELECT r.room_id, r.name, r.open, r.user_count, r.owner_id AS owner
  FROM members AS m JOIN rooms AS r ON r.room_id = m.room_id
  WHERE m.user_id = ?1 AND m.present = 1
  ORDER BY m.joined_at, m.room_id LIMIT ?2 OFFSET ?3";
pub const ROOM_COUNT_OF_USER: &str = "SELECT room_count AS count FROM users WHERE user_id = ?1";

// Write ceilings: a user's (`?1`) counter of one kind of write (`?2`), and the rooms they own.

pub const WRITE_COUNT: &str = "SELECT count, window_start FROM write_counts WHERE user_id = ?1 AND kind = ?2";
pub const OWNED_COUNT: &str = "SELECT owned_count FROM users WHERE user_id = ?1";

/// Every statement, by name.
pub const ALL: &[(&str, &str)] = &[
    ("INSERT_USER", INSERT_USER),
    ("USERNAME", USERNAME),
    ("INSERT_SESSION", INSERT_SESSION),
    ("DELETE_SESSION", DELETE_SESSION),
    ("DELETE_EXPIRED_SESSIONS", DELETE_EXPIRED_SESSIONS),
    ("UPDATE_PASSWORD", UPDATE_PASSWORD),
    ("GUARD_KEY", GUARD_KEY),
    ("QUEUE_OTHER_SESSIONS", QUEUE_OTHER_SESSIONS),
    ("DELETE_OTHER_SESSIONS", DELETE_OTHER_SESSIONS),
    ("QUEUE_USER_SESSIONS", QUEUE_USER_SESSIONS),
    ("QUEUE_SESSION", QUEUE_SESSION),
    ("QUEUE_OLDEST_SESSIONS", QUEUE_OLDEST_SESSIONS),
    ("DELETE_OLDEST_SESSIONS", DELETE_OLDEST_SESSIONS),
    ("KV_FORGET_CHUNK", KV_FORGET_CHUNK),
    ("KV_FORGOTTEN", KV_FORGOTTEN),
    ("HAND_OVER_OWNED_ROOMS", HAND_OVER_OWNED_ROOMS),
    ("NEW_OWNERS_ARE_ADMINS", NEW_OWNERS_ARE_ADMINS),
    ("DELETE_USER_SESSIONS", DELETE_USER_SESSIONS),
    ("DELETE_OWNED_ROOMS", DELETE_OWNED_ROOMS),
    ("DELETE_USER", DELETE_USER),
    ("ROOM", ROOM),
    ("INSERT_ROOM", INSERT_ROOM),
    ("INSERT_ROOM_GRAMS", INSERT_ROOM_GRAMS),
    ("INSERT_OWNER", INSERT_OWNER),
    ("ROOM_EXISTS", ROOM_EXISTS),
    ("MEMBERS_PAGE", MEMBERS_PAGE),
    ("ADMINS_PAGE", ADMINS_PAGE),
    ("BANS_PAGE", BANS_PAGE),
    ("ADD_MEMBER", ADD_MEMBER),
    ("REMOVE_MEMBER", REMOVE_MEMBER),
    ("INSERT_BAN", INSERT_BAN),
    ("REMOVE_BANNED", REMOVE_BANNED),
    ("DELETE_BAN", DELETE_BAN),
    ("PROMOTE", PROMOTE),
    ("DEMOTE", DEMOTE),
    ("HAND_OVER", HAND_OVER),
    ("UPDATE_ROOM", UPDATE_ROOM),
    ("DELETE_RENAMED_GRAMS", DELETE_RENAMED_GRAMS),
    ("INSERT_RENAMED_GRAMS", INSERT_RENAMED_GRAMS),
    ("DELETE_ROOM", DELETE_ROOM),
    ("QUEUE_MEMBER_JOINED", QUEUE_MEMBER_JOINED),
    ("QUEUE_MEMBER_LEFT", QUEUE_MEMBER_LEFT),
    ("QUEUE_MEMBER_BANNED", QUEUE_MEMBER_BANNED),
    ("QUEUE_USER_BANNED", QUEUE_USER_BANNED),
    ("QUEUE_USER_UNBANNED", QUEUE_USER_UNBANNED),
    ("QUEUE_ADMIN_ADDED", QUEUE_ADMIN_ADDED),
    ("QUEUE_ADMIN_REMOVED", QUEUE_ADMIN_REMOVED),
    ("QUEUE_OWNER_CHANGED", QUEUE_OWNER_CHANGED),
    ("QUEUE_ROOM_UPDATED", QUEUE_ROOM_UPDATED),
    ("QUEUE_ROOM_DELETED", QUEUE_ROOM_DELETED),
    ("QUEUE_OWNED_ROOMS_HANDED_OVER", QUEUE_OWNED_ROOMS_HANDED_OVER),
    ("QUEUE_NEW_OWNERS_ADMINS", QUEUE_NEW_OWNERS_ADMINS),
    ("QUEUE_OWNED_ROOMS_DELETED", QUEUE_OWNED_ROOMS_DELETED),
    ("QUEUE_USER_LEFT", QUEUE_USER_LEFT),
    ("ROOM_OUTBOX", ROOM_OUTBOX),
    ("OUTBOX_NEWEST", OUTBOX_NEWEST),
    ("RECENT_ROOMS_OUTBOX", RECENT_ROOMS_OUTBOX),
    ("ROOMS_OUTBOX", ROOMS_OUTBOX),
    ("OUTBOX_PAGE", OUTBOX_PAGE),
    ("OUTBOX_APPLIED", OUTBOX_APPLIED),
    ("LIVE_KEY", LIVE_KEY),
    ("SESSION_EXPIRY", SESSION_EXPIRY),
    ("OPEN_ROOMS", OPEN_ROOMS),
    ("OPEN_ROOM_COUNT", OPEN_ROOM_COUNT),
    ("OPEN_ROOMS_NAMED", OPEN_ROOMS_NAMED),
    ("OPEN_ROOM_NAMED_COUNT", OPEN_ROOM_NAMED_COUNT),
    ("ROOMS_OF_USER", ROOMS_OF_USER),
    ("ROOM_COUNT_OF_USER", ROOM_COUNT_OF_USER),
    ("COUNT_ROOM_CREATION", COUNT_ROOM_CREATION),
    ("COUNT_ADDITION", COUNT_ADDITION),
    ("COUNT_RENAME", COUNT_RENAME),
    ("WRITE_COUNT", WRITE_COUNT),
    ("OWNED_COUNT", OWNED_COUNT),
    ("FORGET_PASSWORD_FAILURES", FORGET_PASSWORD_FAILURES),
    ("COUNT_PASSWORD_ATTEMPT", COUNT_PASSWORD_ATTEMPT),
    ("PASSWORD_ATTEMPT", PASSWORD_ATTEMPT),
    ("RESET_PASSWORD_FAILURES", RESET_PASSWORD_FAILURES),
    ("FORGET_LOGIN_CEILINGS", FORGET_LOGIN_CEILINGS),
    ("COUNT_LOGIN_FAILURE", COUNT_LOGIN_FAILURE),
    ("UNCOUNT_LOGIN_FAILURE", UNCOUNT_LOGIN_FAILURE),
    ("FORGET_SIGNUPS", FORGET_SIGNUPS),
    ("COUNT_SIGNUP", COUNT_SIGNUP),
    ("SIGNUP_FREED_AT", SIGNUP_FREED_AT),
];

/// The highest `?N` of a statement: D1 refuses more bound values than the statement has.
pub fn highest_parameter(sql: &str) -> usize {
    sql.split('?')
        .skip(1)
        .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse::<usize>().ok())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_parameter_is_found_wherever_it_stands() {
        assert_eq!(highest_parameter("SELECT 1"), 0);
        assert_eq!(highest_parameter(DELETE_ROOM), 2);
        assert_eq!(highest_parameter(ROOM), 3);
        assert_eq!(highest_parameter(BANS_PAGE), 5);
        assert_eq!(highest_parameter("x = ?12 AND y = ?3"), 12);
    }

    #[test]
    fn every_statement_is_listed_once_under_its_own_name() {
        let mut names: Vec<&str> = ALL.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        // Every `pub const` of this file but `ALL` itself is a statement, and is in `ALL`.
        let declared = include_str!("sql.rs").lines().filter(|line| line.starts_with("pub const ")).count();
        assert_eq!(declared - 1, ALL.len());
    }

    #[test]
    fn room_statements_number_their_parameters_from_the_room() {
        for sql in [ADD_MEMBER, REMOVE_MEMBER, INSERT_BAN, REMOVE_BANNED, DELETE_BAN, PROMOTE, DEMOTE, HAND_OVER] {
            assert!(sql.contains("room_id = ?1") && sql.contains("?3"), "{sql}");
        }
    }
}
