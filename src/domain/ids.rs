//! User and room identifiers: random (v4) UUIDs, written in their canonical lowercase form.

use std::fmt;
use std::marker::PhantomData;

use uuid::Uuid;

use super::Invalid;

/// A UUID that knows what it identifies, so a `RoomId` cannot be passed where a `UserId` is due.
pub struct Id<Kind> {
    uuid: Uuid,
    kind: PhantomData<Kind>,
}

pub trait IdKind {
    /// The field name used in error messages.
    const FIELD: &'static str;
}

pub enum UserKind {}
pub enum RoomKind {}
pub enum MessageKind {}
pub enum FileKind {}

impl IdKind for UserKind {
    const FIELD: &'static str = "user_id";
}
impl IdKind for RoomKind {
    const FIELD: &'static str = "room_id";
}
impl IdKind for MessageKind {
    const FIELD: &'static str = "message_id";
}
impl IdKind for FileKind {
    const FIELD: &'static str = "file_id";
}

pub type UserId = Id<UserKind>;
pub type RoomId = Id<RoomKind>;
pub type MessageId = Id<MessageKind>;
pub type FileId = Id<FileKind>;

impl<Kind: IdKind> Id<Kind> {
    /// Accepts only the 36-character hyphenated form, in either case.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        Self::parse_field(Kind::FIELD, text)
    }

    /// The same, for an input field of another name (`before`, `after`).
    pub fn parse_field(field: &str, text: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid(format!("{field} must be a UUID"));
        if text.len() != 36 {
            return Err(invalid());
        }
        let uuid = Uuid::try_parse(text).map_err(|_| invalid())?;
        Ok(Self { uuid, kind: PhantomData })
    }

    /// A fresh random (version 4) identifier from 16 random bytes.
    pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
        Self { uuid: uuid::Builder::from_random_bytes(bytes).into_uuid(), kind: PhantomData }
    }
}

impl<Kind> Clone for Id<Kind> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Kind> Copy for Id<Kind> {}
impl<Kind> PartialEq for Id<Kind> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}
impl<Kind> Eq for Id<Kind> {}
impl<Kind> std::hash::Hash for Id<Kind> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.uuid.hash(state);
    }
}
impl<Kind> PartialOrd for Id<Kind> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
/// By the canonical text's order (the UUID's bytes, in that order).
impl<Kind> Ord for Id<Kind> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}

impl<Kind> fmt::Display for Id<Kind> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.uuid.hyphenated(), f)
    }
}

/// In JSON, the canonical text form, as stored.
impl<Kind> serde::Serialize for Id<Kind> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// From JSON, only the form `parse` accepts.
impl<'de, Kind: IdKind> serde::Deserialize<'de> for Id<Kind> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(|invalid| serde::de::Error::custom(invalid.0))
    }
}

impl<Kind> fmt::Debug for Id<Kind> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hyphenated_uuid_is_accepted_and_written_in_lowercase() {
        let id = UserId::parse("67E55044-10B1-426F-9247-BB680E5FE0C8").unwrap();
        assert_eq!(id.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
    }

    #[test]
    fn other_spellings_of_a_uuid_are_rejected() {
        for text in [
            "67e5504410b1426f9247bb680e5fe0c8",
            "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
            "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
            "67e55044-10b1-426f-9247-bb680e5fe0cg",
            "",
            "' OR 1=1 --",
        ] {
            assert!(RoomId::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn the_error_names_the_field() {
        assert_eq!(RoomId::parse("x").unwrap_err(), Invalid("room_id must be a UUID".into()));
        assert_eq!(UserId::parse("x").unwrap_err(), Invalid("user_id must be a UUID".into()));
    }

    #[test]
    fn an_id_is_its_canonical_text_in_json() {
        let id = RoomId::parse("67E55044-10B1-426F-9247-BB680E5FE0C8").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"67e55044-10b1-426f-9247-bb680e5fe0c8\"");
    }

    #[test]
    fn an_id_reads_back_from_json_and_nothing_else_does() {
        let id: RoomId = serde_json::from_str("\"67e55044-10b1-426f-9247-bb680e5fe0c8\"").unwrap();
        assert_eq!(id.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert!(serde_json::from_str::<RoomId>("\"x\"").is_err());
        assert!(serde_json::from_str::<RoomId>("7").is_err());
    }

    #[test]
    fn random_ids_are_version_4() {
        let id = UserId::from_random_bytes([0xff; 16]);
        assert_eq!(id.uuid.get_version_num(), 4);
        assert_eq!(UserId::parse(&id.to_string()).unwrap(), id);
    }
}
