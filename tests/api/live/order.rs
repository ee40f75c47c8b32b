//! One order for everyone: twenty posters at once, over HTTP and over sockets, give every
//! socket the same messages in the same seq order, without gaps, as HTTP's history has them;
//! and a restart of `wrangler dev` loses nothing a client resumes.

use std::collections::HashSet;
use std::sync::Barrier;

use serde_json::{json, Value};

use crate::helpers::{app, TestApp, User};
use crate::live::helpers::{Incoming, Live, Way, PATIENCE};
use crate::live::{history, posted};

const POSTERS: usize = 20;
const EACH: usize = 5;

/// The messages a socket gets until it has `count`, and the `sent` answers it gets meanwhile.
fn collect(socket: &mut Live, count: usize, answers: usize) -> (Vec<Value>, Vec<Value>) {
    let (mut messages, mut sent) = (Vec::new(), Vec::new());
    while messages.len() < count || sent.len() < answers {
        let frame = socket.next();
        match frame["type"].as_str() {
            Some("message") => messages.push(frame["message"].clone()),
            Some("sent") => sent.push(frame["message"].clone()),
            _ => panic!("unexpected {frame}"),
        }
    }
    (messages, sent)
}

fn seqs(messages: &[Value]) -> Vec<i64> {
    messages.iter().map(|message| message["seq"].as_i64().unwrap()).collect()
}

#[test]
fn twenty_posters_mixing_http_and_sockets_give_every_socket_the_same_order_without_gaps() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let posters: Vec<User> = (0..POSTERS)
        .map(|_| {
            let poster = app().sign_up("poster");
            app().join(&room, &poster);
            poster
        })
        .collect();
    let (by_socket, by_http) = posters.split_at(POSTERS / 2);
    let sockets: Vec<Live> = by_socket.iter().map(|poster| Live::bearer(app(), &room, poster)).collect();
    let watchers = vec![Live::viewer(app(), &room), Live::ticketed(app(), &room, &owner)];
    let start = watchers[0].seq();
    let total = POSTERS * EACH;
    let barrier = Barrier::new(POSTERS + watchers.len());

    let (socket_results, http_results, watcher_results) = std::thread::scope(|scope| {
        let socket_threads: Vec<_> = sockets
            .into_iter()
            .enumerate()
            .map(|(index, mut socket)| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    for n in 0..EACH {
                        socket.post(&format!("socket poster {index}, message {n}"), &format!("{index}-{n}"));
                    }
                    collect(&mut socket, total, EACH)
                })
            })
            .collect();
        let http_threads: Vec<_> = by_http
            .iter()
            .enumerate()
            .map(|(index, poster)| {
                let (barrier, room) = (&barrier, &room);
                scope.spawn(move || {
                    barrier.wait();
                    (0..EACH)
                        .map(|n| posted(app(), room, poster, &format!("http poster {index}, message {n}")))
                        .collect()
                })
            })
            .collect();
        let watcher_threads: Vec<_> = watchers
            .into_iter()
            .map(|mut socket| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    collect(&mut socket, total, 0).0
                })
            })
            .collect();
        let sockets: Vec<(Vec<Value>, Vec<Value>)> =
            socket_threads.into_iter().map(|handle| handle.join().unwrap()).collect();
        let https: Vec<Vec<Value>> = http_threads.into_iter().map(|handle| handle.join().unwrap()).collect();
        let watchers: Vec<Vec<Value>> = watcher_threads.into_iter().map(|handle| handle.join().unwrap()).collect();
        (sockets, https, watchers)
    });

    let order = watcher_results[0].clone();
    let expected: Vec<i64> = (start + 1..=start + total as i64).collect();
    assert_eq!(seqs(&order), expected, "one seq each, without gaps");
    for seen in watcher_results.iter().chain(socket_results.iter().map(|(seen, _)| seen)) {
        assert_eq!(seen, &order, "every socket has the same messages in the same order");
    }
    let answered: Vec<&Value> =
        socket_results.iter().flat_map(|(_, sent)| sent).chain(http_results.iter().flatten()).collect();
    for message in &answered {
        assert!(order.contains(message), "answered {message}, which no socket got as such");
    }
    let ids: HashSet<&str> = answered.iter().map(|message| message["message_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), total, "every post made one message");
    for (_, sent) in &socket_results {
        assert!(seqs(sent).windows(2).all(|pair| pair[0] < pair[1]), "one socket's sends kept their order");
    }
    for posts in &http_results {
        assert!(seqs(posts).windows(2).all(|pair| pair[0] < pair[1]));
    }
    assert_eq!(history(app(), &room, &owner), order, "HTTP's history is the sockets' order");
}

/// The socket ends, one way or another, once its server is gone (after any `presence` frame
/// the room sent before it went).
fn assert_ended(socket: &mut Live) {
    loop {
        match socket.read_within(PATIENCE) {
            Some(Incoming::Frame(frame)) if frame["type"] == "presence" => {}
            Some(Incoming::Closed(_) | Incoming::Ended(_)) => return,
            other => panic!("the socket outlived its server: {other:?}"),
        }
    }
}

#[test]
fn after_a_restart_clients_resume_from_their_last_seq_with_nothing_lost() {
    let mut app = TestApp::spawn(&[]);
    let owner = app.sign_up("owner");
    let member = app.sign_up("member");
    let room = app.create_room(&owner, true);
    app.join(&room, &member);
    let mut sockets = [Live::bearer(&app, &room, &member), Live::viewer(&app, &room)];
    let one = posted(&app, &room, &owner, "one");
    posted(&app, &room, &member, "two");
    for socket in &mut sockets {
        socket.next_of("message");
        socket.next_of("message");
    }
    let last = sockets[0].seq();
    assert_eq!(sockets[1].seq(), last);

    app.restart(&[]);

    for socket in &mut sockets {
        assert_ended(socket);
    }
    let three = posted(&app, &room, &owner, "three");
    assert_eq!(three["seq"], last + 1, "the room's seq goes on from where it was");
    let edited = app.edit_message(&room, &owner, one["message_id"].as_str().unwrap(), "one, edited");
    edited.assert_status(200);
    let expected = vec![
        json!({ "type": "message", "seq": last + 1, "message": three }),
        json!({ "type": "message_edited", "seq": last + 2, "message": edited.body }),
    ];
    let (mut member_socket, replayed) = Live::resume(&app, &room, Way::Bearer(&member.key), last);
    assert_eq!(replayed, expected);
    let (mut viewer, replayed) = Live::resume(&app, &room, Way::Viewer, last);
    assert_eq!(replayed, expected);

    // Live again, D1's changes as well as the object's own.
    let newcomer = app.sign_up("newcomer");
    app.join(&room, &newcomer);
    for socket in [&mut member_socket, &mut viewer] {
        assert_eq!(socket.next_of("member_joined")["user_id"], newcomer.id);
    }
    member_socket.post("four", "after-restart");
    let (_, sent) = collect(&mut member_socket, 1, 1);
    assert_eq!(viewer.next_of("message")["message"], sent[0]);
    let texts: Vec<Value> = history(&app, &room, &owner).iter().map(|message| message["text"].clone()).collect();
    assert_eq!(texts, [json!("one, edited"), json!("two"), json!("three"), json!("four")]);
}
