//! `/room` and `/room/{room_id}`: creating, reading, updating, handing over and deleting rooms.

use serde_json::json;
use worker::{Request, Response};

use super::{allowed, caller, db, room_json, Ctx, RoomRequest};
use crate::auth::random_bytes;
use crate::domain::{Action, RoomId, RoomName, UserId};
use crate::error::ApiError;
use crate::http::{json, no_content, read_input};
use crate::store::now_millis;
use crate::store::rooms;

/// `POST /room/ {key, name?, open?}` → 200 `{room_id}`; the caller owns it, and is its
/// first member and admin.
pub async fn create(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let name = input.text("name")?.map(RoomName::parse).transpose()?.unwrap_or_default();
    let open = input.bool("open")?.unwrap_or(true);
    let owner = caller(&ctx, &input).await?;
    let room_id = RoomId::from_random_bytes(random_bytes()?);
    if !rooms::create(&db(&ctx)?, &room_id, &name, open, &owner, now_millis()).await? {
        return Err(ApiError::INVALID_KEY);
    }
    json(200, &json!({ "room_id": room_id.as_string() }))
}

/// `GET /room/{room_id}` → 200 `{open, name, user_count, owner}`.
pub async fn get(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRequest::read(req, &ctx).await?;
    let room = allowed(rooms::find(&db(&ctx)?, request.lookup()).await?, Action::View)?;
    json(200, &room_json(&room))
}

/// `GET /room/{room_id}/owner` → 200 `{owner}`.
pub async fn owner(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRequest::read(req, &ctx).await?;
    let room = allowed(rooms::find(&db(&ctx)?, request.lookup()).await?, Action::View)?;
    json(200, &json!({ "owner": room.owner }))
}

/// `PUT /room/{room_id}/owner {key, user_id}` → 200 `{owner}`: the owner hands the room to a
/// present member, who becomes an admin too; the old owner stays an admin.
pub async fn transfer(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRequest::write(req, &ctx).await?;
    let new_owner = UserId::parse(request.input.required_text("user_id")?)?;
    let lookup = request.lookup().about(&new_owner);
    allowed(rooms::transfer(&db(&ctx)?, lookup).await?, Action::TransferOwnership)?;
    json(200, &json!({ "owner": new_owner.as_string() }))
}

/// `PATCH /room/{room_id} {key, name?, open?}` → 200 with the room as `GET` shows it.
pub async fn update(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRequest::write(req, &ctx).await?;
    let name = request.input.text("name")?.map(RoomName::parse).transpose()?;
    let open = request.input.bool("open")?;
    let (before, after) = rooms::update(&db(&ctx)?, request.lookup(), name.as_ref(), open).await?.unzip();
    allowed(before, Action::Update)?;
    let after = after.ok_or_else(|| ApiError::internal("room vanished during its update"))?;
    json(200, &room_json(&after))
}

/// `DELETE /room/{room_id} {key}` → 204: the owner deletes the room with its memberships,
/// bans and messages.
pub async fn delete(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRequest::write(req, &ctx).await?;
    allowed(rooms::delete(&db(&ctx)?, request.lookup()).await?, Action::Delete)?;
    no_content()
}
