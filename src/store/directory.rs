//! Lists of rooms: the directory of open rooms, and the rooms a user is in.

use serde::{Deserialize, Serialize};

use super::{batch_rows, int, text, Db};
use crate::domain::{search_form, Page, UserId};
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
}

fn sqlite_bool<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    i64::deserialize(deserializer).map(|value| value != 0)
}

#[derive(Deserialize)]
struct CountRow {
    count: i64,
}

const SUMMARY: &str = "r.room_id, r.name, r.open, r.user_count, r.owner_id AS owner";

/// One page of open rooms, most members first, whose names contain `query` (any case), and
/// how many rooms match in all. Without a query the count is a stored counter.
pub async fn open_rooms(db: &Db, query: Option<&str>, page: Page) -> Result<(Vec<RoomSummary>, i64), ApiError> {
    let paging = [int(i64::from(page.limit)), int(i64::from(page.offset))];
    let statements = match query.map(search_form) {
        Some(needle) => vec![
            db.prepare(
                &format!(
                    "SELECT {SUMMARY} FROM rooms AS r WHERE r.open = 1 AND instr(r.name_search, ?3) > 0
                      ORDER BY r.user_count DESC, r.room_id LIMIT ?1 OFFSET ?2"
                ),
                &[paging[0].clone(), paging[1].clone(), text(&needle)],
            )?,
            db.prepare("SELECT count(*) AS count FROM rooms WHERE open = 1 AND instr(name_search, ?1) > 0", &[text(&needle)])?,
        ],
        None => vec![
            db.prepare(
                &format!(
                    "SELECT {SUMMARY} FROM rooms AS r WHERE r.open = 1
                      ORDER BY r.user_count DESC, r.room_id LIMIT ?1 OFFSET ?2"
                ),
                &paging,
            )?,
            db.prepare("SELECT value AS count FROM counters WHERE name = 'open_rooms'", &[])?,
        ],
    };
    let results = db.batch(statements).await?;
    let rooms = batch_rows::<RoomSummary>(&results, 0)?;
    let count = batch_rows::<CountRow>(&results, 1)?.first().map_or(0, |row| row.count);
    Ok((rooms, count))
}

/// One page of the rooms `user_id` is a present member of, in the order they joined, and
/// how many there are (`None` if the user does not exist).
pub async fn rooms_of(db: &Db, user_id: &UserId, page: Page) -> Result<Option<(Vec<RoomSummary>, i64)>, ApiError> {
    let user_id = user_id.as_string();
    let list = db.prepare(
        &format!(
            "SELECT {SUMMARY} FROM members AS m JOIN rooms AS r ON r.room_id = m.room_id
              WHERE m.user_id = ?1 AND m.present = 1
              ORDER BY m.joined_at, m.room_id LIMIT ?2 OFFSET ?3"
        ),
        &[text(&user_id), int(i64::from(page.limit)), int(i64::from(page.offset))],
    )?;
    let count = db.prepare("SELECT room_count AS count FROM users WHERE user_id = ?1", &[text(&user_id)])?;
    let results = db.batch(vec![list, count]).await?;
    let Some(count) = batch_rows::<CountRow>(&results, 1)?.first().map(|row| row.count) else {
        return Ok(None);
    };
    Ok(Some((batch_rows::<RoomSummary>(&results, 0)?, count)))
}
