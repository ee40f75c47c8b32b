//! `/token`: logging in (a new session key) and revoking a key.

use serde_json::json;
use worker::{Request, Response};

use super::credentials::{address_key, check_password, client_network, hash_password, limit_network, start_session};
use super::{caller, db, forget, sessions, Ctx};
use crate::clock::now_millis;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::http::{json, no_content, read_input, read_input_with_query_key};
use crate::store::users::Source;
use crate::store::{sessions as session_rows, users};

/// The same answer for an unknown user and a wrong password.
const BAD_CREDENTIALS: ApiError = ApiError::Unauthorized("wrong user_id or password");

/// `GET /token?user_id&password` → 200 `{key}`, a new key for every login. `POST /token`
/// takes the same fields from its body, so that a password need not travel in a URL.
pub async fn create(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let network = client_network(&req);
    limit_network(&ctx, &network).await?;
    let input = read_input(&mut req).await?;
    let user_id = UserId::parse(input.required_text("user_id")?)?;
    let password = input.required_text("password")?.as_bytes();
    let (config, log) = (&ctx.data.config, &ctx.data.log);
    let source = Source::Network(address_key(config)?.tag(&network));
    let db = db(&ctx)?;
    let sessions = sessions(&ctx)?;
    let stored = check_password(&db, log, &user_id, &source, password).await?.ok_or(BAD_CREDENTIALS)?;

    // The iteration count was raised since this hash was stored: store it anew at the new count.
    // Never lowered: a setting turned down (by mistake, or for tests) weakens no stored hash.
    let rehashed = stored
        .needs_rehash(config.pbkdf2_iterations)
        .then(|| hash_password(log, password, config.pbkdf2_iterations).map(|hash| hash.encode()))
        .transpose()?;
    let (key, ended) = start_session(&sessions, config, user_id, async |session| {
        users::log_in(&db, &user_id, &source, rehashed.as_deref(), session, config.sessions_per_user).await
    })
    .await?;
    forget(&ctx, &db, ended).await;
    json(200, &json!({ "key": key.reveal() }))
}

/// `DELETE /token {key, user_id}` → 204; the key stops working at once. 401 (and nothing
/// revoked) if it is not a live key of that user.
pub async fn revoke(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input_with_query_key(&mut req).await?;
    let caller = caller(&ctx, &input).await?;
    let user_id = UserId::parse(input.required_text("user_id")?)?;
    if caller.user_id != user_id {
        return Err(ApiError::INVALID_KEY);
    }
    let db = db(&ctx)?;
    let ended = session_rows::end(&db, &caller, now_millis()).await?;
    forget(&ctx, &db, ended).await;
    no_content()
}
