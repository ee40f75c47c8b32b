//! Rooms, memberships and bans. Counters (`user_count`, `admin_count`, `ban_count`) are kept
//! by triggers in the schema, inside the statement that changes what they count, so they
//! cannot drift whatever code path writes.
//!
//! Every write is one batch, so one round trip and one transaction: it reads the room as it
//! stands (which the handler uses to decide and to explain), then runs statements guarded by
//! the same rules as `domain::Situation::check`, written in SQL (`sql.rs`) so that the rules
//! hold at the very moment of the write. Parameters: `?1` the room, `?2` the caller, `?3` the
//! target, then the statement's own.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

use super::{batch_rows, flag, int, optional_text, sql, text, Db, Results};
use crate::domain::{search_form, search_grams, Page, Role, RoomId, RoomName, Situation, Standing, UserId};
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
        args.truncate(sql::highest_parameter(sql));
        db.prepare(sql, &args)
    }

    pub(super) fn room_statement(&self, db: &Db) -> Result<D1PreparedStatement, ApiError> {
        self.statement(db, sql::ROOM, &[])
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
    pub(super) fn room_at(&self, results: &Results, index: usize) -> Result<Option<Room>, ApiError> {
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

/// The pieces of a room's name the directory searches by, as a JSON array for `json_each`.
fn grams_json(name: &RoomName) -> Result<String, ApiError> {
    serde_json::to_string(&search_grams(&search_form(name.as_str()))).map_err(ApiError::internal)
}

pub async fn find(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    Ok(db.first::<RoomRow>(lookup.room_statement(db)?).await?.map(|row| lookup.room(row)))
}

/// Creates the room with its owner as first member and admin, in one transaction; `false`
/// (and nothing written) if the owner's account no longer exists.
pub async fn create(db: &Db, room_id: &RoomId, name: &RoomName, open: bool, owner: &UserId, now: i64) -> Result<bool, ApiError> {
    let room_id = room_id.as_string();
    let owner = owner.as_string();
    let statements = vec![
        db.prepare(
            sql::INSERT_ROOM,
            &[text(&room_id), text(name.as_str()), text(&search_form(name.as_str())), flag(open), text(&owner), int(now)],
        )?,
        db.prepare(sql::INSERT_ROOM_GRAMS, &[text(&room_id), text(&grams_json(name)?)])?,
        db.prepare(sql::INSERT_OWNER, &[text(&room_id), text(&owner), int(now)])?,
        db.prepare(sql::ROOM_EXISTS, &[text(&room_id)])?,
    ];
    let results = db.batch(statements).await?;
    #[derive(Deserialize)]
    struct Created {
        created: i64,
    }
    Ok(batch_rows::<Created>(&results, 3)?.first().is_some_and(|row| row.created != 0))
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
            Self::Members => sql::MEMBERS_PAGE,
            Self::Admins => sql::ADMINS_PAGE,
            Self::Bans => sql::BANS_PAGE,
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
    lookup.write(db, vec![lookup.statement(db, sql::ADD_MEMBER, &[int(now)])?]).await
}

/// The target leaves (target = caller) or is removed.
pub async fn remove(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    lookup.write(db, vec![lookup.statement(db, sql::REMOVE_MEMBER, &[])?]).await
}

/// Bans the target, then removes them if present.
pub async fn ban(db: &Db, lookup: Lookup<'_>, now: i64) -> Result<Option<Room>, ApiError> {
    let ban = lookup.statement(db, sql::INSERT_BAN, &[int(now)])?;
    lookup.write(db, vec![ban, lookup.statement(db, sql::REMOVE_BANNED, &[])?]).await
}

pub async fn unban(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    lookup.write(db, vec![lookup.statement(db, sql::DELETE_BAN, &[])?]).await
}

/// Makes a present member an admin (the owner's call).
pub async fn promote(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    lookup.write(db, vec![lookup.statement(db, sql::PROMOTE, &[])?]).await
}

/// Takes admin from the target: the owner demoting an admin, or an admin stepping down.
pub async fn demote(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    lookup.write(db, vec![lookup.statement(db, sql::DEMOTE, &[])?]).await
}

/// Hands the room to a present member, who becomes an admin too; the old owner stays admin.
pub async fn transfer(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    let promote = lookup.statement(db, sql::PROMOTE, &[])?;
    lookup.write(db, vec![promote, lookup.statement(db, sql::HAND_OVER, &[])?]).await
}

/// Renames, opens or closes the room (an admin's call); returns the room before and after.
pub async fn update(
    db: &Db,
    lookup: Lookup<'_>,
    name: Option<&RoomName>,
    open: Option<bool>,
) -> Result<Option<(Room, Room)>, ApiError> {
    let search = name.map(|name| search_form(name.as_str()));
    let grams = name.map(grams_json).transpose()?;
    let extra = [
        optional_text(name.map(RoomName::as_str)),
        optional_text(search.as_deref()),
        open.map_or(JsValue::NULL, flag),
        optional_text(grams.as_deref()),
    ];
    let mut statements = vec![lookup.room_statement(db)?, lookup.statement(db, sql::UPDATE_ROOM, &extra)?];
    if name.is_some() {
        statements.push(lookup.statement(db, sql::DELETE_RENAMED_GRAMS, &extra)?);
        statements.push(lookup.statement(db, sql::INSERT_RENAMED_GRAMS, &extra)?);
    }
    statements.push(lookup.room_statement(db)?);
    let after = statements.len() - 1;
    let results = db.batch(statements).await?;
    Ok(lookup.room_at(&results, 0)?.zip(lookup.room_at(&results, after)?))
}

/// Deletes the room with its memberships, bans and messages (the owner's call).
pub async fn delete(db: &Db, lookup: Lookup<'_>) -> Result<Option<Room>, ApiError> {
    lookup.write(db, vec![lookup.statement(db, sql::DELETE_ROOM, &[])?]).await
}
