//! A room object's own SQLite storage, typed: its messages, its numbered events, the `txn_id`s of
//! socket sends, the write ceilings' counters, tickets, the outbox ids it applied, and what it
//! was told of the room and its people (ended keys, bans, departures, whether it is open, and,
//! once it is deleted, only that). Every statement is in `sql`, listed in `sql::ALL`, whose
//! query plans `tests/history_sql.rs` checks as `tests/query_plans.rs` checks D1's.
//!
//! Every call here is synchronous. What must be written together (an event and the outbox id
//! it applies) is written inside one storage transaction (`object::atomically`).

use std::cell::Cell;

use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue};

use super::frames::{Event, MessageView};
use crate::auth::session::KeyHash;
use crate::domain::limits::{Counter, WriteKind, WriteLimit};
use crate::domain::time::rfc3339;
use crate::domain::{MessageId, UserId};
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

/// Every statement of a room's storage, by name.
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
    pub const PRUNE_TXNS: &str = "DELETE FROM txns WHERE at < ?";
    pub const INSERT_MESSAGE: &str =
        "INSERT INTO messages (seq, message_id, user_id, text, sent_at) VALUES (?, ?, ?, ?, ?)";
    pub const MESSAGE_BY_ID: &str = "SELECT * FROM messages WHERE message_id = ?";
    pub const MESSAGE_AT: &str = "SELECT * FROM messages WHERE seq = ?";
    pub const EDIT_MESSAGE: &str = "UPDATE messages SET text = ?, edited_at = ? WHERE seq = ?";
    /// A deleted message keeps its id and seq, and nothing else.
    pub const DELETE_MESSAGE: &str =
        "UPDATE messages SET user_id = NULL, text = NULL, sent_at = NULL, edited_at = NULL WHERE seq = ?";
    /// (`seq > 0`: every seq is; it makes the plan a search of the key, read from its end.)
    pub const LATEST_MESSAGES: &str = "SELECT * FROM messages WHERE seq > 0 ORDER BY seq DESC LIMIT ?";
    pub const MESSAGES_BEFORE: &str = "SELECT * FROM messages WHERE seq < ? ORDER BY seq DESC LIMIT ?";
    /// Oldest first, so that a poller misses none.
    pub const MESSAGES_AFTER: &str = "SELECT * FROM messages WHERE seq > ? ORDER BY seq ASC LIMIT ?";
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
    pub const HAS_TABLE: &str = "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?";
    pub const BURY: &str = "INSERT INTO gone (at) VALUES (?)";

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
        ("ADD_BANNED", ADD_BANNED),
        ("REMOVE_BANNED", REMOVE_BANNED),
        ("FORGET_ENDED_KEYS", FORGET_ENDED_KEYS),
        ("END_KEY", END_KEY),
        ("SET_OPEN", SET_OPEN),
        ("KNOW_OPEN", KNOW_OPEN),
        ("APPLIED", APPLIED),
        ("SET_APPLIED", SET_APPLIED),
        ("HAS_TABLE", HAS_TABLE),
        ("BURY", BURY),
    ];
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
    // `body` is the event (`frames::Event`) without its seq and its message, which
    // `message_seq` names, so that a replay shows a message as it is now.
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
    "CREATE INDEX IF NOT EXISTS tickets_by_expiry ON tickets (expires_at)",
    "CREATE INDEX IF NOT EXISTS tickets_by_key ON tickets (key_hash)",
    "CREATE INDEX IF NOT EXISTS tickets_by_user ON tickets (user_id)",
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
pub const TOMBSTONE: &str = "CREATE TABLE IF NOT EXISTS gone (at INTEGER NOT NULL)";

/// What the room was told of one socket's key and user, and of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

    pub fn is_by(&self, user_id: &UserId) -> bool {
        self.user_id.as_deref().is_some_and(|author| author == user_id.to_string())
    }

    /// The message as history and frames show it.
    pub fn view(&self) -> Result<MessageView, ApiError> {
        let message_id = MessageId::parse(&self.message_id).map_err(|_| corrupt("message_id", &self.message_id))?;
        Ok(match (&self.user_id, &self.text, self.sent_at) {
            (Some(user_id), Some(text), Some(sent_at)) => MessageView::Written {
                message_id,
                seq: self.seq,
                user_id: UserId::parse(user_id).map_err(|_| corrupt("user_id", user_id))?,
                text: text.clone(),
                sent_at: rfc3339(sent_at),
                edited_at: self.edited_at.map(rfc3339),
            },
            _ => MessageView::Deleted { message_id, seq: self.seq, deleted: true },
        })
    }
}

fn corrupt(field: &str, value: &str) -> ApiError {
    ApiError::internal(format!("room storage: {field} {value:?} is not an id"))
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    Latest,
    Before(MessageId),
    After(MessageId),
}

/// A page of history, newest first, and whether older messages exist.
pub struct Messages {
    pub messages: Vec<MessageRow>,
    pub more_before: bool,
}

/// The room's storage, and its latest seq once read: `append` is the only writer of events, and
/// the object runs one call at a time, so the copy stays exact while the object lives.
pub struct History(SqlStorage, Cell<Option<i64>>);

fn storage_error(error: worker::Error) -> ApiError {
    ApiError::internal(format!("room storage: {error}"))
}

#[derive(Deserialize)]
struct Number {
    n: Option<i64>,
}

fn number(sql: &SqlStorage, query: &str, args: Vec<SqlStorageValue>) -> Result<i64, ApiError> {
    let rows: Vec<Number> = sql.exec(query, args).and_then(|cursor| cursor.to_array()).map_err(storage_error)?;
    Ok(rows.first().and_then(|row| row.n).unwrap_or(0))
}

fn has_table(sql: &SqlStorage, name: &str) -> Result<bool, ApiError> {
    Ok(number(sql, sql::HAS_TABLE, vec![name.into()])? > 0)
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
        sql.exec(sql::BURY, vec![now.into()]).map(drop).map_err(storage_error)
    }

    fn rows<T: for<'de> Deserialize<'de>>(&self, query: &str, args: Vec<SqlStorageValue>) -> Result<Vec<T>, ApiError> {
        self.0.exec(query, args).and_then(|cursor| cursor.to_array()).map_err(storage_error)
    }

    fn run(&self, query: &str, args: Vec<SqlStorageValue>) -> Result<(), ApiError> {
        self.0.exec(query, args).map(drop).map_err(storage_error)
    }

    fn number(&self, query: &str, args: Vec<SqlStorageValue>) -> Result<i64, ApiError> {
        number(&self.0, query, args)
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

    /// Appends an event, numbered after the latest, about the message at `message_seq` (`None`
    /// for none; the event's own seq for the message it posts); its seq.
    fn append(&self, now: i64, event: &Event, message_seq: Option<i64>) -> Result<i64, ApiError> {
        let seq = self.latest_seq()? + 1;
        let body = serde_json::to_string(event).map_err(ApiError::internal)?;
        self.run(sql::APPEND_EVENT, vec![seq.into(), now.into(), body.into(), message_seq.into()])?;
        self.1.set(Some(seq));
        if seq % 100 == 0 {
            self.prune(now)?;
        }
        Ok(seq)
    }

    /// Appends an event about no message (a change D1 committed); its seq.
    pub fn record(&self, now: i64, event: &Event) -> Result<i64, ApiError> {
        self.append(now, event, None)
    }

    /// Forgets the events that are both beyond the latest `KEPT_EVENTS` and older than
    /// `KEPT_MILLIS`, and the `txn_id`s older than `TXN_MILLIS`.
    fn prune(&self, now: i64) -> Result<(), ApiError> {
        let (seq, at) = prune_bounds(self.latest_seq()?, now);
        self.run(sql::PRUNE_EVENTS, vec![seq.into(), at.into()])?;
        self.run(sql::PRUNE_TXNS, vec![(now - TXN_MILLIS).into()])
    }

    /// Posts a message as the event after the latest; the message's row.
    pub fn post(&self, message_id: &MessageId, user_id: &UserId, text: &str, now: i64) -> Result<MessageRow, ApiError> {
        let seq = self.latest_seq()? + 1;
        self.append(now, &Event::Message, Some(seq))?;
        let (message_id, user_id) = (message_id.to_string(), user_id.to_string());
        let args = vec![seq.into(), message_id.as_str().into(), user_id.as_str().into(), text.into(), now.into()];
        self.run(sql::INSERT_MESSAGE, args)?;
        Ok(MessageRow {
            seq,
            message_id,
            user_id: Some(user_id),
            text: Some(text.to_owned()),
            sent_at: Some(now),
            edited_at: None,
        })
    }

    pub fn message(&self, message_id: &MessageId) -> Result<Option<MessageRow>, ApiError> {
        Ok(self.rows(sql::MESSAGE_BY_ID, vec![message_id.to_string().into()])?.into_iter().next())
    }

    fn message_at(&self, seq: i64) -> Result<Option<MessageRow>, ApiError> {
        Ok(self.rows(sql::MESSAGE_AT, vec![seq.into()])?.into_iter().next())
    }

    /// Edits a message's text, and appends `message_edited`; its seq and the message.
    pub fn edit(&self, message: &MessageRow, text: &str, now: i64) -> Result<(i64, MessageRow), ApiError> {
        self.run(sql::EDIT_MESSAGE, vec![text.into(), now.into(), message.seq.into()])?;
        let seq = self.append(now, &Event::MessageEdited, Some(message.seq))?;
        let edited = MessageRow { text: Some(text.to_owned()), edited_at: Some(now), ..message.clone() };
        Ok((seq, edited))
    }

    /// Deletes a message's author, text and times, and appends `message_deleted`; its seq and
    /// the event.
    pub fn delete(&self, message: &MessageRow, now: i64) -> Result<(i64, Event), ApiError> {
        self.run(sql::DELETE_MESSAGE, vec![message.seq.into()])?;
        let message_id =
            MessageId::parse(&message.message_id).map_err(|_| corrupt("message_id", &message.message_id))?;
        let event = Event::MessageDeleted { message_id };
        Ok((self.append(now, &event, None)?, event))
    }

    /// Up to `limit` messages from the cursor, newest first; `None` if the cursor names no
    /// message of this room.
    pub fn page(&self, cursor: Cursor, limit: u32) -> Result<Option<Messages>, ApiError> {
        let fetch = i64::from(limit) + 1;
        let mut messages: Vec<MessageRow> = match cursor {
            Cursor::Latest => self.rows(sql::LATEST_MESSAGES, vec![fetch.into()])?,
            Cursor::Before(id) | Cursor::After(id) => {
                let Some(from) = self.message(&id)? else { return Ok(None) };
                let query =
                    if matches!(cursor, Cursor::Before(_)) { sql::MESSAGES_BEFORE } else { sql::MESSAGES_AFTER };
                self.rows(query, vec![from.seq.into(), fetch.into()])?
            }
        };
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        let more_before = match cursor {
            Cursor::Latest | Cursor::Before(_) => more,
            Cursor::After(_) => {
                // Read oldest first; shown newest first. The cursor's own message is older
                // than any of these.
                messages.reverse();
                !messages.is_empty()
            }
        };
        Ok(Some(Messages { messages, more_before }))
    }

    /// Up to `limit` events after `after`, in order, each with its seq and its message as it
    /// is now, in one query; and the seq of the last.
    pub fn events_after(&self, after: i64, limit: i64) -> Result<(Vec<Stored>, i64), ApiError> {
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
        let events = rows
            .into_iter()
            .map(|row| {
                let message = match (row.seq, row.message_id) {
                    (Some(seq), Some(message_id)) => Some(
                        MessageRow {
                            seq,
                            message_id,
                            user_id: row.user_id,
                            text: row.text,
                            sent_at: row.sent_at,
                            edited_at: row.edited_at,
                        }
                        .view()?,
                    ),
                    _ => None,
                };
                let event: Event = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
                Ok(Stored { seq: row.event_seq, event, message })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok((events, last))
    }

    /// The `txn_id` a user sent before, if it posted a message still remembered.
    pub fn sent_before(&self, user_id: &UserId, txn_id: &str) -> Result<Option<MessageRow>, ApiError> {
        #[derive(Deserialize)]
        struct Txn {
            message_seq: i64,
        }
        let txn = self.rows::<Txn>(sql::TXN, vec![user_id.to_string().into(), txn_id.into()])?;
        match txn.first() {
            Some(txn) => self.message_at(txn.message_seq),
            None => Ok(None),
        }
    }

    pub fn remember_txn(&self, user_id: &UserId, txn_id: &str, message_seq: i64, now: i64) -> Result<(), ApiError> {
        self.run(sql::REMEMBER_TXN, vec![user_id.to_string().into(), txn_id.into(), message_seq.into(), now.into()])
    }

    /// Counts a write of the user's against its kind's ceiling: `Err(seconds)` to wait when it
    /// is reached (nothing counted), else counted.
    pub fn count_write(
        &self,
        kind: WriteKind,
        user_id: &UserId,
        now: i64,
        limit: &WriteLimit,
    ) -> Result<Result<(), u64>, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            window_start: i64,
            count: i64,
        }
        let user_id = user_id.to_string();
        let row = self.rows::<Row>(sql::WRITE_COUNT, vec![user_id.as_str().into(), kind.name().into()])?;
        let counter = row.first().map(|row| Counter { count: row.count, window_start: row.window_start });
        if let Err(wait) = limit.check(counter, now) {
            return Ok(Err(wait));
        }
        let (start, count) = match counter {
            Some(counter) if counter.window_start > now - limit.window_millis => (counter.window_start, counter.count),
            _ => (now, 0),
        };
        let args = vec![user_id.as_str().into(), kind.name().into(), start.into(), (count + 1).into()];
        self.run(sql::COUNT_WRITE, args)?;
        Ok(Ok(()))
    }

    /// Keeps a ticket, and forgets the expired ones.
    pub fn add_ticket(
        &self,
        ticket_hash: &KeyHash,
        user_id: &UserId,
        key_hash: &KeyHash,
        expires_at: i64,
        now: i64,
    ) -> Result<(), ApiError> {
        self.run(sql::FORGET_EXPIRED_TICKETS, vec![now.into()])?;
        let args =
            vec![ticket_hash.as_str().into(), user_id.to_string().into(), key_hash.as_str().into(), expires_at.into()];
        self.run(sql::ADD_TICKET, args)
    }

    /// The ticket's user and key, if it is unused and unexpired; used up either way.
    pub fn redeem_ticket(&self, ticket_hash: &KeyHash, now: i64) -> Result<Option<(UserId, KeyHash)>, ApiError> {
        #[derive(Deserialize)]
        struct Ticket {
            user_id: String,
            key_hash: String,
            expires_at: i64,
        }
        let ticket = self.rows::<Ticket>(sql::TICKET, vec![ticket_hash.as_str().into()])?;
        self.run(sql::USE_TICKET, vec![ticket_hash.as_str().into()])?;
        let Some(ticket) = ticket.into_iter().find(|ticket| ticket.expires_at > now) else { return Ok(None) };
        let user_id = UserId::parse(&ticket.user_id).map_err(|_| corrupt("user_id", &ticket.user_id))?;
        let key_hash = KeyHash::stored(&ticket.key_hash).ok_or_else(|| corrupt("key_hash", &ticket.key_hash))?;
        Ok(Some((user_id, key_hash)))
    }

    /// What the room was told of this key and user, and of itself, in one query.
    pub fn told(&self, key_hash: Option<&KeyHash>, user_id: Option<&UserId>) -> Result<Told, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            key_ended: i64,
            banned: i64,
            departed: i64,
            open: Option<i64>,
        }
        let user_id = user_id.map(UserId::to_string);
        let args = vec![key_hash.map(KeyHash::as_str).into(), user_id.as_deref().into(), user_id.as_deref().into()];
        let row = self.rows::<Row>(sql::TOLD, args)?;
        let row = row.first().ok_or_else(|| ApiError::internal("room storage: told answered no row"))?;
        Ok(Told {
            key_ended: row.key_ended != 0,
            banned: row.banned != 0,
            departed: row.departed != 0,
            open: row.open.map(|open| open != 0),
        })
    }

    /// Whether the user's last membership event here is `member_left`.
    pub fn departed(&self, user_id: &UserId) -> Result<bool, ApiError> {
        Ok(self.told(None, Some(user_id))?.departed)
    }

    /// Records a `member_joined` (`departed` false) or `member_left` of the user.
    pub fn set_departed(&self, user_id: &UserId, departed: bool) -> Result<(), ApiError> {
        let query = if departed { sql::ADD_DEPARTED } else { sql::REMOVE_DEPARTED };
        self.run(query, vec![user_id.to_string().into()])
    }

    pub fn set_banned(&self, user_id: &UserId, banned: bool) -> Result<(), ApiError> {
        let query = if banned { sql::ADD_BANNED } else { sql::REMOVE_BANNED };
        self.run(query, vec![user_id.to_string().into()])
    }

    /// Remembers that the key ended (and forgets keys that ended longer ago than any session
    /// lives); its tickets are void.
    pub fn end_key(&self, key_hash: &KeyHash, now: i64) -> Result<(), ApiError> {
        self.run(sql::FORGET_ENDED_KEYS, vec![(now - ENDED_KEY_MILLIS).into()])?;
        self.run(sql::END_KEY, vec![key_hash.as_str().into(), now.into()])?;
        self.run(sql::DROP_TICKETS_OF_KEY, vec![key_hash.as_str().into()])
    }

    /// Whether the room is open, as an event said (`settled`), or as a connect found it in D1
    /// (kept only while no event has said).
    pub fn set_open(&self, open: bool, settled: bool) -> Result<(), ApiError> {
        self.run(if settled { sql::SET_OPEN } else { sql::KNOW_OPEN }, vec![i64::from(open).into()])
    }

    pub fn drop_tickets_of_user(&self, user_id: &UserId) -> Result<(), ApiError> {
        self.run(sql::DROP_TICKETS_OF_USER, vec![user_id.to_string().into()])
    }

    /// The highest outbox id applied.
    pub fn applied(&self) -> Result<i64, ApiError> {
        self.number(sql::APPLIED, vec![])
    }

    pub fn set_applied(&self, id: i64) -> Result<(), ApiError> {
        self.run(sql::SET_APPLIED, vec![id.into()])
    }
}

/// A kept event: its seq, and its message as it is now, if it has one.
pub struct Stored {
    pub seq: i64,
    pub event: Event,
    pub message: Option<MessageView>,
}
