//! A room past `ROOM_SOCKETS_PER_OBJECT` sockets (2 on this instance): its object places the
//! rest in fan-out objects, and a client cannot tell which object holds its socket. Every
//! event reaches every socket once and in order (the socket helper checks each `seq`), a
//! sender hears its message before its `sent`, typing, read positions and presence cross
//! between objects, resume replays from a fan-out object, and every access change closes
//! exactly the sockets it closes in one object. (The whole live suite also runs this way with
//! `CHATROOMS_TEST_VARS=ROOM_SOCKETS_PER_OBJECT=1`.)

use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::helpers::{TestApp, User};
use crate::live::helpers::{Live, Way, ACCESS_LOST, KEY_ENDED, ROOM_DELETED};
use crate::live::posted;
use crate::logs::{lines_after, request_lines};

fn spread() -> &'static TestApp {
    static APP: OnceLock<TestApp> = OnceLock::new();
    APP.get_or_init(|| TestApp::spawn(&[("ROOM_SOCKETS_PER_OBJECT", "2")]))
}

/// An open room, its owner and four more members.
struct Crowd {
    room: String,
    owner: User,
    members: [User; 4],
}

impl Crowd {
    fn new() -> Self {
        let app = spread();
        let owner = app.sign_up("owner");
        let room = app.create_room(&owner, true);
        let members: [User; 4] = std::array::from_fn(|i| app.sign_up(&format!("member{i}")));
        for member in &members {
            app.bring_in(&room, &owner, member);
        }
        Self { room, owner, members }
    }

    fn socket(&self, user: &User) -> Live {
        Live::bearer(spread(), &self.room, user)
    }
}

/// The events among the frames, as `(type, seq)`.
fn events(frames: &[Value]) -> Vec<(String, i64)> {
    frames.iter().filter_map(|frame| Some((frame["type"].as_str()?.to_owned(), frame["seq"].as_i64()?))).collect()
}

#[test]
fn past_its_share_a_room_spreads_its_sockets_and_every_one_gets_every_event_once_in_order() {
    let app = spread();
    let crowd = Crowd::new();
    let before = request_lines(app).len();
    // The owner and the first member fill the room's own object; the rest go to fan-out objects.
    let mut sockets: Vec<Live> = vec![crowd.socket(&crowd.owner)];
    sockets.extend(crowd.members.iter().map(|member| crowd.socket(member)));
    sockets.push(Live::viewer(app, &crowd.room));
    sockets.push(Live::viewer(app, &crowd.room));
    let placed: Vec<i64> = lines_after(app, before, sockets.len())
        .iter()
        .filter(|line| line["route"] == "/room/:room_id/live" && line["status"] == 101)
        .filter_map(|line| line["fan"].as_i64())
        .collect();
    assert!(placed.len() >= 5, "sockets past the room's 2 went to fan-out objects: {placed:?}");
    assert!(placed.contains(&0) && placed.contains(&1) && placed.contains(&2), "{placed:?}");

    let first = posted(app, &crowd.room, &crowd.owner, "one");
    posted(app, &crowd.room, &crowd.members[0], "two");
    // A member whose socket is in a fan-out object sends: its message comes, then its `sent`.
    // (The edit waits for the `sent`, so that the room numbers it after the message.)
    let sender = sockets.get_mut(3).unwrap();
    sender.post("three", "t3");
    let mut heard = Vec::new();
    while heard.last().is_none_or(|frame: &Value| frame["type"] != "sent") {
        heard.push(sender.next());
    }
    let own = heard.iter().position(|frame| frame["type"] == "message" && frame["message"]["text"] == "three");
    assert!(own.is_some_and(|own| own < heard.len() - 1), "the sender's message came before its sent: {heard:?}");
    let edited = app.edit_message(&crowd.room, &crowd.owner, first["message_id"].as_str().unwrap(), "one, edited");
    edited.assert_status(200);
    let mut seen = Vec::new();
    for (at, socket) in sockets.iter_mut().enumerate() {
        let mut frames = if at == 3 { std::mem::take(&mut heard) } else { Vec::new() };
        while events(&frames).len() < 4 {
            frames.push(socket.next());
        }
        seen.push(events(&frames));
        socket.assert_quiet();
    }
    let expected = seen[0].clone();
    assert_eq!(
        expected.iter().map(|(kind, _)| kind.as_str()).collect::<Vec<_>>(),
        ["message", "message", "message", "message_edited"]
    );
    for (at, got) in seen.iter().enumerate() {
        assert_eq!(got, &expected, "socket {at}");
    }
}

#[test]
fn typing_read_positions_and_presence_cross_between_objects() {
    let app = spread();
    let crowd = Crowd::new();
    let [first, second, third, _] = &crowd.members;
    let mut owner = crowd.socket(&crowd.owner);
    let _first = crowd.socket(first);
    // The room's own object is full: the second member's sockets go together to a fan-out object.
    let mut one = crowd.socket(second);
    let mut other = crowd.socket(second);
    let mut watcher = crowd.socket(third);
    let mut everyone = vec![crowd.owner.id.clone(), first.id.clone(), second.id.clone(), third.id.clone()];
    everyone.sort();
    wait_for_presence(&mut owner, &everyone);
    wait_for_presence(&mut watcher, &everyone);

    one.send(json!({ "type": "typing" }));
    for socket in [&mut owner, &mut other, &mut watcher] {
        assert_eq!(socket.next_of("typing")["user_id"], second.id);
    }
    one.assert_quiet();

    let message = posted(app, &crowd.room, &crowd.owner, "read me");
    for socket in [&mut owner, &mut one, &mut other, &mut watcher] {
        socket.next_of("message");
    }
    one.send(json!({ "type": "read", "seq": message["seq"] }));
    assert_eq!(other.next_of("read")["seq"], message["seq"]);
    one.assert_quiet();
    watcher.assert_quiet();

    one.close();
    other.close();
    everyone.retain(|user| *user != second.id);
    wait_for_presence(&mut owner, &everyone);
    wait_for_presence(&mut watcher, &everyone);
}

#[test]
fn a_socket_in_a_fan_out_object_resumes_from_its_last_seq_or_is_reset() {
    let app = spread();
    let crowd = Crowd::new();
    let _owner = crowd.socket(&crowd.owner);
    let _first = crowd.socket(&crowd.members[0]);
    let member = &crowd.members[1];
    let mut away = crowd.socket(member);
    posted(app, &crowd.room, &crowd.owner, "before");
    away.next_of("message");
    let last = away.seq();
    away.close();
    for text in ["one", "two", "three"] {
        posted(app, &crowd.room, &crowd.owner, text);
    }
    let (mut back, replayed) = Live::resume(app, &crowd.room, Way::Bearer(&member.key), last);
    let texts: Vec<&str> = replayed.iter().filter_map(|frame| frame["message"]["text"].as_str()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    assert_eq!(back.seq(), last + 3);
    posted(app, &crowd.room, &crowd.owner, "live again");
    assert_eq!(back.next_of("message")["seq"], last + 4);

    let (_, before_ready) = Live::resume(app, &crowd.room, Way::Viewer, last + 1000);
    assert_eq!(before_ready.first().map(|frame| frame["type"].clone()), Some(json!("reset")));
}

#[test]
fn access_changes_close_exactly_their_sockets_in_every_object() {
    let app = spread();
    let crowd = Crowd::new();
    let [first, second, third, fourth] = &crowd.members;
    let mut owner = crowd.socket(&crowd.owner);
    let mut kept = crowd.socket(first);
    let mut banned = crowd.socket(second);
    let mut logged_out = crowd.socket(third);
    let mut viewer = Live::viewer(app, &crowd.room);
    let mut stays = crowd.socket(fourth);

    app.ban(&crowd.room, &crowd.owner, &second.id).assert_status(200);
    for socket in [&mut owner, &mut kept, &mut banned, &mut logged_out, &mut viewer, &mut stays] {
        assert_eq!(socket.next_of("member_left")["user_id"], second.id);
    }
    banned.expect_close(ACCESS_LOST);

    app.revoke(third, json!({ "user_id": third.id })).assert_status(204);
    logged_out.expect_close(KEY_ENDED);

    // Closing the room: those who are not members (the viewer) go.
    let closed = app.update_room(&crowd.room, &crowd.owner, json!({ "open": false }));
    closed.assert_status(200);
    for socket in [&mut owner, &mut kept, &mut viewer, &mut stays] {
        socket.next_of("room_updated");
    }
    viewer.expect_close(ACCESS_LOST);
    for socket in [&mut owner, &mut kept, &mut stays] {
        socket.assert_quiet();
    }

    assert_eq!(app.delete_room(&crowd.room, &crowd.owner).status, 204);
    for socket in [&mut owner, &mut kept, &mut stays] {
        socket.next_of("room_deleted");
        socket.expect_close(ROOM_DELETED);
    }
}

/// Reads `presence` frames until one lists exactly `users` (sorted).
fn wait_for_presence(socket: &mut Live, users: &[String]) {
    while socket.presence() != users {}
}
