//! The room tells D1 what its members' unread counts need (`store::rooms::Tally`): at most once
//! every `COUNTS_FLUSH_MILLIS` (an alarm; at once after a quiet spell), in one batch, however many messages were posted or
//! positions moved meanwhile; posting writes nothing to D1. What D1 is still to be told is
//! kept in the room's storage, so an object evicted before its alarm tells it when it wakes.
//! The same flush reads which members have an inbox open, and hands each what they are to hear
//! (`deliveries`): the inboxes hear of a room's activity at most once per flush.

use super::room::Room;
use crate::clock::now_millis;
use crate::config::Config;
use crate::domain::RoomId;
use crate::error::ApiError;
use crate::inbox::fanout;
use crate::inbox::frames::InboxFrame;
use crate::inbox::protocol::Delivery;
use crate::log::RequestLog;
use crate::store::rooms::{self, Listened, Listener, ReadTally, Tally};
use crate::store::Db;

/// Read positions and deletions told in one batch, at most: more wait for the next, at once.
const FLUSH_BATCH: i64 = 500;

/// How long a failed flush waits before it is tried again.
const FLUSH_RETRY_MILLIS: i64 = 5_000;

impl Room {
    /// Whatever the call just done changed of the members' counts reaches D1: now, if the
    /// settings say 0, else by the alarm — at once in a room quiet for `COUNTS_FLUSH_MILLIS`
    /// (the inboxes hear of a first message in a fraction of a second), and otherwise that long
    /// after the last flush started, which coalesces whatever comes meanwhile (flushes, and so
    /// the inboxes' pushes, are never closer together than that).
    pub async fn counts_changed(&self) {
        let Ok(Some(history)) = self.stored() else { return };
        if !history.take_changed() {
            return;
        }
        let delay = self.config().map_or(Config::DEFAULT_COUNTS_FLUSH_MILLIS, |config| config.counts_flush_millis);
        if delay == 0 {
            return self.flush().await;
        }
        let now = now_millis();
        let due = self.flushed_at.get().map_or(now, |at| at + i64::from(delay)).max(now);
        let scheduled = match history.flush_due() {
            Ok(Some(_)) => Ok(()),
            Ok(None) => history.set_flush_due(Some(due)),
            Err(error) => Err(error),
        };
        match scheduled {
            Ok(()) => self.wake_by(due).await,
            Err(error) => worker::console_error!("room counts: not scheduled: {}", error.detail()),
        }
    }

    /// Tells D1 what it is still to be told, unless a flush is under way (which then goes on
    /// once more). A failure is tried again by the alarm.
    pub async fn flush(&self) {
        if self.flushing.replace(true) {
            self.flush_again.set(true);
            return;
        }
        loop {
            self.flush_again.set(false);
            match self.flush_once().await {
                Ok(more) if more || self.flush_again.get() => continue,
                Ok(_) => break,
                Err(error) => {
                    worker::console_error!("room counts: not flushed: {}", error.detail());
                    let retry = now_millis() + FLUSH_RETRY_MILLIS;
                    if let Ok(Some(history)) = self.stored() {
                        if history.set_flush_due(Some(retry)).is_ok() {
                            self.wake_by(retry).await;
                        }
                    }
                    break;
                }
            }
        }
        self.flushing.set(false);
    }

    /// One batch to D1; whether more is waiting.
    async fn flush_once(&self) -> Result<bool, ApiError> {
        let Some(history) = self.stored()? else { return Ok(false) };
        history.set_flush_due(None)?;
        self.flushed_at.set(Some(now_millis()));
        // Every call of the worker says the room's id: an object that never had one has no
        // member D1 could count for.
        let Some(room_id) = history.room_id()? else { return Ok(false) };
        let marked = history.tally(FLUSH_BATCH)?;
        let tally = &marked.tally;
        // New messages or deletions since the last push: every connected member hears.
        let activity = tally.last_seq != self.pushed_seq.get() || !tally.all_deletions().is_empty();
        let listen = activity || !tally.reads.is_empty() || tally.mentioned.iter().any(|message| message.fresh != 0);
        let db = Db::open(&self.env, &RequestLog::default())?;
        let listened = rooms::flush_counts(&db, &room_id, tally, listen).await?;
        self.pushed_seq.set(tally.last_seq);
        // A room deleted meanwhile keeps nothing.
        let Some(history) = self.stored()? else { return Ok(false) };
        history.tallied(&marked)?;
        let deliveries = deliveries(&room_id, tally, activity, listened)?;
        if !deliveries.is_empty() {
            let width = self.config().map_or(fanout::DEFAULT_WIDTH, |config| config.inbox_fanout);
            fanout::deliver_all(&self.env, deliveries, width).await;
        }
        Ok(marked.is_full(FLUSH_BATCH))
    }

    /// Asks for an alarm at `at`, unless one comes sooner.
    pub async fn wake_by(&self, at: i64) {
        super::platform::wake_by(&self.state, at).await;
    }
}

/// What each connected member hears of a flush: where they stand in the room if it had activity
/// or they read it (`room_activity`), where they read up to if that moved (`read`), and each new
/// message that mentions them (`mention`).
fn deliveries(room_id: &str, tally: &Tally, activity: bool, listened: Listened) -> Result<Vec<Delivery>, ApiError> {
    let room_id = RoomId::parse(room_id).map_err(|_| ApiError::internal("room object: a malformed room id"))?;
    let mut deliveries = Vec::new();
    for Listener { user_id, attention } in listened.listeners {
        let id = user_id.to_string();
        let read = tally.reads.iter().any(|ReadTally(reader, ..)| *reader == id);
        let mut frames = Vec::new();
        if activity || read {
            frames.push(InboxFrame::RoomActivity {
                room_id,
                last_seq: attention.last_seq,
                last_message_at: attention.last_message_at.clone(),
                unread: attention.unread,
                mentions: attention.mentions,
            });
        }
        if read {
            frames.push(InboxFrame::Read { room_id, read_seq: attention.read_seq });
        }
        for mention in listened.mentioned.iter().filter(|mention| mention.user_id == user_id) {
            if let Some(message) = tally.mentioned.iter().find(|message| message.seq == mention.seq) {
                frames.push(InboxFrame::Mention { room_id, message: Box::new(message.view()?) });
            }
        }
        if !frames.is_empty() {
            deliveries.push(Delivery { user_id, frames });
        }
    }
    Ok(deliveries)
}
