//! `/rooms` and `/user/{user_id}/rooms`: finding rooms.

use serde_json::json;
use worker::{Request, Response};

use super::{db, optional_caller, replica_db, Ctx};
use crate::domain::{Page, UserId};
use crate::error::{json_text, ApiError};
use crate::http::{json, param, read_input};
use crate::store::directory::{self, RoomOrder};

/// `GET /rooms?limit&offset&q` → 200 `{rooms, index, room_count}`: open rooms, most members
/// first, whose names contain `q` in any case.
pub async fn open_rooms(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let page = Page::parse(input.uint("limit")?, input.uint("offset")?)?;
    let query = input.text("q")?.filter(|query| !query.is_empty());
    let (rooms, room_count) = directory::open_rooms(&replica_db(&ctx)?, query, page).await?;
    json(200, &json!({ "rooms": rooms, "index": page.offset, "room_count": room_count }))
}

/// `GET /user/{user_id}/rooms?key&limit&offset&sort` → the rooms the user is a present member
/// of, each with where they stand in its messages (`last_seq`, `last_message_at`, `read_seq`,
/// `unread`, `marked_unread`), in the order they joined or (`sort=activity`) the latest
/// message first; only with that user's own key.
pub async fn rooms_of_user(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let user_id = param(&ctx, "user_id", UserId::parse)?;
    let page = Page::parse(input.uint("limit")?, input.uint("offset")?)?;
    let order = match input.text("sort")? {
        None | Some("joined") => RoomOrder::Joined,
        Some("activity") => RoomOrder::Activity,
        Some(_) => return Err(ApiError::bad_request("sort must be joined or activity")),
    };
    let caller = optional_caller(&ctx, &input).await?;
    let Some(caller) = caller.filter(|caller| caller.user_id == user_id) else {
        return Err(ApiError::Forbidden("only the user themself may list their rooms"));
    };
    let (rooms, room_count) =
        directory::rooms_of(&db(&ctx)?, &caller, page, order).await?.ok_or(ApiError::NotFound("user not found"))?;
    // The rooms as D1 wrote them: a JSON array, passed through.
    Ok(json_text(200, format!(r#"{{"rooms":{rooms},"index":{},"room_count":{room_count}}}"#, page.offset))?)
}
