//! What logging in and account changes share: checking a password against the throttle, and
//! starting a session.

use crate::auth::password::PasswordHash;
use crate::auth::session::SessionKey;
use crate::clock::now_millis;
use crate::config::Config;
use crate::domain::throttle::Throttle;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::store::sessions::NewSession;
use crate::store::{users, Db, Sessions};

/// Checks `password` for `user_id`, counting the attempt against the throttle first: past 5
/// attempts in 15 minutes the answer is 429 without any check. An unknown user costs the same
/// hashing as a known one, so that timing does not tell them apart. `Ok(None)`: wrong
/// password or unknown user.
pub async fn check_password(
    db: &Db,
    config: &Config,
    user_id: &UserId,
    password: &[u8],
) -> Result<Option<PasswordHash>, ApiError> {
    let now = now_millis();
    let attempt = users::attempt_password(db, user_id, now).await?;
    Throttle::PASSWORD.check(attempt.attempts, attempt.window_start, now).map_err(|retry_after| {
        ApiError::TooManyRequests { message: "too many password attempts: try again later", retry_after }
    })?;
    let Some(stored) = attempt.stored_hash else {
        PasswordHash::verify_against_dummy(password, config.pbkdf2_iterations);
        return Ok(None);
    };
    let stored = PasswordHash::parse(&stored)
        .ok_or_else(|| ApiError::internal(format!("user {user_id} has an unreadable password hash")))?;
    Ok(stored.verify(password).then_some(stored))
}

/// Starts a session for `user_id`: a fresh key, whose D1 row `record` writes in the batch of
/// the sign-up or login, then made live in KV. The key is for the client, once.
pub async fn start_session(
    sessions: &Sessions,
    config: &Config,
    user_id: UserId,
    record: impl AsyncFnOnce(&NewSession) -> Result<(), ApiError>,
) -> Result<SessionKey, ApiError> {
    let key = SessionKey::generate()?;
    let session = NewSession::new(&key, user_id, now_millis(), config.session_ttl_seconds);
    record(&session).await?;
    sessions.activate(&session).await?;
    Ok(key)
}
