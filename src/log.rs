//! What one request did, for the operator: its D1 round trips, the rows they wrote, its KV
//! operations, its calls to rooms' objects, the PBKDF2 iterations it spent, and the detail of our own failure. Every request ends in one JSON log line (`wrangler tail`, Workers Logs)
//! with the route's pattern, never its path: no id, key, password, ticket or message text.
//! With `COUNT_ROUND_TRIPS=on` the counts also go out as the `X-Round-Trips` header.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::Serialize;

/// One request's record; clones write into the same one.
#[derive(Clone, Default)]
pub struct RequestLog(Rc<Record>);

#[derive(Default)]
struct Record {
    d1: Cell<u32>,
    kv_reads: Cell<u32>,
    kv_writes: Cell<u32>,
    /// Calls to rooms' Durable Objects.
    object_calls: Cell<u32>,
    /// D1 rows written, as each statement's `meta.rows_written` says (indexes included).
    rows_written: Cell<u64>,
    /// PBKDF2 iterations spent hashing or checking passwords.
    pbkdf2_iterations: Cell<u64>,
    /// Why we failed (a 5xx), for the operator's eyes only.
    failure: RefCell<Option<String>>,
    /// The fan-out object a socket's opening was placed in (`live::fan`), if not the room's own.
    fan: Cell<Option<u32>>,
    /// The latest D1 bookmark of the request's sessions: the answer's `X-D1-Bookmark`.
    bookmark: RefCell<Option<String>>,
}

/// The request a line is about.
pub struct Served<'a> {
    pub method: &'a str,
    /// The matched route's pattern (`/room/:room_id`), or `None` where no route matched.
    pub route: Option<&'a str>,
    pub status: u16,
    pub millis: i64,
}

impl RequestLog {
    pub fn d1(&self) {
        add(&self.0.d1);
    }

    pub fn kv_read(&self) {
        add(&self.0.kv_reads);
    }

    pub fn kv_write(&self) {
        add(&self.0.kv_writes);
    }

    pub fn object(&self) {
        add(&self.0.object_calls);
    }

    pub fn rows_written(&self, rows: u64) {
        let record = &self.0.rows_written;
        record.set(record.get().saturating_add(rows));
    }

    pub fn pbkdf2(&self, iterations: u32) {
        let record = &self.0.pbkdf2_iterations;
        record.set(record.get().saturating_add(u64::from(iterations)));
    }

    /// A D1 session's bookmark after a round trip. Bookmarks grow as D1's history does, so the
    /// greatest is the latest (what a client must read at least, next time).
    pub fn bookmark(&self, bookmark: String) {
        let mut kept = self.0.bookmark.borrow_mut();
        if kept.as_ref().is_none_or(|latest| *latest < bookmark) {
            *kept = Some(bookmark);
        }
    }

    /// The latest bookmark, if the request reached D1.
    pub fn latest_bookmark(&self) -> Option<String> {
        self.0.bookmark.borrow().clone()
    }

    /// The socket opening went to fan-out object `fan`.
    pub fn fan(&self, fan: u32) {
        self.0.fan.set(Some(fan));
    }

    pub fn failed(&self, detail: &str) {
        *self.0.failure.borrow_mut() = Some(detail.to_owned());
    }

    /// `d1=1, kv-read=1, kv-write=0, objects=0`: the `X-Round-Trips` header.
    pub fn round_trips(&self) -> String {
        let record = &self.0;
        format!(
            "d1={}, kv-read={}, kv-write={}, objects={}",
            record.d1.get(),
            record.kv_reads.get(),
            record.kv_writes.get(),
            record.object_calls.get()
        )
    }

    /// The request's log line: one JSON object.
    pub fn line(&self, served: &Served<'_>) -> String {
        let record = &self.0;
        let failure = record.failure.borrow();
        let line = Line {
            method: served.method,
            route: served.route,
            status: served.status,
            ms: served.millis,
            d1: record.d1.get(),
            kv_reads: record.kv_reads.get(),
            kv_writes: record.kv_writes.get(),
            object_calls: record.object_calls.get(),
            rows_written: record.rows_written.get(),
            pbkdf2_iterations: record.pbkdf2_iterations.get(),
            wasm_kib: wasm_kib(),
            fan: record.fan.get(),
            error: failure.as_deref(),
        };
        // Written straight from the fields: no map of values built and dropped each request.
        serde_json::to_string(&line).unwrap_or_default()
    }
}

/// The log line's fields, in their order.
#[derive(Serialize)]
struct Line<'a> {
    method: &'a str,
    route: Option<&'a str>,
    status: u16,
    ms: i64,
    d1: u32,
    kv_reads: u32,
    kv_writes: u32,
    object_calls: u32,
    rows_written: u64,
    pbkdf2_iterations: u64,
    wasm_kib: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    fan: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// The wasm instance's linear memory, KiB: it only grows, so a line that shows it growing
/// under a steady load shows a leak. One isolate's, shared by the worker and its objects.
#[cfg(target_arch = "wasm32")]
pub fn wasm_kib() -> usize {
    core::arch::wasm32::memory_size::<0>() * 64
}

#[cfg(not(target_arch = "wasm32"))]
pub fn wasm_kib() -> usize {
    0
}

fn add(count: &Cell<u32>) {
    count.set(count.get().saturating_add(1));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn served(status: u16) -> Served<'static> {
        Served { method: "POST", route: Some("/room/:room_id/members"), status, millis: 12 }
    }

    #[test]
    fn clones_count_into_the_same_record() {
        let log = RequestLog::default();
        let clone = log.clone();
        log.d1();
        clone.d1();
        clone.kv_read();
        assert_eq!(log.round_trips(), "d1=2, kv-read=1, kv-write=0, objects=0");
    }

    #[test]
    fn a_line_is_one_json_object_with_the_route_pattern_and_the_counts() {
        let log = RequestLog::default();
        log.d1();
        log.kv_read();
        let line: serde_json::Value = serde_json::from_str(&log.line(&served(200))).unwrap();
        assert_eq!(
            line,
            json!({"method": "POST", "route": "/room/:room_id/members", "status": 200, "ms": 12, "d1": 1, "kv_reads": 1, "kv_writes": 0, "object_calls": 0, "rows_written": 0, "pbkdf2_iterations": 0, "wasm_kib": 0})
        );
    }

    #[test]
    fn rows_written_and_pbkdf2_iterations_add_up_over_the_request() {
        let log = RequestLog::default();
        log.rows_written(3);
        log.clone().rows_written(2);
        log.pbkdf2(1000);
        log.pbkdf2(600_000);
        let line: serde_json::Value = serde_json::from_str(&log.line(&served(200))).unwrap();
        assert_eq!((line["rows_written"].as_u64(), line["pbkdf2_iterations"].as_u64()), (Some(5), Some(601_000)));
    }

    #[test]
    fn a_failure_adds_its_detail() {
        let log = RequestLog::default();
        log.failed("d1: no such table: rooms");
        let line: serde_json::Value = serde_json::from_str(&log.line(&served(500))).unwrap();
        assert_eq!(line["error"], "d1: no such table: rooms");
    }

    #[test]
    fn an_unrouted_request_has_a_null_route() {
        let log = RequestLog::default();
        let line: serde_json::Value =
            serde_json::from_str(&log.line(&Served { method: "GET", route: None, status: 404, millis: 0 })).unwrap();
        assert!(line["route"].is_null());
    }
}
