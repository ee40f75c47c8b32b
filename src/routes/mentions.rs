//! `/user/{user_id}/mentions`: the messages that mention one, across one's rooms.

use serde_json::json;
use worker::{Request, Response};

use super::users::OwnAccount;
use super::Ctx;
use crate::domain::{MessageId, Page};
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
    let mentions = rows.iter().map(MentionRow::view).collect::<Result<Vec<_>, _>>()?;
    let next = match mentions.last() {
        Some((_, MessageView::Written { message_id, .. } | MessageView::Deleted { message_id, .. })) if more => {
            Some(*message_id)
        }
        _ => None,
    };
    let mentions: Vec<_> =
        mentions.into_iter().map(|(room_id, message)| json!({ "room_id": room_id, "message": message })).collect();
    json(200, &json!({ "mentions": mentions, "next": next }))
}
