//! Requests by hand, their answers read whole, and the turns requests and out-of-band SQL take
//! on the instance's database.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use serde_json::Value;

use super::{AsKey, TestApp};

// Requests by hand.

impl TestApp {
    pub fn get(&self, path: &str) -> Call {
        self.call("GET", path)
    }
    pub fn post(&self, path: &str) -> Call {
        self.call("POST", path)
    }
    pub fn put(&self, path: &str) -> Call {
        self.call("PUT", path)
    }
    pub fn patch(&self, path: &str) -> Call {
        self.call("PATCH", path)
    }
    pub fn delete(&self, path: &str) -> Call {
        self.call("DELETE", path)
    }

    pub fn call(&self, method: &str, path: &str) -> Call {
        Call { request: self.agent.request(method, &format!("{}{path}", self.base)), turns: self.turns.clone() }
    }
}

pub struct Call {
    pub(super) request: ureq::Request,
    pub(super) turns: Turns,
}

impl Call {
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.query(name, value);
        self
    }

    pub fn queries(self, params: &[(&str, &str)]) -> Self {
        params.iter().fold(self, |call, (name, value)| call.query(name, value))
    }

    pub fn bearer(self, key: &str) -> Self {
        self.header("Authorization", &format!("Bearer {key}"))
    }

    /// With `caller`'s key as a Bearer header, if it has one.
    pub fn by(self, caller: impl AsKey) -> Self {
        match caller.key() {
            Some(key) => self.bearer(key),
            None => self,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.set(name, value);
        self
    }

    pub fn send(self) -> Resp {
        let _shared = self.turns.shared();
        Resp::from(answered(|| answer_of(self.request.clone().call())))
    }

    /// For HEAD: the status, after checking that no body came.
    pub fn send_head(self) -> u16 {
        let _shared = self.turns.shared();
        let response = answered(|| answer_of(self.request.clone().call()));
        let status = response.status();
        let mut body = Vec::new();
        response.into_reader().read_to_end(&mut body).unwrap();
        assert!(body.is_empty(), "HEAD answered a body: {}", String::from_utf8_lossy(&body));
        status
    }

    pub fn json(self, body: Value) -> Resp {
        self.raw("application/json", body.to_string().as_bytes())
    }

    pub fn form(self, fields: &[(&str, &str)]) -> Resp {
        let _shared = self.turns.shared();
        Resp::from(answered(|| answer_of(self.request.clone().send_form(fields))))
    }

    pub fn raw(self, content_type: &str, body: &[u8]) -> Resp {
        let _shared = self.turns.shared();
        Resp::from(answered(|| answer_of(self.request.clone().set("Content-Type", content_type).send_bytes(body))))
    }
}

/// The answer, an error status included. A request in flight while `wrangler dev` reloads its
/// runtime (its watchers can fire late after a start on a busy machine) gets the dev proxy's own
/// plain-text 503 with `Retry-After: 0` instead of any answer of the worker, which never sends
/// plain text: such a request is sent again, as the proxy asks, up to three times.
pub(super) fn answered(send: impl Fn() -> ureq::Response) -> ureq::Response {
    let mut tries = 0;
    loop {
        let response = send();
        let reloaded = response.status() == 503
            && response.content_type() == "text/plain"
            && response.header("Retry-After") == Some("0");
        tries += 1;
        if !reloaded || tries == 3 {
            return response;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

pub(super) fn answer_of(result: Result<ureq::Response, ureq::Error>) -> ureq::Response {
    match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed without an HTTP answer: {error}"),
    }
}

/// A response, read whole. Every answer of the API but 204 must be JSON.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub text: String,
    pub body: Value,
}

impl From<ureq::Response> for Resp {
    fn from(response: ureq::Response) -> Self {
        Self::read(response).unwrap()
    }
}

impl Resp {
    /// The answer read whole, or the error that cut it short (a reset connection).
    pub fn read(response: ureq::Response) -> std::io::Result<Self> {
        let TextAnswer { status, headers, text } = TextAnswer::read(response)?;
        let body = if status == 204 {
            assert!(text.is_empty(), "204 with a body: {text}");
            Value::Null
        } else {
            let content_type = headers.get("content-type").map(String::as_str).unwrap_or_default();
            assert!(content_type.starts_with("application/json"), "{status} is not JSON ({content_type}): {text}");
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("{status} body is not JSON ({error}): {text}"))
        };
        Ok(Self { status, headers, text, body })
    }

    /// A string field of the body.
    pub fn str(&self, field: &str) -> String {
        match &self.body[field] {
            Value::String(value) => value.clone(),
            other => panic!("{field} is not a string but {other} in {}", self.text),
        }
    }

    /// Asserts the status, and that the body is exactly `{"error": "<non-empty>"}`.
    #[track_caller]
    pub fn assert_error(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.text);
        let object = self.body.as_object().unwrap_or_else(|| panic!("error body is not an object: {}", self.text));
        assert_eq!(object.len(), 1, "error body has other fields: {}", self.text);
        assert!(matches!(&object["error"], Value::String(message) if !message.is_empty()), "{}", self.text);
    }

    /// Asserts the status, showing the body if it is another.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "{}", self.text);
        self
    }

    #[track_caller]
    pub fn assert_ok(&self, status: u16, body: Value) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body, body);
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

// The database's turns.

/// Requests and out-of-band SQL take turns on the instance's SQLite file: `sql` opens it beside
/// workerd, and either may then find it locked (SQLITE_BUSY), which a real D1 never does.
/// Requests share the file; `sql` has it alone.
#[derive(Clone, Default)]
pub(super) struct Turns(Arc<RwLock<()>>);

impl Turns {
    pub(super) fn shared(&self) -> RwLockReadGuard<'_, ()> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn alone(&self) -> RwLockWriteGuard<'_, ()> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An answer of any type (an HTML page), read whole.
#[derive(Debug)]
pub struct TextAnswer {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub text: String,
}

impl From<ureq::Response> for TextAnswer {
    fn from(response: ureq::Response) -> Self {
        Self::read(response).unwrap()
    }
}

impl TextAnswer {
    /// Asserts the status, showing the text if it is another.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "{}", self.text);
        self
    }

    /// The answer read whole, or the error that cut it short.
    pub fn read(response: ureq::Response) -> std::io::Result<Self> {
        let (status, headers) = (response.status(), headers_of(&response));
        let mut text = String::new();
        response.into_reader().read_to_string(&mut text)?;
        Ok(Self { status, headers, text })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

impl Call {
    /// Sends the request and reads the answer as text, whatever its type.
    pub fn send_page(self) -> TextAnswer {
        let _shared = self.turns.shared();
        TextAnswer::from(answered(|| answer_of(self.request.clone().call())))
    }
}

/// An answer of bytes (a file), read whole.
#[derive(Debug)]
pub struct BytesAnswer {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub bytes: Vec<u8>,
}

impl BytesAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// The body as the JSON error every refusal is, asserting its status.
    #[track_caller]
    pub fn assert_error(&self, status: u16) {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.bytes));
        let body: Value = serde_json::from_slice(&self.bytes).unwrap_or_else(|_| panic!("not JSON: {:?}", self.bytes));
        assert!(body["error"].as_str().is_some_and(|error| !error.is_empty()), "{body}");
    }
}

impl Call {
    /// Sends the request and reads the answer as bytes, whatever its type.
    pub fn send_bytes(self) -> BytesAnswer {
        let _shared = self.turns.shared();
        let response = answered(|| answer_of(self.request.clone().call()));
        let (status, headers) = (response.status(), headers_of(&response));
        let mut bytes = Vec::new();
        response.into_reader().read_to_end(&mut bytes).unwrap();
        BytesAnswer { status, headers, bytes }
    }
}

/// An answer's headers, by their lower-case names.
fn headers_of(response: &ureq::Response) -> HashMap<String, String> {
    response
        .headers_names()
        .into_iter()
        .filter_map(|name| response.header(&name).map(|value| (name.to_ascii_lowercase(), value.to_string())))
        .collect()
}
