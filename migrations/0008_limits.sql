-- Ceilings on what one user may write, bans that remember whether the owner placed them, and
-- a name-search index of one piece per position of a name.

-- Each user's limited writes of one kind (posts, room creations, renames, additions of
-- others) in a fixed window that starts with the window's first write: one counter per user
-- and kind, so that a limit is checked without counting over history. It goes with the user.
CREATE TABLE write_counts (
    user_id      TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('post', 'room', 'rename', 'addition')),
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (user_id, kind)
) STRICT, WITHOUT ROWID;

-- How many rooms each user owns, kept like the other counters, for the cap on owned rooms.
ALTER TABLE users ADD COLUMN owned_count INTEGER NOT NULL DEFAULT 0 CHECK (owned_count >= 0);
UPDATE users SET owned_count = (SELECT count(*) FROM rooms WHERE rooms.owner_id = users.user_id);

CREATE TRIGGER rooms_owned_counted_on_insert AFTER INSERT ON rooms BEGIN
    UPDATE users SET owned_count = owned_count + 1 WHERE user_id = NEW.owner_id;
END;

CREATE TRIGGER rooms_owned_counted_on_update AFTER UPDATE OF owner_id ON rooms
WHEN NEW.owner_id <> OLD.owner_id BEGIN
    UPDATE users SET owned_count = owned_count - 1 WHERE user_id = OLD.owner_id;
    UPDATE users SET owned_count = owned_count + 1 WHERE user_id = NEW.owner_id;
END;

CREATE TRIGGER rooms_owned_counted_on_delete AFTER DELETE ON rooms BEGIN
    UPDATE users SET owned_count = owned_count - 1 WHERE user_id = OLD.owner_id;
END;

-- A ban the room's owner placed is lifted only by the owner. Bans placed before are admins'.
ALTER TABLE bans ADD COLUMN by_owner INTEGER NOT NULL DEFAULT 0 CHECK (by_owner IN (0, 1));

-- The name search indexes, at each position of a case-folded name, the piece of up to three
-- characters that starts there (a name of n characters has at most n pieces, where the 1-, 2-
-- and 3-character pieces of 0005 made up to 3n - 3). A query of three characters or more
-- looks its first three up; a shorter one looks up the pieces that start with it.
DELETE FROM room_grams;

WITH RECURSIVE positions (room_id, name, start) AS (
    SELECT room_id, name_search, 1 FROM rooms WHERE length(name_search) > 0
    UNION ALL
    SELECT room_id, name, start + 1 FROM positions WHERE start < length(name)
)
INSERT OR IGNORE INTO room_grams (gram, room_id) SELECT substr(name, start, 3), room_id FROM positions;
