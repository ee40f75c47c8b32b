//! `RoomFan`: a fan-out object of a room. It holds sockets the room placed here and pushes
//! them the room's items, one at a time and in order (`Work`); it hands their frames to the
//! room, and tells the room, a moment after a socket opens or closes, how many it holds and
//! whose. What it keeps across hibernation: where it is in the room's line (`Stand`), and each
//! socket's attachment, as the room's own object does.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, Socket as TcpSocket, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use super::protocol::{FanCall, FanNumber, FrameReply, Held, Item, Mark, Numbered, Opening, Placement, Whom};
use crate::clock::now_millis;
use crate::domain::{RoomId, UserId};
use crate::error::ApiError;
use crate::live::client::RoomObject;
use crate::live::frames::{self, ClientFrame, ServerFrame};
use crate::live::incoming::{admitted, Admitted};
use crate::live::platform::{answer_close, answer_pings, in_millis, wake_by};
use crate::live::protocol::{Answer, FanFrame, FanJudge, FanPull, FanReport, CALL_HEADER};
use crate::live::sockets::{self, is_open, send, Rates, Socket, Sockets};
use crate::live::standing::Standing;
use crate::log::RequestLog;

/// How long opens and closes gather before the room is told.
const REPORT_MILLIS: i64 = 200;

/// How long a report the room's object did not answer waits to be made again.
const REPORT_RETRY_MILLIS: i64 = 2_000;

/// How long an answer to a frame waits for the item it follows before it goes anyway.
const PARKED_MILLIS: i64 = 2_000;

#[durable_object]
pub struct RoomFan {
    fan: Rc<Fan>,
}

/// Where this object is in its room's line, kept in its storage.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stand {
    room_id: RoomId,
    k: FanNumber,
    /// The seq of the last event its sockets had; none before its first.
    seq: Option<i64>,
    /// The last item applied.
    epoch: u32,
    n: u64,
    /// Sockets ever accepted.
    accepted: u64,
}

enum Work {
    Items(Vec<Numbered>),
    Open(WebSocket, Placement),
}

/// An answer to a frame, waiting for the item it follows (`mark`) since `since`.
struct Parked {
    mark: Mark,
    since: i64,
    ws: WebSocket,
    frames: Vec<String>,
}

struct Fan {
    state: State,
    env: Env,
    stand: RefCell<Option<Stand>>,
    /// What is to be done, in order, one at a time.
    work: RefCell<VecDeque<Work>>,
    working: Cell<bool>,
    /// Sockets accepted whose opening has not run yet: they get nothing else until it does.
    opening: Rc<RefCell<Vec<WebSocket>>>,
    /// Answers to frames that wait for the item they follow, and since when.
    parked: RefCell<Vec<Parked>>,
    /// Who is here, as the room last said.
    presence: RefCell<Option<Vec<UserId>>>,
    rates: Rates,
}

const STAND_SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS stand (one INTEGER PRIMARY KEY CHECK (one = 1), body TEXT NOT NULL)";
const STAND: &str = "SELECT body FROM stand";
const SAVE_STAND: &str = "INSERT OR REPLACE INTO stand (one, body) VALUES (1, ?)";

fn failed(error: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("fan-out object: {error}"))
}

impl DurableObject for RoomFan {
    fn new(state: State, env: Env) -> Self {
        answer_pings(&state);
        let fan = Fan {
            state,
            env,
            stand: RefCell::new(None),
            work: RefCell::default(),
            working: Cell::new(false),
            opening: Rc::default(),
            parked: RefCell::default(),
            presence: RefCell::new(None),
            rates: Rates::default(),
        };
        Self { fan: Rc::new(fan) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let text = match req.headers().get(CALL_HEADER)? {
            Some(text) => text,
            None => req.text().await?,
        };
        let outcome = match serde_json::from_str::<FanCall>(&text) {
            Ok(call) => self.fan.clone().serve(call).await,
            Err(error) => Err(failed(error)),
        };
        match outcome {
            Ok(response) => Ok(response),
            Err(error) => {
                worker::console_error!("fan-out object: {}", error.detail());
                Ok(error.into_response()?)
            }
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        if let Err(error) = self.fan.clone().on_frame(&ws, message).await {
            worker::console_error!("fan-out socket: {}", error.detail());
            send(&ws, &ServerFrame::Error { error: "internal error", txn_id: None });
        }
        Ok(())
    }

    async fn websocket_close(&self, ws: WebSocket, code: usize, reason: String, _was_clean: bool) -> Result<()> {
        answer_close(&ws, code, &reason);
        self.fan.report_soon().await;
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.fan.report_soon().await;
        Ok(())
    }

    async fn alarm(&self) -> Result<Response> {
        if let Err(error) = self.fan.on_alarm().await {
            worker::console_error!("fan-out alarm: {}", error.detail());
        }
        Response::empty()
    }

    /// No TCP service: a connection is closed at once.
    async fn connect(&self, _socket: TcpSocket) -> Result<()> {
        Ok(())
    }
}

impl Fan {
    async fn serve(self: Rc<Self>, call: FanCall) -> std::result::Result<Response, ApiError> {
        match call {
            FanCall::Accept { room_id, placement } => self.accept(room_id, placement).await,
            FanCall::Deliver { room_id, fan, items } => {
                self.know(room_id, fan)?;
                self.work.borrow_mut().push_back(Work::Items(items));
                self.clone().run().await;
                Response::from_json(&Answer::<()>::Done(())).map_err(ApiError::internal)
            }
        }
    }

    fn sockets(&self) -> Sockets<'_> {
        Sockets::new(&self.state, &self.opening)
    }

    /// Where this object stands, once read from its storage.
    fn stand(&self) -> std::result::Result<Option<Stand>, ApiError> {
        if let Some(stand) = self.stand.borrow().as_ref() {
            return Ok(Some(stand.clone()));
        }
        #[derive(Deserialize)]
        struct Row {
            body: String,
        }
        let sql = self.state.storage().sql();
        sql.exec(STAND_SCHEMA, None).map_err(failed)?;
        let rows: Vec<Row> = sql.exec(STAND, None).and_then(|cursor| cursor.to_array()).map_err(failed)?;
        let stand = rows.first().map(|row| serde_json::from_str::<Stand>(&row.body)).transpose().map_err(failed)?;
        self.stand.borrow_mut().clone_from(&stand);
        Ok(stand)
    }

    fn save(&self, stand: Stand) -> std::result::Result<(), ApiError> {
        let body = serde_json::to_string(&stand).map_err(ApiError::internal)?;
        self.state.storage().sql().exec(SAVE_STAND, vec![body.into()]).map_err(failed)?;
        *self.stand.borrow_mut() = Some(stand);
        Ok(())
    }

    /// Learns whose fan-out object this is, on the first call.
    fn know(&self, room_id: RoomId, k: FanNumber) -> std::result::Result<Stand, ApiError> {
        match self.stand()? {
            Some(stand) => Ok(stand),
            None => {
                let stand = Stand { room_id, k, seq: None, epoch: 0, n: 0, accepted: 0 };
                self.save(stand.clone())?;
                Ok(stand)
            }
        }
    }

    fn room(&self, stand: &Stand) -> std::result::Result<RoomObject, ApiError> {
        RoomObject::of(&self.env, &stand.room_id, &RequestLog::default())
    }

    /// Accepts the socket the room placed here: its opening runs in turn with the room's items.
    async fn accept(self: Rc<Self>, room_id: RoomId, placement: Placement) -> std::result::Result<Response, ApiError> {
        let mut stand = self.know(room_id, placement.fan)?;
        let socket = &placement.socket;
        if let Some(user_id) = &socket.user_id {
            self.sockets().make_room_for(user_id);
        }
        let pair = WebSocketPair::new()?;
        let ws = pair.server;
        let mut tags = socket.tags();
        tags.push(id_tag(socket.id));
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        self.state.accept_websocket_with_tags(&ws, &tags);
        ws.serialize_attachment(socket)?;
        stand.accepted += 1;
        self.save(stand)?;
        self.opening.borrow_mut().push(ws.clone());
        self.work.borrow_mut().push_back(Work::Open(ws, placement));
        self.state.wait_until(self.clone().run());
        self.report_soon().await;
        Ok(Response::from_websocket(pair.client)?)
    }

    /// Does the work in order, unless that is under way already.
    async fn run(self: Rc<Self>) {
        if self.working.replace(true) {
            return;
        }
        loop {
            let next = self.work.borrow_mut().pop_front();
            let Some(work) = next else { break };
            let outcome = match work {
                Work::Items(items) => self.apply(items).await,
                Work::Open(ws, placement) => {
                    let outcome = self.open(&ws, placement).await;
                    self.opening.borrow_mut().retain(|other| *other != ws);
                    if outcome.is_err() {
                        sockets::close(&ws, Standing::Out { code: 1011, reason: "opening failed" });
                    }
                    outcome
                }
            };
            if let Err(error) = outcome {
                worker::console_error!("fan-out object: {}", error.detail());
            }
        }
        self.working.set(false);
        self.unpark(false);
    }

    /// Applies the room's items, each once, in order.
    async fn apply(&self, items: Vec<Numbered>) -> std::result::Result<(), ApiError> {
        let Some(mut stand) = self.stand()? else { return Err(failed("items before the room was known")) };
        for Numbered { epoch, n, item } in items {
            if !fresh(&stand, epoch, n) {
                continue;
            }
            stand.epoch = epoch;
            stand.n = n;
            match item {
                Item::Event { seq, text, own } => {
                    match step(stand.seq, seq) {
                        Step::Had => continue,
                        Step::Missed if self.holds_any() => self.catch_up(&mut stand, seq - 1).await?,
                        Step::Missed | Step::Next => {}
                    }
                    self.sockets().broadcast_own(&text, &own);
                    stand.seq = Some(seq);
                }
                Item::Presence { users } => {
                    self.sockets().broadcast(&ServerFrame::Presence { users: &users });
                    *self.presence.borrow_mut() = Some(users);
                }
                Item::Frame { text, whom, but } => {
                    let but: Vec<WebSocket> = match but {
                        Some(id) => self.state.get_websockets_with_tag(&id_tag(id)),
                        None => Vec::new(),
                    };
                    let text = worker::js_sys::JsString::from(text.as_str());
                    let opening = self.opening.borrow();
                    for ws in self.of(&whom).iter().filter(|ws| !but.contains(ws) && !opening.contains(ws)) {
                        sockets::send_js(ws, &text);
                    }
                }
                Item::Close { whom, code, reason } => {
                    for ws in self.of(&whom).iter().filter(|ws| is_open(ws)) {
                        let _ = ws.close(Some(code), Some(reason.as_str()));
                    }
                    if whom == Whom::All && code == frames::close::ROOM_DELETED {
                        // The room is gone: so is what this object kept of it.
                        self.state.storage().delete_all().await?;
                        *self.stand.borrow_mut() = None;
                        return Ok(());
                    }
                    // Who is here changed now, not once the clients finish their closes.
                    self.report_soon().await;
                }
                Item::Present { user_id } => self.sockets().mark_present(&user_id)?,
                Item::Judge => {
                    self.judge(&stand).await?;
                    self.report_soon().await;
                }
            }
            // What was applied stays applied, whatever fails next.
            self.save(stand.clone())?;
        }
        self.unpark(false);
        Ok(())
    }

    /// Whether it holds an open socket whose opening ran.
    fn holds_any(&self) -> bool {
        let opening = self.opening.borrow();
        self.sockets().all().iter().any(|ws| !opening.contains(ws) && is_open(ws))
    }

    fn of(&self, whom: &Whom) -> Vec<WebSocket> {
        match whom {
            Whom::All => self.sockets().all(),
            Whom::User { user_id } => self.sockets().of_user(user_id),
            Whom::Key { key_hash } => self.sockets().of_key(key_hash),
        }
    }

    /// Sends every socket but those opening the events after the last they had, up to
    /// `through`, from the room: what a lost delivery left out.
    async fn catch_up(&self, stand: &mut Stand, through: i64) -> std::result::Result<(), ApiError> {
        let mut last = stand.seq.unwrap_or(through);
        while last < through {
            let pulled = self.room(stand)?.call(FanPull { after: last, through, user_id: None }).await?;
            for event in &pulled.events {
                self.sockets().broadcast_own(&event.text, &event.own);
            }
            *self.presence.borrow_mut() = Some(pulled.here);
            if pulled.events.is_empty() {
                worker::console_error!("fan-out object: events {} to {through} are no longer kept", last + 1);
                break;
            }
            last = pulled.last;
        }
        stand.seq = Some(through);
        Ok(())
    }

    /// A socket's opening: `hello` (made by the room), the replay or `reset`, `ready`, who is
    /// here. Its sockets had the events up to `placement.seq` first, if they had not.
    async fn open(&self, ws: &WebSocket, placement: Placement) -> std::result::Result<(), ApiError> {
        let Some(mut stand) = self.stand()? else { return Err(failed("a socket before the room was known")) };
        let others = self.holds_any();
        match stand.seq {
            Some(last) if last < placement.seq && others => self.catch_up(&mut stand, placement.seq).await?,
            Some(last) if last >= placement.seq && others => {}
            // No socket here: what this object last heard (it is handed nothing while it holds
            // none) is of no use.
            _ => {
                stand.seq = Some(placement.seq);
                *self.presence.borrow_mut() = None;
            }
        }
        self.save(stand.clone())?;
        let latest = stand.seq.unwrap_or(placement.seq);
        let _ = ws.send_with_str(&placement.hello);
        let mut cursor = match placement.opening {
            Opening::Fresh => placement.seq,
            Opening::Reset => {
                send(ws, &ServerFrame::Reset { seq: placement.seq });
                placement.seq
            }
            Opening::Replay { after } => after,
        };
        let user_id = placement.socket.user_id;
        while cursor < latest && is_open(ws) {
            let pulled = self.room(&stand)?.call(FanPull { after: cursor, through: latest, user_id }).await?;
            for event in &pulled.events {
                let _ = ws.send_with_str(&event.text);
            }
            *self.presence.borrow_mut() = Some(pulled.here);
            if pulled.events.is_empty() {
                break;
            }
            cursor = pulled.last;
        }
        let known = self.presence.borrow().clone();
        let mut here = match known {
            Some(here) => here,
            None => {
                let pulled = self.room(&stand)?.call(FanPull { after: latest, through: latest, user_id: None }).await?;
                *self.presence.borrow_mut() = Some(pulled.here.clone());
                pulled.here
            }
        };
        // The socket's own user is here, whether or not the room said so yet.
        if let Some(user_id) = user_id {
            if let Err(at) = here.binary_search(&user_id) {
                here.insert(at, user_id);
            }
        }
        send(ws, &ServerFrame::Ready { seq: latest });
        send(ws, &ServerFrame::Presence { users: &here });
        Ok(())
    }

    /// Asks the room whether each kind of socket here may stay; closes those that may not.
    async fn judge(&self, stand: &Stand) -> std::result::Result<(), ApiError> {
        let all: Vec<(WebSocket, Held)> = self
            .sockets()
            .all()
            .into_iter()
            .filter(is_open)
            .map(|ws| {
                let socket = Socket::of(&ws);
                (ws, Held { user_id: socket.user_id, key_hash: socket.key_hash, present: socket.present })
            })
            .collect();
        let mut held: Vec<Held> = Vec::new();
        for (_, one) in &all {
            if !held.contains(one) {
                held.push(one.clone());
            }
        }
        let closes = self.room(stand)?.call(FanJudge { held: held.clone() }).await?;
        for (ws, one) in &all {
            let close = held.iter().position(|other| other == one).and_then(|at| closes.get(at)).cloned().flatten();
            if let Some((code, reason)) = close {
                let _ = ws.close(Some(code), Some(reason.as_str()));
            }
        }
        Ok(())
    }

    /// A frame of a socket here: checked as the room checks its own, then the room does it.
    async fn on_frame(
        self: Rc<Self>,
        ws: &WebSocket,
        message: WebSocketIncomingMessage,
    ) -> std::result::Result<(), ApiError> {
        let (socket, text) = match admitted(ws, message, &self.rates, now_millis())? {
            Admitted::Frame(socket, text) => (socket, text),
            // Gone from who is here now, not once the client answers the close.
            Admitted::Closed => {
                self.report_soon().await;
                return Ok(());
            }
            Admitted::Dropped => return Ok(()),
        };
        if let Ok(ClientFrame::Ping) = ClientFrame::parse(&text) {
            send(ws, &ServerFrame::Pong);
            return Ok(());
        }
        let Some(stand) = self.stand()? else { return Err(failed("a frame before the room was known")) };
        let reply: FrameReply = self.room(&stand)?.call(FanFrame { fan: stand.k, socket, text }).await?;
        if let Some((code, reason)) = reply.close {
            if is_open(ws) {
                let _ = ws.close(Some(code), Some(reason.as_str()));
            }
            self.report_soon().await;
            return Ok(());
        }
        match reply.after {
            Some(mark) if !self.applied(mark) => {
                let parked = Parked { mark, since: now_millis(), ws: ws.clone(), frames: reply.frames };
                self.parked.borrow_mut().push(parked);
                let fan = self.clone();
                self.state.wait_until(async move {
                    worker::Delay::from(in_millis(PARKED_MILLIS)).await;
                    fan.unpark(true);
                });
            }
            _ => {
                for frame in &reply.frames {
                    let _ = ws.send_with_str(frame);
                }
            }
        }
        Ok(())
    }

    /// Whether the room's item `mark` was applied here.
    fn applied(&self, mark: Mark) -> bool {
        self.stand.borrow().as_ref().is_some_and(|stand| stand.epoch == mark.epoch && stand.n >= mark.n)
    }

    /// Sends the answers whose item was applied (or, `late`, that waited long enough).
    fn unpark(&self, late: bool) {
        let now = now_millis();
        let parked = std::mem::take(&mut *self.parked.borrow_mut());
        let (due, waiting): (Vec<Parked>, Vec<Parked>) = parked
            .into_iter()
            .partition(|parked| self.applied(parked.mark) || (late && now - parked.since >= PARKED_MILLIS));
        self.parked.borrow_mut().extend(waiting);
        for parked in due {
            for frame in &parked.frames {
                let _ = parked.ws.send_with_str(frame);
            }
        }
    }

    /// The room is told of this object's sockets in a moment, once opens and closes settle.
    async fn report_soon(&self) {
        wake_by(&self.state, now_millis() + REPORT_MILLIS).await;
    }

    /// Closes sockets whose key expired, tells the room what this object holds, and wakes
    /// again at the next expiry.
    async fn on_alarm(&self) -> std::result::Result<(), ApiError> {
        let Some(stand) = self.stand()? else { return Ok(()) };
        let sockets = self.sockets();
        // The next expiry first: a report that fails must not leave a key's end unwatched.
        if let Some(next) = sockets.close_expired(now_millis()) {
            wake_by(&self.state, next).await;
        }
        let open = u32::try_from(sockets.all().iter().filter(|ws| is_open(ws)).count()).unwrap_or(u32::MAX);
        let users = sockets.present_users();
        let report = FanReport { fan: stand.k, sockets: open, accepted: stand.accepted, users };
        match self.room(&stand)?.call(report).await {
            // The room's object did not answer: told again in a moment (who is here must reach
            // it). A refusal (the room is gone) is not tried again.
            Err(error @ ApiError::Unavailable(_)) => {
                wake_by(&self.state, now_millis() + REPORT_RETRY_MILLIS).await;
                Err(error)
            }
            outcome => outcome,
        }
    }
}

/// Whether the room's item numbered `n` in its life `epoch` is new here: a new life's items
/// all are.
fn fresh(stand: &Stand, epoch: u32, n: u64) -> bool {
    stand.epoch != epoch || n > stand.n
}

/// What an event does here, by the seq of the last its sockets had.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// They had it.
    Had,
    /// The next: sent.
    Next,
    /// Events before it were missed (a delivery given up): asked of the room first.
    Missed,
}

fn step(last: Option<i64>, seq: i64) -> Step {
    match last {
        Some(last) if seq <= last => Step::Had,
        Some(last) if seq > last + 1 => Step::Missed,
        _ => Step::Next,
    }
}

fn id_tag(id: u64) -> String {
    format!("id:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_its_sockets_had_is_skipped_and_one_past_a_gap_waits_for_the_gap() {
        assert_eq!(step(Some(7), 7), Step::Had);
        assert_eq!(step(Some(7), 3), Step::Had);
        assert_eq!(step(Some(7), 8), Step::Next);
        assert_eq!(step(Some(7), 10), Step::Missed);
        // Before its first socket, whatever comes is where it starts.
        assert_eq!(step(None, 10), Step::Next);
    }

    #[test]
    fn an_item_is_applied_once_and_a_new_life_of_the_room_starts_its_count_again() {
        let room_id = crate::domain::RoomId::parse("00000000-0000-4000-9000-000000000001").unwrap();
        let stand = Stand { room_id, k: 0, seq: Some(1), epoch: 7, n: 5, accepted: 1 };
        assert!(!fresh(&stand, 7, 5));
        assert!(!fresh(&stand, 7, 4));
        assert!(fresh(&stand, 7, 6));
        assert!(fresh(&stand, 8, 1));
    }
}
