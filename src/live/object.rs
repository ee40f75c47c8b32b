//! `LiveRoom`: the Durable Object of one room. The platform's entry points and the dispatch of
//! the worker's calls, nothing else: the room's rules are `room.rs` (and `opening.rs`), its
//! sockets `sockets.rs`, its storage `history/`. Sockets use the hibernation API: the object
//! may be evicted while they stay open, so everything a socket needs later is in its attachment.
//!
//! It trusts its caller: only the worker reaches it, and the worker has authorized the call.

use serde::Serialize;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, Socket as TcpSocket, State, WebSocket,
    WebSocketIncomingMessage,
};

use super::frames::ServerFrame;
use super::platform::{answer_close, answer_pings};
use super::protocol::{
    Answer, Call, Changes, Connect, Deletion, Denied, Edit, FanFrame, FanJudge, FanPull, FanReport, HistoryQuery,
    NewFile, Post, React, ReactorsQuery, Read, Redeem, RoomCall, SearchQuery, Ticket, CALL_HEADER, ROOM_HEADER,
};
use super::room::Room;
use super::sockets::send;
use crate::domain::RoomId;
use crate::error::ApiError;

#[durable_object]
pub struct LiveRoom {
    room: Room,
}

impl DurableObject for LiveRoom {
    fn new(state: State, env: Env) -> Self {
        answer_pings(&state);
        Self { room: Room::new(state, env) }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let outcome = match call_of(req).await {
            Ok((call, room_id)) => self.serve(call, room_id).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(response) => Ok(response),
            Err(error) => {
                worker::console_error!("room object: {}", error.detail());
                Ok(error.into_response()?)
            }
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        if let Err(error) = self.room.on_frame(&ws, message).await {
            worker::console_error!("room socket: {}", error.detail());
            send(&ws, &ServerFrame::Error { error: "internal error", txn_id: None });
        }
        Ok(())
    }

    /// The client closed (or answered the room's close): the room answers with the same code, as
    /// the runtime does not for a hibernated socket, so that the close handshake ends and the
    /// connection with it; then who is here is told again.
    async fn websocket_close(&self, ws: WebSocket, code: usize, reason: String, _was_clean: bool) -> Result<()> {
        answer_close(&ws, code, &reason);
        self.room.left(&ws).await;
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.room.left(&ws).await;
        Ok(())
    }

    async fn alarm(&self) -> Result<Response> {
        if let Err(error) = self.room.on_alarm().await {
            worker::console_error!("room alarm: {}", error.detail());
        }
        Response::empty()
    }

    /// No TCP service: a connection is closed at once.
    async fn connect(&self, _socket: TcpSocket) -> Result<()> {
        Ok(())
    }
}

/// The call a request carries: in its body, or, for an upgrade, in `CALL_HEADER`. Read as text
/// and parsed here, not by JavaScript's `JSON.parse`, which would turn an integer past 2^53
/// into a float. And the room's id, in `ROOM_HEADER`.
async fn call_of(mut req: Request) -> std::result::Result<(Call, RoomId), ApiError> {
    let unreadable = |error: String| ApiError::internal(format!("room object call: {error}"));
    let room_id = req.headers().get(ROOM_HEADER)?.unwrap_or_default();
    let room_id = RoomId::parse(&room_id).map_err(|_| unreadable(format!("no room id: {room_id:?}")))?;
    let text = match req.headers().get(CALL_HEADER)? {
        Some(text) => text,
        None => req.text().await.map_err(|error| unreadable(error.to_string()))?,
    };
    Ok((serde_json::from_str(&text).map_err(|error| unreadable(error.to_string()))?, room_id))
}

/// The reply to a call of type `C`: so typed, the object answers each call with what its
/// caller reads (`RoomCall::Done`).
fn reply<C: RoomCall>(answer: &Answer<C::Done>) -> std::result::Result<Response, ApiError> {
    Response::from_json(answer).map_err(ApiError::internal)
}

fn done<C: RoomCall>(done: C::Done) -> std::result::Result<Response, ApiError>
where
    C::Done: Serialize,
{
    reply::<C>(&Answer::Done(done))
}

impl LiveRoom {
    async fn serve(&self, call: Call, room_id: RoomId) -> std::result::Result<Response, ApiError> {
        let room = &self.room;
        // First: it must not make the storage of an object that never held a room.
        if let Call::Redeem(redeem) = call {
            return reply::<Redeem>(&room.redeem(&redeem)?);
        }
        room.know_room_id(&room_id)?;
        let answer = match call {
            Call::Redeem(_) => Err(ApiError::internal("a ticket's redemption served twice")),
            // A deleted room takes the changes still on their way as applied.
            Call::Apply(changes) => done::<Changes>(room.apply(changes).await?),
            // A deleted room answers every other call as gone.
            _ if room.stored()?.is_none() => reply::<Connect>(&Denied::RoomGone.into()),
            Call::Connect(connect) => match room.accept(connect).await? {
                Ok(upgrade) => Ok(upgrade),
                Err(refused) => reply::<Connect>(&refused),
            },
            Call::Post(post) => reply::<Post>(&room.post(&post)?),
            Call::History(query) => reply::<HistoryQuery>(&room.page(&query)?),
            Call::Edit(edit) => reply::<Edit>(&room.edit(&edit)?),
            Call::Delete(deletion) => reply::<Deletion>(&room.delete(&deletion)?),
            Call::AddTicket(ticket) => reply::<Ticket>(&room.add_ticket(&ticket)?),
            Call::Read(read) => reply::<Read>(&room.read(&read, None)?),
            Call::React(react) => reply::<React>(&room.react(&react)?),
            Call::Reactors(query) => reply::<ReactorsQuery>(&room.reactors(&query)?),
            Call::Search(query) => reply::<SearchQuery>(&room.search(&query)?),
            Call::AddFile(file) => reply::<NewFile>(&room.add_file(&file).await?),
            Call::FanFrame(frame) => reply::<FanFrame>(&room.fan_frame(frame).await?),
            Call::FanReport(report) => reply::<FanReport>(&room.fan_report(&report).await?),
            Call::FanPull(pull) => reply::<FanPull>(&room.fan_pull(&pull)?),
            Call::FanJudge(judge) => reply::<FanJudge>(&room.fan_judge(&judge)?),
        };
        room.counts_changed().await;
        answer
    }
}
