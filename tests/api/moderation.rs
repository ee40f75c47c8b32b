//! Running a room: admins adding and removing members, bans, appointing and demoting admins,
//! and the room's counters staying equal to its rows through all of it.

use serde_json::json;

use crate::helpers::{app, assert_everything_404, with_database, Staffed, TestApp, User, NOBODY, UNKNOWN_ID};

/// Asserts that the room's stored counters equal its rows, and returns them as
/// `[user_count, admin_count, ban_count]`.
pub fn counters_match_rows(app: &TestApp, room: &str) -> [i64; 3] {
    let rows = app.sql(&format!(
        "SELECT r.user_count, r.admin_count, r.ban_count,
                (SELECT count(*) FROM members WHERE room_id = r.room_id AND present = 1) AS present_rows,
                (SELECT count(*) FROM members WHERE room_id = r.room_id AND admin = 1) AS admin_rows,
                (SELECT count(*) FROM bans WHERE room_id = r.room_id) AS ban_rows
           FROM rooms AS r WHERE r.room_id = '{room}'"
    ));
    let row = &rows[0];
    let number = |field: &str| row[field].as_i64().unwrap_or_else(|| panic!("{field} in {row}"));
    assert_eq!(number("user_count"), number("present_rows"), "{row}");
    assert_eq!(number("admin_count"), number("admin_rows"), "{row}");
    assert_eq!(number("ban_count"), number("ban_rows"), "{row}");
    [number("user_count"), number("admin_count"), number("ban_count")]
}

// Invitations: nobody enters a room without their own consent.

#[test]
fn an_admin_invites_a_user_to_a_closed_room_who_joins_and_then_sees_it() {
    let room = Staffed::new(false);
    let newcomer = app().sign_up("newcomer");
    // The seed's "add" invites now.
    app().add_member(&room.id, &room.admin, &newcomer.id).assert_ok(200, json!({ "invited": true }));
    assert_eq!(room.counts(), [3, 2, 0], "not in until they join");
    // Invited, they see the room itself, not its members or messages.
    let peek = json!({ "open": false, "name": "test room", "user_count": 3, "owner": room.owner.id, "kind": "room" });
    app().room(&room.id, &newcomer).assert_ok(200, peek);
    app().members(&room.id, &newcomer, &[]).assert_error(404);
    app().messages(&room.id, &newcomer, &[]).assert_error(404);
    app().post_message(&room.id, &newcomer, "let me in").assert_error(404);
    app().join_as(&room.id, &newcomer).assert_ok(200, json!({ "present": true }));
    let seen = app().room(&room.id, &newcomer);
    seen.assert_ok(
        200,
        json!({ "open": false, "name": "test room", "user_count": 4, "owner": room.owner.id, "kind": "room" }),
    );
    assert_eq!(room.list("members")["users"][3], json!(newcomer.id));
}

#[test]
fn inviting_a_user_who_is_present_is_409_and_changes_nothing() {
    let room = Staffed::new(true);
    app().add_member(&room.id, &room.admin, &room.member.id).assert_error(409);
    app().invite(&room.id, &room.admin, &room.member.id).assert_error(409);
    assert_eq!(room.list("members")["user_count"], json!(3));
    assert_eq!(room.list("members")["users"], json!([room.owner.id, room.admin.id, room.member.id]));
}

#[test]
fn a_plain_member_cannot_invite_anyone() {
    let room = Staffed::new(false);
    let newcomer = app().sign_up("newcomer");
    app().add_member(&room.id, &room.member, &newcomer.id).assert_error(403);
    app().presence(&room.id, &room.owner, &newcomer.id).assert_error(404);
    app().room(&room.id, &newcomer).assert_error(404);
}

#[test]
fn an_outsider_cannot_invite_anyone_and_learns_nothing_of_a_closed_room() {
    let (open, closed) = (Staffed::new(true), Staffed::new(false));
    let (outsider, newcomer) = (app().sign_up("outsider"), app().sign_up("newcomer"));
    app().add_member(&open.id, &outsider, &newcomer.id).assert_error(403);
    app().add_member(&closed.id, &outsider, &newcomer.id).assert_error(404);
    app().presence(&open.id, &open.owner, &newcomer.id).assert_error(404);
}

#[test]
fn inviting_an_unknown_user_is_404_and_a_malformed_one_400() {
    let room = Staffed::new(false);
    app().add_member(&room.id, &room.admin, UNKNOWN_ID).assert_error(404);
    app().add_member(&room.id, &room.owner, UNKNOWN_ID).assert_error(404);
    app().add_member(&room.id, &room.owner, "not-a-user").assert_error(400);
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn adding_oneself_is_joining() {
    let (open, closed) = (Staffed::new(true), Staffed::new(false));
    let user = app().sign_up("self-adder");
    app().add_member(&open.id, &user, &user.id).assert_ok(200, json!({ "present": true }));
    app().add_member(&closed.id, &user, &user.id).assert_error(404);
    app().ban(&open.id, &open.owner, &user.id).assert_ok(200, json!({ "banned": true }));
    app().add_member(&open.id, &user, &user.id).assert_error(403);
    app().join_as(&open.id, &user).assert_error(403);
}

// Removing members.

#[test]
fn an_admin_removes_a_plain_member() {
    let room = Staffed::new(true);
    app().remove_member(&room.id, &room.admin, &room.member.id).assert_ok(200, json!({ "present": false }));
    app().presence(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(room.list("members")["users"], json!([room.owner.id, room.admin.id]));
    assert_eq!(room.counts(), [2, 2, 0]);
}

#[test]
fn the_owner_removes_an_admin_who_is_then_no_admin() {
    let room = Staffed::new(true);
    app().remove_member(&room.id, &room.owner, &room.admin.id).assert_ok(200, json!({ "present": false }));
    app().presence(&room.id, &room.owner, &room.admin.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(room.list("admins"), json!({ "users": [room.owner.id], "index": 0, "user_count": 1 }));
    assert_eq!(room.counts(), [2, 1, 0]);
}

#[test]
fn an_admin_can_remove_neither_another_admin_nor_the_owner() {
    let room = Staffed::new(true);
    let second = app().sign_up("second admin");
    app().join(&room.id, &second);
    app().promote(&room.id, &room.owner, &second.id).assert_ok(200, json!({ "admin": true }));
    app().remove_member(&room.id, &room.admin, &second.id).assert_error(403);
    app().remove_member(&room.id, &room.admin, &room.owner.id).assert_error(403);
    app().remove_member(&room.id, &room.owner, &room.owner.id).assert_error(403);
    assert_eq!(room.list("members")["user_count"], json!(4));
    assert_eq!(room.counts(), [4, 3, 0]);
}

#[test]
fn a_plain_member_removes_nobody() {
    let room = Staffed::new(true);
    let other = app().sign_up("other");
    app().join(&room.id, &other);
    for target in [&other, &room.admin, &room.owner] {
        app().remove_member(&room.id, &room.member, &target.id).assert_error(403);
        app().presence(&room.id, &room.owner, &target.id).assert_ok(200, json!({ "present": true }));
    }
}

#[test]
fn removing_a_user_who_was_never_a_member_is_404() {
    let room = Staffed::new(true);
    let stranger = app().sign_up("stranger");
    app().remove_member(&room.id, &room.admin, &stranger.id).assert_error(404);
    app().remove_member(&room.id, &room.owner, UNKNOWN_ID).assert_error(404);
}

#[test]
fn a_removed_member_loses_every_endpoint_of_a_closed_room() {
    let room = Staffed::new(false);
    app().remove_member(&room.id, &room.admin, &room.member.id).assert_ok(200, json!({ "present": false }));
    assert_everything_404(&room.id, &room.admin.id, Some(&room.member));
    // Exactly as for a stranger, and for no key.
    assert_everything_404(&room.id, &room.admin.id, Some(&app().sign_up("stranger")));
    assert_everything_404(&room.id, &room.admin.id, None);
    // Nothing they tried changed anything.
    let after = app().room(&room.id, &room.owner);
    after.assert_ok(
        200,
        json!({ "open": false, "name": "test room", "user_count": 2, "owner": room.owner.id, "kind": "room" }),
    );
    assert_eq!(room.counts(), [2, 2, 0]);
}

#[test]
fn a_removed_member_of_an_open_room_may_read_but_not_post() {
    let room = Staffed::new(true);
    app().remove_member(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(app().messages(&room.id, &room.member, &[]).status, 200);
    let post = app().post_message(&room.id, &room.member, "still here?");
    post.assert_error(403);
    // Removal is not a ban: they may join an open room again.
    app().join_as(&room.id, &room.member).assert_ok(200, json!({ "present": true }));
}

// Bans.

#[test]
fn a_ban_removes_the_member_and_keeps_them_out_until_lifted() {
    let room = Staffed::new(true);
    app().ban(&room.id, &room.admin, &room.member.id).assert_ok(200, json!({ "banned": true }));
    app().presence(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(room.counts(), [2, 2, 1]);
    app().join_as(&room.id, &room.member).assert_error(403);
    app().add_member(&room.id, &room.owner, &room.member.id).assert_error(403);
    app().add_member(&room.id, &room.admin, &room.member.id).assert_error(403);
    app().unban(&room.id, &room.admin, &room.member.id).assert_ok(200, json!({ "banned": false }));
    // Lifting the ban does not bring them back; they come back by joining.
    app().presence(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "present": false }));
    app().join_as(&room.id, &room.member).assert_ok(200, json!({ "present": true }));
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn a_ban_survives_repeated_and_concurrent_rejoin_attempts() {
    let room = Staffed::new(true);
    app().ban(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "banned": true }));
    std::thread::scope(|scope| {
        for n in 0..10 {
            let room = &room;
            scope.spawn(move || match n % 3 {
                0 => app().join_as(&room.id, &room.member).assert_error(403),
                1 => app().add_member(&room.id, &room.member, &room.member.id).assert_error(403),
                _ => app().add_member(&room.id, &room.admin, &room.member.id).assert_error(403),
            });
        }
    });
    app().presence(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(room.list("bans"), json!({ "users": [room.member.id], "index": 0, "user_count": 1 }));
    assert_eq!(room.counts(), [2, 2, 1]);
}

#[test]
fn a_banned_member_of_a_closed_room_no_longer_sees_it() {
    let room = Staffed::new(false);
    app().ban(&room.id, &room.admin, &room.member.id).assert_ok(200, json!({ "banned": true }));
    assert_everything_404(&room.id, &room.owner.id, Some(&room.member));
    app().add_member(&room.id, &room.owner, &room.member.id).assert_error(403);
}

#[test]
fn admins_ban_outsiders_who_then_cannot_join() {
    let room = Staffed::new(true);
    let outsider = app().sign_up("outsider");
    app().ban(&room.id, &room.admin, &outsider.id).assert_ok(200, json!({ "banned": true }));
    app().join_as(&room.id, &outsider).assert_error(403);
    app().presence(&room.id, &room.owner, &outsider.id).assert_error(404);
    assert_eq!(room.counts(), [3, 2, 1]);
}

#[test]
fn only_the_owner_bans_an_admin() {
    let room = Staffed::new(true);
    let second = app().sign_up("second admin");
    app().join(&room.id, &second);
    app().promote(&room.id, &room.owner, &second.id).assert_ok(200, json!({ "admin": true }));
    app().ban(&room.id, &room.admin, &second.id).assert_error(403);
    app().ban(&room.id, &room.member, &second.id).assert_error(403);
    assert_eq!(room.counts(), [4, 3, 0]);
    app().ban(&room.id, &room.owner, &second.id).assert_ok(200, json!({ "banned": true }));
    assert_eq!(room.list("admins")["users"], json!([room.owner.id, room.admin.id]));
    assert_eq!(room.counts(), [3, 2, 1]);
    app().join_as(&room.id, &second).assert_error(403);
}

#[test]
fn nobody_bans_the_owner_and_nobody_bans_themself() {
    let room = Staffed::new(true);
    app().ban(&room.id, &room.admin, &room.owner.id).assert_error(403);
    app().ban(&room.id, &room.member, &room.owner.id).assert_error(403);
    app().ban(&room.id, &room.owner, &room.owner.id).assert_error(403);
    app().ban(&room.id, &room.admin, &room.admin.id).assert_error(403);
    assert_eq!(room.list("bans"), json!({ "users": [], "index": 0, "user_count": 0 }));
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn banning_an_unknown_user_is_404_and_a_malformed_one_400() {
    let room = Staffed::new(true);
    app().ban(&room.id, &room.owner, UNKNOWN_ID).assert_error(404);
    app().ban(&room.id, &room.admin, UNKNOWN_ID).assert_error(404);
    app().ban(&room.id, &room.owner, "nobody").assert_error(400);
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn plain_members_and_outsiders_may_not_ban_unban_or_list_bans() {
    let room = Staffed::new(true);
    let (outsider, target) = (app().sign_up("outsider"), app().sign_up("target"));
    app().ban(&room.id, &room.admin, &target.id).assert_ok(200, json!({ "banned": true }));
    for user in [&room.member, &outsider] {
        app().ban(&room.id, user, &outsider.id).assert_error(403);
        app().unban(&room.id, user, &target.id).assert_error(403);
        app().bans(&room.id, user, &[]).assert_error(403);
    }
    app().bans(&room.id, NOBODY, &[]).assert_error(403);
    assert_eq!(room.list("bans"), json!({ "users": [target.id], "index": 0, "user_count": 1 }));
    let as_admin = app().get(&room.path("/bans")).query("key", &room.admin.key).send();
    as_admin.assert_ok(200, json!({ "users": [target.id], "index": 0, "user_count": 1 }));
}

#[test]
fn the_bans_of_a_closed_room_are_404_to_outsiders() {
    let room = Staffed::new(false);
    let outsider = app().sign_up("outsider");
    app().bans(&room.id, &outsider, &[]).assert_error(404);
    app().bans(&room.id, NOBODY, &[]).assert_error(404);
    app().ban(&room.id, &outsider, &room.member.id).assert_error(404);
    app().unban(&room.id, &outsider, &room.member.id).assert_error(404);
    app().bans(&room.id, &room.member, &[]).assert_error(403);
}

#[test]
fn banning_twice_is_harmless_and_counted_once() {
    let room = Staffed::new(true);
    app().ban(&room.id, &room.admin, &room.member.id).assert_ok(200, json!({ "banned": true }));
    app().ban(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "banned": true }));
    assert_eq!(room.list("bans"), json!({ "users": [room.member.id], "index": 0, "user_count": 1 }));
    assert_eq!(room.counts(), [2, 2, 1]);
}

#[test]
fn bans_are_listed_in_ban_order_and_paged() {
    let room = Staffed::new(true);
    let banned: Vec<User> = (0..5).map(|n| app().sign_up(&format!("banned {n}"))).collect();
    for user in &banned {
        app().ban(&room.id, &room.admin, &user.id).assert_ok(200, json!({ "banned": true }));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let order: Vec<&str> = banned.iter().map(|user| user.id.as_str()).collect();
    assert_eq!(room.list("bans"), json!({ "users": order, "index": 0, "user_count": 5 }));
    let page = app().bans(&room.id, &room.owner, &[("limit", "2"), ("offset", "2")]);
    page.assert_ok(200, json!({ "users": &order[2..4], "index": 2, "user_count": 5 }));
    for (limit, offset) in [("501", "0"), ("-1", "0"), ("x", "0"), ("1", "-1")] {
        app().bans(&room.id, &room.owner, &[("limit", limit), ("offset", offset)]).assert_error(400);
    }
}

/// Whether the room's bans list (as its owner reads it) has `user`.
fn is_banned(room: &Staffed, user: &User) -> bool {
    room.list("bans")["users"].as_array().unwrap().contains(&json!(user.id))
}

#[test]
fn an_admin_cannot_lift_a_ban_the_owner_placed() {
    let room = Staffed::new(true);
    let outcast = app().sign_up("outcast");
    app().ban(&room.id, &room.owner, &outcast.id).assert_ok(200, json!({ "banned": true }));
    app().unban(&room.id, &room.admin, &outcast.id).assert_error(403);
    assert!(is_banned(&room, &outcast));
    app().join_as(&room.id, &outcast).assert_error(403);
    app().unban(&room.id, &room.owner, &outcast.id).assert_ok(200, json!({ "banned": false }));
    assert!(!is_banned(&room, &outcast));
    app().join(&room.id, &outcast);
}

#[test]
fn an_admin_lifts_a_ban_an_admin_placed() {
    let room = Staffed::new(true);
    let outcast = app().sign_up("outcast");
    app().ban(&room.id, &room.admin, &room.member.id).assert_ok(200, json!({ "banned": true }));
    app().ban(&room.id, &room.admin, &outcast.id).assert_ok(200, json!({ "banned": true }));
    app().unban(&room.id, &room.admin, &room.member.id).assert_ok(200, json!({ "banned": false }));
    app().unban(&room.id, &room.owner, &outcast.id).assert_ok(200, json!({ "banned": false }));
    assert_eq!(room.counts(), [2, 2, 0]);
}

#[test]
fn the_owner_banning_again_makes_an_admins_ban_the_owners() {
    let room = Staffed::new(true);
    app().ban(&room.id, &room.admin, &room.member.id).assert_ok(200, json!({ "banned": true }));
    app().ban(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "banned": true }));
    app().unban(&room.id, &room.admin, &room.member.id).assert_error(403);
    assert!(is_banned(&room, &room.member));
    assert_eq!(room.counts(), [2, 2, 1]);
}

#[test]
fn an_owners_ban_is_the_new_owners_to_lift_after_a_hand_over() {
    let room = Staffed::new(true);
    let outcast = app().sign_up("outcast");
    app().ban(&room.id, &room.owner, &outcast.id).assert_ok(200, json!({ "banned": true }));
    app().transfer(&room.id, &room.owner, &room.admin.id).assert_ok(200, json!({ "owner": room.admin.id }));
    app().unban(&room.id, &room.owner, &outcast.id).assert_error(403);
    app().unban(&room.id, &room.admin, &outcast.id).assert_ok(200, json!({ "banned": false }));
}

// Counters, against the database itself.

#[test]
fn counters_equal_the_rows_after_a_round_of_moderation() {
    with_database(|app| {
        let room = Staffed::on(app, false);
        let users: Vec<User> = (0..6).map(|n| app.sign_up(&format!("user {n}"))).collect();
        for user in &users {
            app.bring_in(&room.id, &room.admin, user);
        }
        app.promote(&room.id, &room.owner, &users[0].id).assert_ok(200, json!({ "admin": true }));
        app.promote(&room.id, &room.owner, &users[1].id).assert_ok(200, json!({ "admin": true }));
        app.ban(&room.id, &room.owner, &users[0].id).assert_ok(200, json!({ "banned": true }));
        app.remove_member(&room.id, &room.owner, &users[1].id).assert_ok(200, json!({ "present": false }));
        app.ban(&room.id, &room.admin, &users[2].id).assert_ok(200, json!({ "banned": true }));
        app.ban(&room.id, &room.admin, &users[2].id).assert_ok(200, json!({ "banned": true }));
        app.remove_member(&room.id, &room.admin, &users[3].id).assert_ok(200, json!({ "present": false }));
        app.remove_member(&room.id, &users[4], &users[4].id).assert_ok(200, json!({ "present": false }));
        app.unban(&room.id, &room.admin, &users[2].id).assert_ok(200, json!({ "banned": false }));
        app.bring_in(&room.id, &room.admin, &users[2]);
        app.demote(&room.id, &room.admin, &room.admin.id).assert_ok(200, json!({ "admin": false }));
        let outsider = app.sign_up("outsider");
        app.ban(&room.id, &room.owner, &outsider.id).assert_ok(200, json!({ "banned": true }));
        // Present: owner, admin (no longer one), member, users 2 and 5. Banned: user 0, outsider.
        assert_eq!(counters_match_rows(app, &room.id), [5, 1, 2]);
        assert_eq!(room.counts(), [5, 1, 2]);
    });
}

#[test]
fn concurrent_bans_joins_and_removals_leave_the_counters_equal_to_the_rows() {
    with_database(|app| {
        let room = Staffed::on(app, true);
        let members: Vec<User> = (0..10).map(|n| app.sign_up(&format!("member {n}"))).collect();
        for user in &members {
            app.join(&room.id, user);
        }
        let newcomers: Vec<User> = (0..10).map(|n| app.sign_up(&format!("newcomer {n}"))).collect();
        std::thread::scope(|scope| {
            let room = &room;
            for user in &members[..5] {
                scope.spawn(move || app.ban(&room.id, &room.admin, &user.id).assert_ok(200, json!({ "banned": true })));
                // Before the ban, a join of a present member is a harmless 200; after, a 403.
                scope.spawn(move || assert!([200, 403].contains(&app.join_as(&room.id, user).status)));
            }
            for user in &members[5..] {
                let removed = json!({ "present": false });
                scope.spawn(move || app.remove_member(&room.id, &room.owner, &user.id).assert_ok(200, removed));
            }
            for user in &newcomers {
                scope.spawn(move || app.join_as(&room.id, user).assert_ok(200, json!({ "present": true })));
            }
        });
        // Whatever the interleaving, the banned end up out.
        assert_eq!(counters_match_rows(app, &room.id), [13, 2, 5]);
        assert_eq!(room.counts(), [13, 2, 5]);
    });
}
