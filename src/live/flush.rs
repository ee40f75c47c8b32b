//! The room tells D1 what its members' unread counts need (`store::rooms::Tally`): at most once
//! every `COUNTS_FLUSH_MILLIS` (an alarm), in one batch, however many messages were posted or
//! positions moved meanwhile; posting writes nothing to D1. What D1 is still to be told is
//! kept in the room's storage, so an object evicted before its alarm tells it when it wakes.

use super::room::Room;
use crate::clock::now_millis;
use crate::config::Config;
use crate::error::ApiError;
use crate::log::RequestLog;
use crate::store::{rooms, Db};

/// Read positions and deletions told in one batch, at most: more wait for the next, at once.
const FLUSH_BATCH: i64 = 500;

/// How long a failed flush waits before it is tried again.
const FLUSH_RETRY_MILLIS: i64 = 5_000;

impl Room {
    /// Whatever the call just done changed of the members' counts reaches D1: now, if the
    /// settings say 0, else by the alarm.
    pub async fn counts_changed(&self) {
        let Ok(Some(history)) = self.stored() else { return };
        if !history.take_changed() {
            return;
        }
        let delay = self.config().map_or(Config::DEFAULT_COUNTS_FLUSH_MILLIS, |config| config.counts_flush_millis);
        if delay == 0 {
            return self.flush().await;
        }
        let due = now_millis() + i64::from(delay);
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
        // Every call of the worker says the room's id: an object that never had one has no
        // member D1 could count for.
        let Some(room_id) = history.room_id()? else { return Ok(false) };
        let marked = history.tally(FLUSH_BATCH)?;
        let db = Db::open(&self.env, &RequestLog::default())?;
        rooms::flush_counts(&db, &room_id, &marked.tally).await?;
        // A room deleted meanwhile keeps nothing.
        let Some(history) = self.stored()? else { return Ok(false) };
        history.tallied(&marked)?;
        Ok(marked.is_full(FLUSH_BATCH))
    }

    /// Asks for an alarm at `at`, unless one comes sooner.
    pub async fn wake_by(&self, at: i64) {
        let storage = self.state.storage();
        let due = storage.get_alarm().await.ok().flatten();
        if due.is_none_or(|due| due > at) {
            let _ = storage.set_alarm(super::platform::in_millis((at - now_millis()).max(0))).await;
        }
    }
}
