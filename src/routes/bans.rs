//! `/room/{room_id}/bans/{user_id}`: keeping a user out of a room (the list is in `members`).

use serde_json::json;
use worker::{Request, Response};

use super::{conclude, db, Ctx, RoomWrite};
use crate::clock::now_millis;
use crate::domain::Action;
use crate::error::ApiError;
use crate::http::json;
use crate::store::rooms;

/// `PUT /room/{room_id}/bans/{user_id} {key}` → 200 `{banned: true}`: an admin removes the
/// user and keeps them out until the ban is lifted.
pub async fn ban(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let db = db(&ctx)?;
    let written = rooms::ban(&db, request.query(), now_millis()).await?;
    conclude(&ctx, written, Action::Ban).await?;
    json(200, &json!({ "banned": true }))
}

/// `DELETE /room/{room_id}/bans/{user_id} {key}` → 200 `{banned: false}`.
pub async fn unban(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let db = db(&ctx)?;
    let written = rooms::unban(&db, request.query()).await?;
    conclude(&ctx, written, Action::Unban).await?;
    json(200, &json!({ "banned": false }))
}
