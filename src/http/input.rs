//! Reading a request's fields from its query string, JSON or form body and `Authorization`
//! header into one map, so that every handler reads input the same way; and its path
//! parameters, parsed into domain types.

use std::collections::BTreeMap;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use worker::{Method, Request, RouteContext};

use super::body::{self, MAX_BODY_BYTES};
use crate::error::ApiError;

/// The fields that are secrets. A URL is written to access logs, browser histories and
/// `Referer` headers, so a request that has a body must carry them there, not in its query.
const SECRETS: [&str; 4] = ["password", "new_password", "registration_token", "key"];

/// Which secrets (`SECRETS`) the query string may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuerySecrets {
    /// A request without a body (GET, HEAD): the seed's clients log in with
    /// `GET /token?user_id&password` and read with `?key`.
    Allowed,
    /// `DELETE /token`: the seed's clients send its `key` in the query, as a DELETE usually
    /// carries no body.
    KeyOnly,
    /// Any other request: its secrets go in its body (or the key in `Authorization`).
    Refused,
}

impl QuerySecrets {
    fn admits(self, name: &str) -> bool {
        match self {
            Self::Allowed => true,
            Self::KeyOnly => name == "key" || !SECRETS.contains(&name),
            Self::Refused => !SECRETS.contains(&name),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    /// From a query string or a form body: always text, typed when read.
    Text(String),
    /// From a JSON body: must already have the right JSON type.
    Json(serde_json::Value),
}

/// Reads every field of the request: the query string, and the body for methods that have one.
/// Secrets in the query string are refused unless the request has no body (`QuerySecrets`).
pub async fn read_input(req: &mut Request) -> Result<Input, ApiError> {
    let secrets =
        if matches!(req.method(), Method::Get | Method::Head) { QuerySecrets::Allowed } else { QuerySecrets::Refused };
    read_input_with(req, secrets).await
}

/// `read_input` for `DELETE /token`, which may take its `key` from the query string.
pub async fn read_input_with_query_key(req: &mut Request) -> Result<Input, ApiError> {
    read_input_with(req, QuerySecrets::KeyOnly).await
}

async fn read_input_with(req: &mut Request, query_secrets: QuerySecrets) -> Result<Input, ApiError> {
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
            // Answered at once; the body is drained behind the answer (`body::drain_behind`).
            return Err(ApiError::PayloadTooLarge);
        }
        body::read(req).await?
    };
    Input::parse(RawRequest {
        query,
        query_secrets,
        content_type: content_type.as_deref(),
        body: &body,
        authorization: authorization.as_deref(),
    })
}

/// The fields of a request whose body is not input (an upload's bytes): its query string (no
/// secrets) and its `Authorization` header.
pub fn read_query_input(req: &Request) -> Result<Input, ApiError> {
    let url = req.inner().url();
    let authorization = req.headers().get("Authorization")?;
    Input::parse(RawRequest {
        query: url.split_once('?').map(|(_, query)| query),
        query_secrets: QuerySecrets::Refused,
        content_type: None,
        body: &[],
        authorization: authorization.as_deref(),
    })
}

/// A path parameter, parsed into its domain type (`RoomId::parse`, ...).
pub fn param<D, T, E: Into<ApiError>>(
    ctx: &RouteContext<D>,
    name: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    let raw = ctx.param(name).ok_or_else(|| ApiError::internal(format!("route has no :{name}")))?;
    parse(raw).map_err(Into::into)
}

/// All the fields of one request, whatever carried them.
#[derive(Debug, Default)]
pub struct Input {
    fields: BTreeMap<String, Value>,
    bearer: Option<String>,
}

/// What the HTTP layer hands over; the body only for methods that have one.
pub struct RawRequest<'a> {
    pub query: Option<&'a str>,
    pub query_secrets: QuerySecrets,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    pub authorization: Option<&'a str>,
}

impl Input {
    /// Parses every source of fields. A field given twice, by one source or by two, is
    /// ambiguous and answered with 400 rather than silently picking one.
    pub fn parse(raw: RawRequest<'_>) -> Result<Self, ApiError> {
        if raw.body.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        let mut input = Input { fields: BTreeMap::new(), bearer: bearer_token(raw.authorization) };
        if let Some(query) = raw.query {
            for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
                if !raw.query_secrets.admits(&name) {
                    return Err(ApiError::bad_request(format!(
                        "{name} must not be sent in the URL: send it in the body{}",
                        if name == "key" { " or an Authorization: Bearer header" } else { "" }
                    )));
                }
                input.insert(name.into_owned(), Value::Text(value.into_owned()))?;
            }
        }
        match body_kind(raw.content_type, raw.body)? {
            BodyKind::Empty => {}
            BodyKind::Form => {
                for (name, value) in url::form_urlencoded::parse(raw.body) {
                    input.insert(name.into_owned(), Value::Text(value.into_owned()))?;
                }
            }
            BodyKind::Json => {
                let Members(members) = serde_json::from_slice(raw.body).map_err(|error| {
                    ApiError::bad_request(match error.classify() {
                        serde_json::error::Category::Data => "body must be a JSON object",
                        _ => "body is not valid JSON",
                    })
                })?;
                for (name, value) in members {
                    input.insert(name, Value::Json(value))?;
                }
            }
        }
        Ok(input)
    }

    fn insert(&mut self, name: String, value: Value) -> Result<(), ApiError> {
        if self.fields.contains_key(&name) {
            return Err(ApiError::bad_request(format!("{name} is given more than once")));
        }
        self.fields.insert(name, value);
        Ok(())
    }

    /// A text field; JSON `null` counts as absent.
    pub fn text(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.fields.get(name) {
            None | Some(Value::Json(serde_json::Value::Null)) => Ok(None),
            Some(Value::Text(text)) => Ok(Some(text)),
            Some(Value::Json(serde_json::Value::String(text))) => Ok(Some(text)),
            Some(Value::Json(_)) => Err(ApiError::bad_request(format!("{name} must be a string"))),
        }
    }

    pub fn required_text(&self, name: &str) -> Result<&str, ApiError> {
        self.text(name)?.ok_or_else(|| ApiError::bad_request(format!("{name} is required")))
    }

    /// A list of texts: a JSON array of strings, or a comma-separated text (a form's field).
    pub fn list(&self, name: &str) -> Result<Option<Vec<&str>>, ApiError> {
        let invalid = || ApiError::bad_request(format!("{name} must be an array of strings"));
        match self.fields.get(name) {
            None | Some(Value::Json(serde_json::Value::Null)) => Ok(None),
            Some(Value::Text(text)) => {
                Ok(Some(text.split(',').map(str::trim).filter(|item| !item.is_empty()).collect()))
            }
            Some(Value::Json(serde_json::Value::Array(items))) => {
                items.iter().map(|item| item.as_str().ok_or_else(invalid)).collect::<Result<_, _>>().map(Some)
            }
            Some(Value::Json(_)) => Err(invalid()),
        }
    }

    /// A boolean: JSON `true`/`false`, or the text `true`, `false`, `1`, `0`.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        let invalid = || ApiError::bad_request(format!("{name} must be true or false"));
        match self.fields.get(name) {
            None | Some(Value::Json(serde_json::Value::Null)) => Ok(None),
            Some(Value::Json(serde_json::Value::Bool(value))) => Ok(Some(*value)),
            Some(Value::Text(text)) => match text.as_str() {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(invalid()),
            },
            Some(Value::Json(_)) => Err(invalid()),
        }
    }

    /// A non-negative integer: a JSON integer or plain decimal digits. Bounds are the
    /// caller's to check.
    pub fn uint(&self, name: &str) -> Result<Option<u64>, ApiError> {
        let value = match self.fields.get(name) {
            None | Some(Value::Json(serde_json::Value::Null)) => return Ok(None),
            Some(Value::Json(serde_json::Value::Number(number))) => number.as_u64(),
            Some(Value::Text(text)) => parse_digits(text),
            Some(Value::Json(_)) => None,
        };
        value.map(Some).ok_or_else(|| ApiError::bad_request(format!("{name} must be a non-negative integer")))
    }

    /// The session key: the `key` field or an `Authorization: Bearer` header. Both may be
    /// sent only if they agree.
    pub fn key(&self) -> Result<Option<&str>, ApiError> {
        let field = self.text("key")?;
        match (field, self.bearer.as_deref()) {
            (Some(field), Some(bearer)) if field != bearer => {
                Err(ApiError::bad_request("key and the Authorization header name different keys"))
            }
            (Some(key), _) | (None, Some(key)) => Ok(Some(key)),
            (None, None) => Ok(None),
        }
    }

    pub fn required_key(&self) -> Result<&str, ApiError> {
        self.key()?.ok_or_else(|| ApiError::bad_request("key is required"))
    }
}

/// A JSON object's members in the order given, a key given twice kept twice (a
/// `serde_json::Map` keeps the last silently), so that `Input::insert` refuses it.
struct Members(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry()? {
            members.push(member);
        }
        Ok(Members(members))
    }
}

enum BodyKind {
    Empty,
    Json,
    Form,
}

fn body_kind(content_type: Option<&str>, body: &[u8]) -> Result<BodyKind, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(BodyKind::Empty);
    }
    let Some(content_type) = content_type else {
        // curl -d sends a form unless told otherwise; a JSON object announces itself.
        let first = body.iter().find(|byte| !byte.is_ascii_whitespace());
        return Ok(if first == Some(&b'{') { BodyKind::Json } else { BodyKind::Form });
    };
    let media_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if media_type == "application/json" || media_type.ends_with("+json") {
        Ok(BodyKind::Json)
    } else if media_type == "application/x-www-form-urlencoded" {
        Ok(BodyKind::Form)
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

fn bearer_token(authorization: Option<&str>) -> Option<String> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// Plain decimal digits only: no sign, no point, no exponent, no spaces.
fn parse_digits(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: Option<&str>, content_type: Option<&str>, body: &str) -> Result<Input, ApiError> {
        let query_secrets = QuerySecrets::Allowed;
        Input::parse(RawRequest { query, query_secrets, content_type, body: body.as_bytes(), authorization: None })
    }

    fn with_query(query: &str, query_secrets: QuerySecrets) -> Result<Input, ApiError> {
        let body = br#"{"name": "x"}"#;
        Input::parse(RawRequest { query: Some(query), query_secrets, content_type: None, body, authorization: None })
    }

    fn json(body: &str) -> Input {
        parse(None, Some("application/json"), body).unwrap()
    }

    #[test]
    fn fields_come_from_a_json_body() {
        let input = json(r#"{"username": "ana", "open": false}"#);
        assert_eq!(input.text("username").unwrap(), Some("ana"));
        assert_eq!(input.bool("open").unwrap(), Some(false));
    }

    #[test]
    fn fields_come_from_a_form_body() {
        let input = parse(None, Some("application/x-www-form-urlencoded"), "name=caf%C3%A9+bar&open=true").unwrap();
        assert_eq!(input.text("name").unwrap(), Some("café bar"));
        assert_eq!(input.bool("open").unwrap(), Some(true));
    }

    #[test]
    fn fields_come_from_the_query_string_beside_a_body() {
        let input = with_query("user_id=abc", QuerySecrets::Refused).unwrap();
        assert_eq!(input.text("user_id").unwrap(), Some("abc"));
        assert_eq!(input.text("name").unwrap(), Some("x"));
    }

    #[test]
    fn a_secret_in_the_query_string_of_a_request_with_a_body_is_a_bad_request() {
        for name in SECRETS {
            let error = with_query(&format!("{name}=abc"), QuerySecrets::Refused).unwrap_err();
            assert_eq!(error.status(), 400, "{name}");
            assert!(error.message().starts_with(&format!("{name} must not be sent in the URL")), "{error}");
        }
    }

    #[test]
    fn secrets_may_be_in_the_query_string_of_a_request_without_a_body() {
        let input =
            with_query("key=abc&password=p&new_password=q&registration_token=t", QuerySecrets::Allowed).unwrap();
        assert_eq!(input.key().unwrap(), Some("abc"));
        assert_eq!(input.text("password").unwrap(), Some("p"));
    }

    #[test]
    fn a_revocation_may_take_its_key_from_the_query_string_but_no_other_secret() {
        assert_eq!(with_query("key=abc&user_id=u", QuerySecrets::KeyOnly).unwrap().key().unwrap(), Some("abc"));
        assert_eq!(with_query("password=p", QuerySecrets::KeyOnly).unwrap_err().status(), 400);
    }

    #[test]
    fn a_json_key_given_twice_is_a_bad_request() {
        let error = parse(None, Some("application/json"), r#"{"name": "a", "open": true, "name": "b"}"#).unwrap_err();
        assert_eq!(error, ApiError::bad_request("name is given more than once"));
    }

    #[test]
    fn a_body_without_content_type_is_sniffed() {
        assert_eq!(parse(None, None, r#" {"a": "1"}"#).unwrap().text("a").unwrap(), Some("1"));
        assert_eq!(parse(None, None, "a=1").unwrap().text("a").unwrap(), Some("1"));
    }

    #[test]
    fn content_type_parameters_and_case_are_ignored() {
        let input = parse(None, Some("Application/JSON; charset=utf-8"), r#"{"a": "1"}"#).unwrap();
        assert_eq!(input.text("a").unwrap(), Some("1"));
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        let error = parse(None, Some("application/json"), "{\"a\": ").unwrap_err();
        assert_eq!(error.status(), 400);
    }

    #[test]
    fn a_json_body_that_is_not_an_object_is_a_bad_request() {
        for body in ["[1]", "\"text\"", "3", "null"] {
            let error = parse(None, Some("application/json"), body).unwrap_err();
            assert_eq!(error, ApiError::bad_request("body must be a JSON object"), "{body}");
        }
    }

    #[test]
    fn an_unknown_media_type_is_unsupported() {
        let error = parse(None, Some("text/plain"), "hello").unwrap_err();
        assert_eq!(error, ApiError::UnsupportedMediaType);
    }

    #[test]
    fn a_body_over_64_kib_is_too_large() {
        let body = format!("{{\"a\": \"{}\"}}", "x".repeat(MAX_BODY_BYTES));
        assert_eq!(parse(None, Some("application/json"), &body).unwrap_err(), ApiError::PayloadTooLarge);
    }

    #[test]
    fn a_field_given_twice_is_a_bad_request() {
        assert_eq!(parse(Some("a=1&a=2"), None, "").unwrap_err().status(), 400);
        assert_eq!(parse(Some("a=1"), None, "a=1").unwrap_err().status(), 400);
    }

    #[test]
    fn a_json_field_of_the_wrong_type_is_a_bad_request() {
        let input = json(r#"{"name": 5, "open": "yes", "limit": -1, "offset": 1.5}"#);
        assert_eq!(input.text("name").unwrap_err(), ApiError::bad_request("name must be a string"));
        assert_eq!(input.bool("open").unwrap_err().status(), 400);
        assert_eq!(input.uint("limit").unwrap_err().status(), 400);
        assert_eq!(input.uint("offset").unwrap_err().status(), 400);
    }

    #[test]
    fn json_null_is_an_absent_field() {
        let input = json(r#"{"name": null, "open": null, "limit": null}"#);
        assert_eq!(input.text("name").unwrap(), None);
        assert_eq!(input.bool("open").unwrap(), None);
        assert_eq!(input.uint("limit").unwrap(), None);
    }

    #[test]
    fn a_missing_required_field_is_named_in_the_error() {
        let error = json("{}").required_text("password").unwrap_err();
        assert_eq!(error, ApiError::bad_request("password is required"));
    }

    #[test]
    fn integers_are_plain_decimal_digits() {
        let input = parse(Some("a=10&b=-1&c=1.0&d=+3&e=&f=1e3&g=99999999999999999999999&h=%201"), None, "").unwrap();
        assert_eq!(input.uint("a").unwrap(), Some(10));
        for name in ["b", "c", "d", "e", "f", "g", "h"] {
            assert_eq!(input.uint(name).unwrap_err().status(), 400, "{name}");
        }
    }

    #[test]
    fn booleans_accept_words_and_digits_only() {
        let input = parse(Some("a=1&b=0&c=yes"), None, "").unwrap();
        assert_eq!(input.bool("a").unwrap(), Some(true));
        assert_eq!(input.bool("b").unwrap(), Some(false));
        assert_eq!(input.bool("c").unwrap_err().status(), 400);
    }

    fn with_authorization(query: &str, authorization: &str) -> Input {
        Input::parse(RawRequest {
            query: Some(query),
            query_secrets: QuerySecrets::Allowed,
            content_type: None,
            body: b"",
            authorization: Some(authorization),
        })
        .unwrap()
    }

    #[test]
    fn a_bearer_header_supplies_the_key() {
        assert_eq!(with_authorization("", "Bearer abc").key().unwrap(), Some("abc"));
        assert_eq!(with_authorization("", "bearer  abc ").key().unwrap(), Some("abc"));
        assert_eq!(with_authorization("", "Basic abc").key().unwrap(), None);
    }

    #[test]
    fn a_key_field_and_a_bearer_header_must_agree() {
        assert_eq!(with_authorization("key=abc", "Bearer abc").key().unwrap(), Some("abc"));
        assert_eq!(with_authorization("key=abc", "Bearer xyz").key().unwrap_err().status(), 400);
    }
}
