//! `/user`: sign-up, public profiles, password changes and account deletion.

use serde_json::json;
use worker::{Request, Response};

use super::credentials::{address_key, check_password, client_network, hash_password, limit_network, start_session};
use super::{caller, db, forget, replica_db, sessions, Ctx};
use crate::auth::random_bytes;
use crate::clock::now_millis;
use crate::domain::throttle::{seconds_until, SIGNUP_WINDOW_MILLIS};
use crate::domain::{Handle, HandlePrefix, HandleRefusal, Page, Password, UserId, Username};
use crate::error::ApiError;
use crate::http::{json, no_content, param, read_input, Input};
use crate::store::sessions::{self as session_rows, Forgetting};
use crate::store::users::{Account, Signup, Source};
use crate::store::{users, Caller, Db};

/// `POST /user {username, password, handle?}` → 202 `{user_id, key, handle}`: the new user,
/// logged in; 409 if the handle is taken, held or reserved.
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
    let handle = input.text("handle")?.map(Handle::parse).transpose()?;
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
    let (key, ()) = start_session(&sessions, config, user_id, async |session| {
        users::create(&db, &user_id, &username, handle.as_ref(), &hash, session).await
    })
    .await?;
    json(202, &json!({ "user_id": user_id, "key": key.reveal(), "handle": handle.as_ref().map(Handle::as_str) }))
}

/// `GET /user/{user_id}` → 200 `{username, user_id, handle}`.
pub async fn get(_req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let user_id = param(&ctx, "user_id", UserId::parse)?;
    let user = users::find(&replica_db(&ctx)?, &user_id).await?.ok_or(ApiError::NotFound("user not found"))?;
    json(200, &user)
}

/// `GET /handle/{handle}` (any case) → 200 `{user_id, username, handle}`; 404 when nobody has
/// it (a reserved one included), 400 for what cannot be a handle.
pub async fn by_handle(_req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    const NOBODY: ApiError = ApiError::NotFound("nobody has this handle");
    let handle = match param(&ctx, "handle", |text| Ok::<_, ApiError>(Handle::parse(text)))? {
        Ok(handle) => handle,
        Err(HandleRefusal::Reserved) => return Err(NOBODY),
        Err(HandleRefusal::Malformed(invalid)) => return Err(invalid.into()),
    };
    let user = users::find_by_handle(&replica_db(&ctx)?, &handle).await?.ok_or(NOBODY)?;
    json(200, &user)
}

/// People shown at most per page of a search.
const MAX_SEARCH_LIMIT: u32 = 20;

/// `GET /users?q&limit&offset` (a live key) → 200 `{users, index, user_count}`: the people whose
/// handle starts with `q`, by handle. Without a key, 401 (where a write without one is 400):
/// nobody lists the service's people without an account.
pub async fn search(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_input(&mut req).await?;
    if input.key()?.is_none() {
        return Err(ApiError::Unauthorized("a key is required"));
    }
    let caller = caller(&ctx, &input).await?;
    let prefix = HandlePrefix::parse(input.required_text("q")?)?;
    let limit = input.uint("limit")?.unwrap_or(u64::from(MAX_SEARCH_LIMIT));
    if !(1..=u64::from(MAX_SEARCH_LIMIT)).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit must be 1 to {MAX_SEARCH_LIMIT}")));
    }
    let page = Page::parse(Some(limit), input.uint("offset")?)?;
    let (found, user_count) = users::search(&db(&ctx)?, &caller, &prefix, page).await?;
    json(200, &json!({ "users": found, "index": page.offset, "user_count": user_count }))
}

/// A request about an account by its owner: the path's user, and the caller, whose key KV
/// says is that user's (403 otherwise, as for any key of another user).
pub(super) struct OwnAccount {
    pub input: Input,
    pub caller: Caller,
    pub db: Db,
}

impl OwnAccount {
    pub(super) async fn read(mut req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        Self::of(read_input(&mut req).await?, ctx).await
    }

    /// The same for a read of one's own (a list), which has no body to require a key in:
    /// without one, 401, as for `GET /users`.
    pub(super) async fn read_private(mut req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        let input = read_input(&mut req).await?;
        if input.key()?.is_none() {
            return Err(ApiError::Unauthorized("a key is required"));
        }
        Self::of(input, ctx).await
    }

    async fn of(input: Input, ctx: &Ctx) -> Result<Self, ApiError> {
        let user_id = param(ctx, "user_id", UserId::parse)?;
        let caller = caller(ctx, &input).await?;
        if caller.user_id != user_id {
            return Err(ApiError::Forbidden("only the user themself may change their account"));
        }
        Ok(Self { input, caller, db: db(ctx)? })
    }

    /// The same, after the current password: a password change or an account deletion.
    async fn authorize(req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        limit_network(ctx, &client_network(&req)).await?;
        let account = Self::read(req, ctx).await?;
        let password = account.input.required_text("password")?;
        // Throttled per key: only its holder can make the user's key-bound checks wait.
        let source = Source::Key(account.caller.clone());
        let user = Account::Id(&account.caller.user_id);
        let checked = check_password(&account.db, &ctx.data.log, user, &source, password.as_bytes());
        if checked.await?.is_none() {
            return Err(ApiError::Forbidden("wrong password"));
        }
        Ok(account)
    }

    /// 204, once D1 has committed the change; the KV entries of the sessions it ended go after.
    async fn finish(self, ctx: &Ctx, ended: Forgetting) -> Result<Response, ApiError> {
        forget(ctx, &self.db, ended, &self.caller.user_id).await;
        no_content()
    }
}

/// `PUT /user/{user_id}/handle {key, handle}` → 200 `{handle}`: 409 if someone else has it or
/// it is held for someone, 429 past `HANDLE_CHANGES_PER_DAY`. The handle before is held for the
/// user for 30 days.
pub async fn change_handle(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let change = OwnAccount::read(req, &ctx).await?;
    let handle = Handle::parse(change.input.required_text("handle")?)?;
    let changes = ctx.data.config.limits.handle_changes;
    users::change_handle(&change.db, &change.caller, &handle, now_millis(), changes).await?;
    json(200, &json!({ "handle": handle.as_str() }))
}

/// `PUT /user/{user_id}/password {key, password, new_password}` → 204; every other session
/// key of the user stops working.
pub async fn change_password(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let change = OwnAccount::authorize(req, &ctx).await?;
    let new_password = Password::parse("new_password", change.input.required_text("new_password")?)?;
    let hash = hash_password(&ctx.data.log, new_password.as_bytes(), ctx.data.config.pbkdf2_iterations)?;
    let ended = users::change_password(&change.db, &change.caller, &hash.encode(), now_millis()).await?;
    change.finish(&ctx, ended).await
}

/// `DELETE /user/{user_id} {key, password}` → 204: the account goes, with its sessions; the
/// rooms it owns pass on or, if empty, go too.
pub async fn delete(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let change = OwnAccount::authorize(req, &ctx).await?;
    let ended = users::delete(&change.db, &change.caller, now_millis()).await?;
    change.finish(&ctx, ended).await
}

/// `DELETE /user/{user_id}/sessions {key}` → 204: every other session of the user ends. Any
/// live key of the user will do, without the password, so that a person can always cut off
/// whoever holds another of their keys, even while password checks are throttled.
pub async fn end_other_sessions(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let account = OwnAccount::read(req, &ctx).await?;
    let ended = session_rows::end_others(&account.db, &account.caller, now_millis()).await?;
    account.finish(&ctx, ended).await
}
