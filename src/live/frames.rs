//! The live protocol's frames (web/asyncapi.json documents them): what a client may send,
//! parsed into typed values at the edge, and what the room sends. Pure: no platform calls.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::MessageText;

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

/// Every frame type a client may send, and every one the room sends: a test holds
/// web/asyncapi.json to exactly these.
pub const CLIENT_FRAME_TYPES: &[&str] = &["send", "typing", "ping"];
/// The room's persisted events: each carries the room's next `seq`.
pub const EVENT_FRAME_TYPES: &[&str] = &[
    "message",
    "message_edited",
    "message_deleted",
    "member_joined",
    "member_left",
    "admin_added",
    "admin_removed",
    "owner_changed",
    "room_updated",
    "room_deleted",
];
/// What else the room sends: the opening frames, what is not persisted, the answers.
pub const OTHER_SERVER_FRAME_TYPES: &[&str] =
    &["hello", "ready", "reset", "typing", "presence", "sent", "error", "pong"];

/// Every frame type the room sends.
pub fn server_frame_types() -> impl Iterator<Item = &'static str> {
    OTHER_SERVER_FRAME_TYPES.iter().chain(EVENT_FRAME_TYPES).copied()
}

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

/// A frame from a client, once it passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    Send {
        text: MessageText,
        txn_id: String,
    },
    Typing,
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
}

impl ClientFrame {
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
                let text = MessageText::parse(text).map_err(|invalid| FrameError::new(invalid.0, Some(txn_id)))?;
                Ok(Self::Send { text, txn_id: txn_id.to_owned() })
            }
            Some("typing") => Ok(Self::Typing),
            Some("ping") => Ok(Self::Ping),
            Some(other) => Err(FrameError::new(format!("unknown frame type {other:?}"), txn_id)),
            None => Err(FrameError::new("a frame needs a type (a string)", txn_id)),
        }
    }
}

/// A room as `hello` and `room_updated` show it (as `GET /room/{room_id}` does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub open: bool,
    pub name: String,
    pub user_count: i64,
    pub owner: String,
}

/// The socket's user as `hello` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct You {
    pub user_id: String,
    pub present: bool,
    pub admin: bool,
    pub owner: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    Left,
    Removed,
    Banned,
}

/// A change that D1 committed, as the outbox hands it to the room (`store::outbox`): every
/// one but `KeyEnded` becomes a numbered event of the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    MemberJoined {
        user_id: String,
    },
    MemberLeft {
        user_id: String,
        reason: LeaveReason,
    },
    AdminAdded {
        user_id: String,
    },
    AdminRemoved {
        user_id: String,
    },
    OwnerChanged {
        owner: String,
    },
    RoomUpdated {
        room: RoomView,
    },
    RoomDeleted,
    /// A session ended: its sockets close, its tickets are void. Not an event of the room.
    KeyEnded {
        key_hash: String,
    },
    /// Someone who was not a present member was banned: their sockets (a viewer's, with their
    /// key) close and they may not open one. Not an event of the room (a member's ban is their
    /// `member_left`).
    UserBanned {
        user_id: String,
    },
    /// A ban was lifted. Not an event of the room.
    UserUnbanned {
        user_id: String,
    },
}

impl Change {
    /// Whether it is kept and numbered as an event of the room.
    pub fn is_event(&self) -> bool {
        !matches!(self, Self::KeyEnded { .. } | Self::UserBanned { .. } | Self::UserUnbanned { .. })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn refused(text: &str) -> FrameError {
        ClientFrame::parse(text).unwrap_err()
    }

    #[test]
    fn a_send_with_text_and_txn_id_is_read() {
        let frame = ClientFrame::parse(r#"{"type":"send","text":"hi","txn_id":"t1"}"#).unwrap();
        assert_eq!(frame, ClientFrame::Send { text: MessageText::parse("hi").unwrap(), txn_id: "t1".into() });
        assert_eq!(ClientFrame::parse(r#"{"type":"typing"}"#).unwrap(), ClientFrame::Typing);
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
    fn documented(operation: &str) -> BTreeSet<String> {
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

    fn listed<'a>(types: impl IntoIterator<Item = &'a &'a str>) -> BTreeSet<String> {
        types.into_iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn the_asyncapi_document_lists_exactly_the_frame_types_of_the_code() {
        assert_eq!(documented("sendRoomFrames"), listed(&server_frame_types().collect::<Vec<_>>()));
        assert_eq!(documented("receiveClientFrames"), listed(CLIENT_FRAME_TYPES));
    }

    #[test]
    fn every_frame_type_the_room_writes_is_listed_and_every_listed_one_is_written() {
        // The room's frames are JSON objects written with a literal type, there or as a change.
        let source = [include_str!("object.rs"), include_str!("history.rs")].concat();
        let mut written = BTreeSet::new();
        for pattern in [r#""type": ""#, r#""type".into(), ""#] {
            for (at, _) in source.match_indices(pattern) {
                let rest = &source[at + pattern.len()..];
                written.insert(rest[..rest.find('"').unwrap()].to_owned());
            }
        }
        let changes = [
            Change::MemberJoined { user_id: "u".into() },
            Change::MemberLeft { user_id: "u".into(), reason: LeaveReason::Left },
            Change::AdminAdded { user_id: "u".into() },
            Change::AdminRemoved { user_id: "u".into() },
            Change::OwnerChanged { owner: "u".into() },
            Change::RoomUpdated {
                room: RoomView { open: true, name: String::new(), user_count: 1, owner: "u".into() },
            },
            Change::RoomDeleted,
        ];
        for change in changes {
            assert!(change.is_event());
            written.insert(serde_json::to_value(&change).unwrap()["type"].as_str().unwrap().to_owned());
        }
        written.insert(serde_json::from_str::<Value>(PONG).unwrap()["type"].as_str().unwrap().to_owned());
        assert_eq!(written, listed(&server_frame_types().collect::<Vec<_>>()));
    }

    #[test]
    fn every_listed_client_frame_type_is_read_and_no_other() {
        for name in CLIENT_FRAME_TYPES {
            let frame = format!(r#"{{"type":"{name}","text":"hi","txn_id":"t"}}"#);
            assert!(ClientFrame::parse(&frame).is_ok(), "{name}");
        }
        for name in server_frame_types().filter(|name| !CLIENT_FRAME_TYPES.contains(name)) {
            let frame = format!(r#"{{"type":"{name}","text":"hi","txn_id":"t"}}"#);
            assert!(ClientFrame::parse(&frame).unwrap_err().error.starts_with("unknown frame type"), "{name}");
        }
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
        assert_eq!(serde_json::from_str::<Value>(PING).unwrap()["type"], "ping");
        assert_eq!(serde_json::from_str::<Value>(PONG).unwrap()["type"], "pong");
    }

    #[test]
    fn changes_read_as_the_outbox_writes_them() {
        let change: Change = serde_json::from_str(r#"{"type":"member_left","user_id":"u","reason":"banned"}"#).unwrap();
        assert_eq!(change, Change::MemberLeft { user_id: "u".into(), reason: LeaveReason::Banned });
        let change: Change = serde_json::from_str(r#"{"type":"room_deleted"}"#).unwrap();
        assert!(change.is_event());
        let change: Change = serde_json::from_str(r#"{"type":"key_ended","key_hash":"h"}"#).unwrap();
        assert!(!change.is_event());
        for kind in ["user_banned", "user_unbanned"] {
            let change: Change = serde_json::from_str(&format!(r#"{{"type":"{kind}","user_id":"u"}}"#)).unwrap();
            assert!(!change.is_event(), "{kind}");
        }
        let room = r#"{"type":"room_updated","room":{"open":false,"name":"n","user_count":2,"owner":"o"}}"#;
        assert!(matches!(serde_json::from_str::<Change>(room).unwrap(), Change::RoomUpdated { .. }));
    }
}
