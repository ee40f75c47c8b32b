//! Running a room: admins adding and removing members, bans, appointing and demoting admins,
//! and the room's counters staying equal to its rows through all of it.

use std::sync::{Mutex, OnceLock, PoisonError};

use serde_json::{json, Value};

use crate::helpers::{app, Resp, TestApp, User};

pub const UNKNOWN_USER: &str = "00000000-0000-4000-8000-000000000000";

/// Runs a test that reads the database on an instance of its own, one such test at a time.
/// A `wrangler d1 execute` beside a busy worker locks the SQLite file and makes the worker's
/// own writes fail (SQLITE_BUSY, a 500), so the database is only read while the instance is
/// idle; and the tests on the shared instance never meet such a reader.
pub fn with_database<T>(test: impl FnOnce(&'static TestApp) -> T) -> T {
    static APP: OnceLock<TestApp> = OnceLock::new();
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    test(APP.get_or_init(|| TestApp::spawn(&[])))
}

/// A room with its owner, an admin the owner appointed and a plain member, all present.
pub struct Staffed {
    pub app: &'static TestApp,
    pub id: String,
    pub owner: User,
    pub admin: User,
    pub member: User,
}

impl Staffed {
    pub fn new(open: bool) -> Self {
        Self::on(app(), open)
    }

    pub fn on(app: &'static TestApp, open: bool) -> Self {
        let owner = app.sign_up("owner");
        let id = app.create_room(&owner, open);
        let room = Self { app, id, owner, admin: app.sign_up("admin"), member: app.sign_up("member") };
        room.add(&room.owner, &room.admin.id).assert_ok(200, json!({ "present": true }));
        room.add(&room.owner, &room.member.id).assert_ok(200, json!({ "present": true }));
        room.promote(&room.owner, &room.admin.id).assert_ok(200, json!({ "admin": true }));
        room
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/room/{}{rest}", self.id)
    }

    /// `by` adds `user_id` (or joins, when it is their own id).
    pub fn add(&self, by: &User, user_id: &str) -> Resp {
        self.app.post(&self.path("/members")).bearer(&by.key).json(json!({ "user_id": user_id }))
    }

    /// `user` joins by themself, without a user_id.
    pub fn join(&self, user: &User) -> Resp {
        self.app.post(&self.path("/members")).bearer(&user.key).send()
    }

    pub fn remove(&self, by: &User, user_id: &str) -> Resp {
        self.app.delete(&self.path(&format!("/members/{user_id}"))).bearer(&by.key).send()
    }

    pub fn ban(&self, by: &User, user_id: &str) -> Resp {
        self.app.put(&self.path(&format!("/bans/{user_id}"))).bearer(&by.key).send()
    }

    pub fn unban(&self, by: &User, user_id: &str) -> Resp {
        self.app.delete(&self.path(&format!("/bans/{user_id}"))).bearer(&by.key).send()
    }

    pub fn promote(&self, by: &User, user_id: &str) -> Resp {
        self.app.post(&self.path("/admins")).bearer(&by.key).json(json!({ "user_id": user_id }))
    }

    pub fn demote(&self, by: &User, user_id: &str) -> Resp {
        self.app.delete(&self.path(&format!("/admins/{user_id}"))).bearer(&by.key).send()
    }

    /// `GET /room/{id}/members/{user_id}` as `by` sees it.
    pub fn presence(&self, by: &User, user_id: &str) -> Resp {
        self.app.get(&self.path(&format!("/members/{user_id}"))).bearer(&by.key).send()
    }

    /// The whole list (`members`, `admins` or `bans`) as the owner sees it.
    pub fn list(&self, which: &str) -> Value {
        let response = self.app.get(&self.path(&format!("/{which}"))).bearer(&self.owner.key).query("limit", "500").send();
        assert_eq!(response.status, 200, "{}", response.text);
        response.body
    }

    /// The room's `[members, admins, bans]`, checking that each list's `user_count` (a stored
    /// counter) equals the number of users it lists (the rows), and that the room agrees.
    pub fn counts(&self) -> [usize; 3] {
        let counts = ["members", "admins", "bans"].map(|which| {
            let list = self.list(which);
            let listed = list["users"].as_array().unwrap().len();
            assert_eq!(list["user_count"], json!(listed), "{which}: {list}");
            listed
        });
        let room = self.app.get(&self.path("")).bearer(&self.owner.key).send();
        assert_eq!(room.body["user_count"], json!(counts[0]), "{}", room.text);
        counts
    }
}

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

// Adding members.

#[test]
fn an_admin_adds_a_user_to_a_closed_room_who_then_sees_it() {
    let room = Staffed::new(false);
    let newcomer = app().sign_up("newcomer");
    room.add(&room.admin, &newcomer.id).assert_ok(200, json!({ "present": true }));
    let seen = app().get(&room.path("")).bearer(&newcomer.key).send();
    seen.assert_ok(200, json!({ "open": false, "name": "test room", "user_count": 4, "owner": room.owner.id }));
    assert_eq!(room.list("members")["users"][3], json!(newcomer.id));
}

#[test]
fn adding_a_user_who_is_present_changes_nothing() {
    let room = Staffed::new(true);
    room.add(&room.admin, &room.member.id).assert_ok(200, json!({ "present": true }));
    assert_eq!(room.list("members")["user_count"], json!(3));
    assert_eq!(room.list("members")["users"], json!([room.owner.id, room.admin.id, room.member.id]));
}

#[test]
fn a_plain_member_cannot_add_anyone() {
    let room = Staffed::new(false);
    let newcomer = app().sign_up("newcomer");
    room.add(&room.member, &newcomer.id).assert_error(403);
    room.presence(&room.owner, &newcomer.id).assert_error(404);
    app().get(&room.path("")).bearer(&newcomer.key).send().assert_error(404);
}

#[test]
fn an_outsider_cannot_add_anyone_and_learns_nothing_of_a_closed_room() {
    let (open, closed) = (Staffed::new(true), Staffed::new(false));
    let (outsider, newcomer) = (app().sign_up("outsider"), app().sign_up("newcomer"));
    open.add(&outsider, &newcomer.id).assert_error(403);
    closed.add(&outsider, &newcomer.id).assert_error(404);
    open.presence(&open.owner, &newcomer.id).assert_error(404);
}

#[test]
fn adding_an_unknown_user_is_404_and_a_malformed_one_400() {
    let room = Staffed::new(false);
    room.add(&room.admin, UNKNOWN_USER).assert_error(404);
    room.add(&room.owner, UNKNOWN_USER).assert_error(404);
    room.add(&room.owner, "not-a-user").assert_error(400);
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn adding_oneself_is_joining() {
    let (open, closed) = (Staffed::new(true), Staffed::new(false));
    let user = app().sign_up("self-adder");
    open.add(&user, &user.id).assert_ok(200, json!({ "present": true }));
    closed.add(&user, &user.id).assert_error(404);
    open.ban(&open.owner, &user.id).assert_ok(200, json!({ "banned": true }));
    open.add(&user, &user.id).assert_error(403);
    open.join(&user).assert_error(403);
}

// Removing members.

#[test]
fn an_admin_removes_a_plain_member() {
    let room = Staffed::new(true);
    room.remove(&room.admin, &room.member.id).assert_ok(200, json!({ "present": false }));
    room.presence(&room.owner, &room.member.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(room.list("members")["users"], json!([room.owner.id, room.admin.id]));
    assert_eq!(room.counts(), [2, 2, 0]);
}

#[test]
fn the_owner_removes_an_admin_who_is_then_no_admin() {
    let room = Staffed::new(true);
    room.remove(&room.owner, &room.admin.id).assert_ok(200, json!({ "present": false }));
    room.presence(&room.owner, &room.admin.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(room.list("admins"), json!({ "users": [room.owner.id], "index": 0, "user_count": 1 }));
    assert_eq!(room.counts(), [2, 1, 0]);
}

#[test]
fn an_admin_can_remove_neither_another_admin_nor_the_owner() {
    let room = Staffed::new(true);
    let second = app().sign_up("second admin");
    app().join(&room.id, &second);
    room.promote(&room.owner, &second.id).assert_ok(200, json!({ "admin": true }));
    room.remove(&room.admin, &second.id).assert_error(403);
    room.remove(&room.admin, &room.owner.id).assert_error(403);
    room.remove(&room.owner, &room.owner.id).assert_error(403);
    assert_eq!(room.list("members")["user_count"], json!(4));
    assert_eq!(room.counts(), [4, 3, 0]);
}

#[test]
fn a_plain_member_removes_nobody() {
    let room = Staffed::new(true);
    let other = app().sign_up("other");
    app().join(&room.id, &other);
    for target in [&other, &room.admin, &room.owner] {
        room.remove(&room.member, &target.id).assert_error(403);
        room.presence(&room.owner, &target.id).assert_ok(200, json!({ "present": true }));
    }
}

#[test]
fn removing_a_user_who_was_never_a_member_is_404() {
    let room = Staffed::new(true);
    let stranger = app().sign_up("stranger");
    room.remove(&room.admin, &stranger.id).assert_error(404);
    room.remove(&room.owner, UNKNOWN_USER).assert_error(404);
}

/// Every endpoint of a room, as (method, path, JSON body) with a valid body for each.
pub fn every_endpoint(room: &str, someone: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let at = |rest: &str| format!("/room/{room}{rest}");
    vec![
        ("GET", at(""), None),
        ("GET", at("/owner"), None),
        ("GET", at("/members"), None),
        ("GET", at(&format!("/members/{someone}")), None),
        ("GET", at("/admins"), None),
        ("GET", at("/bans"), None),
        ("GET", at("/messages"), None),
        ("POST", at("/members"), Some(json!({}))),
        ("POST", at("/members"), Some(json!({ "user_id": someone }))),
        ("DELETE", at(&format!("/members/{someone}")), Some(json!({}))),
        ("PUT", at(&format!("/bans/{someone}")), Some(json!({}))),
        ("DELETE", at(&format!("/bans/{someone}")), Some(json!({}))),
        ("POST", at("/admins"), Some(json!({ "user_id": someone }))),
        ("DELETE", at(&format!("/admins/{someone}")), Some(json!({}))),
        ("PUT", at("/owner"), Some(json!({ "user_id": someone }))),
        ("POST", at("/messages"), Some(json!({ "text": "hello?" }))),
        ("PATCH", at(""), Some(json!({ "name": "mine now" }))),
        ("DELETE", at(""), Some(json!({}))),
    ]
}

/// Asserts that `user` gets 404 from every endpoint of the room. Without a key, reads are
/// 404 and writes 400 (a write needs a key before anything else is looked at), exactly as
/// for a room that does not exist.
pub fn assert_everything_404(room: &str, someone: &str, user: Option<&User>) {
    for (method, path, body) in every_endpoint(room, someone) {
        let mut call = app().call(method, &path);
        if let Some(user) = user {
            call = call.bearer(&user.key);
        }
        let response = match body {
            Some(body) => call.json(body),
            None => call.send(),
        };
        let status = if user.is_none() && method != "GET" { 400 } else { 404 };
        assert_eq!(response.status, status, "{method} {path}: {}", response.text);
        response.assert_error(status);
    }
}

#[test]
fn a_removed_member_loses_every_endpoint_of_a_closed_room() {
    let room = Staffed::new(false);
    room.remove(&room.admin, &room.member.id).assert_ok(200, json!({ "present": false }));
    assert_everything_404(&room.id, &room.admin.id, Some(&room.member));
    // Exactly as for a stranger, and for no key.
    assert_everything_404(&room.id, &room.admin.id, Some(&app().sign_up("stranger")));
    assert_everything_404(&room.id, &room.admin.id, None);
    // Nothing they tried changed anything.
    let after = app().get(&room.path("")).bearer(&room.owner.key).send();
    after.assert_ok(200, json!({ "open": false, "name": "test room", "user_count": 2, "owner": room.owner.id }));
    assert_eq!(room.counts(), [2, 2, 0]);
}

#[test]
fn a_removed_member_of_an_open_room_may_read_but_not_post() {
    let room = Staffed::new(true);
    room.remove(&room.owner, &room.member.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(app().get(&room.path("/messages")).bearer(&room.member.key).send().status, 200);
    let post = app().post(&room.path("/messages")).bearer(&room.member.key).json(json!({ "text": "still here?" }));
    post.assert_error(403);
    // Removal is not a ban: they may join an open room again.
    room.join(&room.member).assert_ok(200, json!({ "present": true }));
}

// Bans.

#[test]
fn a_ban_removes_the_member_and_keeps_them_out_until_lifted() {
    let room = Staffed::new(true);
    room.ban(&room.admin, &room.member.id).assert_ok(200, json!({ "banned": true }));
    room.presence(&room.owner, &room.member.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(room.counts(), [2, 2, 1]);
    room.join(&room.member).assert_error(403);
    room.add(&room.owner, &room.member.id).assert_error(403);
    room.add(&room.admin, &room.member.id).assert_error(403);
    room.unban(&room.admin, &room.member.id).assert_ok(200, json!({ "banned": false }));
    // Lifting the ban does not bring them back; they come back by joining.
    room.presence(&room.owner, &room.member.id).assert_ok(200, json!({ "present": false }));
    room.join(&room.member).assert_ok(200, json!({ "present": true }));
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn a_ban_survives_repeated_and_concurrent_rejoin_attempts() {
    let room = Staffed::new(true);
    room.ban(&room.owner, &room.member.id).assert_ok(200, json!({ "banned": true }));
    std::thread::scope(|scope| {
        for n in 0..10 {
            let room = &room;
            scope.spawn(move || match n % 3 {
                0 => room.join(&room.member).assert_error(403),
                1 => room.add(&room.member, &room.member.id).assert_error(403),
                _ => room.add(&room.admin, &room.member.id).assert_error(403),
            });
        }
    });
    room.presence(&room.owner, &room.member.id).assert_ok(200, json!({ "present": false }));
    assert_eq!(room.list("bans"), json!({ "users": [room.member.id], "index": 0, "user_count": 1 }));
    assert_eq!(room.counts(), [2, 2, 1]);
}

#[test]
fn a_banned_member_of_a_closed_room_no_longer_sees_it() {
    let room = Staffed::new(false);
    room.ban(&room.admin, &room.member.id).assert_ok(200, json!({ "banned": true }));
    assert_everything_404(&room.id, &room.owner.id, Some(&room.member));
    room.add(&room.owner, &room.member.id).assert_error(403);
}

#[test]
fn admins_ban_outsiders_who_then_cannot_join() {
    let room = Staffed::new(true);
    let outsider = app().sign_up("outsider");
    room.ban(&room.admin, &outsider.id).assert_ok(200, json!({ "banned": true }));
    room.join(&outsider).assert_error(403);
    room.presence(&room.owner, &outsider.id).assert_error(404);
    assert_eq!(room.counts(), [3, 2, 1]);
}

#[test]
fn only_the_owner_bans_an_admin() {
    let room = Staffed::new(true);
    let second = app().sign_up("second admin");
    app().join(&room.id, &second);
    room.promote(&room.owner, &second.id).assert_ok(200, json!({ "admin": true }));
    room.ban(&room.admin, &second.id).assert_error(403);
    room.ban(&room.member, &second.id).assert_error(403);
    assert_eq!(room.counts(), [4, 3, 0]);
    room.ban(&room.owner, &second.id).assert_ok(200, json!({ "banned": true }));
    assert_eq!(room.list("admins")["users"], json!([room.owner.id, room.admin.id]));
    assert_eq!(room.counts(), [3, 2, 1]);
    room.join(&second).assert_error(403);
}

#[test]
fn nobody_bans_the_owner_and_nobody_bans_themself() {
    let room = Staffed::new(true);
    room.ban(&room.admin, &room.owner.id).assert_error(403);
    room.ban(&room.member, &room.owner.id).assert_error(403);
    room.ban(&room.owner, &room.owner.id).assert_error(403);
    room.ban(&room.admin, &room.admin.id).assert_error(403);
    assert_eq!(room.list("bans"), json!({ "users": [], "index": 0, "user_count": 0 }));
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn banning_an_unknown_user_is_404_and_a_malformed_one_400() {
    let room = Staffed::new(true);
    room.ban(&room.owner, UNKNOWN_USER).assert_error(404);
    room.ban(&room.admin, UNKNOWN_USER).assert_error(404);
    room.ban(&room.owner, "nobody").assert_error(400);
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn plain_members_and_outsiders_may_not_ban_unban_or_list_bans() {
    let room = Staffed::new(true);
    let (outsider, target) = (app().sign_up("outsider"), app().sign_up("target"));
    room.ban(&room.admin, &target.id).assert_ok(200, json!({ "banned": true }));
    for user in [&room.member, &outsider] {
        room.ban(user, &outsider.id).assert_error(403);
        room.unban(user, &target.id).assert_error(403);
        app().get(&room.path("/bans")).bearer(&user.key).send().assert_error(403);
    }
    app().get(&room.path("/bans")).send().assert_error(403);
    assert_eq!(room.list("bans"), json!({ "users": [target.id], "index": 0, "user_count": 1 }));
    let as_admin = app().get(&room.path("/bans")).query("key", &room.admin.key).send();
    as_admin.assert_ok(200, json!({ "users": [target.id], "index": 0, "user_count": 1 }));
}

#[test]
fn the_bans_of_a_closed_room_are_404_to_outsiders() {
    let room = Staffed::new(false);
    let outsider = app().sign_up("outsider");
    app().get(&room.path("/bans")).bearer(&outsider.key).send().assert_error(404);
    app().get(&room.path("/bans")).send().assert_error(404);
    room.ban(&outsider, &room.member.id).assert_error(404);
    room.unban(&outsider, &room.member.id).assert_error(404);
    app().get(&room.path("/bans")).bearer(&room.member.key).send().assert_error(403);
}

#[test]
fn banning_twice_is_harmless_and_counted_once() {
    let room = Staffed::new(true);
    room.ban(&room.admin, &room.member.id).assert_ok(200, json!({ "banned": true }));
    room.ban(&room.owner, &room.member.id).assert_ok(200, json!({ "banned": true }));
    assert_eq!(room.list("bans"), json!({ "users": [room.member.id], "index": 0, "user_count": 1 }));
    assert_eq!(room.counts(), [2, 2, 1]);
}

#[test]
fn bans_are_listed_in_ban_order_and_paged() {
    let room = Staffed::new(true);
    let banned: Vec<User> = (0..5).map(|n| app().sign_up(&format!("banned {n}"))).collect();
    for user in &banned {
        room.ban(&room.admin, &user.id).assert_ok(200, json!({ "banned": true }));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let order: Vec<&str> = banned.iter().map(|user| user.id.as_str()).collect();
    assert_eq!(room.list("bans"), json!({ "users": order, "index": 0, "user_count": 5 }));
    let page = app().get(&room.path("/bans")).bearer(&room.owner.key).query("limit", "2").query("offset", "2").send();
    page.assert_ok(200, json!({ "users": &order[2..4], "index": 2, "user_count": 5 }));
    for (limit, offset) in [("501", "0"), ("-1", "0"), ("x", "0"), ("1", "-1")] {
        let call = app().get(&room.path("/bans")).bearer(&room.owner.key).query("limit", limit).query("offset", offset);
        call.send().assert_error(400);
    }
}

// Counters, against the database itself.

#[test]
fn counters_equal_the_rows_after_a_round_of_moderation() {
    with_database(|app| {
        let room = Staffed::on(app, false);
        let users: Vec<User> = (0..6).map(|n| app.sign_up(&format!("user {n}"))).collect();
        for user in &users {
            room.add(&room.admin, &user.id).assert_ok(200, json!({ "present": true }));
        }
        room.promote(&room.owner, &users[0].id).assert_ok(200, json!({ "admin": true }));
        room.promote(&room.owner, &users[1].id).assert_ok(200, json!({ "admin": true }));
        room.ban(&room.owner, &users[0].id).assert_ok(200, json!({ "banned": true }));
        room.remove(&room.owner, &users[1].id).assert_ok(200, json!({ "present": false }));
        room.ban(&room.admin, &users[2].id).assert_ok(200, json!({ "banned": true }));
        room.ban(&room.admin, &users[2].id).assert_ok(200, json!({ "banned": true }));
        room.remove(&room.admin, &users[3].id).assert_ok(200, json!({ "present": false }));
        room.remove(&users[4], &users[4].id).assert_ok(200, json!({ "present": false }));
        room.unban(&room.admin, &users[2].id).assert_ok(200, json!({ "banned": false }));
        room.add(&room.admin, &users[2].id).assert_ok(200, json!({ "present": true }));
        room.demote(&room.admin, &room.admin.id).assert_ok(200, json!({ "admin": false }));
        let outsider = app.sign_up("outsider");
        room.ban(&room.owner, &outsider.id).assert_ok(200, json!({ "banned": true }));
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
                scope.spawn(move || room.ban(&room.admin, &user.id).assert_ok(200, json!({ "banned": true })));
                // Before the ban, a join of a present member is a harmless 200; after, a 403.
                scope.spawn(move || assert!([200, 403].contains(&room.join(user).status)));
            }
            for user in &members[5..] {
                scope.spawn(move || room.remove(&room.owner, &user.id).assert_ok(200, json!({ "present": false })));
            }
            for user in &newcomers {
                scope.spawn(move || room.join(user).assert_ok(200, json!({ "present": true })));
            }
        });
        // Whatever the interleaving, the banned end up out.
        assert_eq!(counters_match_rows(app, &room.id), [13, 2, 5]);
        assert_eq!(room.counts(), [13, 2, 5]);
    });
}
