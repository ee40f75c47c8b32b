//! Users: accounts, their password hashes and the throttles that guard them.

use serde::Deserialize;

use super::outbox::Since;
use super::sessions::{end_other_sessions, run_then_forget, Caller, Forgetting, NewSession};
use super::{int, sql, text, Batch, Db};
use crate::auth::random_bytes;
use crate::domain::throttle::{Backoff, Throttle, SIGNUP_WINDOW_MILLIS};
use crate::domain::{UserId, Username};
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
pub struct UserRow {
    pub username: String,
}

/// Creates the user and its first session row in one transaction.
pub async fn create(
    db: &Db,
    user_id: &UserId,
    username: &Username,
    password_hash: &str,
    session: &NewSession,
) -> Result<(), ApiError> {
    let insert_user = db.prepare(
        sql::INSERT_USER,
        &[text(&user_id.to_string()), text(username.as_str()), text(password_hash), int(session.created_at)],
    )?;
    let mut batch = Batch::new(db);
    batch.write(insert_user);
    batch.write(session.insert_row(db)?);
    batch.run().await?;
    Ok(())
}

pub async fn find(db: &Db, user_id: &UserId) -> Result<Option<UserRow>, ApiError> {
    let statement = db.prepare(sql::USERNAME, &[text(&user_id.to_string())])?;
    db.first(statement).await
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
    /// The stored hash; `None` for an unknown user, for whom nothing was counted or written.
    pub stored_hash: Option<String>,
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
    password: String,
    admitted: Option<i64>,
    allowed_at: Option<i64>,
}

/// Counts a password check of `user_id` from `source` (a source quiet for long starts anew),
/// against the user's ceiling too for a login, and reads the stored hash, in one transaction;
/// an account change's is guarded by its key, so that a dead key counts nothing. For an
/// unknown user every statement writes nothing.
pub async fn attempt_password(
    db: &Db,
    user_id: &UserId,
    source: &Source,
    now: i64,
) -> Result<PasswordAttempt, ApiError> {
    let backoff = Backoff::PASSWORD;
    let login = source.is_login();
    let mut batch = Batch::of_caller(db, source.caller())?;
    let (user, source) = (text(&user_id.to_string()), text(&source.column()));
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
        return Ok(PasswordAttempt { stored_hash: None, admitted: false, allowed_at: now, ceiling: None });
    };
    Ok(PasswordAttempt {
        stored_hash: Some(attempt.password),
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
    ] {
        batch.write(db.prepare(statement, std::slice::from_ref(&id))?);
    }
    // Last: memberships, bans and throttle counts go with the user (foreign keys cascade).
    batch.write(db.prepare(sql::DELETE_USER, &[id])?);
    run_then_forget(db, batch, since).await
}
