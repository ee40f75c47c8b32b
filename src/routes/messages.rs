//! `/room/{room_id}/messages`: posting, reading, editing and deleting a room's messages. D1
//! says who may; the room's object keeps the messages, numbers them and tells the sockets.

use worker::{Request, Response};

use super::{notify, room_db, Ctx, RoomRead, RoomWrite};
use crate::auth::random_bytes;
use crate::domain::files::file_list;
use crate::domain::{Action, Mentions, MessageId, MessageSearch, MessageText, Page};
use crate::error::ApiError;
use crate::http::{json, no_content, param};
use crate::live::client::RoomObject;
use crate::live::protocol::{Deletion, Edit, HistoryQuery, Post, Read, SearchQuery};
use crate::store::rooms::{self, permitted, Room, RoomQuery};

/// The room, if the caller may do `action` in it, and its object. An author's write (`Post`)
/// first hands the object whatever the room still has queued for it; a post's `mentions` are
/// checked in the same round trip.
pub(super) async fn room_for(
    ctx: &Ctx,
    query: RoomQuery<'_>,
    action: Action,
    mentions: &Mentions,
) -> Result<(Room, RoomObject), ApiError> {
    let db = room_db(ctx, &query, action)?;
    let room = if action == Action::Post {
        let (room, pending, present) = rooms::find_with_pending(&db, query, &mentions.users).await?;
        let room = permitted(room, action)?;
        mentions.check(room.situation.caller.role.is_admin(), present)?;
        notify(ctx, &pending).await;
        room
    } else {
        permitted(rooms::find(&db, query).await?, action)?
    };
    Ok((room, RoomObject::of(&ctx.env, query.room_id, &ctx.data.log)?))
}

/// `POST /room/{room_id}/messages {key, text, mentions?, mention_room?, reply_to?, thread?}` →
/// 201 the message: posted by a present member, under their ceiling of posts in the room;
/// `reply_to` names a message of the room (else 404), not deleted (else 400); `thread` the root
/// of the thread it is a reply in, a message of the room's own line (else 404, or 400).
pub async fn post(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let text = MessageText::parse(request.input.required_text("text")?)?;
    let mentions = Mentions::parse(
        request.input.list("mentions")?.unwrap_or_default(),
        request.input.bool("mention_room")?.unwrap_or(false),
    )?;
    let reply_to = request.input.text("reply_to")?.map(|id| MessageId::parse_field("reply_to", id)).transpose()?;
    let thread = request.input.text("thread")?.map(|id| MessageId::parse_field("thread", id)).transpose()?;
    let files = file_list(request.input.list("files")?.unwrap_or_default())?;
    let (_, object) = room_for(&ctx, request.query(), Action::Post, &mentions).await?;
    let post = Post {
        user_id: request.caller.user_id,
        message_id: MessageId::from_random_bytes(random_bytes()?),
        text: text.as_str().to_owned(),
        mentions,
        reply_to,
        thread,
        files,
    };
    json(201, &object.call(post).await?)
}

/// `GET /room/{room_id}/messages?limit&before&after&thread` → 200 `{messages, next}`: the
/// room's own line, or with `thread` the replies in the thread of that root; newest first;
/// `before` pages back from a message, `after` fetches what came since one (for polling);
/// `next` is the id to pass as `before` for the page before this one, or null at the start.
pub async fn list(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRead::new(req, &ctx).await?;
    let limit = Page::parse(request.input.uint("limit")?, None)?.limit;
    let before = request.input.text("before")?.map(|id| MessageId::parse_field("before", id)).transpose()?;
    let after = request.input.text("after")?.map(|id| MessageId::parse_field("after", id)).transpose()?;
    let thread = request.input.text("thread")?.map(|id| MessageId::parse_field("thread", id)).transpose()?;
    if before.is_some() && after.is_some() {
        return Err(ApiError::bad_request("give before or after, not both"));
    }
    let (_, object) = room_for(&ctx, request.query(), Action::View, &Mentions::NONE).await?;
    let user_id = request.caller.as_ref().map(|caller| caller.user_id);
    json(200, &object.call(HistoryQuery { before, after, limit, user_id, thread }).await?)
}

/// `GET /room/{room_id}/search?q&limit&before` → 200 `{messages, next}`: the messages whose
/// current text holds `q` (1–100 characters, any case, any script), newest first, paged as the
/// history is; to whoever may read the room.
pub async fn search(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomRead::new(req, &ctx).await?;
    let q = MessageSearch::parse(request.input.required_text("q")?)?;
    let limit = Page::parse(request.input.uint("limit")?, None)?.limit;
    let before = request.input.text("before")?.map(|id| MessageId::parse_field("before", id)).transpose()?;
    let (_, object) = room_for(&ctx, request.query(), Action::View, &Mentions::NONE).await?;
    let user_id = request.caller.as_ref().map(|caller| caller.user_id);
    json(200, &object.call(SearchQuery { q, before, limit, user_id }).await?)
}

/// `PUT /room/{room_id}/read {key, seq}` → 200 `{read_seq}`: a present member's read position
/// moves up to `seq` (never back; past the room's latest seq: 400) and "marked unread" clears;
/// `{key, unread: true}` marks the room unread where they are. Their sockets are told `read`.
pub async fn read(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let seq = request.input.uint("seq")?;
    let seq = match (seq, request.input.bool("unread")?) {
        (Some(seq), None | Some(false)) => {
            Some(i64::try_from(seq).map_err(|_| ApiError::bad_request("seq is past the room's latest"))?)
        }
        (None, Some(true)) => None,
        _ => return Err(ApiError::bad_request("give seq (where you read up to), or unread: true")),
    };
    let (_, object) = room_for(&ctx, request.query(), Action::Read, &Mentions::NONE).await?;
    let position = object.call(Read { user_id: request.caller.user_id, seq }).await?;
    json(200, &serde_json::json!({ "read_seq": position.read_seq }))
}

/// `PATCH /room/{room_id}/messages/{message_id} {key, text}` → 200 the message with
/// `edited_at`: by its author, while a present member.
pub async fn edit(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let message_id = param(&ctx, "message_id", MessageId::parse)?;
    let text = MessageText::parse(request.input.required_text("text")?)?;
    let (_, object) = room_for(&ctx, request.query(), Action::Post, &Mentions::NONE).await?;
    let edit = Edit { user_id: request.caller.user_id, message_id, text: text.as_str().to_owned() };
    json(200, &object.call(edit).await?)
}

/// `DELETE /room/{room_id}/messages/{message_id} {key}` → 204: by its author or an admin,
/// while a present member. History keeps its id and seq, marked deleted.
pub async fn delete(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let message_id = param(&ctx, "message_id", MessageId::parse)?;
    let (room, object) = room_for(&ctx, request.query(), Action::Post, &Mentions::NONE).await?;
    let deletion =
        Deletion { user_id: request.caller.user_id, message_id, moderator: room.situation.caller.role.is_admin() };
    object.call(deletion).await?;
    no_content()
}
