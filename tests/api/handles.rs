//! Handles: taken at sign-up or later, unique in any case, held for 30 days once given up,
//! found by exact handle or by prefix (with a key only), and logged in by.

use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::json;

use crate::helpers::{app, TestApp, User, NOBODY, PASSWORD};

/// A handle no other test (or earlier run against the same instance) uses: `prefix` and a
/// suffix from the process and a counter.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}.{:x}{:x}{}", std::process::id(), nanos % 4096, NEXT.fetch_add(1, Ordering::Relaxed))
}

fn sign_up_as(app: &TestApp, username: &str, handle: &str) -> User {
    let response = app.sign_up_with(json!({ "username": username, "password": PASSWORD, "handle": handle }));
    response.assert_status(202);
    User { id: response.str("user_id"), key: response.str("key") }
}

fn change_handle(app: &TestApp, user: &User, handle: &str) -> crate::helpers::Resp {
    app.put(&format!("/user/{}/handle", user.id)).by(user).json(json!({ "handle": handle }))
}

#[test]
fn a_sign_up_with_a_handle_answers_it_folded_and_everyone_finds_it_in_any_case() {
    let handle = unique("Kim.Lee");
    let response = app().sign_up_with(json!({ "username": "Kim", "password": PASSWORD, "handle": handle }));
    response.assert_status(202);
    let folded = handle.to_lowercase();
    assert_eq!(response.str("handle"), folded);
    let user_id = response.str("user_id");
    let expected = json!({ "user_id": user_id, "username": "Kim", "handle": folded });
    app().user(&user_id).assert_ok(200, expected.clone());
    app().get(&format!("/handle/{folded}")).send().assert_ok(200, expected.clone());
    app().get(&format!("/handle/{}", folded.to_uppercase())).send().assert_ok(200, expected);
}

#[test]
fn a_sign_up_without_a_handle_has_none() {
    let response = app().sign_up_with(json!({ "username": "plain", "password": PASSWORD }));
    response.assert_status(202);
    assert!(response.body["handle"].is_null());
    let user_id = response.str("user_id");
    app().user(&user_id).assert_ok(200, json!({ "user_id": user_id, "username": "plain", "handle": null }));
}

#[test]
fn a_taken_handle_is_409_in_any_case_and_nothing_is_created() {
    let handle = unique("taken");
    sign_up_as(app(), "first", &handle);
    let second =
        app().sign_up_with(json!({ "username": "second", "password": PASSWORD, "handle": handle.to_uppercase() }));
    second.assert_error(409);
    // The one who asked first keeps it.
    assert_eq!(app().get(&format!("/handle/{handle}")).send().str("username"), "first");
}

#[test]
fn reserved_handles_are_409_and_malformed_ones_400() {
    for handle in ["admin", "Support", "everyone", "null", "chatrooms"] {
        let response = app().sign_up_with(json!({ "username": "x", "password": PASSWORD, "handle": handle }));
        assert_eq!(response.status, 409, "{handle}: {}", response.text);
        response.assert_error(409);
    }
    for handle in
        [json!("ab"), json!("a".repeat(33)), json!(".kim"), json!("kim-"), json!("kim lee"), json!("kïm"), json!(7)]
    {
        let response = app().sign_up_with(json!({ "username": "x", "password": PASSWORD, "handle": handle }));
        assert_eq!(response.status, 400, "{handle}: {}", response.text);
        response.assert_error(400);
    }
}

#[test]
fn two_sign_ups_racing_for_one_handle_exactly_one_wins() {
    let handle = unique("race");
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..8)
            .map(|n| {
                let handle = handle.clone();
                scope.spawn(move || {
                    let body = json!({ "username": format!("racer {n}"), "password": PASSWORD, "handle": handle });
                    app().sign_up_with(body).status
                })
            })
            .collect();
        racers.into_iter().map(|racer| racer.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|status| **status == 202).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|status| **status == 409).count(), 7, "{statuses:?}");
    app().get(&format!("/handle/{handle}")).send().assert_status(200);
}

#[test]
fn a_person_sets_and_changes_their_own_handle_and_the_old_one_is_held_for_them() {
    let ana = app().sign_up("ana");
    let first = unique("ana");
    change_handle(app(), &ana, &first.to_uppercase()).assert_ok(200, json!({ "handle": first }));
    assert_eq!(app().user(&ana.id).str("handle"), first);
    // Asking again for the handle one has: 200, nothing changes.
    change_handle(app(), &ana, &first).assert_ok(200, json!({ "handle": first }));

    let second = unique("ana.two");
    change_handle(app(), &ana, &second).assert_ok(200, json!({ "handle": second }));
    app().get(&format!("/handle/{first}")).send().assert_error(404);
    // Held for Ana: nobody else may take it, at sign-up or by a change...
    let bo = app().sign_up("bo");
    change_handle(app(), &bo, &first).assert_error(409);
    app().sign_up_with(json!({ "username": "bo", "password": PASSWORD, "handle": first })).assert_error(409);
    // ...and Ana may take it back.
    change_handle(app(), &ana, &first).assert_ok(200, json!({ "handle": first }));
    assert_eq!(app().get(&format!("/handle/{first}")).send().str("user_id"), ana.id);
}

#[test]
fn a_handle_someone_has_is_409_for_a_change_too() {
    let handle = unique("had");
    sign_up_as(app(), "owner", &handle);
    let other = app().sign_up("other");
    change_handle(app(), &other, &handle).assert_error(409);
    change_handle(app(), &other, "root").assert_error(409);
    change_handle(app(), &other, "r").assert_error(400);
    app().put(&format!("/user/{}/handle", other.id)).by(&other).json(json!({})).assert_error(400);
    assert!(app().user(&other.id).body["handle"].is_null());
}

#[test]
fn only_the_user_themself_may_change_their_handle() {
    let ana = app().sign_up("ana");
    let bo = app().sign_up("bo");
    change_handle(app(), &bo, &unique("x")).assert_status(200);
    app()
        .put(&format!("/user/{}/handle", ana.id))
        .by(&bo)
        .json(json!({ "handle": unique("stolen") }))
        .assert_error(403);
    app()
        .put(&format!("/user/{}/handle", ana.id))
        .by(NOBODY)
        .json(json!({ "handle": unique("nokey") }))
        .assert_error(400);
    app()
        .put(&format!("/user/{}/handle", ana.id))
        .by("f".repeat(64))
        .json(json!({ "handle": unique("bad") }))
        .assert_error(401);
    assert!(app().user(&ana.id).body["handle"].is_null());
}

#[test]
fn a_deleted_accounts_handle_is_held_for_30_days() {
    let handle = unique("gone");
    let ana = sign_up_as(app(), "ana", &handle);
    app().delete_account(&ana.id, &ana, PASSWORD).assert_status(204);
    app().get(&format!("/handle/{handle}")).send().assert_error(404);
    app().sign_up_with(json!({ "username": "impostor", "password": PASSWORD, "handle": handle })).assert_error(409);
}

#[test]
fn handle_changes_past_the_daily_ceiling_are_429_with_retry_after() {
    let app = TestApp::spawn(&[("HANDLE_CHANGES_PER_DAY", "2")]);
    let ana = app.sign_up("ana");
    change_handle(&app, &ana, "ana.one").assert_status(200);
    change_handle(&app, &ana, "ana.two").assert_status(200);
    let refused = change_handle(&app, &ana, "ana.three");
    refused.assert_error(429);
    let retry_after: u64 = refused.header("Retry-After").unwrap().parse().unwrap();
    assert!((86_000..=86_400).contains(&retry_after), "{retry_after}");
    // Nothing changed, nothing was held, and the handle one has is still one's own for free.
    assert_eq!(app.user(&ana.id).str("handle"), "ana.two");
    change_handle(&app, &ana, "ana.two").assert_status(200);
    // A request after the refused one is served.
    let bo = app.sign_up("bo");
    change_handle(&app, &bo, "ana.three").assert_status(200);
}

#[test]
fn an_unknown_handle_is_404_a_reserved_one_too_and_a_malformed_one_400() {
    app().get(&format!("/handle/{}", unique("nobody"))).send().assert_error(404);
    app().get("/handle/admin").send().assert_error(404);
    app().get("/handle/a").send().assert_error(400);
    app().get("/handle/no%20space").send().assert_error(400);
}

#[test]
fn people_are_found_by_the_start_of_their_handle_with_a_key_only() {
    let stem = unique("find");
    let mut ids = Vec::new();
    for suffix in ["c", "a", "b"] {
        ids.push((
            format!("{stem}.{suffix}"),
            sign_up_as(app(), &format!("person {suffix}"), &format!("{stem}.{suffix}")).id,
        ));
    }
    ids.sort();
    let seeker = app().sign_up("seeker");
    let found = app().get("/users").by(&seeker).query("q", &stem.to_uppercase()).send();
    found.assert_status(200);
    assert_eq!(found.body["user_count"], 3);
    assert_eq!(found.body["index"], 0);
    let handles: Vec<&str> =
        found.body["users"].as_array().unwrap().iter().map(|user| user["handle"].as_str().unwrap()).collect();
    let expected: Vec<&str> = ids.iter().map(|(handle, _)| handle.as_str()).collect();
    assert_eq!(handles, expected);
    assert_eq!(found.body["users"][0], json!({ "user_id": ids[0].1, "username": "person a", "handle": ids[0].0 }));

    let page = app().get("/users").by(&seeker).queries(&[("q", &stem), ("limit", "1"), ("offset", "1")]).send();
    assert_eq!(page.body["users"].as_array().unwrap().len(), 1);
    assert_eq!(page.body["users"][0]["handle"], ids[1].0.as_str());
    assert_eq!((page.body["index"].as_i64(), page.body["user_count"].as_i64()), (Some(1), Some(3)));
}

#[test]
fn a_search_needs_a_key_and_two_characters_and_a_limit_of_at_most_20() {
    let seeker = app().sign_up("seeker");
    app().get("/users").query("q", "ki").send().assert_error(401);
    app().get("/users").by("f".repeat(64)).query("q", "ki").send().assert_error(401);
    app().get("/users").by(&seeker).query("q", "k").send().assert_error(400);
    app().get("/users").by(&seeker).send().assert_error(400);
    app().get("/users").by(&seeker).query("q", "k%").send().assert_error(400);
    for limit in ["0", "21"] {
        app().get("/users").by(&seeker).queries(&[("q", "ki"), ("limit", limit)]).send().assert_error(400);
    }
    app().get("/users").by(&seeker).queries(&[("q", "ki"), ("limit", "20")]).send().assert_status(200);
}

#[test]
fn a_person_logs_in_by_handle_in_any_case_as_by_id() {
    let handle = unique("login");
    let ana = sign_up_as(app(), "ana", &handle);
    for login in [
        app().get("/token").queries(&[("handle", &handle.to_uppercase()), ("password", PASSWORD)]).send(),
        app().post("/token").json(json!({ "handle": handle, "password": PASSWORD })),
    ] {
        login.assert_status(200);
        assert_eq!(login.str("user_id"), ana.id, "a login by handle learns whose key it is");
        let key = login.str("key");
        // The key is Ana's.
        app().get(&format!("/user/{}/rooms", ana.id)).by(&key).send().assert_status(200);
    }
}

#[test]
fn a_login_by_an_unknown_handle_is_401_like_a_wrong_password() {
    let handle = unique("known");
    sign_up_as(app(), "ana", &handle);
    let wrong = app().post("/token").json(json!({ "handle": handle, "password": "not the password" }));
    let unknown = app().post("/token").json(json!({ "handle": unique("unknown"), "password": PASSWORD }));
    let reserved = app().post("/token").json(json!({ "handle": "admin", "password": PASSWORD }));
    for response in [&wrong, &unknown, &reserved] {
        response.assert_error(401);
    }
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body, reserved.body);
}

#[test]
fn a_login_with_both_a_user_id_and_a_handle_or_neither_is_400() {
    let handle = unique("both");
    let ana = sign_up_as(app(), "ana", &handle);
    app().post("/token").json(json!({ "user_id": ana.id, "handle": handle, "password": PASSWORD })).assert_error(400);
    app().post("/token").json(json!({ "password": PASSWORD })).assert_error(400);
    app().post("/token").json(json!({ "handle": "a", "password": PASSWORD })).assert_error(400);
}
