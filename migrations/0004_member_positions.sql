-- Join order as a number, and counts per block of it, so that a members page at any offset
-- reads about the same number of rows: offset 99,000 of a 100,000-member room skips a few
-- hundred index entries instead of 99,000.

-- Each join (and each rejoin) takes the room's next position; present members in position
-- order are the join order.
ALTER TABLE rooms ADD COLUMN join_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

UPDATE members SET position = (
    SELECT ranked.n FROM (
        SELECT room_id, user_id, row_number() OVER (PARTITION BY room_id ORDER BY joined_at, user_id) AS n
          FROM members) AS ranked
     WHERE ranked.room_id = members.room_id AND ranked.user_id = members.user_id);
UPDATE rooms SET join_seq = (SELECT coalesce(max(position), 0) FROM members WHERE members.room_id = rooms.room_id);

-- Covering (it holds user_id, the key's second half), so paging never reads table rows.
CREATE INDEX members_in_order ON members (room_id, present, position, user_id);
DROP INDEX members_present;
DROP INDEX members_admins;
CREATE INDEX members_admins ON members (room_id, admin, position, user_id);

CREATE TRIGGER members_positions_taken_on_insert AFTER INSERT ON members BEGIN
    UPDATE rooms SET join_seq = NEW.position WHERE room_id = NEW.room_id AND join_seq < NEW.position;
END;

CREATE TRIGGER members_positions_taken_on_update AFTER UPDATE OF position ON members BEGIN
    UPDATE rooms SET join_seq = NEW.position WHERE room_id = NEW.room_id AND join_seq < NEW.position;
END;

-- Present members per block of 1024 positions (position >> 10), kept by triggers like the
-- other counters.
CREATE TABLE member_blocks (
    room_id TEXT    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    block   INTEGER NOT NULL,
    present INTEGER NOT NULL CHECK (present >= 0),
    PRIMARY KEY (room_id, block)
) STRICT, WITHOUT ROWID;

INSERT INTO member_blocks (room_id, block, present)
SELECT room_id, position >> 10, count(*) FROM members WHERE present = 1 GROUP BY room_id, position >> 10;

CREATE TRIGGER member_blocks_counted_on_insert AFTER INSERT ON members WHEN NEW.present = 1 BEGIN
    INSERT INTO member_blocks (room_id, block, present) VALUES (NEW.room_id, NEW.position >> 10, 1)
        ON CONFLICT (room_id, block) DO UPDATE SET present = present + 1;
END;

CREATE TRIGGER member_blocks_counted_on_update AFTER UPDATE OF present, position ON members BEGIN
    UPDATE member_blocks SET present = present - OLD.present
     WHERE room_id = OLD.room_id AND block = OLD.position >> 10;
    INSERT INTO member_blocks (room_id, block, present) VALUES (NEW.room_id, NEW.position >> 10, NEW.present)
        ON CONFLICT (room_id, block) DO UPDATE SET present = present + NEW.present;
END;

CREATE TRIGGER member_blocks_counted_on_delete AFTER DELETE ON members WHEN OLD.present = 1 BEGIN
    UPDATE member_blocks SET present = present - 1 WHERE room_id = OLD.room_id AND block = OLD.position >> 10;
END;
