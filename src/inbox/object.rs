//! `Inbox`: the Durable Object of one person's live connection. It holds their inbox sockets
//! (hibernating; each carries its key and when it expires), the tickets that open them, and
//! nothing else: what it sends is read from D1 (`hello`) or handed to it (`deliver`).

use std::cell::RefCell;

use serde::Deserialize;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, Socket as TcpSocket, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use super::fanout;
use super::frames::{InboxFrame, HELLO_ROOMS};
use super::protocol::{InboxCall, InboxConnect};
use crate::auth::session::KeyHash;
use crate::clock::now_millis;
use crate::config::Settings;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::live::frames::close;
use crate::live::history::tickets;
use crate::live::platform;
use crate::live::protocol::{Answer, Denied, Redeemed, CALL_HEADER};
use crate::log::RequestLog;
use crate::store::{inboxes, Db};

/// The inbox's own storage beside its tickets (`tickets::SCHEMA`, as a room keeps them): whose
/// inbox this is, and since when D1 lists it open (`inboxes.since`).
const SCHEMA: &[&str] =
    &["CREATE TABLE IF NOT EXISTS opened (one INTEGER PRIMARY KEY CHECK (one = 1), user_id TEXT NOT NULL,
        since INTEGER NOT NULL)"];
const OPENED: &str = "SELECT user_id, since FROM opened WHERE one = 1";
const SET_OPENED: &str = "INSERT OR REPLACE INTO opened (one, user_id, since) VALUES (1, ?, ?)";

/// What an inbox socket carries across hibernation.
#[derive(Debug, Clone, Default, serde::Serialize, Deserialize)]
struct Attached {
    key_hash: Option<KeyHash>,
    expires_at: Option<i64>,
    /// Its `hello` went out: pushes go to it directly, not to `waiting`.
    ready: bool,
}

impl Attached {
    fn of(ws: &WebSocket) -> Self {
        ws.deserialize_attachment::<Self>().ok().flatten().unwrap_or_default()
    }
}

#[durable_object]
pub struct Inbox {
    state: State,
    env: Env,
    /// Frames pushed while a socket waited for its `hello`: sent to it right after.
    waiting: RefCell<Vec<(WebSocket, String)>>,
}

impl DurableObject for Inbox {
    fn new(state: State, env: Env) -> Self {
        platform::answer_pings(&state);
        Self { state, env, waiting: RefCell::default() }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match self.serve(req).await {
            Ok(response) => Ok(response),
            Err(error) => {
                worker::console_error!("inbox: {}", error.detail());
                Ok(error.into_response()?)
            }
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        let frame = match message {
            WebSocketIncomingMessage::String(text)
                if serde_json::from_str::<serde_json::Value>(&text)
                    .is_ok_and(|frame| frame.get("type").and_then(serde_json::Value::as_str) == Some("ping")) =>
            {
                InboxFrame::Pong
            }
            _ => InboxFrame::Error { error: "the inbox takes no frames but ping".to_owned() },
        };
        let _ = ws.send_with_str(frame.text());
        Ok(())
    }

    async fn websocket_close(&self, ws: WebSocket, code: usize, reason: String, _was_clean: bool) -> Result<()> {
        platform::answer_close(&ws, code, &reason);
        self.closed_if_empty().await;
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        self.closed_if_empty().await;
        Ok(())
    }

    /// Closes the sockets whose key expired, and wakes at the next expiry.
    async fn alarm(&self) -> Result<Response> {
        let now = now_millis();
        let mut next: Option<i64> = None;
        for ws in self.open_sockets() {
            match Attached::of(&ws).expires_at {
                Some(at) if at <= now => close_key_ended(&ws),
                Some(at) => next = Some(next.map_or(at, |next: i64| next.min(at))),
                None => {}
            }
        }
        if let Some(next) = next {
            platform::wake_by(&self.state, next).await;
        }
        self.closed_if_empty().await;
        Response::empty()
    }

    async fn connect(&self, _socket: TcpSocket) -> Result<()> {
        Ok(())
    }
}

fn close_key_ended(ws: &WebSocket) {
    let _ = ws.close(Some(close::KEY_ENDED), Some("key no longer valid"));
}

fn storage_error(error: worker::Error) -> ApiError {
    ApiError::internal(format!("inbox storage: {error}"))
}

impl Inbox {
    async fn serve(&self, mut req: Request) -> std::result::Result<Response, ApiError> {
        let unreadable = |error: String| ApiError::internal(format!("inbox call: {error}"));
        let text = match req.headers().get(CALL_HEADER)? {
            Some(text) => text,
            None => req.text().await.map_err(|error| unreadable(error.to_string()))?,
        };
        let call: InboxCall = serde_json::from_str(&text).map_err(|error| unreadable(error.to_string()))?;
        let done = |value: serde_json::Value| Response::from_json(&Answer::Done(value)).map_err(ApiError::internal);
        match call {
            InboxCall::Connect(connect) => self.accept(connect).await,
            InboxCall::AddTicket(ticket) => {
                self.schema()?;
                let storage = self.state.storage().sql();
                tickets::add(&storage, &ticket, now_millis())?;
                done(serde_json::Value::Null)
            }
            InboxCall::Redeem(redeem) => match self.redeem(&redeem.ticket_hash)? {
                Some(redeemed) => Response::from_json(&Answer::Done(redeemed)).map_err(ApiError::internal),
                None => Response::from_json(&Answer::<Redeemed>::Denied(Denied::BadTicket)).map_err(ApiError::internal),
            },
            InboxCall::Deliver { frames } => {
                self.deliver(&frames).await;
                done(serde_json::Value::Null)
            }
            InboxCall::Forward { deliveries } => {
                let width = Settings::of(&self.env).config.map_or(fanout::DEFAULT_WIDTH, |config| config.inbox_fanout);
                fanout::deliver_all(&self.env, deliveries, width).await;
                done(serde_json::Value::Null)
            }
            InboxCall::KeysChanged => {
                self.check_keys().await?;
                done(serde_json::Value::Null)
            }
        }
    }

    fn schema(&self) -> std::result::Result<(), ApiError> {
        let sql = self.state.storage().sql();
        for statement in tickets::SCHEMA.iter().chain(SCHEMA) {
            sql.exec(statement, None).map_err(storage_error)?;
        }
        Ok(())
    }

    /// The ticket's user and key, if it is unused and unexpired; used up either way.
    fn redeem(&self, ticket_hash: &KeyHash) -> std::result::Result<Option<Redeemed>, ApiError> {
        self.schema()?;
        let redeemed = tickets::redeem(&self.state.storage().sql(), ticket_hash, now_millis())?;
        Ok(redeemed.map(|(user_id, key_hash)| Redeemed { user_id, key_hash }))
    }

    fn opened(&self) -> std::result::Result<Option<(UserId, i64)>, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            user_id: String,
            since: i64,
        }
        self.schema()?;
        let rows: Vec<Row> = self
            .state
            .storage()
            .sql()
            .exec(OPENED, None)
            .and_then(|cursor| cursor.to_array())
            .map_err(storage_error)?;
        Ok(rows.into_iter().next().and_then(|row| Some((UserId::parse(&row.user_id).ok()?, row.since))))
    }

    fn open_sockets(&self) -> Vec<WebSocket> {
        self.state.get_websockets().into_iter().filter(crate::live::sockets::is_open).collect()
    }

    /// Accepts the socket, tells D1 the person's inbox is open and reads their rooms, in one
    /// round trip, then sends `hello` and whatever was pushed meanwhile.
    async fn accept(&self, connect: InboxConnect) -> std::result::Result<Response, ApiError> {
        self.schema()?;
        let pair = WebSocketPair::new()?;
        let ws = pair.server;
        self.state.accept_web_socket(&ws);
        ws.serialize_attachment(&Attached {
            key_hash: Some(connect.key_hash.clone()),
            expires_at: connect.expires_at,
            ready: false,
        })?;
        let since = now_millis();
        self.state
            .storage()
            .sql()
            .exec(SET_OPENED, vec![connect.user_id.to_string().into(), since.into()])
            .map_err(storage_error)?;
        if let Some(expires_at) = connect.expires_at {
            platform::wake_by(&self.state, expires_at).await;
        }
        let db = Db::open(&self.env, &RequestLog::default())?;
        match inboxes::open(&db, &connect.user_id, since, HELLO_ROOMS).await {
            Ok(rooms) => {
                let _ = ws.send_with_str(InboxFrame::Hello { rooms }.text());
                ws.serialize_attachment(&Attached { ready: true, ..Attached::of(&ws) })?;
                let waiting: Vec<String> = {
                    let mut waiting = self.waiting.borrow_mut();
                    let (mine, others) = waiting.drain(..).partition(|(socket, _)| *socket == ws);
                    *waiting = others;
                    mine.into_iter().map(|(_, text)| text).collect()
                };
                for text in waiting {
                    let _ = ws.send_with_str(text);
                }
            }
            Err(error) => {
                worker::console_error!("inbox hello: {}", error.detail());
                let _ = ws.close(Some(1011), Some("internal error"));
            }
        }
        Ok(Response::from_websocket(pair.client)?)
    }

    /// Sends the frames to every open socket (keeping them for one still waiting for its
    /// `hello`); with none open, tells D1 the inbox is closed, so that rooms stop pushing.
    async fn deliver(&self, frames: &[InboxFrame]) {
        let sockets = self.open_sockets();
        if sockets.is_empty() {
            return self.closed_if_empty().await;
        }
        let texts: Vec<String> = frames.iter().map(InboxFrame::text).collect();
        for ws in sockets {
            if Attached::of(&ws).ready {
                for text in &texts {
                    let _ = ws.send_with_str(text);
                }
            } else {
                self.waiting.borrow_mut().extend(texts.iter().map(|text| (ws.clone(), text.clone())));
            }
        }
    }

    /// Once the last socket closed, D1 no longer lists the inbox open (unless a newer socket
    /// listed it since).
    async fn closed_if_empty(&self) {
        if !self.open_sockets().is_empty() {
            return;
        }
        let closed = match self.opened() {
            Ok(Some((user_id, since))) => match Db::open(&self.env, &RequestLog::default()) {
                Ok(db) => inboxes::closed(&db, &user_id, since).await,
                Err(error) => Err(error),
            },
            Ok(None) => Ok(()),
            Err(error) => Err(error),
        };
        if let Err(error) = closed {
            worker::console_error!("inbox close: {}", error.detail());
        }
    }

    /// Closes (4001) the sockets whose key's session ended.
    async fn check_keys(&self) -> std::result::Result<(), ApiError> {
        let sockets = self.open_sockets();
        let keys: Vec<String> =
            sockets.iter().filter_map(|ws| Attached::of(ws).key_hash).map(|key| key.as_str().to_owned()).collect();
        if keys.is_empty() {
            return Ok(());
        }
        let db = Db::open(&self.env, &RequestLog::default())?;
        let live = inboxes::live_keys(&db, &keys).await?;
        for ws in sockets {
            if Attached::of(&ws).key_hash.is_none_or(|key| !live.iter().any(|live| live == key.as_str())) {
                close_key_ended(&ws);
            }
        }
        Ok(())
    }
}
