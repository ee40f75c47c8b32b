//! What logging in, signing up and account changes share: the limit per client network in front
//! of them, checking a password against its throttle, hashing, and starting a session.

use worker::Request;

use super::Ctx;
use crate::auth::address::AddressKey;
use crate::auth::password::PasswordHash;
use crate::auth::random_bytes;
use crate::auth::session::SessionKey;
use crate::clock::now_millis;
use crate::config::Config;
use crate::domain::throttle::{seconds_until, Throttle};
use crate::domain::{ClientNetwork, UserId};
use crate::error::ApiError;
use crate::log::RequestLog;
use crate::store::sessions::NewSession;
use crate::store::users::{self, Account, Source};
use crate::store::{Db, Sessions};

/// The rate-limiting binding (`[[ratelimits]]` in wrangler.toml).
const ADDRESS_LIMITER: &str = "ADDRESS_LIMITER";
/// The binding's `period`: a network past its limit may try again within it.
const ADDRESS_LIMIT_PERIOD_SECONDS: u64 = 60;

const TOO_MANY_ATTEMPTS: &str = "too many password attempts: try again later";

/// The client's network, from the address Cloudflare saw.
pub fn client_network(req: &Request) -> ClientNetwork {
    ClientNetwork::parse(req.headers().get("CF-Connecting-IP").ok().flatten().as_deref())
}

/// The limit per client network of the rate-limiting binding, before any other work: it keeps
/// its counts itself, so a refusal costs no D1 round trip and no write. 429 past it.
pub async fn limit_network(ctx: &Ctx, network: &ClientNetwork) -> Result<(), ApiError> {
    if !ctx.data.config.address_rate_limit {
        return Ok(());
    }
    let limiter = ctx
        .env
        .rate_limiter(ADDRESS_LIMITER)
        .map_err(|error| ApiError::Unavailable(format!("rate limiting binding {ADDRESS_LIMITER}: {error}")))?;
    let outcome = limiter
        .limit(network.to_string())
        .await
        .map_err(|error| ApiError::Unavailable(format!("rate limiting binding {ADDRESS_LIMITER}: {error}")))?;
    if !outcome.success {
        return Err(ApiError::TooManyRequests {
            message: "too many requests from this address: try again later",
            retry_after: ADDRESS_LIMIT_PERIOD_SECONDS,
        });
    }
    Ok(())
}

/// The secret that client networks are tagged with; without it, 503 rather than a bare address
/// in D1.
pub fn address_key(config: &Config) -> Result<&AddressKey, ApiError> {
    config.address_key.as_ref().ok_or_else(|| {
        ApiError::Unavailable("the secret ADDRESS_KEY is not set: logins and capped sign-ups need it".into())
    })
}

/// Checks `password` for `account`, counting the check against its source's throttle first
/// (per client network for a login, per session key for an account change): a source
/// that must wait, or a user past the ceiling of failed logins, gets 429 without any hashing.
/// An unknown user costs no write and no hashing (whether an id or a handle exists is public:
/// `GET /user/{id}`, `GET /handle/{handle}`). `Ok(None)`: wrong password or unknown user; else
/// the user's id (a login by handle learns it here) and stored hash.
pub async fn check_password(
    db: &Db,
    log: &RequestLog,
    account: Account<'_>,
    source: &Source,
    password: &[u8],
) -> Result<Option<(UserId, PasswordHash)>, ApiError> {
    let now = now_millis();
    let attempt = users::attempt_password(db, account, source, now).await?;
    let Some((user_id, stored)) = attempt.stored else { return Ok(None) };
    if !attempt.admitted {
        let retry_after = seconds_until(attempt.allowed_at, now);
        return Err(ApiError::TooManyRequests { message: TOO_MANY_ATTEMPTS, retry_after });
    }
    if let Some(ceiling) = attempt.ceiling {
        Throttle::LOGIN_CEILING
            .check(ceiling.failures, ceiling.window_start, now)
            .map_err(|retry_after| ApiError::TooManyRequests { message: TOO_MANY_ATTEMPTS, retry_after })?;
    }
    let stored = PasswordHash::parse(&stored)
        .ok_or_else(|| ApiError::internal(format!("user {user_id} has an unreadable password hash")))?;
    log.pbkdf2(stored.iterations());
    Ok(stored.verify(password).then_some((user_id, stored)))
}

/// A new hash of `password` at `iterations`, with a fresh salt, counted in the request's log.
pub fn hash_password(log: &RequestLog, password: &[u8], iterations: u32) -> Result<PasswordHash, ApiError> {
    log.pbkdf2(iterations);
    Ok(PasswordHash::new(password, iterations, random_bytes()?))
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
