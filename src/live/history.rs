//! A room object's own SQLite storage: its messages, its numbered events, the `txn_id`s of
//! socket sends, the write ceilings' counters, tickets, the outbox ids it applied, and what it
//! was told of the room and its people (ended keys, bans, departures, whether it is open, and,
//! once it is deleted, only that).
//!
//! Every call here is synchronous. What must be written together (an event and the outbox id
//! it applies) is written in one statement or inside `atomically`.

use std::cell::Cell;

use serde::Deserialize;
use serde_json::{json, Map, Value};
use worker::{SqlStorage, SqlStorageValue};

use crate::domain::limits::{Counter, WriteKind, WriteLimit};
use crate::domain::time::rfc3339;
use crate::error::ApiError;

/// Events kept for resuming: at least the latest `KEPT_EVENTS`, and every one of the last
/// `KEPT_MILLIS`.
pub const KEPT_EVENTS: i64 = 10_000;
pub const KEPT_MILLIS: i64 = 7 * 24 * 3600 * 1000;

/// How long a socket send's `txn_id` is remembered.
pub const TXN_MILLIS: i64 = 24 * 3600 * 1000;

/// The most events a socket may resume over: from further back it gets `reset`, and reloads.
pub const MAX_REPLAY: i64 = KEPT_EVENTS;

/// Events a replay reads, and sends, at a time.
pub const REPLAY_PAGE: i64 = 500;

/// How long an ended key is remembered: longer than any session lives.
pub const ENDED_KEY_MILLIS: i64 = 400 * 24 * 3600 * 1000;

/// The statements that number, keep and forget events, by name, for `tests/history_sql.rs` to
/// run natively.
pub mod sql {
    pub const LATEST_SEQ: &str = "SELECT max(seq) AS n FROM events";
    pub const OLDEST_SEQ: &str = "SELECT min(seq) AS n FROM events";
    pub const APPEND_EVENT: &str = "INSERT INTO events (seq, at, body, message_seq) VALUES (?, ?, ?, ?)";
    /// A page of events after a seq, oldest first, each with its message as it is now.
    pub const EVENTS_AFTER: &str = "SELECT e.seq AS event_seq, e.body, m.seq, m.message_id, m.user_id, m.text,
        m.sent_at, m.edited_at
        FROM events AS e LEFT JOIN messages AS m ON m.seq = e.message_seq
       WHERE e.seq > ? ORDER BY e.seq LIMIT ?";
    /// Events at or below a seq (the latest less `KEPT_EVENTS`) and older than a time (now less
    /// `KEPT_MILLIS`).
    pub const PRUNE_EVENTS: &str = "DELETE FROM events WHERE seq <= ? AND at < ?";
}

/// What a socket that resumes after a seq gets before `ready`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Every event after it, all still kept, and at most `MAX_REPLAY`.
    Replay,
    /// `reset`: a seq the room never reached, events after it are forgotten, or more than
    /// `MAX_REPLAY` came since.
    Reset,
}

impl Resume {
    /// `oldest` is the oldest kept event's seq (0 for none).
    pub fn after(after: i64, latest: i64, oldest: i64) -> Self {
        if after > latest || after < oldest.saturating_sub(1) || latest - after > MAX_REPLAY {
            Self::Reset
        } else {
            Self::Replay
        }
    }
}

/// `sql::PRUNE_EVENTS`'s bounds: the seq at or below which, and the time before which, an event
/// may be forgotten.
pub fn prune_bounds(latest: i64, now: i64) -> (i64, i64) {
    (latest - KEPT_EVENTS, now - KEPT_MILLIS)
}

pub const SCHEMA: &[&str] = &[
    // `body` is the event's frame without `seq` (and without `message`, which `message_seq`
    // names, so that a replay shows a message as it is now).
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL,
        message_seq INTEGER)",
    // A deleted message keeps its id and seq, and nothing else.
    "CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE,
        user_id TEXT, text TEXT, sent_at INTEGER, edited_at INTEGER)",
    "CREATE TABLE IF NOT EXISTS txns (user_id TEXT NOT NULL, txn_id TEXT NOT NULL, message_seq INTEGER NOT NULL,
        at INTEGER NOT NULL, PRIMARY KEY (user_id, txn_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS txns_by_age ON txns (at)",
    // Counters of the write ceilings (posts, edits), per user and kind.
    "DROP TABLE IF EXISTS post_counts",
    "CREATE TABLE IF NOT EXISTS write_counts (user_id TEXT NOT NULL, kind TEXT NOT NULL,
        window_start INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (user_id, kind)) WITHOUT ROWID",
    // Tickets by their SHA-256, never the ticket.
    "CREATE TABLE IF NOT EXISTS tickets (ticket_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, key_hash TEXT NOT NULL,
        expires_at INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS applied (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
    // Users whose last membership event is `member_left`.
    "CREATE TABLE IF NOT EXISTS departed (user_id TEXT PRIMARY KEY) WITHOUT ROWID",
    // Users banned from the room, as the room was told.
    "CREATE TABLE IF NOT EXISTS banned (user_id TEXT PRIMARY KEY) WITHOUT ROWID",
    // Session keys (their hashes) the room was told ended, until no session could still live.
    "CREATE TABLE IF NOT EXISTS ended_keys (key_hash TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS ended_keys_by_age ON ended_keys (at)",
    // What the room is, as its events last said (`open`: 1 or 0).
    "CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
];

/// The one table a deleted room's storage keeps, so that its object never comes back to life.
const TOMBSTONE: &str = "CREATE TABLE IF NOT EXISTS gone (at INTEGER NOT NULL)";

/// The lists of users the room keeps.
#[derive(Debug, Clone, Copy)]
enum UserList {
    /// Whose last membership event is `member_left`.
    Departed,
    Banned,
}

/// What the room was told of one socket's key and user, and of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct Told {
    pub key_ended: bool,
    pub banned: bool,
    pub departed: bool,
    /// `None` until an event or a connect said.
    pub open: Option<bool>,
}

/// A message's row; `text` is NULL once deleted.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageRow {
    pub seq: i64,
    pub message_id: String,
    pub user_id: Option<String>,
    pub text: Option<String>,
    pub sent_at: Option<i64>,
    pub edited_at: Option<i64>,
}

impl MessageRow {
    pub fn is_deleted(&self) -> bool {
        self.text.is_none()
    }

    /// The message as history and frames show it.
    pub fn to_json(&self) -> Value {
        match (&self.user_id, &self.text, self.sent_at) {
            (Some(user_id), Some(text), Some(sent_at)) => {
                let mut message = json!({
                    "message_id": self.message_id,
                    "seq": self.seq,
                    "user_id": user_id,
                    "text": text,
                    "sent_at": rfc3339(sent_at),
                });
                if let (Some(edited_at), Value::Object(fields)) = (self.edited_at, &mut message) {
                    fields.insert("edited_at".into(), rfc3339(edited_at).into());
                }
                message
            }
            _ => json!({ "message_id": self.message_id, "seq": self.seq, "deleted": true }),
        }
    }
}

/// Which message an event shows (as it is when the event is sent or replayed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    Nothing,
    Message(i64),
    /// The message the event posts, numbered as the event is.
    Itself,
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor<'a> {
    Latest,
    Before(&'a str),
    After(&'a str),
}

/// A page of history, newest first, and whether older messages exist.
pub struct Page {
    pub messages: Vec<MessageRow>,
    pub more_before: bool,
}

/// The room's storage, and its latest seq once read: `append` is the only writer of events, and
/// the object runs one call at a time, so the copy stays exact while the object lives.
pub struct History(SqlStorage, Cell<Option<i64>>);

fn storage_error(error: worker::Error) -> ApiError {
    ApiError::internal(format!("room storage: {error}"))
}

fn has_table(sql: &SqlStorage, name: &str) -> Result<bool, ApiError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let query = "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?";
    let rows: Vec<Count> =
        sql.exec(query, vec![name.into()]).and_then(|cursor| cursor.to_array()).map_err(storage_error)?;
    Ok(rows.first().is_some_and(|row| row.n > 0))
}

impl History {
    /// The room's storage, its tables made if they are not there yet; `None` once the room was
    /// deleted.
    pub fn open(sql: SqlStorage) -> Result<Option<Self>, ApiError> {
        if has_table(&sql, "gone")? {
            return Ok(None);
        }
        for statement in SCHEMA {
            sql.exec(statement, None).map_err(storage_error)?;
        }
        Ok(Some(Self(sql, Cell::new(None))))
    }

    /// The room's storage if it holds a room: `None` for an object that never did, or whose
    /// room was deleted, so that asking it writes nothing.
    pub fn existing(sql: SqlStorage) -> Result<Option<Self>, ApiError> {
        if has_table(&sql, "events")? {
            Self::open(sql)
        } else {
            Ok(None)
        }
    }

    /// What a deleted room's storage keeps, once `delete_all` emptied it: that it is gone.
    pub fn bury(sql: &SqlStorage, now: i64) -> Result<(), ApiError> {
        sql.exec(TOMBSTONE, None).map_err(storage_error)?;
        sql.exec("INSERT INTO gone (at) VALUES (?)", vec![now.into()]).map(drop).map_err(storage_error)
    }

    fn rows<T: for<'de> Deserialize<'de>>(&self, query: &str, args: Vec<SqlStorageValue>) -> Result<Vec<T>, ApiError> {
        self.0.exec(query, args).and_then(|cursor| cursor.to_array()).map_err(storage_error)
    }

    fn run(&self, query: &str, args: Vec<SqlStorageValue>) -> Result<(), ApiError> {
        self.0.exec(query, args).map(drop).map_err(storage_error)
    }

    fn number(&self, query: &str, args: Vec<SqlStorageValue>) -> Result<i64, ApiError> {
        #[derive(Deserialize)]
        struct Number {
            n: Option<i64>,
        }
        Ok(self.rows::<Number>(query, args)?.first().and_then(|row| row.n).unwrap_or(0))
    }

    /// The room's latest seq: 0 before its first event.
    pub fn latest_seq(&self) -> Result<i64, ApiError> {
        if let Some(latest) = self.1.get() {
            return Ok(latest);
        }
        let latest = self.number(sql::LATEST_SEQ, vec![])?;
        self.1.set(Some(latest));
        Ok(latest)
    }

    /// What a socket resuming after `after` gets.
    pub fn resume(&self, after: i64) -> Result<Resume, ApiError> {
        Ok(Resume::after(after, self.latest_seq()?, self.number(sql::OLDEST_SEQ, vec![])?))
    }

    /// Appends an event, numbered after the latest, about the message `message` names; its seq.
    pub fn append(&self, now: i64, body: &Value, message: About) -> Result<i64, ApiError> {
        let seq = self.latest_seq()? + 1;
        let message_seq = match message {
            About::Nothing => None,
            About::Message(seq) => Some(seq),
            About::Itself => Some(seq),
        };
        self.run(sql::APPEND_EVENT, vec![seq.into(), now.into(), body.to_string().into(), message_seq.into()])?;
        self.1.set(Some(seq));
        if seq % 100 == 0 {
            self.prune(now)?;
        }
        Ok(seq)
    }

    /// Forgets the events that are both beyond the latest `KEPT_EVENTS` and older than
    /// `KEPT_MILLIS`, and the `txn_id`s older than `TXN_MILLIS`.
    fn prune(&self, now: i64) -> Result<(), ApiError> {
        let latest = self.latest_seq()?;
        let (seq, at) = prune_bounds(latest, now);
        self.run(sql::PRUNE_EVENTS, vec![seq.into(), at.into()])?;
        self.run("DELETE FROM txns WHERE at < ?", vec![(now - TXN_MILLIS).into()])
    }

    /// Posts a message as the event after the latest; the message's row.
    pub fn post(&self, message_id: &str, user_id: &str, text: &str, now: i64) -> Result<MessageRow, ApiError> {
        let seq = self.append(now, &json!({ "type": "message" }), About::Itself)?;
        self.run(
            "INSERT INTO messages (seq, message_id, user_id, text, sent_at) VALUES (?, ?, ?, ?, ?)",
            vec![seq.into(), message_id.into(), user_id.into(), text.into(), now.into()],
        )?;
        Ok(MessageRow {
            seq,
            message_id: message_id.to_owned(),
            user_id: Some(user_id.to_owned()),
            text: Some(text.to_owned()),
            sent_at: Some(now),
            edited_at: None,
        })
    }

    pub fn message(&self, message_id: &str) -> Result<Option<MessageRow>, ApiError> {
        Ok(self.rows("SELECT * FROM messages WHERE message_id = ?", vec![message_id.into()])?.into_iter().next())
    }

    fn message_at(&self, seq: i64) -> Result<Option<MessageRow>, ApiError> {
        Ok(self.rows("SELECT * FROM messages WHERE seq = ?", vec![seq.into()])?.into_iter().next())
    }

    /// Edits a message's text, and appends `message_edited`; its seq and the message.
    pub fn edit(&self, message: &MessageRow, text: &str, now: i64) -> Result<(i64, MessageRow), ApiError> {
        self.run(
            "UPDATE messages SET text = ?, edited_at = ? WHERE seq = ?",
            vec![text.into(), now.into(), message.seq.into()],
        )?;
        let seq = self.append(now, &json!({ "type": "message_edited" }), About::Message(message.seq))?;
        let edited = MessageRow { text: Some(text.to_owned()), edited_at: Some(now), ..message.clone() };
        Ok((seq, edited))
    }

    /// Deletes a message's author, text and times, and appends `message_deleted`; its seq.
    pub fn delete(&self, message: &MessageRow, now: i64) -> Result<i64, ApiError> {
        self.run(
            "UPDATE messages SET user_id = NULL, text = NULL, sent_at = NULL, edited_at = NULL WHERE seq = ?",
            vec![message.seq.into()],
        )?;
        self.append(now, &json!({ "type": "message_deleted", "message_id": message.message_id }), About::Nothing)
    }

    /// Up to `limit` messages from the cursor, newest first; `None` if the cursor names no
    /// message of this room.
    pub fn page(&self, cursor: Cursor<'_>, limit: u32) -> Result<Option<Page>, ApiError> {
        let fetch = i64::from(limit) + 1;
        let mut messages: Vec<MessageRow> = match cursor {
            Cursor::Latest => self.rows("SELECT * FROM messages ORDER BY seq DESC LIMIT ?", vec![fetch.into()])?,
            Cursor::Before(id) | Cursor::After(id) => {
                let Some(from) = self.message(id)? else { return Ok(None) };
                let (query, seq) = if matches!(cursor, Cursor::Before(_)) {
                    ("SELECT * FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?", from.seq)
                } else {
                    // Oldest first, so that a poller misses none; turned newest first below.
                    ("SELECT * FROM messages WHERE seq > ? ORDER BY seq ASC LIMIT ?", from.seq)
                };
                self.rows(query, vec![seq.into(), fetch.into()])?
            }
        };
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        let more_before = match cursor {
            Cursor::Latest | Cursor::Before(_) => more,
            Cursor::After(_) => {
                messages.reverse();
                // The cursor's own message is older than any of these.
                !messages.is_empty()
            }
        };
        Ok(Some(Page { messages, more_before }))
    }

    /// Up to `limit` event frames after `after`, in order, each with its seq (and its message
    /// as it is now), in one query; and the seq of the last.
    pub fn events_after(&self, after: i64, limit: i64) -> Result<(Vec<String>, i64), ApiError> {
        #[derive(Deserialize)]
        struct EventRow {
            event_seq: i64,
            body: String,
            seq: Option<i64>,
            message_id: Option<String>,
            user_id: Option<String>,
            text: Option<String>,
            sent_at: Option<i64>,
            edited_at: Option<i64>,
        }
        let rows: Vec<EventRow> = self.rows(sql::EVENTS_AFTER, vec![after.into(), limit.into()])?;
        let last = rows.last().map_or(after, |row| row.event_seq);
        let frames = rows
            .into_iter()
            .map(|row| {
                let message = match (row.seq, row.message_id) {
                    (Some(seq), Some(message_id)) => Some(MessageRow {
                        seq,
                        message_id,
                        user_id: row.user_id,
                        text: row.text,
                        sent_at: row.sent_at,
                        edited_at: row.edited_at,
                    }),
                    _ => None,
                };
                let body: Map<String, Value> = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
                Ok(numbered(row.event_seq, body, message.as_ref()))
            })
            .collect::<Result<_, ApiError>>()?;
        Ok((frames, last))
    }

    /// The `txn_id` a user sent before, if it posted a message still remembered.
    pub fn sent_before(&self, user_id: &str, txn_id: &str) -> Result<Option<MessageRow>, ApiError> {
        #[derive(Deserialize)]
        struct Txn {
            message_seq: i64,
        }
        let txn = self.rows::<Txn>(
            "SELECT message_seq FROM txns WHERE user_id = ? AND txn_id = ?",
            vec![user_id.into(), txn_id.into()],
        )?;
        match txn.first() {
            Some(txn) => self.message_at(txn.message_seq),
            None => Ok(None),
        }
    }

    pub fn remember_txn(&self, user_id: &str, txn_id: &str, message_seq: i64, now: i64) -> Result<(), ApiError> {
        self.run(
            "INSERT OR REPLACE INTO txns (user_id, txn_id, message_seq, at) VALUES (?, ?, ?, ?)",
            vec![user_id.into(), txn_id.into(), message_seq.into(), now.into()],
        )
    }

    /// Counts a write of the user's against its kind's ceiling: `Err(seconds)` to wait when it
    /// is reached (nothing counted), else counted.
    pub fn count_write(
        &self,
        kind: WriteKind,
        user_id: &str,
        now: i64,
        limit: &WriteLimit,
    ) -> Result<Result<(), u64>, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            window_start: i64,
            count: i64,
        }
        let row = self.rows::<Row>(
            "SELECT window_start, count FROM write_counts WHERE user_id = ? AND kind = ?",
            vec![user_id.into(), kind.name().into()],
        )?;
        let counter = row.first().map(|row| Counter { count: row.count, window_start: row.window_start });
        if let Err(wait) = limit.check(counter, now) {
            return Ok(Err(wait));
        }
        let (start, count) = match counter {
            Some(counter) if counter.window_start > now - limit.window_millis => (counter.window_start, counter.count),
            _ => (now, 0),
        };
        self.run(
            "INSERT OR REPLACE INTO write_counts (user_id, kind, window_start, count) VALUES (?, ?, ?, ?)",
            vec![user_id.into(), kind.name().into(), start.into(), (count + 1).into()],
        )?;
        Ok(Ok(()))
    }

    /// Keeps a ticket, and forgets the expired ones.
    pub fn add_ticket(
        &self,
        ticket_hash: &str,
        user_id: &str,
        key_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), ApiError> {
        self.run("DELETE FROM tickets WHERE expires_at <= ?", vec![now.into()])?;
        self.run(
            "INSERT INTO tickets (ticket_hash, user_id, key_hash, expires_at) VALUES (?, ?, ?, ?)",
            vec![ticket_hash.into(), user_id.into(), key_hash.into(), expires_at.into()],
        )
    }

    /// The ticket's user and key, if it is unused and unexpired; used up either way.
    pub fn redeem_ticket(&self, ticket_hash: &str, now: i64) -> Result<Option<(String, String)>, ApiError> {
        #[derive(Deserialize)]
        struct Ticket {
            user_id: String,
            key_hash: String,
            expires_at: i64,
        }
        let ticket = self.rows::<Ticket>(
            "SELECT user_id, key_hash, expires_at FROM tickets WHERE ticket_hash = ?",
            vec![ticket_hash.into()],
        )?;
        self.run("DELETE FROM tickets WHERE ticket_hash = ?", vec![ticket_hash.into()])?;
        Ok(ticket.into_iter().find(|ticket| ticket.expires_at > now).map(|ticket| (ticket.user_id, ticket.key_hash)))
    }

    /// What the room was told of this key and user, and of itself, in one query.
    pub fn told(&self, key_hash: Option<&str>, user_id: Option<&str>) -> Result<Told, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            key_ended: i64,
            banned: i64,
            departed: i64,
            open: Option<i64>,
        }
        let row = self.rows::<Row>(
            "SELECT EXISTS (SELECT 1 FROM ended_keys WHERE key_hash = ?) AS key_ended,
                    EXISTS (SELECT 1 FROM banned WHERE user_id = ?) AS banned,
                    EXISTS (SELECT 1 FROM departed WHERE user_id = ?) AS departed,
                    (SELECT value FROM facts WHERE name = 'open') AS open",
            vec![key_hash.into(), user_id.into(), user_id.into()],
        )?;
        let row = row.first().ok_or_else(|| ApiError::internal("room storage: told answered no row"))?;
        Ok(Told {
            key_ended: row.key_ended != 0,
            banned: row.banned != 0,
            departed: row.departed != 0,
            open: row.open.map(|open| open != 0),
        })
    }

    /// Whether the user's last membership event here is `member_left`.
    pub fn departed(&self, user_id: &str) -> Result<bool, ApiError> {
        Ok(self.told(None, Some(user_id))?.departed)
    }

    /// Records a `member_joined` (`departed` false) or `member_left` of the user.
    pub fn set_departed(&self, user_id: &str, departed: bool) -> Result<(), ApiError> {
        self.set_listed(UserList::Departed, user_id, departed)
    }

    pub fn set_banned(&self, user_id: &str, banned: bool) -> Result<(), ApiError> {
        self.set_listed(UserList::Banned, user_id, banned)
    }

    fn set_listed(&self, list: UserList, user_id: &str, listed: bool) -> Result<(), ApiError> {
        let (add, remove) = match list {
            UserList::Departed => {
                ("INSERT OR IGNORE INTO departed (user_id) VALUES (?)", "DELETE FROM departed WHERE user_id = ?")
            }
            UserList::Banned => {
                ("INSERT OR IGNORE INTO banned (user_id) VALUES (?)", "DELETE FROM banned WHERE user_id = ?")
            }
        };
        self.run(if listed { add } else { remove }, vec![user_id.into()])
    }

    /// Remembers that the key ended (and forgets keys that ended longer ago than any session
    /// lives); its tickets are void.
    pub fn end_key(&self, key_hash: &str, now: i64) -> Result<(), ApiError> {
        self.run("DELETE FROM ended_keys WHERE at < ?", vec![(now - ENDED_KEY_MILLIS).into()])?;
        self.run("INSERT OR REPLACE INTO ended_keys (key_hash, at) VALUES (?, ?)", vec![key_hash.into(), now.into()])?;
        self.run("DELETE FROM tickets WHERE key_hash = ?", vec![key_hash.into()])
    }

    /// Whether the room is open, as an event said (`settled`), or as a connect found it in D1
    /// (kept only while no event has said).
    pub fn set_open(&self, open: bool, settled: bool) -> Result<(), ApiError> {
        let query = if settled {
            "INSERT OR REPLACE INTO facts (name, value) VALUES ('open', ?)"
        } else {
            "INSERT OR IGNORE INTO facts (name, value) VALUES ('open', ?)"
        };
        self.run(query, vec![i64::from(open).into()])
    }

    pub fn drop_tickets_of_user(&self, user_id: &str) -> Result<(), ApiError> {
        self.run("DELETE FROM tickets WHERE user_id = ?", vec![user_id.into()])
    }

    /// The highest outbox id applied.
    pub fn applied(&self) -> Result<i64, ApiError> {
        self.number("SELECT value AS n FROM applied WHERE name = 'outbox'", vec![])
    }

    pub fn set_applied(&self, id: i64) -> Result<(), ApiError> {
        self.run("INSERT OR REPLACE INTO applied (name, value) VALUES ('outbox', ?)", vec![id.into()])
    }
}

/// An event's frame: its body with its seq, and its message if it has one.
pub fn numbered(seq: i64, mut body: Map<String, Value>, message: Option<&MessageRow>) -> String {
    body.insert("seq".into(), seq.into());
    if let Some(message) = message {
        body.insert("message".into(), message.to_json());
    }
    Value::Object(body).to_string()
}
