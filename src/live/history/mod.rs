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

use super::frames::Event;
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

mod fans;
mod files;
mod messages;
mod people;
mod reactions;
mod reads;
mod search;
pub mod sql;
mod tally;
pub mod tickets;

pub use fans::FanRow;
pub use messages::{Cursor, MessageRow, Messages, Stored};
pub use reactions::Reacted;
pub use reads::ReadPosition;
pub use search::{Found, SCAN_REACH};
pub use tally::Marked;

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

pub use sql::{SCHEMA, TOMBSTONE};

/// A write counted against its ceiling, or not: the ceiling was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceiling {
    Counted,
    /// Seconds to wait.
    Reached {
        retry_after: u64,
    },
}

/// What the room was told of one socket's key and user, and of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Told {
    pub key_ended: bool,
    pub banned: bool,
    pub departed: bool,
    /// `None` until an event or a connect said.
    pub open: Option<bool>,
}

/// What the room was told of an author of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Author {
    /// Their last membership event here is `member_left`.
    pub departed: bool,
    /// In a DM, the other person declined, left or blocked them.
    pub muted: bool,
}

/// The room's storage, its latest seq once read (`append` is the only writer of events, and
/// the object runs one call at a time, so the copy stays exact while the object lives), and
/// whether anything D1 counts by changed since the object last asked (`take_changed`).
pub struct History(SqlStorage, Cell<Option<i64>>, Cell<bool>);

/// Storage that holds what no write of ours could have written.
pub(super) fn corrupt(field: &str, value: &str) -> ApiError {
    ApiError::internal(format!("room storage: {field} {value:?} is not an id"))
}

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
        let indexed = has_table(&sql, "search")?;
        for statement in SCHEMA {
            sql.exec(statement, None).map_err(storage_error)?;
        }
        if !indexed {
            sql.exec(sql::INDEX_EXISTING, None).map_err(storage_error)?;
        }
        if number(&sql, sql::HAS_ORDINALS, vec![])? == 0 {
            for statement in sql::NUMBERING {
                sql.exec(statement, None).map_err(storage_error)?;
            }
        }
        if number(&sql, sql::HAS_REPLIES, vec![])? == 0 {
            sql.exec(sql::ADD_REPLY_TO, None).map_err(storage_error)?;
        }
        if number(&sql, sql::HAS_THREADS, vec![])? == 0 {
            sql.exec(sql::ADD_THREAD, None).map_err(storage_error)?;
        }
        if number(&sql, sql::HAS_FOLLOW_SINCE, vec![])? == 0 {
            sql.exec(sql::ADD_FOLLOW_SINCE, None).map_err(storage_error)?;
        }
        sql.exec(sql::MESSAGES_IN_THREAD, None).map_err(storage_error)?;
        Ok(Some(Self(sql, Cell::new(None), Cell::new(false))))
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
}
