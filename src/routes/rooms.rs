//! `/room`: creating a room and reading it.

use serde_json::json;
use worker::{Request, Response};

use super::{caller, db, optional_caller, visible, Ctx};
use crate::auth::random_bytes;
use crate::domain::{RoomId, RoomName};
use crate::error::ApiError;
use crate::http::{json, param, read_input};
use crate::store::rooms::{self, Lookup, Room};
use crate::store::now_millis;

/// `POST /room/ {key, name?, open?}` → 200 `{room_id}`; the caller owns it, and is its
/// first member and admin.
pub async fn create(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let name = input.text("name")?.map(RoomName::parse).transpose()?.unwrap_or_default();
    let open = input.bool("open")?.unwrap_or(true);
    let owner = caller(&ctx, &input).await?;
    let room_id = RoomId::from_random_bytes(random_bytes()?);
    rooms::create(&db(&ctx)?, &room_id, &name, open, &owner, now_millis()).await?;
    json(200, &json!({ "room_id": room_id.as_string() }))
}

/// The room named by the path, as the request's caller (if any) may see it.
async fn visible_room(mut req: Request, ctx: &Ctx) -> Result<Room, ApiError> {
    let input = read_input(&mut req).await?;
    let room_id = param(ctx, "room_id", RoomId::parse)?;
    let caller = optional_caller(ctx, &input).await?;
    visible(rooms::find(&db(ctx)?, Lookup { room_id: &room_id, caller: caller.as_ref(), target: None }).await?)
}

/// `GET /room/{room_id}` → 200 `{open, name, user_count, owner}`.
pub async fn get(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let room = visible_room(req, &ctx).await?;
    json(200, &json!({ "open": room.open, "name": room.name, "user_count": room.user_count, "owner": room.owner }))
}

/// `GET /room/{room_id}/owner` → 200 `{owner}`.
pub async fn owner(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let room = visible_room(req, &ctx).await?;
    json(200, &json!({ "owner": room.owner }))
}
