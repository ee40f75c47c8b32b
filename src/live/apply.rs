//! What the changes D1 committed do to a room: most become numbered events of the room, each
//! changes what the room knows of its people or of itself, and some send sockets away. This
//! writes the room's storage only, and says what the sockets must see (`Effect`), so that the
//! object can run it inside one storage transaction and touch the sockets once it committed:
//! an event is kept together with the outbox id it applies, or neither is.

use super::frames::{Change, Event, LeaveReason};
use super::history::History;
use super::protocol::OutboxEvent;
use super::standing::Standing;
use crate::auth::session::KeyHash;
use crate::domain::{RoomId, UserId};
use crate::error::ApiError;
use crate::inbox::frames::InboxFrame;

/// What the sockets must see of the changes applied, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// An event with its seq, for every socket.
    Broadcast(i64, Event),
    /// The key's sockets go (4001).
    CloseKey(KeyHash),
    /// The user's sockets go.
    CloseUser { user_id: UserId, standing: Standing },
    /// The user's sockets may post again.
    Present(UserId),
    /// Every socket is judged again (the room closed: viewers go).
    Judge,
    /// The room is gone: every socket goes (4004), then the storage.
    Delete,
    /// The person's inbox hears of a change of theirs (joined, left, invited, a DM request).
    Tell(UserId, InboxFrame),
}

/// The changes applied: the highest outbox id now applied, and what the sockets must see.
pub struct Applied {
    pub applied: i64,
    pub effects: Vec<Effect>,
}

/// Applies the changes not applied yet, in outbox order. Every event's effects come before the
/// closes it causes, so that a member who is removed sees why.
pub fn apply(
    history: &History,
    room_id: Option<RoomId>,
    changes: &[OutboxEvent],
    now: i64,
) -> Result<Applied, ApiError> {
    let mut applied = history.applied()?;
    let mut effects = Vec::new();
    for OutboxEvent { id, change } in changes {
        if *id <= applied {
            continue;
        }
        applied = *id;
        if let Some(event) = change.event() {
            effects.push(Effect::Broadcast(history.record(now, &event)?, event));
        }
        match change {
            Change::KeyEnded { key_hash } => {
                history.end_key(key_hash, now)?;
                effects.push(Effect::CloseKey(key_hash.clone()));
            }
            Change::MemberJoined { user_id } => {
                history.set_departed(user_id, false)?;
                history.start_reading(user_id, history.is_dm()?)?;
                effects.push(Effect::Present(*user_id));
                if let Some(room_id) = room_id {
                    effects.push(Effect::Tell(*user_id, InboxFrame::Joined { room_id }));
                }
            }
            Change::MemberInvited { user_id, by } => {
                if let Some(room_id) = room_id {
                    let frame = if history.is_dm()? {
                        InboxFrame::DmRequest { room_id, from: *by }
                    } else {
                        InboxFrame::Invited { room_id, by: *by }
                    };
                    effects.push(Effect::Tell(*user_id, frame));
                }
            }
            Change::MemberLeft { user_id, reason } => {
                if let Some(room_id) = room_id {
                    effects.push(Effect::Tell(*user_id, InboxFrame::Left { room_id, reason: (*reason).into() }));
                }
                history.set_departed(user_id, true)?;
                if *reason == LeaveReason::Banned {
                    history.set_banned(user_id, true)?;
                }
                history.drop_tickets_of_user(user_id)?;
                effects.push(Effect::CloseUser { user_id: *user_id, standing: Standing::ACCESS_LOST });
            }
            Change::UserBanned { user_id } => {
                history.set_banned(user_id, true)?;
                history.drop_tickets_of_user(user_id)?;
                effects.push(Effect::CloseUser { user_id: *user_id, standing: Standing::ACCESS_LOST });
            }
            Change::UserUnbanned { user_id } => history.set_banned(user_id, false)?,
            Change::Muted { user_id } => history.set_muted(user_id, true)?,
            Change::Unmuted { user_id } => history.set_muted(user_id, false)?,
            Change::DmStarted { room_id } => history.start_dm(room_id)?,
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
            // An invitation changes no one's access to the room's socket: an invitee of a closed
            // room reads it only once they joined.
            Change::AdminAdded { .. }
            | Change::AdminRemoved { .. }
            | Change::OwnerChanged { .. }
            | Change::InviteWithdrawn { .. } => {}
            Change::Unknown => worker::console_error!("room object: outbox event {id} is of no known change"),
        }
    }
    history.set_applied(applied)?;
    Ok(Applied { applied, effects })
}
