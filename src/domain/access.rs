//! Who may see and do what in a room: the one place that decides it. The guards of the room
//! writes in `store::sql` enforce the same rules inside each write's transaction;
//! `tests/room_rules.rs` proves the two equal, case by case.

/// A user's standing in one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// No key, or a user who was never a member.
    Stranger,
    /// Was a member once and left or was removed (the row stays, `present = false`).
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

    pub fn is_admin(self) -> bool {
        self >= Self::Admin
    }
}

/// Who placed a ban: a ban the owner placed is the owner's to lift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BannedBy {
    Admin,
    Owner,
}

/// One user's standing in a room, bans and invitations included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub role: Role,
    pub banned: Option<BannedBy>,
    /// Invited, and neither joined nor declined yet.
    pub invited: bool,
}

impl Standing {
    pub const STRANGER: Self = Self { role: Role::Stranger, banned: None, invited: false };
}

/// What a request on a room knows: the room's openness, and the standing of the caller and of
/// the user the request is about (the target, if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    pub open: bool,
    pub caller: Standing,
    pub target: Standing,
    /// Whether the target is an existing user at all.
    pub target_exists: bool,
    pub caller_is_target: bool,
    /// Whether the target blocked the caller: then the caller cannot invite them.
    pub target_blocked_caller: bool,
    pub kind: RoomKind,
    /// In a DM: whether the other person declined, left or blocked the caller, so that the
    /// caller may not post (`store::sql`'s `dm_voices`).
    pub caller_muted: bool,
}

/// Everything a caller can ask to do in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See the room, its members, admins, owner and messages.
    View,
    /// See the room itself (`GET /room/{id}`): what an invitee of a closed room may, before
    /// joining.
    Peek,
    /// Become a member oneself (in a closed room, with an invitation).
    Join,
    /// Invite another user (an admin's; the invitee joins by themself, or declines). Asked
    /// about oneself, it is a join.
    Invite,
    /// Take an invitation back (an admin), or decline it (the invitee).
    Withdraw,
    /// Leave (target = caller) or remove someone else.
    Remove,
    Ban,
    Unban,
    ListBans,
    /// Make a present member an admin.
    Promote,
    /// Take admin away from someone, or step down oneself.
    Demote,
    TransferOwnership,
    /// Rename or close, or open a room that is open already.
    Update,
    /// What `Update` does, opening a closed room too: that publishes its history.
    Open,
    Delete,
    Post,
    /// Move one's read position, or mark the room unread: a present member's.
    Read,
}

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The room does not exist, or the caller may not see it: the same answer for both.
    RoomNotFound,
    UserNotFound,
    /// The target is not (or never was) a member, where the action needs one.
    NotAMember,
    /// The target is a present member, where the action needs someone who is not (an invitation).
    AlreadyMember,
    /// The target has no invitation to take back or decline.
    NoInvitation,
    Banned,
    Forbidden(&'static str),
    /// The caller's key outlived their account.
    UnknownCaller,
}

/// Why one has no read position to move.
const NOT_READING: &str = "only present members keep a read position";

/// Why one may not post in a DM.
pub const MUTED: &str = "the other person declined, left or blocked you: you cannot post here";

/// What a DM refuses of what rooms allow their admins and owner.
pub const NO_OWNER_POWERS: Refusal = Refusal::Forbidden("a direct message has no owner: nobody may do that in it");

use super::RoomKind;
use Refusal::{AlreadyMember, Banned, Forbidden, NoInvitation, NotAMember, RoomNotFound, UnknownCaller, UserNotFound};

impl Situation {
    /// An open room is visible to anyone; a closed one only to its present members.
    pub fn visible(&self) -> bool {
        self.open || self.caller.role.is_present()
    }

    /// What an invitee may do in a closed room they do not see otherwise: see the room itself,
    /// join, decline.
    fn invitee_may(&self, action: Action) -> bool {
        self.caller.invited && matches!(action, Action::Peek | Action::Join | Action::Withdraw)
    }

    /// Whether the caller may do `action`, and if not, why.
    pub fn check(&self, action: Action) -> Result<(), Refusal> {
        // `POST …/members` with one's own id is a join.
        if action == Action::Invite && self.caller_is_target {
            return self.check(Action::Join);
        }
        if self.kind == RoomKind::Dm {
            return self.check_dm(action);
        }
        if !self.visible() && !self.invitee_may(action) {
            return Err(RoomNotFound);
        }
        let caller = self.caller.role;
        let target = self.target.role;
        match action {
            Action::View | Action::Peek => Ok(()),
            // A key that KV still knows for a deleted account (KV forgets across locations
            // only within a minute).
            Action::Join if !self.target_exists => Err(UnknownCaller),
            Action::Join if self.caller.banned.is_some() => Err(Banned),
            Action::Join => Ok(()),
            Action::Invite if !caller.is_admin() => Err(Forbidden("only admins may invite people")),
            Action::Invite if !self.target_exists => Err(UserNotFound),
            Action::Invite if self.target.banned.is_some() => Err(Banned),
            Action::Invite if target.is_present() => Err(AlreadyMember),
            Action::Invite if self.target_blocked_caller => {
                Err(Forbidden("this person does not take invitations from you"))
            }
            Action::Invite => Ok(()),
            Action::Withdraw if !self.target.invited => Err(NoInvitation),
            Action::Withdraw if self.caller_is_target || caller.is_admin() => Ok(()),
            Action::Withdraw => Err(Forbidden("only the invitee or an admin may withdraw an invitation")),
            Action::Remove if self.caller_is_target => match target {
                Role::Owner => Err(Forbidden("the owner cannot leave the room: transfer ownership first")),
                Role::Stranger => Err(NotAMember),
                _ => Ok(()),
            },
            Action::Remove | Action::Ban => self.check_moderation(action),
            Action::Unban | Action::ListBans | Action::Update | Action::Open if !caller.is_admin() => {
                Err(Forbidden("only admins may do that"))
            }
            Action::Unban if self.target.banned == Some(BannedBy::Owner) && caller != Role::Owner => {
                Err(Forbidden("only the owner may lift a ban the owner placed"))
            }
            Action::Open if !self.open && caller != Role::Owner => {
                Err(Forbidden("only the owner may open a closed room"))
            }
            Action::Unban | Action::ListBans | Action::Update | Action::Open => Ok(()),
            Action::Promote if caller != Role::Owner => Err(Forbidden("only the owner may appoint admins")),
            Action::Promote if !target.is_present() => Err(NotAMember),
            Action::Promote => Ok(()),
            Action::Demote if target == Role::Owner => Err(Forbidden("the owner cannot be demoted")),
            Action::Demote if !self.caller_is_target && caller != Role::Owner => {
                Err(Forbidden("only the owner may demote admins"))
            }
            Action::Demote if !target.is_present() => Err(NotAMember),
            Action::Demote => Ok(()),
            Action::TransferOwnership if caller != Role::Owner => {
                Err(Forbidden("only the owner may hand over the room"))
            }
            Action::TransferOwnership if !target.is_present() => Err(NotAMember),
            Action::TransferOwnership => Ok(()),
            Action::Delete if caller != Role::Owner => Err(Forbidden("only the owner may delete the room")),
            Action::Delete => Ok(()),
            Action::Post if !caller.is_present() => Err(Forbidden("only present members may post")),
            Action::Post => Ok(()),
            Action::Read if !caller.is_present() => Err(Forbidden(NOT_READING)),
            Action::Read => Ok(()),
        }
    }

    /// A DM: its two people read it, post while the other has not declined, left or blocked
    /// them, and leave; the one invited (who did not start it) may read it before accepting
    /// (joining) or declining (leaving, or declining the invitation). Nothing else.
    fn check_dm(&self, action: Action) -> Result<(), Refusal> {
        let present = self.caller.role.is_present();
        if !present && !self.caller.invited {
            return Err(RoomNotFound);
        }
        match action {
            Action::View | Action::Peek => Ok(()),
            Action::Join if !self.target_exists => Err(UnknownCaller),
            Action::Join => Ok(()),
            Action::Post if !present => Err(Forbidden("accept the request (join) before you post")),
            Action::Post if self.caller_muted => Err(Forbidden(MUTED)),
            Action::Post => Ok(()),
            Action::Read if !present => Err(Forbidden(NOT_READING)),
            Action::Read => Ok(()),
            Action::Remove | Action::Withdraw if !self.caller_is_target => Err(NO_OWNER_POWERS),
            Action::Withdraw if !self.caller.invited => Err(NoInvitation),
            Action::Remove | Action::Withdraw => Ok(()),
            Action::Invite
            | Action::Ban
            | Action::Unban
            | Action::ListBans
            | Action::Promote
            | Action::Demote
            | Action::TransferOwnership
            | Action::Update
            | Action::Open
            | Action::Delete => Err(NO_OWNER_POWERS),
        }
    }

    /// Removing or banning someone else: admins act on plain members (and, for bans, on
    /// anyone outside the room); the owner on anyone but themself.
    fn check_moderation(&self, action: Action) -> Result<(), Refusal> {
        let (caller, target) = (self.caller.role, self.target.role);
        if self.caller_is_target {
            return Err(Forbidden("you cannot ban yourself"));
        }
        if !caller.is_admin() {
            return Err(Forbidden("only admins may remove or ban members"));
        }
        if !self.target_exists {
            return Err(UserNotFound);
        }
        if target == Role::Owner || (target.is_admin() && caller != Role::Owner) {
            return Err(Forbidden("only the owner may remove or ban an admin, and nobody the owner"));
        }
        if action == Action::Remove && target == Role::Stranger {
            return Err(NotAMember);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: [Role; 5] = [Role::Stranger, Role::Former, Role::Member, Role::Admin, Role::Owner];

    fn standing(role: Role) -> Standing {
        Standing { role, banned: None, invited: false }
    }

    fn invited(role: Role) -> Standing {
        Standing { role, banned: None, invited: true }
    }

    /// `caller` acting on a distinct, existing `target` in a room.
    fn situation(open: bool, caller: Role, target: Role) -> Situation {
        Situation {
            open,
            caller: standing(caller),
            target: standing(target),
            target_exists: true,
            caller_is_target: false,
            target_blocked_caller: false,
            kind: RoomKind::Room,
            caller_muted: false,
        }
    }

    /// `role` acting on themself.
    fn own(open: bool, role: Role) -> Situation {
        Situation {
            open,
            caller: standing(role),
            target: standing(role),
            target_exists: true,
            caller_is_target: true,
            target_blocked_caller: false,
            kind: RoomKind::Room,
            caller_muted: false,
        }
    }

    fn allowed(situation: Situation, action: Action) -> bool {
        situation.check(action).is_ok()
    }

    /// The callers for whom `action` on `target` is allowed.
    fn who_may(open: bool, action: Action, target: Role) -> Vec<Role> {
        ROLES.into_iter().filter(|caller| allowed(situation(open, *caller, target), action)).collect()
    }

    #[test]
    fn an_open_room_is_visible_to_everyone() {
        for caller in ROLES {
            assert!(own(true, caller).visible(), "{caller:?}");
        }
    }

    #[test]
    fn a_closed_room_is_visible_only_to_present_members() {
        let visible: Vec<Role> = ROLES.into_iter().filter(|caller| own(false, *caller).visible()).collect();
        assert_eq!(visible, [Role::Member, Role::Admin, Role::Owner]);
    }

    #[test]
    fn everything_in_a_closed_room_is_room_not_found_to_outsiders() {
        for action in [Action::View, Action::Join, Action::Invite, Action::Post, Action::ListBans, Action::Delete] {
            assert_eq!(situation(false, Role::Former, Role::Member).check(action), Err(RoomNotFound));
            assert_eq!(situation(false, Role::Stranger, Role::Member).check(action), Err(RoomNotFound));
        }
    }

    #[test]
    fn anyone_may_join_an_open_room_but_the_banned() {
        assert!(allowed(own(true, Role::Stranger), Action::Join));
        assert!(allowed(own(true, Role::Former), Action::Join));
        let banned = Situation {
            caller: Standing { role: Role::Former, banned: Some(BannedBy::Admin), invited: false },
            ..own(true, Role::Former)
        };
        assert_eq!(banned.check(Action::Join), Err(Banned));
    }

    #[test]
    fn a_key_that_outlived_its_account_joins_nothing() {
        let ghost = Situation { target_exists: false, ..own(true, Role::Stranger) };
        assert_eq!(ghost.check(Action::Join), Err(UnknownCaller));
        assert_eq!(ghost.check(Action::Invite), Err(UnknownCaller));
    }

    #[test]
    fn only_admins_invite_others_and_never_the_banned_a_member_or_someone_who_blocked_them() {
        assert_eq!(who_may(true, Action::Invite, Role::Stranger), [Role::Admin, Role::Owner]);
        assert_eq!(who_may(false, Action::Invite, Role::Former), [Role::Admin, Role::Owner]);
        assert_eq!(
            situation(true, Role::Member, Role::Stranger).check(Action::Invite),
            Err(Forbidden("only admins may invite people"))
        );
        let banned = Situation {
            target: Standing { role: Role::Former, banned: Some(BannedBy::Admin), invited: false },
            ..situation(false, Role::Admin, Role::Former)
        };
        assert_eq!(banned.check(Action::Invite), Err(Banned));
        let ghost = Situation { target_exists: false, ..situation(false, Role::Owner, Role::Stranger) };
        assert_eq!(ghost.check(Action::Invite), Err(UserNotFound));
        assert_eq!(situation(true, Role::Admin, Role::Member).check(Action::Invite), Err(AlreadyMember));
        let blocked = Situation { target_blocked_caller: true, ..situation(true, Role::Owner, Role::Stranger) };
        assert!(matches!(blocked.check(Action::Invite), Err(Forbidden(_))));
        // Invited already: inviting again is the same.
        let again = Situation { target: invited(Role::Stranger), ..situation(true, Role::Admin, Role::Stranger) };
        assert!(allowed(again, Action::Invite));
    }

    #[test]
    fn an_invitee_sees_a_closed_room_joins_it_or_declines_and_sees_nothing_else() {
        let invitee = Situation {
            caller: invited(Role::Stranger),
            target: invited(Role::Stranger),
            ..own(false, Role::Stranger)
        };
        assert!(allowed(invitee, Action::Peek));
        assert!(allowed(invitee, Action::Join));
        assert!(allowed(invitee, Action::Withdraw));
        for action in [Action::View, Action::Post, Action::ListBans, Action::Invite] {
            let refused = Situation { caller_is_target: action != Action::Invite, ..invitee };
            assert_eq!(refused.check(action), Err(RoomNotFound), "{action:?}");
        }
        // Without an invitation, a closed room is not there at all; an open one is seen by anyone.
        assert_eq!(own(false, Role::Stranger).check(Action::Peek), Err(RoomNotFound));
        assert!(allowed(own(true, Role::Stranger), Action::Peek));
    }

    #[test]
    fn an_invitation_is_declined_by_its_invitee_or_taken_back_by_an_admin() {
        let pending =
            |caller: Role| Situation { target: invited(Role::Stranger), ..situation(false, caller, Role::Stranger) };
        assert!(allowed(pending(Role::Admin), Action::Withdraw));
        assert!(allowed(pending(Role::Owner), Action::Withdraw));
        assert!(matches!(pending(Role::Member).check(Action::Withdraw), Err(Forbidden(_))));
        assert_eq!(situation(false, Role::Admin, Role::Stranger).check(Action::Withdraw), Err(NoInvitation));
    }

    #[test]
    fn members_leave_but_the_owner_must_hand_over_first() {
        assert!(allowed(own(true, Role::Member), Action::Remove));
        assert!(allowed(own(true, Role::Admin), Action::Remove));
        assert!(allowed(own(true, Role::Former), Action::Remove));
        assert!(matches!(own(true, Role::Owner).check(Action::Remove), Err(Forbidden(_))));
        assert_eq!(own(true, Role::Stranger).check(Action::Remove), Err(NotAMember));
    }

    #[test]
    fn admins_remove_plain_members_and_the_owner_removes_admins() {
        assert_eq!(who_may(true, Action::Remove, Role::Member), [Role::Admin, Role::Owner]);
        assert_eq!(who_may(true, Action::Remove, Role::Former), [Role::Admin, Role::Owner]);
        assert_eq!(who_may(true, Action::Remove, Role::Admin), [Role::Owner]);
        assert_eq!(who_may(true, Action::Remove, Role::Owner), []);
        assert_eq!(situation(true, Role::Owner, Role::Stranger).check(Action::Remove), Err(NotAMember));
    }

    #[test]
    fn bans_follow_removal_and_reach_outsiders_too() {
        assert_eq!(who_may(true, Action::Ban, Role::Member), [Role::Admin, Role::Owner]);
        assert_eq!(who_may(true, Action::Ban, Role::Stranger), [Role::Admin, Role::Owner]);
        assert_eq!(who_may(true, Action::Ban, Role::Admin), [Role::Owner]);
        assert_eq!(who_may(true, Action::Ban, Role::Owner), []);
        assert!(!allowed(own(true, Role::Admin), Action::Ban));
    }

    #[test]
    fn only_admins_unban_list_bans_and_update() {
        for action in [Action::Unban, Action::ListBans, Action::Update] {
            assert_eq!(who_may(true, action, Role::Stranger), [Role::Admin, Role::Owner], "{action:?}");
        }
    }

    #[test]
    fn admins_open_an_open_room_but_only_the_owner_opens_a_closed_one() {
        assert_eq!(who_may(true, Action::Open, Role::Stranger), [Role::Admin, Role::Owner]);
        assert_eq!(who_may(false, Action::Open, Role::Stranger), [Role::Owner]);
        assert_eq!(
            situation(false, Role::Admin, Role::Stranger).check(Action::Open),
            Err(Forbidden("only the owner may open a closed room"))
        );
        assert_eq!(who_may(false, Action::Update, Role::Stranger), [Role::Admin, Role::Owner]);
    }

    #[test]
    fn a_ban_the_owner_placed_is_lifted_by_the_owner_alone() {
        let banned = |by| Situation {
            target: Standing { role: Role::Former, banned: Some(by), invited: false },
            ..situation(true, Role::Admin, Role::Former)
        };
        assert_eq!(
            banned(BannedBy::Owner).check(Action::Unban),
            Err(Forbidden("only the owner may lift a ban the owner placed"))
        );
        assert!(allowed(Situation { caller: standing(Role::Owner), ..banned(BannedBy::Owner) }, Action::Unban));
        assert!(allowed(banned(BannedBy::Admin), Action::Unban));
    }

    #[test]
    fn only_the_owner_promotes_and_only_present_members() {
        assert_eq!(who_may(true, Action::Promote, Role::Member), [Role::Owner]);
        assert_eq!(situation(true, Role::Owner, Role::Former).check(Action::Promote), Err(NotAMember));
        assert_eq!(situation(true, Role::Owner, Role::Stranger).check(Action::Promote), Err(NotAMember));
    }

    #[test]
    fn the_owner_demotes_admins_and_admins_step_down_but_the_owner_stays() {
        assert_eq!(who_may(true, Action::Demote, Role::Admin), [Role::Owner]);
        assert!(allowed(own(true, Role::Admin), Action::Demote));
        assert!(matches!(own(true, Role::Owner).check(Action::Demote), Err(Forbidden(_))));
        assert!(matches!(situation(true, Role::Admin, Role::Owner).check(Action::Demote), Err(Forbidden(_))));
    }

    #[test]
    fn only_the_owner_hands_over_and_only_to_a_present_member() {
        assert_eq!(who_may(true, Action::TransferOwnership, Role::Member), [Role::Owner]);
        assert_eq!(situation(true, Role::Owner, Role::Former).check(Action::TransferOwnership), Err(NotAMember));
    }

    #[test]
    fn only_the_owner_deletes() {
        assert_eq!(who_may(true, Action::Delete, Role::Stranger), [Role::Owner]);
    }

    #[test]
    fn only_present_members_keep_a_read_position() {
        let readers: Vec<Role> = ROLES.into_iter().filter(|role| allowed(own(true, *role), Action::Read)).collect();
        assert_eq!(readers, [Role::Member, Role::Admin, Role::Owner]);
        assert_eq!(own(false, Role::Former).check(Action::Read), Err(RoomNotFound));
        assert!(matches!(dm(invited(Role::Stranger), true).check(Action::Read), Err(Forbidden(_))));
        assert!(allowed(dm(standing(Role::Member), true), Action::Read));
    }

    #[test]
    fn only_present_members_post() {
        let posters: Vec<Role> = ROLES.into_iter().filter(|role| allowed(own(true, *role), Action::Post)).collect();
        assert_eq!(posters, [Role::Member, Role::Admin, Role::Owner]);
    }

    /// `caller` in a DM, acting on themself (`own`) or on the other person.
    fn dm(caller: Standing, on_self: bool) -> Situation {
        Situation {
            open: false,
            caller,
            target: if on_self { caller } else { standing(Role::Member) },
            target_exists: true,
            caller_is_target: on_self,
            target_blocked_caller: false,
            kind: RoomKind::Dm,
            caller_muted: false,
        }
    }

    #[test]
    fn a_dm_has_no_owner_powers_for_its_starter_or_anyone() {
        let powers = [
            Action::Invite,
            Action::Remove,
            Action::Withdraw,
            Action::Ban,
            Action::Unban,
            Action::ListBans,
            Action::Promote,
            Action::Demote,
            Action::TransferOwnership,
        ];
        for role in [Role::Member, Role::Admin, Role::Owner] {
            for action in powers {
                assert_eq!(dm(standing(role), false).check(action), Err(NO_OWNER_POWERS), "{role:?} {action:?}");
            }
            for action in [Action::Update, Action::Open, Action::Delete] {
                assert_eq!(dm(standing(role), true).check(action), Err(NO_OWNER_POWERS), "{role:?} {action:?}");
            }
            assert!(allowed(dm(standing(role), true), Action::Remove), "{role:?} leaves");
        }
    }

    #[test]
    fn the_invited_person_reads_a_dm_and_accepts_or_declines_but_does_not_post() {
        let invitee = dm(invited(Role::Stranger), true);
        for action in [Action::View, Action::Peek, Action::Join, Action::Remove, Action::Withdraw] {
            assert!(allowed(invitee, action), "{action:?}");
        }
        assert!(matches!(invitee.check(Action::Post), Err(Forbidden(_))));
        for outsider in [Role::Stranger, Role::Former] {
            for action in [Action::View, Action::Join, Action::Post, Action::Remove] {
                assert_eq!(dm(standing(outsider), true).check(action), Err(RoomNotFound), "{outsider:?} {action:?}");
            }
        }
    }

    #[test]
    fn in_a_dm_one_posts_until_the_other_declines_leaves_or_blocks() {
        assert!(allowed(dm(standing(Role::Member), true), Action::Post));
        let muted = Situation { caller_muted: true, ..dm(standing(Role::Member), true) };
        assert!(matches!(muted.check(Action::Post), Err(Forbidden(_))));
        assert!(allowed(muted, Action::View));
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
