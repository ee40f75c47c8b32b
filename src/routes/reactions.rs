//! `/room/{room_id}/messages/{message_id}/reactions/{key}`: reacting to a message, and who did.
//! D1 says who may; the room's object keeps the reactions beside the messages.

use worker::{Request, Response};

use super::messages::room_for;
use super::{Ctx, RoomRead, RoomWrite};
use crate::domain::{Action, Mentions, MessageId, ReactionKey};
use crate::error::ApiError;
use crate::http::{json, param};
use crate::live::protocol::{React, ReactorsQuery};

/// The path's message and reaction key (percent-encoded there).
fn target(ctx: &Ctx) -> Result<(MessageId, ReactionKey), ApiError> {
    Ok((param(ctx, "message_id", MessageId::parse)?, param(ctx, "key", ReactionKey::from_path)?))
}

/// `PUT …/reactions/{key} {key?}` → 200 `{reactions}`: a present member reacts (again: nothing
/// changes); `DELETE` the same takes it back.
pub async fn add(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    react(req, ctx, true).await
}

pub async fn remove(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    react(req, ctx, false).await
}

async fn react(req: Request, ctx: Ctx, add: bool) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let (message_id, key) = target(&ctx)?;
    let (_, object) = room_for(&ctx, request.query(), Action::Post, &Mentions::NONE).await?;
    json(200, &object.call(React { user_id: request.caller.user_id, message_id, key, add }).await?)
}

/// `GET …/reactions/{key}?limit&offset` → 200 `{users, index, user_count}`: who reacted with
/// the key, in the order they did; to whoever may read the room.
pub async fn list(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRead::new(req, &ctx).await?;
    let (message_id, key) = target(&ctx)?;
    let page = request.page()?;
    let (_, object) = room_for(&ctx, request.query(), Action::View, &Mentions::NONE).await?;
    let reactors = object.call(ReactorsQuery { message_id, key, limit: page.limit, offset: page.offset }).await?;
    json(200, &serde_json::json!({ "users": reactors.users, "index": page.offset, "user_count": reactors.user_count }))
}
