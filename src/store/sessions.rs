//! Live sessions. D1 decides: a key is live while its session row is, and every request that
//! presents a key has its batch guarded by that row (`Batch::of_caller`). Workers KV is the
//! fast first look: one entry per key, named by the key's hash, holding the user id and
//! expiring with the session, so that an unknown key is turned away without touching D1. A
//! KV entry left behind by a revoked key is harmless (D1 refuses it); the entries of ended
//! sessions are queued in D1 (`kv_forget`) in the transaction that ends them, and deleted a
//! chunk at a time, well below the KV operations a Worker may make per invocation.

use serde::Deserialize;
use worker::{Env, KvStore};

use super::outbox::{Outbox, Since};
use super::{int, sql, text, Batch, Db};
use crate::auth::session::{KeyHash, SessionKey};
use crate::domain::UserId;
use crate::error::ApiError;
use crate::log::RequestLog;

/// KV entries deleted per drain: a Worker may make about 1,000 KV operations per invocation,
/// and the request that drains makes a few of its own.
pub const FORGET_CHUNK: u32 = 400;

/// The holder of a key that KV knows, and the user KV says it belongs to. D1 has the last
/// word, in the batch of the holder's request (`Batch::of_caller`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub key: KeyHash,
}

/// A session about to be recorded.
pub struct NewSession {
    pub hash: KeyHash,
    pub user_id: UserId,
    pub created_at: i64,
    pub ttl_seconds: u64,
}

impl NewSession {
    pub fn new(key: &SessionKey, user_id: UserId, now: i64, ttl_seconds: u64) -> Self {
        Self { hash: key.hash(), user_id, created_at: now, ttl_seconds }
    }

    fn expires_at(&self) -> i64 {
        let ttl_millis = i64::try_from(self.ttl_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        self.created_at.saturating_add(ttl_millis)
    }

    pub(super) fn insert_row(&self, db: &Db) -> Result<worker::D1PreparedStatement, ApiError> {
        db.prepare(
            sql::INSERT_SESSION,
            &[text(self.hash.as_str()), text(&self.user_id.to_string()), int(self.expires_at())],
        )
    }
}

/// The KV namespace of live keys, counting its operations.
pub struct Sessions {
    kv: KvStore,
    log: RequestLog,
}

impl Sessions {
    pub fn open(env: &Env, log: &RequestLog) -> Result<Self, ApiError> {
        let kv = env.kv("SESSIONS").map_err(|error| ApiError::Unavailable(format!("KV binding SESSIONS: {error}")))?;
        Ok(Self { kv, log: log.clone() })
    }

    /// Makes the key known to KV until its session expires. Done before the session's D1 row
    /// commits: an entry whose row never commits is dead anyway, since D1 decides.
    pub async fn activate(&self, session: &NewSession) -> Result<(), ApiError> {
        self.log.kv_write();
        let put = self.kv.put(session.hash.as_str(), session.user_id.to_string())?;
        put.expiration_ttl(session.ttl_seconds).execute().await?;
        Ok(())
    }

    /// The holder of `key`; 401 for a malformed key or one KV does not know. Whether it is
    /// live is for D1 to say, in the request's batch.
    pub async fn caller(&self, key: &str) -> Result<Caller, ApiError> {
        let key = KeyHash::of(key)?;
        self.log.kv_read();
        let user_id = self.kv.get(key.as_str()).text().await?.ok_or(ApiError::INVALID_KEY)?;
        let user_id = UserId::parse(&user_id)
            .map_err(|_| ApiError::internal(format!("session {} holds {user_id:?}", key.as_str())))?;
        Ok(Caller { user_id, key })
    }

    /// Drops the KV entries of these key hashes, all at once.
    async fn forget(&self, key_hashes: &[String]) -> Result<(), ApiError> {
        let deletes = key_hashes.iter().map(|hash| {
            self.log.kv_write();
            self.kv.delete(hash)
        });
        for result in futures_util::future::join_all(deletes).await {
            result?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct KeyHashRow {
    key_hash: String,
}

/// Runs `batch`, which may queue KV entries to forget and events for rooms (an ended session
/// tells the rooms where its key is live), and reads the KV queue's oldest chunk and the
/// touched rooms' events last in it, so that they see what the batch queued. `since` was read
/// first in the batch.
pub(super) async fn run_then_forget(db: &Db, mut batch: Batch<'_>, since: Since) -> Result<Forgetting, ApiError> {
    let chunk = batch.read::<KeyHashRow>(db.prepare(sql::KV_FORGET_CHUNK, &[int(i64::from(FORGET_CHUNK))])?);
    let touched = since.touched(db, &mut batch)?;
    let results = batch.run().await?;
    Ok(Forgetting {
        keys: results.rows(&chunk)?.into_iter().map(|row| row.key_hash).collect(),
        outbox: touched.outbox(&results)?,
    })
}

/// A chunk of key hashes whose KV entries are to go, and the rooms' events to hand over, as
/// the committed batch read them.
#[must_use = "the chunk is forgotten only by `finish`"]
pub struct Forgetting {
    keys: Vec<String>,
    pub outbox: Outbox,
}

impl Forgetting {
    /// Deletes the chunk's KV entries, then takes them off the queue; what fails stays queued
    /// for the next drain.
    pub async fn finish(self, db: &Db, sessions: &Sessions) -> Result<usize, ApiError> {
        if self.keys.is_empty() {
            return Ok(0);
        }
        sessions.forget(&self.keys).await?;
        let hashes = serde_json::to_string(&self.keys).map_err(ApiError::internal)?;
        let mut batch = Batch::new(db);
        batch.write(db.prepare(sql::KV_FORGOTTEN, &[text(&hashes)])?);
        batch.run().await?;
        Ok(self.keys.len())
    }
}

/// Forgets the oldest chunk of the queue (the scheduled handler's work): how many it forgot.
pub async fn drain(db: &Db, sessions: &Sessions) -> Result<usize, ApiError> {
    let mut batch = Batch::new(db);
    let since = Since::read(db, &mut batch)?;
    run_then_forget(db, batch, since).await?.finish(db, sessions).await
}

/// Ends the caller's own session (`DELETE /token`): its row goes and its KV entry is queued,
/// in one transaction guarded by the key being live.
pub async fn end(db: &Db, caller: &Caller, now: i64) -> Result<Forgetting, ApiError> {
    let mut batch = Batch::of_caller(db, Some(caller))?;
    let since = Since::read(db, &mut batch)?;
    batch.write(db.prepare(sql::QUEUE_SESSION, &[text(caller.key.as_str()), int(now)])?);
    batch.write(db.prepare(sql::DELETE_SESSION, &[text(caller.key.as_str())])?);
    run_then_forget(db, batch, since).await
}

/// Ends every session of the caller's user but the caller's own, in one transaction guarded
/// by the caller's key being live.
pub async fn end_others(db: &Db, caller: &Caller, now: i64) -> Result<Forgetting, ApiError> {
    let mut batch = Batch::of_caller(db, Some(caller))?;
    let since = Since::read(db, &mut batch)?;
    end_other_sessions(db, &mut batch, caller, now)?;
    run_then_forget(db, batch, since).await
}

/// Queues the KV entries of every other session of the caller's user, then deletes the rows.
pub(super) fn end_other_sessions(db: &Db, batch: &mut Batch<'_>, caller: &Caller, now: i64) -> Result<(), ApiError> {
    let (user_id, key) = (text(&caller.user_id.to_string()), text(caller.key.as_str()));
    batch.write(db.prepare(sql::QUEUE_OTHER_SESSIONS, &[user_id.clone(), key.clone(), int(now)])?);
    batch.write(db.prepare(sql::DELETE_OTHER_SESSIONS, &[user_id, key])?);
    Ok(())
}
