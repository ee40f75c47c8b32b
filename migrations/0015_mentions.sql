-- Mentions: a message may mention present members by id, or (an admin's) the whole room. The
-- room's object keeps its messages; it flushes here, with the counts (0014), each mentioning
-- message as it is now (for one's list of mentions across rooms) and one row per person it
-- mentions (for their mention counts): the whole room's members present at the flush.

-- A message that mentions someone, as it is now (its text follows edits; a deleted one goes).
CREATE TABLE mentioned (
    room_id    TEXT    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    message_id TEXT    NOT NULL,
    author_id  TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    sent_at    INTEGER NOT NULL,
    edited_at  INTEGER,
    -- Whom it mentions, as the room's object keeps it: {"users": [...], "room": true}.
    mentions   TEXT    NOT NULL,
    PRIMARY KEY (room_id, seq)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX mentioned_by_id ON mentioned (message_id);

-- Each person a message mentions (never its author), with the author (a blocker does not count
-- what those they blocked wrote) and when it was posted (the list is newest first).
CREATE TABLE mentions (
    user_id   TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    room_id   TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    author_id TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (user_id, room_id, seq),
    FOREIGN KEY (room_id, seq) REFERENCES mentioned (room_id, seq) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX mentions_by_time ON mentions (user_id, at, room_id, seq);
CREATE INDEX mentions_of_message ON mentions (room_id, seq);
