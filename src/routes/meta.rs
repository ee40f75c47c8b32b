//! `/openapi.json`: the API described, for clients and for the fuzzer that checks it.

use worker::{Request, Response};

use super::Ctx;
use crate::error::ApiError;

/// The OpenAPI 3.1 document, kept beside the code (`src/openapi/openapi.json`); a test checks
/// that it lists exactly the routes `lib.rs` serves.
const OPENAPI: &str = include_str!("../openapi/openapi.json");

/// `GET /openapi.json` → 200, the OpenAPI document.
pub async fn openapi(_req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let mut response = Response::ok(OPENAPI)?;
    response.headers_mut().set("Content-Type", "application/json")?;
    Ok(response)
}
