//! The statements that queue and hand over the rooms' events.

// Events for the rooms' objects (`store::outbox`), queued in the transaction of the change
// they describe. One queued right after a room write reads `changes()`: the rows that write
// touched, so that a write its guard refused queues nothing.

pub const QUEUE_MEMBER_JOINED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'member_joined', 'user_id', ?3) WHERE changes() > 0";
/// After `INVITE`: the invitation, if it was made now.
pub const QUEUE_MEMBER_INVITED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'member_invited', 'user_id', ?3, 'by', ?2) WHERE changes() > 0";
/// After `WITHDRAW_INVITE` or `DELETE_BANNED_INVITE`: the invitation is gone.
pub const QUEUE_INVITE_WITHDRAWN: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'invite_withdrawn', 'user_id', ?3) WHERE changes() > 0";
pub const QUEUE_MEMBER_LEFT: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'member_left', 'user_id', ?3, 'reason', CASE WHEN ?2 = ?3 THEN 'left' ELSE 'removed' END)
  WHERE changes() > 0";
pub const QUEUE_MEMBER_BANNED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'member_left', 'user_id', ?3, 'reason', 'banned') WHERE changes() > 0";
/// After `QUEUE_MEMBER_BANNED`, which queued nothing when the banned user was not a present
/// member: then, if this ban (`?4`, its time) was placed, their sockets are told apart.
pub const QUEUE_USER_BANNED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'user_banned', 'user_id', ?3)
  WHERE changes() = 0 AND EXISTS (SELECT 1 FROM bans WHERE room_id = ?1 AND user_id = ?3 AND banned_at = ?4)";
pub const QUEUE_USER_UNBANNED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'user_unbanned', 'user_id', ?3) WHERE changes() > 0";
pub const QUEUE_ADMIN_ADDED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'admin_added', 'user_id', ?3) WHERE changes() > 0";
pub const QUEUE_ADMIN_REMOVED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'admin_removed', 'user_id', ?3) WHERE changes() > 0";
pub const QUEUE_OWNER_CHANGED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'owner_changed', 'owner', ?3) WHERE changes() > 0";
/// The room as the update left it.
pub const QUEUE_ROOM_UPDATED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'room_updated', 'room', json_object(
        'open', json(CASE open WHEN 1 THEN 'true' ELSE 'false' END), 'name', name,
        'user_count', user_count, 'owner', owner_id, 'kind', kind))
   FROM rooms WHERE room_id = ?1 AND changes() > 0";
pub const QUEUE_ROOM_DELETED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?1, json_object('type', 'room_deleted') WHERE changes() > 0";
/// An account's deletion (`?1` the user), before `HAND_OVER_OWNED_ROOMS`: the rooms it hands
/// over, to whom.
pub const QUEUE_OWNED_ROOMS_HANDED_OVER: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'owner_changed', 'owner', (
        SELECT m.user_id FROM members AS m
         WHERE m.room_id = rooms.room_id AND m.present = 1 AND m.user_id <> ?1
         ORDER BY m.admin DESC, m.position LIMIT 1))
   FROM rooms
  WHERE owner_id = ?1
    AND EXISTS (SELECT 1 FROM members AS m WHERE m.room_id = rooms.room_id AND m.present = 1 AND m.user_id <> ?1)";
/// Before `NEW_OWNERS_ARE_ADMINS`: the admins it makes.
pub const QUEUE_NEW_OWNERS_ADMINS: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'admin_added', 'user_id', user_id) FROM members
  WHERE admin = 0
    AND (room_id, user_id) IN (
        SELECT room_id, owner_id FROM rooms
         WHERE kind = 'room' AND room_id IN (SELECT room_id FROM members WHERE user_id = ?1 AND present = 1))";
/// Before `DELETE_USER`: the other person of each of the user's DMs may no longer post there
/// (nobody would read it).
pub const QUEUE_DM_PEERS_MUTED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'muted', 'user_id', user_id) FROM dm_voices WHERE peer_id = ?1 AND NOT told";
/// Before `DELETE_OWNED_ROOMS`: the rooms it deletes.
pub const QUEUE_OWNED_ROOMS_DELETED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'room_deleted') FROM rooms WHERE owner_id = ?1";
/// Before `DELETE_USER`: the rooms the user leaves.
pub const QUEUE_USER_LEFT: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'member_left', 'user_id', ?1, 'reason', 'left') FROM members
  WHERE user_id = ?1 AND present = 1";
/// A room's pending events, oldest first, for its object.
pub const ROOM_OUTBOX: &str = "SELECT id, room_id, event FROM room_outbox WHERE room_id = ?1 ORDER BY id LIMIT ?2";
/// The outbox's newest id (0 when empty): read first in a batch that queues events for many
/// rooms, so that the events it queued are those above it.
pub const OUTBOX_NEWEST: &str = "SELECT coalesce(max(id), 0) AS id FROM room_outbox";
/// Read last in such a batch: the pending events (the first `?2` of each) of every room with
/// an event among the newest `?1` ids.
pub const RECENT_ROOMS_OUTBOX: &str = "SELECT id, room_id, event FROM (
        SELECT id, room_id, event, row_number() OVER (PARTITION BY room_id ORDER BY id) AS n
          FROM room_outbox
         WHERE room_id IN (SELECT room_id FROM room_outbox
                            WHERE id > (SELECT coalesce(max(id), 0) FROM room_outbox) - ?1))
  WHERE n <= ?2 ORDER BY id";
/// The pending events (the first `?2` of each) of the rooms `?1` (a JSON array of ids).
pub const ROOMS_OUTBOX: &str = "SELECT id, room_id, event FROM (
        SELECT o.id, o.room_id, o.event, row_number() OVER (PARTITION BY o.room_id ORDER BY o.id) AS n
          FROM json_each(?1) AS r JOIN room_outbox AS o ON o.room_id = r.value)
  WHERE n <= ?2 ORDER BY id";
/// A page of the outbox after id `?1`: which rooms have events pending.
pub const OUTBOX_PAGE: &str = "SELECT id, room_id FROM room_outbox WHERE id > ?1 ORDER BY id LIMIT ?2";
/// The events the rooms' objects have applied: `?1` a JSON array of `[room_id, id]`, each
/// room's events up to that id.
pub const OUTBOX_APPLIED: &str = "DELETE FROM room_outbox WHERE id IN (
        SELECT o.id FROM json_each(?1) AS a
          JOIN room_outbox AS o
            ON o.room_id = json_extract(a.value, '$[0]') AND o.id <= json_extract(a.value, '$[1]'))";
/// The key (`?1`, a hash) opened a socket or took a ticket in the room (`?2`), so that its
/// session's end reaches the room.
pub const LIVE_KEY: &str = "INSERT OR IGNORE INTO live_keys (key_hash, room_id)
 SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM rooms WHERE room_id = ?2)";
/// When the key's session ends, unless it ends sooner.
pub const SESSION_EXPIRY: &str = "SELECT expires_at FROM sessions WHERE key_hash = ?1";

// Direct messages: whether each of a DM's two people may post (`dm_voices`), told to its
// object by the writes that change it: each queues what changed (`muted <> told`), then
// `TELL_..._VOICES` notes it as told, so that a write that changed nothing queues nothing.

/// After a join, a leave or an invitation's end in room `?1`, if it is a DM.
pub const QUEUE_DM_VOICES: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', CASE WHEN muted THEN 'muted' ELSE 'unmuted' END, 'user_id', user_id)
   FROM dm_voices WHERE room_id = ?1 AND muted <> told";
pub const TELL_DM_VOICES: &str = "UPDATE dms
    SET low_muted = (SELECT muted FROM dm_voices AS v WHERE v.room_id = dms.room_id AND v.user_id = dms.low_id),
        high_muted = (SELECT muted FROM dm_voices AS v WHERE v.room_id = dms.room_id AND v.user_id = dms.high_id)
  WHERE room_id = ?1";
/// After a block or unblock between `?1` and `?2`, or the opening of their DM.
pub const QUEUE_PAIR_VOICES: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', CASE WHEN muted THEN 'muted' ELSE 'unmuted' END, 'user_id', user_id)
   FROM dm_voices
  WHERE room_id = (SELECT room_id FROM dms WHERE low_id = min(?1, ?2) AND high_id = max(?1, ?2)) AND muted <> told";
pub const TELL_PAIR_VOICES: &str = "UPDATE dms
    SET low_muted = (SELECT muted FROM dm_voices AS v WHERE v.room_id = dms.room_id AND v.user_id = dms.low_id),
        high_muted = (SELECT muted FROM dm_voices AS v WHERE v.room_id = dms.room_id AND v.user_id = dms.high_id)
  WHERE low_id = min(?1, ?2) AND high_id = max(?1, ?2)";
/// After `INSERT_DM_ROOM`, `INSERT_DM` and `INVITE_TO_DM` (`?3` the new room): the room's object
/// learns it is a DM (it then tells D1 its first message), and its sockets the invitation.
pub const QUEUE_DM_STARTED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?3, json_object('type', 'dm_started', 'room_id', ?3) WHERE EXISTS (SELECT 1 FROM dms WHERE room_id = ?3)";
pub const QUEUE_DM_INVITED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT ?3, json_object('type', 'member_invited', 'user_id', ?2, 'by', ?1)
  WHERE EXISTS (SELECT 1 FROM dms WHERE room_id = ?3)";
/// After `OPEN_DM`: the caller joined, if they were not in.
pub const QUEUE_DM_JOINED: &str = "INSERT INTO room_outbox (room_id, event)
 SELECT room_id, json_object('type', 'member_joined', 'user_id', ?1)
   FROM dms WHERE low_id = min(?1, ?2) AND high_id = max(?1, ?2) AND changes() > 0";
