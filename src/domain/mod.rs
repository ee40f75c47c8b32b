//! The product's values, parsed at the edge: holding one means it is valid. Pure Rust, no
//! worker types, so every rule here is unit-tested natively.

mod access;
mod bookmark;
pub mod files;
mod handle;
mod hidden;
mod ids;
pub mod limits;
mod mentions;
mod network;
mod page;
pub mod reaction;
mod room;
pub mod search;
mod text;
pub mod throttle;
pub mod time;

pub use access::{Action, BannedBy, Refusal, Role, Situation, Standing, MUTED, NO_OWNER_POWERS};
pub use bookmark::Bookmark;
pub use files::{FileName, MediaType};
pub use handle::{Handle, HandlePrefix, HandleRefusal, HANDLE_HELD_MILLIS};
pub use ids::{FileId, MessageId, RoomId, UserId};
pub use mentions::{MentionRefusal, Mentions, MAX_MENTIONS};
pub use network::ClientNetwork;
pub use page::Page;
pub use reaction::ReactionKey;
pub use room::{dm_people, RoomKind, RoomView};
pub use search::MessageSearch;
pub use text::{search_form, search_grams, search_key, MessageText, Password, RoomName, SearchKey, Username};

/// Why a value was refused; it becomes a 400 with this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);
