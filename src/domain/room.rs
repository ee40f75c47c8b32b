//! A room as every answer shows it: `GET /room/{room_id}`, a socket's `hello`, the
//! `room_updated` event (which D1 writes in the same shape, `store::sql::QUEUE_ROOM_UPDATED`).

use serde::{Deserialize, Serialize};

use super::UserId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomView {
    pub open: bool,
    pub name: String,
    pub user_count: i64,
    pub owner: UserId,
}
