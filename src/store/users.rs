//! Users: accounts, their password hashes and the throttles that guard them.

use serde::Deserialize;
use worker::D1PreparedStatement;

use super::sessions::{end_other_sessions, Caller, Forgetting, NewSession, ToForget};
use super::{int, sql, text, Batch, Db};
use crate::domain::throttle::{Throttle, HOUR_MILLIS};
use crate::domain::{UserId, Username};
use crate::error::ApiError;

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
/// other ids' windows that have passed, and reads the stored hash, in one transaction; guarded
/// by the key of `caller` (an account change), so that a dead key counts no attempt.
pub async fn attempt_password(
    db: &Db,
    user_id: &UserId,
    caller: Option<&Caller>,
    now: i64,
) -> Result<PasswordAttempt, ApiError> {
    let user_id = user_id.to_string();
    let expired = now - Throttle::PASSWORD.window_millis;
    let mut batch = Batch::of_caller(db, caller)?;
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

/// After a right password: records the new session row (forgetting the user's expired ones,
/// and ending the oldest past `cap` live ones, their KV entries queued to go), stores the
/// re-hashed password if the iteration count changed, and resets the attempt count, in one
/// transaction; the first chunk of KV entries to forget.
pub async fn log_in(
    db: &Db,
    user_id: &UserId,
    rehashed_password: Option<&str>,
    session: &NewSession,
    cap: u32,
) -> Result<Forgetting, ApiError> {
    let id = user_id.to_string();
    let now = session.created_at;
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::DELETE_EXPIRED_SESSIONS, &[text(&id), int(now)])?);
    batch.write(session.insert_row(db)?);
    let beyond = [text(&id), int(i64::from(cap)), int(now)];
    batch.write(db.prepare(sql::QUEUE_OLDEST_SESSIONS, &beyond)?);
    batch.write(db.prepare(sql::DELETE_OLDEST_SESSIONS, &beyond[..2])?);
    batch.write(reset_attempts(db, &id)?);
    if let Some(hash) = rehashed_password {
        batch.write(db.prepare(sql::UPDATE_PASSWORD, &[text(&id), text(hash)])?);
    }
    let chunk = ToForget::read(db, &mut batch)?;
    let results = batch.run().await?;
    chunk.of(&results)
}

/// Stores a new password hash and ends every other session of the user, in one transaction
/// guarded by the caller's key being live; the first chunk of KV entries to forget.
pub async fn change_password(db: &Db, caller: &Caller, new_hash: &str, now: i64) -> Result<Forgetting, ApiError> {
    let id = caller.user_id.to_string();
    let mut batch = Batch::of_caller(db, Some(caller))?;
    end_other_sessions(db, &mut batch, caller, now)?;
    batch.write(db.prepare(sql::UPDATE_PASSWORD, &[text(&id), text(new_hash)])?);
    batch.write(reset_attempts(db, &id)?);
    let chunk = ToForget::read(db, &mut batch)?;
    let results = batch.run().await?;
    chunk.of(&results)
}

/// Deletes the account in one transaction guarded by the caller's key being live: each room
/// it owns passes to its longest-standing admin, else its longest-standing member, who becomes
/// an admin; a room with nobody else is deleted. Memberships, bans and sessions go with the
/// user (the sessions' KV entries queued to go too); messages stay in their rooms.
pub async fn delete(db: &Db, caller: &Caller, now: i64) -> Result<Forgetting, ApiError> {
    let id = text(&caller.user_id.to_string());
    let mut batch = Batch::of_caller(db, Some(caller))?;
    batch.write(db.prepare(sql::QUEUE_USER_SESSIONS, &[id.clone(), int(now)])?);
    for statement in
        [sql::HAND_OVER_OWNED_ROOMS, sql::NEW_OWNERS_ARE_ADMINS, sql::DELETE_OWNED_ROOMS, sql::RESET_ATTEMPTS]
    {
        batch.write(db.prepare(statement, std::slice::from_ref(&id))?);
    }
    // Last: the guard above has already read the session row its cascade removes.
    batch.write(db.prepare(sql::DELETE_USER, &[id])?);
    let chunk = ToForget::read(db, &mut batch)?;
    let results = batch.run().await?;
    chunk.of(&results)
}
