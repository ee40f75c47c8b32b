//! Session keys expire with their TTL.

use std::time::Duration;

use serde_json::json;

use crate::helpers::TestApp;

#[test]
fn a_key_stops_working_when_its_ttl_has_passed() {
    // 60 s is the shortest TTL Workers KV allows.
    let app = TestApp::spawn(&[("SESSION_TTL_SECONDS", "60")]);
    let user = app.sign_up("ana");
    assert_eq!(app.post("/room/").bearer(&user.key).json(json!({})).status, 200);
    std::thread::sleep(Duration::from_secs(50));
    assert_eq!(app.post("/room/").bearer(&user.key).json(json!({})).status, 200, "expired early");
    std::thread::sleep(Duration::from_secs(15));
    app.post("/room/").bearer(&user.key).json(json!({})).assert_error(401);
    app.get("/room/00000000-0000-4000-8000-000000000000").bearer(&user.key).send().assert_error(401);
}
