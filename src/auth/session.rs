//! Session keys: 32 random bytes shown to the client once, as hex. Storage only ever sees the
//! SHA-256 of a key (`KeyHash`), so a leaked KV namespace or database holds no usable key.

use sha2::{Digest, Sha256};

use super::random_bytes;
use crate::error::ApiError;

pub const KEY_BYTES: usize = 32;

pub struct SessionKey([u8; KEY_BYTES]);

impl SessionKey {
    pub fn generate() -> Result<Self, ApiError> {
        Ok(Self(random_bytes()?))
    }

    /// `None` for anything that is not 64 hex digits: such a key cannot be live.
    pub fn parse(text: &str) -> Option<Self> {
        let mut bytes = [0u8; KEY_BYTES];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    /// The form handed to the client, once.
    pub fn reveal(&self) -> String {
        hex::encode(self.0)
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash(hex::encode(Sha256::digest(self.0)))
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

/// What storage keeps in place of a key: its SHA-256, as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHash(String);

impl KeyHash {
    /// The hash of a key as a client sent it; 401 for anything that cannot be a key.
    pub fn of(key: &str) -> Result<Self, ApiError> {
        Ok(SessionKey::parse(key).ok_or(ApiError::INVALID_KEY)?.hash())
    }

    /// A hash as storage kept it (a ticket's record), if it is one.
    pub fn stored(hash: &str) -> Option<Self> {
        (hash.len() == 64 && hash.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(hash.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for KeyHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// From JSON, only what `stored` accepts.
impl<'de> serde::Deserialize<'de> for KeyHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::stored(&text).ok_or_else(|| serde::de::Error::custom("a key hash is 64 lowercase hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_64_lowercase_hex_digits() {
        let key = SessionKey::generate().unwrap().reveal();
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')));
    }

    #[test]
    fn a_key_hashes_to_the_sha256_of_its_bytes() {
        let key = SessionKey::parse(&"00".repeat(32)).unwrap();
        // SHA-256 of 32 zero bytes.
        assert_eq!(key.hash().as_str(), "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
    }

    #[test]
    fn the_hash_does_not_depend_on_the_case_of_the_hex() {
        let lower = SessionKey::parse(&"ab".repeat(32)).unwrap();
        let upper = SessionKey::parse(&"AB".repeat(32)).unwrap();
        assert_eq!(lower.hash(), upper.hash());
    }

    #[test]
    fn the_hash_is_not_the_key() {
        let key = SessionKey::generate().unwrap();
        assert_ne!(key.hash().as_str(), key.reveal());
    }

    #[test]
    fn anything_but_64_hex_digits_is_not_a_key() {
        for text in ["", "abc", &"g".repeat(64), &"a".repeat(63), &"a".repeat(66), &format!(" {}", "a".repeat(63))] {
            assert!(SessionKey::parse(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn a_key_never_shows_in_debug_output() {
        let key = SessionKey::parse(&"cd".repeat(32)).unwrap();
        assert!(!format!("{key:?}").contains("cdcd"));
    }
}
