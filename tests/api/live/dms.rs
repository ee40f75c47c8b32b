//! A DM's socket: its two people's (the person invited reads over HTTP until they accept), with
//! nobody its admin or owner; a send is refused while the other person has declined, left or
//! blocked the sender, and taken again once they are back, the socket staying open throughout.

use serde_json::{json, Value};

use crate::helpers::{app, User};
use crate::live::helpers::{Live, Way};

/// `from` opens a DM with `to`: its room's id.
fn dm(from: &User, to: &User) -> String {
    let opened = app().dm(from, &to.id);
    opened.assert_status(200);
    opened.str("room_id")
}

/// Sends over `socket` and returns the answer: `sent` (with the `message` frame read past) or
/// an `error`.
fn send(socket: &mut Live, text: &str, txn_id: &str) -> Value {
    socket.post(text, txn_id);
    let answer = socket.next();
    if answer["type"] == "message" {
        return socket.next();
    }
    if answer["type"] == "sent" {
        socket.next_of("message");
    }
    answer
}

#[test]
fn a_dms_socket_is_its_two_peoples_and_hello_says_it_is_a_dm_without_an_owner() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let room = dm(&ann, &bob);
    let mut started = Live::bearer(app(), &room, &ann);
    let hello = &started.hello;
    assert_eq!(hello["room"], app().room(&room, &ann).body, "the room as GET shows it");
    assert_eq!(hello["room"]["kind"], "dm");
    assert_eq!(hello["room"]["people"], json!([ann.id, bob.id]));
    let you = json!({ "user_id": ann.id, "present": true, "admin": false, "owner": false });
    assert_eq!(crate::live::ways::standing(hello), you);
    // The person invited reads it over HTTP, not over a socket, until they accept.
    let refused = Live::try_connect(app(), &room, Way::Bearer(&bob.key), None).map(|_| ()).unwrap_err();
    refused.assert_error(403);
    app().join_as(&room, &bob).assert_status(200);
    assert_eq!(started.next_of("member_joined")["user_id"], bob.id);
    let accepted = Live::bearer(app(), &room, &bob);
    assert_eq!(accepted.hello["you"]["owner"], false);
}

#[test]
fn a_send_is_refused_while_the_other_person_blocks_or_has_left_and_taken_once_they_are_back() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let room = dm(&ann, &bob);
    app().join_as(&room, &bob).assert_status(200);
    let mut sender = Live::bearer(app(), &room, &ann);
    let mut other = Live::bearer(app(), &room, &bob);

    app().block(&bob, &ann.id, true).assert_status(200);
    let refused = send(&mut sender, "hello?", "while-blocked");
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["txn_id"], "while-blocked");
    // The socket stays: its person still reads what the other writes.
    assert_eq!(send(&mut other, "I blocked you", "blocker")["type"], "sent");
    assert_eq!(sender.next_of("message")["message"]["text"], "I blocked you");

    app().block(&bob, &ann.id, false).assert_status(200);
    assert_eq!(send(&mut sender, "thanks", "unblocked")["type"], "sent");
    other.next_of("message");

    // The other person leaves: nobody to write to, until they open it again.
    app().remove_member(&room, &bob, &bob.id).assert_status(200);
    assert_eq!(sender.next_of("member_left")["user_id"], bob.id);
    assert_eq!(send(&mut sender, "still there?", "after-leaving")["type"], "error");
    assert_eq!(dm(&bob, &ann), room);
    assert_eq!(sender.next_of("member_joined")["user_id"], bob.id);
    assert_eq!(send(&mut sender, "welcome back", "back")["type"], "sent");
}
