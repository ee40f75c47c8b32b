//! Faults: a restart keeps everything; a missing binding or a failing statement gives a JSON
//! 500/503, writes nothing half-way, and the next request is served normally.

use serde_json::{json, Value};

use crate::helpers::{TestApp, NOBODY, PASSWORD, UNKNOWN_ID};

#[test]
fn everything_survives_a_restart_and_keys_keep_working() {
    let mut app = TestApp::spawn(&[]);
    let owner = app.sign_up("owner");
    let member = app.sign_up("member");
    let open = app.create_room(&owner, true);
    let closed = app.create_room(&owner, false);
    app.join(&open, &member);
    app.bring_in(&closed, &owner, &member);
    let posted = app.post_message(&open, &member, "still here?");
    assert_eq!(posted.status, 201);
    let before = |app: &TestApp| {
        [
            app.user(&owner.id).body,
            app.members(&open, NOBODY, &[]).body,
            app.members(&closed, &member, &[]).body,
            app.messages(&open, NOBODY, &[]).body,
        ]
    };
    let snapshot = before(&app);

    app.restart(&[]);

    assert_eq!(before(&app), snapshot);
    for user in [&owner, &member] {
        assert_eq!(app.room(&closed, user).status, 200);
    }
    assert_eq!(app.post_message(&open, &owner, "yes").status, 201);
    let login = app.log_in(&member.id, PASSWORD);
    assert_eq!(login.status, 200);
}

#[test]
fn a_missing_kv_binding_is_a_json_503_and_reads_without_a_key_still_work() {
    let app = TestApp::spawn_with_config("tests/fixtures/wrangler-no-kv.toml", &[]);
    let sign_up = app.sign_up_with(json!({ "username": "ana", "password": PASSWORD }));
    sign_up.assert_error(503);
    assert_eq!(sign_up.body["error"], json!("service temporarily unavailable"));
    assert_eq!(app.sql("SELECT count(*) AS n FROM users")[0]["n"], json!(0), "no user left without a key");
    // Whatever needs a key answers the same way; what needs none is served.
    app.room(UNKNOWN_ID, "ab".repeat(32)).assert_error(503);
    app.room(UNKNOWN_ID, NOBODY).assert_error(404);
    app.user(UNKNOWN_ID).assert_error(404);
}

#[test]
fn a_missing_database_binding_is_a_json_503() {
    let app = TestApp::spawn_with_config("tests/fixtures/wrangler-no-d1.toml", &[]);
    app.sign_up_with(json!({ "username": "ana", "password": PASSWORD })).assert_error(503);
    app.user(UNKNOWN_ID).assert_error(503);
    app.open_rooms(&[]).assert_error(503);
    // Requests that need neither still work.
    app.get("/nothing").send().assert_error(404);
    assert_eq!(app.openapi().status, 200);
}

fn count(app: &TestApp, sql: &str) -> Value {
    app.sql(sql)[0]["n"].clone()
}

#[test]
fn a_failing_statement_rolls_back_the_whole_batch() {
    let app = TestApp::spawn(&[]);
    let owner = app.sign_up("owner");
    let member = app.sign_up("member");
    let room = app.create_room(&owner, true);
    app.join(&room, &member);
    let rooms_before = count(&app, "SELECT count(*) AS n FROM rooms");

    // Room creation inserts the room, then the owner's membership: make the second fail.
    app.sql("CREATE TRIGGER injected_fault BEFORE INSERT ON members BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    let created = app.create_room_with(&owner, json!({ "name": "doomed" }));
    created.assert_error(500);
    assert_eq!(created.body["error"], json!("internal error"), "no detail leaks");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM rooms"), rooms_before, "no room without its owner");

    // A ban writes the ban, then removes the member: make the removal fail.
    app.sql("DROP TRIGGER injected_fault");
    app.sql("CREATE TRIGGER injected_fault BEFORE UPDATE OF present ON members BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    app.ban(&room, &owner, &member.id).assert_error(500);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM bans"), json!(0), "no ban without its removal");
    assert_eq!(app.presence(&room, NOBODY, &member.id).body, json!({ "present": true }));
    assert_eq!(app.room(&room, NOBODY).body["user_count"], json!(2));

    // Healed, the same requests succeed.
    app.sql("DROP TRIGGER injected_fault");
    assert_eq!(app.ban(&room, &owner, &member.id).status, 200);
    assert_eq!(app.create_room_with(&owner, json!({})).status, 200);
}

#[test]
fn a_dropped_table_is_a_json_500_and_the_next_request_is_served() {
    let app = TestApp::spawn(&[]);
    let owner = app.sign_up("owner");
    let room = app.create_room(&owner, true);
    app.sql("DROP TABLE room_grams");
    for _ in 0..3 {
        app.open_rooms(&[("q", "lounge")]).assert_error(500);
        app.create_room_with(&owner, json!({ "name": "another" })).assert_error(500);
        assert_eq!(app.room(&room, NOBODY).status, 200);
        assert_eq!(app.post_message(&room, &owner, "still served").status, 201);
        assert_eq!(app.user(&owner.id).status, 200);
    }
}
