-- The files a message that mentions someone carries, as the mentions list (and the inbox's
-- `mention` frame) shows them: a JSON array of {file_id, name, type, size}, in their order,
-- written by the room's flush with the rest of the message (FLUSH_MENTIONED).
ALTER TABLE mentioned ADD COLUMN files TEXT NOT NULL DEFAULT '[]';
