//! The room's files in R2, under `{room_id}/{file_id}`: the room keeps an upload once R2 has it
//! (`add_file`), and lets go of what is to leave R2 — a deleted message's files, uploads no
//! message took within `FILE_UNATTACHED_MILLIS`, all of a deleted room's — marking it first
//! (`history::files`), deleting it from R2, and forgetting it once R2 confirmed: what R2 refuses
//! stays marked and is tried again by the alarm.

use worker::{Bucket, Env};

use super::history::History;
use super::platform::{another_handle, wake_by};
use super::protocol::{Answer, Denied, NewFile};
use super::room::Room;
use crate::clock::now_millis;
use crate::config::Config;
use crate::error::ApiError;

/// The binding of the bucket the files are in (wrangler.toml).
pub const BUCKET: &str = "FILES";
/// R2 deletes at most this many keys in one call.
const DELETE_BATCH: i64 = 1_000;
/// How long a failed deletion from R2 waits before it is tried again.
const PURGE_RETRY_MILLIS: i64 = 10_000;

/// The bucket, or 503 if the worker has no such binding.
pub fn bucket(env: &Env) -> Result<Bucket, ApiError> {
    env.bucket(BUCKET).map_err(|error| ApiError::Unavailable(format!("R2 binding {BUCKET}: {error}")))
}

/// Where a room's file is in the bucket.
pub fn key(room_id: &str, file_id: &str) -> String {
    format!("{room_id}/{file_id}")
}

impl Room {
    /// An upload R2 has: kept, and swept once `FILE_UNATTACHED_MILLIS` passed if no message
    /// took it by then.
    pub async fn add_file(&self, file: &NewFile) -> Result<Answer<()>, ApiError> {
        let Some(history) = self.stored()? else { return Ok(Answer::Denied(Denied::RoomGone)) };
        let now = now_millis();
        history.add_file(file, now)?;
        self.wake_by(now + self.unattached_millis()).await;
        Ok(Answer::Done(()))
    }

    fn unattached_millis(&self) -> i64 {
        self.config().map_or(Config::DEFAULT_FILE_UNATTACHED_MILLIS, |config| config.file_unattached_millis)
    }

    /// Lets go of what is to leave R2, after the call that marked it (in its background); a
    /// failure is tried again by the alarm.
    pub fn purge_later(&self) {
        let Ok(Some(history)) = self.stored() else { return };
        let (env, state) = (self.env.clone(), another_handle(&self.state));
        self.state.wait_until(async move {
            if let Err(error) = purge(&env, &history).await {
                worker::console_error!("room files: not deleted from R2 yet: {}", error.detail());
                wake_by(&state, now_millis() + PURGE_RETRY_MILLIS).await;
            }
        });
    }

    /// The alarm's part: uploads no message took in time are marked, and whatever is marked
    /// leaves R2; when the alarm is next due for the files.
    pub async fn sweep_files(&self, history: &History, now: i64) -> Result<Option<i64>, ApiError> {
        let unattached = self.unattached_millis();
        history.doom_unattached(now - unattached)?;
        if let Err(error) = purge(&self.env, history).await {
            worker::console_error!("room files: not deleted from R2 yet: {}", error.detail());
            return Ok(Some(now + PURGE_RETRY_MILLIS));
        }
        Ok(history.oldest_unattached()?.map(|oldest| oldest + unattached))
    }

    /// The room is being deleted: all its files leave R2 first.
    pub async fn delete_all_files(&self, history: &History) -> Result<(), ApiError> {
        delete_from_r2(&self.env, history, History::all_files).await
    }
}

/// Deletes from R2 what the room marked to leave it, and forgets it once R2 confirmed.
async fn purge(env: &Env, history: &History) -> Result<(), ApiError> {
    delete_from_r2(env, history, History::doomed_files).await
}

/// Deletes from R2, a batch at a time, the files `next` names, forgetting each batch once R2
/// confirmed it, until it names none. With none to delete (every alarm, every deletion of a
/// message without files), that one query is all it costs.
async fn delete_from_r2(
    env: &Env,
    history: &History,
    next: fn(&History, i64) -> Result<Vec<String>, ApiError>,
) -> Result<(), ApiError> {
    let mut files = next(history, DELETE_BATCH)?;
    if files.is_empty() {
        return Ok(());
    }
    let Some(room_id) = history.room_id()? else { return Ok(()) };
    let bucket = bucket(env)?;
    while !files.is_empty() {
        bucket.delete_multiple(files.iter().map(|id| key(&room_id, id)).collect()).await?;
        history.forget_files(&files)?;
        files = next(history, DELETE_BATCH)?;
    }
    Ok(())
}
