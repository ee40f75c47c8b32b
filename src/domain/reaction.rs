//! A reaction's key: one emoji or a short text, as a path segment carries it.

use serde::{Deserialize, Serialize};

use super::Invalid;

/// At most this many distinct keys on one message, and of one user on one message.
pub const KEYS_PER_MESSAGE: i64 = 20;
pub const KEYS_PER_USER: i64 = 10;

/// A reaction's key: 1 to 32 bytes of UTF-8, no whitespace and no control characters. Kept
/// exactly as sent: "👍" and "👍\u{fe0f}" are two keys, as two clients drew them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReactionKey(String);

impl ReactionKey {
    pub const MAX_BYTES: usize = 32;

    pub fn parse(key: &str) -> Result<Self, Invalid> {
        if key.is_empty() || key.len() > Self::MAX_BYTES {
            return Err(Invalid(format!("a reaction's key must be 1 to {} bytes", Self::MAX_BYTES)));
        }
        if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid("a reaction's key may not hold whitespace or control characters".into()));
        }
        Ok(Self(key.to_owned()))
    }

    /// From a path segment, percent-decoded first: the bytes it decodes to must be UTF-8.
    pub fn from_path(segment: &str) -> Result<Self, Invalid> {
        let decoded = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .map_err(|_| Invalid("a reaction's key must be UTF-8, percent-encoded in the path".into()))?;
        Self::parse(&decoded)
    }

    /// 👍, for the documents' examples.
    pub fn example() -> Self {
        Self("👍".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReactionKey {
    type Error = String;

    fn try_from(key: String) -> Result<Self, String> {
        Self::parse(&key).map_err(|Invalid(error)| error)
    }
}

impl From<ReactionKey> for String {
    fn from(key: ReactionKey) -> Self {
        key.0
    }
}

impl std::fmt::Display for ReactionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emoji_or_a_short_word_is_a_key() {
        for key in ["👍", "👍🏽", "👨‍👩‍👧", "+1", "ok", "東京", "a".repeat(32).as_str()] {
            assert_eq!(ReactionKey::parse(key).unwrap().as_str(), key);
        }
    }

    #[test]
    fn empty_long_spaced_or_control_keys_are_refused() {
        for key in ["", &"a".repeat(33), "a b", "\u{3000}", "tab\t", "nl\n", "\u{7}", "\u{85}", &"👍".repeat(9)] {
            assert!(ReactionKey::parse(key).is_err(), "{key:?}");
        }
    }

    #[test]
    fn the_path_carries_it_percent_encoded() {
        assert_eq!(ReactionKey::from_path("%F0%9F%91%8D").unwrap().as_str(), "👍");
        assert_eq!(ReactionKey::from_path("ok").unwrap().as_str(), "ok");
        assert_eq!(ReactionKey::from_path("%2B1").unwrap().as_str(), "+1");
        assert!(ReactionKey::from_path("%FF").is_err());
        assert!(ReactionKey::from_path("a%20b").is_err());
        assert!(ReactionKey::from_path("%00").is_err());
        assert!(ReactionKey::from_path("").is_err());
    }

    #[test]
    fn it_reads_back_only_if_valid() {
        assert!(serde_json::from_str::<ReactionKey>(r#""a b""#).is_err());
        let key: ReactionKey = serde_json::from_str(r#""🎉""#).unwrap();
        assert_eq!(serde_json::to_string(&key).unwrap(), r#""🎉""#);
    }
}
