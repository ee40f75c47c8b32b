//! One of each frame the room sends and each event it keeps, to hold web/asyncapi.json and the
//! tests to exactly these. `variant` matches every variant, so a new one does not compile until
//! it is numbered here, and the test then wants an example of it.

use serde_json::Value;

use super::events::{Event, MessageView, ThreadSummary};
use super::frames::{LeaveReason, Numbered, ServerFrame, You};
use crate::domain::{MessageId, ReactionKey, RoomKind, RoomView, UserId};

pub fn user() -> UserId {
    UserId::from_random_bytes([1; 16])
}

pub fn message() -> MessageView {
    MessageView::Deleted {
        message_id: MessageId::from_random_bytes([2; 16]),
        seq: 1,
        deleted: true,
        reactions: Vec::new(),
        in_thread: None,
        thread: None,
        files: Vec::new(),
    }
}

pub fn room() -> RoomView {
    RoomView { open: true, name: String::new(), user_count: 1, owner: user(), kind: RoomKind::Room, people: None }
}

/// Every event, and how many kinds there are.
pub fn events() -> (Vec<Event>, usize) {
    let user_id = user();
    let events = vec![
        Event::Message,
        Event::MessageEdited,
        Event::MessageDeleted { message_id: MessageId::from_random_bytes([2; 16]) },
        Event::MemberJoined { user_id },
        Event::MemberLeft { user_id, reason: LeaveReason::Left },
        Event::MemberInvited { user_id, by: user_id },
        Event::InviteWithdrawn { user_id },
        Event::AdminAdded { user_id },
        Event::AdminRemoved { user_id },
        Event::OwnerChanged { owner: user_id },
        Event::RoomUpdated { room: room() },
        Event::RoomDeleted,
        Event::ReactionAdded { message_id: MessageId::from_random_bytes([2; 16]), key: key(), user_id, count: 1 },
        Event::ReactionRemoved { message_id: MessageId::from_random_bytes([2; 16]), key: key(), user_id, count: 0 },
        Event::ThreadUpdated {
            root_id: MessageId::from_random_bytes([2; 16]),
            thread: ThreadSummary {
                reply_count: 1,
                last_reply_at: "2026-12-07T10:00:00.000Z".into(),
                participants: vec![user_id],
            },
        },
    ];
    (events, 15)
}

pub fn event_variant(event: &Event) -> usize {
    match event {
        Event::Message => 0,
        Event::MessageEdited => 1,
        Event::MessageDeleted { .. } => 2,
        Event::MemberJoined { .. } => 3,
        Event::MemberLeft { .. } => 4,
        Event::AdminAdded { .. } => 5,
        Event::AdminRemoved { .. } => 6,
        Event::OwnerChanged { .. } => 7,
        Event::RoomUpdated { .. } => 8,
        Event::RoomDeleted => 9,
        Event::MemberInvited { .. } => 10,
        Event::InviteWithdrawn { .. } => 11,
        Event::ReactionAdded { .. } => 12,
        Event::ReactionRemoved { .. } => 13,
        Event::ThreadUpdated { .. } => 14,
    }
}

fn key() -> ReactionKey {
    ReactionKey::example()
}

pub fn frame_variant(frame: &ServerFrame<'_>) -> usize {
    match frame {
        ServerFrame::Hello { .. } => 0,
        ServerFrame::Ready { .. } => 1,
        ServerFrame::Reset { .. } => 2,
        ServerFrame::Presence { .. } => 3,
        ServerFrame::Typing { .. } => 4,
        ServerFrame::Sent { .. } => 5,
        ServerFrame::Error { .. } => 6,
        ServerFrame::Pong => 7,
        ServerFrame::Event(_) => 8,
        ServerFrame::Read { .. } => 9,
    }
}

/// The type names of every event.
pub fn event_types() -> Vec<String> {
    events().0.iter().map(|event| type_of(&serde_json::to_value(event).unwrap_or_default())).collect()
}

/// The type names of every frame the room sends (each event's among them), checked to be
/// one of each variant.
pub fn server_frame_types() -> Vec<String> {
    let (room, you, message, user) =
        (room(), You { user_id: user(), present: true, admin: false, owner: false, reading: None }, message(), user());
    let users = [user];
    let frames = [
        ServerFrame::Hello { seq: 0, room: &room, you: Some(&you) },
        ServerFrame::Ready { seq: 0 },
        ServerFrame::Reset { seq: 0 },
        ServerFrame::Presence { users: &users },
        ServerFrame::Typing { user_id: &user },
        ServerFrame::Sent { txn_id: "t", message: &message },
        ServerFrame::Error { error: "e", txn_id: None },
        ServerFrame::Pong,
        ServerFrame::Read { seq: 0 },
    ];
    let mut types: Vec<String> =
        frames.iter().map(|frame| type_of(&serde_json::to_value(frame).unwrap_or_default())).collect();
    let (events, _) = events();
    let numbered: Vec<ServerFrame<'_>> =
        events.iter().map(|event| ServerFrame::Event(Numbered::new(event, 1, None))).collect();
    let mut seen: Vec<usize> = frames.iter().chain(&numbered).map(frame_variant).collect();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() == 10 {
        types.extend(event_types());
    }
    types
}

fn type_of(value: &Value) -> String {
    value["type"].as_str().unwrap_or_default().to_owned()
}
