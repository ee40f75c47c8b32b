//! Ceilings on each user's writes: posts, room creations, renames and additions of others past
//! their limit are 429 with `Retry-After` and write nothing; rooms owned are capped (403). These
//! run on an instance of their own with low ceilings (the shared one has none).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::json;

use crate::helpers::{Resp, Staffed, TestApp, User, NOBODY};

/// The instance with low ceilings, shared by the tests of this file (each with users of its own:
/// the ceilings are per user).
fn limited() -> &'static TestApp {
    static APP: OnceLock<TestApp> = OnceLock::new();
    APP.get_or_init(|| {
        TestApp::spawn(&[
            ("POSTS_PER_MINUTE", "10"),
            ("ROOMS_PER_DAY", "4"),
            ("RENAMES_PER_HOUR", "2"),
            ("INVITES_PER_HOUR", "3"),
            ("DMS_PER_DAY", "2"),
            ("ROOMS_OWNED", "2"),
            ("REACTIONS_PER_MINUTE", "6"),
        ])
    })
}

/// Asserts a 429 with its JSON error and a `Retry-After` of 1 to `window` seconds.
#[track_caller]
fn assert_limited(response: &Resp, window: u64) {
    response.assert_error(429);
    let retry_after: u64 = response.header("Retry-After").expect("Retry-After").parse().unwrap();
    assert!((1..=window).contains(&retry_after), "Retry-After {retry_after}");
}

/// One number from the limited instance's database.
fn count(query: &str) -> i64 {
    let rows = limited().sql(query);
    rows[0]["n"].as_i64().unwrap_or_else(|| panic!("{query}: {rows:?}"))
}

/// The messages of `user` in the room's history, as the room's object keeps it.
fn messages_by(room: &str, user: &User) -> usize {
    let history = limited().messages(room, NOBODY, &[("limit", "100")]);
    let messages = history.body["messages"].as_array().unwrap_or_else(|| panic!("{}", history.text)).clone();
    messages.iter().filter(|message| message["user_id"] == user.id.as_str()).count()
}

fn statuses(responses: &[u16]) -> HashMap<u16, usize> {
    let mut counts = HashMap::new();
    for status in responses {
        *counts.entry(*status).or_insert(0) += 1;
    }
    counts
}

#[test]
fn a_post_past_the_ceiling_in_a_room_is_429_with_retry_after_and_posts_nothing() {
    let app = limited();
    let room = Staffed::on(app, true);
    for n in 0..10 {
        assert_eq!(app.post_message(&room.id, &room.member, &format!("message {n}")).status, 201);
    }
    assert_limited(&app.post_message(&room.id, &room.member, "one too many"), 60);
    // The ceiling is the author's in each room (the room's object counts it); others still
    // post there, and the author posts elsewhere.
    assert_eq!(app.post_message(&room.id, &room.admin, "another author").status, 201);
    let other = app.create_room(&room.member, true);
    assert_eq!(app.post_message(&other, &room.member, "elsewhere").status, 201);
    let history = app.messages(&room.id, NOBODY, &[("limit", "50")]);
    assert_eq!(history.body["messages"].as_array().unwrap().len(), 11, "{}", history.text);
    assert_eq!(messages_by(&room.id, &room.member), 10);
}

#[test]
fn concurrent_posts_at_the_ceiling_accept_exactly_the_ceiling() {
    let app = limited();
    let room = Staffed::on(app, true);
    let answered: Vec<u16> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..20)
            .map(|n| {
                let room = &room;
                scope.spawn(move || app.post_message(&room.id, &room.member, &format!("race {n}")).status)
            })
            .collect();
        posts.into_iter().map(|post| post.join().unwrap()).collect()
    });
    assert_eq!(statuses(&answered), HashMap::from([(201, 10), (429, 10)]), "{answered:?}");
    assert_eq!(messages_by(&room.id, &room.member), 10);
}

#[test]
fn room_creations_past_the_daily_ceiling_are_429_and_create_nothing() {
    let app = limited();
    let owner = app.sign_up("serial creator");
    // Deleting a room does not give its creation back: the ceiling counts creations.
    for _ in 0..4 {
        let room = app.create_room(&owner, true);
        assert_eq!(app.delete_room(&room, &owner).status, 204);
    }
    let refused = app.create_room_with(&owner, json!({ "name": "the fifth" }));
    assert_limited(&refused, 24 * 60 * 60);
    assert_eq!(count(&format!("SELECT count(*) AS n FROM rooms WHERE owner_id = '{}'", owner.id)), 0);
    assert_eq!(count("SELECT count(*) AS n FROM rooms WHERE name = 'the fifth'"), 0);
}

#[test]
fn a_user_who_owns_the_most_rooms_allowed_cannot_create_another_until_one_is_handed_over() {
    let app = limited();
    let owner = app.sign_up("landlord");
    let heir = app.sign_up("heir");
    let rooms = [app.create_room(&owner, true), app.create_room(&owner, true)];
    let refused = app.create_room_with(&owner, json!({ "name": "one more" }));
    refused.assert_error(403);
    assert_eq!(refused.header("Retry-After"), None);
    let owned = format!("SELECT count(*) AS n FROM rooms WHERE owner_id = '{}'", owner.id);
    assert_eq!(count(&owned), 2);
    assert_eq!(count(&format!("SELECT owned_count AS n FROM users WHERE user_id = '{}'", owner.id)), 2);
    app.join(&rooms[0], &heir);
    app.transfer(&rooms[0], &owner, &heir.id).assert_ok(200, json!({ "owner": heir.id }));
    assert_eq!(app.create_room_with(&owner, json!({ "name": "one more" })).status, 200);
    assert_eq!(count(&owned), 2);
}

#[test]
fn renames_past_the_ceiling_are_429_and_leave_the_name_and_its_index() {
    let app = limited();
    let room = Staffed::on(app, true);
    for name in ["first name", "second name"] {
        assert_eq!(app.update_room(&room.id, &room.admin, json!({ "name": name })).status, 200);
    }
    let refused = app.update_room(&room.id, &room.admin, json!({ "name": "third name", "open": false }));
    assert_limited(&refused, 60 * 60);
    let after = app.room(&room.id, NOBODY);
    assert_eq!((&after.body["name"], &after.body["open"]), (&json!("second name"), &json!(true)), "{}", after.text);
    let pieces = count(&format!("SELECT count(*) AS n FROM room_grams WHERE room_id = '{}'", room.id));
    assert_eq!(pieces, 11, "the pieces of \"second name\"");
    // Settings other than the name are no rename; another admin has a ceiling of their own.
    let closed = app.update_room(&room.id, &room.admin, json!({ "open": false }));
    assert_eq!(closed.body["open"], json!(false), "{}", closed.text);
    assert_eq!(app.update_room(&room.id, &room.owner, json!({ "name": "third name" })).status, 200);
}

#[test]
fn invitations_past_the_ceiling_are_429_and_invite_nobody() {
    let app = limited();
    let room = Staffed::on(app, false);
    for n in 0..3 {
        let guest = app.sign_up(&format!("guest {n}"));
        app.bring_in(&room.id, &room.admin, &guest);
    }
    let late = app.sign_up("late guest");
    assert_limited(&app.add_member(&room.id, &room.admin, &late.id), 60 * 60);
    app.presence(&room.id, &room.owner, &late.id).assert_error(404);
    assert_eq!(count(&format!("SELECT count(*) AS n FROM invites WHERE user_id = '{}'", late.id)), 0);
    // The owner, who invited two to staff the room, has a ceiling of their own; joining an open
    // room oneself is no invitation.
    app.bring_in(&room.id, &room.owner, &late);
    let open = Staffed::on(app, true);
    app.join(&open.id, &room.admin);
}

#[test]
fn starting_a_dm_past_the_ceiling_is_429_and_starts_nothing_but_open_ones_stay_open() {
    let app = limited();
    let starter = app.sign_up("starter");
    let others: Vec<User> = (0..3).map(|n| app.sign_up(&format!("other {n}"))).collect();
    let dm = |to: &User| app.put(&format!("/dm/{}", to.id)).by(&starter).json(json!({}));
    let first = dm(&others[0]).str("room_id");
    dm(&others[1]).assert_status(200);
    assert_limited(&dm(&others[2]), 86_400);
    let started = count(&format!("SELECT count(*) AS n FROM dms WHERE started_by = '{}'", starter.id));
    assert_eq!(started, 2, "the refused one started nothing");
    // Opening one that exists is free; the other person may open theirs with the starter.
    assert_eq!(dm(&others[0]).str("room_id"), first);
    app.put(&format!("/dm/{}", starter.id)).by(&others[2]).json(json!({})).assert_status(200);
}

#[test]
fn reactions_past_the_ceiling_are_429_and_change_nothing_but_other_writes_go_on() {
    let app = limited();
    let room = Staffed::on(app, true);
    let message = app.post_message(&room.id, &room.owner, "react");
    message.assert_status(201);
    let path = |key: &str| format!("/room/{}/messages/{}/reactions/{key}", room.id, message.str("message_id"));
    // Six: three added, one taken back, one added again, one that changed nothing.
    for (add, key) in [(true, "a"), (true, "b"), (true, "c"), (false, "a"), (true, "a"), (true, "a")] {
        let call = if add { app.put(&path(key)) } else { app.delete(&path(key)) };
        call.by(&room.member).send().assert_status(200);
    }
    assert_limited(&app.put(&path("d")).by(&room.member).send(), 60);
    assert_limited(&app.delete(&path("a")).by(&room.member).send(), 60);
    let who = app.get(&path("d")).send();
    assert_eq!(who.body["user_count"], 0, "{}", who.text);
    // Another person's reactions, and the member's posts, have their own ceilings.
    app.put(&path("d")).by(&room.admin).send().assert_status(200);
    app.post_message(&room.id, &room.member, "still posting").assert_status(201);
}
