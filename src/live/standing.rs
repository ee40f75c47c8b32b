//! Whether a socket may stay in its room, decided in one place for every connect and every
//! frame. The worker authorized the socket against D1 when it opened; the room object has been
//! told of every change D1 committed since (`Told`), and a socket whose key or access ended is
//! refused at once, before its close completes. Pure: no platform calls.

use super::frames::close;
use super::history::Told;

/// What a socket may do in its room now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// A present member: may read, send and type.
    Member,
    /// May read the room's events, and nothing else.
    Viewer,
    /// Must go, with this close code and reason.
    Out { code: u16, reason: &'static str },
}

impl Standing {
    pub const KEY_ENDED: Self = Self::Out { code: close::KEY_ENDED, reason: "key no longer valid" };
    pub const ACCESS_LOST: Self = Self::Out { code: close::ACCESS_LOST, reason: "access lost" };
    pub const ROOM_DELETED: Self = Self::Out { code: close::ROOM_DELETED, reason: "room deleted" };

    /// The standing of a socket opened with a key (`keyed`) or without, by a user the worker
    /// (or a `member_joined` since) found present, given what the room was told since.
    pub fn of(keyed: bool, present: bool, told: Told) -> Self {
        match told {
            Told { key_ended: true, .. } if keyed => Self::KEY_ENDED,
            Told { banned: true, .. } if keyed => Self::ACCESS_LOST,
            Told { departed: false, .. } if keyed && present => Self::Member,
            // Unknown until an event or a connect says: the worker found the room visible.
            Told { open: Some(true) | None, .. } => Self::Viewer,
            Told { open: Some(false), .. } => Self::ACCESS_LOST,
        }
    }

    pub fn may_post(self) -> bool {
        self == Self::Member
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: Told = Told { key_ended: false, banned: false, departed: false, open: Some(true) };
    const CLOSED: Told = Told { open: Some(false), ..OPEN };

    #[test]
    fn a_present_member_is_a_member_in_an_open_or_closed_room() {
        assert_eq!(Standing::of(true, true, OPEN), Standing::Member);
        assert_eq!(Standing::of(true, true, CLOSED), Standing::Member);
    }

    #[test]
    fn an_ended_key_is_out_whatever_else_holds() {
        for told in [OPEN, CLOSED, Told { banned: true, ..OPEN }] {
            assert_eq!(Standing::of(true, true, Told { key_ended: true, ..told }), Standing::KEY_ENDED);
        }
    }

    #[test]
    fn a_banned_user_is_out_even_of_an_open_room() {
        assert_eq!(Standing::of(true, false, Told { banned: true, ..OPEN }), Standing::ACCESS_LOST);
        assert_eq!(Standing::of(true, true, Told { banned: true, ..OPEN }), Standing::ACCESS_LOST);
    }

    #[test]
    fn a_member_who_left_reads_an_open_room_and_is_out_of_a_closed_one() {
        assert_eq!(Standing::of(true, true, Told { departed: true, ..OPEN }), Standing::Viewer);
        assert_eq!(Standing::of(true, true, Told { departed: true, ..CLOSED }), Standing::ACCESS_LOST);
    }

    #[test]
    fn a_viewer_reads_an_open_room_only() {
        assert_eq!(Standing::of(false, false, OPEN), Standing::Viewer);
        assert_eq!(Standing::of(true, false, OPEN), Standing::Viewer);
        assert_eq!(Standing::of(false, false, CLOSED), Standing::ACCESS_LOST);
        assert_eq!(Standing::of(false, false, Told { open: None, ..OPEN }), Standing::Viewer);
    }

    #[test]
    fn only_a_member_may_post() {
        assert!(Standing::Member.may_post());
        assert!(!Standing::Viewer.may_post());
        assert!(!Standing::ACCESS_LOST.may_post());
    }
}
