//! Blocks: whom each person keeps away from them.

use serde::{Deserialize, Serialize};

use super::outbox::{Outbox, Since};
use super::{int, page_and_count, sql, text, Batch, Caller, CountRow, Db};
use crate::domain::{Page, UserId};
use crate::error::ApiError;

/// A person blocked, as the blocker's list shows them.
#[derive(Debug, Deserialize, Serialize)]
pub struct Blocked {
    pub user_id: String,
    pub username: String,
    pub handle: Option<String>,
    /// When they were blocked (milliseconds since the epoch).
    pub at: i64,
}

/// Blocks (`block`) or unblocks `other` for the caller, in one transaction guarded by the
/// caller's key; 404 if `other` does not exist. Their DM, if they have one, is told whether
/// `other` may post in it now: the events to hand over.
pub async fn set(db: &Db, caller: &Caller, other: &UserId, block: bool, now: i64) -> Result<Outbox, ApiError> {
    let (me, other) = (text(&caller.user_id.to_string()), text(&other.to_string()));
    let mut batch = Batch::of_caller(db, Some(caller))?;
    let since = Since::read(db, &mut batch)?;
    if block {
        batch.write(db.prepare(sql::BLOCK, &[me.clone(), other.clone(), int(now)])?);
    } else {
        batch.write(db.prepare(sql::UNBLOCK, &[me.clone(), other.clone()])?);
    }
    batch.write(db.prepare(sql::QUEUE_PAIR_VOICES, &[me.clone(), other.clone()])?);
    batch.write(db.prepare(sql::TELL_PAIR_VOICES, &[me, other.clone()])?);
    let known = batch.read::<CountRow>(db.prepare(sql::USER_EXISTS, &[other])?);
    let touched = since.touched(db, &mut batch)?;
    let results = batch.run().await?;
    match results.first(&known)? {
        Some(CountRow { count: 1.. }) => touched.outbox(&results),
        _ => Err(ApiError::NotFound("user not found")),
    }
}

/// One page of the people the caller blocked, newest first, and how many there are.
pub async fn list(db: &Db, caller: &Caller, page: Page) -> Result<(Vec<Blocked>, i64), ApiError> {
    let statements = (sql::BLOCKS_PAGE, sql::BLOCK_COUNT);
    let (blocked, count) = page_and_count(db, caller, statements, &caller.user_id.to_string(), page).await?;
    Ok((blocked, count.unwrap_or(0)))
}
