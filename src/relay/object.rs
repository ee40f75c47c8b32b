//! `OutboxRelay`: the one Durable Object that hands the rooms' objects what requests could not,
//! room by room: the events of rooms beyond what one request may call, and of rooms whose
//! object failed, retried with a backoff of their own, so that no room waits behind another.
//! The cron has it sweep the whole outbox, for anything a request queued and never handed
//! over. Each round is an alarm, an invocation of its own, so that none makes more calls than
//! the platform allows, however many rooms are waiting.

use serde::Deserialize;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State, WebSocket,
    WebSocketIncomingMessage,
};

use super::{by_room, hand_over, Handover};
use crate::clock::now_millis;
use crate::domain::RoomId;
use crate::error::ApiError;
use crate::log::RequestLog;
use crate::store::outbox::{self, CHUNK};
use crate::store::Db;

/// Rooms whose objects one round calls.
const ROOMS_PER_ROUND: i64 = 40;

/// Outbox ids one round of a sweep looks through.
const SWEEP_PAGE: i64 = 1_000;

/// The most a failing room waits before it is tried again.
const MAX_BACKOFF_MILLIS: i64 = 60_000;

const SCHEMA: &[&str] = &[
    // Rooms with events to hand over, when, and how often their object failed in a row.
    "CREATE TABLE IF NOT EXISTS due (room_id TEXT PRIMARY KEY, due_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS due_by_time ON due (due_at)",
    // Sweeps under way: the outbox id each has reached.
    "CREATE TABLE IF NOT EXISTS sweeps (from_id INTEGER PRIMARY KEY)",
];

#[durable_object]
pub struct OutboxRelay {
    state: State,
    env: Env,
}

impl DurableObject for OutboxRelay {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let taken = async {
            let handover: Handover =
                req.json().await.map_err(|error| ApiError::internal(format!("relay call: {error}")))?;
            self.take(&handover).await
        };
        match taken.await {
            Ok(()) => Response::from_json(&serde_json::json!({})),
            Err(error) => {
                worker::console_error!("outbox relay: {}", error.detail());
                Ok(error.into_response()?)
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        if let Err(error) = self.round().await {
            worker::console_error!("outbox relay round: {}", error.detail());
            // Tried again soon: the alarm is the relay's only clock.
            let _ = self.state.storage().set_alarm(in_millis(1_000)).await;
        }
        Response::empty()
    }

    async fn websocket_message(&self, ws: WebSocket, _message: WebSocketIncomingMessage) -> Result<()> {
        ws.close(Some(1008), Some("no sockets here"))
    }

    async fn websocket_close(&self, _ws: WebSocket, _code: usize, _reason: String, _clean: bool) -> Result<()> {
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        Ok(())
    }
}

/// An alarm `millis` from now: `set_alarm` takes a number as an offset, not a time.
fn in_millis(millis: i64) -> std::time::Duration {
    std::time::Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

fn storage_error(error: worker::Error) -> ApiError {
    ApiError::internal(format!("relay storage: {error}"))
}

#[derive(Deserialize)]
struct DueRoom {
    room_id: String,
}

#[derive(Deserialize)]
struct Number {
    n: Option<i64>,
}

impl OutboxRelay {
    fn sql(&self) -> std::result::Result<SqlStorage, ApiError> {
        let sql = self.state.storage().sql();
        for statement in SCHEMA {
            sql.exec(statement, None).map_err(storage_error)?;
        }
        Ok(sql)
    }

    async fn take(&self, handover: &Handover) -> std::result::Result<(), ApiError> {
        let sql = self.sql()?;
        let now = now_millis();
        for room_id in &handover.rooms {
            due_now(&sql, &room_id.to_string(), now)?;
        }
        for room_id in &handover.failed {
            failed(&sql, &room_id.to_string(), now)?;
        }
        if let Some(from) = handover.sweep_from {
            exec(&sql, "INSERT OR IGNORE INTO sweeps (from_id) VALUES (?)", vec![from.into()])?;
        }
        self.wake(&sql, now).await
    }

    /// One round: a page of a sweep, then the rooms due, then the next alarm.
    async fn round(&self) -> std::result::Result<(), ApiError> {
        let sql = self.sql()?;
        let log = RequestLog::default();
        let db = Db::open(&self.env, &log)?;
        let now = now_millis();
        if let Some(from) = number(&sql, "SELECT min(from_id) AS n FROM sweeps", vec![])? {
            let page = outbox::page(&db, from, SWEEP_PAGE).await?;
            exec(&sql, "DELETE FROM sweeps WHERE from_id = ?", vec![from.into()])?;
            for room in &page {
                exec(
                    &sql,
                    "INSERT OR IGNORE INTO due (room_id, due_at, attempts) VALUES (?, ?, 0)",
                    vec![room.room_id.as_str().into(), now.into()],
                )?;
            }
            if let (Some(last), true) = (page.last(), page.len() as i64 == SWEEP_PAGE) {
                exec(&sql, "INSERT OR IGNORE INTO sweeps (from_id) VALUES (?)", vec![last.id.into()])?;
            }
        }
        let due: Vec<DueRoom> = sql
            .exec(
                "SELECT room_id FROM due WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                vec![now.into(), ROOMS_PER_ROUND.into()],
            )
            .and_then(|cursor| cursor.to_array())
            .map_err(storage_error)?;
        if !due.is_empty() {
            let room_ids: Vec<String> = due.into_iter().map(|room| room.room_id).collect();
            let rooms = by_room(&outbox::of_rooms(&db, &room_ids).await?);
            // A room with nothing left pending is done.
            for room_id in room_ids.iter().filter(|room_id| !rooms.iter().any(|(id, _)| id.to_string() == **room_id)) {
                exec(&sql, "DELETE FROM due WHERE room_id = ?", vec![room_id.as_str().into()])?;
            }
            // Rooms read a whole chunk of: more may be pending.
            let full: Vec<RoomId> =
                rooms.iter().filter(|(_, events)| events.len() as i64 >= CHUNK).map(|(id, _)| *id).collect();
            let mut applied = Vec::new();
            for (room_id, answer) in hand_over(&self.env, &log, rooms).await {
                let room = room_id.to_string();
                match answer {
                    Ok(id) => {
                        applied.push((room_id, id));
                        if full.contains(&room_id) {
                            due_now(&sql, &room, now)?;
                        } else {
                            exec(&sql, "DELETE FROM due WHERE room_id = ?", vec![room.as_str().into()])?;
                        }
                    }
                    Err(error) => {
                        worker::console_error!("outbox relay: room {room}: {}", error.detail());
                        failed(&sql, &room, now)?;
                    }
                }
            }
            outbox::applied(&db, &applied).await?;
        }
        self.wake(&sql, now_millis()).await
    }

    /// Sets the alarm for the next round: at once while a sweep is under way or a room is
    /// due, else when the first room is due.
    async fn wake(&self, sql: &SqlStorage, now: i64) -> std::result::Result<(), ApiError> {
        let sweeping = number(sql, "SELECT count(*) AS n FROM sweeps", vec![])?.unwrap_or(0) > 0;
        let next = number(sql, "SELECT min(due_at) AS n FROM due", vec![])?;
        let at = if sweeping { Some(now) } else { next };
        let storage = self.state.storage();
        match at {
            Some(at) => {
                let current = storage.get_alarm().await.ok().flatten();
                if current.is_none_or(|current| current > at) {
                    storage.set_alarm(in_millis(at - now)).await.map_err(storage_error)?;
                }
            }
            None => storage.delete_alarm().await.map_err(storage_error)?,
        }
        Ok(())
    }
}

fn exec(sql: &SqlStorage, query: &str, args: Vec<worker::SqlStorageValue>) -> std::result::Result<(), ApiError> {
    sql.exec(query, args).map(drop).map_err(storage_error)
}

fn number(
    sql: &SqlStorage,
    query: &str,
    args: Vec<worker::SqlStorageValue>,
) -> std::result::Result<Option<i64>, ApiError> {
    let rows: Vec<Number> = sql.exec(query, args).and_then(|cursor| cursor.to_array()).map_err(storage_error)?;
    Ok(rows.first().and_then(|row| row.n))
}

/// The room is due now (its backoff, if any, forgotten: it has new events).
fn due_now(sql: &SqlStorage, room_id: &str, now: i64) -> std::result::Result<(), ApiError> {
    exec(
        sql,
        "INSERT INTO due (room_id, due_at, attempts) VALUES (?, ?, 0)
         ON CONFLICT (room_id) DO UPDATE SET due_at = min(due_at, excluded.due_at)",
        vec![room_id.into(), now.into()],
    )
}

/// The room's object failed once more: due again after 1 s, 2 s, 4 s... up to a minute.
fn failed(sql: &SqlStorage, room_id: &str, now: i64) -> std::result::Result<(), ApiError> {
    exec(
        sql,
        "INSERT INTO due (room_id, due_at, attempts) VALUES (?, ? + 1000, 1)
         ON CONFLICT (room_id) DO UPDATE
            SET attempts = attempts + 1, due_at = ? + min(?, 1000 << min(attempts, 6))",
        vec![room_id.into(), now.into(), now.into(), MAX_BACKOFF_MILLIS.into()],
    )
}
