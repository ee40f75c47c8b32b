//! One live connection per person: the **inbox**, a Durable Object per user
//! (`object::Inbox`), holds the person's inbox sockets (`GET /user/{id}/live`). It answers each
//! with `hello {rooms}` (their rooms list, read from D1), then is pushed what happens in their
//! rooms: the rooms' objects, at each flush of their counts, hand each connected member's
//! inbox `room_activity`, `read` and `mention` frames (`fanout`, never more calls from one
//! handler than the platform allows); a room's object that applies a membership change hands
//! the person concerned `joined`, `left`, `invited` or `dm_request`.
//!
//! D1 knows who has an inbox open (`inboxes`), so that a room pushes to those only: posting
//! costs nothing for members who are not connected.

pub mod client;
pub mod fanout;
pub mod frames;
pub mod object;
pub mod protocol;
