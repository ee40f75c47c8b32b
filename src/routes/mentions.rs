//! `/user/{user_id}/mentions`: the messages that mention one, across one's rooms.

use serde_json::json;
use worker::{Request, Response};

use super::users::OwnAccount;
use super::Ctx;
use crate::domain::time::rfc3339;
use crate::domain::{Mentions, MessageId, Page, RoomId, UserId};
use crate::error::ApiError;
use crate::http::json;
use crate::live::frames::MessageView;
use crate::store::rooms::{self, MentionRow};

/// `GET /user/{user_id}/mentions?limit&before` (one's own key) → 200 `{mentions: [{room_id,
/// message}], next}`: the messages that mention the caller (by id, or the whole room) in the
/// rooms they are present in, not by anyone they blocked, newest first; `next` is the message id
/// to pass as `before` for the page after, or null. Fed by the rooms' flushes (a few seconds).
pub async fn list(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let account = OwnAccount::read_private(req, &ctx).await?;
    let limit = Page::parse(account.input.uint("limit")?, None)?.limit;
    let before = account.input.text("before")?.map(|id| MessageId::parse_field("before", id)).transpose()?;
    let (rows, more) = rooms::mentions_of(&account.db, &account.caller, limit, before.as_ref())
        .await?
        .ok_or(ApiError::NotFound("before is not a message that mentions you"))?;
    let mentions = rows.into_iter().map(mention).collect::<Result<Vec<_>, _>>()?;
    let next = if more { mentions.last().map(|(_, message_id, _)| *message_id) } else { None };
    let mentions: Vec<_> =
        mentions.into_iter().map(|(room_id, _, message)| json!({ "room_id": room_id, "message": message })).collect();
    json(200, &json!({ "mentions": mentions, "next": next }))
}

fn mention(row: MentionRow) -> Result<(RoomId, MessageId, MessageView), ApiError> {
    let corrupt = |field: &str| ApiError::internal(format!("mentions: a malformed {field}"));
    let Mentions { users, room } = serde_json::from_str(&row.mentions).map_err(|_| corrupt("mentions"))?;
    let message_id = MessageId::parse(&row.message_id).map_err(|_| corrupt("message_id"))?;
    let message = MessageView::Written {
        message_id,
        seq: row.seq,
        user_id: UserId::parse(&row.user_id).map_err(|_| corrupt("user_id"))?,
        text: row.text,
        sent_at: rfc3339(row.sent_at),
        edited_at: row.edited_at.map(rfc3339),
        mentions: users,
        mention_room: room,
    };
    Ok((RoomId::parse(&row.room_id).map_err(|_| corrupt("room_id"))?, message_id, message))
}
