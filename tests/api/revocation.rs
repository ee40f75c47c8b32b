//! Revocation: D1 decides whether a key is live on every request that presents one, whatever
//! KV still knows; ending sessions (a password change, an account deletion, `DELETE
//! /user/{id}/sessions`, the cap per user) answers once D1 has committed, and the KV entries go
//! after, a chunk at a time.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use chatrooms::auth::session::KeyHash;
use chatrooms::store::sessions::FORGET_CHUNK;
use serde_json::{json, Value};

use crate::helpers::{app, every_keyed_request, with_database, Resp, TestApp, User, PASSWORD, ROOT};

const NEW_PASSWORD: &str = "a brand new passphrase";

fn hash(key: &str) -> String {
    KeyHash::of(key).unwrap().as_str().to_string()
}

/// `DELETE /user/{id}/sessions`.
fn end_other_sessions(app: &TestApp, user_id: &str, key: &str) -> Resp {
    app.delete(&format!("/user/{user_id}/sessions")).bearer(key).json(json!({}))
}

/// `f` for each item, on `threads` threads at once.
fn in_parallel<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|handle| handle.join().unwrap()).collect()
    })
}

/// `count` new keys of the user, one login each, in the order they were made.
fn log_in_times(app: &TestApp, user_id: &str, count: usize) -> Vec<String> {
    let logins: Vec<usize> = (0..count).collect();
    // Fewer at once than the password throttle allows in a window: each right password resets
    // the count, but only after its own attempt was counted.
    let started = std::time::Instant::now();
    let mut keys: Vec<(String, i64)> = in_parallel(&logins, 4, |_| {
        let response = app.log_in(user_id, PASSWORD);
        response.assert_status(200);
        (response.str("key"), 0)
    });
    println!("{count} logins in {:?}", started.elapsed());
    // The order they were made in, by their rows' expiry, for the tests that need it.
    let expiries = app.sql(&format!("SELECT key_hash, expires_at FROM sessions WHERE user_id = '{user_id}'"));
    for (key, expires) in &mut keys {
        let hash = hash(key);
        *expires = expiries
            .iter()
            .find(|row| row["key_hash"] == json!(hash))
            .map_or(0, |row| row["expires_at"].as_i64().unwrap());
    }
    keys.sort_by_key(|(_, expires)| *expires);
    keys.into_iter().map(|(key, _)| key).collect()
}

/// The KV writes the request made, by its `X-Round-Trips` header (`COUNT_ROUND_TRIPS=on`).
fn kv_writes(response: &Resp) -> u32 {
    let trips = response.header("X-Round-Trips").unwrap_or_else(|| panic!("no X-Round-Trips: {:?}", response.headers));
    let writes = trips.split(", ").find_map(|part| part.strip_prefix("kv-write=")).unwrap();
    writes.parse().unwrap()
}

fn queued(app: &TestApp) -> i64 {
    app.sql("SELECT count(*) AS n FROM kv_forget")[0]["n"].as_i64().unwrap()
}

/// The names of the entries in the instance's local KV namespace (key hashes).
fn kv_entries(app: &TestApp) -> BTreeSet<String> {
    let output = Command::new(Path::new(ROOT).join("node_modules/.bin/wrangler"))
        .args(["kv", "key", "list", "--binding", "SESSIONS", "--local", "--config", "wrangler.toml", "--persist-to"])
        .arg(&app.state)
        .current_dir(ROOT)
        .env("CI", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let entries: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    entries.iter().map(|entry| entry["name"].as_str().unwrap().to_string()).collect()
}

/// Asserts that the key gets 401 from every request that presents a key, the room's and the
/// account's alike, reads and writes.
fn assert_dead_everywhere(app: &TestApp, key: &str, room: &str, someone: &str, user_id: &str) {
    for (method, path, body) in every_keyed_request(room, someone, user_id) {
        let call = app.call(method, &path).bearer(key);
        let response = match body {
            Some(body) => call.json(body),
            None => call.send(),
        };
        assert_eq!(response.status, 401, "{method} {path}: {}", response.text);
        response.assert_error(401);
    }
}

#[test]
fn a_password_change_ending_more_sessions_than_a_worker_may_touch_in_kv_answers_204_and_the_rest_drain_by_cron() {
    // A cap just above one chunk: the change ends more keys than one invocation deletes from
    // KV, and the logins before it pass the cap, ending the oldest keys as they go.
    let chunk = FORGET_CHUNK as usize;
    let cap = chunk + 20;
    let cap_setting = cap.to_string();
    let app = TestApp::spawn(&[("SESSIONS_PER_USER", cap_setting.as_str()), ("COUNT_ROUND_TRIPS", "on")]);
    let user = app.sign_up("ana");
    let someone = app.sign_up("bo");
    let room = app.create_room(&user, false);
    let mut old = vec![user.key.clone()];
    old.extend(log_in_times(&app, &user.id, cap + 20));
    let ended_by_the_cap = old.len() - cap;
    let changer = old.pop().unwrap();

    let change = app.change_password(&user.id, &changer, PASSWORD, NEW_PASSWORD);
    change.assert_status(204);
    assert!(kv_writes(&change) <= FORGET_CHUNK, "{:?}", change.header("X-Round-Trips"));
    assert_eq!(app.room(&room, &changer).status, 200, "the key that changed it lives");
    let statuses = in_parallel(&old, 6, |key| app.room(&room, key).status);
    assert!(statuses.iter().all(|&status| status == 401), "D1 refuses them while KV still knows some");
    // Keys the cap ended long before the change, and the last ones live until it.
    let cap_ended = old.iter().take(ended_by_the_cap).step_by(10);
    for key in cap_ended.chain(old.iter().rev().take(3)) {
        assert_dead_everywhere(&app, key, &room, &someone.id, &user.id);
    }
    let ended_by_the_change = cap - 1;
    assert!(ended_by_the_change > chunk);
    assert_eq!(queued(&app), (ended_by_the_change - chunk) as i64, "the rest waits in D1");

    let run = app.get("/__scheduled").query("cron", "* * * * *").send_page();
    run.assert_status(200);
    assert_eq!(queued(&app), 0, "a scheduled run drains a chunk");
    let live = BTreeSet::from([hash(&changer), hash(&someone.key)]);
    assert_eq!(kv_entries(&app), live, "KV holds the live keys alone");
    assert_eq!(app.log_in(&user.id, NEW_PASSWORD).status, 200);
}

#[test]
fn a_key_whose_row_is_gone_is_401_everywhere_although_kv_knows_it_and_changes_nothing() {
    with_database(|app| {
        let owner = app.sign_up("owner");
        let member = app.sign_up("member");
        let room = app.create_room(&owner, false);
        app.bring_in(&room, &owner, &member);
        let stolen = app.log_in(&owner.id, PASSWORD).str("key");
        assert_eq!(app.room(&room, &stolen).status, 200);
        let before = room_state(app, &room, &owner);

        app.sql(&format!("DELETE FROM sessions WHERE key_hash = '{}'", hash(&stolen)));
        assert!(kv_entries(app).contains(&hash(&stolen)), "KV still knows the key");
        assert_dead_everywhere(app, &stolen, &room, &member.id, &owner.id);

        assert_eq!(room_state(app, &room, &owner), before, "no write went through");
        assert_eq!(app.rooms_of(&owner.id, &owner, &[]).body["room_count"], json!(1), "no room was created");
        assert_eq!(app.room(&room, &member).status, 200, "the member is still in");
        let attempts = app.sql(&format!("SELECT count(*) AS n FROM password_failures WHERE user_id = '{}'", owner.id));
        assert_eq!(attempts[0]["n"], json!(0), "the dead key counted no password attempt");
        assert_eq!(app.log_in(&owner.id, PASSWORD).status, 200, "the password is unchanged");
    });
}

/// Everything about the room its owner can read: itself, its lists and its messages.
fn room_state(app: &TestApp, room: &str, owner: &User) -> Value {
    let read = |response: Resp| {
        response.assert_status(200);
        response.body
    };
    json!({
        "room": read(app.room(room, owner)),
        "members": read(app.members(room, owner, &[])),
        "admins": read(app.admins(room, owner, &[])),
        "bans": read(app.get(&format!("/room/{room}/bans")).bearer(&owner.key).send()),
        "messages": read(app.messages(room, owner, &[])),
    })
}

#[test]
fn a_login_past_the_cap_ends_the_oldest_session_and_keeps_the_newest_50() {
    let app = app();
    let user = app.sign_up("ana");
    let room = app.create_room(&user, true);
    let logins: Vec<String> = (0..50).map(|_| app.log_in(&user.id, PASSWORD).str("key")).collect();
    app.room(&room, &user).assert_error(401);
    for key in &logins {
        assert_eq!(app.room(&room, key).status, 200);
    }
    let rows = app.sql(&format!("SELECT count(*) AS n FROM sessions WHERE user_id = '{}'", user.id));
    assert_eq!(rows[0]["n"], json!(50));
}

#[test]
fn ending_other_sessions_keeps_the_callers_key_alone_alive() {
    let app = app();
    let ana = app.sign_up("ana");
    let room = app.create_room(&ana, true);
    let keys: Vec<String> = (0..3).map(|_| app.log_in(&ana.id, PASSWORD).str("key")).collect();
    let response = end_other_sessions(app, &ana.id, &keys[1]);
    response.assert_status(204);
    assert_eq!(app.room(&room, &keys[1]).status, 200);
    for key in [&ana.key, &keys[0], &keys[2]] {
        app.room(&room, key).assert_error(401);
    }
}

#[test]
fn ending_other_sessions_needs_a_live_key_of_that_user() {
    let app = app();
    let ana = app.sign_up("ana");
    let bo = app.sign_up("bo");
    let room = app.create_room(&ana, true);
    end_other_sessions(app, &ana.id, &bo.key).assert_error(403);
    end_other_sessions(app, &ana.id, &"ab".repeat(32)).assert_error(401);
    app.delete(&format!("/user/{}/sessions", ana.id)).json(json!({})).assert_error(400);
    assert_eq!(app.room(&room, &ana).status, 200, "a foreign key ended nothing");
    let second = app.log_in(&ana.id, PASSWORD).str("key");
    assert_eq!(end_other_sessions(app, &ana.id, &second).status, 204);
    end_other_sessions(app, &ana.id, &ana.key).assert_error(401);
    assert_eq!(app.room(&room, &second).status, 200, "a dead key ended nothing");
}
