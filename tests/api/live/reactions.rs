//! Reactions over the live socket: `reaction_added` and `reaction_removed` to every socket with
//! the key's count, nothing for a reaction that changes nothing, an edited message's reactions
//! saying `me` to each socket's own person, and a resume across reactions ending where the
//! room is.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::{app, Staffed};
use crate::live::helpers::{Live, Way};
use crate::live::posted;
use crate::reactions::{react, unreact};

#[test]
fn every_socket_hears_a_reaction_and_its_taking_back_with_the_keys_count() {
    let room = Staffed::new(true);
    let mut owner = Live::bearer(app(), &room.id, &room.owner);
    let mut viewer = Live::viewer(app(), &room.id);
    let message = posted(app(), &room.id, &room.owner, "react")["message_id"].as_str().unwrap().to_owned();
    owner.next_of("message");
    viewer.next_of("message");
    react(&room.id, &room.member, &message, "🎉").assert_status(200);
    let added = owner.next_of("reaction_added");
    let seq = added["seq"].as_i64().unwrap();
    let expected = json!({ "type": "reaction_added", "seq": seq, "message_id": message, "key": "🎉",
                           "user_id": room.member.id, "count": 1 });
    assert_eq!(added, expected);
    assert_eq!(viewer.next_of("reaction_added"), expected);
    // Again, or taking back what one has not: no event.
    react(&room.id, &room.member, &message, "🎉").assert_status(200);
    unreact(&room.id, &room.admin, &message, "🎉").assert_status(200);
    owner.assert_quiet();
    unreact(&room.id, &room.member, &message, "🎉").assert_status(200);
    let removed = json!({ "type": "reaction_removed", "seq": seq + 1, "message_id": message, "key": "🎉",
                          "user_id": room.member.id, "count": 0 });
    assert_eq!(owner.next_of("reaction_removed"), removed);
    assert_eq!(viewer.next_of("reaction_removed"), removed);
}

#[test]
fn an_edited_message_tells_each_socket_its_own_reactions() {
    let room = Staffed::new(true);
    let message = posted(app(), &room.id, &room.member, "draft")["message_id"].as_str().unwrap().to_owned();
    react(&room.id, &room.member, &message, "👍").assert_status(200);
    react(&room.id, &room.admin, &message, "👍").assert_status(200);
    react(&room.id, &room.admin, &message, "👀").assert_status(200);
    let mut sockets: Vec<(&str, Live)> = vec![
        ("member", Live::bearer(app(), &room.id, &room.member)),
        ("admin", Live::bearer(app(), &room.id, &room.admin)),
        ("owner", Live::bearer(app(), &room.id, &room.owner)),
        ("viewer", Live::viewer(app(), &room.id)),
    ];
    app().edit_message(&room.id, &room.member, &message, "final").assert_status(200);
    let seen: BTreeMap<&str, Value> = sockets
        .iter_mut()
        .map(|(who, socket)| (*who, socket.next_of("message_edited")["message"]["reactions"].clone()))
        .collect();
    let reactions = |thumb: bool, eyes: bool| json!([{ "key": "👍", "count": 2, "me": thumb }, { "key": "👀", "count": 1, "me": eyes }]);
    assert_eq!(seen["member"], reactions(true, false));
    assert_eq!(seen["admin"], reactions(true, true));
    assert_eq!(seen["owner"], reactions(false, false));
    assert_eq!(seen["viewer"], reactions(false, false));
}

/// A message's reactions as a client keeps them from frames: set by the message shown, then
/// each reaction event sets its key's count, and `me` for the client's own person.
fn follow(frames: &[Value], me: &str) -> BTreeMap<String, Value> {
    let mut messages: BTreeMap<String, Value> = BTreeMap::new();
    for frame in frames {
        match frame["type"].as_str().unwrap() {
            "message" | "message_edited" => {
                let message = &frame["message"];
                messages.insert(message["message_id"].as_str().unwrap().to_owned(), message["reactions"].clone());
            }
            kind @ ("reaction_added" | "reaction_removed") => {
                let reactions = messages.get_mut(frame["message_id"].as_str().unwrap()).unwrap();
                let list = reactions.as_array_mut().unwrap();
                let mine = frame["user_id"] == me;
                match list.iter_mut().find(|r| r["key"] == frame["key"]) {
                    Some(reaction) => {
                        reaction["count"] = frame["count"].clone();
                        if mine {
                            reaction["me"] = json!(kind == "reaction_added");
                        }
                    }
                    None => list.push(json!({ "key": frame["key"], "count": frame["count"],
                                              "me": mine && kind == "reaction_added" })),
                }
                list.retain(|r| r["count"] != 0);
            }
            _ => {}
        }
    }
    messages
}

#[test]
fn a_resume_across_reactions_replays_them_and_ends_where_the_room_is() {
    let room = Staffed::new(true);
    let mut watcher = Live::bearer(app(), &room.id, &room.admin);
    let start = watcher.seq();
    let one = posted(app(), &room.id, &room.owner, "one")["message_id"].as_str().unwrap().to_owned();
    let two = posted(app(), &room.id, &room.owner, "two")["message_id"].as_str().unwrap().to_owned();
    react(&room.id, &room.member, &one, "👍").assert_status(200);
    react(&room.id, &room.admin, &one, "👍").assert_status(200);
    react(&room.id, &room.admin, &two, "🎉").assert_status(200);
    unreact(&room.id, &room.member, &one, "👍").assert_status(200);
    react(&room.id, &room.owner, &one, "🔥").assert_status(200);
    unreact(&room.id, &room.admin, &two, "🎉").assert_status(200);
    let live: Vec<Value> = (0..8).map(|_| watcher.next()).collect();

    let (_, replayed) = Live::resume(app(), &room.id, Way::Bearer(&room.admin.key), start);
    let types: Vec<&str> = replayed.iter().map(|frame| frame["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "message",
            "message",
            "reaction_added",
            "reaction_added",
            "reaction_added",
            "reaction_removed",
            "reaction_added",
            "reaction_removed"
        ]
    );
    // The replay's messages are shown as they are now, then its events: both end where the
    // room is, and where the live socket ended.
    let now = |message: &str| {
        let history = app().messages(&room.id, &room.admin, &[]);
        let messages = history.body["messages"].as_array().unwrap().clone();
        messages.into_iter().find(|m| m["message_id"] == message).unwrap()["reactions"].clone()
    };
    let expected = BTreeMap::from([(one.clone(), now(&one)), (two.clone(), now(&two))]);
    assert_eq!(
        expected[&one],
        json!([{ "key": "👍", "count": 1, "me": true }, { "key": "🔥", "count": 1, "me": false }])
    );
    assert_eq!(expected[&two], json!([]));
    assert_eq!(follow(&replayed, &room.admin.id), expected);
    assert_eq!(follow(&live, &room.admin.id), expected);
    assert_eq!(replayed[2..], live[2..], "the same reaction events, with the same seqs");
}
