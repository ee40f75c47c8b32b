//! Rooms and their memberships. The counters `user_count` and `admin_count` on a room are kept
//! by triggers in the schema, inside the same statement as the membership change, so they
//! cannot drift whatever code path writes.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use super::{batch_rows, flag, int, optional_text, text, Db};
use crate::domain::{Page, Role, RoomAccess, RoomId, RoomName, UserId};
use crate::error::ApiError;

/// A room as one request sees it: its fields, and the standing of the caller and of the
/// user the request is about (if any) in it.
#[derive(Debug, Clone)]
pub struct Room {
    pub open: bool,
    pub name: String,
    pub user_count: i64,
    pub admin_count: i64,
    pub owner: String,
    pub caller: Role,
    pub target: Role,
}

impl Room {
    pub fn access(&self) -> RoomAccess {
        RoomAccess { open: self.open, caller: self.caller }
    }
}

#[derive(Deserialize)]
struct RoomRow {
    open: i64,
    name: String,
    user_count: i64,
    admin_count: i64,
    owner: String,
    caller_present: Option<i64>,
    caller_admin: Option<i64>,
    target_present: Option<i64>,
    target_admin: Option<i64>,
}

/// The room with the caller's (`?2`) and the target's (`?3`) memberships; either may be NULL.
const ROOM: &str = "SELECT r.open, r.name, r.user_count, r.admin_count, r.owner_id AS owner,
       c.present AS caller_present, c.admin AS caller_admin,
       t.present AS target_present, t.admin AS target_admin
  FROM rooms AS r
  LEFT JOIN members AS c ON c.room_id = r.room_id AND c.user_id = ?2
  LEFT JOIN members AS t ON t.room_id = r.room_id AND t.user_id = ?3
 WHERE r.room_id = ?1";

/// Who is asking, and about whom.
#[derive(Clone, Copy)]
pub struct Lookup<'a> {
    pub room_id: &'a RoomId,
    pub caller: Option<&'a UserId>,
    pub target: Option<&'a UserId>,
}

impl Lookup<'_> {
    fn args(&self) -> [JsValue; 3] {
        let caller = self.caller.map(UserId::as_string);
        let target = self.target.map(UserId::as_string);
        [text(&self.room_id.as_string()), optional_text(caller.as_deref()), optional_text(target.as_deref())]
    }

    fn statement(&self, db: &Db) -> Result<worker::D1PreparedStatement, ApiError> {
        db.prepare(ROOM, &self.args())
    }

    fn room(&self, row: RoomRow) -> Room {
        let role = |user: Option<&UserId>, present: Option<i64>, admin: Option<i64>| {
            let owner = user.is_some_and(|user| user.as_string() == row.owner);
            Role::from_membership(present.map(|present| present != 0), admin.unwrap_or(0) != 0, owner)
        };
        Room {
            caller: role(self.caller, row.caller_present, row.caller_admin),
            target: role(self.target, row.target_present, row.target_admin),
            open: row.open != 0,
            name: row.name,
            user_count: row.user_count,
            admin_count: row.admin_count,
            owner: row.owner,
        }
    }

    /// The room statement's result at position `index` of a batch.
    fn room_at(&self, results: &[worker::D1Result], index: usize) -> Result<Option<Room>, ApiError> {
        Ok(batch_rows::<RoomRow>(results, index)?.into_iter().next().map(|row| self.room(row)))
    }
}

pub async fn create(db: &Db, room_id: &RoomId, name: &RoomName, open: bool, owner: &UserId, now: i64) -> Result<(), ApiError> {
    let room_id = room_id.as_string();
    let owner = owner.as_string();
    let insert_room = db.prepare(
        "INSERT INTO rooms (room_id, name, open, owner_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        &[text(&room_id), text(name.as_str()), flag(open), text(&owner), int(now)],
    )?;
    let insert_owner = db.prepare(
        "INSERT INTO members (room_id, user_id, joined_at, present, admin) VALUES (?1, ?2, ?3, 1, 1)",
        &[text(&room_id), text(&owner), int(now)],
    )?;
    db.batch(vec![insert_room, insert_owner]).await?;
    Ok(())
}

pub async fn find(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    Ok(db.first::<RoomRow>(lookup.statement(db)?).await?.map(|row| lookup.room(row)))
}

/// Which users a page lists.
#[derive(Debug, Clone, Copy)]
pub enum Listing {
    /// Present members, in join order.
    Members,
    /// Admins (the owner among them), in join order.
    Admins,
}

#[derive(Deserialize)]
struct UserIdRow {
    user_id: String,
}

/// The room and one page of its members or admins, in one round trip.
pub async fn page(db: &Db, lookup: Lookup<'_>, listing: Listing, page: Page) -> Result<Option<(Room, Vec<String>)>, ApiError> {
    // The conditions repeat the partial indexes' own, so that SQLite uses them.
    let sql = match listing {
        Listing::Members => {
            "SELECT user_id FROM members WHERE room_id = ?1 AND present = 1
              ORDER BY joined_at, user_id LIMIT ?2 OFFSET ?3"
        }
        Listing::Admins => {
            "SELECT user_id FROM members WHERE room_id = ?1 AND admin = 1
              ORDER BY joined_at, user_id LIMIT ?2 OFFSET ?3"
        }
    };
    let page_statement = db.prepare(
        sql,
        &[text(&lookup.room_id.as_string()), int(i64::from(page.limit)), int(i64::from(page.offset))],
    )?;
    let results = db.batch(vec![lookup.statement(db)?, page_statement]).await?;
    let Some(room) = lookup.room_at(&results, 0)? else {
        return Ok(None);
    };
    let users = batch_rows::<UserIdRow>(&results, 1)?.into_iter().map(|row| row.user_id).collect();
    Ok(Some((room, users)))
}

/// Makes the caller a present member if the room is open (a rejoin moves them to the end of
/// the join order), then reads the room back, in one transaction.
pub async fn join(db: &Db, room_id: &RoomId, user_id: &UserId, now: i64) -> Result<Option<Room>, ApiError> {
    let join = db.prepare(
        "INSERT INTO members (room_id, user_id, joined_at, present, admin)
         SELECT room_id, ?2, ?3, 1, 0 FROM rooms WHERE room_id = ?1 AND open = 1
         ON CONFLICT (room_id, user_id) DO UPDATE SET present = 1, joined_at = excluded.joined_at
          WHERE members.present = 0",
        &[text(&room_id.as_string()), text(&user_id.as_string()), int(now)],
    )?;
    let lookup = Lookup { room_id, caller: Some(user_id), target: None };
    let results = db.batch(vec![join, lookup.statement(db)?]).await?;
    lookup.room_at(&results, 1)
}

/// Reads the room as it was, then marks the user as no longer present unless they own it,
/// in one transaction. The caller decides from the room as it was whether that was allowed;
/// the statement's own guard keeps the owner in whatever the caller decided.
pub async fn leave(db: &Db, room_id: &RoomId, user_id: &UserId) -> Result<Option<Room>, ApiError> {
    let lookup = Lookup { room_id, caller: Some(user_id), target: Some(user_id) };
    let leave = db.prepare(
        "UPDATE members SET present = 0, admin = 0
          WHERE room_id = ?1 AND user_id = ?2 AND present = 1
            AND user_id <> (SELECT owner_id FROM rooms WHERE room_id = ?1)",
        &[text(&room_id.as_string()), text(&user_id.as_string())],
    )?;
    let results = db.batch(vec![lookup.statement(db)?, leave]).await?;
    lookup.room_at(&results, 0)
}
