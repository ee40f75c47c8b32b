//! `LiveRoom`: the Durable Object of one room. It numbers and keeps the room's events and
//! messages (`history`), applies the changes D1 committed (`apply`), and pushes each event to
//! every socket of the room (`sockets`). Sockets use the hibernation API: the object may be
//! evicted while they stay open, so everything a socket needs later is in its attachment.
//!
//! It trusts its caller: only the worker reaches it, and the worker has authorized the call.
//! It still refuses, on every connect and every frame, what it was told since has ended
//! (`standing`).

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::js_sys;
use worker::worker_sys::{DurableObjectState, WebSocketRequestResponsePair};
use worker::{
    durable_object, DurableObject, Env, Method, Request, Response, Result, Socket as TcpSocket, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use super::apply::{apply, Effect};
use super::frames::{self, close, ClientFrame};
use super::history::{numbered, Cursor, History, MessageRow, Resume, REPLAY_PAGE};
use super::sockets::{self, is_open, send, Rates, Socket, Sockets};
use super::standing::Standing;
use super::{Answer, Applied, Changes, Connect, Deletion, Denied, Edit, HistoryQuery, Post, Redeem, Redeemed, Ticket};
use crate::auth::random_bytes;
use crate::clock::now_millis;
use crate::config::{Config, RoomEventsFault, Settings};
use crate::domain::limits::{WriteKind, WriteLimit};
use crate::domain::{MessageId, MessageText};
use crate::error::ApiError;

/// How long presence changes gather before one `presence` frame tells them.
const PRESENCE_COALESCE_MILLIS: i64 = 200;

#[durable_object]
pub struct LiveRoom {
    state: State,
    env: Env,
    /// The room's storage while the object lives: `Some(None)` once the room is deleted.
    history: RefCell<Option<Option<Rc<History>>>>,
    /// The last `presence` frame sent, while the object stays in memory.
    presence: RefCell<Option<Vec<String>>>,
    /// Sockets still being sent their replay.
    replaying: Rc<RefCell<Vec<WebSocket>>>,
    rates: Rates,
    /// The settings, read once per object life.
    config: RefCell<Option<Rc<Config>>>,
    /// `FAULT_ROOM_EVENTS=fail_first` (tests): whether this object failed its first delivery.
    failed_once: RefCell<bool>,
}

impl DurableObject for LiveRoom {
    fn new(state: State, env: Env) -> Self {
        // `ping` is answered by the runtime, without waking the object (see `frames::PING`).
        if let Ok(pair) = WebSocketRequestResponsePair::new(frames::PING, frames::PONG) {
            state.set_websocket_auto_response(&pair);
        }
        Self {
            state,
            env,
            history: RefCell::new(None),
            presence: RefCell::new(None),
            replaying: Rc::default(),
            rates: Rates::default(),
            config: RefCell::new(None),
            failed_once: RefCell::new(false),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match self.serve(req).await {
            Ok(response) => Ok(response),
            Err(error) => {
                worker::console_error!("room object: {}", error.detail());
                Ok(error.into_response()?)
            }
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        if let Err(error) = self.on_frame(&ws, message).await {
            worker::console_error!("room socket: {}", error.detail());
            send(&ws, &json!({ "type": "error", "error": "internal error" }).to_string());
        }
        Ok(())
    }

    /// The client closed (or answered the room's close): the room answers with the same code, as
    /// the runtime does not for a hibernated socket, so that the close handshake ends and the
    /// connection with it; then who is here is told again.
    async fn websocket_close(&self, ws: WebSocket, code: usize, reason: String, _was_clean: bool) -> Result<()> {
        let (code, reason) = frames::close::echo(code, &reason);
        // A socket the room closed first is closed already: this does nothing then.
        let _ = ws.close(Some(code), Some(reason));
        self.presence_changed().await;
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.presence_changed().await;
        Ok(())
    }

    async fn alarm(&self) -> Result<Response> {
        if let Err(error) = self.on_alarm().await {
            worker::console_error!("room alarm: {}", error.detail());
        }
        Response::empty()
    }

    /// No TCP service: a connection is closed at once.
    async fn connect(&self, _socket: TcpSocket) -> Result<()> {
        Ok(())
    }
}

/// An alarm `millis` from now: `set_alarm` takes a number as an offset, not a time.
fn in_millis(millis: i64) -> std::time::Duration {
    std::time::Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// An event's body before its seq: `{"type": kind}`.
fn typed(kind: &str) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("type".into(), kind.into());
    body
}

async fn body<T: DeserializeOwned>(req: &mut Request) -> std::result::Result<T, ApiError> {
    req.json().await.map_err(|error| ApiError::internal(format!("room object call: {error}")))
}

fn answer<T: Serialize>(answer: &Answer<T>) -> std::result::Result<Response, ApiError> {
    Response::from_json(answer).map_err(ApiError::internal)
}

#[wasm_bindgen]
extern "C" {
    /// A SQLite-backed object's storage, seen only for `transactionSync`, which workers-rs
    /// does not bind.
    type TransactionalStorage;
    #[wasm_bindgen(method, catch, js_name = transactionSync)]
    fn transaction_sync(this: &TransactionalStorage, work: &js_sys::Function) -> std::result::Result<JsValue, JsValue>;
}

/// Runs `work` as one transaction of the object's storage: all its writes, or none if it fails.
fn atomically<T: 'static>(
    state: &State,
    work: impl FnOnce() -> std::result::Result<T, ApiError> + 'static,
) -> std::result::Result<T, ApiError> {
    let outcome: Rc<RefCell<Option<std::result::Result<T, ApiError>>>> = Rc::default();
    let slot = outcome.clone();
    let mut work = Some(work);
    let closure = Closure::<dyn FnMut() -> std::result::Result<JsValue, JsValue>>::new(move || {
        let Some(work) = work.take() else { return Err(JsValue::from_str("a transaction ran twice")) };
        let result = work();
        let failed = result.is_err();
        *slot.borrow_mut() = Some(result);
        // Throwing rolls the transaction back.
        if failed {
            Err(JsValue::from_str("rolled back"))
        } else {
            Ok(JsValue::UNDEFINED)
        }
    });
    let storage = state.storage();
    let storage: &TransactionalStorage = storage.as_raw().unchecked_ref();
    let thrown = storage.transaction_sync(closure.as_ref().unchecked_ref()).err();
    let outcome = outcome.borrow_mut().take();
    match (outcome, thrown) {
        (Some(result), _) => result,
        (None, thrown) => Err(ApiError::internal(format!("room storage transaction: {thrown:?}"))),
    }
}

impl LiveRoom {
    fn sockets(&self) -> Sockets<'_> {
        Sockets::new(&self.state, &self.replaying)
    }

    /// The room's storage, made on first use; `None` once the room is deleted.
    fn stored(&self) -> std::result::Result<Option<Rc<History>>, ApiError> {
        if let Some(history) = self.history.borrow().as_ref() {
            return Ok(history.clone());
        }
        let history = History::open(self.state.storage().sql())?.map(Rc::new);
        *self.history.borrow_mut() = Some(history.clone());
        Ok(history)
    }

    /// The room's storage, for a call that needs the room to be there.
    fn history(&self) -> std::result::Result<Rc<History>, ApiError> {
        self.stored()?.ok_or(ApiError::from(Denied::RoomGone))
    }

    fn config(&self) -> Option<Rc<Config>> {
        if let Some(config) = self.config.borrow().as_ref() {
            return Some(config.clone());
        }
        let config = Settings::of(&self.env).config.ok()?;
        *self.config.borrow_mut() = Some(config.clone());
        Some(config)
    }

    async fn serve(&self, mut req: Request) -> std::result::Result<Response, ApiError> {
        let path = req.path();
        let gone = || answer(&Answer::<()>::Denied(Denied::RoomGone));
        match (req.method(), path.as_str()) {
            (Method::Post, "/events") => {
                let changes: Changes = body(&mut req).await?;
                let applied = self.apply(changes).await?;
                Response::from_json(&applied).map_err(ApiError::internal)
            }
            (Method::Post, "/redeem") => {
                let redeem: Redeem = body(&mut req).await?;
                // An object that never held a room answers without making its storage.
                let Some(history) = History::existing(self.state.storage().sql())? else {
                    return answer(&Answer::<()>::Denied(Denied::BadTicket));
                };
                let redeemed = history.redeem_ticket(&redeem.ticket_hash, now_millis())?;
                answer(&match redeemed {
                    Some((user_id, key_hash)) => Answer::Done(Redeemed { user_id, key_hash }),
                    None => Answer::Denied(Denied::BadTicket),
                })
            }
            _ if self.stored()?.is_none() => gone(),
            (Method::Get, "/connect") => self.accept(&req).await,
            (Method::Post, "/messages") => {
                let post: Post = body(&mut req).await?;
                answer(&self.post(&post)?.map_done(|message| message.to_json()))
            }
            (Method::Post, "/history") => {
                let query: HistoryQuery = body(&mut req).await?;
                answer(&self.page(&query)?)
            }
            (Method::Post, "/edit") => {
                let edit: Edit = body(&mut req).await?;
                answer(&self.edit(&edit)?)
            }
            (Method::Post, "/delete") => {
                let deletion: Deletion = body(&mut req).await?;
                answer(&self.delete(&deletion)?)
            }
            (Method::Post, "/tickets") => {
                let ticket: Ticket = body(&mut req).await?;
                let history = self.history()?;
                if history.told(Some(&ticket.key_hash), Some(&ticket.user_id))?.key_ended {
                    return answer(&Answer::<()>::Denied(Denied::KeyEnded));
                }
                history.add_ticket(
                    &ticket.ticket_hash,
                    &ticket.user_id,
                    &ticket.key_hash,
                    ticket.expires_at,
                    now_millis(),
                )?;
                answer(&Answer::Done(()))
            }
            _ => Err(ApiError::NotFound("no such room object call")),
        }
    }

    /// Accepts the socket the worker authorized, unless what the room was told since says it
    /// may not open: `hello`, the replay (or `reset`), `ready`, and who is here.
    async fn accept(&self, req: &Request) -> std::result::Result<Response, ApiError> {
        let connect: Connect = req
            .headers()
            .get("X-Live-Connect")?
            .and_then(|text| serde_json::from_str(&text).ok())
            .ok_or_else(|| ApiError::internal("room object: connect without X-Live-Connect"))?;
        let history = self.history()?;
        history.set_open(connect.room.open, false)?;
        let user_id = connect.you.as_ref().map(|you| you.user_id.clone());
        let now = now_millis();
        let mut socket = Socket {
            user_id,
            key_hash: connect.key_hash.clone(),
            expires_at: connect.expires_at,
            present: connect.you.as_ref().is_some_and(|you| you.present),
            opened_at: now,
            frames: 0,
            window_start: now,
        };
        let told = history.told(socket.key_hash.as_deref(), socket.user_id.as_deref())?;
        let standing = Standing::of(socket.keyed(), socket.present, told);
        match standing {
            Standing::Out { .. } if told.key_ended => return answer(&Answer::<()>::Denied(Denied::KeyEnded)),
            Standing::Out { .. } if told.banned => return answer(&Answer::<()>::Denied(Denied::Banned)),
            Standing::Out { .. } => return answer(&Answer::<()>::Denied(Denied::RoomGone)),
            Standing::Viewer => socket.present = false,
            Standing::Member => {}
        }
        if let Some(user_id) = &socket.user_id {
            self.sockets().make_room_for(user_id);
        }
        let pair = WebSocketPair::new()?;
        let ws = pair.server;
        let tags = socket.tags();
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        self.state.accept_websocket_with_tags(&ws, &tags);
        ws.serialize_attachment(&socket)?;
        let latest = history.latest_seq()?;
        let mut you = connect.you;
        if let Some(you) = you.as_mut() {
            you.present = socket.present;
        }
        send(&ws, &json!({ "type": "hello", "seq": latest, "room": connect.room, "you": you }).to_string());
        match connect.after.map(|after| history.resume(after)).transpose()? {
            None => self.ready(&ws, latest),
            Some(Resume::Reset) => {
                send(&ws, &json!({ "type": "reset", "seq": latest }).to_string());
                self.ready(&ws, latest);
            }
            Some(Resume::Replay) => self.replay(ws, history, connect.after.unwrap_or(latest)),
        }
        self.presence_changed().await;
        Ok(Response::from_websocket(pair.client)?)
    }

    /// `ready` and who is here: the socket then gets every event as it happens.
    fn ready(&self, ws: &WebSocket, latest: i64) {
        send(ws, &json!({ "type": "ready", "seq": latest }).to_string());
        send(ws, &json!({ "type": "presence", "users": self.sockets().present_users() }).to_string());
    }

    /// Sends the events after `after`, `REPLAY_PAGE` at a time, letting the room's other calls
    /// in between pages; the socket gets no other frame until it caught up, then `ready`. Every
    /// event reaches it once, in order: a page and the check that it caught up run with no
    /// await between them.
    fn replay(&self, ws: WebSocket, history: Rc<History>, after: i64) {
        let latest = history.latest_seq().unwrap_or(after);
        if latest - after <= REPLAY_PAGE {
            // Small enough to send at once.
            if let Err(error) = self.replay_page(&ws, &history, after) {
                worker::console_error!("room replay: {}", error.detail());
            }
            self.ready(&ws, latest);
            return;
        }
        self.replaying.borrow_mut().push(ws.clone());
        let replaying = self.replaying.clone();
        let state =
            State::from(self.state.as_raw().unchecked_ref::<JsValue>().clone().unchecked_into::<DurableObjectState>());
        self.state.wait_until(async move {
            let mut cursor = after;
            loop {
                let page = match history.events_after(cursor, REPLAY_PAGE) {
                    Ok((frames, last)) => {
                        for frame in &frames {
                            send(&ws, frame);
                        }
                        Ok(last)
                    }
                    Err(error) => Err(error),
                };
                let caught_up = match page {
                    Ok(last) => {
                        cursor = last;
                        history.latest_seq().map(|latest| cursor >= latest)
                    }
                    Err(error) => Err(error),
                };
                match caught_up {
                    Ok(false) if is_open(&ws) => {
                        // Lets the room's other calls in.
                        worker::Delay::from(std::time::Duration::ZERO).await;
                    }
                    outcome => {
                        if let Err(error) = outcome {
                            worker::console_error!("room replay: {}", error.detail());
                            sockets::close(&ws, Standing::Out { code: 1011, reason: "replay failed" });
                        }
                        replaying.borrow_mut().retain(|other| *other != ws);
                        let sockets = Sockets::new(&state, &replaying);
                        send(&ws, &json!({ "type": "ready", "seq": cursor }).to_string());
                        send(&ws, &json!({ "type": "presence", "users": sockets.present_users() }).to_string());
                        return;
                    }
                }
            }
        });
    }

    fn replay_page(&self, ws: &WebSocket, history: &History, after: i64) -> std::result::Result<(), ApiError> {
        for frame in history.events_after(after, REPLAY_PAGE)?.0 {
            send(ws, &frame);
        }
        Ok(())
    }

    /// Asks for an alarm soon, to tell who is here once the changes settle.
    async fn presence_changed(&self) {
        let soon = now_millis() + PRESENCE_COALESCE_MILLIS;
        let storage = self.state.storage();
        let due = storage.get_alarm().await.ok().flatten();
        if due.is_none_or(|due| due > soon) {
            let _ = storage.set_alarm(in_millis(PRESENCE_COALESCE_MILLIS)).await;
        }
    }

    /// Tells who is here if that changed, closes sockets whose key expired, and wakes again
    /// at the next expiry.
    async fn on_alarm(&self) -> std::result::Result<(), ApiError> {
        if self.stored()?.is_none() {
            return Ok(());
        }
        let now = now_millis();
        let mut next_expiry: Option<i64> = None;
        let sockets = self.sockets();
        for ws in sockets.all() {
            match Socket::of(&ws).expires_at {
                Some(expires_at) if expires_at <= now => sockets::close(&ws, Standing::KEY_ENDED),
                Some(expires_at) => next_expiry = Some(next_expiry.map_or(expires_at, |next| next.min(expires_at))),
                None => {}
            }
        }
        let users = sockets.present_users();
        let changed = self.presence.borrow().as_ref() != Some(&users);
        if changed {
            sockets.broadcast(&json!({ "type": "presence", "users": users }).to_string());
            *self.presence.borrow_mut() = Some(users);
        }
        if let Some(next) = next_expiry {
            self.state.storage().set_alarm(in_millis(next - now)).await?;
        }
        Ok(())
    }

    /// Counts a write against its kind's ceiling, if it has one: `Err(seconds)` to wait.
    fn count(&self, kind: WriteKind, user_id: &str, now: i64) -> std::result::Result<Result<(), u64>, ApiError> {
        let limit: Option<WriteLimit> = self.config().and_then(|config| config.limits.of(kind));
        match limit {
            Some(limit) => self.history()?.count_write(kind, user_id, now, &limit),
            None => Ok(Ok(())),
        }
    }

    /// Posts the message, unless the room was told its author left, or they are past their
    /// ceiling of posts.
    fn post(&self, post: &Post) -> std::result::Result<Answer<MessageRow>, ApiError> {
        let history = self.history()?;
        if history.departed(&post.user_id)? {
            return Ok(Answer::Denied(Denied::Departed));
        }
        let now = now_millis();
        if let Err(retry_after) = self.count(WriteKind::Post, &post.user_id, now)? {
            return Ok(Answer::Denied(Denied::TooMany { kind: WriteKind::Post, retry_after }));
        }
        let message = history.post(&post.message_id, &post.user_id, &post.text, now)?;
        self.sockets().broadcast(&numbered(message.seq, typed("message"), Some(&message)));
        Ok(Answer::Done(message))
    }

    fn page(&self, query: &HistoryQuery) -> std::result::Result<Answer<Value>, ApiError> {
        let cursor = match (&query.before, &query.after) {
            (Some(before), _) => Cursor::Before(before),
            (None, Some(after)) => Cursor::After(after),
            (None, None) => Cursor::Latest,
        };
        let Some(page) = self.history()?.page(cursor, query.limit)? else {
            return Ok(Answer::Denied(Denied::NoSuchMessage));
        };
        let next = page.messages.last().filter(|_| page.more_before).map(|message| message.message_id.clone());
        let messages: Vec<Value> = page.messages.iter().map(MessageRow::to_json).collect();
        Ok(Answer::Done(json!({ "messages": messages, "next": next })))
    }

    fn edit(&self, edit: &Edit) -> std::result::Result<Answer<Value>, ApiError> {
        let history = self.history()?;
        if history.departed(&edit.user_id)? {
            return Ok(Answer::Denied(Denied::Departed));
        }
        let Some(message) = history.message(&edit.message_id)?.filter(|message| !message.is_deleted()) else {
            return Ok(Answer::Denied(Denied::NoSuchMessage));
        };
        if message.user_id.as_deref() != Some(edit.user_id.as_str()) {
            return Ok(Answer::Denied(Denied::NotTheAuthor));
        }
        let now = now_millis();
        if let Err(retry_after) = self.count(WriteKind::Edit, &edit.user_id, now)? {
            return Ok(Answer::Denied(Denied::TooMany { kind: WriteKind::Edit, retry_after }));
        }
        let (seq, edited) = history.edit(&message, &edit.text, now)?;
        self.sockets().broadcast(&numbered(seq, typed("message_edited"), Some(&edited)));
        Ok(Answer::Done(edited.to_json()))
    }

    fn delete(&self, deletion: &Deletion) -> std::result::Result<Answer<()>, ApiError> {
        let history = self.history()?;
        if history.departed(&deletion.user_id)? {
            return Ok(Answer::Denied(Denied::Departed));
        }
        let Some(message) = history.message(&deletion.message_id)?.filter(|message| !message.is_deleted()) else {
            return Ok(Answer::Denied(Denied::NoSuchMessage));
        };
        if !deletion.moderator && message.user_id.as_deref() != Some(deletion.user_id.as_str()) {
            return Ok(Answer::Denied(Denied::NotYours));
        }
        let seq = history.delete(&message, now_millis())?;
        let mut body = typed("message_deleted");
        body.insert("message_id".into(), message.message_id.clone().into());
        self.sockets().broadcast(&numbered(seq, body, None));
        Ok(Answer::Done(()))
    }

    /// Applies the changes not applied yet, in one storage transaction with the outbox id it
    /// reached, then shows the sockets what they did.
    async fn apply(&self, changes: Changes) -> std::result::Result<Applied, ApiError> {
        let Some(history) = self.stored()? else {
            // A deleted room takes nothing more: all of it counts as applied.
            let applied = changes.events.iter().map(|pending| pending.id).max().unwrap_or(0);
            return Ok(Applied { applied });
        };
        let fault = self.config().and_then(|config| config.room_events_fault);
        let fails = matches!(fault, Some(RoomEventsFault::FailFirst | RoomEventsFault::FailMidway))
            && !self.failed_once.replace(true);
        if fails && fault == Some(RoomEventsFault::FailFirst) {
            return Err(ApiError::internal("FAULT_ROOM_EVENTS=fail_first: this object's first delivery fails"));
        }
        let now = now_millis();
        let outcome = atomically(&self.state, {
            let history = history.clone();
            move || {
                let applied = apply(&history, &changes.events, now)?;
                if fails {
                    return Err(ApiError::internal("FAULT_ROOM_EVENTS=fail_midway: failed after applying"));
                }
                Ok(applied)
            }
        });
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                // Rolled back: what the history keeps in memory (its latest seq) is read anew.
                *self.history.borrow_mut() = None;
                return Err(error);
            }
        };
        let sockets = self.sockets();
        let mut closed = false;
        for effect in outcome.effects {
            match effect {
                Effect::Broadcast(frame) => sockets.broadcast(&frame),
                Effect::CloseKey(key_hash) => {
                    for ws in sockets.of_key(&key_hash) {
                        sockets::close(&ws, Standing::KEY_ENDED);
                        closed = true;
                    }
                }
                Effect::CloseUser { user_id, standing } => {
                    for ws in sockets.of_user(&user_id) {
                        sockets::close(&ws, standing);
                        closed = true;
                    }
                }
                Effect::Present(user_id) => {
                    for ws in sockets.of_user(&user_id) {
                        let socket = Socket { present: true, ..Socket::of(&ws) };
                        ws.serialize_attachment(&socket)?;
                    }
                }
                Effect::Judge => {
                    for ws in sockets.all() {
                        let socket = Socket::of(&ws);
                        let told = history.told(socket.key_hash.as_deref(), socket.user_id.as_deref())?;
                        let standing = Standing::of(socket.keyed(), socket.present, told);
                        if matches!(standing, Standing::Out { .. }) {
                            sockets::close(&ws, standing);
                            closed = true;
                        }
                    }
                }
                Effect::Delete => {
                    for ws in sockets.all() {
                        sockets::close(&ws, Standing::ROOM_DELETED);
                    }
                    *self.history.borrow_mut() = Some(None);
                    let storage = self.state.storage();
                    storage.delete_alarm().await?;
                    storage.delete_all().await?;
                    History::bury(&storage.sql(), now)?;
                    return Ok(Applied { applied: outcome.applied });
                }
            }
        }
        if closed {
            self.presence_changed().await;
        }
        Ok(Applied { applied: outcome.applied })
    }

    /// The socket's standing now, by its attachment and what the room was told.
    fn standing(&self, socket: &Socket) -> std::result::Result<Standing, ApiError> {
        let Some(history) = self.stored()? else { return Ok(Standing::ROOM_DELETED) };
        let told = history.told(socket.key_hash.as_deref(), socket.user_id.as_deref())?;
        Ok(Standing::of(socket.keyed(), socket.present, told))
    }

    async fn on_frame(&self, ws: &WebSocket, message: WebSocketIncomingMessage) -> std::result::Result<(), ApiError> {
        // A socket that is closing, by either side, is heard no more.
        if !is_open(ws) {
            return Ok(());
        }
        let text = match message {
            WebSocketIncomingMessage::Binary(_) => {
                sockets::close(ws, Standing::Out { code: close::UNSUPPORTED, reason: "frames are JSON text" });
                return Ok(());
            }
            WebSocketIncomingMessage::String(text) => text,
        };
        if text.len() > frames::MAX_FRAME_BYTES {
            sockets::close(ws, Standing::Out { code: close::TOO_BIG, reason: "frame over 64 KiB" });
            return Ok(());
        }
        let now = now_millis();
        let mut socket = Socket::of(ws);
        let within = self.rates.frame(&mut socket, now);
        if socket.user_id.is_none() {
            ws.serialize_attachment(&socket)?;
        }
        if !within {
            sockets::close(ws, Standing::Out { code: close::POLICY, reason: "too many frames" });
            return Ok(());
        }
        if socket.expires_at.is_some_and(|expires_at| expires_at <= now) {
            sockets::close(ws, Standing::KEY_ENDED);
            return Ok(());
        }
        let standing = self.standing(&socket)?;
        if let Standing::Out { .. } = standing {
            sockets::close(ws, standing);
            self.presence_changed().await;
            return Ok(());
        }
        let outcome = match ClientFrame::parse(&text) {
            Err(error) => Err(error),
            Ok(ClientFrame::Send { text, txn_id }) => self.send_frame(ws, &socket, standing, &text, &txn_id),
            Ok(ClientFrame::Typing) => self.typing_frame(ws, &socket, standing, now),
            Ok(ClientFrame::Ping) => {
                send(ws, frames::PONG);
                Ok(())
            }
        };
        if let Err(error) = outcome {
            let mut frame = json!({ "type": "error", "error": error.error });
            if let (Some(txn_id), Value::Object(fields)) = (error.txn_id, &mut frame) {
                fields.insert("txn_id".into(), txn_id.into());
            }
            send(ws, &frame.to_string());
        }
        Ok(())
    }

    fn send_frame(
        &self,
        ws: &WebSocket,
        socket: &Socket,
        standing: Standing,
        text: &MessageText,
        txn_id: &str,
    ) -> std::result::Result<(), frames::FrameError> {
        let refuse = |error: &str| frames::FrameError::new(error, Some(txn_id));
        let internal = |error: ApiError| {
            worker::console_error!("room socket send: {}", error.detail());
            refuse("internal error")
        };
        let Some(user_id) = socket.user_id.as_deref().filter(|_| standing.may_post()) else {
            return Err(refuse("only present members may post"));
        };
        let history = self.history().map_err(internal)?;
        let sent = |message: &MessageRow| {
            send(ws, &json!({ "type": "sent", "txn_id": txn_id, "message": message.to_json() }).to_string());
        };
        if let Some(message) = history.sent_before(user_id, txn_id).map_err(internal)? {
            sent(&message);
            return Ok(());
        }
        let message_id = MessageId::from_random_bytes(random_bytes().map_err(internal)?).to_string();
        let post = Post { user_id: user_id.to_owned(), message_id, text: text.as_str().to_owned() };
        match self.post(&post).map_err(internal)? {
            Answer::Done(message) => {
                history.remember_txn(user_id, txn_id, message.seq, now_millis()).map_err(internal)?;
                sent(&message);
                Ok(())
            }
            Answer::Denied(denied) => Err(refuse(ApiError::from(denied).message())),
        }
    }

    fn typing_frame(
        &self,
        ws: &WebSocket,
        socket: &Socket,
        standing: Standing,
        now: i64,
    ) -> std::result::Result<(), frames::FrameError> {
        let Some(user_id) = socket.user_id.as_deref().filter(|_| standing.may_post()) else {
            return Err(frames::FrameError::new("only present members may type", None));
        };
        if !self.rates.typing(user_id, now) {
            return Err(frames::FrameError::new("typing too often: once every 2 seconds", None));
        }
        self.sockets().broadcast_but(&json!({ "type": "typing", "user_id": user_id }).to_string(), Some(ws));
        Ok(())
    }
}

impl<T> Answer<T> {
    fn map_done<U>(self, f: impl FnOnce(T) -> U) -> Answer<U> {
        match self {
            Self::Done(value) => Answer::Done(f(value)),
            Self::Denied(denied) => Answer::Denied(denied),
        }
    }
}
