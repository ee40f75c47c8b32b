//! The bytes each user may upload in a day (`FILE_BYTES_PER_DAY`, migrations/0018): an upload
//! reserves its size before its bytes go to R2, in one statement that refuses it past the
//! ceiling, and gives it back if they never arrive.

use serde::Deserialize;

use super::{int, sql, text, Batch, Db};
use crate::domain::limits::WriteLimit;
use crate::domain::UserId;
use crate::error::ApiError;

/// Bytes reserved in the day that began at `window_start`.
#[derive(Debug, Clone, Copy)]
pub struct Reserved {
    pub window_start: i64,
    pub bytes: u64,
}

#[derive(Deserialize)]
struct WindowRow {
    window_start: i64,
}

/// Reserves `bytes` for `user` at `now` within `max` a day: the reservation, or the seconds
/// until the day ends (at least 1) if the day holds no room for it.
pub async fn reserve(
    db: &Db,
    user: &UserId,
    bytes: u64,
    max: u64,
    now: i64,
) -> Result<Result<Reserved, u64>, ApiError> {
    let size = i64::try_from(bytes).map_err(ApiError::internal)?;
    let max = i64::try_from(max).unwrap_or(i64::MAX);
    let user = text(&user.to_string());
    let mut batch = Batch::new(db);
    let args = [user.clone(), int(now), int(size), int(WriteLimit::DAY), int(max)];
    let reserved = batch.read::<WindowRow>(db.prepare(sql::RESERVE_FILE_BYTES, &args)?);
    let day = batch.read::<WindowRow>(db.prepare(sql::FILE_BYTES, &[user])?);
    let results = batch.run().await?;
    if let Some(row) = results.first(&reserved)? {
        return Ok(Ok(Reserved { window_start: row.window_start, bytes }));
    }
    let ends = results.first(&day)?.map_or(now + WriteLimit::DAY, |row| row.window_start + WriteLimit::DAY);
    Ok(Err(u64::try_from((ends - now + 999) / 1000).unwrap_or(1).max(1)))
}

/// The upload failed: its bytes go back to the day it reserved them in.
pub async fn release(db: &Db, user: &UserId, reserved: Reserved) -> Result<(), ApiError> {
    let size = i64::try_from(reserved.bytes).map_err(ApiError::internal)?;
    let args = [text(&user.to_string()), int(reserved.window_start), int(size)];
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::RELEASE_FILE_BYTES, &args)?);
    batch.run().await.map(drop)
}
