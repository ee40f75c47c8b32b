//! `/user`: sign-up and public profiles.

use serde_json::json;
use worker::{Request, Response};

use super::{db, sessions, Ctx};
use crate::auth::password::PasswordHash;
use crate::auth::random_bytes;
use crate::auth::session::SessionKey;
use crate::domain::{Password, UserId, Username};
use crate::error::ApiError;
use crate::http::{json, param, read_input};
use crate::store::sessions::NewSession;
use crate::store::{now_millis, users};

/// `POST /user {username, password}` → 202 `{user_id, key}`: the new user, logged in.
pub async fn create(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let config = &ctx.data.config;
    if !config.registration.admits(input.text("registration_token")?) {
        return Err(ApiError::Forbidden("registration is closed"));
    }
    let username = Username::parse(input.required_text("username")?)?;
    let password = Password::parse("password", input.required_text("password")?)?;

    let user_id = UserId::from_random_bytes(random_bytes()?);
    let hash = PasswordHash::new(password.as_bytes(), config.pbkdf2_iterations, random_bytes()?);
    let key = SessionKey::generate()?;
    let session = NewSession::new(&key, user_id, now_millis(), config.session_ttl_seconds);

    users::create(&db(&ctx)?, &user_id, &username, &hash.encode(), &session).await?;
    sessions(&ctx)?.activate(&session).await?;
    json(202, &json!({ "user_id": user_id.as_string(), "key": key.reveal() }))
}

/// `GET /user/{user_id}` → 200 `{username, user_id}`.
pub async fn get(_req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let user_id = param(&ctx, "user_id", UserId::parse)?;
    let user = users::find(&db(&ctx)?, &user_id).await?.ok_or(ApiError::NotFound("user not found"))?;
    json(200, &json!({ "username": user.username, "user_id": user_id.as_string() }))
}
