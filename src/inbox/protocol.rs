//! What crosses between the worker (or a room's object) and an inbox: one enum of calls, each
//! answered with an `Answer` as the rooms' objects answer theirs.

use serde::{Deserialize, Serialize};

use super::frames::InboxFrame;
use crate::auth::session::KeyHash;
use crate::domain::UserId;
use crate::live::protocol::{Redeem, Ticket};

/// Every call an inbox takes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum InboxCall {
    /// Opens a socket the worker authorized (the request is an upgrade).
    Connect(InboxConnect),
    AddTicket(Ticket),
    Redeem(Redeem),
    /// Frames for this inbox's sockets.
    Deliver {
        frames: Vec<InboxFrame>,
    },
    /// Frames for other inboxes, handed on (`fanout`): this inbox's object only relays them.
    Forward {
        deliveries: Vec<Delivery>,
    },
    /// Some of the person's sessions ended: sockets whose key is no longer live close (4001).
    KeysChanged,
}

/// A socket of the person's, with their key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxConnect {
    pub user_id: UserId,
    pub key_hash: KeyHash,
    /// When the key's session ends.
    pub expires_at: Option<i64>,
}

/// Frames for one person's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub user_id: UserId,
    pub frames: Vec<InboxFrame>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RoomId;

    #[test]
    fn every_call_crosses_as_json_and_back() {
        let user_id = UserId::from_random_bytes([1; 16]);
        let frames = vec![InboxFrame::Joined { room_id: RoomId::from_random_bytes([2; 16]) }];
        let calls = [
            InboxCall::Connect(InboxConnect {
                user_id,
                key_hash: KeyHash::stored(&"a".repeat(64)).unwrap(),
                expires_at: Some(1),
            }),
            InboxCall::Redeem(Redeem { ticket_hash: KeyHash::stored(&"b".repeat(64)).unwrap() }),
            InboxCall::Deliver { frames: frames.clone() },
            InboxCall::Forward { deliveries: vec![Delivery { user_id, frames }] },
            InboxCall::KeysChanged,
        ];
        for call in calls {
            let text = serde_json::to_string(&call).unwrap();
            let back: InboxCall = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }
    }
}
