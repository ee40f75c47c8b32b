-- Handles: the unique names people find each other and log in by. Existing users have none
-- until they set one.

-- Lowercase (the service folds input), unique; NULL for a user without one (a UNIQUE index
-- holds any number of NULLs). The counter of handle changes is the user's own, in the window
-- that started with its first change: `HANDLE_CHANGES_PER_DAY` is checked and counted by the
-- change's own UPDATE.
ALTER TABLE users ADD COLUMN handle TEXT
    CHECK (handle IS NULL OR (length(handle) BETWEEN 3 AND 32 AND handle = lower(handle)));
ALTER TABLE users ADD COLUMN handle_changes INTEGER NOT NULL DEFAULT 0 CHECK (handle_changes >= 0);
ALTER TABLE users ADD COLUMN handle_window_start INTEGER NOT NULL DEFAULT 0;

CREATE UNIQUE INDEX users_by_handle ON users (handle);

-- A handle its owner gave up (changed, or deleted the account) is held for them for 30 days:
-- no one else may take it (they could pass for its former owner); its former owner may take
-- it back. A row older than that holds nothing, and goes when the handle is next taken.
CREATE TABLE released_handles (
    handle      TEXT    NOT NULL PRIMARY KEY,
    -- The former owner; no foreign key: a deleted account's handle is held all the same.
    user_id     TEXT    NOT NULL,
    released_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Never holds a row. A sign-up or a handle change inserts one here when its handle is taken
-- or held for someone else; the CHECK refuses it, which fails the whole batch (nothing is
-- written), and the service answers 409.
CREATE TABLE handle_guard (
    taken INTEGER NOT NULL CONSTRAINT handle_is_taken CHECK (taken = 0)
) STRICT;

CREATE INDEX released_handles_by_age ON released_handles (released_at);
