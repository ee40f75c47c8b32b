//! Every close finishes: the connection ends, not only the close frame arrives, whichever side
//! starts it. (A close the room starts is checked by `Live::expect_close` wherever a test
//! expects one: after a removal, a ban, a key's end or expiry, a room closing or deleted, a
//! bad frame.) The runtime keeps the connection of a socket that never sent a frame for
//! seconds after a close the room starts; the protocol's `ping` on open, which every `Live`
//! sends, is what a client does about it.

use crate::helpers::app;
use crate::live::helpers::{Live, Way, CLOSE_FINISHES};

#[test]
fn a_close_the_client_starts_is_answered_and_the_connection_ends() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let mut watcher = Live::bearer(app(), &room, &owner);
    for way in [Way::Bearer(&owner.key), Way::Viewer] {
        let mut socket = Live::ready(app(), &room, way);
        let ended = socket.close_and_wait();
        assert!(ended < CLOSE_FINISHES, "{way:?}: the connection ended {ended:?} after the client's close");
    }
    watcher.assert_quiet();
}

#[test]
fn a_ping_is_answered_with_pong_whatever_its_spelling() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let mut socket = Live::bearer(app(), &room, &owner);
    // The one `Live` sends on open, exact: answered by the runtime.
    assert_eq!(socket.pongs(), 1);
    // Another spelling reaches the room, which answers it the same.
    socket.send_text(r#"{ "type" : "ping" }"#);
    assert_eq!(socket.pongs(), 2);
}
