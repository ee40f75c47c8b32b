//! Where each member has read up to in the room (a `seq`), whether they marked it unread, and
//! how many messages they have not read: kept by the room, the one that numbers what is read.

use serde::Deserialize;

use super::{sql, History};
use crate::domain::UserId;
use crate::error::ApiError;

/// A member's read position in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadPosition {
    pub read_seq: i64,
    pub marked_unread: bool,
}

impl History {
    /// The user's read position: where they last read, or, for a member from before read
    /// positions were kept, where the room stood then (nothing before it counts as unread).
    pub fn read_position(&self, user_id: &UserId) -> Result<ReadPosition, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            read_seq: i64,
            marked_unread: i64,
        }
        let user_id = user_id.to_string();
        let rows = self.rows::<Row>(sql::READ_POSITION, vec![user_id.as_str().into(), user_id.as_str().into()])?;
        let row = rows.first().ok_or_else(|| ApiError::internal("room storage: read position answered no row"))?;
        Ok(ReadPosition { read_seq: row.read_seq, marked_unread: row.marked_unread != 0 })
    }

    fn keep_read(&self, user_id: &UserId, position: ReadPosition) -> Result<(), ApiError> {
        let args = vec![user_id.to_string().into(), position.read_seq.into(), i64::from(position.marked_unread).into()];
        self.run(sql::KEEP_READ, args)?;
        self.unflushed_read(user_id)
    }

    /// D1 is to be told of the user's read position.
    fn unflushed_read(&self, user_id: &UserId) -> Result<(), ApiError> {
        self.run(sql::UNFLUSHED_READ, vec![user_id.to_string().into()])?;
        self.changed();
        Ok(())
    }

    /// Moves the user's read position up to `seq` (never back) and clears "marked unread": the
    /// position before and after, or `None` for a `seq` past the room's latest.
    pub fn read_up_to(&self, user_id: &UserId, seq: i64) -> Result<Option<(ReadPosition, ReadPosition)>, ApiError> {
        if seq > self.latest_seq()? {
            return Ok(None);
        }
        let before = self.read_position(user_id)?;
        let after = ReadPosition { read_seq: before.read_seq.max(seq), marked_unread: false };
        if after != before {
            self.keep_read(user_id, after)?;
        }
        Ok(Some((before, after)))
    }

    /// The user wrote the room's latest message, at `seq`: they have read it, and everything
    /// before it.
    pub fn wrote(&self, user_id: &UserId, seq: i64) -> Result<(), ApiError> {
        self.keep_read(user_id, ReadPosition { read_seq: seq, marked_unread: false })
    }

    /// Flags the room unread for the user, where they are: the next read clears it.
    pub fn mark_unread(&self, user_id: &UserId) -> Result<ReadPosition, ApiError> {
        let position = ReadPosition { marked_unread: true, ..self.read_position(user_id)? };
        self.keep_read(user_id, position)?;
        Ok(position)
    }

    /// A member who joins reads from the room's latest seq (what came before is not unread);
    /// in a DM from its start, and from where they were if they come back (`from_start`).
    pub fn start_reading(&self, user_id: &UserId, from_start: bool) -> Result<(), ApiError> {
        if from_start {
            let args = vec![user_id.to_string().into(), 0.into(), 0.into()];
            self.run(sql::KEEP_FIRST_READ, args)?;
            return self.unflushed_read(user_id);
        }
        self.keep_read(user_id, ReadPosition { read_seq: self.latest_seq()?, marked_unread: false })
    }

    /// The messages after `read_seq` by others than the user, not deleted.
    pub fn unread(&self, user_id: &UserId, read_seq: i64) -> Result<i64, ApiError> {
        self.number(sql::UNREAD, vec![read_seq.into(), user_id.to_string().into()])
    }

    /// The messages after `read_seq` that mention the user (by id, or the whole room), not
    /// deleted, by others than the user and than those they blocked.
    pub fn mentioned(&self, user_id: &UserId, read_seq: i64, blocked: &[UserId]) -> Result<i64, ApiError> {
        let blocked = serde_json::to_string(blocked).map_err(ApiError::internal)?;
        self.number(sql::MENTIONED, vec![read_seq.into(), user_id.to_string().into(), blocked.into()])
    }

    /// Whether the room is a DM.
    pub fn is_dm(&self) -> Result<bool, ApiError> {
        Ok(self.number(sql::IS_DM, vec![])? > 0)
    }
}
