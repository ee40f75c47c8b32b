//! What the changes D1 committed do to a room: most become numbered events of the room, each
//! changes what the room knows of its people or of itself, and some send sockets away. This
//! writes the room's storage only, and says what the sockets must see (`Effect`), so that the
//! object can run it inside one storage transaction and touch the sockets once it committed:
//! an event is kept together with the outbox id it applies, or neither is.

use serde_json::Value;

use super::frames::{Change, LeaveReason};
use super::history::{numbered, About, History};
use super::standing::Standing;
use super::Pending;
use crate::error::ApiError;

/// What the sockets must see of the changes applied, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// An event frame, for every socket.
    Broadcast(String),
    /// The key's sockets go (4001).
    CloseKey(String),
    /// The user's sockets go.
    CloseUser { user_id: String, standing: Standing },
    /// The user's sockets may post again.
    Present(String),
    /// Every socket is judged again (the room closed: viewers go).
    Judge,
    /// The room is gone: every socket goes (4004), then the storage.
    Delete,
}

/// The changes applied: the highest outbox id now applied, and what the sockets must see.
pub struct Applied {
    pub applied: i64,
    pub effects: Vec<Effect>,
}

/// Applies the changes not applied yet, in outbox order. Every event's effects come before the
/// closes it causes, so that a member who is removed sees why.
pub fn apply(history: &History, changes: &[Pending], now: i64) -> Result<Applied, ApiError> {
    let mut applied = history.applied()?;
    let mut effects = Vec::new();
    for pending in changes {
        if pending.id <= applied {
            continue;
        }
        applied = pending.id;
        let change: Change = match serde_json::from_str(&pending.event) {
            Ok(change) => change,
            Err(error) => {
                worker::console_error!("room object: outbox event {} unreadable: {error}", pending.id);
                continue;
            }
        };
        if change.is_event() {
            let Value::Object(body) = serde_json::to_value(&change).map_err(ApiError::internal)? else {
                return Err(ApiError::internal("an event is not a JSON object"));
            };
            let seq = history.append(now, &Value::Object(body.clone()), About::Nothing)?;
            effects.push(Effect::Broadcast(numbered(seq, body, None)));
        }
        match change {
            Change::KeyEnded { key_hash } => {
                history.end_key(&key_hash, now)?;
                effects.push(Effect::CloseKey(key_hash));
            }
            Change::MemberJoined { user_id } => {
                history.set_departed(&user_id, false)?;
                effects.push(Effect::Present(user_id));
            }
            Change::MemberLeft { user_id, reason } => {
                history.set_departed(&user_id, true)?;
                if reason == LeaveReason::Banned {
                    history.set_banned(&user_id, true)?;
                }
                history.drop_tickets_of_user(&user_id)?;
                effects.push(Effect::CloseUser { user_id, standing: Standing::ACCESS_LOST });
            }
            Change::UserBanned { user_id } => {
                history.set_banned(&user_id, true)?;
                history.drop_tickets_of_user(&user_id)?;
                effects.push(Effect::CloseUser { user_id, standing: Standing::ACCESS_LOST });
            }
            Change::UserUnbanned { user_id } => history.set_banned(&user_id, false)?,
            Change::RoomUpdated { room } => {
                history.set_open(room.open, true)?;
                if !room.open {
                    effects.push(Effect::Judge);
                }
            }
            Change::RoomDeleted => {
                effects.push(Effect::Delete);
                // Nothing after the deletion matters; the storage goes with what it applied.
                return Ok(Applied { applied, effects });
            }
            Change::AdminAdded { .. } | Change::AdminRemoved { .. } | Change::OwnerChanged { .. } => {}
        }
    }
    history.set_applied(applied)?;
    Ok(Applied { applied, effects })
}
