//! The ceilings on each user's writes (`domain::limits`), enforced inside the write's own
//! batch: the author's counter is read first, the write's guard refuses it at the ceiling
//! (`sql`), and the kind's count statement counts it once it happened; all one transaction,
//! so concurrent writes are counted exactly and nothing costs a round trip of its own.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use super::{int, sql, text, Batch, Db, Results, Rows};
use crate::domain::limits::{Counter, Limits, WriteKind, WriteLimit};
use crate::domain::UserId;
use crate::error::ApiError;

/// A ceiling no count reaches (the largest integer JavaScript numbers hold exactly): the
/// guard of a limit that is off.
pub(super) const NO_CEILING: i64 = (1 << 53) - 1;

#[derive(Deserialize)]
pub(super) struct CounterRow {
    count: i64,
    window_start: i64,
}

/// One write of `kind` by `author` at `now`, counted against its limit (if it has one).
pub(super) struct Counted {
    kind: WriteKind,
    limit: Option<WriteLimit>,
    author: String,
    now: i64,
}

impl Counted {
    pub fn new(kind: WriteKind, limits: &Limits, author: &UserId, now: i64) -> Self {
        Self { kind, limit: limits.of(kind), author: author.to_string(), now }
    }

    /// What the write's guard takes: now, the window and the ceiling.
    pub fn guard(&self) -> [JsValue; 3] {
        let (window, max) = self.limit.map_or((0, NO_CEILING), |limit| (limit.window_millis, i64::from(limit.max)));
        [int(self.now), int(window), int(max)]
    }

    /// The statement that counts the write once it happened; none when the kind has no limit,
    /// and none for posts, edits and reactions, which the room's object counts (`live::history`).
    pub fn count_sql(&self) -> Option<&'static str> {
        self.limit?;
        match self.kind {
            WriteKind::Post | WriteKind::Edit | WriteKind::Reaction => None,
            WriteKind::RoomCreation => Some(sql::COUNT_ROOM_CREATION),
            WriteKind::Rename => Some(sql::COUNT_RENAME),
            WriteKind::Invite => Some(sql::COUNT_INVITE),
            WriteKind::Dm => Some(sql::COUNT_DM),
        }
    }

    /// Reads the author's counter within `batch`, before the write.
    pub fn read(&self, db: &Db, batch: &mut Batch<'_>) -> Result<Option<Rows<CounterRow>>, ApiError> {
        if self.limit.is_none() {
            return Ok(None);
        }
        Ok(Some(batch.read(db.prepare(sql::WRITE_COUNT, &[text(&self.author), text(self.kind.name())])?)))
    }

    /// Whether the counter as read let the write go ahead; else the 429 that says when to
    /// come back. The write's guard decided the same in the same transaction.
    pub fn verdict(&self, results: &Results, rows: Option<&Rows<CounterRow>>) -> Result<Limited, ApiError> {
        let (Some(limit), Some(rows)) = (self.limit, rows) else { return Ok(Limited(None)) };
        let counter = results.first(rows)?.map(|row| Counter { count: row.count, window_start: row.window_start });
        Ok(Limited(
            limit
                .check(counter, self.now)
                .err()
                .map(|retry_after| ApiError::TooManyRequests { message: self.kind.refusal(), retry_after }),
        ))
    }
}

/// Whether a write was held back by its author's ceiling: the 429 to answer if so.
#[must_use]
pub struct Limited(Option<ApiError>);

impl Limited {
    pub const NOT: Self = Self(None);

    pub fn explain(self) -> Result<(), ApiError> {
        self.0.map_or(Ok(()), Err)
    }
}
