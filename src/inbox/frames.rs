//! The frames an inbox socket receives (web/asyncapi.json, the inbox channel).

use serde::{Deserialize, Serialize};

use crate::domain::{RoomId, UserId};
use crate::live::frames::{LeaveReason, MessageView};

/// A room's row of the person's rooms list, as `GET /user/{id}/rooms` shows it.
pub type RoomRow = serde_json::Value;

/// Why a room is no longer one of the person's: as its `member_left` says, or it was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gone {
    Left,
    Removed,
    Banned,
    Deleted,
}

impl From<LeaveReason> for Gone {
    fn from(reason: LeaveReason) -> Self {
        match reason {
            LeaveReason::Left => Gone::Left,
            LeaveReason::Removed => Gone::Removed,
            LeaveReason::Banned => Gone::Banned,
        }
    }
}

/// Every frame an inbox sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxFrame {
    /// The person's rooms, the latest message first (at most `HELLO_ROOMS`).
    Hello {
        rooms: Vec<RoomRow>,
    },
    /// A room of theirs had a message (or lost one, or they read it): where they stand now.
    RoomActivity {
        room_id: RoomId,
        last_seq: i64,
        last_message_at: Option<String>,
        unread: i64,
        mentions: i64,
    },
    /// They read a room up to `read_seq` (on any device).
    Read {
        room_id: RoomId,
        read_seq: i64,
    },
    /// A message that mentions them.
    Mention {
        room_id: RoomId,
        message: Box<MessageView>,
    },
    /// They were invited to a room.
    Invited {
        room_id: RoomId,
        by: UserId,
    },
    /// Someone started a DM with them (a request).
    DmRequest {
        room_id: RoomId,
        from: UserId,
    },
    /// They joined a room (on any device, or were added).
    Joined {
        room_id: RoomId,
    },
    /// They left a room, were removed or banned, or the room was deleted.
    Left {
        room_id: RoomId,
        reason: Gone,
    },
    /// A frame the inbox does not take (it takes `ping` only).
    Error {
        error: String,
    },
    Pong,
}

/// Rooms `hello` lists at most: the rooms list's largest page.
pub const HELLO_ROOMS: u32 = 500;

impl InboxFrame {
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"type":"error","error":"internal error"}"#.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::live::frames::tests::documented;

    #[test]
    fn the_asyncapi_document_lists_exactly_the_inbox_frames_of_the_code() {
        let (room_id, user_id) = (RoomId::from_random_bytes([1; 16]), UserId::from_random_bytes([2; 16]));
        let message = MessageView::Deleted {
            message_id: crate::domain::MessageId::from_random_bytes([3; 16]),
            seq: 1,
            deleted: true,
            reactions: Vec::new(),
            in_thread: None,
            thread: None,
            files: Vec::new(),
        };
        let every = [
            InboxFrame::Hello { rooms: Vec::new() },
            InboxFrame::RoomActivity { room_id, last_seq: 1, last_message_at: None, unread: 0, mentions: 0 },
            InboxFrame::Read { room_id, read_seq: 1 },
            InboxFrame::Mention { room_id, message: Box::new(message) },
            InboxFrame::Invited { room_id, by: user_id },
            InboxFrame::DmRequest { room_id, from: user_id },
            InboxFrame::Joined { room_id },
            InboxFrame::Left { room_id, reason: Gone::Deleted },
            InboxFrame::Error { error: String::new() },
            InboxFrame::Pong,
        ];
        let types: BTreeSet<String> = every
            .iter()
            .map(|frame| serde_json::to_value(frame).unwrap()["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(types.len(), every.len(), "one of each variant");
        assert_eq!(documented("sendInboxFrames"), types);
    }
}
