//! What D1 is still to be told for the members' unread counts (`store::rooms::Tally`): read
//! positions that moved and messages deleted are marked as they happen, the room's own figures
//! read when it is told; marks are forgotten once D1 has them (`tallied`), so that a position
//! that moved again meanwhile is told again.

use serde::Deserialize;

use super::{corrupt, sql, History};
use crate::domain::Mentions;
use crate::error::ApiError;
use crate::store::rooms::{MentionTally, ReadTally, ReplyTally, Tally};

/// A tally, and the marks of the read positions in it.
pub struct Marked {
    pub tally: Tally,
    marks: Vec<i64>,
    /// The seqs of the messages with mentions in it (or deleted since: D1 is told by the
    /// deletion).
    mentions: Vec<i64>,
    /// The seqs of the replies in threads in it (likewise).
    replies: Vec<i64>,
}

impl Marked {
    /// Whether it holds as many positions or deletions as it was allowed: more may wait.
    pub fn is_full(&self, limit: i64) -> bool {
        let deletions = self.tally.deletions.len() + self.tally.reply_deletions.len();
        [self.marks.len(), deletions, self.mentions.len(), self.replies.len()].into_iter().any(|n| n as i64 >= limit)
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
            in_thread: i64,
        }
        #[derive(Deserialize)]
        struct Reply {
            seq: i64,
            followers: Option<String>,
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
            thread_id: Option<String>,
            files: Option<String>,
            followers: Option<String>,
        }
        let followers = |json: &str| -> Result<Vec<String>, ApiError> {
            serde_json::from_str(json).map_err(|_| corrupt("thread_followers", json))
        };
        let room = self.rows::<Room>(sql::TALLY, vec![])?;
        let room = room.first().ok_or_else(|| ApiError::internal("room storage: the tally answered no row"))?;
        let reads = self.rows::<Read>(sql::UNFLUSHED_READS, vec![limit.into()])?;
        let deletions = self.rows::<Deletion>(sql::UNFLUSHED_DELETIONS, vec![limit.into()])?;
        let mentioning = self.rows::<Mentioning>(sql::UNFLUSHED_MENTIONS, vec![limit.into()])?;
        let replied = self.rows::<Reply>(sql::UNFLUSHED_REPLIES, vec![limit.into()])?;
        let marks = reads.iter().map(|read| read.mark).collect();
        let mentions = mentioning.iter().map(|message| message.seq).collect();
        let replies = replied.iter().map(|reply| reply.seq).collect();
        let mut mentioned = Vec::new();
        for message in mentioning {
            let (Some(author), Some(text), Some(at), Some(json)) =
                (message.user_id, message.text, message.sent_at, message.mentions)
            else {
                continue;
            };
            let parsed: Mentions = serde_json::from_str(&json).map_err(|_| corrupt("mentions", &json))?;
            // Whom D1 counts it for by id: whom it mentions, and in a thread, for the room,
            // whoever followed the thread then.
            let mut notify: Vec<String> = parsed.users.iter().map(ToString::to_string).collect();
            if let (true, Some(list)) = (parsed.room, &message.followers) {
                notify.extend(followers(list)?);
                notify.sort_unstable();
                notify.dedup();
            }
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
                thread: message.thread_id,
                notify,
                files: message.files.unwrap_or_else(|| "[]".to_owned()),
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
            deletions: deletions
                .iter()
                .filter(|deletion| deletion.in_thread == 0)
                .map(|deletion| deletion.seq)
                .collect(),
            reply_deletions: deletions
                .iter()
                .filter(|deletion| deletion.in_thread != 0)
                .map(|deletion| deletion.seq)
                .collect(),
            mentioned,
            replies: replied
                .into_iter()
                .filter_map(|reply| reply.followers.map(|list| (reply.seq, list)))
                .map(|(seq, list)| Ok(ReplyTally { seq, followers: followers(&list)? }))
                .collect::<Result<_, ApiError>>()?,
        };
        Ok(Marked { tally, marks, mentions, replies })
    }

    /// D1 has the tally: its marks and deletions are forgotten.
    pub fn tallied(&self, marked: &Marked) -> Result<(), ApiError> {
        let json = |values: &[i64]| serde_json::to_string(values).map_err(ApiError::internal);
        if !marked.marks.is_empty() {
            self.run(sql::FLUSHED_READS, vec![json(&marked.marks)?.into()])?;
        }
        let deletions = marked.tally.all_deletions();
        if !deletions.is_empty() {
            self.run(sql::FLUSHED_DELETIONS, vec![json(&deletions)?.into()])?;
        }
        if !marked.replies.is_empty() {
            self.run(sql::FLUSHED_REPLIES, vec![json(&marked.replies)?.into()])?;
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
