//! The HTTP edge: which route a request is for, reading its input, writing JSON answers, CORS,
//! the headers every answer carries, and the round-trip counter behind `X-Round-Trips`.

pub mod cors;
pub mod input;
pub mod routing;
pub mod trips;

use serde::Serialize;
use worker::Response;

pub use cors::Cors;
pub use input::{param, read_input, Input};
pub use trips::Trips;

use crate::error::ApiError;

pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let text = serde_json::to_string(body).map_err(ApiError::internal)?;
    Ok(json_text(status, text)?)
}

pub(crate) fn json_text(status: u16, text: String) -> worker::Result<Response> {
    let mut response = Response::ok(text)?.with_status(status);
    response.headers_mut().set("Content-Type", "application/json")?;
    Ok(response)
}

pub fn no_content() -> Result<Response, ApiError> {
    Ok(Response::empty()?.with_status(204))
}

/// The response sent for an outcome: an error rendered as its JSON answer, then the headers
/// every answer carries.
pub fn finish(outcome: Result<Response, ApiError>, trips: &Trips, cors: Cors<'_>) -> worker::Result<Response> {
    let mut response = outcome.or_else(ApiError::into_response)?;
    let headers = response.headers_mut();
    headers.set("X-Content-Type-Options", "nosniff")?;
    // Answers carry session keys and private room data: no cache may keep them.
    headers.set("Cache-Control", "no-store")?;
    if let Some(counts) = trips.report() {
        headers.set("X-Round-Trips", &counts)?;
    }
    cors.add_headers(headers)?;
    Ok(response)
}
