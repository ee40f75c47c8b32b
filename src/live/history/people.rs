//! What a room keeps of its people: ceilings' counters, tickets, ended keys, bans, who left,
//! whether it is open, and the outbox ids it applied.

use serde::Deserialize;

use super::{sql, tickets, Author, Ceiling, History, Told, ENDED_KEY_MILLIS};
use crate::auth::session::KeyHash;
use crate::domain::limits::{Counter, WriteKind, WriteLimit};
use crate::domain::{RoomId, UserId};
use crate::error::ApiError;
use crate::live::protocol::Ticket;

impl History {
    /// Counts a write of the user's against its kind's ceiling, unless the ceiling is reached
    /// (then nothing is counted).
    pub fn count_write(
        &self,
        kind: WriteKind,
        user_id: &UserId,
        now: i64,
        limit: &WriteLimit,
    ) -> Result<Ceiling, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            window_start: i64,
            count: i64,
        }
        let user_id = user_id.to_string();
        let row = self.rows::<Row>(sql::WRITE_COUNT, vec![user_id.as_str().into(), kind.name().into()])?;
        let counter = row.first().map(|row| Counter { count: row.count, window_start: row.window_start });
        if let Err(retry_after) = limit.check(counter, now) {
            return Ok(Ceiling::Reached { retry_after });
        }
        let (start, count) = match counter {
            Some(counter) if counter.window_start > now - limit.window_millis => (counter.window_start, counter.count),
            _ => (now, 0),
        };
        let args = vec![user_id.as_str().into(), kind.name().into(), start.into(), (count + 1).into()];
        self.run(sql::COUNT_WRITE, args)?;
        Ok(Ceiling::Counted)
    }

    /// Keeps a ticket, and forgets the expired ones.
    pub fn add_ticket(&self, ticket: &Ticket, now: i64) -> Result<(), ApiError> {
        tickets::add(&self.0, ticket, now)
    }

    /// The ticket's user and key, if it is unused and unexpired; used up either way.
    pub fn redeem_ticket(&self, ticket_hash: &KeyHash, now: i64) -> Result<Option<(UserId, KeyHash)>, ApiError> {
        tickets::redeem(&self.0, ticket_hash, now)
    }

    /// What the room was told of this key and user, and of itself, in one query.
    pub fn told(&self, key_hash: Option<&KeyHash>, user_id: Option<&UserId>) -> Result<Told, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            key_ended: i64,
            banned: i64,
            departed: i64,
            open: Option<i64>,
        }
        let user_id = user_id.map(UserId::to_string);
        let args = vec![key_hash.map(KeyHash::as_str).into(), user_id.as_deref().into(), user_id.as_deref().into()];
        let row = self.rows::<Row>(sql::TOLD, args)?;
        let row = row.first().ok_or_else(|| ApiError::internal("room storage: told answered no row"))?;
        Ok(Told {
            key_ended: row.key_ended != 0,
            banned: row.banned != 0,
            departed: row.departed != 0,
            open: row.open.map(|open| open != 0),
        })
    }

    /// What the room was told of an author, in one query: whether their last membership event
    /// here is `member_left`, and whether they may not post in this DM (`Change::Muted`).
    pub fn author(&self, user_id: &UserId) -> Result<Author, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            departed: i64,
            muted: i64,
        }
        let user_id = user_id.to_string();
        let rows = self.rows::<Row>(sql::AUTHOR, vec![user_id.as_str().into(), user_id.as_str().into()])?;
        let row = rows.first().ok_or_else(|| ApiError::internal("room storage: author answered no row"))?;
        Ok(Author { departed: row.departed != 0, muted: row.muted != 0 })
    }

    /// Records a `member_joined` (`departed` false) or `member_left` of the user.
    pub fn set_departed(&self, user_id: &UserId, departed: bool) -> Result<(), ApiError> {
        let query = if departed { sql::ADD_DEPARTED } else { sql::REMOVE_DEPARTED };
        self.run(query, vec![user_id.to_string().into()])
    }

    pub fn set_muted(&self, user_id: &UserId, muted: bool) -> Result<(), ApiError> {
        let query = if muted { sql::ADD_MUTED } else { sql::REMOVE_MUTED };
        self.run(query, vec![user_id.to_string().into()])
    }

    /// The room is the DM of this D1 room.
    pub fn start_dm(&self, room_id: &RoomId) -> Result<(), ApiError> {
        self.run(sql::START_DM, vec![room_id.to_string().into()])
    }

    /// The DM's room id, if the room is a DM whose first message D1 does not have yet.
    pub fn dm_untold(&self) -> Result<Option<String>, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            room_id: String,
        }
        Ok(self.rows::<Row>(sql::DM_UNTOLD, vec![])?.into_iter().next().map(|row| row.room_id))
    }

    pub fn first_message_told(&self) -> Result<(), ApiError> {
        self.run(sql::FIRST_MESSAGE_TOLD, vec![])
    }

    pub fn set_banned(&self, user_id: &UserId, banned: bool) -> Result<(), ApiError> {
        let query = if banned { sql::ADD_BANNED } else { sql::REMOVE_BANNED };
        self.run(query, vec![user_id.to_string().into()])
    }

    /// Remembers that the key ended (and forgets keys that ended longer ago than any session
    /// lives); its tickets are void.
    pub fn end_key(&self, key_hash: &KeyHash, now: i64) -> Result<(), ApiError> {
        self.run(sql::FORGET_ENDED_KEYS, vec![(now - ENDED_KEY_MILLIS).into()])?;
        self.run(sql::END_KEY, vec![key_hash.as_str().into(), now.into()])?;
        self.run(sql::DROP_TICKETS_OF_KEY, vec![key_hash.as_str().into()])
    }

    /// Whether the room is open, as an event said (`settled`), or as a connect found it in D1
    /// (kept only while no event has said).
    pub fn set_open(&self, open: bool, settled: bool) -> Result<(), ApiError> {
        self.run(if settled { sql::SET_OPEN } else { sql::KNOW_OPEN }, vec![i64::from(open).into()])
    }

    pub fn drop_tickets_of_user(&self, user_id: &UserId) -> Result<(), ApiError> {
        self.run(sql::DROP_TICKETS_OF_USER, vec![user_id.to_string().into()])
    }

    /// The highest outbox id applied.
    pub fn applied(&self) -> Result<i64, ApiError> {
        self.number(sql::APPLIED, vec![])
    }

    pub fn set_applied(&self, id: i64) -> Result<(), ApiError> {
        self.run(sql::SET_APPLIED, vec![id.into()])
    }
}
