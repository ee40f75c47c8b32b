//! Finding rooms: the directory of open rooms (`GET /rooms`) and a user's own rooms
//! (`GET /user/{id}/rooms`). Other tests fill the shared directory too, so each test names its
//! rooms with a tag of its own and searches for it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::helpers::{app, with_database, Staffed, User, NOBODY};

/// A tag no other room has: lower-case ASCII letters and digits.
fn tag() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("t{nanos:x}p{:x}n{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

/// The whole answer for `q` (up to 500 rooms), asserting a 200.
fn search(q: &str) -> Value {
    let response = app().open_rooms(&[("q", q), ("limit", "500")]);
    response.assert_status(200);
    response.body
}

fn room_ids(body: &Value) -> Vec<&str> {
    body["rooms"].as_array().unwrap().iter().map(|room| room["room_id"].as_str().unwrap()).collect()
}

fn names(body: &Value) -> Vec<&str> {
    body["rooms"].as_array().unwrap().iter().map(|room| room["name"].as_str().unwrap()).collect()
}

/// A room as lists show it.
fn summary(room: &str, name: &str, open: bool, user_count: u32, owner: &User) -> Value {
    json!({ "room_id": room, "name": name, "open": open, "user_count": user_count, "owner": owner.id, "kind": "room" })
}

// The directory.

#[test]
fn an_open_room_is_listed_with_its_summary() {
    let (owner, name) = (app().sign_up("owner"), format!("{} lobby", tag()));
    let room = app().create_named_room(&owner, &name, true);
    let expected = json!({ "rooms": [summary(&room, &name, true, 1, &owner)], "index": 0, "room_count": 1 });
    assert_eq!(search(&name), expected);
}

#[test]
fn closed_rooms_never_appear() {
    let (owner, name) = (app().sign_up("owner"), tag());
    app().create_named_room(&owner, &name, false);
    assert_eq!(search(&name), json!({ "rooms": [], "index": 0, "room_count": 0 }));
    let room = app().create_named_room(&owner, &name, true);
    assert_eq!(room_ids(&search(&name)), [room.as_str()]);
    let closing = app().update_room(&room, &owner, json!({ "open": false }));
    closing.assert_status(200);
    assert_eq!(search(&name), json!({ "rooms": [], "index": 0, "room_count": 0 }));
    let opening = app().update_room(&room, &owner, json!({ "open": true }));
    opening.assert_status(200);
    assert_eq!(search(&name)["room_count"], json!(1));
}

#[test]
fn rooms_are_listed_most_members_first() {
    let (owner, name) = (app().sign_up("owner"), tag());
    let rooms: Vec<String> = (0..3).map(|_| app().create_named_room(&owner, &name, true)).collect();
    let joiners: Vec<User> = (0..4).map(|n| app().sign_up(&format!("joiner {n}"))).collect();
    for (room, extra) in rooms.iter().zip([0, 2, 1]) {
        for joiner in &joiners[..extra] {
            app().join(room, joiner);
        }
    }
    let listed = search(&name);
    assert_eq!(room_ids(&listed), [rooms[1].as_str(), rooms[2].as_str(), rooms[0].as_str()]);
    let counts: Vec<&Value> = listed["rooms"].as_array().unwrap().iter().map(|room| &room["user_count"]).collect();
    assert_eq!(counts, [&json!(3), &json!(2), &json!(1)]);
    for joiner in &joiners {
        app().join(&rooms[0], joiner);
    }
    assert_eq!(room_ids(&search(&name)), [rooms[0].as_str(), rooms[1].as_str(), rooms[2].as_str()]);
}

#[test]
fn q_is_a_case_insensitive_substring_of_the_name() {
    let (owner, tag) = (app().sign_up("owner"), tag());
    let room = app().create_named_room(&owner, &format!("The {tag} Lobby"), true);
    for q in
        [format!("the {tag} lobby"), format!("THE {} LOBBY", tag.to_uppercase()), format!("{tag} lOb"), tag.clone()]
    {
        assert_eq!(room_ids(&search(&q)), [room.as_str()], "q = {q}");
    }
    for q in [format!("{tag}  lobby"), format!("lobby {tag}"), format!("{tag} lobbyist")] {
        assert_eq!(search(&q)["room_count"], json!(0), "q = {q}");
    }
}

#[test]
fn q_folds_case_in_any_script() {
    let (owner, tag) = (app().sign_up("owner"), tag());
    let german = app().create_named_room(&owner, &format!("{tag} über café"), true);
    let russian = app().create_named_room(&owner, &format!("{tag} ПРИВЕТ мир"), true);
    let japanese = app().create_named_room(&owner, &format!("{tag} 日本語の部屋"), true);
    for (q, room) in [
        (format!("{tag} ÜBER"), &german),
        (format!("{tag} Über CAFÉ"), &german),
        (format!("{tag} привет МИР"), &russian),
        (format!("{tag} 日本語"), &japanese),
        ("の部屋".to_string(), &japanese),
    ] {
        assert!(room_ids(&search(&q)).contains(&room.as_str()), "q = {q}");
    }
    assert_eq!(search(&format!("{tag} uber"))["room_count"], json!(0));
}

#[test]
fn q_finds_a_greek_name_by_any_part_of_it() {
    // Σ lower-cases to σ inside a word and ς at its end: a query lower-cased on its own must
    // still find the name it is part of ("ΚΟΣ" is the very start of "ΚΟΣΜΟΣ"), and a final σ
    // typed as σ is the same letter in any case ("κοσμοσ" upper-cases to "ΚΟΣΜΟΣ").
    let (owner, tag) = (app().sign_up("owner"), tag());
    let room = app().create_named_room(&owner, &format!("{tag} ΚΟΣΜΟΣ"), true);
    let queries = ["ΚΟΣΜΟΣ", "κοσμος", "ΚΟΣΜ", "ΚΟΣ", "κοσ", "κοσμοσ"].map(|part| format!("{tag} {part}"));
    let missed: Vec<&String> = queries.iter().filter(|q| room_ids(&search(q)) != [room.as_str()]).collect();
    assert_eq!(missed, Vec::<&String>::new(), "these queries did not find {tag} ΚΟΣΜΟΣ");
}

#[test]
fn q_matches_sql_metacharacters_literally() {
    let (owner, tag) = (app().sign_up("owner"), tag());
    let percent = app().create_named_room(&owner, &format!("{tag}-100%_real"), true);
    let plain = app().create_named_room(&owner, &format!("{tag}-abc"), true);
    let quote = app().create_named_room(&owner, &format!("{tag}-it's"), true);
    let dashes = app().create_named_room(&owner, &format!("{tag}-a--b"), true);
    let found = search("%_");
    assert!(room_ids(&found).contains(&percent.as_str()));
    assert!(!room_ids(&found).contains(&plain.as_str()));
    assert!(names(&found).iter().all(|name| name.contains("%_")), "{found}");
    for q in [format!("{tag}-%"), format!("{tag}-_"), format!("{tag}%"), format!("{tag}-a-_b"), format!("{tag}-it''s")]
    {
        assert_eq!(search(&q), json!({ "rooms": [], "index": 0, "room_count": 0 }), "q = {q}");
    }
    for (q, room) in
        [(format!("{tag}-100%_"), &percent), (format!("{tag}-it's"), &quote), (format!("{tag}-a--b"), &dashes)]
    {
        assert_eq!(room_ids(&search(&q)), [room.as_str()], "q = {q}");
    }
    assert_eq!(search(&format!("{tag}-a--b' OR '1'='1"))["room_count"], json!(0));
}

#[test]
fn room_count_counts_every_matching_open_room_and_pages_as_elsewhere() {
    let (owner, name) = (app().sign_up("owner"), tag());
    let mut rooms: Vec<String> = (0..7).map(|_| app().create_named_room(&owner, &name, true)).collect();
    app().create_named_room(&owner, &name, false);
    rooms.sort(); // Equal member counts: in room_id order.
    let mut seen = Vec::new();
    for offset in [0, 3, 6, 9] {
        let page = app().open_rooms(&[("q", &name), ("limit", "3"), ("offset", &offset.to_string())]);
        page.assert_status(200);
        assert_eq!((&page.body["index"], &page.body["room_count"]), (&json!(offset), &json!(7)));
        seen.extend(room_ids(&page.body).into_iter().map(str::to_string));
    }
    assert_eq!(seen, rooms);
    let count_only = app().open_rooms(&[("q", &name), ("limit", "0")]);
    count_only.assert_ok(200, json!({ "rooms": [], "index": 0, "room_count": 7 }));
}

#[test]
fn bad_paging_parameters_are_400() {
    for (name, value) in [("limit", "501"), ("limit", "-1"), ("limit", "x"), ("offset", "-1"), ("offset", "2147483648")]
    {
        app().open_rooms(&[(name, value)]).assert_error(400);
        app().open_rooms(&[("q", "x"), (name, value)]).assert_error(400);
    }
    assert_eq!(app().open_rooms(&[("limit", "500"), ("offset", "2147483647")]).body["rooms"], json!([]));
}

#[test]
fn renaming_a_room_changes_what_finds_it() {
    let (room, old, new) = (Staffed::new(true), tag(), tag());
    let renamed = app().update_room(&room.id, &room.admin, json!({ "name": old }));
    renamed.assert_status(200);
    assert_eq!(room_ids(&search(&old)), [room.id.as_str()]);
    let renamed = app().update_room(&room.id, &room.admin, json!({ "name": new.to_uppercase() }));
    renamed.assert_status(200);
    assert_eq!(search(&old)["room_count"], json!(0));
    assert_eq!(
        search(&new),
        json!({ "rooms": [summary(&room.id, &new.to_uppercase(), true, 3, &room.owner)], "index": 0, "room_count": 1 })
    );
}

#[test]
fn a_query_shorter_than_a_piece_finds_each_room_once() {
    // ŧ is in no other test's names; this one starts several indexed pieces with it.
    let (owner, tag) = (app().sign_up("owner"), tag());
    let room = app().create_named_room(&owner, &format!("ŧŧŧ {tag} ŧaŧ ŧ"), true);
    for q in ["ŧ", "Ŧŧ", "ŧ ", "ŧa"] {
        assert_eq!(room_ids(&search(q)), [room.as_str()], "q = {q}");
        assert_eq!(search(q)["room_count"], json!(1), "q = {q}");
    }
}

#[test]
fn a_name_is_indexed_by_at_most_one_row_per_character() {
    with_database(|app| {
        let owner = app.sign_up("owner");
        // 64 different characters: 1-, 2- and 3-character pieces were 189 rows.
        let name: String = ('一'..).take(64).collect();
        let room = app.create_named_room(&owner, &name, true);
        let rows = app.sql(&format!("SELECT count(*) AS n FROM room_grams WHERE room_id = '{room}'"));
        assert_eq!(rows, vec![json!({ "n": 64 })]);
        let renamed = app.update_room(&room, &owner, json!({ "name": format!("{name} 部屋") }));
        renamed.assert_status(200);
        let rows = app.sql(&format!("SELECT count(*) AS n FROM room_grams WHERE room_id = '{room}'"));
        assert_eq!(rows, vec![json!({ "n": 67 })]);
        let middle: String = name.chars().skip(30).take(2).collect();
        assert!(room_ids(&app.open_rooms(&[("q", &middle), ("limit", "500")]).body).contains(&room.as_str()));
    });
}

#[test]
fn without_q_the_directory_counts_every_open_room_exactly() {
    with_database(|app| {
        // The instance is this test's alone while it runs, so the counts are exact.
        let total = || {
            let answer = app.open_rooms(&[("limit", "500")]).body;
            assert_eq!(json!(answer["rooms"].as_array().unwrap().len()), answer["room_count"], "{answer}");
            assert_eq!(app.open_rooms(&[("q", ""), ("limit", "500")]).body, answer);
            let counts: Vec<i64> =
                answer["rooms"].as_array().unwrap().iter().map(|room| room["user_count"].as_i64().unwrap()).collect();
            assert!(counts.windows(2).all(|pair| pair[0] >= pair[1]), "not most members first: {counts:?}");
            answer["room_count"].as_i64().unwrap()
        };
        let start = total();
        let owner = app.sign_up("owner");
        let open: Vec<String> = (0..3).map(|_| app.create_named_room(&owner, "open", true)).collect();
        let closed = app.create_named_room(&owner, "closed", false);
        assert_eq!(total(), start + 3);
        let patch = |room: &str, open: bool| app.update_room(room, &owner, json!({ "open": open }));
        assert_eq!(patch(&open[0], false).status, 200);
        assert_eq!(total(), start + 2);
        assert_eq!(app.delete_room(&open[1], &owner).status, 204);
        assert_eq!(total(), start + 1);
        assert_eq!(patch(&closed, true).status, 200);
        assert_eq!(total(), start + 2);
        let in_database = app.sql("SELECT count(*) AS rooms FROM rooms WHERE open = 1");
        assert_eq!(in_database, vec![json!({ "rooms": start + 2 })]);
    });
}

// A user's own rooms.

/// The user's rooms, each row without its `read_seq` (a seq of the room's events, which the
/// room's object tells D1 a moment after a join: `tests/api/counts.rs` checks it).
fn my_rooms(user: &User) -> Value {
    let response = app().rooms_of(&user.id, user, &[]);
    response.assert_status(200);
    without_read_seq(response.body)
}

fn without_read_seq(mut listed: Value) -> Value {
    for row in listed["rooms"].as_array_mut().into_iter().flatten() {
        row.as_object_mut().map(|row| row.remove("read_seq"));
    }
    listed
}

/// A room of the user's own, as their list shows it before any message.
fn mine(room: &str, name: &str, open: bool, user_count: u32, owner: &User) -> Value {
    let mut row = summary(room, name, open, user_count, owner);
    let quiet = json!({ "last_seq": 0, "last_message_at": null, "unread": 0, "mentions": 0, "marked_unread": false });
    row.as_object_mut().unwrap().extend(quiet.as_object().unwrap().clone());
    row
}

/// Lets the next membership start in a later millisecond than the last, so that join order
/// is unambiguous.
fn tick() {
    std::thread::sleep(Duration::from_millis(5));
}

#[test]
fn a_user_lists_their_rooms_in_join_order_closed_ones_included() {
    let user = app().sign_up("user");
    let own = app().create_named_room(&user, "my own", true);
    tick();
    let joined = Staffed::new(true);
    app().join(&joined.id, &user);
    tick();
    let closed = Staffed::new(false);
    app().bring_in(&closed.id, &closed.admin, &user);
    let expected = json!({
        "rooms": [
            mine(&own, "my own", true, 1, &user),
            mine(&joined.id, "test room", true, 4, &joined.owner),
            mine(&closed.id, "test room", false, 4, &closed.owner),
        ],
        "index": 0,
        "room_count": 3,
    });
    assert_eq!(my_rooms(&user), expected);
    assert_eq!(without_read_seq(app().rooms_of(&user.id, NOBODY, &[("key", &user.key)]).body), expected);
}

#[test]
fn rooms_left_removed_or_banned_from_disappear() {
    let user = app().sign_up("user");
    let rooms: Vec<Staffed> = (0..4).map(|n| Staffed::new(n % 2 == 0)).collect();
    for room in &rooms {
        app().bring_in(&room.id, &room.owner, &user);
    }
    assert_eq!(my_rooms(&user)["room_count"], json!(4));
    app().remove_member(&rooms[0].id, &user, &user.id).assert_ok(200, json!({ "present": false }));
    app().remove_member(&rooms[1].id, &rooms[1].admin, &user.id).assert_ok(200, json!({ "present": false }));
    app().ban(&rooms[2].id, &rooms[2].owner, &user.id).assert_ok(200, json!({ "banned": true }));
    let left = my_rooms(&user);
    assert_eq!((room_ids(&left), &left["room_count"]), (vec![rooms[3].id.as_str()], &json!(1)));
    app().join_as(&rooms[0].id, &user).assert_ok(200, json!({ "present": true }));
    assert_eq!(room_ids(&my_rooms(&user)), [rooms[3].id.as_str(), rooms[0].id.as_str()]);
}

#[test]
fn only_the_user_themself_lists_their_rooms() {
    let (user, other) = (app().sign_up("user"), app().sign_up("other"));
    app().create_named_room(&user, "mine", false);
    app().rooms_of(&user.id, &other, &[]).assert_error(403);
    app().rooms_of(&user.id, NOBODY, &[]).assert_error(403);
    app().rooms_of(&user.id, "5a".repeat(32), &[]).assert_error(401);
    app().rooms_of("not-a-user", &user, &[]).assert_error(400);
    assert_eq!(my_rooms(&user)["room_count"], json!(1));
}

#[test]
fn a_users_rooms_are_paged_as_elsewhere() {
    let user = app().sign_up("user");
    let mut rooms = Vec::new();
    for n in 0..5 {
        rooms.push(app().create_named_room(&user, &format!("room {n}"), n % 2 == 0));
        tick();
    }
    let page = app().rooms_of(&user.id, &user, &[("limit", "2"), ("offset", "2")]);
    page.assert_status(200);
    assert_eq!(
        (room_ids(&page.body), &page.body["index"], &page.body["room_count"]),
        (vec![rooms[2].as_str(), rooms[3].as_str()], &json!(2), &json!(5))
    );
    let past_the_end = app().rooms_of(&user.id, &user, &[("offset", "5")]);
    past_the_end.assert_ok(200, json!({ "rooms": [], "index": 5, "room_count": 5 }));
    for (name, value) in [("limit", "501"), ("limit", "-1"), ("offset", "x")] {
        app().rooms_of(&user.id, &user, &[(name, value)]).assert_error(400);
    }
}

#[test]
fn a_users_room_count_equals_their_memberships_in_the_database() {
    with_database(|app| {
        let user = app.sign_up("user");
        let rooms: Vec<Staffed> = (0..4).map(|n| Staffed::on(app, n % 2 == 0)).collect();
        for room in &rooms {
            app.bring_in(&room.id, &room.admin, &user);
            // Twice: a present member's invitation is 409, and their join changes nothing.
            app.invite(&room.id, &room.admin, &user.id).assert_error(409);
            app.join_as(&room.id, &user).assert_ok(200, json!({ "present": true }));
        }
        app.remove_member(&rooms[0].id, &user, &user.id).assert_ok(200, json!({ "present": false }));
        app.remove_member(&rooms[0].id, &user, &user.id).assert_ok(200, json!({ "present": false }));
        app.ban(&rooms[1].id, &rooms[1].owner, &user.id).assert_ok(200, json!({ "banned": true }));
        assert_eq!(app.delete_room(&rooms[2].id, &rooms[2].owner).status, 204);
        let row = app.sql(&format!(
            "SELECT room_count, (SELECT count(*) FROM members WHERE user_id = u.user_id AND present = 1) AS rows
               FROM users AS u WHERE user_id = '{}'",
            user.id
        ));
        assert_eq!(row, vec![json!({ "room_count": 1, "rows": 1 })]);
        let listed = app.rooms_of(&user.id, &user, &[]);
        assert_eq!((room_ids(&listed.body), &listed.body["room_count"]), (vec![rooms[3].id.as_str()], &json!(1)));
    });
}
