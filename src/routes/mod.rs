//! The handlers, one module per resource. Each reads its input, parses it into domain types,
//! calls the store and answers; what they share lives here.

pub mod members;
pub mod rooms;
pub mod tokens;
pub mod users;

use worker::RouteContext;

use crate::domain::UserId;
use crate::error::ApiError;
use crate::input::Input;
use crate::store::rooms::Room;
use crate::store::{Db, Sessions};
use crate::Shared;

pub type Ctx = RouteContext<Shared>;

const ROOM_NOT_FOUND: ApiError = ApiError::NotFound("room not found");

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

/// The room if the caller may see it. A closed room is answered exactly like a missing one,
/// so that a stranger cannot even learn that it exists.
fn visible(room: Option<Room>) -> Result<Room, ApiError> {
    room.filter(|room| room.access().visible()).ok_or(ROOM_NOT_FOUND)
}
