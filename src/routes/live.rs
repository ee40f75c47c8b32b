//! `/room/{room_id}/live`: a room's WebSocket, and the tickets that let a browser open one.
//! The worker authorizes the socket against D1 and KV, as any request; the room's object then
//! holds it (`live::object`).

use serde_json::json;
use worker::{Request, Response};

use super::{db, notify, sessions, Ctx, RoomWrite};
use crate::auth::session::{KeyHash, SessionKey};
use crate::clock::now_millis;
use crate::domain::{Action, Refusal, Role, RoomId, RoomKind};
use crate::error::ApiError;
use crate::http::{json, param, read_input, Input};
use crate::live::client::{Opened, RoomObject};
use crate::live::fan::client::FanObject;
use crate::live::frames::You;
use crate::live::protocol::{Connect, Denied, Redeem, Ticket};
use crate::store::rooms::{self, permitted, Room, RoomQuery};
use crate::store::{Caller, Db};

/// `POST /room/{room_id}/live {key}` → 200 `{ticket, expires_in}`: a single-use ticket, good
/// for a minute (`TICKET_SECONDS`), to open this room's socket with `?ticket=` (a browser
/// cannot send a key in a header to a WebSocket, and a key must not go into a URL). Kept only
/// as its hash.
pub async fn ticket(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let request = RoomWrite::new(req, &ctx).await?;
    let room = permitted(rooms::find_for_ticket(&db(&ctx)?, request.query()).await?, Action::View)?;
    if room.situation.caller.banned.is_some() {
        return Err(Refusal::Banned.into());
    }
    refuse_dm_invitee(&room)?;
    // Made and kept as a session key is: 32 random bytes, stored as their SHA-256.
    let ticket = SessionKey::generate()?;
    let seconds = ctx.data.config.ticket_seconds;
    let record = Ticket {
        ticket_hash: ticket.hash(),
        user_id: request.caller.user_id,
        key_hash: request.caller.key.clone(),
        expires_at: now_millis() + i64::from(seconds) * 1000,
    };
    RoomObject::of(&ctx.env, &request.room_id, &ctx.data.log)?.call(record).await?;
    json(200, &json!({ "ticket": ticket.reveal(), "expires_in": seconds }))
}

/// `GET /room/{room_id}/live` (a WebSocket upgrade; `Authorization: Bearer <key>`, or
/// `?ticket=`, or neither for a viewer of an open room; `?after=<seq>` resumes) → 101, then
/// the frames of web/asyncapi.json. Whoever may not see the room gets 404 before any upgrade.
pub async fn connect(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = upgrade_input(req).await?;
    let room_id = param(&ctx, "room_id", RoomId::parse)?;
    let after = input
        .uint("after")?
        .map(|after| i64::try_from(after).map_err(|_| ApiError::bad_request("after is too large")))
        .transpose()?;
    let object = RoomObject::of(&ctx.env, &room_id, &ctx.data.log)?;
    let db = db(&ctx)?;
    let caller = match (input.key()?, input.text("ticket")?) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("send a key or a ticket, not both")),
        (Some(key), None) => Some(sessions(&ctx)?.caller(key).await?),
        (None, Some(ticket)) => Some(redeem(&db, &object, &room_id, ticket).await?),
        (None, None) => None,
    };
    let query = RoomQuery { room_id: &room_id, caller: caller.as_ref(), target: None };
    let rooms::Live { room, expires_at, pending, blocked } = rooms::find_live(&db, query).await?;
    let room = permitted(room, Action::View)?;
    // A banned user may read an open room as anyone may, but not be present in it.
    if caller.is_some() && room.situation.caller.banned.is_some() {
        return Err(Refusal::Banned.into());
    }
    refuse_dm_invitee(&room)?;
    // The room's object first learns every change D1 had committed when it found the caller
    // here, so that what it knows is no older than what the worker saw.
    notify(&ctx, &pending).await;
    let role = room.situation.caller.role;
    let you = caller.as_ref().map(|caller| You {
        user_id: caller.user_id,
        present: role.is_present(),
        admin: role.is_admin(),
        owner: role == Role::Owner,
        reading: None,
    });
    let connect =
        Connect { room: room.view(), you, key_hash: caller.map(|caller| caller.key), expires_at, after, blocked };
    match object.connect(connect).await? {
        Opened::Here(upgraded) => Ok(upgraded),
        Opened::Placed(placement) => {
            ctx.data.log.object();
            ctx.data.log.fan(placement.fan);
            FanObject::of(&ctx.env, &room_id, placement.fan)?.accept(room_id, placement).await
        }
    }
}

/// A socket's request: an upgrade (else 426), its fields, but never a key in the URL (400).
pub(super) async fn upgrade_input(mut req: Request) -> Result<Input, ApiError> {
    let upgrade = req.headers().get("Upgrade")?;
    if !upgrade.is_some_and(|upgrade| upgrade.eq_ignore_ascii_case("websocket")) {
        return Err(ApiError::UpgradeRequired);
    }
    let input = read_input(&mut req).await?;
    if input.text("key")?.is_some() {
        return Err(ApiError::bad_request(
            "a key never goes in a URL: send Authorization: Bearer <key>, or take a ticket",
        ));
    }
    Ok(input)
}

/// The person invited to a DM reads it over HTTP to decide; its socket is its two people's.
fn refuse_dm_invitee(room: &Room) -> Result<(), ApiError> {
    if room.kind == RoomKind::Dm && !room.situation.caller.role.is_present() {
        return Err(ApiError::Forbidden("accept the request (join the DM) before opening its socket"));
    }
    Ok(())
}

/// Whose the ticket is, used up. A ticket the room's object does not know is 401, but for a
/// room that does not exist, or is closed, which answers 404 as it does without a ticket.
async fn redeem(db: &Db, object: &RoomObject, room_id: &RoomId, ticket: &str) -> Result<Caller, ApiError> {
    let redeemed = match KeyHash::of(ticket) {
        Ok(ticket_hash) => object.call(Redeem { ticket_hash }).await,
        Err(_) => Err(Denied::BadTicket.into()),
    };
    let redeemed = match redeemed {
        Ok(redeemed) => redeemed,
        Err(refused) => {
            let query = RoomQuery { room_id, caller: None, target: None };
            permitted(rooms::find(db, query).await?, Action::View)?;
            return Err(refused);
        }
    };
    Ok(Caller { user_id: redeemed.user_id, key: redeemed.key_hash })
}
