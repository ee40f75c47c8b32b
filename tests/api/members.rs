//! Room members and admins: listing and paging, one member, joining and leaving, and counts
//! that stay exact under concurrency.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::{app, Resp, User, NOBODY, UNKNOWN_ID};

fn users_of(response: &Resp) -> Vec<String> {
    response.body["users"].as_array().unwrap().iter().map(|user| user.as_str().unwrap().to_string()).collect()
}

/// A room with its owner and `count` more members, who joined in the order returned.
fn room_with_members(count: usize) -> (String, Vec<User>) {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let mut users = vec![owner];
    for n in 0..count {
        let user = app().sign_up(&format!("member {n}"));
        app().join(&room, &user);
        users.push(user);
    }
    (room, users)
}

#[test]
fn joining_an_open_room_answers_present_and_counts_the_member() {
    let (room, _) = room_with_members(0);
    let user = app().sign_up("joiner");
    let response = app().join_as(&room, &user);
    response.assert_ok(200, json!({ "present": true }));
    assert_eq!(app().room(&room, NOBODY).body["user_count"], json!(2));
    app().presence(&room, NOBODY, &user.id).assert_ok(200, json!({ "present": true }));
}

#[test]
fn joining_twice_changes_nothing() {
    let (room, users) = room_with_members(1);
    let before = app().members(&room, NOBODY, &[]).body;
    let again = app().post(&format!("/room/{room}/members")).json(json!({ "key": users[1].key }));
    again.assert_ok(200, json!({ "present": true }));
    assert_eq!(app().members(&room, NOBODY, &[]).body, before);
    // The owner "joining" their own room is the same.
    app().join(&room, &users[0]);
    assert_eq!(app().members(&room, NOBODY, &[]).body, before);
}

#[test]
fn joining_needs_a_key_and_an_existing_room() {
    let (room, _) = room_with_members(0);
    app().join_as(&room, NOBODY).assert_error(400);
    app().join_as(&room, "ef".repeat(32)).assert_error(401);
    let user = app().sign_up("joiner");
    app().join_as(UNKNOWN_ID, &user).assert_error(404);
    app().join_as("zzz", &user).assert_error(400);
}

#[test]
fn members_are_listed_in_join_order() {
    let (room, users) = room_with_members(3);
    let expected: Vec<&str> = users.iter().map(|user| user.id.as_str()).collect();
    app().members(&room, NOBODY, &[]).assert_ok(200, json!({ "users": expected, "index": 0, "user_count": 4 }));
}

#[test]
fn paging_through_members_shows_each_exactly_once() {
    let (room, users) = room_with_members(22);
    let mut seen = Vec::new();
    for offset in (0..30).step_by(5) {
        let page = app().members(&room, NOBODY, &[("limit", "5"), ("offset", &offset.to_string())]);
        page.assert_status(200);
        assert_eq!(page.body["index"], json!(offset));
        assert_eq!(page.body["user_count"], json!(23));
        let page_users = users_of(&page);
        assert!(page_users.len() <= 5);
        seen.extend(page_users);
    }
    let expected: Vec<String> = users.iter().map(|user| user.id.clone()).collect();
    assert_eq!(seen, expected);
}

#[test]
fn an_offset_past_the_end_gives_an_empty_page() {
    let (room, _) = room_with_members(1);
    app()
        .members(&room, NOBODY, &[("offset", "2")])
        .assert_ok(200, json!({ "users": [], "index": 2, "user_count": 2 }));
    app()
        .members(&room, NOBODY, &[("offset", "2147483647")])
        .assert_ok(200, json!({ "users": [], "index": 2147483647_u32, "user_count": 2 }));
}

#[test]
fn a_limit_of_zero_gives_the_count_alone() {
    let (room, _) = room_with_members(2);
    app().members(&room, NOBODY, &[("limit", "0")]).assert_ok(200, json!({ "users": [], "index": 0, "user_count": 3 }));
}

#[test]
fn bad_paging_parameters_are_400() {
    let (room, _) = room_with_members(0);
    for param in [
        ("limit", "-1"),
        ("limit", "1.5"),
        ("limit", "501"),
        ("limit", "ten"),
        ("limit", ""),
        ("offset", "-1"),
        ("offset", "0x10"),
        ("offset", "2147483648"),
        ("offset", "99999999999999999999"),
    ] {
        app().members(&room, NOBODY, &[param]).assert_error(400);
    }
    assert_eq!(app().members(&room, NOBODY, &[("limit", "500"), ("offset", "0")]).status, 200);
}

#[test]
fn one_member_reads_present_while_in_and_absent_after_leaving() {
    let (room, users) = room_with_members(1);
    let member = &users[1];
    app().presence(&room, NOBODY, &member.id).assert_ok(200, json!({ "present": true }));
    app().remove_member(&room, member, &member.id).assert_ok(200, json!({ "present": false }));
    app().presence(&room, NOBODY, &member.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(app().room(&room, NOBODY).body["user_count"], json!(1));
    assert_eq!(users_of(&app().members(&room, NOBODY, &[])), vec![users[0].id.clone()]);
}

#[test]
fn a_user_who_was_never_a_member_is_404() {
    let (room, _) = room_with_members(0);
    let stranger = app().sign_up("stranger");
    app().presence(&room, NOBODY, &stranger.id).assert_error(404);
    app().presence(&room, NOBODY, UNKNOWN_ID).assert_error(404);
    app().presence(&room, NOBODY, "not-a-uuid").assert_error(400);
}

#[test]
fn leaving_twice_is_harmless_and_counts_once() {
    let (room, users) = room_with_members(2);
    for _ in 0..2 {
        app().remove_member(&room, &users[1], &users[1].id).assert_ok(200, json!({ "present": false }));
    }
    assert_eq!(app().room(&room, NOBODY).body["user_count"], json!(2));
}

#[test]
fn leaving_a_room_one_never_joined_is_404() {
    let (room, _) = room_with_members(0);
    let stranger = app().sign_up("stranger");
    app().remove_member(&room, &stranger, &stranger.id).assert_error(404);
}

#[test]
fn the_owner_cannot_leave() {
    let (room, users) = room_with_members(0);
    let owner = &users[0];
    app().remove_member(&room, owner, &owner.id).assert_error(403);
    app().presence(&room, NOBODY, &owner.id).assert_ok(200, json!({ "present": true }));
    assert_eq!(app().room(&room, NOBODY).body["user_count"], json!(1));
}

#[test]
fn a_plain_member_cannot_remove_someone_else() {
    let (room, users) = room_with_members(2);
    app().remove_member(&room, &users[1], &users[2].id).assert_error(403);
    app().presence(&room, NOBODY, &users[2].id).assert_ok(200, json!({ "present": true }));
}

#[test]
fn leaving_needs_a_live_key() {
    let (room, users) = room_with_members(1);
    app().remove_member(&room, NOBODY, &users[1].id).assert_error(400);
    app().remove_member(&room, "01".repeat(32), &users[1].id).assert_error(401);
}

#[test]
fn rejoining_moves_a_member_to_the_end_of_the_join_order() {
    let (room, users) = room_with_members(2);
    app().remove_member(&room, &users[1], &users[1].id).assert_ok(200, json!({ "present": false }));
    app().join(&room, &users[1]);
    let order = users_of(&app().members(&room, NOBODY, &[]));
    assert_eq!(order, vec![users[0].id.clone(), users[2].id.clone(), users[1].id.clone()]);
}

#[test]
fn admins_are_listed_with_their_own_count() {
    let (room, users) = room_with_members(3);
    let response = app().admins(&room, NOBODY, &[("limit", "10")]);
    response.assert_ok(200, json!({ "users": [users[0].id], "index": 0, "user_count": 1 }));
    app().admins(&room, NOBODY, &[("offset", "1")]).assert_ok(200, json!({ "users": [], "index": 1, "user_count": 1 }));
    app().admins(&room, NOBODY, &[("limit", "501")]).assert_error(400);
}

#[test]
fn fifty_concurrent_joins_leave_the_count_exact() {
    let (room, _) = room_with_members(0);
    let users: Vec<User> = (0..50).map(|n| app().sign_up(&format!("crowd {n}"))).collect();
    std::thread::scope(|scope| {
        for user in &users {
            let room = &room;
            scope.spawn(move || app().join(room, user));
        }
    });
    // And concurrent repeats of the same joins change nothing.
    std::thread::scope(|scope| {
        for user in users.iter().take(20) {
            let room = &room;
            scope.spawn(move || app().join(room, user));
        }
    });
    assert_eq!(app().room(&room, NOBODY).body["user_count"], json!(51));
    let listed: HashSet<String> = users_of(&app().members(&room, NOBODY, &[("limit", "500")])).into_iter().collect();
    assert_eq!(listed.len(), 51);
    assert!(users.iter().all(|user| listed.contains(&user.id)));
    let in_database = app().sql(&format!(
        "SELECT (SELECT count(*) FROM members WHERE room_id = '{room}' AND present = 1) AS rows,
                (SELECT user_count FROM rooms WHERE room_id = '{room}') AS counter"
    ));
    assert_eq!(in_database[0]["rows"], Value::from(51));
    assert_eq!(in_database[0]["counter"], Value::from(51));
}

#[test]
fn concurrent_joins_and_leaves_leave_the_count_exact() {
    let (room, users) = room_with_members(20);
    let newcomers: Vec<User> = (0..20).map(|n| app().sign_up(&format!("newcomer {n}"))).collect();
    std::thread::scope(|scope| {
        for user in &users[1..11] {
            let room = &room;
            scope.spawn(move || {
                app().remove_member(room, user, &user.id).assert_ok(200, json!({ "present": false }));
            });
        }
        for user in &newcomers {
            let room = &room;
            scope.spawn(move || app().join(room, user));
        }
    });
    assert_eq!(app().room(&room, NOBODY).body["user_count"], json!(31));
    assert_eq!(users_of(&app().members(&room, NOBODY, &[("limit", "500")])).len(), 31);
}
