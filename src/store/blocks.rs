//! Blocks: whom each person keeps away from them.

use serde::{Deserialize, Serialize};

use super::{int, sql, text, Batch, Caller, CountRow, Db};
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
/// caller's key; 404 if `other` does not exist.
pub async fn set(db: &Db, caller: &Caller, other: &UserId, block: bool, now: i64) -> Result<(), ApiError> {
    let (me, other) = (text(&caller.user_id.to_string()), text(&other.to_string()));
    let mut batch = Batch::of_caller(db, Some(caller))?;
    if block {
        batch.write(db.prepare(sql::BLOCK, &[me, other.clone(), int(now)])?);
    } else {
        batch.write(db.prepare(sql::UNBLOCK, &[me, other.clone()])?);
    }
    let known = batch.read::<CountRow>(db.prepare(sql::USER_EXISTS, &[other])?);
    let results = batch.run().await?;
    match results.first(&known)? {
        Some(CountRow { count: 1.. }) => Ok(()),
        _ => Err(ApiError::NotFound("user not found")),
    }
}

/// One page of the people the caller blocked, newest first, and how many there are.
pub async fn list(db: &Db, caller: &Caller, page: Page) -> Result<(Vec<Blocked>, i64), ApiError> {
    let me = text(&caller.user_id.to_string());
    let mut batch = Batch::of_caller(db, Some(caller))?;
    let (limit, offset) = (int(i64::from(page.limit)), int(i64::from(page.offset)));
    let blocked = batch.read::<Blocked>(db.prepare(sql::BLOCKS_PAGE, &[me.clone(), limit, offset])?);
    let count = batch.read::<CountRow>(db.prepare(sql::BLOCK_COUNT, &[me])?);
    let results = batch.run().await?;
    Ok((results.rows(&blocked)?, results.first(&count)?.map_or(0, |row| row.count)))
}
