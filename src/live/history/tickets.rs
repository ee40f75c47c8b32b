//! Tickets (`POST …/live` answers one; `?ticket=` spends it), kept by the object whose socket
//! they open — a room's, or a person's inbox — by their SHA-256, never the ticket itself.

use serde::Deserialize;
use worker::SqlStorage;

use super::{corrupt, sql, storage_error};
use crate::auth::session::KeyHash;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::live::protocol::Ticket;

/// The tables a ticket-keeping object needs (the room's `SCHEMA` has them too).
pub const SCHEMA: [&str; 4] = [sql::TICKETS, sql::TICKETS_BY_EXPIRY, sql::TICKETS_BY_KEY, sql::TICKETS_BY_USER];

/// Keeps a ticket, and forgets the expired ones.
pub fn add(storage: &SqlStorage, ticket: &Ticket, now: i64) -> Result<(), ApiError> {
    storage.exec(sql::FORGET_EXPIRED_TICKETS, vec![now.into()]).map_err(storage_error)?;
    let Ticket { ticket_hash, user_id, key_hash, expires_at } = ticket;
    let args =
        vec![ticket_hash.as_str().into(), user_id.to_string().into(), key_hash.as_str().into(), (*expires_at).into()];
    storage.exec(sql::ADD_TICKET, args).map(drop).map_err(storage_error)
}

/// The ticket's user and key, if it is unused and unexpired; used up either way.
pub fn redeem(storage: &SqlStorage, ticket_hash: &KeyHash, now: i64) -> Result<Option<(UserId, KeyHash)>, ApiError> {
    #[derive(Deserialize)]
    struct Ticket {
        user_id: String,
        key_hash: String,
        expires_at: i64,
    }
    let ticket: Vec<Ticket> = storage
        .exec(sql::TICKET, vec![ticket_hash.as_str().into()])
        .and_then(|cursor| cursor.to_array())
        .map_err(storage_error)?;
    storage.exec(sql::USE_TICKET, vec![ticket_hash.as_str().into()]).map_err(storage_error)?;
    let Some(ticket) = ticket.into_iter().find(|ticket| ticket.expires_at > now) else { return Ok(None) };
    let user_id = UserId::parse(&ticket.user_id).map_err(|_| corrupt("user_id", &ticket.user_id))?;
    let key_hash = KeyHash::stored(&ticket.key_hash).ok_or_else(|| corrupt("key_hash", &ticket.key_hash))?;
    Ok(Some((user_id, key_hash)))
}
