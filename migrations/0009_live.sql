-- Live rooms: each room's Durable Object keeps its messages and its events; D1 keeps who may
-- do what, and hands every change it commits to the room's object through an outbox.

DROP TRIGGER messages_numbered;
DROP TABLE messages;
ALTER TABLE rooms DROP COLUMN message_seq;

-- Events that D1 committed and the room's object has not yet applied. Written in the
-- transaction of the change they describe; the request then hands the room's pending events
-- to its object, and the scheduled handler retries what is left. The object skips ids it has
-- applied, so handing one over twice is harmless. `event` is the frame without its seq (the
-- object numbers it).
CREATE TABLE room_outbox (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id TEXT    NOT NULL CHECK (length(room_id) = 36),
    event   TEXT    NOT NULL CHECK (json_valid(event))
) STRICT;

CREATE INDEX room_outbox_by_room ON room_outbox (room_id, id);

-- The rooms where a session key opened a socket or took a ticket: when the session ends,
-- those rooms' objects are told, and close the key's sockets.
CREATE TABLE live_keys (
    key_hash TEXT NOT NULL CHECK (length(key_hash) = 64),
    room_id  TEXT NOT NULL CHECK (length(room_id) = 36),
    PRIMARY KEY (key_hash, room_id)
) STRICT, WITHOUT ROWID;

-- Every way a session ends deletes its row (a logout, a password change, the cap, an
-- account's deletion by cascade, the sweep of expired rows): each tells the key's rooms.
CREATE TRIGGER sessions_ended_live AFTER DELETE ON sessions BEGIN
    INSERT INTO room_outbox (room_id, event)
    SELECT room_id, json_object('type', 'key_ended', 'key_hash', OLD.key_hash)
      FROM live_keys WHERE key_hash = OLD.key_hash;
    DELETE FROM live_keys WHERE key_hash = OLD.key_hash;
END;
