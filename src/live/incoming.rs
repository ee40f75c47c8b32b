//! What a socket's frames do: checked against what the socket may do now (`Standing`), then a
//! `send` posts, `typing` tells the others, `ping` is answered.

use std::cell::RefCell;

use worker::{WebSocket, WebSocketIncomingMessage};

use super::fan::protocol::FrameReply;
use super::frames::{self, close, ClientFrame, FrameError, MessageView, Outgoing, ServerFrame};
use super::history::History;
use super::protocol::{Answer, FanFrame, Post, Read};
use super::room::Room;
use super::sockets::{self, is_open, Origin, Rates, Socket};
use super::standing::Standing;
use crate::auth::random_bytes;
use crate::clock::now_millis;
use crate::domain::{MentionRefusal, Mentions, MessageId, RoomId, UserId};
use crate::error::ApiError;
use crate::log::RequestLog;
use crate::store::{rooms, Db};

/// What the checks every object that holds a room's sockets makes first say of a frame.
pub enum Admitted {
    /// The frame, as text, of a socket that may go on sending.
    Frame(Socket, String),
    /// The socket was closed for it (a binary frame, one too big, too many frames, its key
    /// expired): who is here may have changed.
    Closed,
    /// The socket was closing already: the frame is dropped.
    Dropped,
}

/// Checks a socket's frame: its kind, size and rate, and the socket's key's expiry.
pub fn admitted(
    ws: &WebSocket,
    message: WebSocketIncomingMessage,
    rates: &Rates,
    now: i64,
) -> Result<Admitted, ApiError> {
    // A socket that is closing, by either side, is heard no more.
    if !is_open(ws) {
        return Ok(Admitted::Dropped);
    }
    let refused = |standing: Standing| {
        sockets::close(ws, standing);
        Ok(Admitted::Closed)
    };
    let text = match message {
        WebSocketIncomingMessage::Binary(_) => {
            return refused(Standing::Out { code: close::UNSUPPORTED, reason: "frames are JSON text" })
        }
        WebSocketIncomingMessage::String(text) => text,
    };
    if text.len() > frames::MAX_FRAME_BYTES {
        return refused(Standing::Out { code: close::TOO_BIG, reason: "frame over 64 KiB" });
    }
    let mut socket = Socket::of(ws);
    let within = rates.frame(&mut socket, now);
    if socket.user_id.is_none() {
        ws.serialize_attachment(&socket)?;
    }
    if !within {
        return refused(Standing::Out { code: close::POLICY, reason: "too many frames" });
    }
    if socket.expires_at.is_some_and(|expires_at| expires_at <= now) {
        return refused(Standing::KEY_ENDED);
    }
    Ok(Admitted::Frame(socket, text))
}

impl Room {
    /// A frame of a socket a fan-out object holds, which checked its size and rate: refused,
    /// or done, as a frame of the room's own socket is; the frames for the socket, sent once
    /// the object has applied what the frame made the room hand it.
    pub async fn fan_frame(&self, frame: FanFrame) -> Result<Answer<FrameReply>, ApiError> {
        let standing = self.standing(&frame.socket)?;
        if let Standing::Out { code, reason } = standing {
            return Ok(Answer::Done(FrameReply { close: Some((code, reason.to_owned())), ..FrameReply::default() }));
        }
        let origin = Origin::Fan { id: frame.socket.id, answers: RefCell::default() };
        self.frame(&origin, &frame.socket, standing, &frame.text, now_millis()).await;
        let Origin::Fan { answers, .. } = origin else { return Err(ApiError::internal("a fan's frame came here")) };
        Ok(Answer::Done(FrameReply { frames: answers.into_inner(), close: None, after: self.mark(frame.fan) }))
    }

    /// A frame from a socket: refused, or done, by what the socket may do now.
    pub async fn on_frame(&self, ws: &WebSocket, message: WebSocketIncomingMessage) -> Result<(), ApiError> {
        let now = now_millis();
        let (socket, text) = match admitted(ws, message, &self.rates, now)? {
            Admitted::Frame(socket, text) => (socket, text),
            // Gone from who is here now, not once the client answers the close.
            Admitted::Closed => {
                self.presence_changed().await;
                return Ok(());
            }
            Admitted::Dropped => return Ok(()),
        };
        let standing = self.standing(&socket)?;
        if let Standing::Out { .. } = standing {
            sockets::close(ws, standing);
            self.presence_changed().await;
            return Ok(());
        }
        self.frame(&Origin::Here(ws), &socket, standing, &text, now).await;
        Ok(())
    }

    /// What a frame of a socket that may stay does.
    async fn frame(&self, origin: &Origin<'_>, socket: &Socket, standing: Standing, text: &str, now: i64) {
        let outcome = match ClientFrame::parse(text) {
            Err(error) => Err(error),
            Ok(ClientFrame::Send(outgoing)) => self.send_frame(origin, socket, standing, outgoing).await,
            Ok(ClientFrame::Typing) => self.typing_frame(origin, socket, standing, now),
            Ok(ClientFrame::Read { seq }) => self.read_frame(origin, socket, standing, seq),
            Ok(ClientFrame::Ping) => {
                origin.send(&ServerFrame::Pong);
                Ok(())
            }
        };
        if let Err(error) = outcome {
            origin.send(&error.frame());
        }
        self.counts_changed().await;
    }

    async fn send_frame(
        &self,
        origin: &Origin<'_>,
        socket: &Socket,
        standing: Standing,
        Outgoing { text, txn_id, mentions, reply_to, thread, files }: Outgoing,
    ) -> Result<(), FrameError> {
        let txn_id = txn_id.as_str();
        let refuse = |error: &str| FrameError::new(error, Some(txn_id));
        let internal = |error: ApiError| {
            worker::console_error!("room socket send: {}", error.detail());
            refuse("internal error")
        };
        let Some(user_id) = socket.user_id.filter(|_| standing.may_post()) else {
            return Err(refuse("only present members may post"));
        };
        let history = self.history().map_err(internal)?;
        let sent = |message: &MessageView| origin.send(&ServerFrame::Sent { txn_id, message });
        if let Some(message) = history.sent_before(&user_id, txn_id).map_err(internal)? {
            sent(&message.view().map_err(internal)?);
            return Ok(());
        }
        if !mentions.is_empty() {
            self.check_mentions(&history, &user_id, &mentions)
                .await
                .map_err(internal)?
                .map_err(|refusal| refuse(ApiError::from(refusal).message()))?;
            // Another send of the same txn_id may have posted meanwhile.
            if let Some(message) = history.sent_before(&user_id, txn_id).map_err(internal)? {
                sent(&message.view().map_err(internal)?);
                return Ok(());
            }
        }
        let message_id = MessageId::from_random_bytes(random_bytes().map_err(internal)?);
        let post = Post { user_id, message_id, text: text.as_str().to_owned(), mentions, reply_to, thread, files };
        match self.post(&post).map_err(internal)? {
            Answer::Done(message) => {
                history.remember_txn(&user_id, txn_id, message.seq(), now_millis()).map_err(internal)?;
                sent(&message);
                Ok(())
            }
            Answer::Denied(denied) => Err(refuse(ApiError::from(denied).message())),
        }
    }

    /// Asks D1 whether the room may carry a socket's post's mentions (over HTTP, the worker
    /// asked in the request's own round trip).
    async fn check_mentions(
        &self,
        history: &History,
        author: &UserId,
        mentions: &Mentions,
    ) -> Result<Result<(), MentionRefusal>, ApiError> {
        let room_id = history.room_id()?.ok_or_else(|| ApiError::internal("room object: its room id is unknown"))?;
        let room_id = RoomId::parse(&room_id).map_err(|_| ApiError::internal("room object: a malformed room id"))?;
        let db = Db::open(&self.env, &RequestLog::default())?;
        let found = rooms::mentionable(&db, &room_id, author, &mentions.users).await?;
        Ok(mentions.check(found.admin != 0, usize::try_from(found.present).unwrap_or(0)))
    }

    fn read_frame(&self, origin: &Origin<'_>, socket: &Socket, standing: Standing, seq: i64) -> Result<(), FrameError> {
        let Some(user_id) = socket.user_id.filter(|_| standing == Standing::Member) else {
            return Err(FrameError::new("only present members keep a read position", None));
        };
        let internal = |error: ApiError| {
            worker::console_error!("room socket read: {}", error.detail());
            FrameError::new("internal error", None)
        };
        match self.read(&Read { user_id, seq: Some(seq) }, Some(origin)).map_err(internal)? {
            Answer::Done(_) => Ok(()),
            Answer::Denied(denied) => Err(FrameError::new(ApiError::from(denied).message(), None)),
        }
    }

    fn typing_frame(
        &self,
        origin: &Origin<'_>,
        socket: &Socket,
        standing: Standing,
        now: i64,
    ) -> Result<(), FrameError> {
        let Some(user_id) = socket.user_id.filter(|_| standing.may_post()) else {
            return Err(FrameError::new("only present members may type", None));
        };
        if !self.rates.typing(&user_id, now) {
            return Err(FrameError::new("typing too often: once every 2 seconds", None));
        }
        self.broadcast_frame(&ServerFrame::Typing { user_id: &user_id }, Some(origin));
        Ok(())
    }
}
