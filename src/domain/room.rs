//! A room as every answer shows it: `GET /room/{room_id}`, a socket's `hello`, the
//! `room_updated` event (which D1 writes in the same shape, `store::sql::QUEUE_ROOM_UPDATED`).

use serde::{Deserialize, Serialize};

use super::UserId;

/// A room people gather in, or the direct messages of two people.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    #[default]
    Room,
    Dm,
}

impl RoomKind {
    /// As D1 keeps it (`rooms.kind`); anything else reads as a room.
    pub fn stored(kind: &str) -> Self {
        if kind == "dm" {
            Self::Dm
        } else {
            Self::Room
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub open: bool,
    pub name: String,
    pub user_count: i64,
    pub owner: UserId,
    /// Events queued before DMs existed carry none: a room.
    #[serde(default)]
    pub kind: RoomKind,
    /// A DM's two people, its starter first (none once one of them deleted their account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<[UserId; 2]>,
}

/// A DM's two people as D1 reads them (`json_array(...)`, or NULL for a room).
pub fn dm_people(json: Option<&str>) -> Option<[UserId; 2]> {
    serde_json::from_str(json?).ok()
}
