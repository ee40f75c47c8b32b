-- Replies in threads in the counts (the README, "Unread, exactly"). One read position per
-- room covers its threads too. A reply counts toward the unread of those who followed its
-- thread when it came (who started it, posted in it or were mentioned in it), but its author:
-- the room's object flushes each reply with its followers, and D1 keeps one row per follower
-- still to read it. A follower's read position that moves past a row drops it, so the table
-- holds only what is unread, and a count is an index range over one's own rows.
CREATE TABLE thread_unreads (
    user_id TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    room_id TEXT    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (user_id, room_id, seq)
) STRICT, WITHOUT ROWID;

-- A deleted reply's rows go.
CREATE INDEX thread_unreads_of_message ON thread_unreads (room_id, seq);

-- A reply in a thread that mentions someone: its root's id, for the list of one's mentions.
ALTER TABLE mentioned ADD COLUMN thread_id TEXT;
