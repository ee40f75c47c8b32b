//! `LiveRoom`: the Durable Object of one room. It numbers and keeps the room's events and
//! messages (`history`), and pushes each event to every socket of the room. Sockets use the
//! hibernation API: the object may be evicted while they stay open, so everything a socket
//! needs later is in its attachment (`Socket`), and nothing in memory is relied on.
//!
//! It trusts its caller: only the worker reaches it, and the worker has authorized the call.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::js_sys::JsString;
use worker::web_sys;
use worker::{
    durable_object, DurableObject, Env, Method, Request, Response, Result, Socket as TcpSocket, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use super::frames::{self, close, Change, ClientFrame};
use super::history::{numbered, About, Cursor, History, MessageRow, Resume};
use super::{Answer, Applied, Changes, Connect, Deletion, Denied, Edit, HistoryQuery, Post, Redeem, Redeemed, Ticket};
use crate::auth::random_bytes;
use crate::clock::now_millis;
use crate::config::Settings;
use crate::domain::limits::WriteLimit;
use crate::domain::{MessageId, MessageText};
use crate::error::ApiError;

/// How long presence changes gather before one `presence` frame tells them.
const PRESENCE_COALESCE_MILLIS: i64 = 200;

/// What a socket carries across hibernation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Socket {
    user_id: Option<String>,
    key_hash: Option<String>,
    /// When the socket's key expires.
    expires_at: Option<i64>,
    /// A present member may send and type.
    present: bool,
    /// Frames in the current flood window, and when it began.
    frames: u32,
    window_start: i64,
    typed_at: i64,
}

#[durable_object]
pub struct LiveRoom {
    state: State,
    env: Env,
    history: RefCell<Option<Rc<History>>>,
    /// The last `presence` frame sent, while the object stays in memory.
    presence: RefCell<Option<Vec<String>>>,
}

impl DurableObject for LiveRoom {
    fn new(state: State, env: Env) -> Self {
        Self { state, env, history: RefCell::new(None), presence: RefCell::new(None) }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let outcome = self.serve(req).await;
        match outcome {
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

    async fn websocket_close(&self, _ws: WebSocket, _code: usize, _reason: String, _was_clean: bool) -> Result<()> {
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

fn send(ws: &WebSocket, frame: &str) {
    // A socket that is closing cannot be sent to; its close handler tidies up.
    let _ = ws.send_with_str(frame);
}

#[wasm_bindgen]
extern "C" {
    /// A WebSocket, seen only as something to send a string already in JS to: a frame for every
    /// socket of the room then leaves the wasm once, not once per socket (as
    /// `WebSocket::send_with_str` would copy it).
    type JsSocket;
    #[wasm_bindgen(method, catch, js_name = send)]
    fn send(this: &JsSocket, frame: &JsString) -> std::result::Result<(), JsValue>;
}

fn close_socket(ws: &WebSocket, code: u16, reason: &str) {
    if let Err(error) = ws.close(Some(code), Some(reason)) {
        worker::console_error!("room socket close {code}: {error}");
    }
}

/// An event's body before its seq: `{"type": kind}`.
fn typed(kind: &str) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("type".into(), kind.into());
    body
}

fn attachment(ws: &WebSocket) -> Socket {
    ws.deserialize_attachment::<Socket>().ok().flatten().unwrap_or_default()
}

async fn body<T: DeserializeOwned>(req: &mut Request) -> std::result::Result<T, ApiError> {
    req.json().await.map_err(|error| ApiError::internal(format!("room object call: {error}")))
}

fn answer<T: Serialize>(answer: &Answer<T>) -> std::result::Result<Response, ApiError> {
    Response::from_json(answer).map_err(ApiError::internal)
}

impl LiveRoom {
    fn history(&self) -> std::result::Result<Rc<History>, ApiError> {
        if let Some(history) = self.history.borrow().as_ref() {
            return Ok(history.clone());
        }
        let history = Rc::new(History::open(self.state.storage().sql())?);
        *self.history.borrow_mut() = Some(history.clone());
        Ok(history)
    }

    async fn serve(&self, mut req: Request) -> std::result::Result<Response, ApiError> {
        let path = req.path();
        match (req.method(), path.as_str()) {
            (Method::Get, "/connect") => self.accept(&req).await,
            (Method::Post, "/events") => {
                let changes: Changes = body(&mut req).await?;
                let applied = self.apply(changes).await?;
                Response::from_json(&applied).map_err(ApiError::internal)
            }
            (Method::Post, "/messages") => {
                let post: Post = body(&mut req).await?;
                if self.history()?.departed(&post.user_id)? {
                    return answer(&Answer::<()>::Denied(Denied::Departed));
                }
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
                self.history()?.add_ticket(
                    &ticket.ticket_hash,
                    &ticket.user_id,
                    &ticket.key_hash,
                    ticket.expires_at,
                    now_millis(),
                )?;
                answer(&Answer::Done(()))
            }
            (Method::Post, "/redeem") => {
                let redeem: Redeem = body(&mut req).await?;
                let redeemed = self.history()?.redeem_ticket(&redeem.ticket_hash, now_millis())?;
                answer(&match redeemed {
                    Some((user_id, key_hash)) => Answer::Done(Redeemed { user_id, key_hash }),
                    None => Answer::Denied(Denied::BadTicket),
                })
            }
            _ => Err(ApiError::NotFound("no such room object call")),
        }
    }

    /// Accepts the socket the worker authorized: `hello`, the replay (or `reset`), `ready`,
    /// and who is here.
    async fn accept(&self, req: &Request) -> std::result::Result<Response, ApiError> {
        let connect: Connect = req
            .headers()
            .get("X-Live-Connect")?
            .and_then(|text| serde_json::from_str(&text).ok())
            .ok_or_else(|| ApiError::internal("room object: connect without X-Live-Connect"))?;
        let history = self.history()?;
        let pair = WebSocketPair::new()?;
        let ws = pair.server;
        let user_id = connect.you.as_ref().map(|you| you.user_id.clone());
        let mut tags = Vec::new();
        match (&user_id, &connect.key_hash) {
            (Some(user_id), Some(key_hash)) => {
                tags.push(format!("user:{user_id}"));
                tags.push(format!("key:{key_hash}"));
            }
            _ => tags.push("viewer".to_owned()),
        }
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        self.state.accept_websocket_with_tags(&ws, &tags);
        let now = now_millis();
        let socket = Socket {
            user_id,
            key_hash: connect.key_hash.clone(),
            expires_at: connect.expires_at,
            present: connect.you.as_ref().is_some_and(|you| you.present),
            frames: 0,
            window_start: now,
            typed_at: 0,
        };
        ws.serialize_attachment(&socket)?;
        let latest = history.latest_seq()?;
        send(&ws, &json!({ "type": "hello", "seq": latest, "room": connect.room, "you": connect.you }).to_string());
        if let Some(after) = connect.after {
            match history.resume(after)? {
                Resume::Reset => send(&ws, &json!({ "type": "reset", "seq": latest }).to_string()),
                Resume::Replay => {
                    for frame in history.events_after(after)? {
                        send(&ws, &frame);
                    }
                }
            }
        }
        send(&ws, &json!({ "type": "ready", "seq": latest }).to_string());
        send(&ws, &json!({ "type": "presence", "users": self.present_users() }).to_string());
        self.presence_changed().await;
        Ok(Response::from_websocket(pair.client)?)
    }

    /// The users with a socket open. A socket that is closing (by either side) is not open,
    /// though the runtime lists it until the close handshake ends.
    fn present_users(&self) -> Vec<String> {
        let users: BTreeSet<String> = self
            .state
            .get_websockets()
            .iter()
            .filter(|ws| AsRef::<web_sys::WebSocket>::as_ref(*ws).ready_state() == web_sys::WebSocket::OPEN)
            .filter_map(|ws| attachment(ws).user_id)
            .collect();
        users.into_iter().collect()
    }

    fn broadcast(&self, frame: &str) {
        self.broadcast_but(frame, None);
    }

    /// Sends the frame to every socket of the room but `but`.
    fn broadcast_but(&self, frame: &str, but: Option<&WebSocket>) {
        let frame = JsString::from(frame);
        for ws in self.state.get_websockets().iter().filter(|ws| but != Some(*ws)) {
            // As in `send`: a closing socket is its close handler's.
            let socket: &web_sys::WebSocket = ws.as_ref();
            let _ = socket.unchecked_ref::<JsSocket>().send(&frame);
        }
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
        let now = now_millis();
        let mut next_expiry: Option<i64> = None;
        for ws in self.state.get_websockets() {
            match attachment(&ws).expires_at {
                Some(expires_at) if expires_at <= now => close_socket(&ws, close::KEY_ENDED, "key no longer valid"),
                Some(expires_at) => next_expiry = Some(next_expiry.map_or(expires_at, |next| next.min(expires_at))),
                None => {}
            }
        }
        let users = self.present_users();
        let changed = self.presence.borrow().as_ref() != Some(&users);
        if changed {
            self.broadcast(&json!({ "type": "presence", "users": users }).to_string());
            *self.presence.borrow_mut() = Some(users);
        }
        if let Some(next) = next_expiry {
            self.state.storage().set_alarm(in_millis(next - now)).await?;
        }
        Ok(())
    }

    fn post(&self, post: &Post) -> std::result::Result<Answer<MessageRow>, ApiError> {
        let history = self.history()?;
        let now = now_millis();
        if let Some(ceiling) = post.ceiling {
            if let Err(retry_after) = history.count_post(&post.user_id, now, &WriteLimit::from(ceiling))? {
                return Ok(Answer::Denied(Denied::TooManyPosts { retry_after }));
            }
        }
        let message = history.post(&post.message_id, &post.user_id, &post.text, now)?;
        self.broadcast(&numbered(message.seq, typed("message"), Some(&message)));
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
        let (seq, edited) = history.edit(&message, &edit.text, now_millis())?;
        self.broadcast(&numbered(seq, typed("message_edited"), Some(&edited)));
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
        self.broadcast(&numbered(seq, body, None));
        Ok(Answer::Done(()))
    }

    /// Applies the changes not applied yet, in order: each event numbered, kept and sent,
    /// then what it does to the sockets (every event goes out before the closes it causes).
    async fn apply(&self, changes: Changes) -> std::result::Result<Applied, ApiError> {
        let history = self.history()?;
        let mut applied = history.applied()?;
        let now = now_millis();
        let mut deleted = false;
        for pending in changes.events {
            if pending.id <= applied {
                continue;
            }
            applied = pending.id;
            let change: Change = match serde_json::from_str(&pending.event) {
                Ok(change) => change,
                Err(error) => {
                    worker::console_error!("room object: outbox event {} unreadable: {error}", pending.id);
                    continue;
                }
            };
            if change.is_event() {
                let Value::Object(body) = serde_json::to_value(&change).map_err(ApiError::internal)? else {
                    return Err(ApiError::internal("an event is not a JSON object"));
                };
                let seq = history.append(now, &Value::Object(body.clone()), About::Nothing)?;
                self.broadcast(&numbered(seq, body, None));
            }
            match change {
                Change::KeyEnded { key_hash } => {
                    history.drop_tickets_of_key(&key_hash)?;
                    for ws in self.state.get_websockets_with_tag(&format!("key:{key_hash}")) {
                        close_socket(&ws, close::KEY_ENDED, "key no longer valid");
                    }
                }
                Change::MemberJoined { user_id } => {
                    history.set_departed(&user_id, false)?;
                    for ws in self.state.get_websockets_with_tag(&format!("user:{user_id}")) {
                        let socket = Socket { present: true, ..attachment(&ws) };
                        ws.serialize_attachment(&socket)?;
                    }
                }
                Change::MemberLeft { user_id, .. } => {
                    history.set_departed(&user_id, true)?;
                    history.drop_tickets_of_user(&user_id)?;
                    for ws in self.state.get_websockets_with_tag(&format!("user:{user_id}")) {
                        close_socket(&ws, close::ACCESS_LOST, "access lost");
                    }
                }
                Change::RoomUpdated { room } if !room.open => {
                    for ws in self.state.get_websockets() {
                        if !attachment(&ws).present {
                            close_socket(&ws, close::ACCESS_LOST, "access lost");
                        }
                    }
                }
                Change::RoomDeleted => {
                    for ws in self.state.get_websockets() {
                        close_socket(&ws, close::ROOM_DELETED, "room deleted");
                    }
                    deleted = true;
                    break;
                }
                _ => {}
            }
        }
        if deleted {
            *self.history.borrow_mut() = None;
            let storage = self.state.storage();
            storage.delete_alarm().await?;
            storage.delete_all().await?;
        } else {
            history.set_applied(applied)?;
        }
        Ok(Applied { applied })
    }

    async fn on_frame(&self, ws: &WebSocket, message: WebSocketIncomingMessage) -> std::result::Result<(), ApiError> {
        let text = match message {
            WebSocketIncomingMessage::Binary(_) => {
                close_socket(ws, close::UNSUPPORTED, "frames are JSON text");
                return Ok(());
            }
            WebSocketIncomingMessage::String(text) => text,
        };
        if text.len() > frames::MAX_FRAME_BYTES {
            close_socket(ws, close::TOO_BIG, "frame over 64 KiB");
            return Ok(());
        }
        let now = now_millis();
        let mut socket = attachment(ws);
        if now - socket.window_start >= frames::FLOOD_WINDOW_MILLIS {
            socket.window_start = now;
            socket.frames = 0;
        }
        socket.frames += 1;
        if socket.frames > frames::FLOOD_FRAMES {
            close_socket(ws, close::POLICY, "too many frames");
            return Ok(());
        }
        if socket.expires_at.is_some_and(|expires_at| expires_at <= now) {
            close_socket(ws, close::KEY_ENDED, "key no longer valid");
            return Ok(());
        }
        let outcome = match ClientFrame::parse(&text) {
            Err(error) => Err(error),
            Ok(ClientFrame::Send { text, txn_id }) => self.send_frame(ws, &socket, &text, &txn_id),
            Ok(ClientFrame::Typing) => self.typing_frame(ws, &mut socket, now),
        };
        ws.serialize_attachment(&socket)?;
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
        text: &MessageText,
        txn_id: &str,
    ) -> std::result::Result<(), frames::FrameError> {
        let refuse = |error: &str| frames::FrameError::new(error, Some(txn_id));
        let internal = |error: ApiError| {
            worker::console_error!("room socket send: {}", error.detail());
            refuse("internal error")
        };
        let Some(user_id) = socket.user_id.as_deref().filter(|_| socket.present) else {
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
        let ceiling = Settings::of(&self.env).config.ok().and_then(|config| config.limits.posts).map(Into::into);
        let post = Post { user_id: user_id.to_owned(), message_id, text: text.as_str().to_owned(), ceiling };
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
        socket: &mut Socket,
        now: i64,
    ) -> std::result::Result<(), frames::FrameError> {
        let Some(user_id) = socket.user_id.clone().filter(|_| socket.present) else {
            return Err(frames::FrameError::new("only present members may type", None));
        };
        if now - socket.typed_at < frames::TYPING_EVERY_MILLIS {
            return Err(frames::FrameError::new("typing too often: once every 2 seconds", None));
        }
        socket.typed_at = now;
        self.broadcast_but(&json!({ "type": "typing", "user_id": user_id }).to_string(), Some(ws));
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
