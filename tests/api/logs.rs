//! The operator's log: one JSON line per request, read from what `wrangler dev` prints while it
//! serves, with the route's pattern and the request's costs, and no secret a request carried.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{TestApp, PASSWORD};

/// The request lines printed so far: the JSON objects that have a `route` field.
pub fn request_lines(app: &TestApp) -> Vec<Value> {
    app.log()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
        .filter(|line| line.get("route").is_some())
        .collect()
}

/// How many request lines there are once the runtime has printed those of the requests made so
/// far (at least the launcher's readiness probe): the count, when it stops growing.
pub fn settled_count(app: &TestApp) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut count = request_lines(app).len();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = request_lines(app).len();
        if (now == count && now > 0) || Instant::now() > deadline {
            return now;
        }
        count = now;
    }
}

/// The lines of the requests after the first `before`, once `count` of them are printed (the
/// runtime writes them a moment after answering), and after a pause long enough for any extra
/// line to show.
pub fn lines_after(app: &TestApp, before: usize, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while request_lines(app).len() < before + count && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    request_lines(app).split_off(before)
}

#[test]
fn every_request_writes_one_line_with_its_route_pattern_status_and_costs_and_no_secret() {
    let app = TestApp::spawn(&[]);
    let before = settled_count(&app);

    let ana = app.sign_up_with(json!({ "username": "ana", "password": PASSWORD }));
    assert_eq!(ana.status, 202);
    let (ana_id, ana_key) = (ana.str("user_id"), ana.str("key"));
    // The password in the body: wrangler dev's own access log prints the query string.
    let login = app.log_in_with(json!({ "user_id": ana_id, "password": PASSWORD }));
    assert_eq!(login.status, 200);
    let second_key = login.str("key");
    let room = app.create_room_with(ana_key.as_str(), json!({ "name": "lobby" }));
    let room_id = room.str("room_id");
    let text = "a message text that must stay out of the log";
    assert_eq!(app.post_message(&room_id, ana_key.as_str(), text).status, 201);
    assert_eq!(app.room(&room_id, ana_key.as_str()).status, 200);
    assert_eq!(app.get("/no/such/route").send().status, 404);
    assert_eq!(app.put("/user").send().status, 405);
    let new_password = "another passphrase for the log test";
    assert_eq!(app.change_password(&ana_id, ana_key.as_str(), PASSWORD, new_password).status, 204);

    let lines = lines_after(&app, before, 8);
    let expected: [(&str, Value, u64); 8] = [
        ("POST", json!("/user"), 202),
        ("POST", json!("/token"), 200),
        ("POST", json!("/room/"), 200),
        ("POST", json!("/room/:room_id/messages"), 201),
        ("GET", json!("/room/:room_id"), 200),
        ("GET", Value::Null, 404),
        ("PUT", Value::Null, 405),
        ("PUT", json!("/user/:user_id/password"), 204),
    ];
    let seen: Vec<(&str, Value, u64)> = lines
        .iter()
        .map(|line| {
            (line["method"].as_str().unwrap_or("?"), line["route"].clone(), line["status"].as_u64().unwrap_or(0))
        })
        .collect();
    assert_eq!(seen, expected, "{}", app.log());

    for line in &lines {
        for field in ["ms", "d1", "kv_reads", "kv_writes"] {
            assert!(line[field].is_u64(), "{field} in {line}");
        }
        // The wasm instance's linear memory, in KiB (it starts at 1.25 MiB).
        assert!(line["wasm_kib"].as_u64().is_some_and(|kib| kib >= 1024), "wasm_kib in {line}");
        assert!(line.get("error").is_none(), "{line}");
    }
    // The room's read: one D1 round trip, one KV read (the key).
    assert_eq!((lines[4]["d1"].as_u64(), lines[4]["kv_reads"].as_u64()), (Some(1), Some(1)), "{}", lines[4]);

    let log = app.log();
    for secret in [PASSWORD, new_password, ana_key.as_str(), second_key.as_str(), text] {
        assert!(!log.contains(secret), "the log holds {secret:?}");
    }
    for line in &lines {
        let line = line.to_string();
        assert!(!line.contains(&room_id) && !line.contains(&ana_id), "an id in {line}");
    }
}

#[test]
fn a_failure_of_ours_logs_its_detail_on_its_line_and_not_in_the_answer() {
    let app = TestApp::spawn(&[]);
    app.sql("DROP TABLE counters");
    let before = settled_count(&app);
    let answer = app.open_rooms(&[]);
    assert_eq!((answer.status, answer.body.clone()), (500, json!({ "error": "internal error" })));
    let lines = lines_after(&app, before, 1);
    assert_eq!(lines.len(), 1, "{}", app.log());
    assert_eq!((lines[0]["route"].as_str(), lines[0]["status"].as_u64()), (Some("/rooms"), Some(500)));
    let error = lines[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("no such table: counters"), "{}", lines[0]);
}
