-- Blocks: a person keeps another away from them. A blocked user cannot start or post in a direct
-- message with the blocker, nor invite them anywhere; rooms they share stay shared (the web
-- client hides the blocked person's messages behind a toggle).
CREATE TABLE blocks (
    user_id    TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    blocked_id TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    CHECK (user_id <> blocked_id),
    PRIMARY KEY (user_id, blocked_id)
) STRICT, WITHOUT ROWID;

-- A person's blocks, newest first; and who blocked a person (the checks of DMs and invitations).
CREATE INDEX blocks_by_time ON blocks (user_id, at, blocked_id);
CREATE INDEX blocks_of ON blocks (blocked_id, user_id);
