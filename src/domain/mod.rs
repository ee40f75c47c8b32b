//! The product's values, parsed at the edge: holding one means it is valid. Pure Rust, no
//! worker types, so every rule here is unit-tested natively.

mod access;
mod ids;
mod page;
mod text;

pub use access::{Role, RoomAccess};
pub use ids::{RoomId, UserId};
pub use page::Page;
pub use text::{Password, RoomName, Username};

use crate::error::ApiError;

/// Why a value was refused; it becomes a 400 with this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        ApiError::BadRequest(invalid.0)
    }
}
