-- Attention: what a member's unread count needs, kept without a write per message or per
-- member. A room's object numbers its messages (an ordinal: the first message posted is 1,
-- deleted ones keep theirs) and flushes here, at most every few seconds and in one batch, the
-- room's latest message, how many it has had, the messages deleted since, and the read
-- positions that moved. Then a member's unread count is
--   message_count - read_ordinal - (deleted messages after read_seq)
-- (the README, "Unread, exactly"): two columns and an index range over deletions.

-- The room's latest message (its seq; when it was posted, in ms) and how many it has had.
ALTER TABLE rooms ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN last_message_at INTEGER;
ALTER TABLE rooms ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
-- Where a member from before read positions were kept reads from (the room's object says).
ALTER TABLE rooms ADD COLUMN reads_since_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN reads_since_ordinal INTEGER NOT NULL DEFAULT 0;

-- A member's read position: the seq they read up to, the ordinal of the last message at or
-- before it, and whether they marked the room unread. NULL: from the room's reads_since.
ALTER TABLE members ADD COLUMN read_seq INTEGER;
ALTER TABLE members ADD COLUMN read_ordinal INTEGER;
ALTER TABLE members ADD COLUMN marked_unread INTEGER NOT NULL DEFAULT 0 CHECK (marked_unread IN (0, 1));

-- Deleted messages, by seq: an unread count subtracts those after the read position.
CREATE TABLE deleted_messages (
    room_id TEXT    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (room_id, seq)
) STRICT, WITHOUT ROWID;

-- Someone who joins a room reads from where it stands (as far as D1 was told): what came
-- before is not unread. In a DM a person reads from its start, and from where they were if
-- they come back. The room's object, told of the join, flushes the exact position soon after.
CREATE TRIGGER members_read_from_join AFTER INSERT ON members WHEN NEW.present = 1 BEGIN
    UPDATE members
       SET read_seq = (SELECT CASE r.kind WHEN 'dm' THEN 0 ELSE r.last_seq END FROM rooms AS r
                        WHERE r.room_id = NEW.room_id),
           read_ordinal = (SELECT CASE r.kind WHEN 'dm' THEN 0 ELSE r.message_count END FROM rooms AS r
                            WHERE r.room_id = NEW.room_id),
           marked_unread = 0
     WHERE room_id = NEW.room_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER members_read_from_rejoin AFTER UPDATE OF present ON members
    WHEN NEW.present = 1 AND OLD.present = 0 BEGIN
    UPDATE members
       SET read_seq = (SELECT CASE r.kind WHEN 'dm' THEN coalesce(NEW.read_seq, 0) ELSE r.last_seq END
                         FROM rooms AS r WHERE r.room_id = NEW.room_id),
           read_ordinal = (SELECT CASE r.kind WHEN 'dm' THEN coalesce(NEW.read_ordinal, 0) ELSE r.message_count END
                             FROM rooms AS r WHERE r.room_id = NEW.room_id),
           marked_unread = 0
     WHERE room_id = NEW.room_id AND user_id = NEW.user_id;
END;
