//! `/room/{room_id}/messages`: posting and reading a room's history.

use serde_json::{json, Value};
use worker::{Request, Response};

use super::{db, Ctx, RoomRead, RoomWrite};
use crate::auth::random_bytes;
use crate::clock::now_millis;
use crate::domain::time::rfc3339;
use crate::domain::{Action, MessageId, MessageText, Page, Refusal};
use crate::error::ApiError;
use crate::http::json;
use crate::store::messages::{self, Cursor, MessageRow};

fn message_json(message: &MessageRow) -> Value {
    json!({
        "message_id": message.message_id,
        "user_id": message.user_id,
        "text": message.text,
        "sent_at": rfc3339(message.sent_at),
    })
}

/// `POST /room/{room_id}/messages {key, text}` → 201 `{message_id, user_id, text, sent_at}`.
pub async fn post(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let text = MessageText::parse(request.input.required_text("text")?)?;
    let message_id = MessageId::from_random_bytes(random_bytes()?);
    let sent_at = now_millis();
    let limits = &ctx.data.config.limits;
    messages::post(&db(&ctx)?, request.query(), &message_id, &text, sent_at, limits).await?.explain(Action::Post)?;
    let message = MessageRow {
        message_id: message_id.to_string(),
        user_id: request.caller.user_id.to_string(),
        text: text.as_str().to_owned(),
        sent_at,
    };
    json(201, &message_json(&message))
}

/// `GET /room/{room_id}/messages?limit&before&after` → 200 `{messages, next}`: newest first;
/// `before` pages back from a message, `after` fetches what came since one (for polling);
/// `next` is the id to pass as `before` for the page before this one, or null at the start.
pub async fn list(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRead::new(req, &ctx).await?;
    let limit = Page::parse(request.input.uint("limit")?, None)?.limit;
    let before = request.input.text("before")?.map(|id| MessageId::parse_field("before", id)).transpose()?;
    let after = request.input.text("after")?.map(|id| MessageId::parse_field("after", id)).transpose()?;
    let cursor = match (&before, &after) {
        (None, None) => Cursor::Latest,
        (Some(before), None) => Cursor::Before(before),
        (None, Some(after)) => Cursor::After(after),
        (Some(_), Some(_)) => return Err(ApiError::bad_request("give before or after, not both")),
    };
    let Some(page) = messages::page(&db(&ctx)?, request.query(), cursor, limit).await? else {
        return Err(Refusal::RoomNotFound.into());
    };
    page.room.situation.check(Action::View)?;
    if !page.cursor_found {
        return Err(ApiError::NotFound("no such message in this room"));
    }
    let next = page.messages.last().filter(|_| page.more_before).map(|message| message.message_id.clone());
    json(200, &json!({ "messages": page.messages.iter().map(message_json).collect::<Vec<_>>(), "next": next }))
}
