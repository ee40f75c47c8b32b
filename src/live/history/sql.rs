//! Every statement of a room's storage, by name, and its schema.

/// A message's columns (`m`), with what a reply shows of the message it replies to (`p`) as it
/// is now: its id, its author (NULL once deleted) and its first 140 characters.
macro_rules! message_columns {
    () => {
        concat!(
            "m.seq, m.message_id, m.user_id, m.text, m.sent_at, m.edited_at, m.mentions, m.reply_to,
    p.message_id AS parent_id, p.user_id AS parent_user_id, substr(p.text, 1, 140) AS parent_preview,
    m.thread, r.message_id AS thread_root_id, t.reply_count, t.last_reply_at, t.participants, ",
            files_of_message!()
        )
    };
}
/// The files message `m` carries, in their order, as a JSON array of `FileView`s.
macro_rules! files_of_message {
    () => {
        "(SELECT json_group_array(json_object('file_id', file_id, 'name', name, 'type', type, 'size', size))
       FROM (SELECT * FROM files WHERE message_seq = m.seq ORDER BY position) AS attached) AS files"
    };
}
/// What a message is joined with: the message it replies to (`p`), the root of the thread it is
/// in (`r`), and the summary of the thread it is the root of (`t`).
macro_rules! message_joins {
    () => {
        " LEFT JOIN messages AS p ON p.seq = m.reply_to LEFT JOIN messages AS r ON r.seq = m.thread
    LEFT JOIN threads AS t ON t.root_seq = m.seq"
    };
}
/// The messages (`m`), each with what `message_joins` adds.
macro_rules! messages_with_parents {
    () => {
        concat!("SELECT ", message_columns!(), " FROM messages AS m", message_joins!())
    };
}

pub const LATEST_SEQ: &str = "SELECT max(seq) AS n FROM events";
pub const OLDEST_SEQ: &str = "SELECT min(seq) AS n FROM events";
pub const APPEND_EVENT: &str = "INSERT INTO events (seq, at, body, message_seq) VALUES (?, ?, ?, ?)";
/// A page of events after a seq, oldest first, each with its message as it is now.
pub const EVENTS_AFTER: &str = concat!(
    "SELECT e.seq AS event_seq, e.body, ",
    message_columns!(),
    "
    FROM events AS e LEFT JOIN messages AS m ON m.seq = e.message_seq",
    message_joins!(),
    "
   WHERE e.seq > ? ORDER BY e.seq LIMIT ?"
);
/// Events at or below a seq (the latest less `KEPT_EVENTS`) and older than a time (now less
/// `KEPT_MILLIS`).
pub const PRUNE_EVENTS: &str = "DELETE FROM events WHERE seq <= ? AND at < ?";
pub const PRUNE_TXNS: &str = "DELETE FROM txns WHERE at < ?";
/// A message of the room takes the ordinal after the latest message's (the first is 1); a reply
/// in a thread (`thread`, its root's seq) the latest's own, so that the latest row's ordinal is
/// always how many messages the room's own line has had.
pub const INSERT_MESSAGE: &str = "INSERT INTO messages (seq, message_id, user_id, text, sent_at, mentions, reply_to,
    thread, ordinal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
            coalesce((SELECT ordinal FROM messages WHERE seq > 0 ORDER BY seq DESC LIMIT 1), 0) + (?8 IS NULL))";
pub const MESSAGE_BY_ID: &str = concat!(messages_with_parents!(), " WHERE m.message_id = ?");
pub const MESSAGE_AT: &str = concat!(messages_with_parents!(), " WHERE m.seq = ?");
pub const EDIT_MESSAGE: &str = "UPDATE messages SET text = ?, edited_at = ? WHERE seq = ?";
/// A deleted message keeps its id and seq, and nothing else.
pub const DELETE_MESSAGE: &str =
    "UPDATE messages SET user_id = NULL, text = NULL, sent_at = NULL, edited_at = NULL, mentions = NULL WHERE seq = ?";
/// Who a message (`?2`, its seq) mentions (`?1`: a user's id, or '' for the whole room, an id
/// no user has).
pub const ADD_MENTION: &str = "INSERT OR IGNORE INTO mentions (user_id, seq) VALUES (?, ?)";
/// A user's (`?2`) unread mentions: of them or of the room, after their read position (`?1`),
/// not deleted, not by them nor by anyone they blocked (`?3`, a JSON array of ids); in a thread,
/// only if they followed it when the reply came (a mention by id makes them follow it).
pub const MENTIONED: &str = "SELECT count(*) AS n FROM messages AS message
    WHERE message.seq IN (SELECT seq FROM mentions WHERE user_id = ?2 AND seq > ?1
                          UNION SELECT seq FROM mentions WHERE user_id = '' AND seq > ?1)
      AND message.user_id IS NOT NULL AND message.user_id <> ?2
      AND message.user_id NOT IN (SELECT value FROM json_each(?3))
      AND (message.thread IS NULL OR EXISTS (SELECT 1 FROM thread_followers AS f
            WHERE f.root_seq = message.thread AND f.user_id = ?2 AND f.since_seq <= message.seq))";
/// A message with mentions D1 is to be told of: `fresh` (1) when it was posted since, else (0)
/// only its text changed.
pub const UNFLUSHED_MENTION: &str =
    "INSERT INTO unflushed_mentions (seq, fresh) VALUES (?, ?) ON CONFLICT (seq) DO UPDATE SET fresh = max(fresh, excluded.fresh)";
/// Those who followed the thread of the reply `m` when it came, but its author: a JSON array.
macro_rules! followers_of_reply {
    () => {
        "(SELECT json_group_array(f.user_id) FROM thread_followers AS f
           WHERE f.root_seq = m.thread AND f.since_seq <= m.seq AND f.user_id <> m.user_id)"
    };
}

/// The messages with mentions D1 is still to be told of, as they are now; for a reply in a
/// thread, its root's id and the thread's followers when it came (whom it mentions as the
/// whole room).
pub const UNFLUSHED_MENTIONS: &str = concat!(
    "SELECT u.seq, u.fresh, m.message_id, m.user_id, m.text, m.sent_at, m.edited_at, m.mentions,
    (SELECT r.message_id FROM messages AS r WHERE r.seq = m.thread) AS thread_id, ",
    files_of_message!(),
    ", CASE WHEN m.thread IS NOT NULL AND m.user_id IS NOT NULL THEN ",
    followers_of_reply!(),
    " END AS followers
    FROM unflushed_mentions AS u JOIN messages AS m ON m.seq = u.seq
   WHERE u.seq > 0 ORDER BY u.seq LIMIT ?"
);
pub const FLUSHED_MENTIONS: &str = "DELETE FROM unflushed_mentions WHERE seq IN (SELECT value FROM json_each(?))";
/// The room's own line: its messages but the replies in threads. (`seq > 0`: every seq is; it
/// makes the plan a search of the key, read from its end.)
pub const LATEST_MESSAGES: &str =
    concat!(messages_with_parents!(), " WHERE m.seq > 0 AND m.thread IS NULL ORDER BY m.seq DESC LIMIT ?");
pub const MESSAGES_BEFORE: &str =
    concat!(messages_with_parents!(), " WHERE m.seq < ? AND m.thread IS NULL ORDER BY m.seq DESC LIMIT ?");
/// Oldest first, so that a poller misses none.
pub const MESSAGES_AFTER: &str =
    concat!(messages_with_parents!(), " WHERE m.seq > ? AND m.thread IS NULL ORDER BY m.seq ASC LIMIT ?");
/// A thread's replies (`?1`, its root's seq), as the room's line is paged.
pub const THREAD_LATEST: &str =
    concat!(messages_with_parents!(), " WHERE m.thread = ?1 AND m.seq > 0 ORDER BY m.seq DESC LIMIT ?2");
pub const THREAD_BEFORE: &str =
    concat!(messages_with_parents!(), " WHERE m.thread = ?1 AND m.seq < ?2 ORDER BY m.seq DESC LIMIT ?3");
pub const THREAD_AFTER: &str =
    concat!(messages_with_parents!(), " WHERE m.thread = ?1 AND m.seq > ?2 ORDER BY m.seq ASC LIMIT ?3");
/// A thread's summary after one more reply: its count, when, and who (a JSON array).
pub const THREAD_REPLIED: &str = "INSERT INTO threads (root_seq, reply_count, last_reply_at, participants)
    VALUES (?, 1, ?, ?) ON CONFLICT (root_seq) DO UPDATE SET reply_count = reply_count + 1,
    last_reply_at = excluded.last_reply_at, participants = excluded.participants";
/// A reply of the thread was deleted.
pub const THREAD_REPLY_DELETED: &str = "UPDATE threads SET reply_count = reply_count - 1 WHERE root_seq = ?";
/// Who follows a thread (`?1`, its root's seq), from when (`?3`, a seq): who started it (from
/// its root), posted in it or was mentioned in it (from that reply). The first time stays.
pub const FOLLOW_THREAD: &str =
    "INSERT OR IGNORE INTO thread_followers (root_seq, user_id, since_seq) VALUES (?1, ?2, ?3)";
/// A reply in a thread D1 is to be told of (its followers' unread counts).
pub const UNFLUSHED_REPLY: &str = "INSERT OR IGNORE INTO unflushed_replies (seq) VALUES (?)";
/// The replies D1 is still to be told of: each one's followers (a JSON array; NULL once deleted).
pub const UNFLUSHED_REPLIES: &str = concat!(
    "SELECT u.seq, CASE WHEN m.user_id IS NOT NULL THEN ",
    followers_of_reply!(),
    " END AS followers
    FROM unflushed_replies AS u JOIN messages AS m ON m.seq = u.seq WHERE u.seq > 0 ORDER BY u.seq LIMIT ?"
);
pub const FLUSHED_REPLIES: &str = "DELETE FROM unflushed_replies WHERE seq IN (SELECT value FROM json_each(?))";
pub const TXN: &str = "SELECT message_seq FROM txns WHERE user_id = ? AND txn_id = ?";
pub const REMEMBER_TXN: &str = "INSERT OR REPLACE INTO txns (user_id, txn_id, message_seq, at) VALUES (?, ?, ?, ?)";
pub const WRITE_COUNT: &str = "SELECT window_start, count FROM write_counts WHERE user_id = ? AND kind = ?";
pub const COUNT_WRITE: &str =
    "INSERT OR REPLACE INTO write_counts (user_id, kind, window_start, count) VALUES (?, ?, ?, ?)";
pub const FORGET_EXPIRED_TICKETS: &str = "DELETE FROM tickets WHERE expires_at <= ?";
pub const ADD_TICKET: &str = "INSERT INTO tickets (ticket_hash, user_id, key_hash, expires_at) VALUES (?, ?, ?, ?)";
pub const TICKET: &str = "SELECT user_id, key_hash, expires_at FROM tickets WHERE ticket_hash = ?";
pub const USE_TICKET: &str = "DELETE FROM tickets WHERE ticket_hash = ?";
pub const DROP_TICKETS_OF_KEY: &str = "DELETE FROM tickets WHERE key_hash = ?";
pub const DROP_TICKETS_OF_USER: &str = "DELETE FROM tickets WHERE user_id = ?";
/// What the room was told of a key (`?1`) and a user (`?2`, twice), and of itself.
pub const TOLD: &str = "SELECT EXISTS (SELECT 1 FROM ended_keys WHERE key_hash = ?) AS key_ended,
    EXISTS (SELECT 1 FROM banned WHERE user_id = ?) AS banned,
    EXISTS (SELECT 1 FROM departed WHERE user_id = ?) AS departed,
    (SELECT value FROM facts WHERE name = 'open') AS open";
pub const ADD_DEPARTED: &str = "INSERT OR IGNORE INTO departed (user_id) VALUES (?)";
pub const REMOVE_DEPARTED: &str = "DELETE FROM departed WHERE user_id = ?";
pub const ADD_MUTED: &str = "INSERT OR IGNORE INTO muted (user_id) VALUES (?)";
pub const REMOVE_MUTED: &str = "DELETE FROM muted WHERE user_id = ?";
/// Whether an author (`?`, twice) left since, and whether they may not post in this DM.
pub const AUTHOR: &str = "SELECT EXISTS (SELECT 1 FROM departed WHERE user_id = ?) AS departed,
    EXISTS (SELECT 1 FROM muted WHERE user_id = ?) AS muted";
/// A member's read position (`?` the user, twice): kept, or where the room stood when it began
/// keeping them.
pub const READ_POSITION: &str = "SELECT coalesce((SELECT read_seq FROM reads WHERE user_id = ?),
        (SELECT value FROM facts WHERE name = 'reads_since'), 0) AS read_seq,
    coalesce((SELECT marked_unread FROM reads WHERE user_id = ?), 0) AS marked_unread";
pub const KEEP_READ: &str = "INSERT OR REPLACE INTO reads (user_id, read_seq, marked_unread) VALUES (?, ?, ?)";
/// A read position D1 is still to be told of: marked anew (a new `mark`) each time it moves.
pub const UNFLUSHED_READ: &str = "INSERT OR REPLACE INTO unflushed_reads (user_id) VALUES (?)";
pub const UNFLUSHED_DELETION: &str = "INSERT OR IGNORE INTO unflushed_deletions (seq) VALUES (?)";
/// The read positions D1 is still to be told of, oldest mark first, each with the ordinal of
/// the last message at or before it.
pub const UNFLUSHED_READS: &str = "SELECT u.mark, u.user_id, r.read_seq, r.marked_unread,
    coalesce((SELECT m.ordinal FROM messages AS m WHERE m.seq <= r.read_seq ORDER BY m.seq DESC LIMIT 1), 0)
      AS read_ordinal
    FROM unflushed_reads AS u JOIN reads AS r ON r.user_id = u.user_id
   WHERE u.mark > 0 ORDER BY u.mark LIMIT ?";
pub const UNFLUSHED_DELETIONS: &str = "SELECT u.seq, coalesce(m.thread IS NOT NULL, 0) AS in_thread
    FROM unflushed_deletions AS u LEFT JOIN messages AS m ON m.seq = u.seq WHERE u.seq > 0 ORDER BY u.seq LIMIT ?";
/// Marks (a JSON array) and seqs (likewise) that D1 was told of.
pub const FLUSHED_READS: &str = "DELETE FROM unflushed_reads WHERE mark IN (SELECT value FROM json_each(?))";
pub const FLUSHED_DELETIONS: &str = "DELETE FROM unflushed_deletions WHERE seq IN (SELECT value FROM json_each(?))";
/// What D1 keeps of the room for its members' counts: its latest message, how many it has had,
/// and where a member from before read positions were kept reads from.
pub const TALLY: &str = "SELECT coalesce(latest.seq, 0) AS last_seq, coalesce(latest.ordinal, 0) AS message_count,
    (SELECT value FROM facts WHERE name = 'last_message_at') AS last_message_at,
    coalesce((SELECT value FROM facts WHERE name = 'reads_since'), 0) AS reads_since_seq,
    coalesce((SELECT m.ordinal FROM messages AS m
               WHERE m.seq <= (SELECT value FROM facts WHERE name = 'reads_since') ORDER BY m.seq DESC LIMIT 1), 0)
      AS reads_since_ordinal
    FROM (SELECT 1) LEFT JOIN (SELECT seq, ordinal FROM messages WHERE seq > 0 ORDER BY seq DESC LIMIT 1) AS latest";
pub const LAST_MESSAGE_AT: &str = "INSERT OR REPLACE INTO facts (name, value) VALUES ('last_message_at', ?)";
/// When D1 is next to be told (`flush_due`, ms), while it has something to be told.
pub const FLUSH_DUE: &str = "SELECT value AS n FROM facts WHERE name = 'flush_due'";
pub const SET_FLUSH_DUE: &str = "INSERT OR REPLACE INTO facts (name, value) VALUES ('flush_due', ?)";
pub const CLEAR_FLUSH_DUE: &str = "DELETE FROM facts WHERE name = 'flush_due'";
/// The room's id, as the worker's calls say it.
pub const ROOM_ID: &str = "SELECT room_id FROM about WHERE one = 1";
pub const KNOW_ROOM_ID: &str = "INSERT OR IGNORE INTO about (one, room_id) VALUES (1, ?)";
/// Storage from before messages were numbered: numbered once, in seq order.
pub const HAS_ORDINALS: &str =
    "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'messages' AND instr(sql, 'ordinal') > 0";
/// Storage from before replies: its messages get the column (`ADD_REPLY_TO`), none a reply.
pub const HAS_REPLIES: &str =
    "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'messages' AND instr(sql, 'reply_to') > 0";
/// Storage from before threads: its messages get the column (`ADD_THREAD`), none in a thread.
pub const HAS_THREADS: &str =
    "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'messages' AND instr(sql, 'thread') > 0";

/// A DM's person reads from its start, or from where they were.
pub const KEEP_FIRST_READ: &str = "INSERT OR IGNORE INTO reads (user_id, read_seq, marked_unread) VALUES (?, ?, ?)";
/// Messages after a seq, of the room's own line (not in a thread), by others than the user, not
/// deleted (a deleted one has no author).
/// A user's (`?2`) unread messages after their read position (`?1`), by others, not deleted:
/// of the room's own line, and of the threads they follow, replies that came once they did.
pub const UNREAD: &str = "SELECT
    (SELECT count(*) FROM messages WHERE seq > ?1 AND thread IS NULL AND user_id IS NOT NULL AND user_id <> ?2)
    + (SELECT count(*) FROM thread_followers AS f CROSS JOIN messages AS m
        ON m.thread = f.root_seq AND m.seq > max(?1, f.since_seq - 1)
       WHERE f.user_id = ?2 AND m.user_id IS NOT NULL AND m.user_id <> ?2) AS n";
pub const IS_DM: &str = "SELECT count(*) AS n FROM dm WHERE one = 1";
pub const START_DM: &str = "INSERT OR IGNORE INTO dm (one, room_id) VALUES (1, ?)";
/// The DM's room id, while D1 does not have its first message.
pub const DM_UNTOLD: &str = "SELECT room_id FROM dm WHERE one = 1 AND first_message_told = 0";
pub const FIRST_MESSAGE_TOLD: &str = "UPDATE dm SET first_message_told = 1 WHERE one = 1";
pub const ADD_BANNED: &str = "INSERT OR IGNORE INTO banned (user_id) VALUES (?)";
pub const REMOVE_BANNED: &str = "DELETE FROM banned WHERE user_id = ?";
pub const FORGET_ENDED_KEYS: &str = "DELETE FROM ended_keys WHERE at < ?";
pub const END_KEY: &str = "INSERT OR REPLACE INTO ended_keys (key_hash, at) VALUES (?, ?)";
/// As an event said: the latest word.
pub const SET_OPEN: &str = "INSERT OR REPLACE INTO facts (name, value) VALUES ('open', ?)";
/// As a connect found it in D1: kept only while no event has said.
pub const KNOW_OPEN: &str = "INSERT OR IGNORE INTO facts (name, value) VALUES ('open', ?)";
pub const APPLIED: &str = "SELECT value AS n FROM applied WHERE name = 'outbox'";
pub const SET_APPLIED: &str = "INSERT OR REPLACE INTO applied (name, value) VALUES ('outbox', ?)";
/// Every fan-out object, once an object life: by its key's range, not a scan.
pub const FANS: &str = "SELECT k, sockets, accepted, placed, users FROM fans WHERE k >= 0 ORDER BY k";
pub const SAVE_FAN: &str = "INSERT OR REPLACE INTO fans (k, sockets, accepted, placed, users) VALUES (?, ?, ?, ?, ?)";
pub const HAS_TABLE: &str = "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?";
pub const BURY: &str = "INSERT INTO gone (at) VALUES (?)";

/// Where a user's (`?3`) reaction with a key (`?2`) to a message (`?1`) would leave it: the
/// message's distinct keys, the key's count, the user's keys on it, whether they have this one.
pub const REACTION_STATE: &str = "SELECT (SELECT count(*) FROM reaction_counts WHERE message_seq = ?1) AS keys,
    coalesce((SELECT count FROM reaction_counts WHERE message_seq = ?1 AND key = ?2), 0) AS count,
    (SELECT count(*) FROM reactions WHERE message_seq = ?1 AND user_id = ?3) AS mine,
    EXISTS (SELECT 1 FROM reactions WHERE message_seq = ?1 AND key = ?2 AND user_id = ?3) AS reacted";
/// A reaction, numbered by its event's seq (`?4`): the key's first use is its first seq.
pub const ADD_REACTION: &str = "INSERT INTO reactions (message_seq, key, user_id, seq) VALUES (?, ?, ?, ?)";
pub const COUNT_REACTION: &str = "INSERT INTO reaction_counts (message_seq, key, count, first_seq) VALUES (?, ?, 1, ?)
    ON CONFLICT (message_seq, key) DO UPDATE SET count = count + 1";
pub const REMOVE_REACTION: &str = "DELETE FROM reactions WHERE message_seq = ? AND key = ? AND user_id = ?";
pub const UNCOUNT_REACTION: &str = "UPDATE reaction_counts SET count = count - 1 WHERE message_seq = ? AND key = ?";
pub const DROP_UNUSED_KEY: &str = "DELETE FROM reaction_counts WHERE message_seq = ? AND key = ? AND count <= 0";
/// The reactions of some messages (`?1`, a JSON array of seqs) by key in order of first use,
/// each with whether a user (`?2`) has it.
pub const REACTIONS_OF: &str = "SELECT c.message_seq, c.key, c.count,
    EXISTS (SELECT 1 FROM reactions AS r WHERE r.message_seq = c.message_seq AND r.key = c.key AND r.user_id = ?2) AS me
    FROM reaction_counts AS c WHERE c.message_seq IN (SELECT value FROM json_each(?1))
   ORDER BY c.message_seq, c.first_seq";
/// Who reacted to a message with a key, in the order they did.
pub const REACTORS: &str =
    "SELECT user_id FROM reactions WHERE message_seq = ? AND key = ? ORDER BY seq LIMIT ? OFFSET ?";
/// Every reaction to a message: who, with which key.
pub const REACTIONS_OF_MESSAGE: &str = "SELECT user_id, key FROM reactions WHERE message_seq = ?";
/// A deleted message's reactions go with it.
pub const DROP_REACTIONS: &str = "DELETE FROM reactions WHERE message_seq = ?";
pub const DROP_REACTION_COUNTS: &str = "DELETE FROM reaction_counts WHERE message_seq = ?";

/// A message's text in the search index, by its seq (`rowid`).
pub const INDEX_TEXT: &str = "INSERT INTO search (rowid, text) VALUES (?, ?)";
pub const UNINDEX_TEXT: &str = "DELETE FROM search WHERE rowid = ?";
/// Messages whose text holds a phrase (`?1`, 3 characters or more), older than a seq (`?2`),
/// newest first, at most `?3`, from the index.
pub const SEARCH: &str = concat!(
    messages_with_parents!(),
    " WHERE m.seq IN (SELECT rowid FROM search WHERE search MATCH ?1 AND rowid < ?2 ORDER BY rowid DESC LIMIT ?3)
   ORDER BY m.seq DESC"
);
/// The texts of the messages older than a seq, newest first, at most `?2`: what a query too
/// short for the index is looked for in (deleted ones have none).
pub const TEXTS_BEFORE: &str =
    "SELECT seq, message_id, text FROM messages WHERE seq < ? AND text IS NOT NULL ORDER BY seq DESC LIMIT ?";
/// Some messages (a JSON array of seqs), newest first.
pub const MESSAGES_AT: &str =
    concat!(messages_with_parents!(), " WHERE m.seq IN (SELECT value FROM json_each(?)) ORDER BY m.seq DESC");

// Files (`files.rs`).

pub const ADD_FILE: &str =
    "INSERT INTO files (file_id, user_id, name, type, size, uploaded_at) VALUES (?, ?, ?, ?, ?, ?)";
/// The files of these ids (`?`: a JSON array), as kept.
pub const FILES_NAMED: &str = "SELECT file_id, user_id, name, type, size, message_seq, doomed FROM files
    WHERE file_id IN (SELECT value FROM json_each(?))";
/// A file goes into a message (`?1`, its seq), at a place in its list (`?2`).
pub const ATTACH_FILE: &str = "UPDATE files SET message_seq = ?1, position = ?2 WHERE file_id = ?3";
/// A deleted message's files are to leave R2.
pub const DOOM_FILES_OF: &str = "UPDATE files SET doomed = 1, message_seq = NULL WHERE message_seq = ?";
/// Uploads no message took, uploaded at or before `?`, are to leave R2.
pub const DOOM_UNATTACHED: &str =
    "UPDATE files SET doomed = 1 WHERE message_seq IS NULL AND doomed = 0 AND uploaded_at <= ?";
pub const DOOMED_FILES: &str = "SELECT file_id FROM files WHERE doomed = 1 LIMIT ?";
/// R2 has let them go (`?`: a JSON array of ids).
pub const FORGET_FILES: &str = "DELETE FROM files WHERE file_id IN (SELECT value FROM json_each(?))";
/// When the oldest upload no message took was uploaded.
pub const OLDEST_UNATTACHED: &str = "SELECT min(uploaded_at) AS n FROM files WHERE message_seq IS NULL AND doomed = 0";
/// Every file of the room, for its deletion (`> ''`: every id is).
pub const EVERY_FILE: &str = "SELECT file_id FROM files WHERE file_id > '' LIMIT ?";

/// Every statement above, by name, for `tests/history_sql.rs`.
pub const ALL: &[(&str, &str)] = &[
    ("LATEST_SEQ", LATEST_SEQ),
    ("OLDEST_SEQ", OLDEST_SEQ),
    ("APPEND_EVENT", APPEND_EVENT),
    ("EVENTS_AFTER", EVENTS_AFTER),
    ("PRUNE_EVENTS", PRUNE_EVENTS),
    ("PRUNE_TXNS", PRUNE_TXNS),
    ("INSERT_MESSAGE", INSERT_MESSAGE),
    ("MESSAGE_BY_ID", MESSAGE_BY_ID),
    ("MESSAGE_AT", MESSAGE_AT),
    ("EDIT_MESSAGE", EDIT_MESSAGE),
    ("DELETE_MESSAGE", DELETE_MESSAGE),
    ("LATEST_MESSAGES", LATEST_MESSAGES),
    ("MESSAGES_BEFORE", MESSAGES_BEFORE),
    ("MESSAGES_AFTER", MESSAGES_AFTER),
    ("THREAD_LATEST", THREAD_LATEST),
    ("THREAD_BEFORE", THREAD_BEFORE),
    ("THREAD_AFTER", THREAD_AFTER),
    ("THREAD_REPLIED", THREAD_REPLIED),
    ("THREAD_REPLY_DELETED", THREAD_REPLY_DELETED),
    ("FOLLOW_THREAD", FOLLOW_THREAD),
    ("UNFLUSHED_REPLY", UNFLUSHED_REPLY),
    ("UNFLUSHED_REPLIES", UNFLUSHED_REPLIES),
    ("FLUSHED_REPLIES", FLUSHED_REPLIES),
    ("TXN", TXN),
    ("REMEMBER_TXN", REMEMBER_TXN),
    ("WRITE_COUNT", WRITE_COUNT),
    ("COUNT_WRITE", COUNT_WRITE),
    ("FORGET_EXPIRED_TICKETS", FORGET_EXPIRED_TICKETS),
    ("ADD_TICKET", ADD_TICKET),
    ("TICKET", TICKET),
    ("USE_TICKET", USE_TICKET),
    ("DROP_TICKETS_OF_KEY", DROP_TICKETS_OF_KEY),
    ("DROP_TICKETS_OF_USER", DROP_TICKETS_OF_USER),
    ("TOLD", TOLD),
    ("ADD_DEPARTED", ADD_DEPARTED),
    ("REMOVE_DEPARTED", REMOVE_DEPARTED),
    ("ADD_MUTED", ADD_MUTED),
    ("REMOVE_MUTED", REMOVE_MUTED),
    ("AUTHOR", AUTHOR),
    ("READ_POSITION", READ_POSITION),
    ("KEEP_READ", KEEP_READ),
    ("KEEP_FIRST_READ", KEEP_FIRST_READ),
    ("UNREAD", UNREAD),
    ("ADD_MENTION", ADD_MENTION),
    ("MENTIONED", MENTIONED),
    ("UNFLUSHED_MENTION", UNFLUSHED_MENTION),
    ("UNFLUSHED_MENTIONS", UNFLUSHED_MENTIONS),
    ("FLUSHED_MENTIONS", FLUSHED_MENTIONS),
    ("UNFLUSHED_READ", UNFLUSHED_READ),
    ("UNFLUSHED_DELETION", UNFLUSHED_DELETION),
    ("UNFLUSHED_READS", UNFLUSHED_READS),
    ("UNFLUSHED_DELETIONS", UNFLUSHED_DELETIONS),
    ("FLUSHED_READS", FLUSHED_READS),
    ("FLUSHED_DELETIONS", FLUSHED_DELETIONS),
    ("TALLY", TALLY),
    ("LAST_MESSAGE_AT", LAST_MESSAGE_AT),
    ("FLUSH_DUE", FLUSH_DUE),
    ("SET_FLUSH_DUE", SET_FLUSH_DUE),
    ("CLEAR_FLUSH_DUE", CLEAR_FLUSH_DUE),
    ("ROOM_ID", ROOM_ID),
    ("KNOW_ROOM_ID", KNOW_ROOM_ID),
    ("HAS_ORDINALS", HAS_ORDINALS),
    ("HAS_REPLIES", HAS_REPLIES),
    ("HAS_THREADS", HAS_THREADS),
    ("IS_DM", IS_DM),
    ("START_DM", START_DM),
    ("DM_UNTOLD", DM_UNTOLD),
    ("FIRST_MESSAGE_TOLD", FIRST_MESSAGE_TOLD),
    ("ADD_BANNED", ADD_BANNED),
    ("REMOVE_BANNED", REMOVE_BANNED),
    ("FORGET_ENDED_KEYS", FORGET_ENDED_KEYS),
    ("END_KEY", END_KEY),
    ("SET_OPEN", SET_OPEN),
    ("KNOW_OPEN", KNOW_OPEN),
    ("APPLIED", APPLIED),
    ("SET_APPLIED", SET_APPLIED),
    ("FANS", FANS),
    ("SAVE_FAN", SAVE_FAN),
    ("HAS_TABLE", HAS_TABLE),
    ("BURY", BURY),
    ("REACTION_STATE", REACTION_STATE),
    ("ADD_REACTION", ADD_REACTION),
    ("COUNT_REACTION", COUNT_REACTION),
    ("REMOVE_REACTION", REMOVE_REACTION),
    ("UNCOUNT_REACTION", UNCOUNT_REACTION),
    ("DROP_UNUSED_KEY", DROP_UNUSED_KEY),
    ("REACTIONS_OF", REACTIONS_OF),
    ("REACTORS", REACTORS),
    ("REACTIONS_OF_MESSAGE", REACTIONS_OF_MESSAGE),
    ("DROP_REACTIONS", DROP_REACTIONS),
    ("DROP_REACTION_COUNTS", DROP_REACTION_COUNTS),
    ("INDEX_TEXT", INDEX_TEXT),
    ("UNINDEX_TEXT", UNINDEX_TEXT),
    ("SEARCH", SEARCH),
    ("TEXTS_BEFORE", TEXTS_BEFORE),
    ("MESSAGES_AT", MESSAGES_AT),
    ("ADD_FILE", ADD_FILE),
    ("FILES_NAMED", FILES_NAMED),
    ("ATTACH_FILE", ATTACH_FILE),
    ("DOOM_FILES_OF", DOOM_FILES_OF),
    ("DOOM_UNATTACHED", DOOM_UNATTACHED),
    ("DOOMED_FILES", DOOMED_FILES),
    ("FORGET_FILES", FORGET_FILES),
    ("OLDEST_UNATTACHED", OLDEST_UNATTACHED),
    ("EVERY_FILE", EVERY_FILE),
];

/// Numbers the messages of storage from before they were numbered (`HAS_ORDINALS` is 0), once:
/// in seq order, from 1; their mentions were none.
pub const NUMBERING: &[&str] = &[
    "ALTER TABLE messages ADD COLUMN ordinal INTEGER",
    "ALTER TABLE messages ADD COLUMN mentions TEXT",
    "UPDATE messages SET ordinal = o.n
      FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM messages) AS o WHERE o.seq = messages.seq",
];

/// Gives storage from before replies their column (`HAS_REPLIES` is 0), once.
pub const ADD_REPLY_TO: &str = "ALTER TABLE messages ADD COLUMN reply_to INTEGER";
/// Gives storage from before threads their column (`HAS_THREADS` is 0), once.
pub const ADD_THREAD: &str = "ALTER TABLE messages ADD COLUMN thread INTEGER";
/// A thread's replies in order, once the column is there (`History::open`).
pub const MESSAGES_IN_THREAD: &str = "CREATE INDEX IF NOT EXISTS messages_in_thread ON messages (thread, seq)";
/// Storage from before the followers' `since_seq`: they followed from the thread's start.
pub const HAS_FOLLOW_SINCE: &str = "SELECT count(*) AS n FROM sqlite_master
    WHERE type = 'table' AND name = 'thread_followers' AND instr(sql, 'since_seq') > 0";
pub const ADD_FOLLOW_SINCE: &str = "ALTER TABLE thread_followers ADD COLUMN since_seq INTEGER NOT NULL DEFAULT 0";

/// The search index: each message's text (not kept twice: the index holds its trigrams only),
/// any piece of 3 characters or more found, in any case (Unicode's folding).
pub const SEARCH_INDEX: &str = "CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(text, content='',
    contentless_delete=1, tokenize='trigram case_sensitive 0')";
/// Storage from before the index: its messages indexed once (`History::open`), as they are
/// (the index folds their case; only a final sigma stays apart from σ).
pub const INDEX_EXISTING: &str =
    "INSERT INTO search (rowid, text) SELECT seq, text FROM messages WHERE text IS NOT NULL";

/// The tickets' table and indexes (`tickets::SCHEMA`).
pub const TICKETS: &str = "CREATE TABLE IF NOT EXISTS tickets (ticket_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL,
        key_hash TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID";
pub const TICKETS_BY_EXPIRY: &str = "CREATE INDEX IF NOT EXISTS tickets_by_expiry ON tickets (expires_at)";
pub const TICKETS_BY_KEY: &str = "CREATE INDEX IF NOT EXISTS tickets_by_key ON tickets (key_hash)";
pub const TICKETS_BY_USER: &str = "CREATE INDEX IF NOT EXISTS tickets_by_user ON tickets (user_id)";

pub const SCHEMA: &[&str] = &[
    // `body` is the event (`frames::Event`) without its seq and its message, which
    // `message_seq` names, so that a replay shows a message as it is now.
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL,
        message_seq INTEGER)",
    // A deleted message keeps its id and seq, and nothing else.
    // `ordinal`: how many messages the room had once this one was posted (deleted ones keep
    // theirs); storage from before it is numbered by `History::open`.
    // `reply_to`: the seq of the message it replies to; `thread`: of the root of the thread it
    // is a reply in (NULL: the room's own line).
    "CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE,
        user_id TEXT, text TEXT, sent_at INTEGER, edited_at INTEGER, ordinal INTEGER, mentions TEXT,
        reply_to INTEGER, thread INTEGER)",
    // Each thread's summary, by its root's seq: replies not deleted, the last reply's time, and
    // its latest participants (a JSON array, newest first, at most 5).
    "CREATE TABLE IF NOT EXISTS threads (root_seq INTEGER PRIMARY KEY, reply_count INTEGER NOT NULL,
        last_reply_at INTEGER NOT NULL, participants TEXT NOT NULL)",
    // Who follows each thread, since which seq (`FOLLOW_THREAD`).
    "CREATE TABLE IF NOT EXISTS thread_followers (root_seq INTEGER NOT NULL, user_id TEXT NOT NULL,
        since_seq INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (root_seq, user_id)) WITHOUT ROWID",
    // The threads a user follows (`UNREAD`).
    "CREATE INDEX IF NOT EXISTS thread_followers_by_user ON thread_followers (user_id, root_seq)",
    "CREATE TABLE IF NOT EXISTS txns (user_id TEXT NOT NULL, txn_id TEXT NOT NULL, message_seq INTEGER NOT NULL,
        at INTEGER NOT NULL, PRIMARY KEY (user_id, txn_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS txns_by_age ON txns (at)",
    // Counters of the write ceilings (posts, edits), per user and kind.
    "DROP TABLE IF EXISTS post_counts",
    "CREATE TABLE IF NOT EXISTS write_counts (user_id TEXT NOT NULL, kind TEXT NOT NULL,
        window_start INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (user_id, kind)) WITHOUT ROWID",
    // Tickets by their SHA-256, never the ticket (`tickets::SCHEMA`, an inbox's too).
    TICKETS,
    TICKETS_BY_EXPIRY,
    TICKETS_BY_KEY,
    TICKETS_BY_USER,
    "CREATE TABLE IF NOT EXISTS applied (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    // Users whose last membership event is `member_left`.
    "CREATE TABLE IF NOT EXISTS departed (user_id TEXT PRIMARY KEY) WITHOUT ROWID",
    // In a DM, users who may not post (the other person declined, left or blocked them).
    "CREATE TABLE IF NOT EXISTS muted (user_id TEXT PRIMARY KEY) WITHOUT ROWID",
    // A DM's room id (one row), and whether D1 has its first message (for the requests list).
    "CREATE TABLE IF NOT EXISTS dm (one INTEGER PRIMARY KEY CHECK (one = 1), room_id TEXT NOT NULL,
        first_message_told INTEGER NOT NULL DEFAULT 0)",
    // Users banned from the room, as the room was told.
    "CREATE TABLE IF NOT EXISTS banned (user_id TEXT PRIMARY KEY) WITHOUT ROWID",
    // Session keys (their hashes) the room was told ended, until no session could still live.
    "CREATE TABLE IF NOT EXISTS ended_keys (key_hash TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS ended_keys_by_age ON ended_keys (at)",
    // What the room is, as its events last said (`open`: 1 or 0).
    "CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    // Each member's read position: the seq they read up to, and whether they marked the room
    // unread. A member without one reads from where the room stood when it began keeping them.
    "CREATE TABLE IF NOT EXISTS reads (user_id TEXT PRIMARY KEY, read_seq INTEGER NOT NULL,
        marked_unread INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT OR IGNORE INTO facts (name, value) SELECT 'reads_since', coalesce(max(seq), 0) FROM events",
    // What D1 is still to be told for its members' counts (`History::tally`): read positions
    // that moved (a new mark each time: a mark told is forgotten, a newer one stays) and
    // messages deleted. AUTOINCREMENT: a mark is never used twice.
    "CREATE TABLE IF NOT EXISTS unflushed_reads (mark INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL UNIQUE)",
    "CREATE TABLE IF NOT EXISTS unflushed_deletions (seq INTEGER PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS unflushed_mentions (seq INTEGER PRIMARY KEY, fresh INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS unflushed_replies (seq INTEGER PRIMARY KEY)",
    // Whom each message mentions (`THE_ROOM` for everyone), for the members' mention counts.
    "CREATE TABLE IF NOT EXISTS mentions (user_id TEXT NOT NULL, seq INTEGER NOT NULL,
        PRIMARY KEY (user_id, seq)) WITHOUT ROWID",
    // Positions kept before D1 kept them are told once.
    "INSERT OR IGNORE INTO unflushed_reads (user_id) SELECT user_id FROM reads
      WHERE NOT EXISTS (SELECT 1 FROM facts WHERE name = 'reads_flushed')",
    "INSERT OR IGNORE INTO facts (name, value) VALUES ('reads_flushed', 1)",
    // The room's id (one row), as the worker's calls say it: the flush names the room by it.
    "CREATE TABLE IF NOT EXISTS about (one INTEGER PRIMARY KEY CHECK (one = 1), room_id TEXT NOT NULL)",
    // Each reaction: a user's key on a message, numbered by its event's seq.
    "CREATE TABLE IF NOT EXISTS reactions (message_seq INTEGER NOT NULL, key TEXT NOT NULL, user_id TEXT NOT NULL,
        seq INTEGER NOT NULL, PRIMARY KEY (message_seq, key, user_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS reactions_by_user ON reactions (message_seq, user_id)",
    // Each message's keys, counted, and when each was first used: a page of history reads
    // these, never every reaction.
    "CREATE TABLE IF NOT EXISTS reaction_counts (message_seq INTEGER NOT NULL, key TEXT NOT NULL,
        count INTEGER NOT NULL, first_seq INTEGER NOT NULL, PRIMARY KEY (message_seq, key)) WITHOUT ROWID",
    SEARCH_INDEX,
    // Each file uploaded to the room (`files.rs`): whose, what, when, and the message that
    // carries it (NULL until one does); `doomed` once it is to leave R2 (its message deleted,
    // or never attached), until R2 confirms.
    "CREATE TABLE IF NOT EXISTS files (file_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL,
        type TEXT NOT NULL, size INTEGER NOT NULL, uploaded_at INTEGER NOT NULL, message_seq INTEGER,
        position INTEGER, doomed INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS files_of_message ON files (message_seq, position)",
    "CREATE INDEX IF NOT EXISTS files_unattached ON files (uploaded_at) WHERE message_seq IS NULL AND doomed = 0",
    "CREATE INDEX IF NOT EXISTS files_doomed ON files (doomed)",
    // The room's fan-out objects (`live::fan`), by number: the sockets each last said it held
    // and had ever accepted, the sockets placed in it, and the users among its sockets (a JSON
    // array).
    "CREATE TABLE IF NOT EXISTS fans (k INTEGER PRIMARY KEY, sockets INTEGER NOT NULL, accepted INTEGER NOT NULL,
        placed INTEGER NOT NULL, users TEXT NOT NULL)",
];

/// The one table a deleted room's storage keeps, so that its object never comes back to life.
pub const TOMBSTONE: &str = "CREATE TABLE IF NOT EXISTS gone (at INTEGER NOT NULL)";
