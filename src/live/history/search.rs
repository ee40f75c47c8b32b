//! Searching a room's messages: through the index for 3 characters or more; a shorter query by
//! reading the messages themselves, at most `SCAN_REACH` of them per search, newest first.

use serde::Deserialize;

use super::{sql, History, MessageRow};
use crate::domain::MessageSearch;
use crate::error::ApiError;

/// The most messages a search too short for the index reads: its page's `next` carries on from
/// the oldest it read, so that every search does bounded work and paging still reaches the
/// room's first message.
pub const SCAN_REACH: i64 = 5_000;
/// Messages read at a time while scanning.
const SCAN_CHUNK: i64 = 500;

/// A page of what a search found, newest first, and the id of the message to search before
/// for the page after it (none: nothing more to find).
pub struct Found {
    pub messages: Vec<MessageRow>,
    pub next: Option<String>,
}

impl History {
    /// Up to `limit` messages older than `before` (a seq; none: from the newest) whose current
    /// text holds the query.
    pub fn search(&self, search: &MessageSearch, before: Option<i64>, limit: u32) -> Result<Found, ApiError> {
        let before = before.unwrap_or(i64::MAX);
        let limit = limit as usize;
        if limit == 0 {
            return Ok(Found { messages: Vec::new(), next: None });
        }
        if search.indexed() {
            let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
            let mut messages: Vec<MessageRow> =
                self.rows(sql::SEARCH, vec![search.phrase().into(), before.into(), fetch.into()])?;
            let more = messages.len() > limit;
            messages.truncate(limit);
            let next = messages.last().filter(|_| more).map(|message| message.message_id.clone());
            return Ok(Found { messages, next });
        }
        self.scan(search, before, limit)
    }

    /// A query too short for the index, looked for in up to `SCAN_REACH` messages.
    fn scan(&self, search: &MessageSearch, before: i64, limit: usize) -> Result<Found, ApiError> {
        #[derive(Deserialize)]
        struct Text {
            seq: i64,
            message_id: String,
            text: String,
        }
        let (mut found, mut read) = (Vec::new(), 0);
        let (mut cursor, mut oldest_read) = (before, None);
        let mut exhausted = false;
        'reading: while read < SCAN_REACH {
            let chunk = SCAN_CHUNK.min(SCAN_REACH - read);
            let texts: Vec<Text> = self.rows(sql::TEXTS_BEFORE, vec![cursor.into(), chunk.into()])?;
            exhausted = (texts.len() as i64) < chunk;
            for text in texts {
                read += 1;
                cursor = text.seq;
                if search.found_in(&text.text) {
                    found.push((text.seq, text.message_id.clone()));
                    if found.len() > limit {
                        break 'reading;
                    }
                }
                oldest_read = Some(text.message_id);
            }
            if exhausted {
                break;
            }
        }
        let next = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|(_, message_id)| message_id.clone())
        } else if exhausted {
            None
        } else {
            // The reach is spent: the next page reads on from the oldest message read.
            oldest_read
        };
        let seqs: Vec<i64> = found.iter().map(|(seq, _)| *seq).collect();
        let messages = if seqs.is_empty() {
            Vec::new()
        } else {
            let seqs = serde_json::to_string(&seqs).map_err(ApiError::internal)?;
            self.rows(sql::MESSAGES_AT, vec![seqs.into()])?
        };
        Ok(Found { messages, next })
    }
}
