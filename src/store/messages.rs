//! Messages: posting, and reading a room's history a page at a time.

use serde::de::IgnoredAny;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use super::limits::Counted;
use super::rooms::{Room, RoomQuery, Written};
use super::{int, sql, text, Db};
use crate::domain::limits::{Limits, WriteKind};
use crate::domain::{MessageId, MessageText};
use crate::error::ApiError;

#[derive(Debug, Clone, Deserialize)]
pub struct MessageRow {
    pub message_id: String,
    pub user_id: String,
    pub text: String,
    pub sent_at: i64,
}

/// Posts as the caller if they are a present member under their ceiling of posts, numbering
/// the message after the room's latest.
pub async fn post(
    db: &Db,
    query: RoomQuery<'_>,
    message_id: &MessageId,
    text_: &MessageText,
    now: i64,
    limits: &Limits,
) -> Result<Written, ApiError> {
    let Some(caller) = query.caller_id() else { return Err(ApiError::INVALID_KEY) };
    let counted = Counted::new(WriteKind::Post, limits, caller, now);
    let [now, window, max] = counted.guard();
    let extra = [text(&message_id.to_string()), text(text_.as_str()), now, window, max];
    query.counted_write(db, sql::POST_MESSAGE, &extra, &counted).await
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy)]
pub enum Cursor<'a> {
    /// The newest messages.
    Latest,
    /// The messages just older than this one.
    Before(&'a MessageId),
    /// The messages just newer than this one.
    After(&'a MessageId),
}

/// One page of history, newest first.
pub struct History {
    pub room: Room,
    /// False when the cursor names no message of this room.
    pub cursor_found: bool,
    pub messages: Vec<MessageRow>,
    /// Whether older messages than the page's oldest exist.
    pub more_before: bool,
}

/// The room, and up to `limit` messages from the cursor, in one round trip. One extra row is
/// read to learn whether there is more.
pub async fn page(db: &Db, query: RoomQuery<'_>, cursor: Cursor<'_>, limit: u32) -> Result<Option<History>, ApiError> {
    let (cursor_id, sql) = match cursor {
        Cursor::Latest => (JsValue::NULL, sql::LATEST_MESSAGES),
        Cursor::Before(id) => (text(&id.to_string()), sql::MESSAGES_BEFORE),
        // Oldest first, so that a poller misses none; turned newest first below.
        Cursor::After(id) => (text(&id.to_string()), sql::MESSAGES_AFTER),
    };
    let extra = [cursor_id, int(i64::from(limit) + 1)];
    let mut batch = query.batch(db)?;
    let room = query.read_room(db, &mut batch)?;
    let cursor_row = batch.read::<IgnoredAny>(query.statement(db, sql::MESSAGE_CURSOR, &extra)?);
    let messages = batch.read::<MessageRow>(query.statement(db, sql, &extra)?);
    let results = batch.run().await?;
    let Some(room) = query.room(&results, &room)? else {
        return Ok(None);
    };
    let cursor_found = matches!(cursor, Cursor::Latest) || results.first(&cursor_row)?.is_some();
    let mut messages = results.rows(&messages)?;
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
    Ok(Some(History { room, cursor_found, messages, more_before }))
}
