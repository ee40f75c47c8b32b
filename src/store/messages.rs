//! Messages: posting, and reading a room's history a page at a time.

use serde::de::IgnoredAny;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use super::rooms::{Lookup, Room};
use super::{batch_rows, int, sql, text, Db};
use crate::domain::{MessageId, MessageText};
use crate::error::ApiError;

#[derive(Debug, Clone, Deserialize)]
pub struct MessageRow {
    pub message_id: String,
    pub user_id: String,
    pub text: String,
    pub sent_at: i64,
}

/// Posts as the caller if they are a present member, numbering the message after the room's
/// latest; returns the room as it was, from which the caller tells whether that happened.
pub async fn post(db: &Db, lookup: Lookup<'_>, message_id: &MessageId, text_: &MessageText, now: i64) -> Result<Option<Room>, ApiError> {
    let insert = lookup.statement(
        db,
        sql::POST_MESSAGE,
        &[text(&message_id.as_string()), text(text_.as_str()), int(now)],
    )?;
    let results = db.batch(vec![lookup.room_statement(db)?, insert]).await?;
    lookup.room_at(&results, 0)
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
pub struct Page {
    pub room: Room,
    /// False when the cursor names no message of this room.
    pub cursor_found: bool,
    pub messages: Vec<MessageRow>,
    /// Whether older messages than the page's oldest exist.
    pub more_before: bool,
}

/// The room, and up to `limit` messages from the cursor, in one round trip. One extra row is
/// read to learn whether there is more.
pub async fn page(db: &Db, lookup: Lookup<'_>, cursor: Cursor<'_>, limit: u32) -> Result<Option<Page>, ApiError> {
    let (cursor_id, sql) = match cursor {
        Cursor::Latest => (JsValue::NULL, sql::LATEST_MESSAGES),
        Cursor::Before(id) => (text(&id.as_string()), sql::MESSAGES_BEFORE),
        // Oldest first, so that a poller misses none; turned newest first below.
        Cursor::After(id) => (text(&id.as_string()), sql::MESSAGES_AFTER),
    };
    let extra = [cursor_id, int(i64::from(limit) + 1)];
    let lookup_cursor = lookup.statement(db, sql::MESSAGE_CURSOR, &extra)?;
    let statements = vec![lookup.room_statement(db)?, lookup_cursor, lookup.statement(db, sql, &extra)?];
    let results = db.batch(statements).await?;
    let Some(room) = lookup.room_at(&results, 0)? else {
        return Ok(None);
    };
    let cursor_found = matches!(cursor, Cursor::Latest) || !batch_rows::<IgnoredAny>(&results, 1)?.is_empty();
    let mut messages = batch_rows::<MessageRow>(&results, 2)?;
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
    Ok(Some(Page { room, cursor_found, messages, more_before }))
}
