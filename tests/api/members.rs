//! Room members and admins: listing and paging, one member, joining and leaving, and counts
//! that stay exact under concurrency.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::{app, User};

fn members_page(room: &str, limit: Option<&str>, offset: Option<&str>) -> crate::helpers::Resp {
    let mut call = app().get(&format!("/room/{room}/members"));
    if let Some(limit) = limit {
        call = call.query("limit", limit);
    }
    if let Some(offset) = offset {
        call = call.query("offset", offset);
    }
    call.send()
}

fn users_of(response: &crate::helpers::Resp) -> Vec<String> {
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
    let response = app().post(&format!("/room/{room}/members")).bearer(&user.key).send();
    response.assert_ok(200, json!({ "present": true }));
    assert_eq!(app().get(&format!("/room/{room}")).send().body["user_count"], json!(2));
    app().get(&format!("/room/{room}/members/{}", user.id)).send().assert_ok(200, json!({ "present": true }));
}

#[test]
fn joining_twice_changes_nothing() {
    let (room, users) = room_with_members(1);
    let before = members_page(&room, None, None).body;
    let again = app().post(&format!("/room/{room}/members")).json(json!({ "key": users[1].key }));
    again.assert_ok(200, json!({ "present": true }));
    assert_eq!(members_page(&room, None, None).body, before);
    // The owner "joining" their own room is the same.
    app().join(&room, &users[0]);
    assert_eq!(members_page(&room, None, None).body, before);
}

#[test]
fn joining_needs_a_key_and_an_existing_room() {
    let (room, _) = room_with_members(0);
    app().post(&format!("/room/{room}/members")).send().assert_error(400);
    app().post(&format!("/room/{room}/members")).bearer(&"ef".repeat(32)).send().assert_error(401);
    let user = app().sign_up("joiner");
    app().post("/room/00000000-0000-4000-8000-000000000000/members").bearer(&user.key).send().assert_error(404);
    app().post("/room/zzz/members").bearer(&user.key).send().assert_error(400);
}

#[test]
fn members_are_listed_in_join_order() {
    let (room, users) = room_with_members(3);
    let expected: Vec<&str> = users.iter().map(|user| user.id.as_str()).collect();
    members_page(&room, None, None).assert_ok(200, json!({ "users": expected, "index": 0, "user_count": 4 }));
}

#[test]
fn paging_through_members_shows_each_exactly_once() {
    let (room, users) = room_with_members(22);
    let mut seen = Vec::new();
    for offset in (0..30).step_by(5) {
        let page = members_page(&room, Some("5"), Some(&offset.to_string()));
        assert_eq!(page.status, 200, "{}", page.text);
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
    members_page(&room, None, Some("2")).assert_ok(200, json!({ "users": [], "index": 2, "user_count": 2 }));
    members_page(&room, None, Some("2147483647")).assert_ok(
        200,
        json!({ "users": [], "index": 2147483647_u32, "user_count": 2 }),
    );
}

#[test]
fn a_limit_of_zero_gives_the_count_alone() {
    let (room, _) = room_with_members(2);
    members_page(&room, Some("0"), None).assert_ok(200, json!({ "users": [], "index": 0, "user_count": 3 }));
}

#[test]
fn bad_paging_parameters_are_400() {
    let (room, _) = room_with_members(0);
    for (limit, offset) in [
        (Some("-1"), None),
        (Some("1.5"), None),
        (Some("501"), None),
        (Some("ten"), None),
        (Some(""), None),
        (None, Some("-1")),
        (None, Some("0x10")),
        (None, Some("2147483648")),
        (None, Some("99999999999999999999")),
    ] {
        members_page(&room, limit, offset).assert_error(400);
    }
    assert_eq!(members_page(&room, Some("500"), Some("0")).status, 200);
}

#[test]
fn one_member_reads_present_while_in_and_absent_after_leaving() {
    let (room, users) = room_with_members(1);
    let member = &users[1];
    let path = format!("/room/{room}/members/{}", member.id);
    app().get(&path).send().assert_ok(200, json!({ "present": true }));
    app().delete(&path).bearer(&member.key).send().assert_ok(200, json!({ "present": false }));
    app().get(&path).send().assert_ok(200, json!({ "present": false }));
    assert_eq!(app().get(&format!("/room/{room}")).send().body["user_count"], json!(1));
    assert_eq!(users_of(&members_page(&room, None, None)), vec![users[0].id.clone()]);
}

#[test]
fn a_user_who_was_never_a_member_is_404() {
    let (room, _) = room_with_members(0);
    let stranger = app().sign_up("stranger");
    app().get(&format!("/room/{room}/members/{}", stranger.id)).send().assert_error(404);
    app().get(&format!("/room/{room}/members/00000000-0000-4000-8000-000000000000")).send().assert_error(404);
    app().get(&format!("/room/{room}/members/not-a-uuid")).send().assert_error(400);
}

#[test]
fn leaving_twice_is_harmless_and_counts_once() {
    let (room, users) = room_with_members(2);
    let path = format!("/room/{room}/members/{}", users[1].id);
    for _ in 0..2 {
        app().delete(&path).bearer(&users[1].key).send().assert_ok(200, json!({ "present": false }));
    }
    assert_eq!(app().get(&format!("/room/{room}")).send().body["user_count"], json!(2));
}

#[test]
fn leaving_a_room_one_never_joined_is_404() {
    let (room, _) = room_with_members(0);
    let stranger = app().sign_up("stranger");
    app().delete(&format!("/room/{room}/members/{}", stranger.id)).bearer(&stranger.key).send().assert_error(404);
}

#[test]
fn the_owner_cannot_leave() {
    let (room, users) = room_with_members(0);
    let owner = &users[0];
    app().delete(&format!("/room/{room}/members/{}", owner.id)).bearer(&owner.key).send().assert_error(403);
    app().get(&format!("/room/{room}/members/{}", owner.id)).send().assert_ok(200, json!({ "present": true }));
    assert_eq!(app().get(&format!("/room/{room}")).send().body["user_count"], json!(1));
}

#[test]
fn a_plain_member_cannot_remove_someone_else() {
    let (room, users) = room_with_members(2);
    let path = format!("/room/{room}/members/{}", users[2].id);
    app().delete(&path).bearer(&users[1].key).send().assert_error(403);
    app().get(&path).send().assert_ok(200, json!({ "present": true }));
}

#[test]
fn leaving_needs_a_live_key() {
    let (room, users) = room_with_members(1);
    let path = format!("/room/{room}/members/{}", users[1].id);
    app().delete(&path).send().assert_error(400);
    app().delete(&path).bearer(&"01".repeat(32)).send().assert_error(401);
}

#[test]
fn rejoining_moves_a_member_to_the_end_of_the_join_order() {
    let (room, users) = room_with_members(2);
    let path = format!("/room/{room}/members/{}", users[1].id);
    app().delete(&path).bearer(&users[1].key).send().assert_ok(200, json!({ "present": false }));
    app().join(&room, &users[1]);
    let order = users_of(&members_page(&room, None, None));
    assert_eq!(order, vec![users[0].id.clone(), users[2].id.clone(), users[1].id.clone()]);
}

#[test]
fn admins_are_listed_with_their_own_count() {
    let (room, users) = room_with_members(3);
    let response = app().get(&format!("/room/{room}/admins")).query("limit", "10").send();
    response.assert_ok(200, json!({ "users": [users[0].id], "index": 0, "user_count": 1 }));
    app().get(&format!("/room/{room}/admins")).query("offset", "1").send().assert_ok(
        200,
        json!({ "users": [], "index": 1, "user_count": 1 }),
    );
    app().get(&format!("/room/{room}/admins")).query("limit", "501").send().assert_error(400);
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
    assert_eq!(app().get(&format!("/room/{room}")).send().body["user_count"], json!(51));
    let listed: HashSet<String> = users_of(&members_page(&room, Some("500"), None)).into_iter().collect();
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
                let path = format!("/room/{room}/members/{}", user.id);
                app().delete(&path).bearer(&user.key).send().assert_ok(200, json!({ "present": false }));
            });
        }
        for user in &newcomers {
            let room = &room;
            scope.spawn(move || app().join(room, user));
        }
    });
    assert_eq!(app().get(&format!("/room/{room}")).send().body["user_count"], json!(31));
    assert_eq!(users_of(&members_page(&room, Some("500"), None)).len(), 31);
}
