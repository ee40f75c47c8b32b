-- One live connection per person: who has an inbox socket open (its object lists the person
-- when their first socket opens and unlists them when the last closes, or when a push finds
-- none), so that a room's flush pushes to its connected members only.
CREATE TABLE inboxes (
    user_id TEXT    PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    since   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
