//! Invitations: `/room/{room_id}/invites` (an admin invites, the invitee declines or an admin
//! takes it back) and `/user/{user_id}/invites` (one's own). The invitee joins with
//! `POST /room/{room_id}/members`.

use serde_json::json;
use worker::{Request, Response};

use super::users::OwnAccount;
use super::{conclude, db, Ctx, RoomWrite};
use crate::clock::now_millis;
use crate::domain::{Action, Page, UserId};
use crate::error::ApiError;
use crate::http::{json, no_content};
use crate::store::rooms;

/// Invites `target` to the request's room: 200 `{invited: true}`; inviting again is the same.
pub(super) async fn invite_user(ctx: &Ctx, request: &RoomWrite, target: &UserId) -> Result<Response, ApiError> {
    let limits = &ctx.data.config.limits;
    let written = rooms::invite(&db(ctx)?, request.query().about(target), now_millis(), limits).await?;
    conclude(ctx, written, Action::Invite).await?;
    json(200, &json!({ "invited": true }))
}

/// `POST /room/{room_id}/invites {key, user_id}` (admins) → 200 `{invited: true}`; a present
/// member 409, someone banned or who blocked the inviter 403, oneself 403.
pub async fn invite(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let target = UserId::parse(request.input.required_text("user_id")?)?;
    if target == request.caller.user_id {
        // A room the caller may not see stays unseen: 404 first.
        rooms::permitted(rooms::find(&db(&ctx)?, request.query()).await?, Action::Peek)?;
        return Err(ApiError::Forbidden("one cannot invite oneself: join instead"));
    }
    invite_user(&ctx, &request, &target).await
}

/// `DELETE /room/{room_id}/invites/{user_id} {key}` → 204: the invitee declines, or an admin
/// takes the invitation back; 404 when there is none.
pub async fn withdraw(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let written = rooms::withdraw(&db(&ctx)?, request.query()).await?;
    conclude(&ctx, written, Action::Withdraw).await?;
    no_content()
}

/// `GET /user/{user_id}/invites?limit&offset` (one's own key) → 200 `{invites: [{room_id, room:
/// {name, open, kind, user_count}, by, at}], index, invite_count}`, newest first.
pub async fn list(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let account = OwnAccount::read_private(req, &ctx).await?;
    let page = Page::parse(account.input.uint("limit")?, account.input.uint("offset")?)?;
    let (rows, count) = rooms::invites_of(&account.db, &account.caller, page).await?;
    let invites: Vec<_> = rows
        .into_iter()
        .map(|row| {
            json!({
                "room_id": row.room_id,
                "room": { "name": row.name, "open": row.open != 0, "kind": row.kind, "user_count": row.user_count },
                "by": row.by,
                "at": row.at,
            })
        })
        .collect();
    json(200, &json!({ "invites": invites, "index": page.offset, "invite_count": count }))
}
