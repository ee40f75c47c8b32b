//! The relay between D1's outbox (`store::outbox`) and the rooms' objects (`live`), above both:
//! a request hands the rooms it touched their committed events itself, up to a few rooms, and
//! the relay's own object (`object::OutboxRelay`) the others, and those whose object failed,
//! room by room with retries; the cron has it sweep the whole outbox.

pub mod object;

use serde::{Deserialize, Serialize};
use worker::{Context, Env, Headers, Method, Request, RequestInit, Stub};

use crate::domain::RoomId;
use crate::error::ApiError;
use crate::live::client::RoomObject;
use crate::live::frames::Change;
use crate::live::protocol::OutboxEvent;
use crate::log::RequestLog;
use crate::store::outbox::{self, Outbox, Row};
use crate::store::Db;

/// Rooms whose events a request hands over itself, at most: the relay takes the others, so
/// that no request makes more calls than the platform allows, however many rooms a change
/// reaches.
pub const ROOMS_PER_REQUEST: usize = 20;

/// The outbox's rows, room by room, each room's in outbox order, as the rooms' objects read
/// them. A row of no known change (written by a newer worker) goes as `Change::Unknown`, so
/// that it is applied as nothing and never holds up what comes after it.
pub fn by_room(rows: &[Row]) -> Vec<(RoomId, Vec<OutboxEvent>)> {
    let mut rooms: Vec<(RoomId, Vec<OutboxEvent>)> = Vec::new();
    for row in rows {
        let Ok(room_id) = RoomId::parse(&row.room_id) else {
            worker::console_error!("outbox row {} names no room: {:?}", row.id, row.room_id);
            continue;
        };
        let change = serde_json::from_str::<Change>(&row.event).unwrap_or(Change::Unknown);
        let event = OutboxEvent { id: row.id, change };
        match rooms.iter_mut().find(|(id, _)| *id == room_id) {
            Some((_, of_room)) => of_room.push(event),
            None => rooms.push((room_id, vec![event])),
        }
    }
    rooms
}

/// Hands each room its events, all rooms at once: what each object answered, the highest
/// outbox id it applied or why it failed.
pub async fn hand_over(
    env: &Env,
    log: &RequestLog,
    rooms: Vec<(RoomId, Vec<OutboxEvent>)>,
) -> Vec<(RoomId, Result<i64, ApiError>)> {
    let calls = rooms.into_iter().map(|(room_id, events)| async move {
        let applied = match RoomObject::of(env, &room_id, log) {
            Ok(object) => object.apply(events).await,
            Err(error) => Err(error),
        };
        (room_id, applied)
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
    let rest: Vec<RoomId> =
        rooms.split_off(rooms.len().min(ROOMS_PER_REQUEST)).into_iter().map(|(room_id, _)| room_id).collect();
    let mut applied = Vec::new();
    let mut failed = Vec::new();
    let mut outcome = Ok(());
    for (room_id, answer) in hand_over(env, log, rooms).await {
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
    pub rooms: Vec<RoomId>,
    /// Rooms whose object just failed: due after their backoff.
    pub failed: Vec<RoomId>,
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
    pub fn of(env: &Env, log: &RequestLog) -> Result<Self, ApiError> {
        let stub = env.durable_object("RELAY").and_then(|relay| relay.id_from_name("outbox")?.get_stub());
        let stub = stub.map_err(|error| ApiError::Unavailable(format!("outbox relay: {error}")))?;
        Ok(Self { stub, log: log.clone() })
    }

    pub async fn take(&self, handover: &Handover) -> Result<(), ApiError> {
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
