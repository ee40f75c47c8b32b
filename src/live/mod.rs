//! Live rooms: one Durable Object per room (`object::LiveRoom`) keeps the room's messages and
//! numbered events and pushes them to the room's WebSockets. D1 stays the authority for who
//! may do what: the worker authorizes every request, then calls the object (`client`), and
//! the relay (`crate::relay`) hands it every change D1 committed.
//!
//! This module knows neither D1 (`store`) nor HTTP (`http`): what crosses to the object is
//! `protocol`'s, what crosses to a socket `frames`'.

pub mod apply;
pub mod client;
pub mod events;
pub mod examples;
pub mod fan;
pub mod files;
mod flush;
pub mod frames;
pub mod history;
mod incoming;
pub mod object;
mod opening;
pub(crate) mod platform;
pub mod protocol;
pub mod room;
pub mod sockets;
pub mod standing;
