//! `/room/{room_id}/admins`: appointing and demoting admins (the list is in `members`).

use serde_json::json;
use worker::{Request, Response};

use super::{conclude, db, Ctx, RoomWrite};
use crate::domain::{Action, UserId};
use crate::error::ApiError;
use crate::http::json;
use crate::store::rooms;

/// `POST /room/{room_id}/admins {key, user_id}` → 200 `{admin: true}`: the owner makes a
/// present member an admin.
pub async fn promote(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let target = UserId::parse(request.input.required_text("user_id")?)?;
    let db = db(&ctx)?;
    let written = rooms::promote(&db, request.query().about(&target)).await?;
    conclude(&ctx, written, Action::Promote).await?;
    json(200, &json!({ "admin": true }))
}

/// `DELETE /room/{room_id}/admins/{user_id} {key}` → 200 `{admin: false}`: the owner demotes
/// an admin, or an admin steps down. The owner cannot be demoted.
pub async fn demote(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let db = db(&ctx)?;
    let written = rooms::demote(&db, request.query()).await?;
    conclude(&ctx, written, Action::Demote).await?;
    json(200, &json!({ "admin": false }))
}
