//! The outbox of events for the rooms' objects: every change that D1 commits queues its event
//! in the change's own transaction (`sql::QUEUE_...`), and the batch reads the pending events
//! of the rooms it touched last, so that the request can hand them to the objects at once.
//! What an object has applied is deleted; what it has not stays queued, room by room, for the
//! relay (`crate::relay`), so that no room waits behind another.

use serde::Deserialize;

use super::{int, sql, text, Batch, Db, Rows};
use crate::domain::RoomId;
use crate::error::ApiError;

/// One outbox row: an event D1 committed (its JSON, as the room reads it: `live::frames::Change`),
/// not yet known to have reached the room's object.
#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub id: i64,
    pub room_id: String,
    pub event: String,
}

/// Events of one room handed over in one call.
pub const CHUNK: i64 = 200;

/// The newest outbox ids a batch that touches many rooms looks among for the rooms it touched.
pub const RECENT: i64 = 500;

/// The room's pending events, read last in `batch`.
pub(super) fn read_room(db: &Db, batch: &mut Batch<'_>, room_id: &str) -> Result<Rows<Row>, ApiError> {
    Ok(batch.read(db.prepare(sql::ROOM_OUTBOX, &[text(room_id), int(CHUNK)])?))
}

#[derive(Deserialize)]
pub(super) struct Newest {
    id: i64,
}

/// The outbox's newest id, read first in a batch that may queue events for many rooms.
pub(super) struct Since(Rows<Newest>);

/// The pending events of the rooms such a batch touched: `Since`, and the events read last.
pub(super) struct Touched {
    since: Rows<Newest>,
    recent: Rows<Row>,
}

impl Since {
    pub fn read(db: &Db, batch: &mut Batch<'_>) -> Result<Self, ApiError> {
        Ok(Self(batch.read(db.prepare(sql::OUTBOX_NEWEST, &[])?)))
    }

    /// Read last in the batch.
    pub fn touched(self, db: &Db, batch: &mut Batch<'_>) -> Result<Touched, ApiError> {
        let recent = batch.read(db.prepare(sql::RECENT_ROOMS_OUTBOX, &[int(RECENT), int(CHUNK)])?);
        Ok(Touched { since: self.0, recent })
    }
}

impl Touched {
    /// The pending events of every room the batch queued an event for, among the newest
    /// `RECENT` ids; if it queued beyond them, where the relay is to look for the rest.
    pub fn outbox(&self, results: &super::Results) -> Result<Outbox, ApiError> {
        let since = results.first(&self.since)?.map_or(0, |row| row.id);
        let recent = results.rows(&self.recent)?;
        let touched: std::collections::BTreeSet<String> =
            recent.iter().filter(|event| event.id > since).map(|event| event.room_id.clone()).collect();
        let newest = recent.iter().map(|event| event.id).max().unwrap_or(since);
        let events = recent.into_iter().filter(|event| touched.contains(&event.room_id)).collect();
        Ok(Outbox { events, beyond: (newest - since >= RECENT).then_some(since) })
    }
}

/// Row events to hand over, and, if the batch queued more than were read, the outbox id
/// above which the relay is to look for the rest.
#[derive(Debug, Default)]
pub struct Outbox {
    pub events: Vec<Row>,
    pub beyond: Option<i64>,
}

/// The pending events (the first `CHUNK` of each) of these rooms.
pub async fn of_rooms(db: &Db, room_ids: &[String]) -> Result<Vec<Row>, ApiError> {
    let rooms = serde_json::to_string(room_ids).map_err(ApiError::internal)?;
    let mut batch = Batch::new(db);
    let pending = batch.read(db.prepare(sql::ROOMS_OUTBOX, &[text(&rooms), int(CHUNK)])?);
    batch.run().await?.rows(&pending)
}

/// One room with events pending, by an id of one of them.
#[derive(Debug, Clone, Deserialize)]
pub struct RowRoom {
    pub id: i64,
    pub room_id: String,
}

/// A page of the outbox after id `after`: rooms with events pending.
pub async fn page(db: &Db, after: i64, limit: i64) -> Result<Vec<RowRoom>, ApiError> {
    let mut batch = Batch::new(db);
    let rooms = batch.read(db.prepare(sql::OUTBOX_PAGE, &[int(after), int(limit)])?);
    batch.run().await?.rows(&rooms)
}

/// The rooms' objects have applied their events up to these ids.
pub async fn applied(db: &Db, applied: &[(RoomId, i64)]) -> Result<(), ApiError> {
    if applied.is_empty() {
        return Ok(());
    }
    let pairs = serde_json::to_string(applied).map_err(ApiError::internal)?;
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::OUTBOX_APPLIED, &[text(&pairs)])?);
    batch.run().await.map(drop)
}
