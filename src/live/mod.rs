//! Live rooms: one Durable Object per room (`object::LiveRoom`) keeps the room's messages and
//! numbered events and pushes them to the room's WebSockets. D1 stays the authority for who
//! may do what: the worker authorizes every request, then calls the object (`client`), and
//! hands it every change D1 committed (`store::outbox`).
//!
//! What crosses between worker and object is below: the object answers each call with an
//! `Answer`, its refusals typed, so that the worker alone words the HTTP errors.

pub mod apply;
pub mod client;
pub mod frames;
pub mod history;
pub mod object;
pub mod relay;
pub mod sockets;
pub mod standing;

use serde::{Deserialize, Serialize};

use crate::domain::limits::WriteKind;
use crate::domain::Refusal;
use crate::error::ApiError;
use frames::{RoomView, You};

/// The object's answer to a call.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer<T> {
    Done(T),
    Denied(Denied),
}

impl<T> Answer<T> {
    pub fn into_result(self) -> Result<T, ApiError> {
        match self {
            Self::Done(value) => Ok(value),
            Self::Denied(denied) => Err(denied.into()),
        }
    }
}

/// Why the object refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Denied {
    /// No such message in the room (or it is deleted).
    NoSuchMessage,
    /// Only a message's author may edit it.
    NotTheAuthor,
    /// Only a message's author or an admin may delete it.
    NotYours,
    /// A ceiling of the author's writes (posts, edits) is reached: seconds to wait.
    TooMany { kind: WriteKind, retry_after: u64 },
    /// The ticket is unknown, used or expired.
    BadTicket,
    /// The room was told the key ended.
    KeyEnded,
    /// The room was told the user was banned.
    Banned,
    /// The room is deleted, or the caller may no longer see it.
    RoomGone,
    /// The room's events say the author left after the worker found them present: the post,
    /// edit or deletion lost a race with their leaving (or removal, or ban).
    Departed,
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::NoSuchMessage => ApiError::NotFound("no such message in this room"),
            Denied::NotTheAuthor => ApiError::Forbidden("only its author may edit a message"),
            Denied::NotYours => ApiError::Forbidden("only its author or an admin may delete a message"),
            Denied::TooMany { kind, retry_after } => ApiError::TooManyRequests { message: kind.refusal(), retry_after },
            Denied::BadTicket => ApiError::Unauthorized("invalid, used or expired ticket"),
            Denied::KeyEnded => ApiError::INVALID_KEY,
            Denied::Banned => Refusal::Banned.into(),
            Denied::RoomGone => Refusal::RoomNotFound.into(),
            // As the worker refuses one it finds absent (`Situation::check`).
            Denied::Departed => ApiError::Forbidden("only present members may post"),
        }
    }
}

/// A post, over HTTP or a socket; the author may post (the worker or the socket checked). The
/// object counts it against the ceiling of posts it reads from the settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct Post {
    pub user_id: String,
    pub message_id: String,
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct HistoryQuery {
    pub before: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Edit {
    pub user_id: String,
    pub message_id: String,
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Deletion {
    pub user_id: String,
    pub message_id: String,
    /// The caller is an admin of the room, and may delete anyone's message.
    pub moderator: bool,
}

/// A ticket, by its hash, for one of the user's keys.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket_hash: String,
    pub user_id: String,
    pub key_hash: String,
    pub expires_at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Redeem {
    pub ticket_hash: String,
}

/// Whose a redeemed ticket was.
#[derive(Debug, Serialize, Deserialize)]
pub struct Redeemed {
    pub user_id: String,
    pub key_hash: String,
}

/// A socket the worker authorized: who opens it, and the room as D1 has it now.
#[derive(Debug, Serialize, Deserialize)]
pub struct Connect {
    pub room: RoomView,
    /// Null for a viewer without a key.
    pub you: Option<You>,
    pub key_hash: Option<String>,
    pub expires_at: Option<i64>,
    pub after: Option<i64>,
}

/// Changes D1 committed, in outbox order.
#[derive(Debug, Serialize, Deserialize)]
pub struct Changes {
    pub events: Vec<Pending>,
}

/// One outbox row: an event D1 committed, not yet known to have reached the room's object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub id: i64,
    pub room_id: String,
    pub event: String,
}

/// The highest outbox id the object has applied.
#[derive(Debug, Serialize, Deserialize)]
pub struct Applied {
    pub applied: i64,
}
