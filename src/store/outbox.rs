//! The outbox of events for the rooms' objects: every change that D1 commits queues its event
//! in the change's own transaction (`sql::QUEUE_...`), and the batch reads the room's pending
//! events last, so that the request can hand them to the object at once. What the object has
//! applied is deleted; what it has not stays queued for the next change of the room or the
//! scheduled retry.

use super::{int, sql, text, Batch, Db, Rows};
use crate::error::ApiError;
use crate::live::Pending;

/// Events read per batch, and per scheduled retry.
pub const CHUNK: i64 = 200;

/// The room's pending events, read last in `batch`.
pub(super) fn read_room(db: &Db, batch: &mut Batch<'_>, room_id: &str) -> Result<Rows<Pending>, ApiError> {
    Ok(batch.read(db.prepare(sql::ROOM_OUTBOX, &[text(room_id), int(CHUNK)])?))
}

/// Every room's pending events, read last in `batch`: for changes that reach many rooms.
pub(super) fn read_all(db: &Db, batch: &mut Batch<'_>) -> Result<Rows<Pending>, ApiError> {
    Ok(batch.read(db.prepare(sql::OUTBOX, &[int(CHUNK)])?))
}

/// The oldest pending events of every room (the scheduled retry's work).
pub async fn oldest(db: &Db) -> Result<Vec<Pending>, ApiError> {
    let mut batch = Batch::new(db);
    let pending = read_all(db, &mut batch)?;
    batch.run().await?.rows(&pending)
}

/// The room's object has applied every event up to `id`.
pub async fn applied(db: &Db, room_id: &str, id: i64) -> Result<(), ApiError> {
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::OUTBOX_APPLIED, &[text(room_id), int(id)])?);
    batch.run().await.map(drop)
}
