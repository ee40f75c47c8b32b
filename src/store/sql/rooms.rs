//! The statements of rooms, memberships and bans.

// Rooms.

/// The room with the caller's (`?2`) and the target's (`?3`) standing in it (membership, ban,
/// invitation); either may be NULL. A ban reads as whether the owner placed it, NULL for none.
/// And whether the target blocked the caller; the room's kind, and, in a DM, its two people
/// (the starter first, as a JSON array) and whether the caller may not post (`dm_voices`; a DM whose other person's account is gone has no row there).
pub const ROOM: &str = "SELECT r.open, r.name, r.user_count, r.admin_count, r.ban_count, r.owner_id AS owner,
       c.present AS caller_present, c.admin AS caller_admin,
       (SELECT by_owner FROM bans WHERE room_id = ?1 AND user_id = ?2) AS caller_ban,
       EXISTS (SELECT 1 FROM invites WHERE room_id = ?1 AND user_id = ?2) AS caller_invited,
       t.present AS target_present, t.admin AS target_admin,
       (SELECT by_owner FROM bans WHERE room_id = ?1 AND user_id = ?3) AS target_ban,
       EXISTS (SELECT 1 FROM invites WHERE room_id = ?1 AND user_id = ?3) AS target_invited,
       EXISTS (SELECT 1 FROM users WHERE user_id = ?3) AS target_exists,
       EXISTS (SELECT 1 FROM blocks WHERE user_id = ?3 AND blocked_id = ?2) AS target_blocked_caller,
       r.kind,
       (SELECT json_array(started_by, CASE WHEN started_by = low_id THEN high_id ELSE low_id END)
          FROM dms WHERE room_id = ?1) AS people,
       coalesce((SELECT muted FROM dm_voices WHERE room_id = ?1 AND user_id = ?2), r.kind = 'dm') AS caller_muted
  FROM rooms AS r
  LEFT JOIN members AS c ON c.room_id = r.room_id AND c.user_id = ?2
  LEFT JOIN members AS t ON t.room_id = r.room_id AND t.user_id = ?3
 WHERE r.room_id = ?1";
/// Only for an owner who exists (the key guard before it already refuses a key that outlived
/// its account; this keeps the statement safe on its own, as tests/room_rules.rs runs it), owns
/// fewer rooms than `?9`, and is under the ceiling of room creations (`?6` now, `?7` the
/// window, `?8` the ceiling).
pub const INSERT_ROOM: &str = "INSERT INTO rooms (room_id, name, name_search, open, owner_id, created_at)
 SELECT ?1, ?2, ?3, ?4, ?5, ?6 FROM users
  WHERE user_id = ?5 AND owned_count < ?9
    AND NOT EXISTS (SELECT 1 FROM write_counts
                     WHERE user_id = ?5 AND kind = 'room' AND window_start > ?6 - ?7 AND count >= ?8)";
/// The room's creation, once it happened (the room's id is new).
pub const COUNT_ROOM_CREATION: &str = "INSERT INTO write_counts (user_id, kind, window_start, count)
 SELECT ?5, 'room', ?6, 1 WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1)
 ON CONFLICT (user_id, kind) DO UPDATE
    SET count = CASE WHEN window_start > ?6 - ?7 THEN count + 1 ELSE 1 END,
        window_start = CASE WHEN window_start > ?6 - ?7 THEN window_start ELSE ?6 END";
/// The room's name pieces (`?2`, a JSON array), for the directory's search.
pub const INSERT_ROOM_GRAMS: &str = "INSERT OR IGNORE INTO room_grams (gram, room_id)
 SELECT value, ?1 FROM json_each(?2) WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1)";
pub const INSERT_OWNER: &str = "INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
 SELECT ?1, ?2, ?3, 1, 1, 1 WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1)";
pub const ROOM_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1) AS created";
/// Present members from offset `?5`, `?4` of them. The block holding the offset's member
/// comes from the running sum of the blocks' counts; only the rest of that block is skipped
/// row by row, so offset 99,000 costs about what offset 0 does.
pub const MEMBERS_PAGE: &str = "WITH sums AS (
      SELECT block, present, sum(present) OVER (ORDER BY block ROWS UNBOUNDED PRECEDING) AS through
        FROM member_blocks WHERE room_id = ?1),
  start AS (
      SELECT block, ?5 - (through - present) AS skip FROM sums WHERE through > ?5
       ORDER BY block LIMIT 1)
  SELECT user_id FROM members
   WHERE room_id = ?1 AND present = 1 AND position >= (SELECT block FROM start) << 10
   ORDER BY position LIMIT ?4 OFFSET coalesce((SELECT skip FROM start), 0)";
pub const ADMINS_PAGE: &str =
    "SELECT user_id FROM members WHERE room_id = ?1 AND admin = 1 ORDER BY position LIMIT ?4 OFFSET ?5";
pub const BANS_PAGE: &str =
    "SELECT user_id FROM bans WHERE room_id = ?1 ORDER BY banned_at, user_id LIMIT ?4 OFFSET ?5";
/// The caller (`?2` = `?3`) becomes a present member: of an open room, or of a closed one they
/// are invited to; not banned, with an account (`?4` now). Each join takes the room's next
/// position; a present member keeps theirs.
pub const ADD_MEMBER: &str = "INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
 SELECT room_id, ?3, ?4, 1, 0, join_seq + 1 FROM rooms
  WHERE room_id = ?1 AND ?2 = ?3
    AND NOT EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3)
    AND EXISTS (SELECT 1 FROM users WHERE user_id = ?3)
    AND (open = 1 OR EXISTS (SELECT 1 FROM invites WHERE room_id = ?1 AND user_id = ?3))
 ON CONFLICT (room_id, user_id) DO UPDATE
    SET present = 1, joined_at = excluded.joined_at, position = excluded.position
  WHERE members.present = 0";
/// A join consumes the joiner's invitation, if they had one.
pub const TAKE_UP_INVITE: &str = "DELETE FROM invites
  WHERE room_id = ?1 AND user_id = ?3
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND present = 1)";
/// An admin (`?2`) invites someone else who exists, is not present, not banned and did not block
/// them, under the ceiling of invitations (`?4` now, `?5` the window, `?6` the ceiling). Inviting
/// again keeps the first invitation.
pub const INVITE: &str = "INSERT INTO invites (room_id, user_id, by_id, at)
 SELECT ?1, ?3, ?2, ?4 FROM rooms
  WHERE room_id = ?1 AND ?2 <> ?3
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
    AND EXISTS (SELECT 1 FROM users WHERE user_id = ?3)
    AND NOT EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND present = 1)
    AND NOT EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3)
    AND NOT EXISTS (SELECT 1 FROM blocks WHERE user_id = ?3 AND blocked_id = ?2)
    AND NOT EXISTS (SELECT 1 FROM write_counts
                     WHERE user_id = ?2 AND kind = 'invite' AND window_start > ?4 - ?5 AND count >= ?6)
 ON CONFLICT (room_id, user_id) DO NOTHING";
/// The invitation, once it was made by this request (the row is the caller's, of now).
pub const COUNT_INVITE: &str = "INSERT INTO write_counts (user_id, kind, window_start, count)
 SELECT ?2, 'invite', ?4, 1
  WHERE EXISTS (SELECT 1 FROM invites WHERE room_id = ?1 AND user_id = ?3 AND by_id = ?2 AND at = ?4)
 ON CONFLICT (user_id, kind) DO UPDATE
    SET count = CASE WHEN window_start > ?4 - ?5 THEN count + 1 ELSE 1 END,
        window_start = CASE WHEN window_start > ?4 - ?5 THEN window_start ELSE ?4 END";
/// The invitee declines (`?2` = `?3`), or an admin takes the invitation back.
pub const WITHDRAW_INVITE: &str = "DELETE FROM invites
  WHERE room_id = ?1 AND user_id = ?3
    AND (?2 = ?3 OR EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1))";
/// A ban takes the banned person's invitation too.
pub const DELETE_BANNED_INVITE: &str = "DELETE FROM invites
  WHERE room_id = ?1 AND user_id = ?3 AND EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3)";
/// The invitations of one person (`?1`) to rooms (a DM's is a request), newest first, with
/// their rooms: `?2` the limit, `?3` the offset.
pub const INVITES_OF_USER: &str = "SELECT i.room_id, r.name, r.open, r.user_count, r.kind, i.by_id AS by, i.at
  FROM invites AS i JOIN rooms AS r ON r.room_id = i.room_id
  WHERE i.user_id = ?1 AND i.kind = 'room' ORDER BY i.at DESC, i.room_id DESC LIMIT ?2 OFFSET ?3";
pub const INVITE_COUNT_OF_USER: &str = "SELECT count(*) AS count FROM invites WHERE user_id = ?1 AND kind = 'room'";
/// An invitee of a DM declines by leaving it (`?2` = `?3`).
pub const DECLINE_DM: &str = "DELETE FROM invites WHERE room_id = ?1 AND user_id = ?3 AND ?2 = ?3 AND kind = 'dm'";
/// The target leaves (target = caller) or is removed: by the owner, or by an admin if the
/// target is no admin; never the owner. A DM has no owner (nor admins): its people leave.
pub const REMOVE_MEMBER: &str = "UPDATE members SET present = 0, admin = 0
  WHERE room_id = ?1 AND user_id = ?3 AND present = 1
    AND NOT EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?3 AND kind = 'room')
    AND (?2 = ?3
         OR EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2 AND kind = 'room')
         OR (EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
             AND NOT EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND admin = 1)))";
/// Someone else who exists, by the same rule as a removal. Written before the removal that
/// follows it, so that the guard still sees the target's admin flag. The owner's ban, even of
/// someone an admin banned, is the owner's.
pub const INSERT_BAN: &str = "INSERT INTO bans (room_id, user_id, banned_at, by_owner)
 SELECT ?1, ?3, ?4, EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2)
  WHERE ?2 <> ?3
    AND EXISTS (SELECT 1 FROM users WHERE user_id = ?3)
    AND NOT EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?3)
    AND (EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2 AND kind = 'room')
         OR (EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
             AND NOT EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND admin = 1)))
 ON CONFLICT (room_id, user_id) DO UPDATE SET by_owner = 1 WHERE excluded.by_owner = 1";
pub const REMOVE_BANNED: &str = "UPDATE members SET present = 0, admin = 0
  WHERE room_id = ?1 AND user_id = ?3 AND present = 1
    AND EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3)";
/// By an admin; a ban the owner placed, by the owner.
pub const DELETE_BAN: &str = "DELETE FROM bans
  WHERE room_id = ?1 AND user_id = ?3
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
    AND (by_owner = 0 OR EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2))";
/// Promoting an admin, demoting a member who is none or handing a room to its owner changes
/// nothing, and touches no row: the event queued after a write (`changes()`) is then none.
pub const PROMOTE: &str = "UPDATE members SET admin = 1
  WHERE room_id = ?1 AND user_id = ?3 AND present = 1 AND admin = 0
    AND EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2 AND kind = 'room')";
pub const DEMOTE: &str = "UPDATE members SET admin = 0
  WHERE room_id = ?1 AND user_id = ?3 AND admin = 1
    AND NOT EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?3)
    AND (?2 = ?3 OR EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND owner_id = ?2))";
pub const HAND_OVER: &str = "UPDATE rooms SET owner_id = ?3
  WHERE room_id = ?1 AND owner_id = ?2 AND ?3 <> ?2 AND kind = 'room'
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?3 AND present = 1)";
/// By an admin; opening a closed room (`?6` = 1), by the owner alone; a rename (`?4`), under
/// the ceiling of renames (`?8` now, `?9` the window, `?10` the ceiling). An update that would
/// change nothing touches no row, so that `QUEUE_ROOM_UPDATED` queues no event for it.
pub const UPDATE_ROOM: &str =
    "UPDATE rooms SET name = coalesce(?4, name), name_search = coalesce(?5, name_search), open = coalesce(?6, open)
  WHERE room_id = ?1
    AND (name IS NOT coalesce(?4, name) OR open IS NOT coalesce(?6, open))
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
    AND (coalesce(?6, 0) = 0 OR open = 1 OR owner_id = ?2)
    AND (?4 IS NULL
         OR NOT EXISTS (SELECT 1 FROM write_counts
                         WHERE user_id = ?2 AND kind = 'rename' AND window_start > ?8 - ?9 AND count >= ?10))";
/// On a rename, after the update: the pieces follow the room's name (`?5`) as it now stands.
/// A refused rename to the name the room has already writes back the same pieces.
pub const DELETE_RENAMED_GRAMS: &str = "DELETE FROM room_grams
  WHERE room_id = ?1
    AND EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND name_search = ?5)";
pub const INSERT_RENAMED_GRAMS: &str = "INSERT OR IGNORE INTO room_grams (gram, room_id)
 SELECT value, ?1 FROM json_each(?7)
  WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1 AND name_search = ?5)";
/// The rename, once it went ahead: the guard of `UPDATE_ROOM`, which the update leaves as it
/// was (an opening that went ahead left the room open).
pub const COUNT_RENAME: &str = "INSERT INTO write_counts (user_id, kind, window_start, count)
 SELECT ?2, 'rename', ?8, 1 FROM rooms
  WHERE room_id = ?1
    AND EXISTS (SELECT 1 FROM members WHERE room_id = ?1 AND user_id = ?2 AND admin = 1)
    AND (coalesce(?6, 0) = 0 OR open = 1 OR owner_id = ?2)
    AND NOT EXISTS (SELECT 1 FROM write_counts
                     WHERE user_id = ?2 AND kind = 'rename' AND window_start > ?8 - ?9 AND count >= ?10)
 ON CONFLICT (user_id, kind) DO UPDATE
    SET count = CASE WHEN window_start > ?8 - ?9 THEN count + 1 ELSE 1 END,
        window_start = CASE WHEN window_start > ?8 - ?9 THEN window_start ELSE ?8 END";
/// The room goes with its memberships and bans (foreign keys cascade); its object, told by
/// the event queued after it, wipes its messages.
pub const DELETE_ROOM: &str = "DELETE FROM rooms WHERE room_id = ?1 AND owner_id = ?2 AND kind = 'room'";

// Direct messages: `?1` the caller, `?2` the other person, `?3` the id of the DM's room should
// it be new, `?4` now, `?5` and `?6` the window and ceiling of DMs started. The pair is found
// ordered, `min(?1, ?2)` and `max(?1, ?2)`, as `dms` keeps it.

/// Whether the other person exists and blocked the caller, and the pair's DM, before the writes.
pub const DM_BEFORE: &str = "SELECT EXISTS (SELECT 1 FROM users WHERE user_id = ?2) AS other_exists,
       EXISTS (SELECT 1 FROM blocks WHERE user_id = ?2 AND blocked_id = ?1) AS blocked,
       (SELECT room_id FROM dms WHERE low_id = min(?1, ?2) AND high_id = max(?1, ?2)) AS room_id";
/// A new DM's room, closed and nameless, owned by its starter (who has no owner powers in it):
/// only if the pair has none, the other person exists and did not block the caller, and the
/// caller is under their ceiling of DMs started.
pub const INSERT_DM_ROOM: &str = "INSERT INTO rooms (room_id, name, name_search, open, owner_id, created_at, kind)
 SELECT ?3, '', '', 0, ?1, ?4, 'dm' FROM users
  WHERE user_id = ?2 AND ?1 <> ?2
    AND EXISTS (SELECT 1 FROM users WHERE user_id = ?1)
    AND NOT EXISTS (SELECT 1 FROM blocks WHERE user_id = ?2 AND blocked_id = ?1)
    AND NOT EXISTS (SELECT 1 FROM dms WHERE low_id = min(?1, ?2) AND high_id = max(?1, ?2))
    AND NOT EXISTS (SELECT 1 FROM write_counts
                     WHERE user_id = ?1 AND kind = 'dm' AND window_start > ?4 - ?5 AND count >= ?6)";
/// The pair's DM is that room, if it was made now; its other person is invited to it.
pub const INSERT_DM: &str = "INSERT INTO dms (low_id, high_id, room_id, started_by, at)
 SELECT min(?1, ?2), max(?1, ?2), ?3, ?1, ?4 WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?3)";
pub const INVITE_TO_DM: &str = "INSERT INTO invites (room_id, user_id, by_id, at, kind)
 SELECT ?3, ?2, ?1, ?4, 'dm' WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?3)";
pub const COUNT_DM: &str = "INSERT INTO write_counts (user_id, kind, window_start, count)
 SELECT ?1, 'dm', ?4, 1 WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?3)
 ON CONFLICT (user_id, kind) DO UPDATE
    SET count = CASE WHEN window_start > ?4 - ?5 THEN count + 1 ELSE 1 END,
        window_start = CASE WHEN window_start > ?4 - ?5 THEN window_start ELSE ?4 END";
/// The caller opens the pair's DM: they are in it from now (a new one, or one they declined
/// or left), unless the other person blocked them. Their invitation, if any, is used up.
pub const OPEN_DM: &str = "INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
 SELECT d.room_id, ?1, ?4, 1, 0, r.join_seq + 1 FROM dms AS d JOIN rooms AS r ON r.room_id = d.room_id
  WHERE d.low_id = min(?1, ?2) AND d.high_id = max(?1, ?2)
    AND NOT EXISTS (SELECT 1 FROM blocks WHERE user_id = ?2 AND blocked_id = ?1)
 ON CONFLICT (room_id, user_id) DO UPDATE
    SET present = 1, joined_at = excluded.joined_at, position = excluded.position
  WHERE members.present = 0";
pub const TAKE_UP_DM_INVITE: &str = "DELETE FROM invites
  WHERE user_id = ?1
    AND room_id = (SELECT room_id FROM dms WHERE low_id = min(?1, ?2) AND high_id = max(?1, ?2))
    AND EXISTS (SELECT 1 FROM members WHERE room_id = invites.room_id AND user_id = ?1 AND present = 1)";
/// The pair's DM, after the writes.
pub const DM_ROOM: &str = "SELECT d.room_id, m.present
  FROM dms AS d LEFT JOIN members AS m ON m.room_id = d.room_id AND m.user_id = ?1
  WHERE d.low_id = min(?1, ?2) AND d.high_id = max(?1, ?2)";
/// The DM requests of one person (`?1`), newest first: `?2` the limit, `?3` the offset.
/// A request's messages are all unread for the one it waits for (they read a DM from its start);
/// none mentions them (only present members are mentioned).
pub const REQUESTS_OF_USER: &str = "SELECT i.room_id, i.by_id AS from_id, d.first_message, i.at,
       r.last_seq, r.last_message_at, 0 AS read_seq,
       r.message_count - (SELECT count(*) FROM deleted_messages AS x WHERE x.room_id = r.room_id) AS unread,
       0 AS mentions, 0 AS marked_unread
  FROM invites AS i JOIN dms AS d ON d.room_id = i.room_id JOIN rooms AS r ON r.room_id = i.room_id
  WHERE i.user_id = ?1 AND i.kind = 'dm' ORDER BY i.at DESC, i.room_id DESC LIMIT ?2 OFFSET ?3";
pub const REQUEST_COUNT_OF_USER: &str = "SELECT count(*) AS count FROM invites WHERE user_id = ?1 AND kind = 'dm'";
/// Written by the DM's room object when its first message is posted (`?1` the room, `?2` the
/// text).
pub const FIRST_MESSAGE: &str = "UPDATE dms SET first_message = ?2 WHERE room_id = ?1 AND first_message IS NULL";

// Counts: what a room's object flushes for its members' unread counts (`rooms::flush_counts`),
// `?1` the room.

/// The room's latest message (`?2` its seq, `?3` when), how many it has had (`?4`), and where
/// a member from before read positions were kept reads from (`?5` a seq, `?6` its ordinal).
pub const FLUSH_ROOM: &str = "UPDATE rooms SET last_seq = ?2, last_message_at = ?3, message_count = ?4,
    reads_since_seq = ?5, reads_since_ordinal = ?6 WHERE room_id = ?1";
/// Read positions that moved (`?2`: a JSON array of `[user_id, read_seq, read_ordinal,
/// marked_unread]`), of members still in D1.
/// (Materialized first, so that each is a search of the members' key, not the other way round.)
pub const FLUSH_READS: &str = "WITH j AS MATERIALIZED (
    SELECT json_extract(value, '$[0]') AS user_id, json_extract(value, '$[1]') AS read_seq,
           json_extract(value, '$[2]') AS read_ordinal, json_extract(value, '$[3]') AS marked_unread
      FROM json_each(?2))
  UPDATE members SET read_seq = j.read_seq, read_ordinal = j.read_ordinal, marked_unread = j.marked_unread
    FROM j WHERE members.room_id = ?1 AND members.user_id = j.user_id";
/// Messages that mention someone, as they are now (`?2`: a JSON array of `MentionTally`).
pub const FLUSH_MENTIONED: &str =
    "INSERT INTO mentioned (room_id, seq, message_id, author_id, text, sent_at, edited_at,
    mentions, thread_id, files)
  SELECT ?1, json_extract(value, '$.seq'), json_extract(value, '$.message_id'), json_extract(value, '$.author'),
         json_extract(value, '$.text'), json_extract(value, '$.at'), json_extract(value, '$.edited_at'),
         json_extract(value, '$.mentions'), json_extract(value, '$.thread'), json_extract(value, '$.files')
    FROM json_each(?2) WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1)
  ON CONFLICT (room_id, seq) DO UPDATE SET text = excluded.text, edited_at = excluded.edited_at";
/// The people a message posted since the last flush mentions by id (`notify`: in a thread
/// that it mentions as a whole, its followers then), but its author (and any account deleted
/// since).
pub const FLUSH_MENTIONS: &str = "INSERT OR IGNORE INTO mentions (user_id, room_id, seq, author_id, at)
  SELECT u.value, ?1, json_extract(m.value, '$.seq'), json_extract(m.value, '$.author'), json_extract(m.value, '$.at')
    FROM json_each(?2) AS m, json_each(m.value, '$.notify') AS u
   WHERE json_extract(m.value, '$.fresh') = 1 AND u.value <> json_extract(m.value, '$.author')
     AND EXISTS (SELECT 1 FROM users WHERE user_id = u.value)
     AND EXISTS (SELECT 1 FROM mentioned WHERE room_id = ?1 AND seq = json_extract(m.value, '$.seq'))";
/// The members a message of the room's own line posted since the last flush mentions as the
/// whole room: those present now, but its author.
pub const FLUSH_ROOM_MENTIONS: &str = "INSERT OR IGNORE INTO mentions (user_id, room_id, seq, author_id, at)
  SELECT mb.user_id, ?1, json_extract(m.value, '$.seq'), json_extract(m.value, '$.author'),
         json_extract(m.value, '$.at')
    FROM json_each(?2) AS m JOIN members AS mb ON mb.room_id = ?1 AND mb.present = 1
   WHERE json_extract(m.value, '$.fresh') = 1 AND json_extract(m.value, '$.room') = 1
     AND json_extract(m.value, '$.thread') IS NULL AND mb.user_id <> json_extract(m.value, '$.author')
     AND EXISTS (SELECT 1 FROM mentioned WHERE room_id = ?1 AND seq = json_extract(m.value, '$.seq'))";
/// A deleted message's mentions go (`?2`: a JSON array of seqs), with their rows in `mentions`.
pub const FLUSH_DELETED_MENTIONS: &str =
    "DELETE FROM mentioned WHERE room_id = ?1 AND seq IN (SELECT value FROM json_each(?2))";
/// Replies in threads posted since the last flush (`?2`: a JSON array of `ReplyTally`): a row
/// for each follower present who has not read it.
pub const FLUSH_REPLIES: &str = "INSERT OR IGNORE INTO thread_unreads (user_id, room_id, seq)
  SELECT mb.user_id, ?1, json_extract(r.value, '$.seq')
    FROM json_each(?2) AS r, json_each(r.value, '$.followers') AS f
    JOIN members AS mb ON mb.room_id = ?1 AND mb.user_id = f.value AND mb.present = 1
   WHERE json_extract(r.value, '$.seq') > coalesce(mb.read_seq, (SELECT reads_since_seq FROM rooms WHERE room_id = ?1))";
/// The rows of replies read by those whose read position moved (`?2`, as `FLUSH_READS`).
pub const FLUSH_READ_REPLIES: &str = "DELETE FROM thread_unreads WHERE (user_id, room_id, seq) IN (
  SELECT t.user_id, t.room_id, t.seq FROM json_each(?2) AS j
    JOIN thread_unreads AS t ON t.user_id = json_extract(j.value, '$[0]') AND t.room_id = ?1
     AND t.seq <= json_extract(j.value, '$[1]'))";
/// Deleted replies' rows (`?2`: a JSON array of seqs).
pub const FLUSH_DELETED_REPLIES: &str =
    "DELETE FROM thread_unreads WHERE room_id = ?1 AND seq IN (SELECT value FROM json_each(?2))";
/// Messages deleted (`?2`: a JSON array of seqs), while the room is there.
pub const FLUSH_DELETIONS: &str = "INSERT OR IGNORE INTO deleted_messages (room_id, seq)
  SELECT ?1, value FROM json_each(?2) WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?1)";

/// What a post's mentions need of the room (`?1`, the author `?2`): whether the author is an
/// admin, and how many of the people mentioned (`?4`: a JSON array of ids) are present members.
pub const MENTIONABLE: &str = "SELECT
    coalesce((SELECT admin FROM members WHERE room_id = ?1 AND user_id = ?2 AND present = 1), 0) AS admin,
    (SELECT count(*) FROM members WHERE room_id = ?1 AND present = 1
        AND user_id IN (SELECT value FROM json_each(?4))) AS present";
/// The people a user (`?2`) blocked who are or were members of the room (`?1`): their mentions
/// do not count for the user. (`CROSS JOIN`: the user's blocks first, each looked up among the
/// members, not every member looked up among the blocks.)
pub const BLOCKED_IN_ROOM: &str = "SELECT b.blocked_id AS user_id FROM blocks AS b
  CROSS JOIN members AS mb ON mb.room_id = ?1 AND mb.user_id = b.blocked_id WHERE b.user_id = ?2";

// One's mentions across one's rooms (`?1` the user), newest first: in rooms they are present
// in, not by anyone they blocked; `?2` the page's size, `?3` (if any) the message id it starts
// before.

pub const MENTIONS_OF_USER: &str = "SELECT x.room_id, y.message_id, y.seq, y.author_id AS user_id, y.text,
       y.sent_at, y.edited_at, y.mentions, y.thread_id, y.files
  FROM mentions AS x JOIN mentioned AS y ON y.room_id = x.room_id AND y.seq = x.seq
  WHERE x.user_id = ?1
    AND EXISTS (SELECT 1 FROM members AS mb WHERE mb.room_id = x.room_id AND mb.user_id = ?1 AND mb.present = 1)
    AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE b.user_id = ?1 AND b.blocked_id = x.author_id)
  ORDER BY x.at DESC, x.room_id DESC, x.seq DESC LIMIT ?2";
pub const MENTIONS_OF_USER_BEFORE: &str = "SELECT x.room_id, y.message_id, y.seq, y.author_id AS user_id, y.text,
       y.sent_at, y.edited_at, y.mentions, y.thread_id, y.files
  FROM mentions AS x JOIN mentioned AS y ON y.room_id = x.room_id AND y.seq = x.seq
  WHERE x.user_id = ?1
    AND (x.at, x.room_id, x.seq) < (SELECT c.at, c.room_id, c.seq FROM mentioned AS w
          JOIN mentions AS c ON c.user_id = ?1 AND c.room_id = w.room_id AND c.seq = w.seq WHERE w.message_id = ?3)
    AND EXISTS (SELECT 1 FROM members AS mb WHERE mb.room_id = x.room_id AND mb.user_id = ?1 AND mb.present = 1)
    AND NOT EXISTS (SELECT 1 FROM blocks AS b WHERE b.user_id = ?1 AND b.blocked_id = x.author_id)
  ORDER BY x.at DESC, x.room_id DESC, x.seq DESC LIMIT ?2";
/// Whether `?2` is a message that mentions the user `?1`.
pub const MENTION_CURSOR: &str = "SELECT count(*) AS count FROM mentioned AS w
  JOIN mentions AS c ON c.user_id = ?1 AND c.room_id = w.room_id AND c.seq = w.seq WHERE w.message_id = ?2";
