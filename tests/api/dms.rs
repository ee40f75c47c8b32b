//! Direct messages, with consent: one room per pair whoever starts it, the other person asked
//! before they are in it (they read to decide, then accept by joining or decline by leaving),
//! nobody's posts past a decline or a block, and no owner powers for anyone.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{app, Resp, User, NOBODY, UNKNOWN_ID};

/// `from` opens a DM with `to`: its room's id.
fn dm(from: &User, to: &User) -> String {
    let opened = app().dm(from, &to.id);
    opened.assert_status(200);
    opened.str("room_id")
}

fn requests(user: &User) -> Value {
    let listed = app().requests(user);
    listed.assert_status(200);
    listed.body
}

fn no_requests() -> Value {
    json!({ "requests": [], "index": 0, "request_count": 0 })
}

/// The room ids of `user`'s rooms, with their kinds.
fn rooms_of(user: &User) -> Vec<(String, String)> {
    let rooms = app().rooms_of(&user.id, user, &[]);
    rooms.assert_status(200);
    let rooms = rooms.body["rooms"].as_array().unwrap_or_else(|| panic!("{}", rooms.text)).clone();
    rooms
        .iter()
        .map(|room| (room["room_id"].as_str().unwrap().to_owned(), room["kind"].as_str().unwrap().to_owned()))
        .collect()
}

/// The requests' first message, once the room's object has written it (it does so right after
/// the post is answered): waited for with patience, not timed.
fn first_message_of(user: &User) -> Value {
    let patience = Instant::now() + Duration::from_secs(60);
    loop {
        let first = requests(user)["requests"][0]["first_message"].clone();
        if !first.is_null() || Instant::now() > patience {
            return first;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_pair_has_one_dm_whoever_opens_it_and_however_often() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let room = dm(&ann, &bob);
    assert_eq!(dm(&ann, &bob), room, "asked again");
    let shown = app().room(&room, &ann);
    let people = json!([ann.id, bob.id]);
    let expected =
        json!({ "open": false, "name": "", "user_count": 1, "owner": ann.id, "kind": "dm", "people": people });
    shown.assert_ok(200, expected);
    // The other person opening it is the same room, and accepts it.
    assert_eq!(dm(&bob, &ann), room);
    assert_eq!(app().room(&room, &bob).body["user_count"], 2);
    assert_eq!(rooms_of(&bob), [(room.clone(), "dm".to_owned())]);
    // Nobody outside sees it.
    let carol = app().sign_up("carol");
    app().room(&room, &carol).assert_error(404);
    app().room(&room, NOBODY).assert_error(404);
    app().messages(&room, &carol, &[]).assert_error(404);
}

#[test]
fn twenty_concurrent_first_calls_between_two_people_make_one_room() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let rooms: Vec<String> = thread::scope(|scope| {
        let calls: Vec<_> = (0..20)
            .map(|n| {
                let (from, to) = if n % 2 == 0 { (&ann, &bob) } else { (&bob, &ann) };
                scope.spawn(move || dm(from, to))
            })
            .collect();
        calls.into_iter().map(|call| call.join().unwrap()).collect()
    });
    assert!(rooms.iter().all(|room| *room == rooms[0]), "{rooms:?}");
    let pair = if ann.id < bob.id { (&ann.id, &bob.id) } else { (&bob.id, &ann.id) };
    let count =
        app().sql(&format!("SELECT count(*) AS n FROM dms WHERE low_id = '{}' AND high_id = '{}'", pair.0, pair.1));
    assert_eq!(count[0]["n"], 1);
    // Both opened it, so both are in it.
    assert_eq!(app().room(&rooms[0], &ann).body["user_count"], 2);
}

#[test]
fn a_dm_is_with_someone_else_who_exists_and_did_not_block_you() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    app().dm(&ann, &ann.id).assert_error(400);
    app().dm(&ann, UNKNOWN_ID).assert_error(404);
    app().dm(&ann, "not-a-uuid").assert_error(400);
    app().put(&format!("/dm/{}", bob.id)).json(json!({})).assert_error(400);
    app().block(&bob, &ann.id, true).assert_ok(200, json!({ "blocked": true }));
    app().dm(&ann, &bob.id).assert_error(403);
    assert_eq!(requests(&bob), no_requests());
    // Blocking the other way stops nothing of the blocker's: they may start one.
    let room = dm(&bob, &ann);
    app().block(&bob, &ann.id, false).assert_ok(200, json!({ "blocked": false }));
    assert_eq!(dm(&ann, &bob), room, "the same DM once unblocked");
}

#[test]
fn the_other_person_is_asked_reads_to_decide_and_accepts_by_joining() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let room = dm(&ann, &bob);
    app().post_message(&room, &ann, "hello bob").assert_status(201);
    app().post_message(&room, &ann, "it is ann").assert_status(201);
    let asked = requests(&bob);
    assert_eq!(asked["request_count"], 1);
    let request = &asked["requests"][0];
    assert_eq!(request["room_id"], room.as_str());
    assert_eq!(request["from"], ann.id.as_str());
    assert!(request["at"].as_i64().unwrap() > 0);
    assert_eq!(first_message_of(&bob), "hello bob");
    // A request is not a room of theirs, nor an invitation.
    assert_eq!(rooms_of(&bob), []);
    let invites = app().get(&format!("/user/{}/invites", bob.id)).by(&bob).send();
    invites.assert_ok(200, json!({ "invites": [], "index": 0, "invite_count": 0 }));
    // They read it to decide, but do not post, nor open its socket, before accepting.
    assert_eq!(app().room(&room, &bob).body["kind"], "dm");
    let read = app().messages(&room, &bob, &[]);
    read.assert_status(200);
    assert_eq!(read.body["messages"].as_array().unwrap().len(), 2);
    app().post_message(&room, &bob, "hi").assert_error(403);
    app().ticket(&room, &bob).assert_error(403);
    // Accepted: a room of theirs, and they post.
    app().join_as(&room, &bob).assert_ok(200, json!({ "present": true }));
    assert_eq!(requests(&bob), no_requests());
    assert_eq!(rooms_of(&bob), [(room.clone(), "dm".to_owned())]);
    app().post_message(&room, &bob, "hi ann").assert_status(201);
    app().ticket(&room, &bob).assert_status(200);
    // Only the other person's requests list it.
    assert_eq!(requests(&ann), no_requests());
    app().get(&format!("/user/{}/requests", bob.id)).by(&ann).send().assert_error(403);
    app().get(&format!("/user/{}/requests", bob.id)).send().assert_error(401);
}

/// After a decline, the starter's posts are refused until the other person opens the DM.
fn assert_declined_until_reopened(room: &str, ann: &User, bob: &User) {
    assert_eq!(requests(bob), no_requests());
    app().messages(room, bob, &[]).assert_error(404);
    app().post_message(room, ann, "please?").assert_error(403);
    // Asking again changes nothing: the same DM, no new request, still refused.
    assert_eq!(dm(ann, bob), room);
    assert_eq!(requests(bob), no_requests());
    app().post_message(room, ann, "please?").assert_error(403);
    // The other person opens it themself: both post.
    assert_eq!(dm(bob, ann), room);
    app().post_message(room, ann, "thanks").assert_status(201);
    app().post_message(room, bob, "sure").assert_status(201);
}

#[test]
fn a_decline_by_leaving_stops_the_starter_until_the_other_person_opens_it() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let room = dm(&ann, &bob);
    app().post_message(&room, &ann, "hello").assert_status(201);
    app().remove_member(&room, &bob, &bob.id).assert_ok(200, json!({ "present": false }));
    assert_declined_until_reopened(&room, &ann, &bob);
}

#[test]
fn a_decline_of_the_invitation_is_the_same() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let room = dm(&ann, &bob);
    app().withdraw_invite(&room, &bob, &bob.id).assert_status(204);
    assert_declined_until_reopened(&room, &ann, &bob);
}

#[test]
fn leaving_after_accepting_stops_the_other_until_they_come_back() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let room = dm(&ann, &bob);
    app().join_as(&room, &bob).assert_status(200);
    // The starter leaves (a DM has no owner to stay): the other may not post to nobody.
    app().remove_member(&room, &ann, &ann.id).assert_ok(200, json!({ "present": false }));
    app().post_message(&room, &bob, "anyone?").assert_error(403);
    app().messages(&room, &ann, &[]).assert_error(404);
    assert_eq!(dm(&ann, &bob), room);
    app().post_message(&room, &bob, "welcome back").assert_status(201);
}

#[test]
fn a_block_stops_the_blocked_persons_posts_in_the_dm_and_an_unblock_lets_them_again() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let room = dm(&ann, &bob);
    app().join_as(&room, &bob).assert_status(200);
    app().block(&bob, &ann.id, true).assert_status(200);
    app().post_message(&room, &ann, "hey").assert_error(403);
    app().post_message(&room, &bob, "blockers may speak").assert_status(201);
    // Both still read it.
    app().messages(&room, &ann, &[]).assert_status(200);
    app().block(&bob, &ann.id, false).assert_status(200);
    app().post_message(&room, &ann, "hey again").assert_status(201);
}

#[test]
fn a_dm_has_no_owner_powers_for_anyone() {
    let (ann, bob, carol) = (app().sign_up("ann"), app().sign_up("bob"), app().sign_up("carol"));
    let room = dm(&ann, &bob);
    app().join_as(&room, &bob).assert_status(200);
    let message = app().post_message(&room, &bob, "mine").str("message_id");
    for by in [&ann, &bob] {
        let other = if by.id == ann.id { &bob } else { &ann };
        app().invite(&room, by, &carol.id).assert_error(403);
        app().add_member(&room, by, &carol.id).assert_error(403);
        app().ban(&room, by, &carol.id).assert_error(403);
        app().ban(&room, by, &other.id).assert_error(403);
        app().remove_member(&room, by, &other.id).assert_error(403);
        app().promote(&room, by, &other.id).assert_error(403);
        app().transfer(&room, by, &other.id).assert_error(403);
        app().update_room(&room, by, json!({ "name": "ours" })).assert_error(403);
        app().update_room(&room, by, json!({ "open": true })).assert_error(403);
        app().delete_room(&room, by).assert_error(403);
        app().bans(&room, by, &[]).assert_error(403);
    }
    // Nobody deletes the other's messages; each deletes their own.
    app().delete_message(&room, &ann, &message).assert_error(403);
    app().delete_message(&room, &bob, &message).assert_status(204);
    app().admins(&room, &ann, &[]).assert_ok(200, json!({ "users": [], "index": 0, "user_count": 0 }));
    app().room(&room, &carol).assert_error(404);
    let shown = app().room(&room, &ann);
    let people = json!([ann.id, bob.id]);
    shown.assert_ok(
        200,
        json!({ "open": false, "name": "", "user_count": 2, "owner": ann.id, "kind": "dm", "people": people }),
    );
}

#[test]
fn starting_a_dm_owns_no_room_and_the_requests_page() {
    let ann = app().sign_up("ann");
    let others: Vec<User> = (0..3).map(|n| app().sign_up(&format!("other {n}"))).collect();
    let rooms: Vec<String> = others.iter().map(|other| dm(other, &ann)).collect();
    let page: Resp =
        app().get(&format!("/user/{}/requests", ann.id)).by(&ann).queries(&[("limit", "2"), ("offset", "1")]).send();
    page.assert_status(200);
    assert_eq!(page.body["request_count"], 3);
    assert_eq!(page.body["index"], 1);
    let listed: Vec<&str> =
        page.body["requests"].as_array().unwrap().iter().map(|r| r["room_id"].as_str().unwrap()).collect();
    assert_eq!(listed, [rooms[1].as_str(), rooms[0].as_str()], "newest first");
    let owned = app().sql(&format!("SELECT owned_count AS n FROM users WHERE user_id = '{}'", others[0].id));
    assert_eq!(owned[0]["n"], 0, "a DM is owned by nobody's count");
}

#[test]
fn deleting_an_account_ends_its_requests_and_the_other_person_may_not_post_to_nobody() {
    let (ann, bob, carol) = (app().sign_up("ann"), app().sign_up("bob"), app().sign_up("carol"));
    let asked = dm(&ann, &bob);
    let talked = dm(&carol, &ann);
    app().join_as(&talked, &ann).assert_status(200);
    app().delete_account(&ann.id, &ann, crate::helpers::PASSWORD).assert_status(204);
    assert_eq!(requests(&bob), no_requests());
    app().room(&asked, &bob).assert_error(404);
    // Carol keeps what was said, and may not post to nobody.
    app().messages(&talked, &carol, &[]).assert_status(200);
    app().post_message(&talked, &carol, "hello?").assert_error(403);
}
