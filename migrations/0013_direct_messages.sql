-- Direct messages, with consent: one room per pair of people, of kind 'dm'. Its starter is a
-- member; the other person is invited until they accept (join) or decline (leave). A DM has no
-- owner powers: nobody adds, invites, bans, renames, opens, hands over or deletes.

ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'dm'));

-- The one DM of each pair, the pair ordered (low_id < high_id) so that it has one key whoever
-- starts it. `first_message`: the text of its first message, for the other person's requests
-- (written by the room's object when that message is posted).
CREATE TABLE dms (
    low_id        TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    high_id       TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    room_id       TEXT    NOT NULL UNIQUE REFERENCES rooms (room_id) ON DELETE CASCADE,
    started_by    TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    first_message TEXT,
    low_muted     INTEGER NOT NULL DEFAULT 0 CHECK (low_muted IN (0, 1)),
    high_muted    INTEGER NOT NULL DEFAULT 0 CHECK (high_muted IN (0, 1)),
    CHECK (low_id < high_id),
    CHECK (started_by IN (low_id, high_id)),
    PRIMARY KEY (low_id, high_id)
) STRICT, WITHOUT ROWID;

-- The DMs of a person whose id is the higher of the pair (the key serves the lower).
CREATE INDEX dms_of_high ON dms (high_id);

-- Whether each person of a DM may post in it now (`muted`): not when the other person is
-- neither a present member nor invited (they declined or left), nor when the other person
-- blocked them. `told`: what the room's object was last told of it (`muted` / `unmuted`,
-- queued by the writes that change it, and only then), kept in `dms` (`low_muted`, `high_muted`).
CREATE VIEW dm_voices AS
SELECT d.room_id, d.low_id AS user_id, d.high_id AS peer_id,
       NOT (EXISTS (SELECT 1 FROM members AS m WHERE m.room_id = d.room_id AND m.user_id = d.high_id AND m.present = 1)
            OR EXISTS (SELECT 1 FROM invites AS i WHERE i.room_id = d.room_id AND i.user_id = d.high_id))
       OR EXISTS (SELECT 1 FROM blocks AS b WHERE b.user_id = d.high_id AND b.blocked_id = d.low_id) AS muted,
       d.low_muted AS told
  FROM dms AS d
UNION ALL
SELECT d.room_id, d.high_id, d.low_id,
       NOT (EXISTS (SELECT 1 FROM members AS m WHERE m.room_id = d.room_id AND m.user_id = d.low_id AND m.present = 1)
            OR EXISTS (SELECT 1 FROM invites AS i WHERE i.room_id = d.room_id AND i.user_id = d.low_id))
       OR EXISTS (SELECT 1 FROM blocks AS b WHERE b.user_id = d.low_id AND b.blocked_id = d.high_id),
       d.high_muted
  FROM dms AS d;

-- Invitations to rooms and requests to DMs are listed apart: the kind is kept with each.
ALTER TABLE invites ADD COLUMN kind TEXT NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'dm'));
DROP INDEX invites_of_user;
CREATE INDEX invites_of_user ON invites (user_id, kind, at, room_id);

-- A DM is owned by nobody's count: the ceiling of owned rooms counts rooms only.
DROP TRIGGER rooms_owned_counted_on_insert;
DROP TRIGGER rooms_owned_counted_on_update;
DROP TRIGGER rooms_owned_counted_on_delete;
CREATE TRIGGER rooms_owned_counted_on_insert AFTER INSERT ON rooms WHEN NEW.kind = 'room' BEGIN
    UPDATE users SET owned_count = owned_count + 1 WHERE user_id = NEW.owner_id;
END;
CREATE TRIGGER rooms_owned_counted_on_update AFTER UPDATE OF owner_id ON rooms
    WHEN NEW.owner_id <> OLD.owner_id AND NEW.kind = 'room' BEGIN
    UPDATE users SET owned_count = owned_count - 1 WHERE user_id = OLD.owner_id;
    UPDATE users SET owned_count = owned_count + 1 WHERE user_id = NEW.owner_id;
END;
CREATE TRIGGER rooms_owned_counted_on_delete AFTER DELETE ON rooms WHEN OLD.kind = 'room' BEGIN
    UPDATE users SET owned_count = owned_count - 1 WHERE user_id = OLD.owner_id;
END;
