//! The live protocol's frames (web/asyncapi.json documents them), as types: what a client may
//! send (`ClientFrame`, parsed at the edge), what the room sends (`ServerFrame`: every frame is
//! built from it), the room's persisted events (`Event`), and the changes D1 commits as the
//! outbox hands them to the room (`Change`). Pure: no platform calls.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::events::{Change, Event, LeaveReason, MessageView, Reaction, ReplyTo, ThreadSummary, PREVIEW_CHARS};
use crate::domain::files::file_list;
use crate::domain::{FileId, Mentions, MessageId, MessageText, RoomView, UserId};

/// The largest frame a client may send; a longer one closes its socket (1009).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Frames one user (all their sockets together), or one viewer's socket, may send in
/// `FLOOD_WINDOW_MILLIS` before the socket that sends one more is closed (1008).
pub const FLOOD_FRAMES: u32 = 30;
pub const FLOOD_WINDOW_MILLIS: i64 = 10_000;

/// The least time between two `typing` frames of one user (whatever their sockets).
pub const TYPING_EVERY_MILLIS: i64 = 2_000;

/// Sockets one user may hold open in one room: one more closes their oldest (1008).
pub const SOCKETS_PER_USER: usize = 10;

/// The longest `txn_id`.
pub const MAX_TXN_ID_CHARS: usize = 64;

/// A client's `ping`, exactly as sent, and the `pong` the runtime answers it with, without
/// waking the room's object: a heartbeat that costs nothing. A client sends one as soon as
/// its socket opens: the runtime (workerd) ends the connection of a socket that never sent a
/// frame only seconds after its close handshake, and at once for one that did.
pub const PING: &str = r#"{"type":"ping"}"#;
pub const PONG: &str = r#"{"type":"pong"}"#;

/// Standard and application close codes the room closes sockets with.
pub mod close {
    /// A binary frame: the protocol is JSON text.
    pub const UNSUPPORTED: u16 = 1003;
    /// Too many frames too fast, or too many sockets of one user (the oldest goes).
    pub const POLICY: u16 = 1008;
    /// A frame over `MAX_FRAME_BYTES`.
    pub const TOO_BIG: u16 = 1009;
    /// The socket's key was revoked or expired, or its account deleted.
    pub const KEY_ENDED: u16 = 4001;
    /// The socket's user may no longer see the room, or was banned from it.
    pub const ACCESS_LOST: u16 = 4003;
    /// The room is gone.
    pub const ROOM_DELETED: u16 = 4004;
    /// Every code the room closes with.
    pub const ALL: [u16; 6] = [UNSUPPORTED, POLICY, TOO_BIG, KEY_ENDED, ACCESS_LOST, ROOM_DELETED];

    /// The close a client's close is answered with: its own code, if one may be sent back
    /// (not 1005 "none", 1006, 1015 or one reserved: then 1000), and its reason if it fits.
    pub fn echo(code: usize, reason: &str) -> (u16, &str) {
        let sendable = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
        match u16::try_from(code) {
            Ok(code) if sendable => (code, if reason.len() <= 123 { reason } else { "" }),
            _ => (1000, ""),
        }
    }
}

/// A `send` frame's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub text: MessageText,
    pub txn_id: String,
    /// Whom it mentions (`mentions`, `mention_room`); the room checks them.
    pub mentions: Mentions,
    /// The message it replies to; the room checks it.
    pub reply_to: Option<MessageId>,
    /// The root of the thread it is a reply in; the room checks it.
    pub thread: Option<MessageId>,
    /// The files it carries; the room checks them.
    pub files: Vec<FileId>,
}

/// A frame from a client, once it passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    Send(Outgoing),
    Typing,
    /// The person has read up to `seq`.
    Read {
        seq: i64,
    },
    /// A `ping` not written exactly as `PING` (which the runtime answers): the room answers it.
    Ping,
}

/// Why a client's frame was refused: answered with an `error` frame, the socket kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    pub error: String,
    pub txn_id: Option<String>,
}

impl FrameError {
    pub fn new(error: impl Into<String>, txn_id: Option<&str>) -> Self {
        Self { error: error.into(), txn_id: txn_id.map(str::to_owned) }
    }

    pub fn frame(&self) -> ServerFrame<'_> {
        ServerFrame::Error { error: &self.error, txn_id: self.txn_id.as_deref() }
    }
}

impl ClientFrame {
    /// Every frame type a client may send.
    pub const TYPES: [&'static str; 4] = ["send", "typing", "read", "ping"];

    /// Reads one text frame: JSON, an object with a known `type` and that type's fields.
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(text) else {
            return Err(FrameError::new("a frame must be a JSON object", None));
        };
        let txn_id = frame.get("txn_id").and_then(Value::as_str);
        match frame.get("type").and_then(Value::as_str) {
            Some("send") => {
                let txn_id = match txn_id {
                    Some(id) if !id.is_empty() && id.chars().count() <= MAX_TXN_ID_CHARS => id,
                    Some(_) => return Err(FrameError::new("txn_id must be 1 to 64 characters", None)),
                    None => return Err(FrameError::new("send needs a txn_id (a string)", None)),
                };
                let Some(text) = frame.get("text").and_then(Value::as_str) else {
                    return Err(FrameError::new("send needs a text (a string)", Some(txn_id)));
                };
                let invalid = |error: String| FrameError::new(error, Some(txn_id));
                let text = MessageText::parse(text).map_err(|error| invalid(error.0))?;
                let users: Vec<&str> = match frame.get("mentions") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|item| {
                            item.as_str().ok_or_else(|| invalid("mentions must be an array of user ids".into()))
                        })
                        .collect::<Result<_, _>>()?,
                    Some(_) => return Err(invalid("mentions must be an array of user ids".into())),
                };
                let room = match frame.get("mention_room") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(room)) => *room,
                    Some(_) => return Err(invalid("mention_room must be true or false".into())),
                };
                let mentions = Mentions::parse(users, room).map_err(|error| invalid(error.0))?;
                let message_id = |field: &str| match frame.get(field) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(id)) => {
                        MessageId::parse(id).map(Some).map_err(|_| invalid(format!("{field} must be a UUID")))
                    }
                    Some(_) => Err(invalid(format!("{field} must be a UUID"))),
                };
                let (reply_to, thread) = (message_id("reply_to")?, message_id("thread")?);
                let files: Vec<&str> = match frame.get("files") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|item| item.as_str().ok_or_else(|| invalid("files must be an array of file ids".into())))
                        .collect::<Result<_, _>>()?,
                    Some(_) => return Err(invalid("files must be an array of file ids".into())),
                };
                let files = file_list(files).map_err(|error| invalid(error.0))?;
                Ok(Self::Send(Outgoing { text, txn_id: txn_id.to_owned(), mentions, reply_to, thread, files }))
            }
            Some("typing") => Ok(Self::Typing),
            Some("read") => match frame.get("seq").and_then(Value::as_i64) {
                Some(seq) if seq >= 0 => Ok(Self::Read { seq }),
                _ => Err(FrameError::new("read needs a seq (an integer, 0 or more)", None)),
            },
            Some("ping") => Ok(Self::Ping),
            Some(other) => Err(FrameError::new(format!("unknown frame type {other:?}"), txn_id)),
            None => Err(FrameError::new("a frame needs a type (a string)", txn_id)),
        }
    }

    /// The frame's type, as the client wrote it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Send(_) => "send",
            Self::Typing => "typing",
            Self::Read { .. } => "read",
            Self::Ping => "ping",
        }
    }
}

/// The socket's user as `hello` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct You {
    pub user_id: UserId,
    pub present: bool,
    pub admin: bool,
    pub owner: bool,
    /// A present member's read position and unread messages (the room tells them).
    #[serde(default, flatten)]
    pub reading: Option<Reading>,
}

/// Where a member has read up to, and what they have not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub read_seq: i64,
    pub unread: i64,
    /// Those unread messages that mention them.
    pub mentions: i64,
    pub marked_unread: bool,
}

/// An event with its seq, and its message if it has one: the frame every socket gets. A
/// message's frame says the thread it is a reply in (`thread`), if it is one.
#[derive(Debug, Clone, Serialize)]
pub struct Numbered<'a> {
    #[serde(flatten)]
    pub event: &'a Event,
    pub seq: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a MessageView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<MessageId>,
}

impl<'a> Numbered<'a> {
    pub fn new(event: &'a Event, seq: i64, message: Option<&'a MessageView>) -> Self {
        Self { event, seq, message, thread: message.and_then(MessageView::in_thread) }
    }
}

/// Every frame the room sends.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    Hello {
        seq: i64,
        room: &'a RoomView,
        /// Null for a viewer without a key.
        you: Option<&'a You>,
    },
    /// What came before (the replay, or nothing) is over: the socket is live.
    Ready {
        seq: i64,
    },
    /// The resume asked for is not possible: reload, then carry on from `seq`.
    Reset {
        seq: i64,
    },
    /// Who has a socket open.
    Presence {
        users: &'a [UserId],
    },
    Typing {
        user_id: &'a UserId,
    },
    /// The person read up to `seq` on another of their sockets (or over HTTP).
    Read {
        seq: i64,
    },
    /// The answer to a socket's `send`.
    Sent {
        txn_id: &'a str,
        message: &'a MessageView,
    },
    Error {
        error: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        txn_id: Option<&'a str>,
    },
    Pong,
    #[serde(untagged)]
    Event(Numbered<'a>),
}

impl ServerFrame<'_> {
    /// The frame as it goes on the wire.
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"type":"error","error":"internal error"}"#.to_owned())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn refused(text: &str) -> FrameError {
        ClientFrame::parse(text).unwrap_err()
    }

    #[test]
    fn a_send_with_text_and_txn_id_is_read() {
        let frame = ClientFrame::parse(r#"{"type":"send","text":"hi","txn_id":"t1"}"#).unwrap();
        let text = MessageText::parse("hi").unwrap();
        assert_eq!(
            frame,
            ClientFrame::Send(Outgoing {
                text,
                txn_id: "t1".into(),
                mentions: Mentions::NONE,
                reply_to: None,
                thread: None,
                files: Vec::new(),
            })
        );
        assert_eq!(ClientFrame::parse(r#"{"type":"typing"}"#).unwrap(), ClientFrame::Typing);
    }

    #[test]
    fn a_sends_mentions_are_ids_and_a_flag_refused_with_its_txn_id() {
        let ann = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        let frame = format!(r#"{{"type":"send","text":"hi","txn_id":"t1","mentions":["{ann}"],"mention_room":true}}"#);
        let Ok(ClientFrame::Send(Outgoing { mentions, .. })) = ClientFrame::parse(&frame) else { panic!("not a send") };
        assert_eq!(mentions, Mentions::parse([ann], true).unwrap());
        for (fields, error) in [
            (r#""mentions":"ann""#, "mentions must be an array of user ids"),
            (r#""mentions":[1]"#, "mentions must be an array of user ids"),
            (r#""mentions":["ann"]"#, "mentions must be a UUID"),
            (r#""mention_room":"yes""#, "mention_room must be true or false"),
        ] {
            let refusal = refused(&format!(r#"{{"type":"send","text":"hi","txn_id":"t2",{fields}}}"#));
            assert_eq!((refusal.error.as_str(), refusal.txn_id.as_deref()), (error, Some("t2")), "{fields}");
        }
    }

    #[test]
    fn frames_that_are_not_json_objects_are_refused() {
        for text in ["", "hello", "[1]", "\"send\"", "{"] {
            assert_eq!(refused(text).error, "a frame must be a JSON object", "{text}");
        }
    }

    #[test]
    fn an_unknown_or_missing_type_is_refused_with_the_txn_id_if_given() {
        let error = refused(r#"{"type":"shout","txn_id":"t9"}"#);
        assert_eq!((error.error.as_str(), error.txn_id.as_deref()), ("unknown frame type \"shout\"", Some("t9")));
        assert_eq!(refused(r#"{"type":7}"#).error, "a frame needs a type (a string)");
    }

    #[test]
    fn a_send_needs_a_txn_id_of_1_to_64_characters_and_valid_text() {
        assert_eq!(refused(r#"{"type":"send","text":"hi"}"#).error, "send needs a txn_id (a string)");
        assert!(refused(r#"{"type":"send","text":"hi","txn_id":""}"#).error.contains("1 to 64"));
        let long = format!(r#"{{"type":"send","text":"hi","txn_id":"{}"}}"#, "x".repeat(65));
        assert!(refused(&long).error.contains("1 to 64"));
        let error = refused(r#"{"type":"send","txn_id":"t"}"#);
        assert_eq!((error.error.as_str(), error.txn_id.as_deref()), ("send needs a text (a string)", Some("t")));
        let error = refused(r#"{"type":"send","text":"","txn_id":"t"}"#);
        assert_eq!(error.txn_id.as_deref(), Some("t"));
    }

    /// The frame types of one operation of web/asyncapi.json, each message's `$ref`s followed
    /// to its payload's constant `type`.
    pub(crate) fn documented(operation: &str) -> BTreeSet<String> {
        let document: Value = serde_json::from_str(include_str!("../../web/asyncapi.json")).unwrap();
        fn resolve<'a>(document: &'a Value, mut value: &'a Value) -> &'a Value {
            while let Some(pointer) = value.get("$ref").and_then(Value::as_str) {
                value = document.pointer(pointer.trim_start_matches('#')).unwrap_or_else(|| panic!("{pointer}"));
            }
            value
        }
        let messages = document["operations"][operation]["messages"].as_array().unwrap();
        messages
            .iter()
            .map(|message| {
                let payload = resolve(&document, &resolve(&document, message)["payload"]);
                resolve(&document, &payload["properties"]["type"])["const"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    #[test]
    fn the_asyncapi_document_lists_exactly_the_frame_types_of_the_code() {
        let sent: BTreeSet<String> = crate::live::examples::server_frame_types().into_iter().collect();
        assert_eq!(documented("sendRoomFrames"), sent);
        let read: BTreeSet<String> = ClientFrame::TYPES.iter().map(|kind| (*kind).to_owned()).collect();
        assert_eq!(documented("receiveClientFrames"), read);
    }

    #[test]
    fn the_examples_hold_one_of_each_frame_and_event() {
        let (events, kinds) = crate::live::examples::events();
        let seen: BTreeSet<usize> = events.iter().map(crate::live::examples::event_variant).collect();
        assert_eq!(seen, (0..kinds).collect());
        // Nine frames and every event: only when each of the ten frame variants was seen.
        assert_eq!(crate::live::examples::server_frame_types().len(), 9 + kinds);
    }

    #[test]
    fn every_client_frame_type_is_read_as_itself_and_no_other() {
        for kind in ClientFrame::TYPES {
            let frame = format!(r#"{{"type":"{kind}","text":"hi","txn_id":"t","seq":1}}"#);
            assert_eq!(ClientFrame::parse(&frame).unwrap().kind(), kind);
        }
        for kind in crate::live::examples::server_frame_types()
            .iter()
            .filter(|kind| !ClientFrame::TYPES.contains(&kind.as_str()))
        {
            let frame = format!(r#"{{"type":"{kind}","text":"hi","txn_id":"t"}}"#);
            assert!(ClientFrame::parse(&frame).unwrap_err().error.starts_with("unknown frame type"), "{kind}");
        }
    }

    #[test]
    fn a_numbered_event_is_its_fields_with_its_seq_and_its_message() {
        let user_id = crate::live::examples::user();
        let event = Event::MemberJoined { user_id };
        let frame = ServerFrame::Event(Numbered::new(&event, 7, None));
        let value: Value = serde_json::from_str(&frame.text()).unwrap();
        assert_eq!(value, serde_json::json!({ "type": "member_joined", "user_id": user_id, "seq": 7 }));
        let message = crate::live::examples::message();
        let frame = ServerFrame::Event(Numbered::new(&Event::Message, 8, Some(&message)));
        let value: Value = serde_json::from_str(&frame.text()).unwrap();
        assert_eq!(value["type"], "message");
        assert_eq!(value["message"]["deleted"], true);
    }

    #[test]
    fn an_error_frame_leaves_out_a_missing_txn_id() {
        assert_eq!(FrameError::new("no", None).frame().text(), r#"{"type":"error","error":"no"}"#);
        assert_eq!(FrameError::new("no", Some("t")).frame().text(), r#"{"type":"error","error":"no","txn_id":"t"}"#);
    }

    #[test]
    fn a_close_is_echoed_with_its_code_unless_that_code_may_not_be_sent() {
        assert_eq!(close::echo(1000, "bye"), (1000, "bye"));
        assert_eq!(close::echo(4003, "access lost"), (4003, "access lost"));
        for unsendable in [1004, 1005, 1006, 1015, 999, 2000, 5000, 70_000] {
            assert_eq!(close::echo(unsendable, "x"), (1000, ""), "{unsendable}");
        }
        assert_eq!(close::echo(1001, &"x".repeat(124)), (1001, ""));
    }

    #[test]
    fn ping_and_pong_are_frames_of_their_type() {
        assert_eq!(ClientFrame::parse(PING).unwrap(), ClientFrame::Ping);
        assert_eq!(ServerFrame::Pong.text(), PONG);
    }
}
