//! The room's persisted events (`Event`), the messages they show (`MessageView`), and the
//! changes D1 commits as the outbox hands them to the room (`Change`). Pure.

use serde::{Deserialize, Serialize};

use crate::auth::session::KeyHash;
use crate::domain::files::FileView;
use crate::domain::{MessageId, ReactionKey, RoomId, RoomView, UserId};

/// A message as history, answers and frames show it: written, or deleted (its place and seq
/// kept, nothing else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageView {
    Written {
        message_id: MessageId,
        seq: i64,
        user_id: UserId,
        text: String,
        /// RFC 3339, UTC.
        sent_at: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        edited_at: Option<String>,
        /// The present members it mentions by id, and whether it mentions the whole room.
        #[serde(default)]
        mentions: Vec<UserId>,
        #[serde(default)]
        mention_room: bool,
        /// The message it replies to, as that one is now; null for none.
        #[serde(default)]
        reply_to: Option<ReplyTo>,
        /// Its reactions, by key in order of first use; `me` for whoever the view is for.
        #[serde(default)]
        reactions: Vec<Reaction>,
        /// The root of the thread it is a reply in; null for the room's own line.
        #[serde(default)]
        in_thread: Option<MessageId>,
        /// The thread it is the root of; null for none.
        #[serde(default)]
        thread: Option<ThreadSummary>,
        /// The files it carries, in the order its post gave them.
        #[serde(default)]
        files: Vec<FileView>,
    },
    Deleted {
        message_id: MessageId,
        seq: i64,
        /// Always true.
        deleted: bool,
        /// Always empty: a message's reactions go with it.
        #[serde(default)]
        reactions: Vec<Reaction>,
        #[serde(default)]
        in_thread: Option<MessageId>,
        /// A deleted root keeps its thread.
        #[serde(default)]
        thread: Option<ThreadSummary>,
        /// Always empty: a message's files go with it.
        #[serde(default)]
        files: Vec<FileView>,
    },
}

/// A thread, as its root shows it: its replies (not deleted), when the last came, and who
/// replied last (at most `PARTICIPANTS`, newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadSummary {
    pub reply_count: i64,
    /// RFC 3339, UTC.
    pub last_reply_at: String,
    pub participants: Vec<UserId>,
}

/// How many participants a thread's summary names.
pub const PARTICIPANTS: usize = 5;

impl MessageView {
    pub fn seq(&self) -> i64 {
        match self {
            Self::Written { seq, .. } | Self::Deleted { seq, .. } => *seq,
        }
    }

    pub fn message_id(&self) -> MessageId {
        match self {
            Self::Written { message_id, .. } | Self::Deleted { message_id, .. } => *message_id,
        }
    }

    /// The root of the thread it is a reply in, if it is one.
    pub fn in_thread(&self) -> Option<MessageId> {
        match self {
            Self::Written { in_thread, .. } | Self::Deleted { in_thread, .. } => *in_thread,
        }
    }

    /// The view for someone whose reactions to it are `keys`.
    pub fn for_reactor(&self, keys: &[ReactionKey]) -> Self {
        let mut theirs = self.clone();
        for reaction in theirs.reactions_mut().into_iter().flatten() {
            reaction.me = keys.contains(&reaction.key);
        }
        theirs
    }

    /// Its reactions, to fill in for whoever the view is for (a written message's only: a
    /// deleted one has none).
    pub fn reactions_mut(&mut self) -> Option<&mut Vec<Reaction>> {
        match self {
            Self::Written { reactions, .. } => Some(reactions),
            Self::Deleted { .. } => None,
        }
    }
}

/// One key's reactions to a message: how many people reacted with it, and whether one of them
/// is whoever the message is shown to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub key: ReactionKey,
    pub count: i64,
    pub me: bool,
}

/// What a reply shows of the message it replies to, as that message is now: who wrote it and its
/// first 140 characters (`PREVIEW_CHARS`), or that it was deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReplyTo {
    Written {
        message_id: MessageId,
        user_id: UserId,
        preview: String,
    },
    Deleted {
        message_id: MessageId,
        /// Always true.
        deleted: bool,
    },
}

/// How much of the message replied to a reply shows, in characters.
pub const PREVIEW_CHARS: usize = 140;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    Left,
    Removed,
    Banned,
}

/// A persisted event of the room: what its `seq` numbers, kept for resuming. A `message` or
/// `message_edited` names its message by seq in storage, and carries it as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Message,
    MessageEdited,
    MessageDeleted {
        message_id: MessageId,
    },
    /// `user_id` reacted to the message with `key`, which `count` people now have. The count
    /// makes the event idempotent: a client sets it, so a replay after a message shown as it
    /// is now ends where the room is.
    ReactionAdded {
        message_id: MessageId,
        key: ReactionKey,
        user_id: UserId,
        count: i64,
    },
    /// A thread's summary changed (a reply came, or one was deleted).
    ThreadUpdated {
        root_id: MessageId,
        thread: ThreadSummary,
    },
    /// `user_id` took back their `key`, which `count` people still have.
    ReactionRemoved {
        message_id: MessageId,
        key: ReactionKey,
        user_id: UserId,
        count: i64,
    },
    MemberJoined {
        user_id: UserId,
    },
    MemberLeft {
        user_id: UserId,
        reason: LeaveReason,
    },
    /// An admin (`by`) invited the user.
    MemberInvited {
        user_id: UserId,
        by: UserId,
    },
    /// The user's invitation is gone: declined, taken back, or ended by a ban.
    InviteWithdrawn {
        user_id: UserId,
    },
    AdminAdded {
        user_id: UserId,
    },
    AdminRemoved {
        user_id: UserId,
    },
    OwnerChanged {
        owner: UserId,
    },
    RoomUpdated {
        room: RoomView,
    },
    RoomDeleted,
}

/// A change that D1 committed, as the outbox hands it to the room (`store::outbox`): most are
/// also a numbered event of the room (`event`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    MemberJoined {
        user_id: UserId,
    },
    MemberLeft {
        user_id: UserId,
        reason: LeaveReason,
    },
    MemberInvited {
        user_id: UserId,
        by: UserId,
    },
    InviteWithdrawn {
        user_id: UserId,
    },
    AdminAdded {
        user_id: UserId,
    },
    AdminRemoved {
        user_id: UserId,
    },
    OwnerChanged {
        owner: UserId,
    },
    RoomUpdated {
        room: RoomView,
    },
    RoomDeleted,
    /// A session ended: its sockets close, its tickets are void.
    KeyEnded {
        key_hash: KeyHash,
    },
    /// Someone who was not a present member was banned: their sockets (a viewer's, with their
    /// key) close and they may not open one (a member's ban is their `member_left`).
    UserBanned {
        user_id: UserId,
    },
    /// A ban was lifted.
    UserUnbanned {
        user_id: UserId,
    },
    /// In a DM: the user may not post (the other person declined, left or blocked them).
    Muted {
        user_id: UserId,
    },
    /// In a DM: the user may post again.
    Unmuted {
        user_id: UserId,
    },
    /// The room is a new DM (D1's room `room_id`).
    DmStarted {
        room_id: RoomId,
    },
    /// One this room does not know (written by a newer worker, or unreadable): applied as
    /// nothing, so that it never holds up what comes after it.
    #[serde(other)]
    Unknown,
}

impl Change {
    /// The room's event for it, if it is one.
    pub fn event(&self) -> Option<Event> {
        Some(match self {
            Self::MemberJoined { user_id } => Event::MemberJoined { user_id: *user_id },
            Self::MemberLeft { user_id, reason } => Event::MemberLeft { user_id: *user_id, reason: *reason },
            Self::MemberInvited { user_id, by } => Event::MemberInvited { user_id: *user_id, by: *by },
            Self::InviteWithdrawn { user_id } => Event::InviteWithdrawn { user_id: *user_id },
            Self::AdminAdded { user_id } => Event::AdminAdded { user_id: *user_id },
            Self::AdminRemoved { user_id } => Event::AdminRemoved { user_id: *user_id },
            Self::OwnerChanged { owner } => Event::OwnerChanged { owner: *owner },
            Self::RoomUpdated { room } => Event::RoomUpdated { room: room.clone() },
            Self::RoomDeleted => Event::RoomDeleted,
            Self::KeyEnded { .. }
            | Self::UserBanned { .. }
            | Self::UserUnbanned { .. }
            | Self::Muted { .. }
            | Self::Unmuted { .. }
            | Self::DmStarted { .. }
            | Self::Unknown => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::examples;

    #[test]
    fn changes_read_as_the_outbox_writes_them() {
        let user = examples::user();
        let left = format!(r#"{{"type":"member_left","user_id":"{user}","reason":"banned"}}"#);
        assert_eq!(
            serde_json::from_str::<Change>(&left).unwrap(),
            Change::MemberLeft { user_id: user, reason: LeaveReason::Banned }
        );
        let change: Change = serde_json::from_str(r#"{"type":"room_deleted"}"#).unwrap();
        assert_eq!(change.event(), Some(Event::RoomDeleted));
        let key = format!(r#"{{"type":"key_ended","key_hash":"{}"}}"#, "a".repeat(64));
        assert_eq!(serde_json::from_str::<Change>(&key).unwrap().event(), None);
        for kind in ["user_banned", "user_unbanned", "muted", "unmuted"] {
            let change: Change = serde_json::from_str(&format!(r#"{{"type":"{kind}","user_id":"{user}"}}"#)).unwrap();
            assert_eq!(change.event(), None, "{kind}");
        }
        let room =
            format!(r#"{{"type":"room_updated","room":{{"open":false,"name":"n","user_count":2,"owner":"{user}"}}}}"#);
        assert!(matches!(serde_json::from_str::<Change>(&room).unwrap(), Change::RoomUpdated { .. }));
        assert_eq!(serde_json::from_str::<Change>(r#"{"type":"from_the_future"}"#).unwrap(), Change::Unknown);
        let room_id = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        let started = format!(r#"{{"type":"dm_started","room_id":"{room_id}"}}"#);
        let room_id = RoomId::parse(room_id).unwrap();
        assert_eq!(serde_json::from_str::<Change>(&started).unwrap(), Change::DmStarted { room_id });
    }

    #[test]
    fn a_change_that_is_an_event_is_kept_as_the_same_json() {
        let user = examples::user();
        let change = Change::MemberLeft { user_id: user, reason: LeaveReason::Removed };
        assert_eq!(serde_json::to_value(change.event().unwrap()).unwrap(), serde_json::to_value(&change).unwrap());
    }

    #[test]
    fn a_message_reads_back_written_or_deleted() {
        let written = format!(
            r#"{{"message_id":"{}","seq":3,"user_id":"{}","text":"hi","sent_at":"2026-01-01T00:00:00.000Z"}}"#,
            MessageId::from_random_bytes([3; 16]),
            examples::user()
        );
        assert!(matches!(serde_json::from_str::<MessageView>(&written).unwrap(), MessageView::Written { .. }));
        let deleted = serde_json::to_string(&examples::message()).unwrap();
        assert_eq!(serde_json::from_str::<MessageView>(&deleted).unwrap(), examples::message());
    }
}
