//! Users: accounts, their password hashes and the throttles that guard them.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

use super::{int, sql, text, Batch, Db, Rows};
use crate::auth::session::KeyHash;
use crate::domain::throttle::{Throttle, HOUR_MILLIS};
use crate::domain::{UserId, Username};
use crate::error::ApiError;
use crate::store::sessions::NewSession;

#[derive(Debug, Deserialize)]
pub struct UserRow {
    pub username: String,
}

/// Creates the user and its first session row in one transaction.
pub async fn create(
    db: &Db,
    user_id: &UserId,
    username: &Username,
    password_hash: &str,
    session: &NewSession,
) -> Result<(), ApiError> {
    let insert_user = db.prepare(
        sql::INSERT_USER,
        &[text(&user_id.to_string()), text(username.as_str()), text(password_hash), int(session.created_at)],
    )?;
    let mut batch = Batch::new(db);
    batch.write(insert_user);
    batch.write(session.insert_row(db)?);
    batch.run().await?;
    Ok(())
}

pub async fn find(db: &Db, user_id: &UserId) -> Result<Option<UserRow>, ApiError> {
    let statement = db.prepare(sql::USERNAME, &[text(&user_id.to_string())])?;
    db.first(statement).await
}

#[derive(Deserialize)]
struct CountRow {
    count: i64,
}

/// Counts one sign-up from a client address in the current clock hour (forgetting past
/// hours) and returns the hour's count so far, this one included.
pub async fn count_signup(db: &Db, address_hash: &str, now: i64) -> Result<i64, ApiError> {
    let hour = now.div_euclid(HOUR_MILLIS);
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::FORGET_SIGNUP_HOURS, &[int(hour)])?);
    let count = batch.read::<CountRow>(db.prepare(sql::COUNT_SIGNUP, &[text(address_hash), int(hour)])?);
    let results = batch.run().await?;
    results.first(&count)?.map(|row| row.count).ok_or_else(|| ApiError::internal("sign-up count returned no row"))
}

/// One password attempt, counted before the password is checked so that concurrent attempts
/// cannot slip past the throttle, with what is needed to check it.
pub struct PasswordAttempt {
    /// Attempts in the current window, this one included.
    pub attempts: i64,
    pub window_start: i64,
    /// The stored hash; `None` for an unknown user.
    pub stored_hash: Option<String>,
}

#[derive(Deserialize)]
struct AttemptRow {
    attempts: i64,
    window_start: i64,
}

#[derive(Deserialize)]
struct PasswordRow {
    password: String,
}

/// Counts a password attempt for `user_id` (a window that has passed starts anew), forgets
/// other ids' windows that have passed, and reads the stored hash, in one transaction.
pub async fn attempt_password(db: &Db, user_id: &UserId, now: i64) -> Result<PasswordAttempt, ApiError> {
    let user_id = user_id.to_string();
    let expired = now - Throttle::PASSWORD.window_millis;
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::FORGET_ATTEMPT_WINDOWS, &[int(expired)])?);
    let attempt = batch.read::<AttemptRow>(db.prepare(sql::COUNT_ATTEMPT, &[text(&user_id), int(now)])?);
    let password = batch.read::<PasswordRow>(db.prepare(sql::STORED_PASSWORD, &[text(&user_id)])?);
    let results = batch.run().await?;
    let attempt = results.first(&attempt)?.ok_or_else(|| ApiError::internal("attempt count returned no row"))?;
    Ok(PasswordAttempt {
        attempts: attempt.attempts,
        window_start: attempt.window_start,
        stored_hash: results.first(&password)?.map(|row| row.password),
    })
}

/// A right password resets the user's attempt count.
fn reset_attempts(db: &Db, user_id: &str) -> Result<D1PreparedStatement, ApiError> {
    db.prepare(sql::RESET_ATTEMPTS, &[text(user_id)])
}

/// After a right password: records the new session row (forgetting the user's expired ones),
/// stores the re-hashed password if the iteration count changed, and resets the attempt count,
/// in one transaction.
pub async fn log_in(
    db: &Db,
    user_id: &UserId,
    rehashed_password: Option<&str>,
    session: &NewSession,
) -> Result<(), ApiError> {
    let id = user_id.to_string();
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::DELETE_EXPIRED_SESSIONS, &[text(&id), int(session.created_at)])?);
    batch.write(session.insert_row(db)?);
    batch.write(reset_attempts(db, &id)?);
    if let Some(hash) = rehashed_password {
        batch.write(db.prepare(sql::UPDATE_PASSWORD, &[text(&id), text(hash)])?);
    }
    batch.run().await?;
    Ok(())
}

#[derive(Deserialize)]
struct LiveRow {
    live: i64,
}

#[derive(Deserialize)]
struct KeyHashRow {
    key_hash: String,
}

/// What an account change revoked, if it went ahead.
pub struct Revoked {
    /// The hashes of the session keys whose rows were deleted: their KV entries must go too.
    pub key_hashes: Vec<String>,
}

/// An account change's batch: every statement is guarded by the request's key being live in
/// D1 (`?1` the user, `?2` the key's hash, `?3` now), and the first says whether it was.
struct KeyGuarded<'db> {
    batch: Batch<'db>,
    db: &'db Db,
    user_id: String,
    key: &'db KeyHash,
    now: i64,
    live: Rows<LiveRow>,
}

impl<'db> KeyGuarded<'db> {
    fn new(db: &'db Db, user_id: &UserId, key: &'db KeyHash, now: i64) -> Result<Self, ApiError> {
        let user_id = user_id.to_string();
        let mut batch = Batch::new(db);
        let live = batch.read(db.prepare(sql::KEY_IS_LIVE, &[text(&user_id), text(key.as_str()), int(now)])?);
        Ok(Self { batch, db, user_id, key, now, live })
    }

    fn statement(&self, sql: &str, extra: &[JsValue]) -> Result<D1PreparedStatement, ApiError> {
        let mut args = vec![text(&self.user_id), text(self.key.as_str()), int(self.now)];
        args.extend_from_slice(extra);
        self.db.prepare(sql, &args)
    }

    fn read<T: serde::de::DeserializeOwned>(&mut self, sql: &str) -> Result<Rows<T>, ApiError> {
        let statement = self.statement(sql, &[])?;
        Ok(self.batch.read(statement))
    }

    fn write(&mut self, sql: &str, extra: &[JsValue]) -> Result<(), ApiError> {
        let statement = self.statement(sql, extra)?;
        self.batch.write(statement);
        Ok(())
    }

    /// Runs the change; the key hashes that `revoked` read, or `None` when the key was not live
    /// (then nothing was written).
    async fn run(self, revoked: Rows<KeyHashRow>) -> Result<Option<Revoked>, ApiError> {
        let results = self.batch.run().await?;
        let live = results.first(&self.live)?.is_some_and(|row| row.live != 0);
        if !live {
            return Ok(None);
        }
        let key_hashes = results.rows(&revoked)?.into_iter().map(|row| row.key_hash).collect();
        Ok(Some(Revoked { key_hashes }))
    }
}

/// Stores a new password hash and ends every other session of the user, in one transaction.
pub async fn change_password(
    db: &Db,
    user_id: &UserId,
    key: &KeyHash,
    new_hash: &str,
    now: i64,
) -> Result<Option<Revoked>, ApiError> {
    let mut change = KeyGuarded::new(db, user_id, key, now)?;
    let others = change.read(sql::OTHER_SESSIONS)?;
    change.write(sql::DELETE_OTHER_SESSIONS, &[])?;
    change.write(sql::CHANGE_PASSWORD, &[text(new_hash)])?;
    change.batch.write(reset_attempts(db, &change.user_id)?);
    change.run(others).await
}

/// Deletes the account in one transaction: each room it owns passes to its longest-standing
/// admin, else its longest-standing member, who becomes an admin; a room with nobody else is
/// deleted. Memberships, bans and sessions go with the user; messages stay in their rooms.
pub async fn delete(db: &Db, user_id: &UserId, key: &KeyHash, now: i64) -> Result<Option<Revoked>, ApiError> {
    let mut change = KeyGuarded::new(db, user_id, key, now)?;
    let sessions = change.read(sql::ALL_SESSIONS)?;
    change.write(sql::HAND_OVER_OWNED_ROOMS, &[])?;
    change.write(sql::NEW_OWNERS_ARE_ADMINS, &[])?;
    change.write(sql::DELETE_OWNED_ROOMS, &[])?;
    change.write(sql::DELETE_ATTEMPTS_OF_LIVE, &[])?;
    // Last: its cascade removes the sessions the guard reads.
    change.write(sql::DELETE_USER, &[])?;
    change.run(sessions).await
}
