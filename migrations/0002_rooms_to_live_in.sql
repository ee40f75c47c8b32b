-- Moderation (bans), messages, the room directory and each user's own rooms.

-- The lower-case name that directory searches match (folded in Rust: Unicode-aware).
ALTER TABLE rooms ADD COLUMN name_search TEXT NOT NULL DEFAULT '';
UPDATE rooms SET name_search = lower(name);
-- The sequence number of the room's latest message: messages are ordered by it exactly.
ALTER TABLE rooms ADD COLUMN message_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN ban_count INTEGER NOT NULL DEFAULT 0 CHECK (ban_count >= 0);

-- The directory: open rooms, most members first.
CREATE INDEX rooms_directory ON rooms (user_count DESC, room_id) WHERE open = 1;

-- How many rooms each user is a present member of, kept like the rooms' counters.
ALTER TABLE users ADD COLUMN room_count INTEGER NOT NULL DEFAULT 0 CHECK (room_count >= 0);
UPDATE users SET room_count = (SELECT count(*) FROM members WHERE members.user_id = users.user_id AND present = 1);

CREATE TRIGGER members_counted_for_user_on_insert AFTER INSERT ON members WHEN NEW.present = 1 BEGIN
    UPDATE users SET room_count = room_count + 1 WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER members_counted_for_user_on_update AFTER UPDATE OF present ON members
WHEN NEW.present <> OLD.present BEGIN
    UPDATE users SET room_count = room_count + NEW.present - OLD.present WHERE user_id = NEW.user_id;
END;

CREATE TRIGGER members_counted_for_user_on_delete AFTER DELETE ON members WHEN OLD.present = 1 BEGIN
    UPDATE users SET room_count = room_count - 1 WHERE user_id = OLD.user_id;
END;

-- Single-row counters that would otherwise need a scan.
CREATE TABLE counters (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL CHECK (value >= 0)
) STRICT, WITHOUT ROWID;

INSERT INTO counters (name, value) VALUES ('open_rooms', (SELECT count(*) FROM rooms WHERE open = 1));

CREATE TRIGGER open_rooms_counted_on_insert AFTER INSERT ON rooms WHEN NEW.open = 1 BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'open_rooms';
END;

CREATE TRIGGER open_rooms_counted_on_update AFTER UPDATE OF open ON rooms WHEN NEW.open <> OLD.open BEGIN
    UPDATE counters SET value = value + NEW.open - OLD.open WHERE name = 'open_rooms';
END;

CREATE TRIGGER open_rooms_counted_on_delete AFTER DELETE ON rooms WHEN OLD.open = 1 BEGIN
    UPDATE counters SET value = value - 1 WHERE name = 'open_rooms';
END;

-- A ban keeps a user out of a room until it is lifted; it outlives their membership row.
CREATE TABLE bans (
    room_id   TEXT    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    user_id   TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    banned_at INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX bans_in_order ON bans (room_id, banned_at, user_id);

CREATE TRIGGER bans_counted_on_insert AFTER INSERT ON bans BEGIN
    UPDATE rooms SET ban_count = ban_count + 1 WHERE room_id = NEW.room_id;
END;

CREATE TRIGGER bans_counted_on_delete AFTER DELETE ON bans BEGIN
    UPDATE rooms SET ban_count = ban_count - 1 WHERE room_id = OLD.room_id;
END;

-- Messages, numbered per room (seq) so that their order is exact even within a millisecond.
-- user_id has no foreign key: a deleted account's messages stay in the room's history.
CREATE TABLE messages (
    room_id    TEXT    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL CHECK (seq > 0),
    message_id TEXT    NOT NULL UNIQUE CHECK (length(message_id) = 36),
    user_id    TEXT    NOT NULL,
    text       TEXT    NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    sent_at    INTEGER NOT NULL,
    PRIMARY KEY (room_id, seq)
) STRICT;

CREATE TRIGGER messages_numbered AFTER INSERT ON messages BEGIN
    UPDATE rooms SET message_seq = NEW.seq WHERE room_id = NEW.room_id;
END;
