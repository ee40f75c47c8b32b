//! The worker's side of a room's object: every call (`protocol::Call`) posted to one path, its
//! answer read as the call's own type.

use worker::{Env, Headers, Method, Request, RequestInit, Response, Stub};

use super::fan::protocol::Placement;
use super::protocol::{Answer, Call, Changes, Connect, OutboxEvent, RoomCall, CALL_HEADER, ROOM_HEADER};
use crate::domain::RoomId;
use crate::error::ApiError;
use crate::log::RequestLog;

/// A call to an object (a room's, or an inbox), as JSON: posted as the body, or, for a socket's
/// opening (an upgrade, which carries no body), in the `X-Room-Call` header of a GET
/// (`CALL_HEADER`).
pub fn call_request(url: &str, headers: Headers, body: String, upgrade: bool) -> Result<Request, ApiError> {
    let mut init = RequestInit::new();
    if upgrade {
        headers.set("Upgrade", "websocket")?;
        headers.set(CALL_HEADER, &body)?;
        init.with_method(Method::Get);
    } else {
        headers.set("Content-Type", "application/json")?;
        init.with_method(Method::Post).with_body(Some(body.into()));
    }
    init.with_headers(headers);
    Ok(Request::new_with_init(url, &init)?)
}

/// The object of one room.
pub struct RoomObject {
    stub: Stub,
    room_id: RoomId,
    log: RequestLog,
}

fn unavailable(error: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("room object: {error}"))
}

impl RoomObject {
    pub fn of(env: &Env, room_id: &RoomId, log: &RequestLog) -> Result<Self, ApiError> {
        let stub = env.durable_object("ROOMS").and_then(|rooms| rooms.id_from_name(&room_id.to_string())?.get_stub());
        Ok(Self { stub: stub.map_err(unavailable)?, room_id: *room_id, log: log.clone() })
    }

    async fn send(&self, call: Call) -> Result<Response, ApiError> {
        let body = serde_json::to_string(&call).map_err(ApiError::internal)?;
        let headers = Headers::new();
        headers.set(ROOM_HEADER, &self.room_id.to_string())?;
        let request = call_request("https://room/call", headers, body, matches!(call, Call::Connect(_)))?;
        self.log.object();
        self.stub.fetch_with_request(request).await.map_err(unavailable)
    }

    /// Makes the call; what the object answered it with when done, or its refusal.
    pub async fn call<C: RoomCall>(&self, call: C) -> Result<C::Done, ApiError> {
        let mut response = self.send(call.into()).await?;
        if response.status_code() != 200 {
            let text = response.text().await.unwrap_or_default();
            return Err(unavailable(format!("answered {}: {text}", response.status_code())));
        }
        response.json::<Answer<C::Done>>().await.map_err(unavailable)?.into_result()
    }

    /// Hands over changes D1 committed; the highest outbox id the object has applied.
    pub async fn apply(&self, events: Vec<OutboxEvent>) -> Result<i64, ApiError> {
        Ok(self.call(Changes { events }).await?.applied)
    }

    /// Opens the socket the worker authorized: the object's 101 answer, or the fan-out object
    /// it placed the socket in, or its refusal.
    pub async fn connect(&self, connect: Connect) -> Result<Opened, ApiError> {
        let mut response = self.send(connect.into()).await?;
        if response.status_code() != 200 {
            return Ok(Opened::Here(upgraded(response).await?));
        }
        let placement = response.json::<Answer<Placement>>().await.map_err(unavailable)?.into_result()?;
        Ok(Opened::Placed(placement))
    }
}

/// What a socket's opening got from the room's object.
pub enum Opened {
    /// The 101 answer, with the socket.
    Here(Response),
    /// The fan-out object that is to hold it.
    Placed(Placement),
}

/// An object's answer to a socket's opening: its 101 (with the socket), or its refusal.
pub async fn upgraded(mut response: Response) -> Result<Response, ApiError> {
    match response.status_code() {
        101 => match response.websocket() {
            Some(ws) => Ok(Response::from_websocket(ws)?),
            None => Err(unavailable("answered 101 without a socket")),
        },
        // A refusal: what the object was told since the worker read D1.
        200 => match response.json::<Answer<()>>().await.map_err(unavailable)? {
            Answer::Denied(denied) => Err(denied.into()),
            Answer::Done(()) => Err(unavailable("answered a connect with neither a socket nor a refusal")),
        },
        status => Err(unavailable(format!("answered a connect with {status}"))),
    }
}
