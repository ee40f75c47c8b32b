//! A room's messages, and its events as a replay reads them.

use serde::Deserialize;

use super::{corrupt, sql, History};
use crate::domain::files::FileView;
use crate::domain::search::indexed_form;
use crate::domain::time::rfc3339;
use crate::domain::{Mentions, MessageId, UserId};
use crate::error::ApiError;
use crate::live::events::PARTICIPANTS;
use crate::live::frames::{Event, MessageView, ReplyTo, ThreadSummary, PREVIEW_CHARS};

/// A message's row; `text` is NULL once deleted.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageRow {
    pub seq: i64,
    pub message_id: String,
    pub user_id: Option<String>,
    pub text: Option<String>,
    pub sent_at: Option<i64>,
    pub edited_at: Option<i64>,
    /// Whom it mentions (`Mentions` as JSON); NULL for nobody.
    #[serde(default)]
    pub mentions: Option<String>,
    /// The seq of the message it replies to, and that message as it is now (`messages_with_parents`):
    /// its id, its author (NULL once deleted), its first characters.
    #[serde(default)]
    pub reply_to: Option<i64>,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub parent_user_id: Option<String>,
    #[serde(default)]
    pub parent_preview: Option<String>,
    /// The seq of the root of the thread it is a reply in, and that root's id.
    #[serde(default)]
    pub thread: Option<i64>,
    #[serde(default)]
    pub thread_root_id: Option<String>,
    /// The summary of the thread it is the root of (`threads`), if it has one.
    #[serde(default)]
    pub reply_count: Option<i64>,
    #[serde(default)]
    pub last_reply_at: Option<i64>,
    #[serde(default)]
    pub participants: Option<String>,
    /// The files it carries (`FileView`s, a JSON array), in their order.
    #[serde(default)]
    pub files: Option<String>,
}

impl MessageRow {
    /// Whom it mentions.
    pub fn mentions(&self) -> Result<Mentions, ApiError> {
        match &self.mentions {
            Some(json) => serde_json::from_str(json).map_err(|_| corrupt("mentions", json)),
            None => Ok(Mentions::NONE),
        }
    }

    pub fn is_deleted(&self) -> bool {
        self.text.is_none()
    }

    pub fn is_by(&self, user_id: &UserId) -> bool {
        self.user_id.as_deref().is_some_and(|author| author == user_id.to_string())
    }

    /// What a reply shows of the message it replies to, if it is one.
    fn reply(&self) -> Result<Option<ReplyTo>, ApiError> {
        let (Some(_), Some(parent_id)) = (self.reply_to, &self.parent_id) else { return Ok(None) };
        let message_id = MessageId::parse(parent_id).map_err(|_| corrupt("message_id", parent_id))?;
        Ok(Some(match (&self.parent_user_id, &self.parent_preview) {
            (Some(user_id), Some(preview)) => ReplyTo::Written {
                message_id,
                user_id: UserId::parse(user_id).map_err(|_| corrupt("user_id", user_id))?,
                preview: preview.clone(),
            },
            _ => ReplyTo::Deleted { message_id, deleted: true },
        }))
    }

    /// The root of the thread it is a reply in, if it is one.
    fn in_thread(&self) -> Result<Option<MessageId>, ApiError> {
        self.thread_root_id.as_deref().map(|id| MessageId::parse(id).map_err(|_| corrupt("message_id", id))).transpose()
    }

    /// The ids of a thread's latest participants (a JSON array), as kept.
    pub fn participants(&self) -> Result<Vec<UserId>, ApiError> {
        match &self.participants {
            Some(json) => serde_json::from_str(json).map_err(|_| corrupt("participants", json)),
            None => Ok(Vec::new()),
        }
    }

    /// The files it carries.
    fn files(&self) -> Result<Vec<FileView>, ApiError> {
        match self.files.as_deref() {
            Some(json) => serde_json::from_str(json).map_err(|_| corrupt("files", json)),
            None => Ok(Vec::new()),
        }
    }

    /// The thread it is the root of, if any reply came.
    fn thread_summary(&self) -> Result<Option<ThreadSummary>, ApiError> {
        let (Some(reply_count), Some(last_reply_at)) = (self.reply_count, self.last_reply_at) else { return Ok(None) };
        Ok(Some(ThreadSummary {
            reply_count,
            last_reply_at: rfc3339(last_reply_at),
            participants: self.participants()?,
        }))
    }

    /// The message as history and frames show it.
    pub fn view(&self) -> Result<MessageView, ApiError> {
        let message_id = MessageId::parse(&self.message_id).map_err(|_| corrupt("message_id", &self.message_id))?;
        let (in_thread, thread) = (self.in_thread()?, self.thread_summary()?);
        Ok(match (&self.user_id, &self.text, self.sent_at) {
            (Some(user_id), Some(text), Some(sent_at)) => {
                let Mentions { users, room } = self.mentions()?;
                MessageView::Written {
                    message_id,
                    seq: self.seq,
                    user_id: UserId::parse(user_id).map_err(|_| corrupt("user_id", user_id))?,
                    text: text.clone(),
                    sent_at: rfc3339(sent_at),
                    edited_at: self.edited_at.map(rfc3339),
                    mentions: users,
                    mention_room: room,
                    reply_to: self.reply()?,
                    reactions: Vec::new(),
                    in_thread,
                    thread,
                    files: self.files()?,
                }
            }
            _ => MessageView::Deleted {
                message_id,
                seq: self.seq,
                deleted: true,
                reactions: Vec::new(),
                in_thread,
                thread,
                files: Vec::new(),
            },
        })
    }
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    Latest,
    Before(MessageId),
    After(MessageId),
}

/// A page of history, newest first, and whether older messages exist.
pub struct Messages {
    pub messages: Vec<MessageRow>,
    pub more_before: bool,
}

impl History {
    /// Posts a message as the event after the latest, replying to `parent` (if any: a message
    /// of this room, not deleted), in the thread of `root` (if any: a message of the room's own
    /// line); the message's row, and for a reply in a thread, the thread's new summary as the
    /// event after it.
    pub fn post(
        &self,
        message_id: &MessageId,
        user_id: &UserId,
        text: &str,
        (mentions, parent, root, files): (&Mentions, Option<&MessageRow>, Option<&MessageRow>, &[FileView]),
        now: i64,
    ) -> Result<(MessageRow, Option<(i64, Event)>), ApiError> {
        let seq = self.latest_seq()? + 1;
        self.append(now, &Event::Message, Some(seq))?;
        let (message_id, user_id) = (message_id.to_string(), user_id.to_string());
        let mentioned =
            if mentions.is_empty() { None } else { Some(serde_json::to_string(mentions).map_err(ApiError::internal)?) };
        let args = vec![
            seq.into(),
            message_id.as_str().into(),
            user_id.as_str().into(),
            text.into(),
            now.into(),
            mentioned.as_deref().into(),
            parent.map(|parent| parent.seq).into(),
            root.map(|root| root.seq).into(),
        ];
        self.run(sql::INSERT_MESSAGE, args)?;
        self.attach(files, seq)?;
        self.run(sql::INDEX_TEXT, vec![seq.into(), indexed_form(text).into()])?;
        for user in &mentions.users {
            self.run(sql::ADD_MENTION, vec![user.to_string().into(), seq.into()])?;
        }
        if mentions.room {
            self.run(sql::ADD_MENTION, vec!["".into(), seq.into()])?;
        }
        self.run(sql::LAST_MESSAGE_AT, vec![now.into()])?;
        if !mentions.is_empty() {
            self.run(sql::UNFLUSHED_MENTION, vec![seq.into(), 1.into()])?;
        }
        self.changed();
        let thread = root.map(|root| self.replied_in(root, seq, &user_id, mentions, now)).transpose()?;
        let row = MessageRow {
            seq,
            message_id,
            user_id: Some(user_id),
            text: Some(text.to_owned()),
            sent_at: Some(now),
            edited_at: None,
            mentions: mentioned,
            reply_to: parent.map(|parent| parent.seq),
            parent_id: parent.map(|parent| parent.message_id.clone()),
            parent_user_id: parent.and_then(|parent| parent.user_id.clone()),
            parent_preview: parent
                .and_then(|parent| parent.text.as_ref())
                .map(|text| text.chars().take(PREVIEW_CHARS).collect()),
            thread: root.map(|root| root.seq),
            thread_root_id: root.map(|root| root.message_id.clone()),
            reply_count: None,
            last_reply_at: None,
            participants: None,
            files: Some(serde_json::to_string(files).map_err(ApiError::internal)?),
        };
        Ok((row, thread))
    }

    /// A reply (`seq`) came in `root`'s thread from `author`: its summary counts it and names
    /// them first among its participants; the root's author follows the thread (from its root),
    /// and so do the reply's author and whom it mentions (from the reply, unless they already
    /// did); D1 is to count it for the followers. The summary's event, appended.
    fn replied_in(
        &self,
        root: &MessageRow,
        seq: i64,
        author: &str,
        mentions: &Mentions,
        now: i64,
    ) -> Result<(i64, Event), ApiError> {
        let author_id = UserId::parse(author).map_err(|_| corrupt("user_id", author))?;
        let mut participants = vec![author_id];
        participants.extend(root.participants()?.into_iter().filter(|user| *user != author_id));
        participants.truncate(PARTICIPANTS);
        let kept = serde_json::to_string(&participants).map_err(ApiError::internal)?;
        self.run(sql::THREAD_REPLIED, vec![root.seq.into(), now.into(), kept.into()])?;
        if let Some(starter) = &root.user_id {
            self.run(sql::FOLLOW_THREAD, vec![root.seq.into(), starter.as_str().into(), root.seq.into()])?;
        }
        for follower in std::iter::once(author.to_owned()).chain(mentions.users.iter().map(UserId::to_string)) {
            self.run(sql::FOLLOW_THREAD, vec![root.seq.into(), follower.into(), seq.into()])?;
        }
        self.run(sql::UNFLUSHED_REPLY, vec![seq.into()])?;
        let root_id = MessageId::parse(&root.message_id).map_err(|_| corrupt("message_id", &root.message_id))?;
        let thread =
            ThreadSummary { reply_count: root.reply_count.unwrap_or(0) + 1, last_reply_at: rfc3339(now), participants };
        let event = Event::ThreadUpdated { root_id, thread };
        Ok((self.append(now, &event, None)?, event))
    }

    pub fn message(&self, message_id: &MessageId) -> Result<Option<MessageRow>, ApiError> {
        Ok(self.rows(sql::MESSAGE_BY_ID, vec![message_id.to_string().into()])?.into_iter().next())
    }

    fn message_at(&self, seq: i64) -> Result<Option<MessageRow>, ApiError> {
        Ok(self.rows(sql::MESSAGE_AT, vec![seq.into()])?.into_iter().next())
    }

    /// Edits a message's text, and appends `message_edited`; its seq and the message.
    pub fn edit(&self, message: &MessageRow, text: &str, now: i64) -> Result<(i64, MessageRow), ApiError> {
        self.run(sql::EDIT_MESSAGE, vec![text.into(), now.into(), message.seq.into()])?;
        self.run(sql::UNINDEX_TEXT, vec![message.seq.into()])?;
        self.run(sql::INDEX_TEXT, vec![message.seq.into(), indexed_form(text).into()])?;
        if message.mentions.is_some() {
            // D1 keeps the mentioning messages' text, for the mentions list.
            self.run(sql::UNFLUSHED_MENTION, vec![message.seq.into(), 0.into()])?;
            self.changed();
        }
        let seq = self.append(now, &Event::MessageEdited, Some(message.seq))?;
        let edited = MessageRow { text: Some(text.to_owned()), edited_at: Some(now), ..message.clone() };
        Ok((seq, edited))
    }

    /// Deletes a message's author, text and times, and appends `message_deleted` (and, for a
    /// reply in a thread, the thread's new summary); the events with their seqs.
    pub fn delete(&self, message: &MessageRow, now: i64) -> Result<Vec<(i64, Event)>, ApiError> {
        self.run(sql::DELETE_MESSAGE, vec![message.seq.into()])?;
        self.run(sql::UNINDEX_TEXT, vec![message.seq.into()])?;
        self.doom_files_of(message.seq)?;
        self.drop_reactions(message.seq)?;
        let message_id =
            MessageId::parse(&message.message_id).map_err(|_| corrupt("message_id", &message.message_id))?;
        let event = Event::MessageDeleted { message_id };
        let mut events = vec![(self.append(now, &event, None)?, event)];
        self.run(sql::UNFLUSHED_DELETION, vec![message.seq.into()])?;
        self.changed();
        if let (Some(root_seq), Some(root_id)) = (message.thread, &message.thread_root_id) {
            self.run(sql::THREAD_REPLY_DELETED, vec![root_seq.into()])?;
            // The root's summary as every page now shows it.
            let thread = self.message_at(root_seq)?.map(|root| root.thread_summary()).transpose()?.flatten();
            if let Some(thread) = thread {
                let root_id = MessageId::parse(root_id).map_err(|_| corrupt("message_id", root_id))?;
                let event = Event::ThreadUpdated { root_id, thread };
                events.push((self.append(now, &event, None)?, event));
            }
        }
        Ok(events)
    }

    /// Up to `limit` messages from the cursor, newest first, of the room's own line or of the
    /// thread of the root at `thread`; `None` if the cursor names no message of these.
    pub fn page(&self, cursor: Cursor, limit: u32, thread: Option<i64>) -> Result<Option<Messages>, ApiError> {
        let fetch = i64::from(limit) + 1;
        let mut messages: Vec<MessageRow> = match (cursor, thread) {
            (Cursor::Latest, None) => self.rows(sql::LATEST_MESSAGES, vec![fetch.into()])?,
            (Cursor::Latest, Some(root)) => self.rows(sql::THREAD_LATEST, vec![root.into(), fetch.into()])?,
            (Cursor::Before(id) | Cursor::After(id), _) => {
                let Some(from) = self.message(&id)?.filter(|from| thread.is_none() || from.thread == thread) else {
                    return Ok(None);
                };
                let before = matches!(cursor, Cursor::Before(_));
                match thread {
                    None => {
                        let query = if before { sql::MESSAGES_BEFORE } else { sql::MESSAGES_AFTER };
                        self.rows(query, vec![from.seq.into(), fetch.into()])?
                    }
                    Some(root) => {
                        let query = if before { sql::THREAD_BEFORE } else { sql::THREAD_AFTER };
                        self.rows(query, vec![root.into(), from.seq.into(), fetch.into()])?
                    }
                }
            }
        };
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        let more_before = match cursor {
            Cursor::Latest | Cursor::Before(_) => more,
            Cursor::After(_) => {
                // Read oldest first; shown newest first. The cursor's own message is older
                // than any of these.
                messages.reverse();
                !messages.is_empty()
            }
        };
        Ok(Some(Messages { messages, more_before }))
    }

    /// Up to `limit` events after `after`, in order, each with its seq and its message as it
    /// is now, in one query; and the seq of the last.
    pub fn events_after(&self, after: i64, limit: i64) -> Result<(Vec<Stored>, i64), ApiError> {
        #[derive(Deserialize)]
        struct EventRow {
            event_seq: i64,
            body: String,
            seq: Option<i64>,
            message_id: Option<String>,
            user_id: Option<String>,
            text: Option<String>,
            sent_at: Option<i64>,
            edited_at: Option<i64>,
            mentions: Option<String>,
            reply_to: Option<i64>,
            parent_id: Option<String>,
            parent_user_id: Option<String>,
            parent_preview: Option<String>,
            thread: Option<i64>,
            thread_root_id: Option<String>,
            reply_count: Option<i64>,
            last_reply_at: Option<i64>,
            participants: Option<String>,
            files: Option<String>,
        }
        let rows: Vec<EventRow> = self.rows(sql::EVENTS_AFTER, vec![after.into(), limit.into()])?;
        let last = rows.last().map_or(after, |row| row.event_seq);
        let events = rows
            .into_iter()
            .map(|row| {
                let message = match (row.seq, row.message_id) {
                    (Some(seq), Some(message_id)) => Some(
                        MessageRow {
                            seq,
                            message_id,
                            user_id: row.user_id,
                            text: row.text,
                            sent_at: row.sent_at,
                            edited_at: row.edited_at,
                            mentions: row.mentions,
                            reply_to: row.reply_to,
                            parent_id: row.parent_id,
                            parent_user_id: row.parent_user_id,
                            parent_preview: row.parent_preview,
                            thread: row.thread,
                            thread_root_id: row.thread_root_id,
                            reply_count: row.reply_count,
                            last_reply_at: row.last_reply_at,
                            participants: row.participants,
                            files: row.files,
                        }
                        .view()?,
                    ),
                    _ => None,
                };
                let event: Event = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
                Ok(Stored { seq: row.event_seq, event, message })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok((events, last))
    }

    /// The `txn_id` a user sent before, if it posted a message still remembered.
    pub fn sent_before(&self, user_id: &UserId, txn_id: &str) -> Result<Option<MessageRow>, ApiError> {
        #[derive(Deserialize)]
        struct Txn {
            message_seq: i64,
        }
        let txn = self.rows::<Txn>(sql::TXN, vec![user_id.to_string().into(), txn_id.into()])?;
        match txn.first() {
            Some(txn) => self.message_at(txn.message_seq),
            None => Ok(None),
        }
    }

    pub fn remember_txn(&self, user_id: &UserId, txn_id: &str, message_seq: i64, now: i64) -> Result<(), ApiError> {
        self.run(sql::REMEMBER_TXN, vec![user_id.to_string().into(), txn_id.into(), message_seq.into(), now.into()])
    }
}

/// A kept event: its seq, and its message as it is now, if it has one.
pub struct Stored {
    pub seq: i64,
    pub event: Event,
    pub message: Option<MessageView>,
}
