//! Rooms, memberships and bans. Counters (`user_count`, `admin_count`, `ban_count`) are kept
//! by triggers in the schema, inside the statement that changes what they count, so they
//! cannot drift whatever code path writes.
//!
//! Every write is one batch, so one round trip and one transaction: it reads the room as it
//! stands, then runs statements guarded by the same rules as `domain::Situation::check`,
//! written in SQL (`sql.rs`) so that the rules hold at the very moment of the write; the room
//! as it stood explains the outcome (`Written::explain`).

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use super::limits::{Counted, NO_CEILING};
use super::outbox::Row;
use super::{flag, int, optional_text, outbox, page_and_count, sql, text, Batch, Caller, Db};
use crate::domain::limits::{Limits, WriteKind};
use crate::domain::{search_form, search_grams, Page, RoomId, RoomName, UserId};
use crate::error::ApiError;

mod counts;
mod dms;
mod query;

pub use counts::{
    flush_counts, mentions_of, Listened, Listener, MentionListener, MentionRow, MentionTally, ReadTally, ReplyTally,
    Tally,
};
pub use dms::{open_dm, requests_of, tell_first_message, OpenedDm, RequestRow};
pub use query::{permitted, Room, RoomQuery, Written};

/// The pieces of a room's name the directory searches by, as a JSON array for `json_each`.
fn grams_json(name: &RoomName) -> Result<String, ApiError> {
    serde_json::to_string(&search_grams(&search_form(name.as_str()))).map_err(ApiError::internal)
}

pub async fn find(db: &Db, query: RoomQuery<'_>) -> Result<Option<Room>, ApiError> {
    let mut batch = query.batch(db)?;
    let room = query.read_room(db, &mut batch)?;
    let results = batch.run().await?;
    query.room(&results, &room)
}

/// `find`, and the room's events still queued for its object, in the same round trip: an
/// author's write hands them over first, so that the object, which refuses an author it saw
/// leave, sees every change D1 had committed when it found them present.
/// A post's mentions (`mentioned`, if any) are read in the same round trip: how many of them
/// are present members.
pub async fn find_with_pending(
    db: &Db,
    query: RoomQuery<'_>,
    mentioned: &[UserId],
) -> Result<(Option<Room>, Vec<Row>, usize), ApiError> {
    let mut batch = query.batch(db)?;
    let room = query.read_room(db, &mut batch)?;
    let mentionable = match mentioned {
        [] => None,
        users => Some(batch.read::<Mentionable>(query.statement(db, sql::MENTIONABLE, &[json_text(users)?])?)),
    };
    let pending = outbox::read_room(db, &mut batch, &query.room_id.to_string())?;
    let results = batch.run().await?;
    let present = match mentionable {
        Some(rows) => results.first(&rows)?.map_or(0, |row| row.present),
        None => 0,
    };
    Ok((query.room(&results, &room)?, results.rows(&pending)?, usize::try_from(present).unwrap_or(0)))
}

/// What a post's mentions need of the room: whether its author is an admin there, and how many
/// of the people it mentions are present members.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Mentionable {
    pub admin: i64,
    pub present: i64,
}

/// `Mentionable`, for a post over a socket (the room's object asks).
pub async fn mentionable(
    db: &Db,
    room_id: &RoomId,
    author: &UserId,
    users: &[UserId],
) -> Result<Mentionable, ApiError> {
    let args = [text(&room_id.to_string()), text(&author.to_string()), JsValue::NULL, json_text(users)?];
    let mut batch = Batch::new(db);
    let rows = batch.read::<Mentionable>(db.prepare(sql::MENTIONABLE, &args)?);
    let results = batch.run().await?;
    Ok(results.first(&rows)?.unwrap_or(Mentionable { admin: 0, present: 0 }))
}

fn json_text(users: &[UserId]) -> Result<JsValue, ApiError> {
    Ok(text(&serde_json::to_string(users).map_err(ApiError::internal)?))
}

/// Creates the room with its owner as first member and admin, in one transaction guarded by
/// the owner's key, unless the owner's account no longer exists (401), they own as many rooms
/// as they may (403) or they created as many as they may for now (429); then nothing is written.
pub async fn create(
    db: &Db,
    room_id: &RoomId,
    name: &RoomName,
    open: bool,
    owner: &Caller,
    now: i64,
    limits: &Limits,
) -> Result<(), ApiError> {
    let counted = Counted::new(WriteKind::RoomCreation, limits, &owner.user_id, now);
    let owned_max = limits.owned_rooms.map_or(NO_CEILING, i64::from);
    let mut batch = Batch::of_caller(db, Some(owner))?;
    let (room_id, owner) = (room_id.to_string(), owner.user_id.to_string());
    let [_, window, max] = counted.guard();
    let args = [
        text(&room_id),
        text(name.as_str()),
        text(&search_form(name.as_str())),
        flag(open),
        text(&owner),
        int(now),
        window,
        max,
        int(owned_max),
    ];
    let statement = |sql: &str| db.prepare_leading(sql, &args);
    #[derive(Deserialize)]
    struct Owned {
        owned_count: i64,
    }
    #[derive(Deserialize)]
    struct Created {
        created: i64,
    }
    let owned = batch.read::<Owned>(db.prepare(sql::OWNED_COUNT, &[text(&owner)])?);
    let counter = counted.read(db, &mut batch)?;
    batch.write(statement(sql::INSERT_ROOM)?);
    batch.write(db.prepare(sql::INSERT_ROOM_GRAMS, &[text(&room_id), text(&grams_json(name)?)])?);
    batch.write(db.prepare(sql::INSERT_OWNER, &[text(&room_id), text(&owner), int(now)])?);
    if let Some(count) = counted.count_sql() {
        batch.write(statement(count)?);
    }
    let created = batch.read::<Created>(db.prepare(sql::ROOM_EXISTS, &[text(&room_id)])?);
    let results = batch.run().await?;
    if results.first(&created)?.is_some_and(|row| row.created != 0) {
        return Ok(());
    }
    let Some(owned) = results.first(&owned)? else { return Err(ApiError::INVALID_KEY) };
    if owned.owned_count >= owned_max {
        return Err(ApiError::Forbidden("you own as many rooms as you may: delete one or hand it over first"));
    }
    counted.verdict(&results, counter.as_ref())?.explain()?;
    Err(ApiError::internal("room not created, though no guard refused it"))
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
pub async fn page(
    db: &Db,
    query: RoomQuery<'_>,
    listing: Listing,
    page: Page,
) -> Result<Option<(Room, Vec<String>)>, ApiError> {
    let mut batch = query.batch(db)?;
    let room = query.read_room(db, &mut batch)?;
    let users = batch.read::<UserIdRow>(query.statement(
        db,
        listing.sql(),
        &[int(i64::from(page.limit)), int(i64::from(page.offset))],
    )?);
    let results = batch.run().await?;
    let Some(room) = query.room(&results, &room)? else {
        return Ok(None);
    };
    Ok(Some((room, results.rows(&users)?.into_iter().map(|row| row.user_id).collect())))
}

/// The caller joins: an open room, or a closed one they are invited to (the invitation is
/// used up). A rejoin moves them to the end of the join order; a present member stays where
/// they are.
pub async fn join(db: &Db, query: RoomQuery<'_>, now: i64) -> Result<Written, ApiError> {
    let now = [int(now)];
    let writes: [(&str, &[JsValue]); 5] = [
        (sql::ADD_MEMBER, &now),
        (sql::QUEUE_MEMBER_JOINED, &[]),
        (sql::TAKE_UP_INVITE, &[]),
        (sql::QUEUE_DM_VOICES, &[]),
        (sql::TELL_DM_VOICES, &[]),
    ];
    query.guarded_write(db, &writes).await
}

/// An admin invites the target, counted against the admin's ceiling of invitations.
pub async fn invite(db: &Db, query: RoomQuery<'_>, now: i64, limits: &Limits) -> Result<Written, ApiError> {
    let Some(caller) = query.caller_id() else { return Err(ApiError::INVALID_KEY) };
    let counted = Counted::new(WriteKind::Invite, limits, caller, now);
    query.counted_write(db, (sql::INVITE, sql::QUEUE_MEMBER_INVITED), &counted.guard(), &counted).await
}

/// The invitee declines, or an admin takes the invitation back.
pub async fn withdraw(db: &Db, query: RoomQuery<'_>) -> Result<Written, ApiError> {
    let writes: [(&str, &[JsValue]); 4] = [
        (sql::WITHDRAW_INVITE, &[]),
        (sql::QUEUE_INVITE_WITHDRAWN, &[]),
        (sql::QUEUE_DM_VOICES, &[]),
        (sql::TELL_DM_VOICES, &[]),
    ];
    query.guarded_write(db, &writes).await
}

/// The target leaves (target = caller) or is removed; the invitee of a DM declines it so.
pub async fn remove(db: &Db, query: RoomQuery<'_>) -> Result<Written, ApiError> {
    let writes: [(&str, &[JsValue]); 6] = [
        (sql::REMOVE_MEMBER, &[]),
        (sql::QUEUE_MEMBER_LEFT, &[]),
        (sql::DECLINE_DM, &[]),
        (sql::QUEUE_INVITE_WITHDRAWN, &[]),
        (sql::QUEUE_DM_VOICES, &[]),
        (sql::TELL_DM_VOICES, &[]),
    ];
    query.guarded_write(db, &writes).await
}

/// Bans the target, then removes them if present.
pub async fn ban(db: &Db, query: RoomQuery<'_>, now: i64) -> Result<Written, ApiError> {
    let now = [int(now)];
    let writes: [(&str, &[JsValue]); 6] = [
        (sql::INSERT_BAN, &now),
        (sql::REMOVE_BANNED, &[]),
        (sql::QUEUE_MEMBER_BANNED, &[]),
        (sql::QUEUE_USER_BANNED, &now),
        (sql::DELETE_BANNED_INVITE, &[]),
        (sql::QUEUE_INVITE_WITHDRAWN, &[]),
    ];
    query.guarded_write(db, &writes).await
}

pub async fn unban(db: &Db, query: RoomQuery<'_>) -> Result<Written, ApiError> {
    query.guarded_write(db, &[(sql::DELETE_BAN, &[]), (sql::QUEUE_USER_UNBANNED, &[])]).await
}

/// Makes a present member an admin (the owner's call).
pub async fn promote(db: &Db, query: RoomQuery<'_>) -> Result<Written, ApiError> {
    query.guarded_write(db, &[(sql::PROMOTE, &[]), (sql::QUEUE_ADMIN_ADDED, &[])]).await
}

/// Takes admin from the target: the owner demoting an admin, or an admin stepping down.
pub async fn demote(db: &Db, query: RoomQuery<'_>) -> Result<Written, ApiError> {
    query.guarded_write(db, &[(sql::DEMOTE, &[]), (sql::QUEUE_ADMIN_REMOVED, &[])]).await
}

/// Hands the room to a present member, who becomes an admin too; the old owner stays admin.
pub async fn transfer(db: &Db, query: RoomQuery<'_>) -> Result<Written, ApiError> {
    let writes: [(&str, &[JsValue]); 4] =
        [(sql::PROMOTE, &[]), (sql::QUEUE_ADMIN_ADDED, &[]), (sql::HAND_OVER, &[]), (sql::QUEUE_OWNER_CHANGED, &[])];
    query.guarded_write(db, &writes).await
}

/// Renames, opens or closes the room (an admin's call; opening a closed room, the owner's), a
/// rename counted against the caller's ceiling of renames; the write, and the room after it.
pub async fn update(
    db: &Db,
    query: RoomQuery<'_>,
    name: Option<&RoomName>,
    open: Option<bool>,
    now: i64,
    limits: &Limits,
) -> Result<(Written, Option<Room>), ApiError> {
    let Some(caller) = query.caller_id() else { return Err(ApiError::INVALID_KEY) };
    let counted = Counted::new(WriteKind::Rename, limits, caller, now);
    let search = name.map(|name| search_form(name.as_str()));
    let grams = name.map(grams_json).transpose()?;
    let [now, window, max] = counted.guard();
    let extra = [
        optional_text(name.map(RoomName::as_str)),
        optional_text(search.as_deref()),
        open.map_or(JsValue::NULL, flag),
        optional_text(grams.as_deref()),
        now,
        window,
        max,
    ];
    let mut batch = query.batch(db)?;
    let before = query.read_room(db, &mut batch)?;
    let counter = match name {
        Some(_) => counted.read(db, &mut batch)?,
        None => None,
    };
    batch.write(query.statement(db, sql::UPDATE_ROOM, &extra)?);
    batch.write(query.statement(db, sql::QUEUE_ROOM_UPDATED, &extra)?);
    if name.is_some() {
        batch.write(query.statement(db, sql::DELETE_RENAMED_GRAMS, &extra)?);
        batch.write(query.statement(db, sql::INSERT_RENAMED_GRAMS, &extra)?);
        if let Some(count) = counted.count_sql() {
            batch.write(query.statement(db, count, &extra)?);
        }
    }
    let after = query.read_room(db, &mut batch)?;
    let events = outbox::read_room(db, &mut batch, &query.room_id.to_string())?;
    let results = batch.run().await?;
    let written = Written {
        room: query.room(&results, &before)?,
        limited: counted.verdict(&results, counter.as_ref())?,
        events: results.rows(&events)?,
    };
    Ok((written, query.room(&results, &after)?))
}

/// Deletes the room with its memberships and bans (the owner's call); the event it queues
/// has the room's object wipe its messages. Also who among its members had an inbox open, as
/// the deletion found them: they are to be told.
pub async fn delete(db: &Db, query: RoomQuery<'_>) -> Result<(Written, Vec<UserId>), ApiError> {
    #[derive(Deserialize)]
    struct Listening {
        user_id: UserId,
    }
    let writes: [(&str, &[JsValue]); 2] = [(sql::DELETE_ROOM, &[]), (sql::QUEUE_ROOM_DELETED, &[])];
    let (written, listening) = query.guarded_write_reading::<Listening>(db, Some(sql::ROOM_LISTENERS), &writes).await?;
    Ok((written, listening.into_iter().map(|row| row.user_id).collect()))
}

/// The room as `find` reads it, for a ticket to its socket: the caller's key is recorded as
/// live in the room (as `find_live` does), so that its session's end reaches the room.
pub async fn find_for_ticket(db: &Db, query: RoomQuery<'_>) -> Result<Option<Room>, ApiError> {
    let mut batch = query.batch(db)?;
    let room = query.read_room(db, &mut batch)?;
    if let Some(caller) = query.caller {
        batch.write(db.prepare(sql::LIVE_KEY, &[text(caller.key.as_str()), text(&query.room_id.to_string())])?);
    }
    let results = batch.run().await?;
    query.room(&results, &room)
}

/// The room as `find` reads it, for a socket, when the caller's key expires, and
/// the room's events still queued for its object: the key is recorded as live in the room, so
/// that its session's end reaches the room.
pub async fn find_live(db: &Db, query: RoomQuery<'_>) -> Result<Live, ApiError> {
    #[derive(Deserialize)]
    struct Expiry {
        expires_at: i64,
    }
    #[derive(Deserialize)]
    struct Blocked {
        user_id: UserId,
    }
    let mut batch = query.batch(db)?;
    let room = query.read_room(db, &mut batch)?;
    let caller = match query.caller {
        Some(caller) => {
            let key = text(caller.key.as_str());
            batch.write(db.prepare(sql::LIVE_KEY, &[key.clone(), text(&query.room_id.to_string())])?);
            let expiry = batch.read::<Expiry>(db.prepare(sql::SESSION_EXPIRY, &[key])?);
            Some((expiry, batch.read::<Blocked>(query.statement(db, sql::BLOCKED_IN_ROOM, &[])?)))
        }
        None => None,
    };
    let pending = outbox::read_room(db, &mut batch, &query.room_id.to_string())?;
    let results = batch.run().await?;
    let (expires_at, blocked) = match caller {
        Some((expiry, blocked)) => (
            results.first(&expiry)?.map(|row| row.expires_at),
            results.rows(&blocked)?.into_iter().map(|row| row.user_id).collect(),
        ),
        None => (None, Vec::new()),
    };
    Ok(Live { room: query.room(&results, &room)?, expires_at, pending: results.rows(&pending)?, blocked })
}

/// A room as a socket's opening finds it (`find_live`).
pub struct Live {
    pub room: Option<Room>,
    /// When the caller's key's session ends.
    pub expires_at: Option<i64>,
    /// The room's events still queued for its object.
    pub pending: Vec<Row>,
    /// Those the caller blocked among the room's members, past and present.
    pub blocked: Vec<UserId>,
}

/// A room one is invited to, as one's list of invitations shows it.
#[derive(Debug, Deserialize)]
pub struct InviteRow {
    pub room_id: String,
    pub name: String,
    pub open: i64,
    pub user_count: i64,
    pub kind: String,
    pub by: String,
    pub at: i64,
}

/// One page of the caller's invitations, newest first, and how many there are, guarded by the
/// caller's key.
pub async fn invites_of(db: &Db, caller: &Caller, page: Page) -> Result<(Vec<InviteRow>, i64), ApiError> {
    let statements = (sql::INVITES_OF_USER, sql::INVITE_COUNT_OF_USER);
    let (invites, count) = page_and_count(db, caller, statements, &caller.user_id.to_string(), page).await?;
    Ok((invites, count.unwrap_or(0)))
}
