//! Rooms, memberships and bans. Counters (`user_count`, `admin_count`, `ban_count`) are kept
//! by triggers in the schema, inside the statement that changes what they count, so they
//! cannot drift whatever code path writes.
//!
//! Every write is one batch, so one round trip and one transaction: it reads the room as it
//! stands (which the handler uses to decide and to explain), then runs statements guarded by
//! the same rules as `domain::Situation::check`, written in SQL so that the rules hold at the
//! very moment of the write. Parameters: `?1` the room, `?2` the caller, `?3` the target.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1PreparedStatement, D1Result};

use super::{batch_rows, flag, int, optional_text, text, Db};
use crate::domain::{search_form, Page, Role, RoomId, RoomName, Situation, Standing, UserId};
use crate::error::ApiError;

/// A room as one request sees it.
#[derive(Debug, Clone)]
pub struct Room {
    pub open: bool,
    pub name: String,
    pub user_count: i64,
    pub admin_count: i64,
    pub ban_count: i64,
    pub owner: String,
    pub situation: Situation,
}

#[derive(Deserialize)]
struct RoomRow {
    open: i64,
    name: String,
    user_count: i64,
    admin_count: i64,
    ban_count: i64,
    owner: String,
    caller_present: Option<i64>,
    caller_admin: Option<i64>,
    caller_banned: i64,
    target_present: Option<i64>,
    target_admin: Option<i64>,
    target_banned: i64,
    target_exists: i64,
}

const ROOM: &str = "SELECT r.open, r.name, r.user_count, r.admin_count, r.ban_count, r.owner_id AS owner,
       c.present AS caller_present, c.admin AS caller_admin,
       EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?2) AS caller_banned,
       t.present AS target_present, t.admin AS target_admin,
       EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3) AS target_banned,
       EXISTS (SELECT 1 FROM users WHERE user_id = ?3) AS target_exists
  FROM rooms AS r
  LEFT JOIN members AS c ON c.room_id = r.room_id AND c.user_id = ?2
  LEFT JOIN members AS t ON t.room_id = r.room_id AND t.user_id = ?3
 WHERE r.room_id = ?1";

// The facts the guards are made of.
const CALLER_ADMIN: &str = "EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)";
const CALLER_OWNER: &str = "EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2)";
const TARGET_PRESENT: &str = "EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND present = 1)";
const TARGET_ADMIN: &str = "EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND admin = 1)";
const TARGET_OWNER: &str = "EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?3)";
const TARGET_BANNED: &str = "EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3)";
const TARGET_EXISTS: &str = "EXISTS (SELECT 1 FROM users WHERE user_id = ?3)";

/// Who is asking about which room, and about whom.
#[derive(Clone, Copy)]
pub struct Lookup<'a> {
    pub room_id: &'a RoomId,
    pub caller: Option<&'a UserId>,
    pub target: Option<&'a UserId>,
}

impl<'a> Lookup<'a> {
    pub fn new(room_id: &'a RoomId, caller: Option<&'a UserId>) -> Self {
        Self { room_id, caller, target: None }
    }

    pub fn about(self, target: &'a UserId) -> Self {
        Self { target: Some(target), ..self }
    }

    /// `?1`, `?2`, `?3`, then `extra` as `?4`...
    fn args(&self, extra: &[JsValue]) -> Vec<JsValue> {
        let caller = self.caller.map(UserId::as_string);
        let target = self.target.map(UserId::as_string);
        let mut args = vec![
            text(&self.room_id.as_string()),
            optional_text(caller.as_deref()),
            optional_text(target.as_deref()),
        ];
        args.extend_from_slice(extra);
        args
    }

    /// A statement over the lookup's parameters (and `extra`), binding as many as it uses.
    pub(super) fn statement(&self, db: &Db, sql: &str, extra: &[JsValue]) -> Result<D1PreparedStatement, ApiError> {
        let mut args = self.args(extra);
        args.truncate(highest_parameter(sql));
        db.prepare(sql, &args)
    }

    pub(super) fn room_statement(&self, db: &Db) -> Result<D1PreparedStatement, ApiError> {
        self.statement(db, ROOM, &[])
    }

    fn room(&self, row: RoomRow) -> Room {
        let standing = |user: Option<&UserId>, present: Option<i64>, admin: Option<i64>, banned: i64| Standing {
            role: Role::from_membership(
                present.map(|present| present != 0),
                admin.unwrap_or(0) != 0,
                user.is_some_and(|user| user.as_string() == row.owner),
            ),
            banned: banned != 0,
        };
        let situation = Situation {
            open: row.open != 0,
            caller: standing(self.caller, row.caller_present, row.caller_admin, row.caller_banned),
            target: match self.target {
                Some(target) => standing(Some(target), row.target_present, row.target_admin, row.target_banned),
                None => Standing::STRANGER,
            },
            target_exists: row.target_exists != 0,
            caller_is_target: self.caller.is_some() && self.caller == self.target,
        };
        Room {
            open: row.open != 0,
            name: row.name,
            user_count: row.user_count,
            admin_count: row.admin_count,
            ban_count: row.ban_count,
            owner: row.owner,
            situation,
        }
    }

    /// The room read by statement `index` of a batch.
    pub(super) fn room_at(&self, results: &[D1Result], index: usize) -> Result<Option<Room>, ApiError> {
        Ok(batch_rows::<RoomRow>(results, index)?.into_iter().next().map(|row| self.room(row)))
    }

    /// Runs `writes` after reading the room, in one transaction, and returns the room as it
    /// was before them.
    async fn write(&self, db: &Db, writes: Vec<D1PreparedStatement>) -> Result<Option<Room>, ApiError> {
        let mut statements = vec![self.room_statement(db)?];
        statements.extend(writes);
        let results = db.batch(statements).await?;
        self.room_at(&results, 0)
    }
}

/// The highest `?N` in `sql`: D1 refuses more bound values than the statement has.
fn highest_parameter(sql: &str) -> usize {
    sql.split('?')
        .skip(1)
        .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse::<usize>().ok())
        .max()
        .unwrap_or(0)
}

pub async fn find(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    Ok(db.first::<RoomRow>(lookup.room_statement(db)?).await?.map(|row| lookup.room(row)))
}

pub async fn create(db: &Db, room_id: &RoomId, name: &RoomName, open: bool, owner: &UserId, now: i64) -> Result<(), ApiError> {
    let room_id = room_id.as_string();
    let owner = owner.as_string();
    let insert_room = db.prepare(
        "INSERT INTO rooms (room_id, name, name_search, open, owner_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[text(&room_id), text(name.as_str()), text(&search_form(name.as_str())), flag(open), text(&owner), int(now)],
    )?;
    let insert_owner = db.prepare(
        "INSERT INTO members (room_id, user_id, joined_at, present, admin, position) VALUES (?1, ?2, ?3, 1, 1, 1)",
        &[text(&room_id), text(&owner), int(now)],
    )?;
    db.batch(vec![insert_room, insert_owner]).await?;
    Ok(())
}

/// Which users a page lists.
#[derive(Debug, Clone, Copy)]
pub enum Listing {
    /// Present members, in join order (position: every join or rejoin takes the next).
    Members,
    /// Admins (the owner among them), in join order.
    Admins,
    /// Banned users, in the order they were banned.
    Bans,
}

impl Listing {
    /// How many users the whole list has.
    pub fn count(self, room: &Room) -> i64 {
        match self {
            Self::Members => room.user_count,
            Self::Admins => room.admin_count,
            Self::Bans => room.ban_count,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            // The block holding the offset's member comes from the running sum of the
            // blocks' counts; only the rest of that block is skipped row by row.
            Self::Members => {
                "WITH blocks AS (
                      SELECT block, present, sum(present) OVER (ORDER BY block ROWS UNBOUNDED PRECEDING) AS through
                        FROM member_blocks WHERE room_id = ?1),
                  start AS (
                      SELECT block, ?5 - (through - present) AS skip FROM blocks WHERE through > ?5
                       ORDER BY block LIMIT 1)
                  SELECT user_id FROM members
                   WHERE room_id = ?1 AND present = 1 AND position >= (SELECT block FROM start) << 10
                   ORDER BY position LIMIT ?4 OFFSET coalesce((SELECT skip FROM start), 0)"
            }
            Self::Admins => {
                "SELECT user_id FROM members WHERE room_id = ?1 AND admin = 1
                  ORDER BY position LIMIT ?4 OFFSET ?5"
            }
            Self::Bans => "SELECT user_id FROM bans WHERE room_id = ?1 ORDER BY banned_at, user_id LIMIT ?4 OFFSET ?5",
        }
    }
}

#[derive(Deserialize)]
struct UserIdRow {
    user_id: String,
}

/// The room and one page of a list of its users, in one round trip.
pub async fn page(db: &Db, lookup: Lookup<'_>, listing: Listing, page: Page) -> Result<Option<(Room, Vec<String>)>, ApiError> {
    let page_statement =
        lookup.statement(db, listing.sql(), &[int(i64::from(page.limit)), int(i64::from(page.offset))])?;
    let results = db.batch(vec![lookup.room_statement(db)?, page_statement]).await?;
    let Some(room) = lookup.room_at(&results, 0)? else {
        return Ok(None);
    };
    let users = batch_rows::<UserIdRow>(&results, 1)?.into_iter().map(|row| row.user_id).collect();
    Ok(Some((room, users)))
}

/// Makes the target a present member: the caller joining an open room themself, or an admin
/// adding someone. A rejoin moves them to the end of the join order; a present member stays
/// where they are.
pub async fn add(db: &Db, lookup: Lookup<'_>, now: i64) -> Result<Option<Room>, ApiError> {
    let sql = format!(
        "INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
         SELECT room_id, ?3, ?4, 1, 0, join_seq + 1 FROM rooms
          WHERE room_id = ?1 AND NOT {TARGET_BANNED}
            AND ((?2 = ?3 AND open = 1) OR ({CALLER_ADMIN} AND {TARGET_EXISTS}))
         ON CONFLICT (room_id, user_id) DO UPDATE
            SET present = 1, joined_at = excluded.joined_at, position = excluded.position
          WHERE members.present = 0"
    );
    lookup.write(db, vec![lookup.statement(db, &sql, &[int(now)])?]).await
}

/// The target leaves (target = caller) or is removed.
pub async fn remove(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    let sql = format!(
        "UPDATE members SET present = 0, admin = 0
          WHERE room_id = ?1 AND user_id = ?3 AND present = 1 AND NOT {TARGET_OWNER}
            AND (?2 = ?3 OR {CALLER_OWNER} OR ({CALLER_ADMIN} AND NOT {TARGET_ADMIN}))"
    );
    lookup.write(db, vec![lookup.statement(db, &sql, &[])?]).await
}

/// Bans the target (removing them if present). The ban is written first, guarded; the
/// removal then follows the ban, so it cannot see the target's admin flag already cleared.
pub async fn ban(db: &Db, lookup: Lookup<'_>, now: i64) -> Result<Option<Room>, ApiError> {
    let insert = format!(
        "INSERT INTO bans (room_id, user_id, banned_at)
         SELECT ?1, ?3, ?4
          WHERE ?2 <> ?3 AND {TARGET_EXISTS} AND NOT {TARGET_OWNER}
            AND ({CALLER_OWNER} OR ({CALLER_ADMIN} AND NOT {TARGET_ADMIN}))
         ON CONFLICT (room_id, user_id) DO NOTHING"
    );
    let remove = format!(
        "UPDATE members SET present = 0, admin = 0
          WHERE room_id = ?1 AND user_id = ?3 AND present = 1 AND {TARGET_BANNED}"
    );
    lookup.write(db, vec![lookup.statement(db, &insert, &[int(now)])?, lookup.statement(db, &remove, &[])?]).await
}

pub async fn unban(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    let sql = format!("DELETE FROM bans WHERE room_id = ?1 AND user_id = ?3 AND {CALLER_ADMIN}");
    lookup.write(db, vec![lookup.statement(db, &sql, &[])?]).await
}

/// Makes a present member an admin (the owner's call).
pub async fn promote(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    let sql = format!("UPDATE members SET admin = 1 WHERE room_id = ?1 AND user_id = ?3 AND present = 1 AND {CALLER_OWNER}");
    lookup.write(db, vec![lookup.statement(db, &sql, &[])?]).await
}

/// Takes admin from the target: the owner demoting an admin, or an admin stepping down.
pub async fn demote(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    let sql = format!(
        "UPDATE members SET admin = 0
          WHERE room_id = ?1 AND user_id = ?3 AND NOT {TARGET_OWNER} AND (?2 = ?3 OR {CALLER_OWNER})"
    );
    lookup.write(db, vec![lookup.statement(db, &sql, &[])?]).await
}

/// Hands the room to a present member, who becomes an admin too; the old owner stays admin.
pub async fn transfer(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    let promote = format!("UPDATE members SET admin = 1 WHERE room_id = ?1 AND user_id = ?3 AND present = 1 AND {CALLER_OWNER}");
    let hand_over = format!("UPDATE rooms SET owner_id = ?3 WHERE room_id = ?1 AND owner_id = ?2 AND {TARGET_PRESENT}");
    lookup.write(db, vec![lookup.statement(db, &promote, &[])?, lookup.statement(db, &hand_over, &[])?]).await
}

/// Renames, opens or closes the room (an admin's call); returns the room before and after.
pub async fn update(
    db: &Db,
    lookup: Lookup<'_>,
    name: Option<&RoomName>,
    open: Option<bool>,
) -> Result<Option<(Room, Room)>, ApiError> {
    let sql = format!(
        "UPDATE rooms SET name = coalesce(?4, name), name_search = coalesce(?5, name_search), open = coalesce(?6, open)
          WHERE room_id = ?1 AND {CALLER_ADMIN}"
    );
    let search = name.map(|name| search_form(name.as_str()));
    let extra = [
        optional_text(name.map(RoomName::as_str)),
        optional_text(search.as_deref()),
        open.map_or(JsValue::NULL, flag),
    ];
    let statements = vec![lookup.room_statement(db)?, lookup.statement(db, &sql, &extra)?, lookup.room_statement(db)?];
    let results = db.batch(statements).await?;
    Ok(lookup.room_at(&results, 0)?.zip(lookup.room_at(&results, 2)?))
}

/// Deletes the room with its memberships, bans and messages (the owner's call).
pub async fn delete(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    lookup.write(db, vec![lookup.statement(db, "DELETE FROM rooms WHERE room_id = ?1 AND owner_id = ?2", &[])?]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_parameter_is_found_wherever_it_stands() {
        assert_eq!(highest_parameter("SELECT 1"), 0);
        assert_eq!(highest_parameter("DELETE FROM rooms WHERE room_id = ?1 AND owner_id = ?2"), 2);
        assert_eq!(highest_parameter(ROOM), 3);
        assert_eq!(highest_parameter(Listing::Bans.sql()), 5);
        assert_eq!(highest_parameter("x = ?12 AND y = ?3"), 12);
    }
}
