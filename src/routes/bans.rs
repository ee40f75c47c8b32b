//! `/room/{room_id}/bans/{user_id}`: keeping a user out of a room (the list is in `members`).

use serde_json::json;
use worker::{Request, Response};

use super::{db, Ctx, RoomWrite};
use crate::clock::now_millis;
use crate::domain::Action;
use crate::error::ApiError;
use crate::http::json;
use crate::store::rooms;

/// `PUT /room/{room_id}/bans/{user_id} {key}` → 200 `{banned: true}`: an admin removes the
/// user and keeps them out until the ban is lifted.
pub async fn ban(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    rooms::ban(&db(&ctx)?, request.query(), now_millis()).await?.explain(Action::Ban)?;
    json(200, &json!({ "banned": true }))
}

/// `DELETE /room/{room_id}/bans/{user_id} {key}` → 200 `{banned: false}`.
pub async fn unban(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    rooms::unban(&db(&ctx)?, request.query()).await?.explain(Action::Unban)?;
    json(200, &json!({ "banned": false }))
}
