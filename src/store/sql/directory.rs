//! The statements of the directory and the write ceilings.

// The directory.

pub const OPEN_ROOMS: &str = "SELECT r.room_id, r.name, r.open, r.user_count, r.owner_id AS owner, r.kind
  FROM rooms AS r WHERE r.open = 1 ORDER BY r.user_count DESC, r.room_id LIMIT ?1 OFFSET ?2";
pub const OPEN_ROOM_COUNT: &str = "SELECT value AS count FROM counters WHERE name = 'open_rooms'";
/// Open rooms whose name contains `?4`, found through the pieces from `?3` to `?5` (one
/// piece, or those that start with a query shorter than a piece: a name may have several).
/// `CROSS JOIN` keeps the pieces first: SQLite's planner, without statistics, would rather read
/// every open room and look its pieces up.
pub const OPEN_ROOMS_NAMED: &str =
    "SELECT DISTINCT r.room_id, r.name, r.open, r.user_count, r.owner_id AS owner, r.kind
  FROM room_grams AS g CROSS JOIN rooms AS r ON r.room_id = g.room_id
  WHERE g.gram BETWEEN ?3 AND ?5 AND r.open = 1 AND instr(r.name_search, ?4) > 0
  ORDER BY r.user_count DESC, r.room_id LIMIT ?1 OFFSET ?2";
pub const OPEN_ROOM_NAMED_COUNT: &str =
    "SELECT count(DISTINCT g.room_id) AS count FROM room_grams AS g CROSS JOIN rooms AS r ON r.room_id = g.room_id
  WHERE g.gram BETWEEN ?1 AND ?3 AND r.open = 1 AND instr(r.name_search, ?2) > 0";
/// A present member's (`m`) standing in the messages of room `r` (the README, "Unread,
/// exactly"): the room's latest message, where they read up to, and how many messages after
/// it are not deleted (of the room's own line, and replies in the threads they follow), and how
/// many of those mention them (not by anyone they blocked), from what the room's object
/// flushes (migrations/0014, 0015, 0017).
macro_rules! attention {
    () => {
        "r.last_seq, r.last_message_at, coalesce(m.read_seq, r.reads_since_seq) AS read_seq,
       r.message_count - coalesce(m.read_ordinal, r.reads_since_ordinal)
         - (SELECT count(*) FROM deleted_messages AS d
             WHERE d.room_id = r.room_id AND d.seq > coalesce(m.read_seq, r.reads_since_seq))
         + (SELECT count(*) FROM thread_unreads AS t
             WHERE t.user_id = m.user_id AND t.room_id = r.room_id AND t.seq > coalesce(m.read_seq, r.reads_since_seq))
         AS unread,
       (SELECT count(*) FROM mentions AS x
         WHERE x.user_id = m.user_id AND x.room_id = r.room_id AND x.seq > coalesce(m.read_seq, r.reads_since_seq)
           AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE b.user_id = x.user_id AND b.blocked_id = x.author_id))
         AS mentions,
       m.marked_unread"
    };
}

/// The rooms a user (`?1`) is a present member of, with where they stand in each, in an order
/// (`$inner`, over `m` and `r`; `$outer`, the same over the rows' columns), as one JSON array
/// that SQLite builds (`rooms`): the rows as `GET /user/{id}/rooms` shows them, passed through
/// untouched, so that a list of 200 rooms costs the worker one string, not 200 rows to read and
/// write again. `open` and `marked_unread` become booleans, times RFC 3339 in UTC to the
/// millisecond (as `domain::time::rfc3339`, which tests/query_plans.rs holds it to), and
/// `people` (a DM's) is left out for a room, as `json_patch` drops a key patched with null.
macro_rules! rooms_of_user {
    ($inner:literal, $outer:literal) => {
        concat!(
            "SELECT json_group_array(json_patch(json_object(
    'room_id', room_id, 'name', name, 'open', json(CASE WHEN open THEN 'true' ELSE 'false' END),
    'user_count', user_count, 'owner', owner, 'kind', kind,
    'last_seq', last_seq,
    'last_message_at', strftime('%Y-%m-%dT%H:%M:%S', last_message_at / 1000, 'unixepoch')
      || printf('.%03dZ', last_message_at % 1000),
    'read_seq', read_seq, 'unread', unread, 'mentions', mentions,
    'marked_unread', json(CASE WHEN marked_unread THEN 'true' ELSE 'false' END)),
  json_object('people', json(people))) ORDER BY ",
            $outer,
            ") AS rooms
FROM (SELECT r.room_id, r.name, r.open, r.user_count, r.owner_id AS owner, r.kind, m.joined_at,
       (SELECT json_array(started_by, CASE WHEN started_by = low_id THEN high_id ELSE low_id END)
          FROM dms WHERE room_id = r.room_id) AS people, ",
            attention!(),
            "
  FROM members AS m JOIN rooms AS r ON r.room_id = m.room_id
  WHERE m.user_id = ?1 AND m.present = 1
  ORDER BY ",
            $inner,
            " LIMIT ?2 OFFSET ?3)"
        )
    };
}

/// In the order they joined.
pub const ROOMS_OF_USER: &str = rooms_of_user!("m.joined_at, m.room_id", "joined_at, room_id");
/// The latest message first (rooms without one last, the latest joined first).
pub const ROOMS_OF_USER_BY_ACTIVITY: &str = rooms_of_user!(
    "r.last_message_at DESC, m.joined_at DESC, m.room_id",
    "last_message_at DESC, joined_at DESC, room_id"
);
pub const ROOM_COUNT_OF_USER: &str = "SELECT room_count AS count FROM users WHERE user_id = ?1";

// Write ceilings: a user's (`?1`) counter of one kind of write (`?2`), and the rooms they own.

pub const WRITE_COUNT: &str = "SELECT count, window_start FROM write_counts WHERE user_id = ?1 AND kind = ?2";
pub const OWNED_COUNT: &str = "SELECT owned_count FROM users WHERE user_id = ?1";

// Files: the bytes a user (`?1`) uploaded in their day.

/// Reserves `?3` bytes at `?2` (ms) within a day of `?4` ms beginning with the first upload past
/// the last day's end, if the day's bytes stay within `?5`; a row (the day's start) if so.
pub const RESERVE_FILE_BYTES: &str = "INSERT INTO file_bytes (user_id, window_start, bytes)
  SELECT ?1, ?2, ?3 WHERE ?3 <= ?5 AND EXISTS (SELECT 1 FROM users WHERE user_id = ?1)
  ON CONFLICT (user_id) DO UPDATE
    SET window_start = CASE WHEN window_start <= ?2 - ?4 THEN ?2 ELSE window_start END,
        bytes = CASE WHEN window_start <= ?2 - ?4 THEN ?3 ELSE bytes + ?3 END
  WHERE CASE WHEN window_start <= ?2 - ?4 THEN ?3 ELSE bytes + ?3 END <= ?5
  RETURNING window_start";
/// The user's day, as kept.
pub const FILE_BYTES: &str = "SELECT window_start, bytes FROM file_bytes WHERE user_id = ?1";
/// An upload that failed gives back its `?3` bytes to the day (`?2`) it reserved them in.
pub const RELEASE_FILE_BYTES: &str =
    "UPDATE file_bytes SET bytes = max(0, bytes - ?3) WHERE user_id = ?1 AND window_start = ?2";

// Inboxes: who has one open, and what a room's flush hands them.

/// The user's (`?1`) inbox is open since `?2` (a newer socket's time replaces an older).
pub const INBOX_OPEN: &str = "INSERT OR REPLACE INTO inboxes (user_id, since)
  SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM users WHERE user_id = ?1)";
/// Its last socket closed: unless a socket opened since (`?2`, the time it was opened).
pub const INBOX_CLOSED: &str = "DELETE FROM inboxes WHERE user_id = ?1 AND since = ?2";
/// Which of the keys (`?1`, a JSON array of hashes) are still live.
pub const LIVE_SESSIONS: &str =
    "SELECT key_hash FROM sessions WHERE key_hash IN (SELECT value FROM json_each(?1)) AND expires_at > ?2";
/// The room's (`?1`) present members with an inbox open, each with where they stand in it.
/// (`CROSS JOIN`: the room's members first, each looked up among the open inboxes.)
pub const LISTENERS: &str = concat!(
    "SELECT m.user_id, r.room_id, ",
    attention!(),
    "
  FROM members AS m CROSS JOIN inboxes AS i ON i.user_id = m.user_id JOIN rooms AS r ON r.room_id = m.room_id
  WHERE m.room_id = ?1 AND m.present = 1"
);
/// The room's (`?1`) present members with an inbox open (whom its deletion is told).
pub const ROOM_LISTENERS: &str = "SELECT m.user_id FROM members AS m CROSS JOIN inboxes AS i ON i.user_id = m.user_id
  WHERE m.room_id = ?1 AND m.present = 1";
/// Who, with an inbox open, the messages posted since the last flush (`?2`, the flush's
/// `MentionTally` list) mention, but for messages by someone they blocked.
pub const MENTION_LISTENERS: &str = "SELECT x.user_id, x.seq FROM mentions AS x
  CROSS JOIN inboxes AS i ON i.user_id = x.user_id
  WHERE x.room_id = ?1
    AND x.seq IN (SELECT json_extract(value, '$.seq') FROM json_each(?2) WHERE json_extract(value, '$.fresh') = 1)
    AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE b.user_id = x.user_id AND b.blocked_id = x.author_id)";
