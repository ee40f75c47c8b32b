-- Throttles that an outsider cannot turn against a user: failed password checks per user and
-- source, a ceiling per user, and sign-ups per client network in a sliding hour.

-- Failures were counted per user id alone (so anyone could lock anyone out), and for unknown
-- ids too; sign-ups per clock hour under a bare SHA-256 of the address.
DROP TABLE login_attempts;
DROP TABLE signups;

-- Password checks per user and source, counted before the check: `source` is `net:` and the
-- keyed tag of the client's network (logins), or `key:` and a session key's hash (password
-- change, account deletion). A right password deletes its own row. The next check from the
-- same source is allowed from `allowed_at` on; `attempt` names the request that last got in,
-- so that the statements after it in the same batch can tell whether this one did. Only known
-- users are counted, and their rows go with them.
CREATE TABLE password_failures (
    user_id    TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    source     TEXT    NOT NULL,
    failures   INTEGER NOT NULL CHECK (failures > 0),
    allowed_at INTEGER NOT NULL,
    last_at    INTEGER NOT NULL,
    attempt    TEXT    NOT NULL,
    PRIMARY KEY (user_id, source)
) STRICT, WITHOUT ROWID;

CREATE INDEX password_failures_by_age ON password_failures (last_at);

-- Failed logins per user from every source together, in a fixed window that starts with its
-- first failure: a ceiling far above what the per-source delays let one source reach.
CREATE TABLE login_ceilings (
    user_id      TEXT    NOT NULL PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL CHECK (failures >= 0)
) STRICT, WITHOUT ROWID;

CREATE INDEX login_ceilings_by_age ON login_ceilings (window_start);

-- One row per sign-up, by the keyed tag (HMAC-SHA256 under the secret ADDRESS_KEY) of the
-- client's network (an IPv4 address, or an IPv6 /64): never the address itself. Rows older
-- than an hour are deleted by the next sign-up that is let in.
CREATE TABLE signups (
    address_tag TEXT    NOT NULL,
    at          INTEGER NOT NULL
) STRICT;

CREATE INDEX signups_by_address ON signups (address_tag, at);
CREATE INDEX signups_by_age ON signups (at);
