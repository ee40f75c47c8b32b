//! What crosses between a room's object and its fan-out objects, and from the worker to a
//! fan-out object: the room's placement of a socket (`Placement`), the worker's hand-over of
//! it (`FanCall::Accept`), and the room's ordered items (`Item`), numbered per fan-out object.
//! What a fan-out object asks of its room is `Call`'s (`live::protocol`).

use serde::{Deserialize, Serialize};

use crate::auth::session::KeyHash;
use crate::domain::{RoomId, UserId};
use crate::live::sockets::Socket;

/// A fan-out object of a room: its number, 0 the first. It is named `{room_id}:fan:{k}`.
pub type FanNumber = u32;

/// The room's answer to a socket's opening that its own object does not hold: the fan-out
/// object that is to, and what that object needs for the opening.
#[derive(Debug, Serialize, Deserialize)]
pub struct Placement {
    pub fan: FanNumber,
    /// The socket's attachment, as the room would have made it (with its id).
    pub socket: Socket,
    /// The `hello` frame, made by the room at `seq`.
    pub hello: String,
    pub seq: i64,
    pub opening: Opening,
}

/// What follows `hello`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Opening {
    /// A fresh socket: `ready`.
    Fresh,
    /// The resume is not possible: `reset`, then `ready`.
    Reset,
    /// The events after `after`, then `ready`.
    Replay { after: i64 },
}

/// Every call on a fan-out object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum FanCall {
    /// The worker hands over a socket the room placed here (an upgrade).
    Accept { room_id: RoomId, placement: Placement },
    /// The room's items, in the order it numbered them.
    Deliver { room_id: RoomId, fan: FanNumber, items: Vec<Numbered> },
}

/// An item and its place in the room's line to this fan-out object: `epoch` is the room
/// object's life (a fresh random number each time it starts), `n` counts within it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Numbered {
    pub epoch: u32,
    pub n: u64,
    pub item: Item,
}

/// Where a room's object is in its line of items to one fan-out object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub epoch: u32,
    pub n: u64,
}

/// Whose sockets a frame or a close is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "of")]
pub enum Whom {
    All,
    User { user_id: UserId },
    Key { key_hash: KeyHash },
}

/// What the room hands each of its fan-out objects, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "item")]
pub enum Item {
    /// A numbered event: its frame, and the frames of those who see their own version of it
    /// (a message whose reactions they share in).
    Event {
        seq: i64,
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        own: Vec<(UserId, String)>,
    },
    /// A frame without a seq (`presence`, `typing`, `read`), for `whom`'s sockets but the one
    /// with id `but`.
    Frame {
        text: String,
        whom: Whom,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        but: Option<u64>,
    },
    /// Who is here, for every socket (and every socket that opens).
    Presence { users: Vec<UserId> },
    /// Closes `whom`'s sockets.
    Close { whom: Whom, code: u16, reason: String },
    /// The user was found a present member (`member_joined`): their sockets may post.
    Present { user_id: UserId },
    /// The room's openness or who may stay changed: every socket's standing is asked again.
    Judge,
}

/// The room's reply to a socket's frame that a fan-out object handed it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FrameReply {
    /// Frames for the socket.
    pub frames: Vec<String>,
    /// Close it so.
    pub close: Option<(u16, String)>,
    /// Send them once the fan-out object has applied this item (they come after its effects).
    pub after: Option<Mark>,
}

/// A page of events, as a socket (of `user_id`) sees them, and who is here.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pulled {
    pub events: Vec<Pull>,
    /// The seq of the last event sent (`after` if none).
    pub last: i64,
    /// Who is here.
    pub here: Vec<UserId>,
}

/// A pulled event's frame; pulled for every socket (no `user_id`), also the frames of those
/// who see their own version of it (a message whose reactions they share in), as `Item::Event`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pull {
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own: Vec<(UserId, String)>,
}

/// For each kind of socket a fan-out object holds (`Held`), the close code and reason it must
/// go with, or none if it may stay.
pub type Closes = Vec<Option<(u16, String)>>;

/// A socket of a fan-out object, as the room judges it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub user_id: Option<UserId>,
    pub key_hash: Option<KeyHash>,
    pub present: bool,
}
