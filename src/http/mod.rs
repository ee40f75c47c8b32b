//! The HTTP edge: which route a request is for, reading its input and body, writing JSON
//! answers, CORS, and the headers every answer carries.

pub mod body;
pub mod cors;
pub mod input;
pub mod routing;

use std::rc::Rc;

use serde::Serialize;
use worker::Response;

pub use cors::Cors;
pub use input::{param, read_input, read_input_with_query_key, read_query_input, Input};

use crate::config::Config;
use crate::domain::Bookmark;
use crate::error::{json_text, ApiError};
use crate::log::RequestLog;

/// What every handler gets beside the request: the settings, the request's log record, and
/// its context.
pub struct Shared {
    pub config: Rc<Config>,
    pub log: RequestLog,
    /// The request's context: work it may finish after the answer (`wait_until`).
    pub context: Rc<worker::Context>,
    /// The client's latest D1 bookmark (`X-D1-Bookmark`), for reads a replica may serve.
    pub bookmark: Option<Bookmark>,
}

/// The request's `X-D1-Bookmark`, if it sent one: a malformed one is a 400.
pub fn bookmark(req: &worker::Request) -> Result<Option<Bookmark>, ApiError> {
    match req.headers().get(BOOKMARK).map_err(ApiError::internal)? {
        Some(text) => Ok(Some(Bookmark::parse(text.trim())?)),
        None => Ok(None),
    }
}

/// The header a client carries D1 bookmarks in, both ways.
pub const BOOKMARK: &str = "X-D1-Bookmark";

pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let text = serde_json::to_string(body).map_err(ApiError::internal)?;
    Ok(json_text(status, text)?)
}

pub fn no_content() -> Result<Response, ApiError> {
    Ok(Response::empty()?.with_status(204))
}

/// The response to an outcome: the response itself, or the error rendered as its JSON answer, its
/// internal detail (if any) kept for the request's log line.
pub fn render(outcome: Result<Response, ApiError>, log: &RequestLog) -> worker::Result<Response> {
    outcome.or_else(|error| {
        if let Some(detail) = error.log_detail() {
            log.failed(detail);
        }
        error.into_response()
    })
}

/// The response sent: the outcome's answer with the headers every answer carries.
pub fn finish(
    outcome: Result<Response, ApiError>,
    log: &RequestLog,
    count_round_trips: bool,
    cors: Cors<'_>,
) -> worker::Result<Response> {
    let mut response = render(outcome, log)?;
    let headers = response.headers_mut();
    headers.set("X-Content-Type-Options", "nosniff")?;
    // Answers carry session keys and private room data: no cache may keep them (but a file's
    // own answer says how its bytes may be kept).
    if !headers.has("Cache-Control")? {
        headers.set("Cache-Control", "no-store")?;
    }
    if count_round_trips {
        headers.set("X-Round-Trips", &log.round_trips())?;
    }
    // Where in D1's history this answer was: the client sends it back, so that a replica
    // serving its next read is at least this recent.
    if let Some(bookmark) = log.latest_bookmark() {
        headers.set(BOOKMARK, &bookmark)?;
    }
    cors.add_headers(headers)?;
    Ok(response)
}
