//! `/user`: sign-up, public profiles, password changes and account deletion.

use serde_json::json;
use sha2::{Digest, Sha256};
use worker::{Request, Response};

use super::credentials::{check_password, start_session};
use super::{db, sessions, Ctx};
use crate::auth::password::PasswordHash;
use crate::auth::random_bytes;
use crate::auth::session::KeyHash;
use crate::clock::now_millis;
use crate::domain::throttle::seconds_to_next_hour;
use crate::domain::{Password, UserId, Username};
use crate::error::ApiError;
use crate::http::{json, no_content, param, read_input, Input};
use crate::store::users::Revoked;
use crate::store::{users, Db};

/// `POST /user {username, password}` → 202 `{user_id, key}`: the new user, logged in.
pub async fn create(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    let config = &ctx.data.config;
    if !config.registration.admits(input.text("registration_token")?) {
        return Err(ApiError::Forbidden("registration is closed"));
    }
    let username = Username::parse(input.required_text("username")?)?;
    let password = Password::parse("password", input.required_text("password")?)?;
    // Both bindings before any write, so that a missing one cannot leave a user without a key.
    let db = db(&ctx)?;
    let sessions = sessions(&ctx)?;
    if let Some(cap) = config.signups_per_hour {
        // Counted before the costly hashing, so that a flood costs us little.
        let address = req.headers().get("CF-Connecting-IP")?.unwrap_or_default();
        let address_hash = hex::encode(Sha256::digest(address.as_bytes()));
        let now = now_millis();
        if users::count_signup(&db, &address_hash, now).await? > i64::from(cap) {
            return Err(ApiError::TooManyRequests {
                message: "too many sign-ups from this address: try again later",
                retry_after: seconds_to_next_hour(now),
            });
        }
    }

    let user_id = UserId::from_random_bytes(random_bytes()?);
    let hash = PasswordHash::new(password.as_bytes(), config.pbkdf2_iterations, random_bytes()?).encode();
    let key = start_session(&sessions, config, user_id, async |session| {
        users::create(&db, &user_id, &username, &hash, session).await
    })
    .await?;
    json(202, &json!({ "user_id": user_id, "key": key.reveal() }))
}

/// `GET /user/{user_id}` → 200 `{username, user_id}`.
pub async fn get(_req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let user_id = param(&ctx, "user_id", UserId::parse)?;
    let user = users::find(&db(&ctx)?, &user_id).await?.ok_or(ApiError::NotFound("user not found"))?;
    json(200, &json!({ "username": user.username, "user_id": user_id }))
}

/// An account change by the account's owner: their own key and their current password.
struct AccountChange {
    input: Input,
    user_id: UserId,
    key: KeyHash,
    db: Db,
}

impl AccountChange {
    async fn authorize(mut req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        let input = read_input(&mut req).await?;
        let user_id = param(ctx, "user_id", UserId::parse)?;
        let key = KeyHash::of(input.required_key()?)?;
        let password = input.required_text("password")?;
        if sessions(ctx)?.owner(&key).await? != user_id {
            return Err(ApiError::Forbidden("only the user themself may change their account"));
        }
        let db = db(ctx)?;
        if check_password(&db, &ctx.data.config, &user_id, password.as_bytes()).await?.is_none() {
            return Err(ApiError::Forbidden("wrong password"));
        }
        Ok(Self { input, user_id, key, db })
    }

    /// Drops the KV entries of what the change revoked; 401 if D1 found the key dead.
    async fn finish(self, ctx: &Ctx, revoked: Option<Revoked>) -> Result<Response, ApiError> {
        let revoked = revoked.ok_or(ApiError::INVALID_KEY)?;
        sessions(ctx)?.forget(&revoked.key_hashes).await?;
        no_content()
    }
}

/// `PUT /user/{user_id}/password {key, password, new_password}` → 204; every other session
/// key of the user stops working.
pub async fn change_password(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let change = AccountChange::authorize(req, &ctx).await?;
    let new_password = Password::parse("new_password", change.input.required_text("new_password")?)?;
    let config = &ctx.data.config;
    let hash = PasswordHash::new(new_password.as_bytes(), config.pbkdf2_iterations, random_bytes()?);
    let revoked =
        users::change_password(&change.db, &change.user_id, &change.key, &hash.encode(), now_millis()).await?;
    change.finish(&ctx, revoked).await
}

/// `DELETE /user/{user_id} {key, password}` → 204: the account goes, with its sessions; the
/// rooms it owns pass on or, if empty, go too.
pub async fn delete(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let change = AccountChange::authorize(req, &ctx).await?;
    let revoked = users::delete(&change.db, &change.user_id, &change.key, now_millis()).await?;
    change.finish(&ctx, revoked).await
}
