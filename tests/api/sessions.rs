//! Session keys expire with their TTL.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, UNKNOWN_ID};

#[test]
fn a_key_stops_working_when_its_ttl_has_passed() {
    // 60 s is the shortest TTL Workers KV allows.
    let app = TestApp::spawn(&[("SESSION_TTL_SECONDS", "60")]);
    let user = app.sign_up("ana");
    assert_eq!(app.create_room_with(&user, json!({})).status, 200);
    std::thread::sleep(Duration::from_secs(50));
    assert_eq!(app.create_room_with(&user, json!({})).status, 200, "expired early");
    std::thread::sleep(Duration::from_secs(15));
    app.create_room_with(&user, json!({})).assert_error(401);
    app.room(UNKNOWN_ID, &user).assert_error(401);
}
