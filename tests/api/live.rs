//! `GET /room/{id}/live` over a real `wrangler dev`: each way in and each refusal, every event
//! reaching every socket of its room and none of another, the exact order of many posters,
//! resuming, idempotent sends, access changes closing exactly the right sockets, bad frames,
//! restarts, and the edit and delete of messages that feed the events.

use serde_json::Value;

use crate::helpers::{TestApp, User};
use helpers::Live;

mod access;
mod bounds;
mod closes;
mod dms;
mod events;
mod fans;
mod frames;
pub mod helpers;
mod inbox;
mod messages;
mod order;
mod outbox;
mod reach;
mod reactions;
mod resume;
mod sends;
pub mod ways;

/// Posts over HTTP and returns the message as answered.
pub fn posted(app: &TestApp, room: &str, user: &User, text: &str) -> Value {
    let response = app.post_message(room, user, text);
    response.assert_status(201);
    response.body
}

/// Asserts that every socket gets the message `by` posts over HTTP next, and returns it: the
/// room still works for them.
pub fn everyone_gets_a_new_message(app: &TestApp, room: &str, by: &User, sockets: &mut [&mut Live]) -> Value {
    let message = posted(app, room, by, "still working?");
    for socket in sockets.iter_mut() {
        let frame = socket.next_of("message");
        assert_eq!(frame["message"], message);
    }
    message
}

/// The room's history as `by` reads it over HTTP, oldest first.
pub fn history(app: &TestApp, room: &str, by: &User) -> Vec<Value> {
    let response = app.messages(room, by, &[("limit", "500")]);
    response.assert_status(200);
    let mut messages = response.body["messages"].as_array().unwrap().clone();
    messages.reverse();
    messages
}
