//! `/user`: sign-up, public profiles, password changes and account deletion.

use serde_json::json;
use worker::{Request, Response};

use super::credentials::{address_key, check_password, client_network, hash_password, limit_network, start_session};
use super::{db, sessions, Ctx};
use crate::auth::random_bytes;
use crate::auth::session::KeyHash;
use crate::clock::now_millis;
use crate::domain::throttle::{seconds_until, SIGNUP_WINDOW_MILLIS};
use crate::domain::{Password, UserId, Username};
use crate::error::ApiError;
use crate::http::{json, no_content, param, read_input, Input};
use crate::store::users::{Revoked, Signup, Source};
use crate::store::{users, Db};

/// `POST /user {username, password}` → 202 `{user_id, key}`: the new user, logged in.
pub async fn create(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let network = client_network(&req);
    limit_network(&ctx, &network).await?;
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
        let now = now_millis();
        if let Signup::Refused { freed_at } =
            users::count_signup(&db, &address_key(config)?.tag(&network), cap, now).await?
        {
            let free_from = freed_at.map_or(now, |at| at) + SIGNUP_WINDOW_MILLIS;
            return Err(ApiError::TooManyRequests {
                message: "too many sign-ups from this address: try again later",
                retry_after: seconds_until(free_from, now),
            });
        }
    }

    let user_id = UserId::from_random_bytes(random_bytes()?);
    let hash = hash_password(&ctx.data.log, password.as_bytes(), config.pbkdf2_iterations)?.encode();
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
        limit_network(ctx, &client_network(&req)).await?;
        let input = read_input(&mut req).await?;
        let user_id = param(ctx, "user_id", UserId::parse)?;
        let key = KeyHash::of(input.required_key()?)?;
        let password = input.required_text("password")?;
        if sessions(ctx)?.owner(&key).await? != user_id {
            return Err(ApiError::Forbidden("only the user themself may change their account"));
        }
        let db = db(ctx)?;
        // Throttled per key: only its holder can make the user's key-bound checks wait.
        let source = Source::key(&key);
        if check_password(&db, &ctx.data.log, &user_id, &source, password.as_bytes()).await?.is_none() {
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
    let hash = hash_password(&ctx.data.log, new_password.as_bytes(), ctx.data.config.pbkdf2_iterations)?;
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
