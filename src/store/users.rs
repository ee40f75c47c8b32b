//! Users: accounts, their password hashes and the throttles that guard them.

use serde::Deserialize;

use serde::Serialize;
use worker::wasm_bindgen::JsValue;

use super::limits::NO_CEILING;
use super::outbox::Since;
use super::sessions::{end_other_sessions, run_then_forget, Caller, Forgetting, NewSession};
use super::{int, optional_text, page_and_count, sql, text, Batch, Db, HANDLE_IS_TAKEN};
use crate::auth::random_bytes;
use crate::domain::limits::{Counter, WriteLimit};
use crate::domain::throttle::{Backoff, Throttle, SIGNUP_WINDOW_MILLIS};
use crate::domain::{Handle, HandlePrefix, Page, UserId, Username, HANDLE_HELD_MILLIS};
use crate::error::ApiError;

/// A person as everyone may see them: `{user_id, username, handle}`.
#[derive(Debug, Deserialize, Serialize)]
pub struct UserRow {
    pub user_id: String,
    pub username: String,
    pub handle: Option<String>,
}

/// A user as a request names them: by id, or by handle (logging in).
#[derive(Debug, Clone, Copy)]
pub enum Account<'a> {
    Id(&'a UserId),
    Handle(&'a Handle),
}

impl Account<'_> {
    /// As the password checks' `?1` takes it: an id has 36 characters, a handle at most 32.
    fn arg(&self) -> JsValue {
        match self {
            Self::Id(user_id) => text(&user_id.to_string()),
            Self::Handle(handle) => text(handle.as_str()),
        }
    }
}

/// The values the handle statements take, in order (`sql`: `?1` to `?6`): the user, the
/// handle, now, the hold on released handles, and the window and ceiling of changes.
fn handle_args(user_id: &UserId, handle: &Handle, now: i64, changes: Option<WriteLimit>) -> [JsValue; 6] {
    let (window, max) = changes.map_or((0, NO_CEILING), |limit| (limit.window_millis, i64::from(limit.max)));
    [text(&user_id.to_string()), text(handle.as_str()), int(now), int(HANDLE_HELD_MILLIS), int(window), int(max)]
}

/// Creates the user (with their handle, unless someone has it or it is held for someone: 409)
/// and its first session row in one transaction.
pub async fn create(
    db: &Db,
    user_id: &UserId,
    username: &Username,
    handle: Option<&Handle>,
    password_hash: &str,
    session: &NewSession,
) -> Result<(), ApiError> {
    let now = session.created_at;
    let mut batch = Batch::new(db);
    let args = handle.map(|handle| handle_args(user_id, handle, now, None));
    if let Some(args) = &args {
        batch.guard(db.prepare_leading(sql::GUARD_HANDLE, args)?, HANDLE_IS_TAKEN, ApiError::HANDLE_TAKEN);
    }
    batch.write(db.prepare(
        sql::INSERT_USER,
        &[
            text(&user_id.to_string()),
            text(username.as_str()),
            text(password_hash),
            int(now),
            optional_text(handle.map(Handle::as_str)),
        ],
    )?);
    if let Some(args) = &args {
        batch.write(db.prepare_leading(sql::TAKE_UP_HANDLE, args)?);
    }
    batch.write(session.insert_row(db)?);
    batch.run().await?;
    Ok(())
}

pub async fn find(db: &Db, user_id: &UserId) -> Result<Option<UserRow>, ApiError> {
    db.first(db.prepare(sql::USER, &[text(&user_id.to_string())])?).await
}

pub async fn find_by_handle(db: &Db, handle: &Handle) -> Result<Option<UserRow>, ApiError> {
    db.first(db.prepare(sql::USER_BY_HANDLE, &[text(handle.as_str())])?).await
}

/// One page of the people whose handle starts with `prefix`, by handle, and how many there are,
/// guarded by the caller's key: no one enumerates people without an account.
pub async fn search(
    db: &Db,
    caller: &Caller,
    prefix: &HandlePrefix,
    page: Page,
) -> Result<(Vec<UserRow>, i64), ApiError> {
    let statements = (sql::USERS_BY_HANDLE, sql::USER_COUNT_BY_HANDLE);
    let (users, count) = page_and_count(db, caller, statements, prefix.as_str(), page).await?;
    Ok((users, count.unwrap_or(0)))
}

/// Gives the caller `handle`, in one transaction guarded by their key: 409 if someone else has
/// it or it is held for someone, 429 past the ceiling of changes (`changes`); their handle
/// before is held for them. Asking for the handle one has changes nothing and counts nothing.
pub async fn change_handle(
    db: &Db,
    caller: &Caller,
    handle: &Handle,
    now: i64,
    changes: Option<WriteLimit>,
) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct HandleRow {
        handle: Option<String>,
        handle_changes: i64,
        handle_window_start: i64,
    }
    let args = handle_args(&caller.user_id, handle, now, changes);
    let mut batch = Batch::of_caller(db, Some(caller))?;
    batch.guard(db.prepare_leading(sql::GUARD_HANDLE, &args)?, HANDLE_IS_TAKEN, ApiError::HANDLE_TAKEN);
    for statement in [sql::FORGET_RELEASED_HANDLES, sql::RELEASE_HANDLE, sql::CHANGE_HANDLE, sql::TAKE_UP_HANDLE] {
        batch.write(db.prepare_leading(statement, &args)?);
    }
    let row = batch.read::<HandleRow>(db.prepare_leading(sql::HANDLE_CHANGES, &args)?);
    let results = batch.run().await?;
    let row = results.first(&row)?.ok_or(ApiError::INVALID_KEY)?;
    if row.handle.as_deref() == Some(handle.as_str()) {
        return Ok(());
    }
    let counter = Counter { count: row.handle_changes, window_start: row.handle_window_start };
    match changes.map(|limit| limit.check(Some(counter), now)) {
        Some(Err(retry_after)) => Err(ApiError::TooManyRequests {
            message: "too many handle changes: wait before changing it again",
            retry_after,
        }),
        _ => Err(ApiError::internal("handle not changed, though no guard refused it")),
    }
}

#[derive(Deserialize)]
struct AtRow {
    at: i64,
}

/// A sign-up from a client network, against the cap of sign-ups in any hour.
pub enum Signup {
    Counted,
    /// Over the cap, nothing written. `freed_at`: the sign-up whose passing (an hour after it)
    /// frees a place.
    Refused {
        freed_at: Option<i64>,
    },
}

/// Counts a sign-up from the network tagged `address_tag` if it made fewer than `cap` in the
/// last hour, forgetting sign-ups older than that; over the cap it writes nothing.
pub async fn count_signup(db: &Db, address_tag: &str, cap: u32, now: i64) -> Result<Signup, ApiError> {
    let since = int(now - SIGNUP_WINDOW_MILLIS);
    let (tag, cap_arg) = (text(address_tag), int(i64::from(cap)));
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::FORGET_SIGNUPS, &[tag.clone(), since.clone(), cap_arg.clone()])?);
    let counted = batch.read::<AtRow>(db.prepare(sql::COUNT_SIGNUP, &[tag.clone(), since.clone(), cap_arg, int(now)])?);
    let freed = batch.read::<AtRow>(db.prepare(sql::SIGNUP_FREED_AT, &[tag, since, int(i64::from(cap) - 1)])?);
    let results = batch.run().await?;
    if results.first(&counted)?.is_some() {
        return Ok(Signup::Counted);
    }
    Ok(Signup::Refused { freed_at: results.first(&freed)?.map(|row| row.at) })
}

/// Where password checks come from, as their throttle counts them.
pub enum Source {
    /// A login's client network, by its keyed tag (`AddressKey::tag`): checks from it wait
    /// apart, and count against the user's ceiling of failed logins too.
    Network(String),
    /// An account change's caller, by their key's hash: only its holder's checks wait.
    Key(Caller),
}

impl Source {
    /// The caller whose key guards the check's batch: an account change's.
    fn caller(&self) -> Option<&Caller> {
        match self {
            Self::Network(_) => None,
            Self::Key(caller) => Some(caller),
        }
    }

    /// As the `source` column holds it.
    fn column(&self) -> String {
        match self {
            Self::Network(tag) => format!("net:{tag}"),
            Self::Key(caller) => format!("key:{}", caller.key.as_str()),
        }
    }

    fn is_login(&self) -> bool {
        matches!(self, Self::Network(_))
    }
}

/// One password check, counted before the password is checked so that concurrent checks
/// cannot slip past the throttle, with what is needed to go on.
pub struct PasswordAttempt {
    /// The user's id and stored hash; `None` for an unknown user, for whom nothing was counted
    /// or written.
    pub stored: Option<(UserId, String)>,
    /// Whether the source could check now (and this check was counted).
    pub admitted: bool,
    /// When the source may check next.
    pub allowed_at: i64,
    /// Logins only: the user's failures in the ceiling's window, this one included.
    pub ceiling: Option<CeilingCount>,
}

#[derive(Deserialize)]
pub struct CeilingCount {
    pub failures: i64,
    pub window_start: i64,
}

#[derive(Deserialize)]
struct AttemptRow {
    user_id: String,
    password: String,
    admitted: Option<i64>,
    allowed_at: Option<i64>,
}

/// Counts a password check of `account` from `source` (a source quiet for long starts anew),
/// against the user's ceiling too for a login, and reads the stored hash, in one transaction;
/// an account change's is guarded by its key, so that a dead key counts nothing. For an
/// unknown user (or handle) every statement writes nothing.
pub async fn attempt_password(
    db: &Db,
    account: Account<'_>,
    source: &Source,
    now: i64,
) -> Result<PasswordAttempt, ApiError> {
    let backoff = Backoff::PASSWORD;
    let login = source.is_login();
    let mut batch = Batch::of_caller(db, source.caller())?;
    let (user, source) = (account.arg(), text(&source.column()));
    let attempt_id = text(&hex::encode(random_bytes::<16>()?));
    batch.write(db.prepare(sql::FORGET_PASSWORD_FAILURES, &[user.clone(), int(now - backoff.forget_after_millis)])?);
    batch.write(db.prepare(
        sql::COUNT_PASSWORD_ATTEMPT,
        &[user.clone(), source.clone(), int(now), attempt_id.clone(), text(&backoff.schedule())],
    )?);
    let ceiling = if login {
        let window = Throttle::LOGIN_CEILING.window_millis;
        batch.write(db.prepare(sql::FORGET_LOGIN_CEILINGS, &[user.clone(), int(now - window)])?);
        let count = [user.clone(), source.clone(), int(now), attempt_id.clone()];
        Some(batch.read::<CeilingCount>(db.prepare(sql::COUNT_LOGIN_FAILURE, &count)?))
    } else {
        None
    };
    let attempt = batch.read::<AttemptRow>(db.prepare(sql::PASSWORD_ATTEMPT, &[user, source, attempt_id])?);
    let results = batch.run().await?;
    let Some(attempt) = results.first(&attempt)? else {
        return Ok(PasswordAttempt { stored: None, admitted: false, allowed_at: now, ceiling: None });
    };
    let user_id = UserId::parse(&attempt.user_id).map_err(|_| ApiError::internal("d1 holds a malformed user id"))?;
    Ok(PasswordAttempt {
        stored: Some((user_id, attempt.password)),
        admitted: attempt.admitted == Some(1),
        allowed_at: attempt.allowed_at.unwrap_or(now),
        ceiling: ceiling.map(|ceiling| results.first(&ceiling)).transpose()?.flatten(),
    })
}

/// A right password: its source starts anew, and for a login it was no failure against the
/// user's ceiling.
fn forget_failures(batch: &mut Batch<'_>, db: &Db, user_id: &str, source: &Source) -> Result<(), ApiError> {
    batch.write(db.prepare(sql::RESET_PASSWORD_FAILURES, &[text(user_id), text(&source.column())])?);
    if source.is_login() {
        batch.write(db.prepare(sql::UNCOUNT_LOGIN_FAILURE, &[text(user_id)])?);
    }
    Ok(())
}

/// After a right password: records the new session row (forgetting the user's expired ones,
/// and ending the oldest past `cap` live ones, their KV entries queued to go), stores the
/// re-hashed password if there is one, and forgets the source's failures, in one transaction;
/// the first chunk of KV entries to forget.
pub async fn log_in(
    db: &Db,
    user_id: &UserId,
    source: &Source,
    rehashed_password: Option<&str>,
    session: &NewSession,
    cap: u32,
) -> Result<Forgetting, ApiError> {
    let id = user_id.to_string();
    let now = session.created_at;
    let mut batch = Batch::new(db);
    let since = Since::read(db, &mut batch)?;
    batch.write(db.prepare(sql::DELETE_EXPIRED_SESSIONS, &[text(&id), int(now)])?);
    batch.write(session.insert_row(db)?);
    let beyond = [text(&id), int(i64::from(cap)), int(now)];
    batch.write(db.prepare(sql::QUEUE_OLDEST_SESSIONS, &beyond)?);
    batch.write(db.prepare(sql::DELETE_OLDEST_SESSIONS, &beyond[..2])?);
    forget_failures(&mut batch, db, &id, source)?;
    if let Some(hash) = rehashed_password {
        batch.write(db.prepare(sql::UPDATE_PASSWORD, &[text(&id), text(hash)])?);
    }
    run_then_forget(db, batch, since).await
}

/// Stores a new password hash and ends every other session of the user, in one transaction
/// guarded by the caller's key being live; the first chunk of KV entries to forget.
pub async fn change_password(db: &Db, caller: &Caller, new_hash: &str, now: i64) -> Result<Forgetting, ApiError> {
    let id = caller.user_id.to_string();
    let mut batch = Batch::of_caller(db, Some(caller))?;
    let since = Since::read(db, &mut batch)?;
    end_other_sessions(db, &mut batch, caller, now)?;
    batch.write(db.prepare(sql::UPDATE_PASSWORD, &[text(&id), text(new_hash)])?);
    forget_failures(&mut batch, db, &id, &Source::Key(caller.clone()))?;
    run_then_forget(db, batch, since).await
}

/// Deletes the account in one transaction guarded by the caller's key being live: each room
/// it owns passes to its longest-standing admin, else its longest-standing member, who becomes
/// an admin; a room with nobody else is deleted. Memberships, bans and sessions go with the
/// user (the sessions' KV entries queued to go too); messages stay in their rooms.
pub async fn delete(db: &Db, caller: &Caller, now: i64) -> Result<Forgetting, ApiError> {
    let id = text(&caller.user_id.to_string());
    let mut batch = Batch::of_caller(db, Some(caller))?;
    let since = Since::read(db, &mut batch)?;
    batch.write(db.prepare(sql::QUEUE_USER_SESSIONS, &[id.clone(), int(now)])?);
    batch.write(db.prepare(sql::RELEASE_USER_HANDLE, &[id.clone(), int(now)])?);
    // The sessions go first, so that their ends (`key_ended`, queued by the trigger on
    // `sessions`) reach each room before anything else: the user's sockets close as their
    // keys'. Each change after them queues its events just before it, while the rows it
    // changes still say what it will do.
    for statement in [
        sql::DELETE_USER_SESSIONS,
        sql::QUEUE_OWNED_ROOMS_HANDED_OVER,
        sql::HAND_OVER_OWNED_ROOMS,
        sql::QUEUE_NEW_OWNERS_ADMINS,
        sql::NEW_OWNERS_ARE_ADMINS,
        sql::QUEUE_OWNED_ROOMS_DELETED,
        sql::DELETE_OWNED_ROOMS,
        sql::QUEUE_USER_LEFT,
        sql::QUEUE_DM_PEERS_MUTED,
    ] {
        batch.write(db.prepare(statement, std::slice::from_ref(&id))?);
    }
    // Last: memberships, bans and throttle counts go with the user (foreign keys cascade).
    batch.write(db.prepare(sql::DELETE_USER, &[id])?);
    run_then_forget(db, batch, since).await
}
