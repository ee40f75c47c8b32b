//! A WebSocket client for `GET /room/{id}/live`: connecting each way (a bearer key, a ticket, as
//! a viewer, resuming with `?after=`), reading frames as JSON with a timeout, and checking
//! closes and silences. Every socket checks, as it reads, that the events it gets carry the
//! room's `seq` one after the other, from where it started.

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;
use tungstenite::handshake::HandshakeError;
use tungstenite::http::Uri;
use tungstenite::{ClientRequestBuilder, Message, WebSocket};

use crate::helpers::{TestApp, User};

/// How long a frame that must come may take: the machine is shared and slow.
pub const PATIENCE: Duration = Duration::from_secs(15);
/// How long a socket must stay silent to count as getting nothing.
pub const QUIET: Duration = Duration::from_millis(1000);
/// How long a connection may take to end once its close handshake is done. Far more than a
/// finished close needs on any machine, and well under the 10 s after which a peer gives up on
/// a close that never finishes (Python's `websockets`, workerd): a close that only ends by that
/// timeout fails.
pub const CLOSE_FINISHES: Duration = Duration::from_secs(5);

/// Whether frames of this type are persisted events, which carry the room's next `seq`.
fn is_event(kind: &str) -> bool {
    static TYPES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    TYPES.get_or_init(chatrooms::live::examples::event_types).iter().any(|event| event == kind)
}

/// The codes the room closes with, as the crate names them.
pub use chatrooms::live::frames::close::{ACCESS_LOST, KEY_ENDED, POLICY, ROOM_DELETED, TOO_BIG, UNSUPPORTED};

/// The credentials an upgrade request carries.
#[derive(Clone, Copy, Debug)]
pub enum Way<'a> {
    Bearer(&'a str),
    Ticket(&'a str),
    BearerAndTicket(&'a str, &'a str),
    /// No key at all: a read-only viewer.
    Viewer,
}

/// An upgrade the server answered with something other than 101.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Refusal {
    /// Asserts the status, and that the body is exactly JSON `{"error": "<non-empty>"}`.
    #[track_caller]
    pub fn assert_error(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(self.content_type.starts_with("application/json"), "{} is not JSON: {}", self.content_type, self.text);
        let body: Value = serde_json::from_str(&self.text).unwrap_or_else(|error| panic!("{error}: {}", self.text));
        let object = body.as_object().unwrap_or_else(|| panic!("error body is not an object: {}", self.text));
        assert_eq!(object.len(), 1, "error body has other fields: {}", self.text);
        assert!(matches!(&object["error"], Value::String(message) if !message.is_empty()), "{}", self.text);
    }
}

/// What a read got. The payloads are for failure messages (through `Debug`).
#[derive(Debug)]
#[allow(dead_code)]
pub enum Incoming {
    Frame(Value),
    Binary(Vec<u8>),
    /// A close frame: its code and reason (`None` for a close without a code).
    Closed(Option<(u16, String)>),
    /// The connection ended without a close frame, or failed.
    Ended(String),
}

pub struct Live {
    socket: WebSocket<TcpStream>,
    /// The first frame.
    pub hello: Value,
    /// The seq of the last event this socket got (or started after).
    seq: i64,
    /// How many `pong`s came (they are not returned as frames).
    pongs: usize,
}

/// `/room/{room}/live` with the way's ticket and `after`, if any.
pub fn live_path(room: &str, way: Way, after: Option<&str>) -> String {
    let mut query = Vec::new();
    if let Way::Ticket(ticket) | Way::BearerAndTicket(_, ticket) = way {
        query.push(format!("ticket={}", encoded(ticket)));
    }
    if let Some(after) = after {
        query.push(format!("after={}", encoded(after)));
    }
    let query = if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) };
    format!("/room/{room}/live{query}")
}

fn encoded(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A fresh ticket of `user` for the room.
pub fn ticket(app: &TestApp, room: &str, user: &User) -> String {
    let response = app.ticket(room, user);
    response.assert_status(200);
    response.str("ticket")
}

/// The WebSocket handshake for `path`, or the server's refusal. A handshake the dev proxy
/// answered with its own reload 503 is tried again, as `helpers::answered` does for requests.
pub fn handshake(app: &TestApp, path: &str, way: Way) -> Result<WebSocket<TcpStream>, Refusal> {
    // The base may carry a path (a front-end's `/api`): the socket connects to its host.
    let base = app.base.trim_start_matches("http://");
    let (address, prefix) = base.find('/').map_or((base, ""), |at| base.split_at(at));
    let address = address.to_string();
    let uri: Uri = format!("ws://{address}{prefix}{path}").parse().unwrap();
    let mut tries = 0;
    loop {
        tries += 1;
        let stream = TcpStream::connect(&address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut rest = stream.try_clone().unwrap();
        let mut request = ClientRequestBuilder::new(uri.clone());
        if let Way::Bearer(key) | Way::BearerAndTicket(key, _) = way {
            request = request.with_header("Authorization", format!("Bearer {key}"));
        }
        let response = match tungstenite::client(request, stream) {
            Ok((socket, _)) => return Ok(socket),
            Err(HandshakeError::Failure(tungstenite::Error::Http(response))) => response,
            Err(error) => panic!("the handshake for {path} failed without an HTTP answer: {error}"),
        };
        let header = |name: &str| {
            response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_string()
        };
        // The handshake read the head and whatever came with it; the rest of the body follows.
        let mut body = response.body().clone().unwrap_or_default();
        if let Ok(length) = header("content-length").parse::<usize>() {
            let mut more = vec![0; length.saturating_sub(body.len())];
            rest.read_exact(&mut more).unwrap();
            body.extend(more);
        } else if header("transfer-encoding").eq_ignore_ascii_case("chunked") {
            body = dechunked(body, &mut rest);
        }
        let refusal = Refusal {
            status: response.status().as_u16(),
            content_type: header("content-type"),
            text: String::from_utf8_lossy(&body).into_owned(),
        };
        let reloading =
            refusal.status == 503 && refusal.content_type.starts_with("text/plain") && header("retry-after") == "0";
        if !reloading || tries == 3 {
            return Err(refusal);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Reads the raw connection until the server ends it; how long that took (at most a minute).
fn connection_end(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut buffer = [0; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return started.elapsed(),
            Ok(_) => {}
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return started.elapsed()
            }
            // Reset by the server: ended too.
            Err(_) => return started.elapsed(),
        }
    }
}

/// A chunked body, read to its last chunk (`have` is what came with the head).
fn dechunked(mut have: Vec<u8>, rest: &mut TcpStream) -> Vec<u8> {
    let mut buffer = [0; 4096];
    while !have.ends_with(b"0\r\n\r\n") {
        let read = rest.read(&mut buffer).unwrap();
        assert!(read > 0, "the connection ended inside a chunked body");
        have.extend_from_slice(&buffer[..read]);
    }
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = at + have[at..].windows(2).position(|pair| pair == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&have[at..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&have[line_end + 2..line_end + 2 + size]);
        at = line_end + 2 + size + 2;
    }
}

impl Live {
    /// Connects and reads `hello`, or answers the refusal.
    pub fn try_connect(app: &TestApp, room: &str, way: Way, after: Option<&str>) -> Result<Self, Refusal> {
        let socket = handshake(app, &live_path(room, way, after), way)?;
        let mut live = Self { socket, hello: Value::Null, seq: 0, pongs: 0 };
        let hello = live.next();
        // As the protocol asks of a client: a `ping` once the socket is open.
        live.send_text(chatrooms::live::frames::PING);
        assert_eq!(hello["type"], "hello", "the first frame is not hello: {hello}");
        let latest = hello["seq"].as_i64().unwrap_or_else(|| panic!("hello without a seq: {hello}"));
        live.seq = after.and_then(|after| after.parse().ok()).unwrap_or(latest);
        live.hello = hello;
        Ok(live)
    }

    /// Connects (asserting the upgrade) and reads `hello`.
    #[track_caller]
    pub fn connect(app: &TestApp, room: &str, way: Way, after: Option<&str>) -> Self {
        Self::try_connect(app, room, way, after)
            .unwrap_or_else(|refusal| panic!("{} refused {way:?}: {refusal:?}", live_path(room, way, after)))
    }

    /// Connected with `way`, past `ready`: what follows is live.
    pub fn ready(app: &TestApp, room: &str, way: Way) -> Self {
        let mut live = Self::connect(app, room, way, None);
        let ready = live.next();
        assert_eq!(ready["type"], "ready", "without after, ready comes at once: {ready}");
        live.check_ready(&ready);
        live
    }

    /// The user's socket with a bearer key, past `ready`.
    pub fn bearer(app: &TestApp, room: &str, user: &User) -> Self {
        Self::ready(app, room, Way::Bearer(&user.key))
    }

    /// The user's socket through a fresh ticket, past `ready`.
    pub fn ticketed(app: &TestApp, room: &str, user: &User) -> Self {
        Self::ready(app, room, Way::Ticket(&ticket(app, room, user)))
    }

    /// A keyless viewer's socket, past `ready`.
    pub fn viewer(app: &TestApp, room: &str) -> Self {
        Self::ready(app, room, Way::Viewer)
    }

    /// Resumes after `after`: the socket past `ready`, and every frame before `ready` (the
    /// replayed events, or `reset`).
    pub fn resume(app: &TestApp, room: &str, way: Way, after: i64) -> (Self, Vec<Value>) {
        let mut live = Self::connect(app, room, way, Some(&after.to_string()));
        let mut before_ready = Vec::new();
        loop {
            let frame = live.next();
            if frame["type"] == "ready" {
                live.check_ready(&frame);
                return (live, before_ready);
            }
            before_ready.push(frame);
        }
    }

    fn check_ready(&self, ready: &Value) {
        assert_eq!(ready["seq"], self.seq, "ready's seq is not the last one this socket has: {ready}");
    }

    /// The seq of the last event this socket got, or started from.
    pub fn seq(&self) -> i64 {
        self.seq
    }

    /// Whatever comes next, within `timeout`, `presence` frames included; `None` if nothing.
    pub fn read_within(&mut self, timeout: Duration) -> Option<Incoming> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.socket.get_mut().set_read_timeout(Some(left)).unwrap();
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    let frame: Value = serde_json::from_str(&text)
                        .unwrap_or_else(|error| panic!("a frame is not JSON ({error}): {text}"));
                    if frame["type"] == "pong" {
                        self.pongs += 1;
                        continue;
                    }
                    self.track(&frame);
                    return Some(Incoming::Frame(frame));
                }
                Ok(Message::Binary(bytes)) => return Some(Incoming::Binary(bytes.to_vec())),
                Ok(Message::Close(frame)) => {
                    return Some(Incoming::Closed(frame.map(|frame| (u16::from(frame.code), frame.reason.to_string()))))
                }
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
                Err(tungstenite::Error::Io(error))
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(error) => return Some(Incoming::Ended(error.to_string())),
            }
        }
    }

    /// Checks that an event carries the next seq.
    fn track(&mut self, frame: &Value) {
        let kind = frame["type"].as_str().unwrap_or_else(|| panic!("a frame without a type: {frame}"));
        if is_event(kind) {
            assert_eq!(frame["seq"], self.seq + 1, "after seq {} came {frame}", self.seq);
            self.seq += 1;
        } else if kind == "reset" {
            self.seq = frame["seq"].as_i64().unwrap_or_else(|| panic!("reset without a seq: {frame}"));
        }
    }

    /// The next frame but `presence`, within `timeout`, or `None`.
    pub fn next_within(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.read_within(deadline.saturating_duration_since(Instant::now()))? {
                Incoming::Frame(frame) if frame["type"] == "presence" => {}
                Incoming::Frame(frame) => return Some(frame),
                other => panic!("expected a frame, got {other:?}"),
            }
        }
    }

    /// The next frame but `presence` (which comes whenever someone connects or goes).
    #[track_caller]
    pub fn next(&mut self) -> Value {
        self.next_within(PATIENCE).unwrap_or_else(|| panic!("no frame within {PATIENCE:?}"))
    }

    /// The next frame, asserting its type.
    #[track_caller]
    pub fn next_of(&mut self, kind: &str) -> Value {
        let frame = self.next();
        assert_eq!(frame["type"], kind, "expected {kind}, got {frame}");
        frame
    }

    /// The next `presence` frame's users, skipping nothing else.
    #[track_caller]
    pub fn presence(&mut self) -> Vec<String> {
        match self.read_within(PATIENCE) {
            Some(Incoming::Frame(frame)) if frame["type"] == "presence" => frame["users"]
                .as_array()
                .unwrap_or_else(|| panic!("presence without users: {frame}"))
                .iter()
                .map(|user| user.as_str().unwrap().to_string())
                .collect(),
            other => panic!("expected presence, got {other:?}"),
        }
    }

    /// The frames (but `presence`) that came before the close, and its code and reason.
    pub fn until_closed(&mut self) -> (Vec<Value>, Option<(u16, String)>) {
        let mut frames = Vec::new();
        loop {
            match self.read_within(PATIENCE) {
                Some(Incoming::Frame(frame)) if frame["type"] == "presence" => {}
                Some(Incoming::Frame(frame)) => frames.push(frame),
                Some(Incoming::Closed(close)) => return (frames, close),
                other => panic!("expected a close, got {other:?} after {frames:?}"),
            }
        }
    }

    /// Asserts that the next thing (but `presence`) is a close with `code`, and that the
    /// connection then ends (`assert_connection_ends`); answers its reason.
    #[track_caller]
    pub fn expect_close(&mut self, code: u16) -> String {
        let (frames, close) = self.until_closed();
        assert!(frames.is_empty(), "frames before the close: {frames:?}");
        let (got, reason) = close.unwrap_or_else(|| panic!("a close without a code; expected {code}"));
        assert_eq!(got, code, "closed with {got} ({reason}), expected {code}");
        self.assert_connection_ends();
        reason
    }

    /// Asserts that nothing but `presence` comes within `QUIET`.
    #[track_caller]
    pub fn assert_quiet(&mut self) {
        let deadline = Instant::now() + QUIET;
        loop {
            match self.read_within(deadline.saturating_duration_since(Instant::now())) {
                None => return,
                Some(Incoming::Frame(frame)) if frame["type"] == "presence" => {}
                Some(other) => panic!("expected nothing, got {other:?}"),
            }
        }
    }

    /// Sends a JSON text frame.
    pub fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string());
    }

    /// Sends a text frame as written.
    pub fn send_text(&mut self, text: &str) {
        self.socket.send(Message::text(text)).unwrap();
    }

    /// How many `pong`s came, once the socket has been quiet (but `presence`) for `QUIET`.
    #[track_caller]
    pub fn pongs(&mut self) -> usize {
        self.assert_quiet();
        self.pongs
    }

    /// Sends any message; false if the connection would not take it (closed by the server).
    pub fn try_send(&mut self, message: Message) -> bool {
        self.socket.send(message).is_ok()
    }

    /// `send {text, txn_id}`.
    pub fn post(&mut self, text: &str, txn_id: &str) {
        self.send(serde_json::json!({ "type": "send", "text": text, "txn_id": txn_id }));
    }

    /// Asserts that, once the close handshake is done (the server's close frame came and this
    /// side answered it), the server ends the TCP connection within `CLOSE_FINISHES`: what a
    /// client that reports the connection closed (not the close frame) sees.
    #[track_caller]
    pub fn assert_connection_ends(&mut self) {
        // Sends the answer to the server's close frame, if it is still queued.
        let _ = self.socket.flush();
        let elapsed = connection_end(self.socket.get_mut());
        assert!(elapsed < CLOSE_FINISHES, "the connection ended {elapsed:?} after the close handshake");
    }

    /// Closes from this side (code 1000), reads up to the server's answering close frame, and
    /// answers how long the server then took to end the TCP connection.
    pub fn close_and_wait(&mut self) -> Duration {
        self.socket.close(None).unwrap();
        loop {
            match self.socket.read() {
                Ok(Message::Close(_)) | Err(tungstenite::Error::ConnectionClosed) => break,
                Ok(_) => {}
                Err(error) => panic!("no close answered: {error}"),
            }
        }
        connection_end(self.socket.get_mut())
    }

    /// Ends the connection from this side, as a client going away.
    pub fn close(mut self) {
        let _ = self.socket.close(None);
        let _ = self.read_within(Duration::from_millis(500));
    }
}
