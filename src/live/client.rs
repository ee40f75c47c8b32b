//! The worker's side of the room objects (one call per thing the worker asks of a room) and of
//! the relay (`relay`), and the delivery of committed changes to the rooms between them.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{Context, Env, Headers, Method, Request, RequestInit, Response, Stub};

use super::{Answer, Applied, Changes, Connect, Deletion, Edit, HistoryQuery, Pending, Post, Redeem, Redeemed, Ticket};
use crate::error::ApiError;
use crate::log::RequestLog;
use crate::store::outbox::{self, Outbox};
use crate::store::Db;

/// The object of one room.
pub struct RoomObject {
    stub: Stub,
    log: RequestLog,
}

fn unavailable(error: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("room object: {error}"))
}

impl RoomObject {
    pub fn of(env: &Env, room_id: &str, log: &RequestLog) -> Result<Self, ApiError> {
        let stub = env.durable_object("ROOMS").and_then(|rooms| rooms.id_from_name(room_id)?.get_stub());
        Ok(Self { stub: stub.map_err(unavailable)?, log: log.clone() })
    }

    async fn call<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        let body = serde_json::to_string(body).map_err(ApiError::internal)?;
        let headers = Headers::new();
        headers.set("Content-Type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
        let request = Request::new_with_init(&format!("https://room{path}"), &init)?;
        self.log.object();
        let mut response = self.stub.fetch_with_request(request).await.map_err(unavailable)?;
        if response.status_code() != 200 {
            let text = response.text().await.unwrap_or_default();
            return Err(unavailable(format!("{path} answered {}: {text}", response.status_code())));
        }
        response.json().await.map_err(unavailable)
    }

    /// Hands over changes D1 committed; the highest outbox id the object has applied.
    pub async fn apply(&self, events: &[Pending]) -> Result<i64, ApiError> {
        let applied: Applied = self.call("/events", &Changes { events: events.to_vec() }).await?;
        Ok(applied.applied)
    }

    /// The posted message, as history shows it.
    pub async fn post(&self, post: &Post) -> Result<serde_json::Value, ApiError> {
        self.call::<_, Answer<serde_json::Value>>("/messages", post).await?.into_result()
    }

    /// `{messages, next}`.
    pub async fn history(&self, query: &HistoryQuery) -> Result<serde_json::Value, ApiError> {
        self.call::<_, Answer<serde_json::Value>>("/history", query).await?.into_result()
    }

    pub async fn edit(&self, edit: &Edit) -> Result<serde_json::Value, ApiError> {
        self.call::<_, Answer<serde_json::Value>>("/edit", edit).await?.into_result()
    }

    pub async fn delete(&self, deletion: &Deletion) -> Result<(), ApiError> {
        self.call::<_, Answer<()>>("/delete", deletion).await?.into_result()
    }

    pub async fn add_ticket(&self, ticket: &Ticket) -> Result<(), ApiError> {
        self.call::<_, Answer<()>>("/tickets", ticket).await?.into_result()
    }

    /// Whose the ticket was; used up either way.
    pub async fn redeem(&self, ticket_hash: &str) -> Result<Redeemed, ApiError> {
        let redeem = Redeem { ticket_hash: ticket_hash.to_owned() };
        self.call::<_, Answer<Redeemed>>("/redeem", &redeem).await?.into_result()
    }

    /// Opens the socket the worker authorized: the object's 101 answer.
    pub async fn connect(&self, connect: &Connect) -> Result<Response, ApiError> {
        let headers = Headers::new();
        headers.set("Upgrade", "websocket")?;
        headers.set("X-Live-Connect", &serde_json::to_string(connect).map_err(ApiError::internal)?)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Get).with_headers(headers);
        let request = Request::new_with_init("https://room/connect", &init)?;
        self.log.object();
        let mut response = self.stub.fetch_with_request(request).await.map_err(unavailable)?;
        match response.status_code() {
            101 => match response.websocket() {
                Some(ws) => Ok(Response::from_websocket(ws)?),
                None => Err(unavailable("/connect answered 101 without a socket")),
            },
            // A refusal: what the room was told since the worker read D1.
            200 => match response.json::<Answer<()>>().await.map_err(unavailable)? {
                Answer::Denied(denied) => Err(denied.into()),
                Answer::Done(()) => Err(unavailable("/connect answered neither a socket nor a refusal")),
            },
            status => Err(unavailable(format!("/connect answered {status} without a socket"))),
        }
    }
}

/// Rooms whose events a request hands over itself, at most: the relay takes the others, so
/// that no request makes more calls than the platform allows, however many rooms a change
/// reaches.
pub const ROOMS_PER_REQUEST: usize = 20;

/// Pending events, room by room, each room's in outbox order.
pub fn by_room(events: &[Pending]) -> Vec<(String, Vec<Pending>)> {
    let mut rooms: Vec<(String, Vec<Pending>)> = Vec::new();
    for event in events {
        match rooms.iter_mut().find(|(room_id, _)| *room_id == event.room_id) {
            Some((_, of_room)) => of_room.push(event.clone()),
            None => rooms.push((event.room_id.clone(), vec![event.clone()])),
        }
    }
    rooms
}

/// Hands each room its events, all rooms at once: what each object answered, the highest
/// outbox id it applied or why it failed.
pub async fn hand_over(
    env: &Env,
    log: &RequestLog,
    rooms: &[(String, Vec<Pending>)],
) -> Vec<(String, Result<i64, ApiError>)> {
    let calls = rooms.iter().map(|(room_id, events)| async move {
        let applied = match RoomObject::of(env, room_id, log) {
            Ok(object) => object.apply(events).await,
            Err(error) => Err(error),
        };
        (room_id.clone(), applied)
    });
    futures_util::future::join_all(calls).await
}

/// Hands the rooms their pending events: the first `ROOMS_PER_REQUEST` rooms from here, the
/// others, and those whose object failed, through the relay (which retries). Then deletes from
/// the outbox what the objects applied, and calls the relay: at once, or after the answer when
/// `later` is the request's context (the events have reached the sockets; only the
/// bookkeeping is left). The first failure is returned, after every room was tried.
pub async fn deliver(env: &Env, log: &RequestLog, outbox: &Outbox, later: Option<&Context>) -> Result<(), ApiError> {
    let mut rooms = by_room(&outbox.events);
    let rest: Vec<String> =
        rooms.split_off(rooms.len().min(ROOMS_PER_REQUEST)).into_iter().map(|(room_id, _)| room_id).collect();
    let mut applied = Vec::new();
    let mut failed = Vec::new();
    let mut outcome = Ok(());
    for (room_id, answer) in hand_over(env, log, &rooms).await {
        match answer {
            Ok(id) => applied.push((room_id, id)),
            Err(error) => {
                failed.push(room_id);
                if outcome.is_ok() {
                    outcome = Err(error);
                }
            }
        }
    }
    let handover = Handover { rooms: rest, failed, sweep_from: outbox.beyond };
    let bookkeeping = {
        let (env, log) = (env.clone(), log.clone());
        async move {
            let db = Db::open(&env, &log)?;
            outbox::applied(&db, &applied).await?;
            if !handover.is_empty() {
                RelayObject::of(&env, &log)?.take(&handover).await?;
            }
            Ok::<(), ApiError>(())
        }
    };
    match later {
        None => bookkeeping.await?,
        Some(context) => context.wait_until(async move {
            if let Err(error) = bookkeeping.await {
                worker::console_error!("room events handed over, their bookkeeping left: {}", error.detail());
            }
        }),
    }
    outcome
}

/// What the relay is handed.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Handover {
    /// Rooms with events pending: due now.
    pub rooms: Vec<String>,
    /// Rooms whose object just failed: due after their backoff.
    pub failed: Vec<String>,
    /// Look through the outbox from this id on for rooms with events pending.
    pub sweep_from: Option<i64>,
}

impl Handover {
    pub fn is_empty(&self) -> bool {
        self.rooms.is_empty() && self.failed.is_empty() && self.sweep_from.is_none()
    }
}

/// The worker's side of the relay.
pub struct RelayObject {
    stub: Stub,
    log: RequestLog,
}

impl RelayObject {
    pub fn of(env: &Env, log: &RequestLog) -> std::result::Result<Self, ApiError> {
        let stub = env.durable_object("RELAY").and_then(|relay| relay.id_from_name("outbox")?.get_stub());
        let stub = stub.map_err(|error| ApiError::Unavailable(format!("outbox relay: {error}")))?;
        Ok(Self { stub, log: log.clone() })
    }

    pub async fn take(&self, handover: &Handover) -> std::result::Result<(), ApiError> {
        let body = serde_json::to_string(handover).map_err(ApiError::internal)?;
        let headers = Headers::new();
        headers.set("Content-Type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
        let request = Request::new_with_init("https://relay/take", &init)?;
        self.log.object();
        let response = self.stub.fetch_with_request(request).await;
        match response.map(|response| response.status_code()) {
            Ok(200) => Ok(()),
            Ok(status) => Err(ApiError::Unavailable(format!("outbox relay answered {status}"))),
            Err(error) => Err(ApiError::Unavailable(format!("outbox relay: {error}"))),
        }
    }
}
