//! `/token`: logging in (a new session key) and revoking a key.

use serde_json::json;
use worker::{Request, Response};

use super::credentials::{check_password, start_session};
use super::{db, sessions, Ctx};
use crate::auth::password::PasswordHash;
use crate::auth::random_bytes;
use crate::auth::session::KeyHash;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::http::{json, no_content, read_input, read_input_with_query_key};
use crate::store::{sessions as session_rows, users};

/// The same answer for an unknown user and a wrong password.
const BAD_CREDENTIALS: ApiError = ApiError::Unauthorized("wrong user_id or password");

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
    let key = start_session(&sessions, config, user_id, async |session| {
        users::log_in(&db, &user_id, rehashed.as_deref(), session).await
    })
    .await?;
    json(200, &json!({ "key": key.reveal() }))
}

/// `DELETE /token {key, user_id}` → 204; the key stops working at once. 401 (and nothing
/// revoked) if it is not a live key of that user.
pub async fn revoke(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input_with_query_key(&mut req).await?;
    let key = KeyHash::of(input.required_key()?)?;
    let user_id = UserId::parse(input.required_text("user_id")?)?;
    let sessions = sessions(&ctx)?;
    if sessions.owner(&key).await? != user_id {
        return Err(ApiError::INVALID_KEY);
    }
    sessions.forget(&[key.as_str()]).await?;
    session_rows::delete_row(&db(&ctx)?, &key).await?;
    no_content()
}
