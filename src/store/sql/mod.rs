//! Every SQL statement the service sends, as constants, each written out in full so that it
//! reads as the SQL that runs; listed in `ALL` so that a test can check each one's query plan,
//! and shared with nothing else. Room statements take `?1` the room, `?2` the caller, `?3` the
//! target.
//!
//! The room writes carry the rules of `domain::Situation::check` again, as guards (one
//! condition a line), so that the rules hold at the very moment of the write;
//! `tests/room_rules.rs` proves the two equal case by case.
//!
//! The writes that count against a ceiling of their author (`domain::limits`) carry its guard
//! too: `NOT EXISTS` a counter of the author's, of the write's kind, whose window is still on
//! (`window_start > now - window`) and full (`count >= max`). A `COUNT_...` statement after
//! the write counts it once it happened, in the same transaction, so that concurrent writes
//! are counted exactly.

mod directory;
mod outbox;
mod rooms;
mod users;

pub use directory::*;
pub use outbox::*;
pub use rooms::*;
pub use users::*;

/// Every statement, by name.
pub const ALL: &[(&str, &str)] = &[
    ("INSERT_USER", INSERT_USER),
    ("USER", USER),
    ("USER_BY_HANDLE", USER_BY_HANDLE),
    ("GUARD_HANDLE", GUARD_HANDLE),
    ("RELEASE_HANDLE", RELEASE_HANDLE),
    ("CHANGE_HANDLE", CHANGE_HANDLE),
    ("TAKE_UP_HANDLE", TAKE_UP_HANDLE),
    ("FORGET_RELEASED_HANDLES", FORGET_RELEASED_HANDLES),
    ("HANDLE_CHANGES", HANDLE_CHANGES),
    ("RELEASE_USER_HANDLE", RELEASE_USER_HANDLE),
    ("USERS_BY_HANDLE", USERS_BY_HANDLE),
    ("USER_COUNT_BY_HANDLE", USER_COUNT_BY_HANDLE),
    ("BLOCK", BLOCK),
    ("UNBLOCK", UNBLOCK),
    ("USER_EXISTS", USER_EXISTS),
    ("BLOCKS_PAGE", BLOCKS_PAGE),
    ("BLOCK_COUNT", BLOCK_COUNT),
    ("INSERT_SESSION", INSERT_SESSION),
    ("DELETE_SESSION", DELETE_SESSION),
    ("DELETE_EXPIRED_SESSIONS", DELETE_EXPIRED_SESSIONS),
    ("UPDATE_PASSWORD", UPDATE_PASSWORD),
    ("GUARD_KEY", GUARD_KEY),
    ("QUEUE_OTHER_SESSIONS", QUEUE_OTHER_SESSIONS),
    ("DELETE_OTHER_SESSIONS", DELETE_OTHER_SESSIONS),
    ("QUEUE_USER_SESSIONS", QUEUE_USER_SESSIONS),
    ("QUEUE_SESSION", QUEUE_SESSION),
    ("QUEUE_OLDEST_SESSIONS", QUEUE_OLDEST_SESSIONS),
    ("DELETE_OLDEST_SESSIONS", DELETE_OLDEST_SESSIONS),
    ("KV_FORGET_CHUNK", KV_FORGET_CHUNK),
    ("KV_FORGOTTEN", KV_FORGOTTEN),
    ("HAND_OVER_OWNED_ROOMS", HAND_OVER_OWNED_ROOMS),
    ("NEW_OWNERS_ARE_ADMINS", NEW_OWNERS_ARE_ADMINS),
    ("DELETE_USER_SESSIONS", DELETE_USER_SESSIONS),
    ("DELETE_OWNED_ROOMS", DELETE_OWNED_ROOMS),
    ("DELETE_USER", DELETE_USER),
    ("ROOM", ROOM),
    ("INSERT_ROOM", INSERT_ROOM),
    ("INSERT_ROOM_GRAMS", INSERT_ROOM_GRAMS),
    ("INSERT_OWNER", INSERT_OWNER),
    ("ROOM_EXISTS", ROOM_EXISTS),
    ("MEMBERS_PAGE", MEMBERS_PAGE),
    ("ADMINS_PAGE", ADMINS_PAGE),
    ("BANS_PAGE", BANS_PAGE),
    ("ADD_MEMBER", ADD_MEMBER),
    ("TAKE_UP_INVITE", TAKE_UP_INVITE),
    ("INVITE", INVITE),
    ("COUNT_INVITE", COUNT_INVITE),
    ("WITHDRAW_INVITE", WITHDRAW_INVITE),
    ("DELETE_BANNED_INVITE", DELETE_BANNED_INVITE),
    ("INVITES_OF_USER", INVITES_OF_USER),
    ("INVITE_COUNT_OF_USER", INVITE_COUNT_OF_USER),
    ("DECLINE_DM", DECLINE_DM),
    ("DM_BEFORE", DM_BEFORE),
    ("INSERT_DM_ROOM", INSERT_DM_ROOM),
    ("INSERT_DM", INSERT_DM),
    ("INVITE_TO_DM", INVITE_TO_DM),
    ("COUNT_DM", COUNT_DM),
    ("OPEN_DM", OPEN_DM),
    ("TAKE_UP_DM_INVITE", TAKE_UP_DM_INVITE),
    ("DM_ROOM", DM_ROOM),
    ("REQUESTS_OF_USER", REQUESTS_OF_USER),
    ("REQUEST_COUNT_OF_USER", REQUEST_COUNT_OF_USER),
    ("FIRST_MESSAGE", FIRST_MESSAGE),
    ("FLUSH_ROOM", FLUSH_ROOM),
    ("FLUSH_READS", FLUSH_READS),
    ("FLUSH_DELETIONS", FLUSH_DELETIONS),
    ("FLUSH_REPLIES", FLUSH_REPLIES),
    ("FLUSH_READ_REPLIES", FLUSH_READ_REPLIES),
    ("FLUSH_DELETED_REPLIES", FLUSH_DELETED_REPLIES),
    ("FLUSH_MENTIONED", FLUSH_MENTIONED),
    ("FLUSH_MENTIONS", FLUSH_MENTIONS),
    ("FLUSH_ROOM_MENTIONS", FLUSH_ROOM_MENTIONS),
    ("FLUSH_DELETED_MENTIONS", FLUSH_DELETED_MENTIONS),
    ("MENTIONABLE", MENTIONABLE),
    ("BLOCKED_IN_ROOM", BLOCKED_IN_ROOM),
    ("MENTIONS_OF_USER", MENTIONS_OF_USER),
    ("MENTIONS_OF_USER_BEFORE", MENTIONS_OF_USER_BEFORE),
    ("MENTION_CURSOR", MENTION_CURSOR),
    ("QUEUE_DM_PEERS_MUTED", QUEUE_DM_PEERS_MUTED),
    ("QUEUE_DM_VOICES", QUEUE_DM_VOICES),
    ("QUEUE_PAIR_VOICES", QUEUE_PAIR_VOICES),
    ("TELL_DM_VOICES", TELL_DM_VOICES),
    ("TELL_PAIR_VOICES", TELL_PAIR_VOICES),
    ("QUEUE_DM_STARTED", QUEUE_DM_STARTED),
    ("QUEUE_DM_INVITED", QUEUE_DM_INVITED),
    ("QUEUE_DM_JOINED", QUEUE_DM_JOINED),
    ("QUEUE_MEMBER_INVITED", QUEUE_MEMBER_INVITED),
    ("QUEUE_INVITE_WITHDRAWN", QUEUE_INVITE_WITHDRAWN),
    ("REMOVE_MEMBER", REMOVE_MEMBER),
    ("INSERT_BAN", INSERT_BAN),
    ("REMOVE_BANNED", REMOVE_BANNED),
    ("DELETE_BAN", DELETE_BAN),
    ("PROMOTE", PROMOTE),
    ("DEMOTE", DEMOTE),
    ("HAND_OVER", HAND_OVER),
    ("UPDATE_ROOM", UPDATE_ROOM),
    ("DELETE_RENAMED_GRAMS", DELETE_RENAMED_GRAMS),
    ("INSERT_RENAMED_GRAMS", INSERT_RENAMED_GRAMS),
    ("DELETE_ROOM", DELETE_ROOM),
    ("QUEUE_MEMBER_JOINED", QUEUE_MEMBER_JOINED),
    ("QUEUE_MEMBER_LEFT", QUEUE_MEMBER_LEFT),
    ("QUEUE_MEMBER_BANNED", QUEUE_MEMBER_BANNED),
    ("QUEUE_USER_BANNED", QUEUE_USER_BANNED),
    ("QUEUE_USER_UNBANNED", QUEUE_USER_UNBANNED),
    ("QUEUE_ADMIN_ADDED", QUEUE_ADMIN_ADDED),
    ("QUEUE_ADMIN_REMOVED", QUEUE_ADMIN_REMOVED),
    ("QUEUE_OWNER_CHANGED", QUEUE_OWNER_CHANGED),
    ("QUEUE_ROOM_UPDATED", QUEUE_ROOM_UPDATED),
    ("QUEUE_ROOM_DELETED", QUEUE_ROOM_DELETED),
    ("QUEUE_OWNED_ROOMS_HANDED_OVER", QUEUE_OWNED_ROOMS_HANDED_OVER),
    ("QUEUE_NEW_OWNERS_ADMINS", QUEUE_NEW_OWNERS_ADMINS),
    ("QUEUE_OWNED_ROOMS_DELETED", QUEUE_OWNED_ROOMS_DELETED),
    ("QUEUE_USER_LEFT", QUEUE_USER_LEFT),
    ("ROOM_OUTBOX", ROOM_OUTBOX),
    ("OUTBOX_NEWEST", OUTBOX_NEWEST),
    ("RECENT_ROOMS_OUTBOX", RECENT_ROOMS_OUTBOX),
    ("ROOMS_OUTBOX", ROOMS_OUTBOX),
    ("OUTBOX_PAGE", OUTBOX_PAGE),
    ("OUTBOX_APPLIED", OUTBOX_APPLIED),
    ("LIVE_KEY", LIVE_KEY),
    ("SESSION_EXPIRY", SESSION_EXPIRY),
    ("OPEN_ROOMS", OPEN_ROOMS),
    ("OPEN_ROOM_COUNT", OPEN_ROOM_COUNT),
    ("OPEN_ROOMS_NAMED", OPEN_ROOMS_NAMED),
    ("OPEN_ROOM_NAMED_COUNT", OPEN_ROOM_NAMED_COUNT),
    ("ROOMS_OF_USER", ROOMS_OF_USER),
    ("ROOMS_OF_USER_BY_ACTIVITY", ROOMS_OF_USER_BY_ACTIVITY),
    ("ROOM_LISTENERS", ROOM_LISTENERS),
    ("INBOX_OPEN", INBOX_OPEN),
    ("INBOX_CLOSED", INBOX_CLOSED),
    ("LIVE_SESSIONS", LIVE_SESSIONS),
    ("LISTENERS", LISTENERS),
    ("MENTION_LISTENERS", MENTION_LISTENERS),
    ("ROOM_COUNT_OF_USER", ROOM_COUNT_OF_USER),
    ("COUNT_ROOM_CREATION", COUNT_ROOM_CREATION),
    ("COUNT_RENAME", COUNT_RENAME),
    ("WRITE_COUNT", WRITE_COUNT),
    ("RESERVE_FILE_BYTES", RESERVE_FILE_BYTES),
    ("FILE_BYTES", FILE_BYTES),
    ("RELEASE_FILE_BYTES", RELEASE_FILE_BYTES),
    ("OWNED_COUNT", OWNED_COUNT),
    ("FORGET_PASSWORD_FAILURES", FORGET_PASSWORD_FAILURES),
    ("COUNT_PASSWORD_ATTEMPT", COUNT_PASSWORD_ATTEMPT),
    ("PASSWORD_ATTEMPT", PASSWORD_ATTEMPT),
    ("RESET_PASSWORD_FAILURES", RESET_PASSWORD_FAILURES),
    ("FORGET_LOGIN_CEILINGS", FORGET_LOGIN_CEILINGS),
    ("COUNT_LOGIN_FAILURE", COUNT_LOGIN_FAILURE),
    ("UNCOUNT_LOGIN_FAILURE", UNCOUNT_LOGIN_FAILURE),
    ("FORGET_SIGNUPS", FORGET_SIGNUPS),
    ("COUNT_SIGNUP", COUNT_SIGNUP),
    ("SIGNUP_FREED_AT", SIGNUP_FREED_AT),
];

/// The highest `?N` of a statement: D1 refuses more bound values than the statement has.
pub fn highest_parameter(sql: &str) -> usize {
    sql.split('?')
        .skip(1)
        .filter_map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse::<usize>().ok())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_parameter_is_found_wherever_it_stands() {
        assert_eq!(highest_parameter("SELECT 1"), 0);
        assert_eq!(highest_parameter(DELETE_ROOM), 2);
        assert_eq!(highest_parameter(ROOM), 3);
        assert_eq!(highest_parameter(BANS_PAGE), 5);
        assert_eq!(highest_parameter("x = ?12 AND y = ?3"), 12);
    }

    #[test]
    fn every_statement_is_listed_once_under_its_own_name() {
        let mut names: Vec<&str> = ALL.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        // Every `pub const` of the files of statements is one, and is in `ALL`.
        let files = [
            include_str!("users.rs"),
            include_str!("rooms.rs"),
            include_str!("outbox.rs"),
            include_str!("directory.rs"),
        ];
        let declared: usize =
            files.iter().map(|file| file.lines().filter(|line| line.starts_with("pub const ")).count()).sum();
        assert_eq!(declared, ALL.len());
    }

    #[test]
    fn room_statements_number_their_parameters_from_the_room() {
        for sql in [ADD_MEMBER, REMOVE_MEMBER, INSERT_BAN, REMOVE_BANNED, DELETE_BAN, PROMOTE, DEMOTE, HAND_OVER] {
            assert!(sql.contains("room_id = ?1") && sql.contains("?3"), "{sql}");
        }
    }
}
