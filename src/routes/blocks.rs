//! `/user/{user_id}/blocks`: whom a person keeps away from them (their own key only).

use serde_json::json;
use worker::{Request, Response};

use super::users::OwnAccount;
use super::{hand_over, Ctx};
use crate::clock::now_millis;
use crate::domain::{Page, UserId};
use crate::error::ApiError;
use crate::http::{json, param};
use crate::store::blocks;

/// `PUT /user/{user_id}/blocks/{other_id}` → 200 `{blocked: true}`; blocking twice is the same.
pub async fn block(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    set(req, ctx, true).await
}

/// `DELETE /user/{user_id}/blocks/{other_id}` → 200 `{blocked: false}`, blocked before or not.
pub async fn unblock(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    set(req, ctx, false).await
}

async fn set(req: Request, ctx: Ctx, block: bool) -> Result<Response, ApiError> {
    let account = OwnAccount::read(req, &ctx).await?;
    let other = param(&ctx, "other_id", UserId::parse)?;
    if other == account.caller.user_id {
        return Err(ApiError::bad_request("one cannot block oneself"));
    }
    let outbox = blocks::set(&account.db, &account.caller, &other, block, now_millis()).await?;
    hand_over(&ctx, &outbox).await;
    json(200, &json!({ "blocked": block }))
}

/// `GET /user/{user_id}/blocks?limit&offset` → 200 `{blocks: [{user_id, username, handle, at}],
/// index, block_count}`, newest first. Without a key, 401 (a read has no body to require one in).
pub async fn list(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let account = OwnAccount::read_private(req, &ctx).await?;
    let page = Page::parse(account.input.uint("limit")?, account.input.uint("offset")?)?;
    let (blocked, count) = blocks::list(&account.db, &account.caller, page).await?;
    json(200, &json!({ "blocks": blocked, "index": page.offset, "block_count": count }))
}
