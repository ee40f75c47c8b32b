-- Files (the README, "Files"): the bytes each user uploaded in their current day, for
-- FILE_BYTES_PER_DAY. A day begins with the first upload past the last one's end, as the other
-- ceilings' windows do (0008); an upload reserves its size before its bytes go to R2, and gives
-- it back if they never arrive. The files themselves are in R2, their records in each room's
-- object.
CREATE TABLE file_bytes (
    user_id      TEXT    PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    window_start INTEGER NOT NULL,
    bytes        INTEGER NOT NULL CHECK (bytes >= 0)
) STRICT, WITHOUT ROWID;
