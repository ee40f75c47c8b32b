-- Sessions: D1 decides whether a key is live; KV only turns unknown keys away early.

-- Never holds a row. A request that presents a key starts its batch by inserting one here
-- when the key has no live session row; the CHECK refuses it, which fails the whole batch, so
-- that D1 rolls back every statement of it: a dead key writes nothing and reads nothing.
CREATE TABLE dead_key_guard (
    dead INTEGER NOT NULL CONSTRAINT key_is_dead CHECK (dead = 0)
) STRICT;

-- KV entries still to delete, of keys whose rows are gone (a password change, an account
-- deletion, a revoked key, a login past the cap). Written in the transaction that deleted the
-- rows, so that the cleanup survives any failure after it; drained a chunk at a time by the
-- requests that queue and by the scheduled handler.
CREATE TABLE kv_forget (
    key_hash  TEXT    NOT NULL PRIMARY KEY CHECK (length(key_hash) = 64),
    queued_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX kv_forget_by_age ON kv_forget (queued_at);
