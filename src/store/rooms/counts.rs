//! What a room's object tells D1 for its members' unread counts (`Tally`), flushed in one batch
//! at most every few seconds: posting a message writes nothing to D1 (migrations/0014).

use serde::{Deserialize, Serialize};

use worker::wasm_bindgen::JsValue;

use super::super::directory::Attention;
use super::super::{int, sql, text, Batch, Caller, CountRow, Db};
use crate::domain::files::FileView;
use crate::domain::time::rfc3339;
use crate::domain::{Mentions, MessageId, RoomId, UserId};
use crate::error::ApiError;
use crate::live::frames::MessageView;

/// A member's read position as D1 keeps it: `[user_id, read_seq, read_ordinal,
/// marked_unread]`, the ordinal being that of the last message at or before `read_seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadTally(pub String, pub i64, pub i64, pub i64);

/// A message that mentions someone, as it is now, for D1's `mentioned` and (`fresh`: posted
/// since the last flush) `mentions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MentionTally {
    pub seq: i64,
    pub fresh: i64,
    pub message_id: String,
    pub author: String,
    pub text: String,
    /// When it was posted (ms).
    pub at: i64,
    pub edited_at: Option<i64>,
    /// `Mentions` as JSON, as D1 keeps it; and the same, spread for its statements.
    pub mentions: String,
    pub users: Vec<UserId>,
    pub room: i64,
    /// For a reply in a thread, its root's id.
    pub thread: Option<String>,
    /// Whom D1 writes a mention for by id: whom it mentions, and for a reply in a thread that
    /// mentions the whole room, whoever followed the thread when it came (the room's own line
    /// mentions the members present, `FLUSH_ROOM_MENTIONS`).
    pub notify: Vec<String>,
    /// The files it carries (`FileView`s, a JSON array), as D1 keeps them.
    pub files: String,
}

impl MentionTally {
    /// The message as every answer shows it.
    pub fn view(&self) -> Result<MessageView, ApiError> {
        let mentions = Mentions { users: self.users.clone(), room: self.room != 0 };
        let at = (self.at, self.edited_at);
        written(
            &self.message_id,
            self.seq,
            &self.author,
            &self.text,
            at,
            mentions,
            (self.thread.as_deref(), &self.files),
        )
    }
}

/// A reply in a thread, posted since the last flush, and who followed the thread when it came
/// but its author: D1 counts it in their unread (`thread_unreads`, migrations/0017).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyTally {
    pub seq: i64,
    pub followers: Vec<String>,
}

/// A written message, as every answer shows it, from what D1 or a tally holds of it.
fn written(
    message_id: &str,
    seq: i64,
    author: &str,
    text: &str,
    (sent_at, edited_at): (i64, Option<i64>),
    Mentions { users, room }: Mentions,
    (thread, files): (Option<&str>, &str),
) -> Result<MessageView, ApiError> {
    let corrupt = |field: &str| ApiError::internal(format!("mentions: a malformed {field}"));
    let in_thread = thread.map(|id| MessageId::parse(id).map_err(|_| corrupt("thread_id"))).transpose()?;
    let files: Vec<FileView> = serde_json::from_str(files).map_err(|_| corrupt("files"))?;
    Ok(MessageView::Written {
        message_id: MessageId::parse(message_id).map_err(|_| corrupt("message_id"))?,
        seq,
        user_id: UserId::parse(author).map_err(|_| corrupt("user_id"))?,
        text: text.to_owned(),
        sent_at: rfc3339(sent_at),
        edited_at: edited_at.map(rfc3339),
        mentions: users,
        mention_room: room,
        // D1 keeps no reply's parent: the mentions list shows none (the room's history does).
        reply_to: None,
        // Nor reactions: the mentions list shows none.
        reactions: Vec::new(),
        // Its thread, but not the summary of one it roots (the room's history has it).
        in_thread,
        thread: None,
        files,
    })
}

/// The room's side of its members' counts, as its object has it now, and what changed since
/// D1 was last told: read positions that moved and messages deleted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    /// The latest message's seq (0 for none), and when it was posted (ms).
    pub last_seq: i64,
    pub last_message_at: Option<i64>,
    /// How many messages the room has had, deleted ones included.
    pub message_count: i64,
    /// Where a member from before read positions were kept reads from, and its ordinal.
    pub reads_since_seq: i64,
    pub reads_since_ordinal: i64,
    pub reads: Vec<ReadTally>,
    /// Messages of the room's own line deleted, and replies in threads deleted.
    pub deletions: Vec<i64>,
    pub reply_deletions: Vec<i64>,
    pub mentioned: Vec<MentionTally>,
    pub replies: Vec<ReplyTally>,
}

impl Tally {
    /// Every message deleted since D1 was last told, of the room's own line or in a thread.
    pub fn all_deletions(&self) -> Vec<i64> {
        self.deletions.iter().chain(&self.reply_deletions).copied().collect()
    }
}

fn json(value: &impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

/// A present member of the room with an inbox open, and where they stand in it now.
#[derive(Debug, Deserialize)]
pub struct Listener {
    pub user_id: UserId,
    #[serde(flatten)]
    pub attention: Attention,
}

/// Someone with an inbox open whom a message posted since the last flush mentions.
#[derive(Debug, Deserialize)]
pub struct MentionListener {
    pub user_id: UserId,
    pub seq: i64,
}

/// Who is to hear of the flush: the room's members with an inbox open, and whom its new
/// messages mention among them.
#[derive(Debug, Default)]
pub struct Listened {
    pub listeners: Vec<Listener>,
    pub mentioned: Vec<MentionListener>,
}

/// Tells D1 the room's tally, in one batch: one round trip however many positions moved or
/// messages mention someone; and, if `listen`, reads in the same batch who is to hear of it.
pub async fn flush_counts(db: &Db, room_id: &str, tally: &Tally, listen: bool) -> Result<Listened, ApiError> {
    let room = text(room_id);
    let mut batch = Batch::new(db);
    batch.write(db.prepare(
        sql::FLUSH_ROOM,
        &[
            room.clone(),
            int(tally.last_seq),
            tally.last_message_at.map_or(JsValue::NULL, int),
            int(tally.message_count),
            int(tally.reads_since_seq),
            int(tally.reads_since_ordinal),
        ],
    )?);
    if !tally.reads.is_empty() {
        let reads = text(&json(&tally.reads)?);
        batch.write(db.prepare(sql::FLUSH_READS, &[room.clone(), reads.clone()])?);
        batch.write(db.prepare(sql::FLUSH_READ_REPLIES, &[room.clone(), reads])?);
    }
    let fresh = tally.mentioned.iter().any(|message| message.fresh != 0);
    let mentioned = text(&json(&tally.mentioned)?);
    if !tally.mentioned.is_empty() {
        batch.write(db.prepare(sql::FLUSH_MENTIONED, &[room.clone(), mentioned.clone()])?);
        if fresh {
            batch.write(db.prepare(sql::FLUSH_MENTIONS, &[room.clone(), mentioned.clone()])?);
            batch.write(db.prepare(sql::FLUSH_ROOM_MENTIONS, &[room.clone(), mentioned.clone()])?);
        }
    }
    let deleted = tally.all_deletions();
    if !deleted.is_empty() {
        batch.write(db.prepare(sql::FLUSH_DELETED_MENTIONS, &[room.clone(), text(&json(&deleted)?)])?);
    }
    if !tally.deletions.is_empty() {
        batch.write(db.prepare(sql::FLUSH_DELETIONS, &[room.clone(), text(&json(&tally.deletions)?)])?);
    }
    if !tally.reply_deletions.is_empty() {
        let deletions = text(&json(&tally.reply_deletions)?);
        batch.write(db.prepare(sql::FLUSH_DELETED_REPLIES, &[room.clone(), deletions])?);
    }
    if !tally.replies.is_empty() {
        batch.write(db.prepare(sql::FLUSH_REPLIES, &[room.clone(), text(&json(&tally.replies)?)])?);
    }
    let listeners = listen
        .then(|| db.prepare(sql::LISTENERS, std::slice::from_ref(&room)))
        .transpose()?
        .map(|statement| batch.read::<Listener>(statement));
    let mentioned = (listen && fresh)
        .then(|| db.prepare(sql::MENTION_LISTENERS, &[room, mentioned]))
        .transpose()?
        .map(|statement| batch.read::<MentionListener>(statement));
    let results = batch.run().await?;
    Ok(Listened {
        listeners: listeners.map(|rows| results.rows(&rows)).transpose()?.unwrap_or_default(),
        mentioned: mentioned.map(|rows| results.rows(&rows)).transpose()?.unwrap_or_default(),
    })
}

/// A message that mentions the caller, as their list of mentions shows it.
#[derive(Debug, Deserialize)]
pub struct MentionRow {
    pub room_id: String,
    pub message_id: String,
    pub seq: i64,
    pub user_id: String,
    pub text: String,
    pub sent_at: i64,
    pub edited_at: Option<i64>,
    /// `Mentions` as JSON.
    pub mentions: String,
    /// For a reply in a thread, its root's id.
    pub thread_id: Option<String>,
    /// The files it carries, as a JSON array.
    pub files: String,
}

impl MentionRow {
    /// The room's id, and the message as every answer shows it.
    pub fn view(&self) -> Result<(RoomId, MessageView), ApiError> {
        let room_id = RoomId::parse(&self.room_id).map_err(|_| ApiError::internal("mentions: a malformed room_id"))?;
        let mentions: Mentions =
            serde_json::from_str(&self.mentions).map_err(|_| ApiError::internal("mentions: malformed mentions"))?;
        let at = (self.sent_at, self.edited_at);
        let message = written(
            &self.message_id,
            self.seq,
            &self.user_id,
            &self.text,
            at,
            mentions,
            (self.thread_id.as_deref(), &self.files),
        )?;
        Ok((room_id, message))
    }
}

/// Up to `limit` messages that mention the caller across the rooms they are present in, newest
/// first, from `before` (a message that mentions them) if given, and whether more follow; `None`
/// if `before` is not one of them. One round trip, guarded by the caller's key.
pub async fn mentions_of(
    db: &Db,
    caller: &Caller,
    limit: u32,
    before: Option<&MessageId>,
) -> Result<Option<(Vec<MentionRow>, bool)>, ApiError> {
    let user = text(&caller.user_id.to_string());
    let fetch = int(i64::from(limit) + 1);
    let mut batch = Batch::of_caller(db, Some(caller))?;
    let (rows, cursor) = match before {
        Some(before) => {
            let before = text(&before.to_string());
            let rows = batch
                .read::<MentionRow>(db.prepare(sql::MENTIONS_OF_USER_BEFORE, &[user.clone(), fetch, before.clone()])?);
            (rows, Some(batch.read::<CountRow>(db.prepare(sql::MENTION_CURSOR, &[user, before])?)))
        }
        None => (batch.read::<MentionRow>(db.prepare(sql::MENTIONS_OF_USER, &[user, fetch])?), None),
    };
    let results = batch.run().await?;
    if let Some(cursor) = cursor {
        if results.first(&cursor)?.map_or(0, |row| row.count) == 0 {
            return Ok(None);
        }
    }
    let mut rows = results.rows(&rows)?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    Ok(Some((rows, more)))
}
