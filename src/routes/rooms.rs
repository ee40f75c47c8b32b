//! `/room` and `/room/{room_id}`: creating, reading, updating, handing over and deleting rooms.

use serde_json::json;
use worker::{Request, Response};

use super::{caller, conclude, db, notify, room_db, Ctx, RoomRead, RoomWrite};
use crate::auth::random_bytes;
use crate::clock::now_millis;
use crate::domain::{Action, RoomId, RoomName, UserId};
use crate::error::ApiError;
use crate::http::{json, no_content, read_input};
use crate::inbox::fanout;
use crate::inbox::frames::{Gone, InboxFrame};
use crate::inbox::protocol::Delivery;
use crate::store::rooms::{self, permitted};

/// `POST /room/ {key, name?, open?}` → 200 `{room_id}`; the caller owns it, and is its
/// first member and admin.
pub async fn create(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let name = input.text("name")?.map(RoomName::parse).transpose()?.unwrap_or_default();
    let open = input.bool("open")?.unwrap_or(true);
    let owner = caller(&ctx, &input).await?;
    let room_id = RoomId::from_random_bytes(random_bytes()?);
    rooms::create(&db(&ctx)?, &room_id, &name, open, &owner, now_millis(), &ctx.data.config.limits).await?;
    json(200, &json!({ "room_id": room_id }))
}

/// `GET /room/{room_id}` → 200 `{open, name, user_count, owner}`.
pub async fn get(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRead::new(req, &ctx).await?;
    // An invitee of a closed room sees the room itself, to decide.
    let room =
        permitted(rooms::find(&room_db(&ctx, &request.query(), Action::Peek)?, request.query()).await?, Action::Peek)?;
    json(200, &room.view())
}

/// `GET /room/{room_id}/owner` → 200 `{owner}`.
pub async fn owner(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRead::new(req, &ctx).await?;
    let room =
        permitted(rooms::find(&room_db(&ctx, &request.query(), Action::View)?, request.query()).await?, Action::View)?;
    json(200, &json!({ "owner": room.owner }))
}

/// `PUT /room/{room_id}/owner {key, user_id}` → 200 `{owner}`: the owner hands the room to a
/// present member, who becomes an admin too; the old owner stays an admin.
pub async fn transfer(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let new_owner = UserId::parse(request.input.required_text("user_id")?)?;
    let db = db(&ctx)?;
    let written = rooms::transfer(&db, request.query().about(&new_owner)).await?;
    conclude(&ctx, written, Action::TransferOwnership).await?;
    json(200, &json!({ "owner": new_owner }))
}

/// `PATCH /room/{room_id} {key, name?, open?}` → 200 with the room as `GET` shows it. Opening
/// a closed room publishes its history: that is the owner's call.
pub async fn update(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let name = request.input.text("name")?.map(RoomName::parse).transpose()?;
    let open = request.input.bool("open")?;
    let action = if open == Some(true) { Action::Open } else { Action::Update };
    let limits = &ctx.data.config.limits;
    let db = db(&ctx)?;
    let (written, after) = rooms::update(&db, request.query(), name.as_ref(), open, now_millis(), limits).await?;
    notify(&ctx, written.events()).await;
    written.explain(action)?;
    let after = after.ok_or_else(|| ApiError::internal("room vanished during its update"))?;
    json(200, &after.view())
}

/// `DELETE /room/{room_id} {key}` → 204: the owner deletes the room with its memberships,
/// bans and messages; its sockets are closed, and its members' open inboxes are told (`left`,
/// `deleted`) after the answer.
pub async fn delete(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let db = db(&ctx)?;
    let (written, listening) = rooms::delete(&db, request.query()).await?;
    conclude(&ctx, written, Action::Delete).await?;
    let frame = InboxFrame::Left { room_id: request.room_id, reason: Gone::Deleted };
    let deliveries = listening.into_iter().map(|user_id| Delivery { user_id, frames: vec![frame.clone()] }).collect();
    let (env, width) = (ctx.env.clone(), ctx.data.config.inbox_fanout);
    ctx.data.context.wait_until(async move {
        fanout::deliver_all(&env, deliveries, width).await;
    });
    no_content()
}
