//! `/user/{user_id}/live`: the person's inbox socket (`crate::inbox`), and the tickets that
//! let a browser open one. Only its owner reaches it: anyone else gets 404, as for a room they
//! may not see.

use serde_json::json;
use worker::{Request, Response};

use super::live::upgrade_input;
use super::{caller, db, sessions, Ctx};
use crate::auth::session::{KeyHash, SessionKey};
use crate::clock::now_millis;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::http::{json, param, read_input};
use crate::inbox::client::InboxObject;
use crate::inbox::protocol::InboxConnect;
use crate::live::protocol::{Denied, Ticket};
use crate::store::{inboxes, Caller};

fn not_found() -> ApiError {
    ApiError::NotFound("user not found")
}

/// `POST /user/{user_id}/live {key}` → 200 `{ticket, expires_in}`: a single-use ticket, good
/// for `TICKET_SECONDS`, to open the inbox socket with `?ticket=`; the owner's key only.
pub async fn ticket(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let user_id = param(&ctx, "user_id", UserId::parse)?;
    let caller = caller(&ctx, &input).await?;
    if caller.user_id != user_id {
        return Err(not_found());
    }
    inboxes::session_expiry(&db(&ctx)?, &caller).await?;
    let ticket = SessionKey::generate()?;
    let seconds = ctx.data.config.ticket_seconds;
    let record = Ticket {
        ticket_hash: ticket.hash(),
        user_id,
        key_hash: caller.key.clone(),
        expires_at: now_millis() + i64::from(seconds) * 1000,
    };
    InboxObject::of(&ctx.env, &user_id)?.add_ticket(record).await?;
    json(200, &json!({ "ticket": ticket.reveal(), "expires_in": seconds }))
}

/// `GET /user/{user_id}/live` (a WebSocket upgrade; `Authorization: Bearer <key>` or
/// `?ticket=`) → 101, then the inbox's frames (web/asyncapi.json). Anyone but the owner: 404.
pub async fn connect(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = upgrade_input(req).await?;
    let user_id = param(&ctx, "user_id", UserId::parse)?;
    let inbox = InboxObject::of(&ctx.env, &user_id)?;
    let caller = match (input.key()?, input.text("ticket")?) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("send a key or a ticket, not both")),
        (Some(key), None) => sessions(&ctx)?.caller(key).await?,
        (None, Some(ticket)) => {
            let ticket_hash = KeyHash::of(ticket).map_err(|_| ApiError::from(Denied::BadTicket))?;
            let redeemed = inbox.redeem(ticket_hash).await?;
            Caller { user_id: redeemed.user_id, key: redeemed.key_hash }
        }
        (None, None) => return Err(not_found()),
    };
    if caller.user_id != user_id {
        return Err(not_found());
    }
    let expires_at = inboxes::session_expiry(&db(&ctx)?, &caller).await?;
    inbox.connect(InboxConnect { user_id, key_hash: caller.key, expires_at }).await
}
