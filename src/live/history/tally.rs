//! What D1 is still to be told for the members' unread counts (`store::rooms::Tally`): read
//! positions that moved and messages deleted are marked as they happen, the room's own figures
//! read when it is told; marks are forgotten once D1 has them (`tallied`), so that a position
//! that moved again meanwhile is told again.

use serde::Deserialize;

use super::{corrupt, sql, History};
use crate::domain::Mentions;
use crate::error::ApiError;
use crate::store::rooms::{MentionTally, ReadTally, Tally};

/// A tally, and the marks of the read positions in it.
pub struct Marked {
    pub tally: Tally,
    marks: Vec<i64>,
    /// The seqs of the messages with mentions in it (or deleted since: D1 is told by the
    /// deletion).
    mentions: Vec<i64>,
}

impl Marked {
    /// Whether it holds as many positions or deletions as it was allowed: more may wait.
    pub fn is_full(&self, limit: i64) -> bool {
        [self.marks.len(), self.tally.deletions.len(), self.mentions.len()].into_iter().any(|n| n as i64 >= limit)
    }
}

impl History {
    /// The room's figures and at most `limit` read positions and deletions D1 is still to be
    /// told of.
    pub fn tally(&self, limit: i64) -> Result<Marked, ApiError> {
        #[derive(Deserialize)]
        struct Room {
            last_seq: i64,
            last_message_at: Option<i64>,
            message_count: i64,
            reads_since_seq: i64,
            reads_since_ordinal: i64,
        }
        #[derive(Deserialize)]
        struct Read {
            mark: i64,
            user_id: String,
            read_seq: i64,
            read_ordinal: i64,
            marked_unread: i64,
        }
        #[derive(Deserialize)]
        struct Deletion {
            seq: i64,
        }
        #[derive(Deserialize)]
        struct Mentioning {
            seq: i64,
            fresh: i64,
            message_id: String,
            user_id: Option<String>,
            text: Option<String>,
            sent_at: Option<i64>,
            edited_at: Option<i64>,
            mentions: Option<String>,
        }
        let room = self.rows::<Room>(sql::TALLY, vec![])?;
        let room = room.first().ok_or_else(|| ApiError::internal("room storage: the tally answered no row"))?;
        let reads = self.rows::<Read>(sql::UNFLUSHED_READS, vec![limit.into()])?;
        let deletions = self.rows::<Deletion>(sql::UNFLUSHED_DELETIONS, vec![limit.into()])?;
        let mentioning = self.rows::<Mentioning>(sql::UNFLUSHED_MENTIONS, vec![limit.into()])?;
        let marks = reads.iter().map(|read| read.mark).collect();
        let mentions = mentioning.iter().map(|message| message.seq).collect();
        let mut mentioned = Vec::new();
        for message in mentioning {
            let (Some(author), Some(text), Some(at), Some(json)) =
                (message.user_id, message.text, message.sent_at, message.mentions)
            else {
                continue;
            };
            let parsed: Mentions = serde_json::from_str(&json).map_err(|_| corrupt("mentions", &json))?;
            mentioned.push(MentionTally {
                seq: message.seq,
                fresh: message.fresh,
                message_id: message.message_id,
                author,
                text,
                at,
                edited_at: message.edited_at,
                mentions: json,
                users: parsed.users,
                room: i64::from(parsed.room),
            });
        }
        let tally = Tally {
            last_seq: room.last_seq,
            last_message_at: room.last_message_at,
            message_count: room.message_count,
            reads_since_seq: room.reads_since_seq,
            reads_since_ordinal: room.reads_since_ordinal,
            reads: reads
                .into_iter()
                .map(|read| ReadTally(read.user_id, read.read_seq, read.read_ordinal, read.marked_unread))
                .collect(),
            deletions: deletions.into_iter().map(|deletion| deletion.seq).collect(),
            mentioned,
        };
        Ok(Marked { tally, marks, mentions })
    }

    /// D1 has the tally: its marks and deletions are forgotten.
    pub fn tallied(&self, marked: &Marked) -> Result<(), ApiError> {
        let json = |values: &[i64]| serde_json::to_string(values).map_err(ApiError::internal);
        if !marked.marks.is_empty() {
            self.run(sql::FLUSHED_READS, vec![json(&marked.marks)?.into()])?;
        }
        if !marked.tally.deletions.is_empty() {
            self.run(sql::FLUSHED_DELETIONS, vec![json(&marked.tally.deletions)?.into()])?;
        }
        if !marked.mentions.is_empty() {
            self.run(sql::FLUSHED_MENTIONS, vec![json(&marked.mentions)?.into()])?;
        }
        Ok(())
    }

    /// When D1 is next to be told, if it has something to be told.
    pub fn flush_due(&self) -> Result<Option<i64>, ApiError> {
        #[derive(Deserialize)]
        struct Due {
            n: i64,
        }
        Ok(self.rows::<Due>(sql::FLUSH_DUE, vec![])?.first().map(|due| due.n))
    }

    pub fn set_flush_due(&self, at: Option<i64>) -> Result<(), ApiError> {
        match at {
            Some(at) => self.run(sql::SET_FLUSH_DUE, vec![at.into()]),
            None => self.run(sql::CLEAR_FLUSH_DUE, vec![]),
        }
    }

    /// Whether anything D1 counts by changed since this was last asked.
    pub fn take_changed(&self) -> bool {
        self.2.replace(false)
    }

    pub(super) fn changed(&self) {
        self.2.set(true);
    }

    /// The room's id, once a call of the worker said it.
    pub fn room_id(&self) -> Result<Option<String>, ApiError> {
        #[derive(Deserialize)]
        struct Id {
            room_id: String,
        }
        Ok(self.rows::<Id>(sql::ROOM_ID, vec![])?.into_iter().next().map(|id| id.room_id))
    }

    pub fn know_room_id(&self, room_id: &str) -> Result<(), ApiError> {
        self.run(sql::KNOW_ROOM_ID, vec![room_id.into()])
    }
}
