//! Lists of rooms: the directory of open rooms, and the rooms a user is in.

use serde::{Deserialize, Serialize};

use super::{int, page_and_count, sql, text, Batch, Caller, CountRow, Db};
use crate::domain::time::rfc3339;
use crate::domain::{dm_people, search_key, Page, RoomKind, SearchKey, UserId};
use crate::error::ApiError;

/// A room as lists show it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RoomSummary {
    pub room_id: String,
    pub name: String,
    #[serde(deserialize_with = "sqlite_bool")]
    pub open: bool,
    pub user_count: i64,
    pub owner: String,
    pub kind: RoomKind,
    /// A DM's two people, its starter first; absent for a room.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "people")]
    pub people: Option<[UserId; 2]>,
}

/// Where a member stands in a room's messages (the README, "Unread, exactly"), as D1 has it
/// from the room's last flush.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Attention {
    /// The latest message's seq (0 for none), and when it was posted.
    pub last_seq: i64,
    #[serde(deserialize_with = "time")]
    pub last_message_at: Option<String>,
    pub read_seq: i64,
    pub unread: i64,
    /// Those unread messages that mention them (not by anyone they blocked).
    pub mentions: i64,
    #[serde(deserialize_with = "sqlite_bool")]
    pub marked_unread: bool,
}

/// A page of the caller's rooms, each with where they stand in its messages, as the JSON array
/// `GET /user/{id}/rooms` shows (`sql::ROOMS_OF_USER`: SQLite writes it).
#[derive(Debug, Deserialize)]
pub struct MyRooms {
    pub rooms: String,
}

/// The order of a user's rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomOrder {
    /// As they joined them.
    Joined,
    /// The latest message first.
    Activity,
}

fn time<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<i64>::deserialize(deserializer)?.map(rfc3339))
}

fn people<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<[UserId; 2]>, D::Error> {
    Ok(dm_people(Option::<String>::deserialize(deserializer)?.as_deref()))
}

fn sqlite_bool<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    i64::deserialize(deserializer).map(|value| value != 0)
}

/// One page of open rooms, most members first, whose names contain `query` (any case), and
/// how many rooms match in all. Without a query the count is a stored counter.
pub async fn open_rooms(db: &Db, query: Option<&str>, page: Page) -> Result<(Vec<RoomSummary>, i64), ApiError> {
    let (limit, offset) = (int(i64::from(page.limit)), int(i64::from(page.offset)));
    let mut batch = Batch::new(db);
    let (rooms, count) = match query.and_then(search_key) {
        Some(SearchKey { first, last, needle }) => (
            batch.read::<RoomSummary>(
                db.prepare(sql::OPEN_ROOMS_NAMED, &[limit, offset, text(&first), text(&needle), text(&last)])?,
            ),
            batch
                .read::<CountRow>(db.prepare(sql::OPEN_ROOM_NAMED_COUNT, &[text(&first), text(&needle), text(&last)])?),
        ),
        None => (
            batch.read::<RoomSummary>(db.prepare(sql::OPEN_ROOMS, &[limit, offset])?),
            batch.read::<CountRow>(db.prepare(sql::OPEN_ROOM_COUNT, &[])?),
        ),
    };
    let results = batch.run().await?;
    Ok((results.rows(&rooms)?, results.first(&count)?.map_or(0, |row| row.count)))
}

/// One page of the rooms the caller's user is a present member of, in `order`, as a JSON array,
/// and how many there are (`None` if the user does not exist), guarded by the caller's key: one
/// round trip.
pub async fn rooms_of(
    db: &Db,
    caller: &Caller,
    page: Page,
    order: RoomOrder,
) -> Result<Option<(String, i64)>, ApiError> {
    let statements = (order.statement(), sql::ROOM_COUNT_OF_USER);
    let (rooms, count) = page_and_count::<MyRooms>(db, caller, statements, &caller.user_id.to_string(), page).await?;
    let rooms = rooms.into_iter().next().map_or_else(|| "[]".to_string(), |page| page.rooms);
    Ok(count.map(|count| (rooms, count)))
}

impl RoomOrder {
    /// The statement that lists a user's rooms in this order.
    pub fn statement(self) -> &'static str {
        match self {
            RoomOrder::Joined => sql::ROOMS_OF_USER,
            RoomOrder::Activity => sql::ROOMS_OF_USER_BY_ACTIVITY,
        }
    }
}
