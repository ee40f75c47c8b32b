//! What a room's object tells D1 for its members' unread counts (`Tally`), flushed in one batch
//! at most every few seconds: posting a message writes nothing to D1 (migrations/0014).

use serde::Serialize;

use worker::wasm_bindgen::JsValue;

use super::super::{int, sql, text, Batch, Db};
use crate::error::ApiError;

/// A member's read position as D1 keeps it: `[user_id, read_seq, read_ordinal,
/// marked_unread]`, the ordinal being that of the last message at or before `read_seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadTally(pub String, pub i64, pub i64, pub i64);

/// The room's side of its members' counts, as its object has it now, and what changed since
/// D1 was last told: read positions that moved and messages deleted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    /// The latest message's seq (0 for none), and when it was posted (ms).
    pub last_seq: i64,
    pub last_message_at: Option<i64>,
    /// How many messages the room has had, deleted ones included.
    pub message_count: i64,
    /// Where a member from before read positions were kept reads from, and its ordinal.
    pub reads_since_seq: i64,
    pub reads_since_ordinal: i64,
    pub reads: Vec<ReadTally>,
    pub deletions: Vec<i64>,
}

fn json(value: &impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

/// Tells D1 the room's tally, in one batch: one round trip however many positions moved.
pub async fn flush_counts(db: &Db, room_id: &str, tally: &Tally) -> Result<(), ApiError> {
    let room = text(room_id);
    let mut batch = Batch::new(db);
    batch.write(db.prepare(
        sql::FLUSH_ROOM,
        &[
            room.clone(),
            int(tally.last_seq),
            tally.last_message_at.map_or(JsValue::NULL, int),
            int(tally.message_count),
            int(tally.reads_since_seq),
            int(tally.reads_since_ordinal),
        ],
    )?);
    if !tally.reads.is_empty() {
        batch.write(db.prepare(sql::FLUSH_READS, &[room.clone(), text(&json(&tally.reads)?)])?);
    }
    if !tally.deletions.is_empty() {
        batch.write(db.prepare(sql::FLUSH_DELETIONS, &[room, text(&json(&tally.deletions)?)])?);
    }
    batch.run().await.map(drop)
}
