//! A room larger than one object: past `ROOM_SOCKETS_PER_OBJECT` sockets, the room's object
//! places new sockets in fan-out objects (`object::RoomFan`, named `{room_id}:fan:{k}`), each
//! holding up to as many. The room's object stays the one authority: it numbers and stores
//! every event, judges every socket, and hands each fan-out object, once, every item its
//! sockets must see, in order (`room.rs`). A fan-out object only holds sockets: it pushes the
//! items to them, hands their frames to the room, and tells the room who is here in it.
//!
//! Every event reaches a socket once, in order, whichever object holds it: a fan-out object
//! applies items one at a time, knows the last seq its sockets had, skips what it had and
//! asks the room for what it missed.

pub mod client;
pub mod object;
pub mod protocol;
mod room;

pub use room::Fans;
