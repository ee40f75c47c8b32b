-- Every lookup by an index: the directory's name search, and the foreign-key cascades of an
-- account deletion.

-- A user's memberships, present or not (the cascade of a user's deletion needs them all);
-- present ones in join order serve "my rooms".
DROP INDEX members_by_user;
CREATE INDEX members_by_user ON members (user_id, present, joined_at, room_id);
CREATE INDEX bans_by_user ON bans (user_id);

-- The directory, open rooms most members first, as an index search on open = 1.
DROP INDEX rooms_directory;
CREATE INDEX rooms_directory ON rooms (open, user_count DESC, room_id);

-- The distinct 1-, 2- and 3-character pieces of each room's case-folded name (name_search),
-- written by the service beside the name. A search for q looks up q's first (up to three)
-- characters here, then checks the whole of q against those rooms' names only.
CREATE TABLE room_grams (
    gram    TEXT NOT NULL CHECK (length(gram) BETWEEN 1 AND 3),
    room_id TEXT NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    PRIMARY KEY (gram, room_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX room_grams_by_room ON room_grams (room_id);

WITH RECURSIVE pieces (room_id, name, start, size) AS (
    SELECT room_id, name_search, 1, 1 FROM rooms WHERE length(name_search) > 0
    UNION ALL
    SELECT room_id, name,
           CASE WHEN size = 3 OR start + size > length(name) THEN start + 1 ELSE start END,
           CASE WHEN size = 3 OR start + size > length(name) THEN 1 ELSE size + 1 END
      FROM pieces
     WHERE start + CASE WHEN size = 3 OR start + size > length(name) THEN 1 ELSE 0 END <= length(name)
)
INSERT OR IGNORE INTO room_grams (gram, room_id) SELECT substr(name, start, size), room_id FROM pieces;
