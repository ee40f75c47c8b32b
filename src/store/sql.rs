//! Every SQL statement the service sends, as constants, each written out in full so that it
//! reads as the SQL that runs; listed in `ALL` so that a test can check each one's query plan,
//! and shared with nothing else. Room statements take `?1` the room, `?2` the caller, `?3` the
//! target.
//!
//! The room writes carry the rules of `domain::Situation::check` again, as guards (one
//! condition a line), so that the rules hold at the very moment of the write;
//! `tests/room_rules.rs` proves the two equal case by case.

// Users and sessions.

pub const INSERT_USER: &str = "INSERT INTO users (user_id, username, password, created_at) VALUES (?1, ?2, ?3, ?4)";
pub const USERNAME: &str = "SELECT username FROM users WHERE user_id = ?1";
pub const INSERT_SESSION: &str = "INSERT INTO sessions (key_hash, user_id, expires_at) VALUES (?1, ?2, ?3)";
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE key_hash = ?1";
pub const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2";
pub const UPDATE_PASSWORD: &str = "UPDATE users SET password = ?2 WHERE user_id = ?1";

// Throttles.

pub const FORGET_SIGNUP_HOURS: &str = "DELETE FROM signups WHERE hour < ?1";
pub const COUNT_SIGNUP: &str = "INSERT INTO signups (address_hash, hour, count) VALUES (?1, ?2, 1)
 ON CONFLICT (address_hash, hour) DO UPDATE SET count = count + 1
 RETURNING count";
pub const FORGET_ATTEMPT_WINDOWS: &str = "DELETE FROM login_attempts WHERE window_start <= ?1";
pub const COUNT_ATTEMPT: &str = "INSERT INTO login_attempts (user_id, window_start, attempts) VALUES (?1, ?2, 1)
 ON CONFLICT (user_id) DO UPDATE SET attempts = attempts + 1
 RETURNING attempts, window_start";
pub const STORED_PASSWORD: &str = "SELECT password FROM users WHERE user_id = ?1";
pub const RESET_ATTEMPTS: &str = "DELETE FROM login_attempts WHERE user_id = ?1";

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
pub const DELETE_OWNED_ROOMS: &str = "DELETE FROM rooms WHERE owner_id = ?1";
/// Memberships, bans and sessions go with the user (foreign keys cascade); messages stay.
pub const DELETE_USER: &str = "DELETE FROM users WHERE user_id = ?1";

// Rooms.

/// The room with the caller's (`?2`) and the target's (`?3`) standing in it; either may be
/// NULL.
pub const ROOM: &str = "SELECT r.open, r.name, r.user_count, r.admin_count, r.ban_count, r.owner_id AS owner,
       c.present AS caller_present, c.admin AS caller_admin,
       EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?2) AS caller_banned,
       t.present AS target_present, t.admin AS target_admin,
       EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3) AS target_banned,
       EXISTS (SELECT 1 FROM users WHERE user_id = ?3) AS target_exists
  FROM rooms AS r
  LEFT JOIN members AS c ON c.room_id = r.room_id AND c.user_id = ?2
  LEFT JOIN members AS t ON t.room_id = r.room_id AND t.user_id = ?3
 WHERE r.room_id = ?1";
/// Only for an owner who exists. The key guard before it already refuses a key that outlived
/// its account; this keeps the statement safe on its own (tests/room_rules.rs runs it alone).
pub const INSERT_ROOM: &str = "INSERT INTO rooms (room_id, name, name_search, open, owner_id, created_at)
 SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM users WHERE user_id = ?5)";
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
/// banned, with an account), or an admin adding someone who exists and is not banned. Each
/// join takes the room's next position; a present member keeps theirs.
pub const ADD_MEMBER: &str = "INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
 SELECT room_id, ?3, ?4, 1, 0, join_seq + 1 FROM rooms
  WHERE room_id = ?1
    AND NOT EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3)
    AND EXISTS (SELECT 1 FROM users WHERE user_id = ?3)
    AND ((?2 = ?3 AND open = 1)
         OR EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1))
 ON CONFLICT (room_id, user_id) DO UPDATE
    SET present = 1, joined_at = excluded.joined_at, position = excluded.position
  WHERE members.present = 0";
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
/// follows it, so that the guard still sees the target's admin flag.
pub const INSERT_BAN: &str = "INSERT INTO bans (room_id, user_id, banned_at)
 SELECT ?1, ?3, ?4
  WHERE ?2 <> ?3
    AND EXISTS (SELECT 1 FROM users WHERE user_id = ?3)
    AND NOT EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?3)
    AND (EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2)
         OR (EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
             AND NOT EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND admin = 1)))
 ON CONFLICT (room_id, user_id) DO NOTHING";
pub const REMOVE_BANNED: &str = "UPDATE members SET present = 0, admin = 0
  WHERE room_id = ?1 AND user_id = ?3 AND present = 1
    AND EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3)";
pub const DELETE_BAN: &str = "DELETE FROM bans
  WHERE room_id = ?1 AND user_id = ?3
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)";
pub const PROMOTE: &str = "UPDATE members SET admin = 1
  WHERE room_id = ?1 AND user_id = ?3 AND present = 1
    AND EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2)";
pub const DEMOTE: &str = "UPDATE members SET admin = 0
  WHERE room_id = ?1 AND user_id = ?3
    AND NOT EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?3)
    AND (?2 = ?3 OR EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2))";
pub const HAND_OVER: &str = "UPDATE rooms SET owner_id = ?3
  WHERE room_id = ?1 AND owner_id = ?2
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND present = 1)";
pub const UPDATE_ROOM: &str =
    "UPDATE rooms SET name = coalesce(?4, name), name_search = coalesce(?5, name_search), open = coalesce(?6, open)
  WHERE room_id = ?1
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)";
/// On a rename (an admin's): the old name's pieces go, the new name's (`?7`) come.
pub const DELETE_RENAMED_GRAMS: &str = "DELETE FROM room_grams
  WHERE room_id = ?1
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)";
pub const INSERT_RENAMED_GRAMS: &str = "INSERT OR IGNORE INTO room_grams (gram, room_id)
 SELECT value, ?1 FROM json_each(?7)
  WHERE EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)";
/// The room goes with its memberships, bans and messages (foreign keys cascade).
pub const DELETE_ROOM: &str = "DELETE FROM rooms WHERE room_id = ?1 AND owner_id = ?2";

// Messages.

/// Posted as the caller if they are present, numbered after the room's latest message.
pub const POST_MESSAGE: &str = "INSERT INTO messages (room_id, seq, message_id, user_id, text, sent_at)
 SELECT room_id, message_seq + 1, ?4, ?2, ?5, ?6 FROM rooms
  WHERE room_id = ?1
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND present = 1)";
pub const MESSAGE_CURSOR: &str = "SELECT seq FROM messages WHERE room_id = ?1 AND message_id = ?4";
pub const LATEST_MESSAGES: &str =
    "SELECT message_id, user_id, text, sent_at FROM messages WHERE room_id = ?1 ORDER BY seq DESC LIMIT ?5";
pub const MESSAGES_BEFORE: &str = "SELECT message_id, user_id, text, sent_at FROM messages
  WHERE room_id = ?1 AND seq < (SELECT seq FROM messages WHERE room_id = ?1 AND message_id = ?4)
  ORDER BY seq DESC LIMIT ?5";
/// The oldest messages after the cursor, so that a poller misses none.
pub const MESSAGES_AFTER: &str = "SELECT message_id, user_id, text, sent_at FROM messages
  WHERE room_id = ?1 AND seq > (SELECT seq FROM messages WHERE room_id = ?1 AND message_id = ?4)
  ORDER BY seq ASC LIMIT ?5";

// The directory.

pub const OPEN_ROOMS: &str = "SELECT r.room_id, r.name, r.open, r.user_count, r.owner_id AS owner
  FROM rooms AS r WHERE r.open = 1 ORDER BY r.user_count DESC, r.room_id LIMIT ?1 OFFSET ?2";
pub const OPEN_ROOM_COUNT: &str = "SELECT value AS count FROM counters WHERE name = 'open_rooms'";
/// Open rooms whose name contains `?4`, found through its first piece `?3`.
pub const OPEN_ROOMS_NAMED: &str = "SELECT r.room_id, r.name, r.open, r.user_count, r.owner_id AS owner
  FROM room_grams AS g JOIN rooms AS r ON r.room_id = g.room_id
  WHERE g.gram = ?3 AND r.open = 1 AND instr(r.name_search, ?4) > 0
  ORDER BY r.user_count DESC, r.room_id LIMIT ?1 OFFSET ?2";
pub const OPEN_ROOM_NAMED_COUNT: &str =
    "SELECT count(*) AS count FROM room_grams AS g JOIN rooms AS r ON r.room_id = g.room_id
  WHERE g.gram = ?1 AND r.open = 1 AND instr(r.name_search, ?2) > 0";
pub const ROOMS_OF_USER: &str = "SELECT r.room_id, r.name, r.open, r.user_count, r.owner_id AS owner
  FROM members AS m JOIN rooms AS r ON r.room_id = m.room_id
  WHERE m.user_id = ?1 AND m.present = 1
  ORDER BY m.joined_at, m.room_id LIMIT ?2 OFFSET ?3";
pub const ROOM_COUNT_OF_USER: &str = "SELECT room_count AS count FROM users WHERE user_id = ?1";

/// Every statement, by name.
pub const ALL: &[(&str, &str)] = &[
    ("INSERT_USER", INSERT_USER),
    ("USERNAME", USERNAME),
    ("INSERT_SESSION", INSERT_SESSION),
    ("DELETE_SESSION", DELETE_SESSION),
    ("DELETE_EXPIRED_SESSIONS", DELETE_EXPIRED_SESSIONS),
    ("UPDATE_PASSWORD", UPDATE_PASSWORD),
    ("FORGET_SIGNUP_HOURS", FORGET_SIGNUP_HOURS),
    ("COUNT_SIGNUP", COUNT_SIGNUP),
    ("FORGET_ATTEMPT_WINDOWS", FORGET_ATTEMPT_WINDOWS),
    ("COUNT_ATTEMPT", COUNT_ATTEMPT),
    ("STORED_PASSWORD", STORED_PASSWORD),
    ("RESET_ATTEMPTS", RESET_ATTEMPTS),
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
    ("POST_MESSAGE", POST_MESSAGE),
    ("MESSAGE_CURSOR", MESSAGE_CURSOR),
    ("LATEST_MESSAGES", LATEST_MESSAGES),
    ("MESSAGES_BEFORE", MESSAGES_BEFORE),
    ("MESSAGES_AFTER", MESSAGES_AFTER),
    ("OPEN_ROOMS", OPEN_ROOMS),
    ("OPEN_ROOM_COUNT", OPEN_ROOM_COUNT),
    ("OPEN_ROOMS_NAMED", OPEN_ROOMS_NAMED),
    ("OPEN_ROOM_NAMED_COUNT", OPEN_ROOM_NAMED_COUNT),
    ("ROOMS_OF_USER", ROOMS_OF_USER),
    ("ROOM_COUNT_OF_USER", ROOM_COUNT_OF_USER),
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
