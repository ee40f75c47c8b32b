//! The handlers, one module per resource. Each reads its input, parses it into domain types,
//! calls the store and answers; what they share lives here.

pub mod admins;
pub mod bans;
pub mod directory;
pub mod members;
pub mod messages;
pub mod rooms;
pub mod tokens;
pub mod users;

use serde_json::{json, Value};
use worker::{Request, RouteContext};

use crate::domain::{Action, Page, Refusal, RoomId, UserId};
use crate::error::ApiError;
use crate::http::{param, read_input};
use crate::input::Input;
use crate::store::rooms::{Lookup, Room};
use crate::store::{Db, Sessions};
use crate::Shared;

pub type Ctx = RouteContext<Shared>;

fn db(ctx: &Ctx) -> Result<Db, ApiError> {
    Db::open(&ctx.env, &ctx.data.trips)
}

fn sessions(ctx: &Ctx) -> Result<Sessions, ApiError> {
    Sessions::open(&ctx.env, &ctx.data.trips)
}

/// The user behind the request's key; the key is required.
async fn caller(ctx: &Ctx, input: &Input) -> Result<UserId, ApiError> {
    sessions(ctx)?.user_of(input.required_key()?).await
}

/// The user behind the request's key, if it sent one. A key that is sent must be live.
async fn optional_caller(ctx: &Ctx, input: &Input) -> Result<Option<UserId>, ApiError> {
    match input.key()? {
        Some(key) => Ok(Some(sessions(ctx)?.user_of(key).await?)),
        None => Ok(None),
    }
}

/// What every request on one room starts from: its input, the room's id from the path, the
/// caller (the key required or not), and the path's `user_id` if the route has one.
struct RoomRequest {
    input: Input,
    room_id: RoomId,
    caller: Option<UserId>,
    target: Option<UserId>,
}

impl RoomRequest {
    /// A request where the key is optional (reads).
    async fn read(mut req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        let input = read_input(&mut req).await?;
        let (room_id, target) = path_ids(ctx)?;
        let caller = optional_caller(ctx, &input).await?;
        Ok(Self { input, room_id, caller, target })
    }

    /// A request that needs a live key (writes).
    async fn write(mut req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        let input = read_input(&mut req).await?;
        let (room_id, target) = path_ids(ctx)?;
        let caller = Some(caller(ctx, &input).await?);
        Ok(Self { input, room_id, caller, target })
    }

    fn lookup(&self) -> Lookup<'_> {
        let lookup = Lookup::new(&self.room_id, self.caller.as_ref());
        match &self.target {
            Some(target) => lookup.about(target),
            None => lookup,
        }
    }

    /// The caller, where `write` made sure there is one.
    fn caller(&self) -> Result<UserId, ApiError> {
        self.caller.ok_or_else(|| ApiError::internal("a write request without a caller"))
    }

    fn page(&self) -> Result<Page, ApiError> {
        Ok(Page::parse(self.input.uint("limit")?, self.input.uint("offset")?)?)
    }
}

fn path_ids(ctx: &Ctx) -> Result<(RoomId, Option<UserId>), ApiError> {
    let room_id = param(ctx, "room_id", RoomId::parse)?;
    let target = match ctx.param("user_id") {
        Some(_) => Some(param(ctx, "user_id", UserId::parse)?),
        None => None,
    };
    Ok((room_id, target))
}

/// The room if the caller may do `action` in it. For a write, `room` is the room as it was
/// just before the write's guarded statements ran in the same transaction.
fn allowed(room: Option<Room>, action: Action) -> Result<Room, ApiError> {
    let room = room.ok_or(Refusal::RoomNotFound)?;
    room.situation.check(action)?;
    Ok(room)
}

/// A room as `GET /room/{room_id}` shows it.
fn room_json(room: &Room) -> Value {
    json!({ "open": room.open, "name": room.name, "user_count": room.user_count, "owner": room.owner })
}
