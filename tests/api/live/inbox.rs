//! The person's inbox (`GET /user/{id}/live`): only its owner opens it; `hello` lists their
//! rooms; a room's activity, reads and mentions reach it at the room's next flush, a membership
//! change at once; many members' inboxes are reached through relays; an ended key closes it.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

use super::helpers::{handshake, Refusal, Way};
use crate::helpers::{app, Staffed, TestApp, User};

/// Patience for what must come (a flush a second, relays, a busy machine): it decides nothing.
const PATIENCE: Duration = Duration::from_secs(60);

struct Inbox {
    socket: WebSocket<TcpStream>,
    hello: Value,
}

fn inbox_path(user_id: &str, way: Way) -> String {
    match way {
        Way::Ticket(ticket) => format!("/user/{user_id}/live?ticket={ticket}"),
        _ => format!("/user/{user_id}/live"),
    }
}

impl Inbox {
    fn try_open(app: &TestApp, user_id: &str, way: Way) -> Result<Self, Refusal> {
        let socket = handshake(app, &inbox_path(user_id, way), way)?;
        let mut inbox = Self { socket, hello: Value::Null };
        inbox.hello = inbox.next();
        assert_eq!(inbox.hello["type"], "hello", "the first frame is not hello: {}", inbox.hello);
        inbox.socket.send(Message::text(chatrooms::live::frames::PING)).unwrap();
        Ok(inbox)
    }

    #[track_caller]
    fn open(app: &TestApp, user: &User) -> Self {
        Self::try_open(app, &user.id, Way::Bearer(&user.key)).unwrap_or_else(|refusal| panic!("refused: {refusal:?}"))
    }

    /// The next frame but `pong`, or what ended the socket.
    fn read(&mut self) -> Result<Value, Option<u16>> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "nothing within {PATIENCE:?}");
            self.socket.get_mut().set_read_timeout(Some(left)).unwrap();
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    if frame["type"] != "pong" {
                        return Ok(frame);
                    }
                }
                Ok(Message::Close(close)) => return Err(close.map(|close| u16::from(close.code))),
                Ok(_) => {}
                Err(error) => panic!("the inbox socket failed: {error}\n{}", app().log()),
            }
        }
    }

    #[track_caller]
    fn next(&mut self) -> Value {
        self.read().unwrap_or_else(|close| panic!("closed ({close:?}) while a frame was expected"))
    }

    /// Frames until one of `kind` that `matches`; that one.
    #[track_caller]
    fn until(&mut self, kind: &str, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let frame = self.next();
            if frame["type"] == kind && matches(&frame) {
                return frame;
            }
        }
    }

    /// The code the socket closed with, skipping any frames before.
    fn closed(&mut self) -> Option<u16> {
        loop {
            if let Err(code) = self.read() {
                return code;
            }
        }
    }
}

fn ticket(app: &TestApp, user_id: &str, by: &User) -> crate::helpers::Resp {
    app.post(&format!("/user/{user_id}/live")).by(by).json(json!({}))
}

#[test]
fn only_its_owner_opens_a_persons_inbox_and_hello_lists_their_rooms() {
    let room = Staffed::new(true);
    let (ann, other) = (app().sign_up("ann"), app().sign_up("other"));
    app().join(&room.id, &ann);
    // Once the room told D1 where the join left her (its flush), the rows stand still.
    let listed = || app().rooms_of(&ann.id, &ann, &[("sort", "activity")]).body["rooms"].clone();
    assert!(crate::helpers::eventually(|| listed()[0]["read_seq"].as_i64() > Some(0)), "{}", listed());
    let inbox = Inbox::open(app(), &ann);
    let rooms = inbox.hello["rooms"].as_array().unwrap().clone();
    assert_eq!(json!(rooms), listed(), "hello lists the rooms as the rooms list does");
    assert_eq!(rooms.len(), 1);

    for way in [Way::Bearer(&other.key), Way::Viewer] {
        let refused = Inbox::try_open(app(), &ann.id, way).err().expect("opened someone else's inbox");
        assert_eq!(refused.status, 404, "{way:?}: {}", refused.text);
    }
    ticket(app(), &ann.id, &other).assert_error(404);
    let issued = ticket(app(), &ann.id, &ann);
    issued.assert_status(200);
    let ticket_text = issued.str("ticket");
    let ticketed = Inbox::try_open(app(), &ann.id, Way::Ticket(&ticket_text)).unwrap();
    assert_eq!(ticketed.hello["rooms"], json!(rooms));
    let reused = Inbox::try_open(app(), &ann.id, Way::Ticket(&ticket_text)).err().expect("a ticket served twice");
    assert_eq!(reused.status, 401);
    let other_ticket = ticket(app(), &other.id, &other).str("ticket");
    let foreign = Inbox::try_open(app(), &ann.id, Way::Ticket(&other_ticket)).err().expect("another's ticket served");
    assert_eq!(foreign.status, 401, "a ticket is its own inbox's");
    assert_eq!(app().get(&format!("/user/{}/live", ann.id)).by(&ann).send().status, 426);
    let in_url = handshake(app(), &format!("/user/{}/live?key={}", ann.id, ann.key), Way::Viewer).err().unwrap();
    assert_eq!(in_url.status, 400);
}

#[test]
fn a_rooms_activity_reads_and_mentions_reach_the_inbox() {
    let room = Staffed::new(true);
    let ann = app().sign_up("ann");
    app().join(&room.id, &ann);
    let mut inbox = Inbox::open(app(), &ann);
    let here = |frame: &Value| frame["room_id"] == room.id.as_str();
    let first = app().post_message(&room.id, &room.member, "one");
    let activity = inbox.until("room_activity", |frame| here(frame) && frame["last_seq"] == first.body["seq"]);
    assert_eq!(
        activity,
        json!({ "type": "room_activity", "room_id": room.id, "last_seq": first.body["seq"],
                "last_message_at": first.body["sent_at"], "unread": 1, "mentions": 0 })
    );
    let body = json!({ "text": "ann, look", "mentions": [ann.id] });
    let mentioning = app().post(&format!("/room/{}/messages", room.id)).by(&room.member).json(body);
    mentioning.assert_status(201);
    let mention = inbox.until("mention", here);
    assert_eq!(mention["message"], mentioning.body);
    // Read on another device: this one hears where, and the counts it leaves.
    let seq = mentioning.body["seq"].as_i64().unwrap();
    app().put(&format!("/room/{}/read", room.id)).by(&ann).json(json!({ "seq": seq })).assert_status(200);
    let mut before = Vec::new();
    let read = loop {
        let frame = inbox.next();
        if frame["type"] == "read" && here(&frame) {
            break frame;
        }
        before.push(frame);
    };
    assert_eq!(read["read_seq"], seq);
    // In the same push, just before: where that leaves them.
    let cleared = before.last().unwrap();
    assert_eq!(
        (&cleared["type"], &cleared["unread"], &cleared["mentions"]),
        (&json!("room_activity"), &json!(0), &json!(0))
    );
}

#[test]
fn membership_changes_reach_the_persons_inbox() {
    let room = Staffed::new(false);
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let mut inbox = Inbox::open(app(), &ann);
    let here = |frame: &Value| frame["room_id"] == room.id.as_str();
    app().invite(&room.id, &room.admin, &ann.id).assert_status(200);
    assert_eq!(inbox.until("invited", here)["by"], room.admin.id.as_str());
    app().join(&room.id, &ann);
    inbox.until("joined", here);
    app().remove_member(&room.id, &room.admin, &ann.id).assert_status(200);
    assert_eq!(inbox.until("left", here)["reason"], "removed");
    let dm = app().dm(&bob, &ann.id).str("room_id");
    let request = inbox.until("dm_request", |frame| frame["room_id"] == dm.as_str());
    assert_eq!(request["from"], bob.id.as_str());
}

#[test]
fn a_rooms_deletion_reaches_its_members_open_inboxes() {
    let room = Staffed::new(true);
    let mut member = Inbox::open(app(), &room.member);
    let mut admin = Inbox::open(app(), &room.admin);
    let listed =
        |hello: &Value| hello["rooms"].as_array().unwrap().iter().any(|row| row["room_id"] == room.id.as_str());
    assert!(listed(&member.hello));
    app().delete_room(&room.id, &room.owner).assert_status(204);
    for inbox in [&mut member, &mut admin] {
        assert_eq!(inbox.until("left", |frame| frame["room_id"] == room.id.as_str())["reason"], "deleted");
    }
    // A fresh hello no longer lists it.
    assert!(!listed(&Inbox::open(app(), &room.member).hello));
}

#[test]
fn an_ended_key_closes_its_inbox_socket_and_only_its() {
    let ann = app().sign_up("ann");
    let other_key = app().log_in(&ann.id, crate::helpers::PASSWORD).str("key");
    let other = User { id: ann.id.clone(), key: other_key };
    let mut kept = Inbox::open(app(), &ann);
    let mut ended = Inbox::open(app(), &other);
    app().revoke(&other, json!({ "user_id": ann.id })).assert_status(204);
    assert_eq!(ended.closed(), Some(4001));
    // The other socket still hears.
    let room = Staffed::new(true);
    app().join(&room.id, &ann);
    kept.until("joined", |frame| frame["room_id"] == room.id.as_str());
}

#[test]
fn many_members_inboxes_hear_a_post_through_relays() {
    // Two calls a handler at most: five inboxes take the relays' path.
    let app = TestApp::spawn(&[("INBOX_FANOUT", "2")]);
    let owner = app.sign_up("owner");
    let room = app.create_room(&owner, true);
    let members: Vec<User> = (0..5).map(|n| app.sign_up(&format!("member{n}"))).collect();
    let mut inboxes: Vec<Inbox> = members
        .iter()
        .map(|member| {
            app.join(&room, member);
            Inbox::open(&app, member)
        })
        .collect();
    let posted = app.post_message(&room, &owner, "to all of you");
    posted.assert_status(201);
    for inbox in &mut inboxes {
        let heard = inbox.until("room_activity", |frame| frame["last_seq"] == posted.body["seq"]);
        assert_eq!((&heard["room_id"], &heard["unread"]), (&json!(room), &json!(1)));
    }
}
