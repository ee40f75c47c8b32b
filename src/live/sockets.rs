//! A room's WebSockets as the hibernation API holds them: what each carries across hibernation
//! (`Socket`, its attachment), finding them by user or key (their tags), sending one frame to
//! many, who is present, and the limits on what one user's sockets may do together.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::js_sys::JsString;
use worker::web_sys;
use worker::{State, WebSocket};

use super::frames::{self, ServerFrame};
use super::standing::Standing;
use crate::auth::session::KeyHash;
use crate::domain::UserId;

/// What a socket carries across hibernation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Socket {
    pub user_id: Option<UserId>,
    pub key_hash: Option<KeyHash>,
    /// When the socket's key expires.
    pub expires_at: Option<i64>,
    /// The worker (or a `member_joined` since) found its user a present member.
    pub present: bool,
    /// When it opened: the oldest of a user's sockets goes first.
    #[serde(default)]
    pub opened_at: i64,
    /// A viewer's frames in the current flood window, and when it began (a user's are counted
    /// together, in `Rates`).
    pub frames: u32,
    pub window_start: i64,
    /// In a fan-out object, the socket's id (random): the room names it so (0 in the room's
    /// own object).
    #[serde(default)]
    pub id: u64,
}

impl Socket {
    pub fn of(ws: &WebSocket) -> Self {
        ws.deserialize_attachment::<Self>().ok().flatten().unwrap_or_default()
    }

    pub fn user_tag(user_id: &UserId) -> String {
        format!("user:{user_id}")
    }

    pub fn key_tag(key_hash: &KeyHash) -> String {
        format!("key:{}", key_hash.as_str())
    }

    /// The socket's tags: its user and key, or `viewer`.
    pub fn tags(&self) -> Vec<String> {
        match (&self.user_id, &self.key_hash) {
            (Some(user_id), Some(key_hash)) => vec![Self::user_tag(user_id), Self::key_tag(key_hash)],
            _ => vec!["viewer".to_owned()],
        }
    }

    pub fn keyed(&self) -> bool {
        self.user_id.is_some() && self.key_hash.is_some()
    }
}

/// The socket a frame came from: one of this object's own, or one a fan-out object holds (by
/// its id), whose answers go back to that object.
pub enum Origin<'a> {
    Here(&'a WebSocket),
    Fan { id: u64, answers: RefCell<Vec<String>> },
}

impl<'a> Origin<'a> {
    pub fn here(&self) -> Option<&'a WebSocket> {
        match self {
            Self::Here(ws) => Some(ws),
            Self::Fan { .. } => None,
        }
    }

    pub fn id(&self) -> Option<u64> {
        match self {
            Self::Here(_) => None,
            Self::Fan { id, .. } => Some(*id),
        }
    }

    pub fn send(&self, frame: &ServerFrame<'_>) {
        match self {
            Self::Here(ws) => send(ws, frame),
            Self::Fan { answers, .. } => answers.borrow_mut().push(frame.text()),
        }
    }
}

/// Sends a frame already in JS: as in `send`, a closing socket is its close handler's.
pub fn send_js(ws: &WebSocket, frame: &JsString) {
    let socket: &web_sys::WebSocket = ws.as_ref();
    let _ = socket.unchecked_ref::<JsSocket>().send(frame);
}

pub fn send(ws: &WebSocket, frame: &ServerFrame<'_>) {
    // A socket that is closing cannot be sent to; its close handler tidies up.
    let _ = ws.send_with_str(frame.text());
}

/// Closes the socket, unless it is closing already.
pub fn close(ws: &WebSocket, standing: Standing) {
    let Standing::Out { code, reason } = standing else { return };
    if !is_open(ws) {
        return;
    }
    if let Err(error) = ws.close(Some(code), Some(reason)) {
        worker::console_error!("room socket close {code}: {error}");
    }
}

/// Whether the socket is open: one that is closing (by either side) is not, though the runtime
/// lists it until the close handshake ends.
pub fn is_open(ws: &WebSocket) -> bool {
    AsRef::<web_sys::WebSocket>::as_ref(ws).ready_state() == web_sys::WebSocket::OPEN
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

/// The room's sockets.
pub struct Sockets<'a> {
    state: &'a State,
    /// Sockets still being sent a replay: they get nothing else until it ends.
    replaying: &'a RefCell<Vec<WebSocket>>,
}

impl<'a> Sockets<'a> {
    pub fn new(state: &'a State, replaying: &'a RefCell<Vec<WebSocket>>) -> Self {
        Self { state, replaying }
    }

    pub fn all(&self) -> Vec<WebSocket> {
        self.state.get_websockets()
    }

    pub fn of_user(&self, user_id: &UserId) -> Vec<WebSocket> {
        self.state.get_websockets_with_tag(&Socket::user_tag(user_id))
    }

    pub fn of_key(&self, key_hash: &KeyHash) -> Vec<WebSocket> {
        self.state.get_websockets_with_tag(&Socket::key_tag(key_hash))
    }

    /// Sends the frame to every open socket of the room but `but`, and but those replaying.
    pub fn broadcast_text(&self, frame: &str, but: &[WebSocket]) {
        let frame = JsString::from(frame);
        let replaying = self.replaying.borrow();
        for ws in self.all().iter().filter(|ws| !but.contains(ws) && !replaying.contains(ws)) {
            send_js(ws, &frame);
        }
    }

    pub fn broadcast(&self, frame: &ServerFrame<'_>) {
        self.broadcast_text(&frame.text(), &[]);
    }

    /// Sends every open socket but those replaying the frame, or, to a user in `own`, their
    /// own version of it (a message whose reactions they share in, `me` for them).
    pub fn broadcast_own(&self, frame: &str, own: &[(UserId, String)]) {
        let replaying = self.replaying.borrow();
        let mut theirs = Vec::new();
        for (user_id, text) in own {
            let text = JsString::from(text.as_str());
            for ws in self.of_user(user_id).into_iter().filter(|ws| !replaying.contains(ws)) {
                send_js(&ws, &text);
                theirs.push(ws);
            }
        }
        drop(replaying);
        self.broadcast_text(frame, &theirs);
    }

    /// Closes the sockets whose key expired by `now` (4001); when the next of the others expires.
    pub fn close_expired(&self, now: i64) -> Option<i64> {
        let mut next: Option<i64> = None;
        for ws in self.all() {
            match Socket::of(&ws).expires_at {
                Some(expires_at) if expires_at <= now => close(&ws, Standing::KEY_ENDED),
                Some(expires_at) => next = Some(next.map_or(expires_at, |next| next.min(expires_at))),
                None => {}
            }
        }
        next
    }

    /// The user was found a present member (`member_joined`): their sockets may post.
    pub fn mark_present(&self, user_id: &UserId) -> Result<(), worker::Error> {
        for ws in self.of_user(user_id) {
            ws.serialize_attachment(&Socket { present: true, ..Socket::of(&ws) })?;
        }
        Ok(())
    }

    /// The users with a socket open.
    pub fn present_users(&self) -> Vec<UserId> {
        let users: BTreeSet<UserId> =
            self.all().iter().filter(|ws| is_open(ws)).filter_map(|ws| Socket::of(ws).user_id).collect();
        users.into_iter().collect()
    }

    /// Closes the user's oldest open sockets, so that one more leaves them `SOCKETS_PER_USER`.
    pub fn make_room_for(&self, user_id: &UserId) {
        let mut open: Vec<(i64, WebSocket)> =
            self.of_user(user_id).into_iter().filter(is_open).map(|ws| (Socket::of(&ws).opened_at, ws)).collect();
        if open.len() < frames::SOCKETS_PER_USER {
            return;
        }
        open.sort_by_key(|(opened_at, _)| *opened_at);
        let excess = open.len() + 1 - frames::SOCKETS_PER_USER;
        for (_, ws) in open.into_iter().take(excess) {
            close(&ws, Standing::Out { code: frames::close::POLICY, reason: "too many sockets: the oldest closed" });
        }
    }
}

/// What one user's sockets did lately, together: frames in the flood window, and the last
/// `typing`. Kept in memory: the object hibernates only when its sockets are quiet for longer
/// than either window, and then nothing is lost.
#[derive(Default)]
pub struct Rates(RefCell<HashMap<UserId, Rate>>);

#[derive(Default, Clone, Copy)]
struct Rate {
    frames: u32,
    window_start: i64,
    typed_at: i64,
}

/// Counts one frame in a window that starts with its first frame; whether it is within the flood limit.
fn count_frame(frames: &mut u32, window_start: &mut i64, now: i64) -> bool {
    if now - *window_start >= frames::FLOOD_WINDOW_MILLIS {
        *window_start = now;
        *frames = 0;
    }
    *frames += 1;
    *frames <= frames::FLOOD_FRAMES
}

impl Rates {
    /// Counts a frame of the socket (of its user, for a user's): whether it may go on.
    pub fn frame(&self, socket: &mut Socket, now: i64) -> bool {
        match &socket.user_id {
            Some(user_id) => {
                let mut rates = self.0.borrow_mut();
                let rate = rates.entry(*user_id).or_default();
                count_frame(&mut rate.frames, &mut rate.window_start, now)
            }
            None => count_frame(&mut socket.frames, &mut socket.window_start, now),
        }
    }

    /// Whether the user may say they are typing now (and if so, it is counted).
    pub fn typing(&self, user_id: &UserId, now: i64) -> bool {
        let mut rates = self.0.borrow_mut();
        let rate = rates.entry(*user_id).or_default();
        if rate.typed_at != 0 && now - rate.typed_at < frames::TYPING_EVERY_MILLIS {
            return false;
        }
        rate.typed_at = now;
        true
    }
}
