//! Who may see and do what in a room: the one place that decides it.

/// A user's standing in one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// No key, or a user who was never a member.
    Stranger,
    /// Was a member once and left (the membership row stays, `present = false`).
    Former,
    Member,
    Admin,
    Owner,
}

impl Role {
    /// From a membership row, if any, and whether the user owns the room.
    pub fn from_membership(present: Option<bool>, admin: bool, owner: bool) -> Self {
        match present {
            _ if owner => Self::Owner,
            Some(true) if admin => Self::Admin,
            Some(true) => Self::Member,
            Some(false) => Self::Former,
            None => Self::Stranger,
        }
    }

    pub fn is_present(self) -> bool {
        self >= Self::Member
    }
}

/// What a request needs to know about a room to decide what its caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomAccess {
    pub open: bool,
    pub caller: Role,
}

impl RoomAccess {
    /// An open room is visible to anyone; a closed one only to its present members.
    /// Everyone else is told it does not exist.
    pub fn visible(self) -> bool {
        self.open || self.caller.is_present()
    }

    /// Anyone who can see an open room may join it; a closed room is entered only by
    /// being added (and its members are already in).
    pub fn may_join(self) -> bool {
        self.open || self.caller.is_present()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: [Role; 5] = [Role::Stranger, Role::Former, Role::Member, Role::Admin, Role::Owner];

    #[test]
    fn an_open_room_is_visible_to_everyone() {
        for caller in ROLES {
            assert!(RoomAccess { open: true, caller }.visible(), "{caller:?}");
        }
    }

    #[test]
    fn a_closed_room_is_visible_only_to_present_members() {
        let visible: Vec<Role> =
            ROLES.into_iter().filter(|caller| RoomAccess { open: false, caller: *caller }.visible()).collect();
        assert_eq!(visible, [Role::Member, Role::Admin, Role::Owner]);
    }

    #[test]
    fn a_former_member_cannot_rejoin_a_closed_room() {
        assert!(!RoomAccess { open: false, caller: Role::Former }.may_join());
        assert!(RoomAccess { open: true, caller: Role::Former }.may_join());
    }

    #[test]
    fn the_owner_role_wins_over_the_membership_row() {
        assert_eq!(Role::from_membership(Some(true), true, true), Role::Owner);
        assert_eq!(Role::from_membership(Some(true), true, false), Role::Admin);
        assert_eq!(Role::from_membership(Some(true), false, false), Role::Member);
        assert_eq!(Role::from_membership(Some(false), false, false), Role::Former);
        assert_eq!(Role::from_membership(None, false, false), Role::Stranger);
    }
}
