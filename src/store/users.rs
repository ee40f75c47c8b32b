//! Users: accounts, their password hashes and the throttles that guard them.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

use super::{batch_rows, int, sql, text, Db};
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
        &[text(&user_id.as_string()), text(username.as_str()), text(password_hash), int(session.created_at)],
    )?;
    db.batch(vec![insert_user, session.insert_row(db)?]).await?;
    Ok(())
}

pub async fn find(db: &Db, user_id: &UserId) -> Result<Option<UserRow>, ApiError> {
    let statement = db.prepare(sql::USERNAME, &[text(&user_id.as_string())])?;
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
    let forget = db.prepare(sql::FORGET_SIGNUP_HOURS, &[int(hour)])?;
    let count = db.prepare(sql::COUNT_SIGNUP, &[text(address_hash), int(hour)])?;
    let results = db.batch(vec![forget, count]).await?;
    batch_rows::<CountRow>(&results, 1)?
        .first()
        .map(|row| row.count)
        .ok_or_else(|| ApiError::internal("sign-up count returned no row"))
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
    let user_id = user_id.as_string();
    let expired = now - Throttle::PASSWORD.window_millis;
    let forget = db.prepare(sql::FORGET_ATTEMPT_WINDOWS, &[int(expired)])?;
    let count = db.prepare(sql::COUNT_ATTEMPT, &[text(&user_id), int(now)])?;
    let password = db.prepare(sql::STORED_PASSWORD, &[text(&user_id)])?;
    let results = db.batch(vec![forget, count, password]).await?;
    let attempt = batch_rows::<AttemptRow>(&results, 1)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("attempt count returned no row"))?;
    Ok(PasswordAttempt {
        attempts: attempt.attempts,
        window_start: attempt.window_start,
        stored_hash: batch_rows::<PasswordRow>(&results, 2)?.into_iter().next().map(|row| row.password),
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
    let id = user_id.as_string();
    let mut statements = vec![
        db.prepare(sql::DELETE_EXPIRED_SESSIONS, &[text(&id), int(session.created_at)])?,
        session.insert_row(db)?,
        reset_attempts(db, &id)?,
    ];
    if let Some(hash) = rehashed_password {
        statements.push(db.prepare(sql::UPDATE_PASSWORD, &[text(&id), text(hash)])?);
    }
    db.batch(statements).await?;
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

fn guarded(db: &Db, sql: &str, user_id: &str, key: &KeyHash, now: i64, extra: &[JsValue]) -> Result<D1PreparedStatement, ApiError> {
    let mut args = vec![text(user_id), text(key.as_str()), int(now)];
    args.extend_from_slice(extra);
    db.prepare(sql, &args)
}

/// Runs `statements` after checking the key in D1 and returns the key hashes the statement
/// at `hashes_at` read; `None` when the key was not live (then nothing was written).
async fn run_if_live(db: &Db, statements: Vec<D1PreparedStatement>, hashes_at: usize) -> Result<Option<Revoked>, ApiError> {
    let results = db.batch(statements).await?;
    let live = batch_rows::<LiveRow>(&results, 0)?.first().is_some_and(|row| row.live != 0);
    if !live {
        return Ok(None);
    }
    let key_hashes = batch_rows::<KeyHashRow>(&results, hashes_at)?.into_iter().map(|row| row.key_hash).collect();
    Ok(Some(Revoked { key_hashes }))
}

/// Stores a new password hash and ends every other session of the user, in one transaction.
pub async fn change_password(db: &Db, user_id: &UserId, key: &KeyHash, new_hash: &str, now: i64) -> Result<Option<Revoked>, ApiError> {
    let id = user_id.as_string();
    let statements = vec![
        guarded(db, sql::KEY_IS_LIVE, &id, key, now, &[])?,
        guarded(db, sql::OTHER_SESSIONS, &id, key, now, &[])?,
        guarded(db, sql::DELETE_OTHER_SESSIONS, &id, key, now, &[])?,
        guarded(db, sql::CHANGE_PASSWORD, &id, key, now, &[text(new_hash)])?,
        reset_attempts(db, &id)?,
    ];
    run_if_live(db, statements, 1).await
}

/// Deletes the account in one transaction: each room it owns passes to its longest-standing
/// admin, else its longest-standing member, who becomes an admin; a room with nobody else is
/// deleted. Memberships, bans and sessions go with the user; messages stay in their rooms.
pub async fn delete(db: &Db, user_id: &UserId, key: &KeyHash, now: i64) -> Result<Option<Revoked>, ApiError> {
    let id = user_id.as_string();
    let statements = vec![
        guarded(db, sql::KEY_IS_LIVE, &id, key, now, &[])?,
        guarded(db, sql::ALL_SESSIONS, &id, key, now, &[])?,
        guarded(db, sql::HAND_OVER_OWNED_ROOMS, &id, key, now, &[])?,
        guarded(db, sql::NEW_OWNERS_ARE_ADMINS, &id, key, now, &[])?,
        guarded(db, sql::DELETE_OWNED_ROOMS, &id, key, now, &[])?,
        guarded(db, sql::DELETE_ATTEMPTS_OF_LIVE, &id, key, now, &[])?,
        // Last: its cascade removes the sessions the guard reads.
        guarded(db, sql::DELETE_USER, &id, key, now, &[])?,
    ];
    run_if_live(db, statements, 1).await
}
