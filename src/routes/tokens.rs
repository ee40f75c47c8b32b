//! `/token`: logging in (a new session key) and revoking a key; and the password check that
//! logging in shares with account changes.

use serde_json::json;
use worker::{Request, Response};

use super::{db, sessions, Ctx};
use crate::auth::password::PasswordHash;
use crate::auth::random_bytes;
use crate::auth::session::SessionKey;
use crate::config::Config;
use crate::domain::throttle::Throttle;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::http::{json, no_content, read_input};
use crate::store::sessions::NewSession;
use crate::store::{now_millis, users, Db};

/// The same answer for an unknown user and a wrong password.
const BAD_CREDENTIALS: ApiError = ApiError::Unauthorized("wrong user_id or password");

/// Checks `password` for `user_id`, counting the attempt against the throttle first: past 5
/// attempts in 15 minutes the answer is 429 without any check. An unknown user costs the same
/// hashing as a known one, so that timing does not tell them apart. `Ok(None)`: wrong
/// password or unknown user.
pub(super) async fn check_password(
    db: &Db,
    config: &Config,
    user_id: &UserId,
    password: &[u8],
) -> Result<Option<PasswordHash>, ApiError> {
    let now = now_millis();
    let attempt = users::attempt_password(db, user_id, now).await?;
    Throttle::PASSWORD
        .check(attempt.attempts, attempt.window_start, now)
        .map_err(|retry_after| ApiError::TooManyRequests { message: "too many password attempts: try again later", retry_after })?;
    let Some(stored) = attempt.stored_hash else {
        PasswordHash::verify_against_dummy(password, config.pbkdf2_iterations);
        return Ok(None);
    };
    let stored = PasswordHash::parse(&stored)
        .ok_or_else(|| ApiError::internal(format!("user {user_id} has an unreadable password hash")))?;
    Ok(stored.verify(password).then_some(stored))
}

/// `GET /token?user_id&password` → 200 `{key}`, a new key for every login. `POST /token`
/// takes the same fields from its body, so that a password need not travel in a URL.
pub async fn create(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let user_id = UserId::parse(input.required_text("user_id")?)?;
    let password = input.required_text("password")?.as_bytes();
    let config = &ctx.data.config;
    let db = db(&ctx)?;
    let sessions = sessions(&ctx)?;
    let stored = check_password(&db, config, &user_id, password).await?.ok_or(BAD_CREDENTIALS)?;

    // The iteration count changed since this hash was stored: store it anew at the new count.
    let rehashed = (stored.iterations() != config.pbkdf2_iterations)
        .then(|| random_bytes().map(|salt| PasswordHash::new(password, config.pbkdf2_iterations, salt).encode()))
        .transpose()?;
    let key = SessionKey::generate()?;
    let session = NewSession::new(&key, user_id, now_millis(), config.session_ttl_seconds);
    users::log_in(&db, &user_id, rehashed.as_deref(), &session).await?;
    sessions.activate(&session).await?;
    json(200, &json!({ "key": key.reveal() }))
}

/// `DELETE /token {key, user_id}` → 204; the key stops working at once.
pub async fn revoke(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let key = input.required_key()?;
    let user_id = UserId::parse(input.required_text("user_id")?)?;
    sessions(&ctx)?.revoke(&db(&ctx)?, key, &user_id).await?;
    no_content()
}
