//! The room's fan-out objects (`live::fan`), as its storage keeps them: what each last said of
//! itself, and how many sockets the room placed in it.

use serde::{Deserialize, Serialize};

use super::{sql, History};
use crate::error::ApiError;

/// One of the room's fan-out objects, as the room keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanRow {
    pub k: u32,
    /// Open sockets, as it last said.
    pub sockets: u32,
    /// Sockets it ever accepted, as it last said.
    pub accepted: u64,
    /// Sockets the room placed in it.
    pub placed: u64,
    /// The users among its sockets, sorted: a JSON array.
    pub users: String,
}

impl History {
    /// The room's fan-out objects, by number.
    pub fn fans(&self) -> Result<Vec<FanRow>, ApiError> {
        self.rows(sql::FANS, vec![])
    }

    pub fn save_fan(&self, fan: &FanRow) -> Result<(), ApiError> {
        let args = vec![
            i64::from(fan.k).into(),
            i64::from(fan.sockets).into(),
            i64::try_from(fan.accepted).unwrap_or(i64::MAX).into(),
            i64::try_from(fan.placed).unwrap_or(i64::MAX).into(),
            fan.users.as_str().into(),
        ];
        self.run(sql::SAVE_FAN, args)
    }
}
