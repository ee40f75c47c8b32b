//! `/token`: logging in (a new session key) and revoking a key.

use serde_json::json;
use worker::{Request, Response};

use super::credentials::{address_key, check_password, client_network, hash_password, limit_network, start_session};
use super::{caller, db, forget, sessions, Ctx};
use crate::clock::now_millis;
use crate::domain::{Handle, HandleRefusal, UserId};
use crate::error::ApiError;
use crate::http::{json, no_content, read_input, read_input_with_query_key, Input};
use crate::store::users::{Account, Source};
use crate::store::{sessions as session_rows, users};

/// The same answer for an unknown user and a wrong password.
const BAD_CREDENTIALS: ApiError = ApiError::Unauthorized("wrong user_id or password");
/// The same answer for an unknown (or reserved) handle and a wrong password.
const BAD_HANDLE_CREDENTIALS: ApiError = ApiError::Unauthorized("wrong handle or password");

/// Who logs in: `user_id` or `handle`, exactly one of them.
enum Login {
    Id(UserId),
    Handle(Handle),
}

impl Login {
    /// `None`: a reserved handle, which no one has (401, as for any unknown handle).
    fn read(input: &Input) -> Result<Option<Self>, ApiError> {
        match (input.text("user_id")?, input.text("handle")?) {
            (Some(user_id), None) => Ok(Some(Self::Id(UserId::parse(user_id)?))),
            (None, Some(handle)) => match Handle::parse(handle) {
                Ok(handle) => Ok(Some(Self::Handle(handle))),
                Err(HandleRefusal::Reserved) => Ok(None),
                Err(HandleRefusal::Malformed(invalid)) => Err(invalid.into()),
            },
            (Some(_), Some(_)) => Err(ApiError::bad_request("give user_id or handle, not both")),
            (None, None) => Err(ApiError::bad_request("user_id or handle is required")),
        }
    }

    fn account(&self) -> Account<'_> {
        match self {
            Self::Id(user_id) => Account::Id(user_id),
            Self::Handle(handle) => Account::Handle(handle),
        }
    }
}

/// `GET /token?user_id&password` (or `handle` for `user_id`) → 200 `{key, user_id}`, a new key
/// for every login, and whose it is (what a login by handle learns). `POST /token` takes the same fields from its body, so that a password need not
/// travel in a URL.
pub async fn create(mut req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let network = client_network(&req);
    limit_network(&ctx, &network).await?;
    let input = read_input(&mut req).await?;
    let login = Login::read(&input)?;
    let password = input.required_text("password")?.as_bytes();
    let bad_credentials = match login {
        Some(Login::Id(_)) => BAD_CREDENTIALS,
        _ => BAD_HANDLE_CREDENTIALS,
    };
    let Some(login) = login else { return Err(bad_credentials) };
    let (config, log) = (&ctx.data.config, &ctx.data.log);
    let source = Source::Network(address_key(config)?.tag(&network));
    let db = db(&ctx)?;
    let sessions = sessions(&ctx)?;
    let (user_id, stored) =
        check_password(&db, log, login.account(), &source, password).await?.ok_or(bad_credentials)?;

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
    forget(&ctx, &db, ended, &user_id).await;
    json(200, &json!({ "key": key.reveal(), "user_id": user_id }))
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
    forget(&ctx, &db, ended, &user_id).await;
    no_content()
}
