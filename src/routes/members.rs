//! `/room/{room_id}/members` and `/room/{room_id}/admins`: who is in a room, joining, leaving.

use serde_json::json;
use worker::{Request, Response};

use super::{caller, db, optional_caller, visible, Ctx};
use crate::domain::{Page, Role, RoomId, UserId};
use crate::error::ApiError;
use crate::http::{json, param, read_input};
use crate::store::rooms::{self, Listing, Lookup};
use crate::store::now_millis;

const NOT_A_MEMBER: ApiError = ApiError::NotFound("user is not a member of this room");

/// `GET /room/{room_id}/members?limit&offset` → 200 `{users, index, user_count}`.
pub async fn list(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    list_users(req, ctx, Listing::Members).await
}

/// `GET /room/{room_id}/admins?limit&offset` → 200 `{users, index, user_count}`, where
/// `user_count` counts the admins.
pub async fn list_admins(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    list_users(req, ctx, Listing::Admins).await
}

async fn list_users(mut req: Request, ctx: Ctx, listing: Listing) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let room_id = param(&ctx, "room_id", RoomId::parse)?;
    let page = Page::parse(input.uint("limit")?, input.uint("offset")?)?;
    let caller = optional_caller(&ctx, &input).await?;
    let lookup = Lookup { room_id: &room_id, caller: caller.as_ref(), target: None };
    let (room, users) = rooms::page(&db(&ctx)?, lookup, listing, page).await?.ok_or(super::ROOM_NOT_FOUND)?;
    let room = visible(Some(room))?;
    let user_count = match listing {
        Listing::Members => room.user_count,
        Listing::Admins => room.admin_count,
    };
    json(200, &json!({ "users": users, "index": page.offset, "user_count": user_count }))
}

/// `GET /room/{room_id}/members/{user_id}` → 200 `{present}`; 404 for a user who was never
/// a member.
pub async fn get(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let room_id = param(&ctx, "room_id", RoomId::parse)?;
    let user_id = param(&ctx, "user_id", UserId::parse)?;
    let caller = optional_caller(&ctx, &input).await?;
    let lookup = Lookup { room_id: &room_id, caller: caller.as_ref(), target: Some(&user_id) };
    let room = visible(rooms::find(&db(&ctx)?, lookup).await?)?;
    match room.target {
        Role::Stranger => Err(NOT_A_MEMBER),
        target => json(200, &json!({ "present": target.is_present() })),
    }
}

/// `POST /room/{room_id}/members {key}` → 200 `{present: true}`: the caller joins an open room.
pub async fn join(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let room_id = param(&ctx, "room_id", RoomId::parse)?;
    let caller = caller(&ctx, &input).await?;
    let room = visible(rooms::join(&db(&ctx)?, &room_id, &caller, now_millis()).await?)?;
    if !room.caller.is_present() {
        return Err(ApiError::internal(format!("{caller} joined open room {room_id} but is not present")));
    }
    json(200, &json!({ "present": true }))
}

/// `DELETE /room/{room_id}/members/{user_id} {key}` → 200 `{present: false}`: a member leaves.
pub async fn remove(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let room_id = param(&ctx, "room_id", RoomId::parse)?;
    let user_id = param(&ctx, "user_id", UserId::parse)?;
    let caller = caller(&ctx, &input).await?;
    let db = db(&ctx)?;
    if caller != user_id {
        let lookup = Lookup { room_id: &room_id, caller: Some(&caller), target: Some(&user_id) };
        visible(rooms::find(&db, lookup).await?)?;
        return Err(ApiError::Forbidden("you may only remove yourself from a room"));
    }
    let before = visible(rooms::leave(&db, &room_id, &user_id).await?)?;
    match before.target {
        Role::Owner => Err(ApiError::Forbidden("the owner cannot leave the room: transfer ownership first")),
        Role::Stranger => Err(NOT_A_MEMBER),
        _ => json(200, &json!({ "present": false })),
    }
}
