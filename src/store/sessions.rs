//! Live sessions. Workers KV is the fast path: one entry per key, named by the key's hash,
//! holding the user id and expiring with the session. D1 keeps a row per session too, so
//! that all of one user's sessions can be found and revoked.

use worker::{Env, KvStore};

use super::{int, sql, text, Batch, Db};
use crate::auth::session::{KeyHash, SessionKey};
use crate::domain::UserId;
use crate::error::ApiError;
use crate::http::RequestLog;

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

    /// Makes the key usable until its session expires.
    pub async fn activate(&self, session: &NewSession) -> Result<(), ApiError> {
        self.log.kv_write();
        let put = self.kv.put(session.hash.as_str(), session.user_id.to_string())?;
        put.expiration_ttl(session.ttl_seconds).execute().await?;
        Ok(())
    }

    /// The user a key belongs to; 401 for a malformed, unknown, expired or revoked key.
    pub async fn user_of(&self, key: &str) -> Result<UserId, ApiError> {
        self.owner(&KeyHash::of(key)?).await
    }

    /// The user the key with this hash belongs to; 401 if it is not live.
    pub async fn owner(&self, hash: &KeyHash) -> Result<UserId, ApiError> {
        self.log.kv_read();
        let user_id = self.kv.get(hash.as_str()).text().await?.ok_or(ApiError::INVALID_KEY)?;
        UserId::parse(&user_id).map_err(|_| ApiError::internal(format!("session {} holds {user_id:?}", hash.as_str())))
    }

    /// Drops the KV entries of these key hashes, all at once.
    pub async fn forget(&self, key_hashes: &[impl AsRef<str>]) -> Result<(), ApiError> {
        let deletes = key_hashes.iter().map(|hash| {
            self.log.kv_write();
            self.kv.delete(hash.as_ref())
        });
        for result in futures_util::future::join_all(deletes).await {
            result?;
        }
        Ok(())
    }
}

/// Deletes the D1 row of one session.
pub async fn delete_row(db: &Db, hash: &KeyHash) -> Result<(), ApiError> {
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::DELETE_SESSION, &[text(hash.as_str())])?);
    batch.run().await?;
    Ok(())
}
