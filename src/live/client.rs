//! The worker's side of the room objects: one call per thing the worker asks of a room.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Context, Env, Headers, Method, Request, RequestInit, Response, Stub};

use super::{Answer, Applied, Changes, Connect, Deletion, Edit, HistoryQuery, Pending, Post, Redeem, Redeemed, Ticket};
use crate::error::ApiError;
use crate::http::RequestLog;
use crate::store::{outbox, Db};

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
        let response = self.stub.fetch_with_request(request).await.map_err(unavailable)?;
        let status = response.status_code();
        match response.websocket() {
            Some(ws) => Ok(Response::from_websocket(ws)?),
            None => Err(unavailable(format!("/connect answered {status} without a socket"))),
        }
    }
}

/// Hands each room's pending events to its object, in order, then deletes from the outbox
/// what the object applied: at once, or after the answer when `later` is the request's context
/// (the events have reached the sockets; only the bookkeeping is left). A room whose object
/// fails keeps its events queued: the next change of the room hands them over again, and so
/// does the scheduled retry (`lib.rs`). The first failure is returned, after every room was
/// tried.
pub async fn deliver(
    env: &Env,
    db: &Db,
    log: &RequestLog,
    events: &[Pending],
    later: Option<&Context>,
) -> Result<(), ApiError> {
    let mut rooms: Vec<(&str, Vec<Pending>)> = Vec::new();
    for event in events {
        match rooms.iter_mut().find(|(room_id, _)| *room_id == event.room_id) {
            Some((_, of_room)) => of_room.push(event.clone()),
            None => rooms.push((&event.room_id, vec![event.clone()])),
        }
    }
    let mut outcome = Ok(());
    for (room_id, of_room) in rooms {
        let delivered = async {
            let applied = RoomObject::of(env, room_id, log)?.apply(&of_room).await?;
            match later {
                None => outbox::applied(db, room_id, applied).await,
                Some(context) => {
                    let (env, room_id) = (env.clone(), room_id.to_owned());
                    context.wait_until(async move {
                        let forgotten = match Db::open(&env, &RequestLog::default()) {
                            Ok(db) => outbox::applied(&db, &room_id, applied).await,
                            Err(error) => Err(error),
                        };
                        if let Err(error) = forgotten {
                            let detail = error.detail().to_owned();
                            worker::console_error!("room events applied but left queued: {detail}");
                        }
                    });
                    Ok(())
                }
            }
        };
        if let Err(error) = delivered.await {
            if outcome.is_ok() {
                outcome = Err(error);
            }
        }
    }
    outcome
}
