//! Handles: the unique names people find each other and log in by (`@kim.lee`), beside the
//! display name, which is not unique.

use super::Invalid;

/// How long a handle its owner gave up stays theirs: no one else may take it meanwhile.
pub const HANDLE_HELD_MILLIS: i64 = 30 * 24 * 60 * 60 * 1000;

/// 3 to 32 of `a–z`, `0–9`, `.`, `_` and `-`, starting and ending with a letter or digit, in
/// lowercase: input in any case is folded, and uniqueness is on the folded form. Never one of
/// the reserved words (`Handle::parse` tells those apart, for a 409).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle(String);

/// Why a handle was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandleRefusal {
    /// Not a handle at all: 400.
    Malformed(Invalid),
    /// Well formed, but kept from everyone (`admin`, `support`...): 409, as a taken one.
    Reserved,
}

/// Words no one may take: they would pass for the service, its staff or everyone, or read as
/// a path, a mention or a value in a client.
const RESERVED: &[&str] = &[
    "abuse",
    "account",
    "accounts",
    "admin",
    "administrator",
    "admins",
    "all",
    "anonymous",
    "api",
    "bot",
    "bots",
    "channel",
    "chatrooms",
    "cloudflare",
    "deleted",
    "everyone",
    "false",
    "guest",
    "handle",
    "handles",
    "help",
    "here",
    "hostmaster",
    "info",
    "invite",
    "invites",
    "login",
    "logout",
    "mail",
    "mention",
    "moderator",
    "moderators",
    "mods",
    "nan",
    "no-reply",
    "nobody",
    "noreply",
    "null",
    "official",
    "owner",
    "postmaster",
    "room",
    "rooms",
    "root",
    "security",
    "settings",
    "signup",
    "someone",
    "staff",
    "status",
    "support",
    "system",
    "token",
    "true",
    "undefined",
    "user",
    "users",
    "webmaster",
    "www",
];

impl Handle {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 32;

    pub fn parse(text: &str) -> Result<Self, HandleRefusal> {
        let folded = text.to_ascii_lowercase();
        let malformed = |why: &str| HandleRefusal::Malformed(Invalid(format!("handle {why}")));
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&folded.len()) || !folded.is_ascii() {
            return Err(malformed(&format!(
                "must be {} to {} characters of a-z, 0-9, '.', '_' and '-'",
                Self::MIN_CHARS,
                Self::MAX_CHARS
            )));
        }
        if let Some(bad) = folded.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
            return Err(malformed(&format!("may not contain {bad:?}: only a-z, 0-9, '.', '_' and '-'")));
        }
        let alphanumeric = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        if !alphanumeric(folded.chars().next()) || !alphanumeric(folded.chars().last()) {
            return Err(malformed("must start and end with a letter or a digit"));
        }
        if RESERVED.binary_search(&folded.as_str()).is_ok() {
            return Err(HandleRefusal::Reserved);
        }
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The start of a handle to look people up by: 2 to 32 of a handle's characters, any case,
/// folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlePrefix(String);

impl HandlePrefix {
    pub const MIN_CHARS: usize = 2;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let folded = text.to_ascii_lowercase();
        let chars_ok = folded.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !(Self::MIN_CHARS..=Handle::MAX_CHARS).contains(&folded.len()) || !chars_ok {
            return Err(Invalid(format!(
                "q must be {} to {} characters of a handle (a-z, 0-9, '.', '_', '-')",
                Self::MIN_CHARS,
                Handle::MAX_CHARS
            )));
        }
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> String {
        Handle::parse(text).unwrap().as_str().to_owned()
    }

    fn malformed(text: &str) -> bool {
        matches!(Handle::parse(text), Err(HandleRefusal::Malformed(_)))
    }

    #[test]
    fn any_case_is_folded_to_lowercase() {
        assert_eq!(parsed("Kim.Lee"), "kim.lee");
        assert_eq!(parsed("ANA_99"), "ana_99");
        assert_eq!(Handle::parse("Kim").unwrap(), Handle::parse("kIM").unwrap());
    }

    #[test]
    fn three_to_thirty_two_characters() {
        assert!(malformed("ab"));
        assert_eq!(parsed("abc"), "abc");
        assert_eq!(parsed(&"a".repeat(32)), "a".repeat(32));
        assert!(malformed(&"a".repeat(33)));
        assert!(malformed(""));
    }

    #[test]
    fn letters_digits_dots_underscores_and_hyphens_only() {
        assert_eq!(parsed("a.b_c-d9"), "a.b_c-d9");
        for text in ["kim lee", "kim@lee", "kim/lee", "kïm", "ｋｉｍ", "kim\u{0}x", "kim+lee", "kim\u{200b}lee"] {
            assert!(malformed(text), "{text:?}");
        }
    }

    #[test]
    fn starts_and_ends_with_a_letter_or_digit() {
        for text in [".kim", "kim.", "_kim", "kim_", "-kim", "kim-"] {
            assert!(malformed(text), "{text:?}");
        }
        assert_eq!(parsed("9ki"), "9ki");
    }

    #[test]
    fn reserved_words_are_refused_in_any_case() {
        for text in ["admin", "ADMIN", "Support", "everyone", "null", "undefined", "chatrooms", "root", "system"] {
            assert_eq!(Handle::parse(text), Err(HandleRefusal::Reserved), "{text:?}");
        }
        assert_eq!(parsed("admin2"), "admin2");
    }

    #[test]
    fn the_reserved_list_is_sorted_lowercase_and_well_formed() {
        assert!(RESERVED.windows(2).all(|pair| pair[0] < pair[1]), "sorted, for binary_search");
        for word in RESERVED.iter().filter(|word| word.len() >= Handle::MIN_CHARS) {
            assert_eq!(word.to_ascii_lowercase(), *word);
            assert!(!word.starts_with(['.', '_', '-']) && !word.ends_with(['.', '_', '-']));
        }
    }

    #[test]
    fn a_prefix_is_two_characters_or_more_of_a_handle() {
        assert_eq!(HandlePrefix::parse("Ki").unwrap().as_str(), "ki");
        assert_eq!(HandlePrefix::parse("k.").unwrap().as_str(), "k.");
        assert!(HandlePrefix::parse("k").is_err());
        assert!(HandlePrefix::parse("k%").is_err());
        assert!(HandlePrefix::parse("k_").is_ok());
        assert!(HandlePrefix::parse(&"a".repeat(33)).is_err());
    }
}
