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
use crate::store::{users, Caller, Db, Sessions};

/// Checks `password` for `user_id`, counting the attempt against the throttle first: past 5
/// attempts in 15 minutes the answer is 429 without any check. An unknown user costs the same
/// hashing as a known one, so that timing does not tell them apart. `Ok(None)`: wrong
/// password or unknown user. An account change (`caller`: the key that asks) is 401 first
/// if D1 finds its key dead.
pub async fn check_password(
    db: &Db,
    config: &Config,
    user_id: &UserId,
    caller: Option<&Caller>,
    password: &[u8],
) -> Result<Option<PasswordHash>, ApiError> {
    let now = now_millis();
    let attempt = users::attempt_password(db, user_id, caller, now).await?;
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

/// Starts a session for `user_id`: a fresh key, made known to KV, then recorded by `record`
/// in the D1 batch of the sign-up or login. KV comes first so that nothing can fail once D1
/// has committed: an account or session is never committed without its id and key reaching
/// the client. A KV entry whose row never commits is dead anyway (D1 decides), and expires.
/// The key is for the client, once.
pub async fn start_session<T>(
    sessions: &Sessions,
    config: &Config,
    user_id: UserId,
    record: impl AsyncFnOnce(&NewSession) -> Result<T, ApiError>,
) -> Result<(SessionKey, T), ApiError> {
    let key = SessionKey::generate()?;
    let session = NewSession::new(&key, user_id, now_millis(), config.session_ttl_seconds);
    sessions.activate(&session).await?;
    let recorded = record(&session).await?;
    Ok((key, recorded))
}
