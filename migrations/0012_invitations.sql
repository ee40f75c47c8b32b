-- Invitations: nobody enters a room without their own consent. An admin invites; the invitee
-- joins by themself (a closed room lets them in with it) or declines; an admin may take it back.
CREATE TABLE invites (
    room_id TEXT    NOT NULL REFERENCES rooms (room_id) ON DELETE CASCADE,
    user_id TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    by_id   TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
) STRICT, WITHOUT ROWID;

-- A person's invitations, newest first; an inviter's (their account's deletion takes them).
CREATE INDEX invites_of_user ON invites (user_id, at, room_id);
CREATE INDEX invites_by ON invites (by_id);

-- Invitations are counted against INVITES_PER_HOUR as additions were: the kinds of write_counts
-- are a CHECK, so the table is made anew, its 'addition' counters carried over as 'invite'.
CREATE TABLE write_counts_new (
    user_id      TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('post', 'room', 'rename', 'invite', 'dm')),
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (user_id, kind)
) STRICT, WITHOUT ROWID;
INSERT INTO write_counts_new (user_id, kind, window_start, count)
    SELECT user_id, CASE kind WHEN 'addition' THEN 'invite' ELSE kind END, window_start, count FROM write_counts;
DROP TABLE write_counts;
ALTER TABLE write_counts_new RENAME TO write_counts;
