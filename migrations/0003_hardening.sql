-- Throttling: failed logins per user id, sign-ups per client address.

-- Password attempts per user id in a fixed window that starts with the window's first attempt.
-- No foreign key: unknown ids are counted alike, so a 429 does not tell that an id exists.
CREATE TABLE login_attempts (
    user_id      TEXT    NOT NULL PRIMARY KEY,
    window_start INTEGER NOT NULL,
    attempts     INTEGER NOT NULL CHECK (attempts > 0)
) STRICT, WITHOUT ROWID;

CREATE INDEX login_attempts_by_age ON login_attempts (window_start);

-- Sign-ups per client address per clock hour. Only the address's SHA-256 is kept.
CREATE TABLE signups (
    address_hash TEXT    NOT NULL,
    hour         INTEGER NOT NULL,
    count        INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (address_hash, hour)
) STRICT, WITHOUT ROWID;

CREATE INDEX signups_by_hour ON signups (hour);
