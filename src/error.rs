//! The one error type of the API: every conversion into it, and its rendering as an HTTP
//! status, headers and a JSON body.

use std::fmt;

use worker::Response;

use crate::domain::{HandleRefusal, Invalid, MentionRefusal, Refusal};

/// A JSON answer: the text, with its status and `Content-Type`. Every answer of the service
/// is made here, errors and successes alike.
pub fn json_text(status: u16, text: String) -> worker::Result<Response> {
    let mut response = Response::ok(text)?.with_status(status);
    response.headers_mut().set("Content-Type", "application/json")?;
    Ok(response)
}

/// Every way a request can fail. Handlers return `Result<_, ApiError>` and use `?`;
/// `into_response` is the only place that turns a failure into HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(&'static str),
    Forbidden(&'static str),
    NotFound(&'static str),
    /// The request is sound but clashes with what exists (a handle someone has).
    Conflict(&'static str),
    /// The path exists, but not with this method; `allow` lists the methods it has.
    MethodNotAllowed {
        allow: String,
    },
    PayloadTooLarge,
    /// An upload past `FILE_MAX_BYTES`: its message says the limit.
    FileTooLarge(String),
    /// An upload that does not say its size (`Content-Length`).
    LengthRequired,
    /// A `Range` of no byte of the file (`size` bytes).
    RangeNotSatisfiable {
        size: u64,
    },
    UnsupportedMediaType,
    /// A WebSocket endpoint asked without `Upgrade: websocket`.
    UpgradeRequired,
    TooManyRequests {
        message: &'static str,
        retry_after: u64,
    },
    /// Something broke on our side; the detail goes to the log, never to the client.
    Internal(String),
    /// A binding (D1, KV) is missing or refused to answer; the detail goes to the log.
    Unavailable(String),
}

impl ApiError {
    /// A key that is malformed, unknown, expired, revoked or outlived its account.
    pub const INVALID_KEY: Self = Self::Unauthorized("invalid or expired key");
    /// Someone has the handle, or had it within 30 days (it is held for them).
    pub const HANDLE_TAKEN: Self = Self::Conflict("this handle is taken");
    pub const HANDLE_RESERVED: Self = Self::Conflict("this handle is reserved");

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    pub fn internal(detail: impl fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::MethodNotAllowed { .. } => 405,
            Self::PayloadTooLarge | Self::FileTooLarge(_) => 413,
            Self::LengthRequired => 411,
            Self::RangeNotSatisfiable { .. } => 416,
            Self::UnsupportedMediaType => 415,
            Self::UpgradeRequired => 426,
            Self::TooManyRequests { .. } => 429,
            Self::Internal(_) => 500,
            Self::Unavailable(_) => 503,
        }
    }

    /// The message the client sees.
    pub fn message(&self) -> &str {
        match self {
            Self::BadRequest(message) | Self::FileTooLarge(message) => message,
            Self::LengthRequired => "give the file's size in Content-Length",
            Self::RangeNotSatisfiable { .. } => "the range holds no byte of the file",
            Self::Unauthorized(message)
            | Self::Forbidden(message)
            | Self::NotFound(message)
            | Self::Conflict(message)
            | Self::TooManyRequests { message, .. } => message,
            Self::MethodNotAllowed { .. } => "method not allowed",
            Self::PayloadTooLarge => "request body is larger than 64 KiB",
            Self::UnsupportedMediaType => "body must be application/json or application/x-www-form-urlencoded",
            Self::UpgradeRequired => "this endpoint is a WebSocket: ask with Upgrade: websocket",
            Self::Internal(_) => "internal error",
            Self::Unavailable(_) => "service temporarily unavailable",
        }
    }

    /// What the operator should see in the log, if anything.
    pub fn log_detail(&self) -> Option<&str> {
        match self {
            Self::Internal(detail) | Self::Unavailable(detail) => Some(detail),
            _ => None,
        }
    }

    /// Everything the log should say of it: the detail of our own failures, else the message.
    pub fn detail(&self) -> &str {
        self.log_detail().unwrap_or(self.message())
    }

    /// The answer sent for this error: its status, `{"error": message}`, and the headers it
    /// needs (`Retry-After`, `Allow`). The detail of our own failures is not in it: it goes to
    /// the request's log line (`http::answer`).
    pub fn into_response(self) -> worker::Result<Response> {
        let body = serde_json::json!({ "error": self.message() }).to_string();
        let mut response = json_text(self.status(), body)?;
        let headers = response.headers_mut();
        match &self {
            Self::TooManyRequests { retry_after, .. } => headers.set("Retry-After", &retry_after.to_string())?,
            Self::MethodNotAllowed { allow } => headers.set("Allow", allow)?,
            Self::UpgradeRequired => headers.set("Upgrade", "websocket")?,
            Self::RangeNotSatisfiable { size } => headers.set("Content-Range", &format!("bytes */{size}"))?,
            _ => {}
        }
        Ok(response)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status(), self.message())
    }
}

impl From<worker::Error> for ApiError {
    fn from(error: worker::Error) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<worker::kv::KvError> for ApiError {
    fn from(error: worker::kv::KvError) -> Self {
        Self::Internal(format!("kv: {error}"))
    }
}

/// A value the domain refused: a 400 with its reason.
impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::BadRequest(invalid.0)
    }
}

/// A post's mentions refused: someone not present, 400; the whole room by a non-admin, 403.
impl From<MentionRefusal> for ApiError {
    fn from(refusal: MentionRefusal) -> Self {
        match refusal {
            MentionRefusal::NotPresent => Self::bad_request("mentions must be present members of the room"),
            MentionRefusal::NotAdmin => Self::Forbidden("only admins may mention the whole room"),
        }
    }
}

/// A handle refused: malformed, 400; reserved, 409 as a taken one.
impl From<HandleRefusal> for ApiError {
    fn from(refusal: HandleRefusal) -> Self {
        match refusal {
            HandleRefusal::Malformed(invalid) => invalid.into(),
            HandleRefusal::Reserved => Self::HANDLE_RESERVED,
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::RoomNotFound => Self::NotFound("room not found"),
            Refusal::UserNotFound => Self::NotFound("user not found"),
            Refusal::NotAMember => Self::NotFound("user is not a member of this room"),
            Refusal::AlreadyMember => Self::Conflict("already a member of this room"),
            Refusal::NoInvitation => Self::NotFound("no such invitation"),
            Refusal::Banned => Self::Forbidden("banned from this room"),
            Refusal::Forbidden(reason) => Self::Forbidden(reason),
            Refusal::UnknownCaller => Self::INVALID_KEY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_detail_from_the_client() {
        let error = ApiError::internal("no such table: users");
        assert_eq!(error.status(), 500);
        assert_eq!(error.message(), "internal error");
        assert_eq!(error.log_detail(), Some("no such table: users"));
    }

    #[test]
    fn client_errors_carry_their_message_and_nothing_to_log() {
        let error = ApiError::bad_request("name must be a string");
        assert_eq!(error.status(), 400);
        assert_eq!(error.message(), "name must be a string");
        assert_eq!(error.log_detail(), None);
    }

    #[test]
    fn throttling_is_a_429() {
        let error = ApiError::TooManyRequests { message: "slow down", retry_after: 42 };
        assert_eq!(error.status(), 429);
        assert_eq!(error.message(), "slow down");
    }

    #[test]
    fn a_refused_room_action_keeps_the_one_answer_for_a_hidden_room() {
        assert_eq!(ApiError::from(Refusal::RoomNotFound), ApiError::NotFound("room not found"));
        assert_eq!(ApiError::from(Refusal::UnknownCaller), ApiError::INVALID_KEY);
    }
}
