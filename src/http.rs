//! The edge between HTTP and the handlers: reading a request's input, writing JSON answers,
//! and the headers every response carries.

use serde::Serialize;
use worker::{Method, Request, Response, RouteContext};

use crate::error::ApiError;
use crate::input::{Input, RawRequest, MAX_BODY_BYTES};
use crate::trips::Trips;
use crate::Shared;

/// Reads every field of the request: the query string, and the body for methods that have one.
pub async fn read_input(req: &mut Request) -> Result<Input, ApiError> {
    // The query string straight from the URL text: no need for a full URL parse.
    let url = req.inner().url();
    let query = url.split_once('?').map(|(_, query)| query);
    let headers = req.headers();
    let content_type = headers.get("Content-Type")?;
    let authorization = headers.get("Authorization")?;
    let body = if matches!(req.method(), Method::Get | Method::Head) {
        Vec::new()
    } else {
        let declared = headers.get("Content-Length")?.and_then(|length| length.trim().parse::<u64>().ok());
        if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
            return Err(ApiError::PayloadTooLarge);
        }
        req.bytes().await?
    };
    Input::parse(RawRequest {
        query,
        content_type: content_type.as_deref(),
        body: &body,
        authorization: authorization.as_deref(),
    })
}

/// A path parameter, parsed into its domain type (`RoomId::parse`, ...).
pub fn param<T, E: Into<ApiError>>(
    ctx: &RouteContext<Shared>,
    name: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    let raw = ctx.param(name).ok_or_else(|| ApiError::internal(format!("route has no :{name}")))?;
    parse(raw).map_err(Into::into)
}

pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let text = serde_json::to_string(body).map_err(ApiError::internal)?;
    Ok(json_text(status, text)?)
}

fn json_text(status: u16, text: String) -> worker::Result<Response> {
    let mut response = Response::ok(text)?.with_status(status);
    response.headers_mut().set("Content-Type", "application/json")?;
    Ok(response)
}

pub fn no_content() -> Result<Response, ApiError> {
    Ok(Response::empty()?.with_status(204))
}

/// The CORS side of an answer.
pub struct Cors<'a> {
    /// The request's `Origin`, if `CORS_ORIGINS` allows it.
    pub allowed_origin: Option<&'a str>,
    pub preflight: bool,
}

/// Turns a handler's outcome into the response sent: errors become JSON bodies (their detail
/// logged, not sent), and the router's own plain-text 404 and 405 become JSON too.
pub fn finish(outcome: Result<Response, ApiError>, path: &str, trips: &Trips, cors: Cors<'_>) -> worker::Result<Response> {
    let outcome = outcome.and_then(|response| match response.status_code() {
        404 | 405 if !is_json(&response) => Err(if response.status_code() == 404 {
            ApiError::NotFound("no such route")
        } else {
            ApiError::MethodNotAllowed
        }),
        _ => Ok(response),
    });
    let mut response = match outcome {
        Ok(response) => response,
        Err(error) => error_response(&error)?,
    };
    let status = response.status_code();
    let headers = response.headers_mut();
    if status == 405 {
        if let Some(allowed) = crate::allow::allowed_methods(crate::ROUTES, path) {
            headers.set("Allow", &allowed)?;
        }
    }
    headers.set("X-Content-Type-Options", "nosniff")?;
    // Answers carry session keys and private room data: no cache may keep them.
    headers.set("Cache-Control", "no-store")?;
    if let Some(counts) = trips.report() {
        headers.set("X-Round-Trips", &counts)?;
    }
    headers.set("Vary", "Origin")?;
    if let Some(origin) = cors.allowed_origin {
        headers.set("Access-Control-Allow-Origin", origin)?;
        headers.set("Access-Control-Expose-Headers", crate::cors::EXPOSE_HEADERS)?;
        if cors.preflight {
            headers.set("Access-Control-Allow-Methods", crate::cors::ALLOW_METHODS)?;
            headers.set("Access-Control-Allow-Headers", crate::cors::ALLOW_HEADERS)?;
            headers.set("Access-Control-Max-Age", crate::cors::MAX_AGE)?;
        }
    }
    Ok(response)
}

fn is_json(response: &Response) -> bool {
    matches!(response.headers().get("Content-Type"), Ok(Some(value)) if value.starts_with("application/json"))
}

pub fn error_response(error: &ApiError) -> worker::Result<Response> {
    if let Some(detail) = error.log_detail() {
        worker::console_error!("{} {}: {detail}", error.status(), error.message());
    }
    let mut response = json_text(error.status(), serde_json::json!({ "error": error.message() }).to_string())?;
    if let Some(seconds) = error.retry_after() {
        response.headers_mut().set("Retry-After", &seconds.to_string())?;
    }
    Ok(response)
}
