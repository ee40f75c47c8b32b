//! What the people's inboxes (`crate::inbox`) keep in D1: who has one open, their rooms list
//! for `hello`, and whether their sockets' keys are still live.

use serde::Deserialize;

use super::directory::{MyRooms, RoomOrder};
use super::{int, sql, text, Batch, Caller, Db};
use crate::clock::now_millis;
use crate::domain::UserId;
use crate::error::ApiError;

/// Lists the user's inbox open since `since` and reads their rooms, the latest message first
/// (at most `limit`), as the rooms list shows them, in one round trip.
pub async fn open(db: &Db, user_id: &UserId, since: i64, limit: u32) -> Result<Vec<serde_json::Value>, ApiError> {
    let user = text(&user_id.to_string());
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::INBOX_OPEN, &[user.clone(), int(since)])?);
    let rooms =
        batch.read::<MyRooms>(db.prepare(RoomOrder::Activity.statement(), &[user, int(i64::from(limit)), int(0)])?);
    let results = batch.run().await?;
    match results.first(&rooms)? {
        Some(page) => {
            serde_json::from_str(&page.rooms).map_err(|error| ApiError::internal(format!("rooms list: {error}")))
        }
        None => Ok(Vec::new()),
    }
}

/// The user's inbox has no socket left (unless one opened after `since`).
pub async fn closed(db: &Db, user_id: &UserId, since: i64) -> Result<(), ApiError> {
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::INBOX_CLOSED, &[text(&user_id.to_string()), int(since)])?);
    batch.run().await.map(drop)
}

/// Which of the keys (hashes) are still live.
pub async fn live_keys(db: &Db, keys: &[String]) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        key_hash: String,
    }
    let keys = serde_json::to_string(keys).map_err(ApiError::internal)?;
    let mut batch = Batch::new(db);
    let rows = batch.read::<Row>(db.prepare(sql::LIVE_SESSIONS, &[text(&keys), int(now_millis())])?);
    let results = batch.run().await?;
    Ok(results.rows(&rows)?.into_iter().map(|row| row.key_hash).collect())
}

/// When the caller's session ends, read in a batch guarded by their key being live.
pub async fn session_expiry(db: &Db, caller: &Caller) -> Result<Option<i64>, ApiError> {
    #[derive(Deserialize)]
    struct Expiry {
        expires_at: i64,
    }
    let mut batch = Batch::of_caller(db, Some(caller))?;
    let expiry = batch.read::<Expiry>(db.prepare(sql::SESSION_EXPIRY, &[text(caller.key.as_str())])?);
    let results = batch.run().await?;
    Ok(results.first(&expiry)?.map(|row| row.expires_at))
}
