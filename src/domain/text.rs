//! Free text a person types: usernames, passwords, room names and messages, with their rules.
//! Lengths count Unicode scalar values ("characters"), the same unit SQLite's `length()` uses.

use std::fmt;

use super::hidden::Hidden;
use super::Invalid;

/// `text` in NFC. In the worker, by the platform's own `String.prototype.normalize` (V8's
/// Unicode tables, which the wasm then need not carry); natively, for the unit tests, by
/// `unicode-normalization`. The integration tests check the worker's own.
#[cfg(target_arch = "wasm32")]
fn nfc(text: &str) -> String {
    worker::js_sys::JsString::from(text).normalize("NFC").into()
}

#[cfg(not(target_arch = "wasm32"))]
fn nfc(text: &str) -> String {
    unicode_normalization::UnicodeNormalization::nfc(text).collect()
}

/// A name as it is stored: in NFC, so that a name has one spelling however it was typed (an
/// "é" sent as e + U+0301 is stored as U+00E9), then `min` to `max` characters of that form
/// (what is stored is what the length rule and the schema's CHECK count), none of them a
/// character that shows nothing of its own or reorders what is around it (`Hidden`).
fn parse_name(field: &str, text: &str, min: usize, max: usize) -> Result<String, Invalid> {
    let text = nfc(text);
    check_length(field, &text, min, max)?;
    if let Some((c, kind)) = text.chars().find_map(|c| Hidden::of(c).map(|kind| (c, kind))) {
        return Err(Invalid(format!("{field} must not contain U+{:04X}, {}", u32::from(c), kind.description())));
    }
    Ok(text)
}

/// The characters that set or override the direction of the text after them: embeddings,
/// overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the marks (U+200E, U+200F,
/// U+061C). In a message they could make it read otherwise than it was written.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
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

/// 1 to 64 characters of any script, in NFC, without hidden characters. Not unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        parse_name("username", text, 1, Self::MAX_CHARS).map(Self)
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

/// 0 to 100 characters, in NFC, without hidden characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoomName(String);

impl RoomName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        parse_name("name", text, 0, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A chat message: 1 to 4000 characters. Line breaks and tabs are text; other control
/// characters are not, nor are bidi controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub const MAX_CHARS: usize = 4000;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        check_length("text", text, 1, Self::MAX_CHARS)?;
        if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(Invalid("text must not contain control characters other than line breaks and tabs".into()));
        }
        if let Some(c) = text.chars().find(|&c| is_bidi_control(c)) {
            return Err(Invalid(format!("text must not contain U+{:04X}, a bidi control", u32::from(c))));
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
    // In NFC, as the names are: a query typed in NFD finds them too.
    let needle = search_form(&nfc(query));
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
    fn a_search_key_is_in_nfc_as_the_names_are() {
        let key = search_key("Cafe\u{301}").unwrap();
        assert_eq!((key.first.as_str(), key.needle.as_str()), ("caf", "caf\u{E9}"));
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

    #[test]
    fn a_name_with_a_zero_width_space_is_rejected() {
        assert!(Username::parse("ana\u{200B}").is_err());
        assert!(RoomName::parse("lob\u{200B}by").is_err());
    }

    #[test]
    fn a_name_with_a_right_to_left_override_is_rejected() {
        assert!(Username::parse("\u{202E}ana").is_err());
        assert!(RoomName::parse("lobby\u{202E}").is_err());
    }

    #[test]
    fn a_name_with_any_bidi_control_or_other_format_character_is_rejected() {
        for c in
            ['\u{AD}', '\u{61C}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{2066}', '\u{2069}', '\u{FEFF}']
        {
            assert!(Username::parse(&format!("a{c}b")).is_err(), "U+{:04X}", u32::from(c));
            assert!(RoomName::parse(&format!("a{c}b")).is_err(), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn a_name_with_a_line_separator_is_rejected() {
        assert!(Username::parse("two\u{2028}lines").is_err());
        assert!(RoomName::parse("two\u{2028}lines").is_err());
    }

    #[test]
    fn a_name_with_a_paragraph_separator_is_rejected() {
        assert!(Username::parse("two\u{2029}paragraphs").is_err());
        assert!(RoomName::parse("two\u{2029}paragraphs").is_err());
    }

    #[test]
    fn a_name_with_a_private_use_character_is_rejected() {
        assert!(Username::parse("logo\u{E000}").is_err());
        assert!(RoomName::parse("\u{F0000}").is_err());
    }

    #[test]
    fn a_name_with_an_unassigned_code_point_is_rejected() {
        assert!(Username::parse("a\u{378}").is_err());
        assert!(RoomName::parse("\u{E0080}").is_err());
    }

    #[test]
    fn a_refused_character_is_named_in_the_error() {
        let error = Username::parse("ana\u{202E}").unwrap_err();
        assert_eq!(
            error.0,
            "username must not contain U+202E, an invisible format character (such as a zero-width or bidi control)"
        );
        assert_eq!(RoomName::parse("\u{E000}").unwrap_err().0, "name must not contain U+E000, a private-use character");
    }

    #[test]
    fn a_name_given_in_nfd_is_kept_in_nfc() {
        assert_eq!(Username::parse("Zoe\u{308}").unwrap().as_str(), "Zo\u{EB}");
        assert_eq!(RoomName::parse("Cafe\u{301}").unwrap().as_str(), "Caf\u{E9}");
        assert_eq!(RoomName::parse("\u{1100}\u{1161}").unwrap().as_str(), "\u{AC00}");
    }

    #[test]
    fn a_name_already_in_nfc_is_kept_as_it_came() {
        for name in ["Zoë", "مرحبا", "שלום", "名前", "🦀", "👍🏽", "a b"] {
            assert_eq!(Username::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn a_names_length_is_counted_in_nfc() {
        // 128 characters as sent, 64 once e and U+0301 are composed.
        assert_eq!(Username::parse(&"e\u{301}".repeat(64)).unwrap().as_str().chars().count(), 64);
        // U+0958 is never composed: NFC writes it as two characters, so 33 of them are 66.
        assert_eq!(Username::parse("\u{958}").unwrap().as_str(), "\u{915}\u{93C}");
        assert!(Username::parse(&"\u{958}".repeat(33)).is_err());
        assert!(RoomName::parse(&"\u{958}".repeat(51)).is_err());
    }

    #[test]
    fn a_message_with_a_bidi_control_is_rejected() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{200E}', '\u{200F}', '\u{61C}',
        ] {
            let error = MessageText::parse(&format!("see {c}this")).unwrap_err();
            assert_eq!(error.0, format!("text must not contain U+{:04X}, a bidi control", u32::from(c)));
        }
    }

    /// A regex character class of the characters `holds` is true for, with `\uXXXX` escapes in
    /// the BMP and the characters themselves beyond it (the one spelling both ECMA-262 and
    /// Python, whose `re` the fuzzer uses, read).
    fn class_of(holds: impl Fn(char) -> bool) -> String {
        let mut ranges: Vec<(char, char)> = Vec::new();
        for c in (0..=0x10FFFF).filter_map(char::from_u32).filter(|&c| holds(c)) {
            match ranges.last_mut() {
                Some((_, last)) if u32::from(*last) + 1 == u32::from(c) => *last = c,
                _ => ranges.push((c, c)),
            }
        }
        let write = |c: char| if u32::from(c) > 0xFFFF { c.to_string() } else { format!("\\u{:04x}", u32::from(c)) };
        ranges
            .iter()
            .map(
                |&(first, last)| if first == last { write(first) } else { format!("{}-{}", write(first), write(last)) },
            )
            .collect()
    }

    #[test]
    fn the_openapi_patterns_accept_what_the_parsers_accept() {
        let document: serde_json::Value = serde_json::from_str(include_str!("../../web/openapi.json")).unwrap();
        let schemas = &document["components"]["schemas"];
        // Names: the characters they may hold, listed (`parse_name` refuses the `Hidden` ones): a
        // fuzzer generates from a class of allowed characters far faster than from a negated
        // one of this size. Messages refuse few characters: those are listed.
        let names = format!("^[{}]*$", class_of(|c| Hidden::of(c).is_none()));
        let messages = format!("^[^{}]*$", class_of(|c| MessageText::parse(&c.to_string()).is_err()));
        let wrong: Vec<String> = [("Username", &names), ("RoomName", &names), ("MessageText", &messages)]
            .into_iter()
            .filter(|(schema, pattern)| schemas[schema]["pattern"].as_str() != Some(pattern.as_str()))
            .map(|(schema, pattern)| {
                format!("{schema}'s pattern should be {}", serde_json::to_string(pattern).unwrap())
            })
            .collect();
        assert!(wrong.is_empty(), "web/openapi.json:\n{}", wrong.join("\n"));
    }

    #[test]
    fn a_message_keeps_right_to_left_text_and_joined_emoji() {
        for text in ["مرحبا بكم", "שלום עולם", "family: 👨\u{200D}👩\u{200D}👧", "soft\u{AD}hyphen"]
        {
            assert_eq!(MessageText::parse(text).unwrap().as_str(), text);
        }
    }
}
