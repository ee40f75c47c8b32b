//! `/room/{room_id}/members`: who is in a room; joining, adding, leaving and removing.

use serde_json::json;
use worker::{Request, Response};

use super::{conclude, db, room_db, Ctx, RoomRead, RoomWrite};
use crate::clock::now_millis;
use crate::domain::{Action, Refusal, Role, UserId};
use crate::error::ApiError;
use crate::http::json;
use crate::store::rooms::{self, permitted, Listing};

/// `GET /room/{room_id}/members?limit&offset` → 200 `{users, index, user_count}`.
pub async fn list(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    list_users(req, ctx, Listing::Members, Action::View).await
}

/// `GET /room/{room_id}/admins?limit&offset` → the same over the admins; `user_count`
/// counts the admins.
pub async fn list_admins(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    list_users(req, ctx, Listing::Admins, Action::View).await
}

/// `GET /room/{room_id}/bans?limit&offset` (admins only) → the same over the banned users.
pub async fn list_bans(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    list_users(req, ctx, Listing::Bans, Action::ListBans).await
}

async fn list_users(req: Request, ctx: Ctx, listing: Listing, action: Action) -> Result<Response, ApiError> {
    let request = RoomRead::new(req, &ctx).await?;
    let page = request.page()?;
    let db = room_db(&ctx, &request.query(), Action::View)?;
    let (room, users) = rooms::page(&db, request.query(), listing, page).await?.unzip();
    let room = permitted(room, action)?;
    json(200, &json!({ "users": users.unwrap_or_default(), "index": page.offset, "user_count": listing.count(&room) }))
}

/// `GET /room/{room_id}/members/{user_id}` → 200 `{present}`; 404 for a user who was never
/// a member.
pub async fn get(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRead::new(req, &ctx).await?;
    let room =
        permitted(rooms::find(&room_db(&ctx, &request.query(), Action::View)?, request.query()).await?, Action::View)?;
    match room.situation.target.role {
        Role::Stranger => Err(Refusal::NotAMember.into()),
        target => json(200, &json!({ "present": target.is_present() })),
    }
}

/// `POST /room/{room_id}/members {key, user_id?}`: the caller joins (an open room, or a closed
/// one they are invited to) → 200 `{present: true}`; with someone else's `user_id`, an admin
/// invites them → 200 `{invited: true}`: nobody enters a room without their own consent.
pub async fn add(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let target = match request.input.text("user_id")? {
        Some(user_id) => UserId::parse(user_id)?,
        None => request.caller.user_id,
    };
    if target != request.caller.user_id {
        return super::invites::invite_user(&ctx, &request, &target).await;
    }
    let written = rooms::join(&db(&ctx)?, request.query().about(&target), now_millis()).await?;
    conclude(&ctx, written, Action::Join).await?;
    json(200, &json!({ "present": true }))
}

/// `DELETE /room/{room_id}/members/{user_id} {key}` → 200 `{present: false}`: a member
/// leaves, or an admin removes a plain member, or the owner removes anyone but themself.
pub async fn remove(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let db = db(&ctx)?;
    let written = rooms::remove(&db, request.query()).await?;
    conclude(&ctx, written, Action::Remove).await?;
    json(200, &json!({ "present": false }))
}
