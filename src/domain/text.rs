//! Free text a person types: usernames, passwords and room names, with their length rules.
//! Lengths count Unicode scalar values ("characters"), the same unit SQLite's `length()` uses.

use std::fmt;

use super::Invalid;

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// `field` must be `min` to `max` characters long.
fn check_length(field: &str, text: &str, min: usize, max: usize) -> Result<(), Invalid> {
    if (min..=max).contains(&text.chars().count()) {
        return Ok(());
    }
    Err(Invalid(if min == 0 {
        format!("{field} must be at most {max} characters")
    } else {
        format!("{field} must be {min} to {max} characters")
    }))
}

/// 1 to 64 characters of any script, without control characters. Not unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        check_length("username", text, 1, Self::MAX_CHARS)?;
        if has_control(text) {
            return Err(Invalid("username must not contain control characters".into()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 8 to 1024 characters. Never printed: its `Debug` is redacted.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 1024;

    /// `field` names the input in the error (`password`, `new_password`).
    pub fn parse(field: &str, text: &str) -> Result<Self, Invalid> {
        check_length(field, text, Self::MIN_CHARS, Self::MAX_CHARS)?;
        Ok(Self(text.to_owned()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// 0 to 100 characters, without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoomName(String);

impl RoomName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        check_length("name", text, 0, Self::MAX_CHARS)?;
        if has_control(text) {
            return Err(Invalid("name must not contain control characters".into()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A chat message: 1 to 4000 characters. Line breaks and tabs are text; other control
/// characters are not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub const MAX_CHARS: usize = 4000;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        check_length("text", text, 1, Self::MAX_CHARS)?;
        if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(Invalid("text must not contain control characters other than line breaks and tabs".into()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The case-folded form of a room name that directory searches match against: Unicode-aware,
/// unlike SQLite's ASCII-only `lower()`. Final sigma (ς) folds to σ, as Unicode case folding
/// does, since `to_lowercase` picks the form by position and a query's end is not the name's.
pub fn search_form(text: &str) -> String {
    text.to_lowercase().replace('ς', "σ")
}

/// The longest piece of a name the directory indexes.
const PIECE_CHARS: usize = 3;

/// The distinct pieces of a case-folded name that the directory indexes, so that a search
/// looks names up instead of reading them all: at each position, the piece of up to three
/// characters that starts there. Every substring of the name starts one of them.
pub fn search_grams(folded: &str) -> Vec<String> {
    let chars: Vec<char> = folded.chars().collect();
    let mut grams: Vec<String> =
        (0..chars.len()).map(|start| chars.iter().skip(start).take(PIECE_CHARS).collect()).collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// How a directory search runs: the indexed pieces to look up, `first..=last` (the pieces that
/// start with the query's first three characters, or with all of it if shorter), and the whole
/// case-folded query to check those names against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchKey {
    pub first: String,
    pub last: String,
    pub needle: String,
}

/// The search for `query`; `None` for an empty query. A piece has at most three characters,
/// and text compares as its code points, so the pieces that start with a shorter prefix are
/// those from the prefix itself up to the prefix padded with the last code point.
pub fn search_key(query: &str) -> Option<SearchKey> {
    let needle = search_form(query);
    let first: String = needle.chars().take(PIECE_CHARS).collect();
    let padding = PIECE_CHARS - first.chars().count();
    let last: String = first.chars().chain(std::iter::repeat_n(char::MAX, padding)).collect();
    (!first.is_empty()).then_some(SearchKey { first, last, needle })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_of_any_script_is_accepted() {
        for name in ["ana", "Zoë", "名前", "مرحبا", "🦀", "Robert'); DROP TABLE users;--"] {
            assert_eq!(Username::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn an_empty_username_is_rejected() {
        assert!(Username::parse("").is_err());
    }

    #[test]
    fn a_username_of_64_characters_is_accepted_and_65_rejected() {
        assert!(Username::parse(&"é".repeat(64)).is_ok());
        assert!(Username::parse(&"é".repeat(65)).is_err());
    }

    #[test]
    fn a_username_with_a_control_character_is_rejected() {
        for name in ["a\nb", "a\u{0}b", "tab\t", "\u{7f}", "\u{85}"] {
            assert!(Username::parse(name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn a_password_of_7_characters_is_rejected_and_8_accepted() {
        assert!(Password::parse("password", "1234567").is_err());
        assert!(Password::parse("password", "12345678").is_ok());
    }

    #[test]
    fn a_password_of_1024_characters_is_accepted_and_1025_rejected() {
        assert!(Password::parse("password", &"ü".repeat(1024)).is_ok());
        assert!(Password::parse("password", &"ü".repeat(1025)).is_err());
    }

    #[test]
    fn a_password_error_names_its_field() {
        let error = Password::parse("new_password", "short").unwrap_err();
        assert_eq!(error.0, "new_password must be 8 to 1024 characters");
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let password = Password::parse("password", "hunter22hunter22").unwrap();
        assert!(!format!("{password:?}").contains("hunter22"));
    }

    #[test]
    fn a_room_name_may_be_empty_and_up_to_100_characters() {
        assert_eq!(RoomName::parse("").unwrap().as_str(), "");
        assert!(RoomName::parse(&"😀".repeat(100)).is_ok());
        assert!(RoomName::parse(&"😀".repeat(101)).is_err());
    }

    #[test]
    fn a_message_is_1_to_4000_characters() {
        assert!(MessageText::parse("").is_err());
        assert!(MessageText::parse("é").is_ok());
        assert!(MessageText::parse(&"é".repeat(4000)).is_ok());
        assert!(MessageText::parse(&"é".repeat(4001)).is_err());
    }

    #[test]
    fn a_message_keeps_line_breaks_and_tabs_but_no_other_control_characters() {
        assert_eq!(MessageText::parse("line\r\nnext\tcol").unwrap().as_str(), "line\r\nnext\tcol");
        assert!(MessageText::parse("bell\u{7}").is_err());
        assert!(MessageText::parse("nul\u{0}").is_err());
    }

    #[test]
    fn the_search_form_folds_case_in_any_script() {
        assert_eq!(search_form("Ünïcode ROOM Σ"), "ünïcode room σ");
    }

    #[test]
    fn a_name_is_indexed_by_the_piece_of_up_to_three_characters_at_each_position() {
        assert_eq!(search_grams("abab"), ["ab", "aba", "b", "bab"]);
        assert_eq!(search_grams("aaaa"), ["a", "aa", "aaa"]);
        assert_eq!(search_grams("é"), ["é"]);
        assert!(search_grams("").is_empty());
    }

    #[test]
    fn a_name_has_no_more_pieces_than_characters() {
        let name: String = ('一'..).take(RoomName::MAX_CHARS).collect();
        assert_eq!(search_grams(&name).len(), RoomName::MAX_CHARS);
    }

    /// Whether the search for `query` looks up one of `grams` (which `BETWEEN` on SQLite's
    /// byte order of UTF-8, that is code point order, finds).
    fn looked_up(key: &SearchKey, grams: &[String]) -> bool {
        grams.iter().any(|gram| key.first.as_str() <= gram.as_str() && gram.as_str() <= key.last.as_str())
    }

    #[test]
    fn every_substring_of_a_name_starts_a_piece_its_search_looks_up() {
        for name in ["Le Café du Coin", "ΚΟΣΜΟΣ 日本語の部屋", "aaaa", "ab"] {
            let name = search_form(name);
            let grams = search_grams(&name);
            let chars: Vec<char> = name.chars().collect();
            for start in 0..chars.len() {
                for end in start + 1..=chars.len() {
                    let query: String = chars[start..end].iter().collect();
                    let key = search_key(&query).unwrap();
                    assert!(looked_up(&key, &grams) && name.contains(&key.needle), "{query}");
                }
            }
        }
    }

    #[test]
    fn a_search_looks_up_only_pieces_that_start_with_its_prefix() {
        let grams = search_grams(&search_form("xay bzz a\u{10FFFF}"));
        let key = search_key("a").unwrap();
        let found: Vec<&String> = grams
            .iter()
            .filter(|gram| key.first.as_str() <= gram.as_str() && gram.as_str() <= key.last.as_str())
            .collect();
        assert!(found.iter().all(|gram| gram.starts_with('a')), "{found:?}");
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn a_search_key_is_the_first_three_characters_of_the_folded_query() {
        let key = search_key("CAFÉ").unwrap();
        assert_eq!((key.first.as_str(), key.last.as_str(), key.needle.as_str()), ("caf", "caf", "café"));
        let key = search_key("Σ").unwrap();
        assert_eq!((key.first.as_str(), key.last.as_str(), key.needle.as_str()), ("σ", "σ\u{10FFFF}\u{10FFFF}", "σ"));
        assert_eq!(search_key(""), None);
    }

    #[test]
    fn a_greek_word_folds_alike_wherever_it_is_cut() {
        let name = search_form("ΚΟΣΜΟΣ");
        for query in ["ΚΟΣ", "κοσμοσ", "κοσμος", "ΚΟΣΜΟΣ"] {
            assert!(name.contains(&search_form(query)), "{query}");
        }
    }

    #[test]
    fn a_room_name_with_a_control_character_is_rejected() {
        assert!(RoomName::parse("line\nbreak").is_err());
    }
}
