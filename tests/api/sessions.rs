//! Session keys expire with their TTL.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, UNKNOWN_ID};
use crate::live::helpers::Live;

/// The key's socket is closed when the key expires, by the room's alarm: the socket sends
/// nothing, and nothing else happens to the key.
#[test]
fn a_key_stops_working_when_its_ttl_has_passed() {
    // 60 s is the shortest TTL Workers KV allows.
    let app = TestApp::spawn(&[("SESSION_TTL_SECONDS", "60")]);
    let user = app.sign_up("ana");
    let room = app.create_room(&user, true);
    let mut live = Live::bearer(&app, &room, &user);
    let mut viewer = Live::viewer(&app, &room);
    std::thread::sleep(Duration::from_secs(50));
    assert_eq!(app.create_room_with(&user, json!({})).status, 200, "expired early");
    live.assert_quiet();
    std::thread::sleep(Duration::from_secs(15));
    app.create_room_with(&user, json!({})).assert_error(401);
    app.room(UNKNOWN_ID, &user).assert_error(401);
    live.expect_close(4001);
    // Who is here may have been told again while the test slept (the object woke from
    // hibernation without the last list it sent).
    let mut told = vec![viewer.presence()];
    while told.len() < 5 && told.last().is_some_and(|users| !users.is_empty()) {
        told.push(viewer.presence());
    }
    assert_eq!(told.last(), Some(&Vec::new()), "the viewer is told she left: {told:?}");
}
