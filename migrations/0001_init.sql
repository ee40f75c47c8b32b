-- Users, rooms, memberships and session records.
-- Times are milliseconds since the Unix epoch. Booleans are 0/1 integers.

CREATE TABLE users (
    user_id    TEXT    NOT NULL PRIMARY KEY CHECK (length(user_id) = 36),
    username   TEXT    NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
    -- Self-describing PBKDF2 hash (algorithm$iterations$salt$hash); never the password.
    password   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE rooms (
    room_id     TEXT    NOT NULL PRIMARY KEY CHECK (length(room_id) = 36),
    name        TEXT    NOT NULL CHECK (length(name) <= 100),
    open        INTEGER NOT NULL CHECK (open IN (0, 1)),
    owner_id    TEXT    NOT NULL REFERENCES users (user_id),
    -- Maintained by the triggers below; never written by the application.
    user_count  INTEGER NOT NULL DEFAULT 0 CHECK (user_count >= 0),
    admin_count INTEGER NOT NULL DEFAULT 0 CHECK (admin_count >= 0),
    created_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX rooms_by_owner ON rooms (owner_id);

-- One row per user who ever joined a room; leaving keeps the row with present = 0.
CREATE TABLE members (
    room_id   TEXT    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    user_id   TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    joined_at INTEGER NOT NULL,
    present   INTEGER NOT NULL CHECK (present IN (0, 1)),
    admin     INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    CHECK (admin = 0 OR present = 1),
    PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;

-- Members and admins of a room in join order; the rooms of a user.
CREATE INDEX members_present ON members (room_id, joined_at, user_id) WHERE present = 1;
CREATE INDEX members_admins ON members (room_id, joined_at, user_id) WHERE admin = 1;
CREATE INDEX members_by_user ON members (user_id, joined_at, room_id) WHERE present = 1;

-- Counters change in the same statement as the membership they count.
CREATE TRIGGER members_counted_on_insert AFTER INSERT ON members BEGIN
    UPDATE rooms
       SET user_count = user_count + NEW.present, admin_count = admin_count + NEW.admin
     WHERE room_id = NEW.room_id;
END;

CREATE TRIGGER members_counted_on_update AFTER UPDATE OF present, admin ON members BEGIN
    UPDATE rooms
       SET user_count = user_count + NEW.present - OLD.present,
           admin_count = admin_count + NEW.admin - OLD.admin
     WHERE room_id = NEW.room_id;
END;

CREATE TRIGGER members_counted_on_delete AFTER DELETE ON members BEGIN
    UPDATE rooms
       SET user_count = user_count - OLD.present, admin_count = admin_count - OLD.admin
     WHERE room_id = OLD.room_id;
END;

-- One row per session key, named by the key's SHA-256 (never the key), so that all of a
-- user's keys can be found. Workers KV holds the same hash as the fast path.
CREATE TABLE sessions (
    key_hash   TEXT    NOT NULL PRIMARY KEY CHECK (length(key_hash) = 64),
    user_id    TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_by_user ON sessions (user_id, expires_at);
