//! Integration tests: every endpoint over HTTP against a real `wrangler dev`.

// Tests may panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod helpers;

mod account;
mod blocks;
mod cors;
mod counts;
mod directory;
mod dms;
mod edge;
mod faults;
mod files;
mod handles;
mod input;
mod invites;
mod limits;
mod live;
mod logs;
mod members;
mod mentions;
mod messages;
mod moderation;
mod names;
mod openapi;
mod ownership;
mod reactions;
mod reads;
mod replicas;
mod revocation;
mod rooms;
mod search;
mod sessions;
mod threads;
mod throttling;
mod tokens;
mod users;
