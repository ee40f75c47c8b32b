//! Direct messages: `PUT /dm/{user_id}` opens the caller's one DM with someone, and
//! `/user/{user_id}/requests` lists the DMs others started with one, waiting for an answer.
//! A DM is a room (`kind: "dm"`): it is read, posted in, accepted (joined) and declined (left)
//! through the room routes.

use serde_json::json;
use worker::{Request, Response};

use super::users::OwnAccount;
use super::{caller, db, hand_over, Ctx};
use crate::auth::random_bytes;
use crate::clock::now_millis;
use crate::domain::{Page, RoomId, UserId};
use crate::error::ApiError;
use crate::http::{json, param, read_input};
use crate::store::rooms;

/// `PUT /dm/{user_id} {key}` → 200 `{room_id}`: the one DM of the caller and that person, the
/// same whoever asks first and however often; started now (the other person invited) if there
/// was none. Oneself 400, an unknown user 404, someone who blocked the caller 403, past
/// `DMS_PER_DAY` new DMs 429.
pub async fn open(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let other = param(&ctx, "user_id", UserId::parse)?;
    let caller = caller(&ctx, &input).await?;
    if other == caller.user_id {
        return Err(ApiError::bad_request("a direct message is with someone else"));
    }
    let new_room = RoomId::from_random_bytes(random_bytes()?);
    let db = db(&ctx)?;
    let opened = rooms::open_dm(&db, &caller, &other, &new_room, now_millis(), &ctx.data.config.limits).await?;
    hand_over(&ctx, &opened.outbox).await;
    json(200, &json!({ "room_id": opened.room_id }))
}

/// `GET /user/{user_id}/requests?limit&offset` (one's own key) → 200 `{requests: [{room_id,
/// from, first_message, at}], index, request_count}`, newest first: the DMs others started with
/// the caller that they have neither accepted nor declined.
pub async fn requests(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let account = OwnAccount::read_private(req, &ctx).await?;
    let page = Page::parse(account.input.uint("limit")?, account.input.uint("offset")?)?;
    let (rows, count) = rooms::requests_of(&account.db, &account.caller, page).await?;
    json(200, &json!({ "requests": rows, "index": page.offset, "request_count": count }))
}
