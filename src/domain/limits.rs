//! Ceilings on what one user may write: how many writes of each kind a window allows, and
//! when to come back. The store enforces them inside each write's own transaction.

/// A kind of write that each user may make only so often.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteKind {
    Post,
    /// An edit of a message (counted per room, by the room's object).
    Edit,
    RoomCreation,
    /// A PATCH of a room's name.
    Rename,
    /// An admin inviting someone else to a room.
    Invite,
    /// Starting a direct message with someone (a new one; opening one that exists is free).
    Dm,
    /// Adding or taking back a reaction to a message (counted per room, by the room's object).
    Reaction,
}

impl WriteKind {
    /// The kind's name in the `write_counts` table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Post => "post",
            Self::Edit => "edit",
            Self::RoomCreation => "room",
            Self::Rename => "rename",
            Self::Invite => "invite",
            Self::Dm => "dm",
            Self::Reaction => "reaction",
        }
    }

    /// What a 429 for this kind says.
    pub fn refusal(self) -> &'static str {
        match self {
            Self::Post => "too many messages: wait before posting again",
            Self::Edit => "too many edits: wait before editing again",
            Self::RoomCreation => "too many rooms created: wait before creating another",
            Self::Rename => "too many renames: wait before renaming again",
            Self::Invite => "too many invitations: wait before inviting more",
            Self::Dm => "too many direct messages started: wait before starting another",
            Self::Reaction => "too many reactions: wait before reacting again",
        }
    }
}

/// At most `max` writes in a window of `window_millis` that starts with its first write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteLimit {
    pub max: u32,
    pub window_millis: i64,
}

/// A user's writes of one kind, as counted: how many, in the window that began at
/// `window_start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub count: i64,
    pub window_start: i64,
}

impl WriteLimit {
    pub const MINUTE: i64 = 60 * 1000;
    pub const HOUR: i64 = 60 * Self::MINUTE;
    pub const DAY: i64 = 24 * Self::HOUR;

    /// Whether one more write may go ahead at `now`, given the user's counter (`None`: never
    /// counted): `Ok`, or `Err(seconds)` until the window allows again (at least 1). A window
    /// that has passed counts nothing.
    pub fn check(&self, counter: Option<Counter>, now: i64) -> Result<(), u64> {
        match counter {
            Some(Counter { count, window_start })
                if window_start > now - self.window_millis && count >= i64::from(self.max) =>
            {
                let remaining_millis = window_start + self.window_millis - now;
                Err(u64::try_from((remaining_millis + 999) / 1000).unwrap_or(1).max(1))
            }
            _ => Ok(()),
        }
    }
}

/// Every ceiling on one user's writes; `None` is no ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub posts: Option<WriteLimit>,
    pub edits: Option<WriteLimit>,
    pub room_creations: Option<WriteLimit>,
    pub renames: Option<WriteLimit>,
    pub invites: Option<WriteLimit>,
    pub dms: Option<WriteLimit>,
    pub reactions: Option<WriteLimit>,
    /// How many rooms a user may own and still create another.
    pub owned_rooms: Option<u32>,
    /// Changes of one's handle (counted in the user's own row, not by `WriteKind`).
    pub handle_changes: Option<WriteLimit>,
}

impl Limits {
    /// No ceiling at all.
    pub const NONE: Self = Self {
        posts: None,
        edits: None,
        room_creations: None,
        renames: None,
        invites: None,
        dms: None,
        reactions: None,
        owned_rooms: None,
        handle_changes: None,
    };

    pub fn of(&self, kind: WriteKind) -> Option<WriteLimit> {
        match kind {
            WriteKind::Post => self.posts,
            WriteKind::Edit => self.edits,
            WriteKind::RoomCreation => self.room_creations,
            WriteKind::Rename => self.renames,
            WriteKind::Invite => self.invites,
            WriteKind::Dm => self.dms,
            WriteKind::Reaction => self.reactions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN_A_MINUTE: WriteLimit = WriteLimit { max: 10, window_millis: WriteLimit::MINUTE };

    fn counted(count: i64, window_start: i64) -> Option<Counter> {
        Some(Counter { count, window_start })
    }

    #[test]
    fn a_user_never_counted_may_write() {
        assert_eq!(TEN_A_MINUTE.check(None, 0), Ok(()));
    }

    #[test]
    fn writes_below_the_ceiling_pass_and_the_one_at_it_waits() {
        assert_eq!(TEN_A_MINUTE.check(counted(9, 0), 1000), Ok(()));
        assert_eq!(TEN_A_MINUTE.check(counted(10, 0), 1000), Err(59));
    }

    #[test]
    fn retry_after_is_the_rest_of_the_window_rounded_up_and_never_zero() {
        assert_eq!(TEN_A_MINUTE.check(counted(10, 0), 1), Err(60));
        assert_eq!(TEN_A_MINUTE.check(counted(10, 0), WriteLimit::MINUTE - 1), Err(1));
    }

    #[test]
    fn a_window_that_has_passed_counts_nothing() {
        assert_eq!(TEN_A_MINUTE.check(counted(10, 0), WriteLimit::MINUTE), Ok(()));
        assert_eq!(TEN_A_MINUTE.check(counted(500, 0), WriteLimit::DAY), Ok(()));
    }

    #[test]
    fn each_kind_has_its_own_limit() {
        let limits = Limits { renames: Some(TEN_A_MINUTE), ..Limits::NONE };
        assert_eq!(limits.of(WriteKind::Rename), Some(TEN_A_MINUTE));
        assert_eq!(limits.of(WriteKind::Post), None);
    }
}
