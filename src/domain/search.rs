//! A search of a room's messages: what to look for, and whether the room's index can find it.

use super::text::search_form;
use super::Invalid;

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// The room's index is of trigrams: it finds any piece of 3 characters or more. A shorter query
/// is looked for by reading the messages themselves, a bounded number at a time.
pub const INDEXED_CHARS: usize = 3;

/// A query: 1 to 100 characters, not only whitespace, no control characters. It finds the
/// messages whose text contains it, case-insensitively, in any script.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageSearch {
    text: String,
    folded: String,
}

impl MessageSearch {
    pub fn parse(q: &str) -> Result<Self, Invalid> {
        let chars = q.chars().count();
        if chars == 0 || chars > MAX_QUERY_CHARS {
            return Err(Invalid(format!("q must be 1 to {MAX_QUERY_CHARS} characters")));
        }
        if q.chars().all(char::is_whitespace) {
            return Err(Invalid("q must hold something besides whitespace".into()));
        }
        if q.chars().any(char::is_control) {
            return Err(Invalid("q may not hold control characters".into()));
        }
        Ok(Self { text: q.to_owned(), folded: search_form(q) })
    }

    /// Whether the index finds it (3 characters or more).
    pub fn indexed(&self) -> bool {
        self.text.chars().count() >= INDEXED_CHARS
    }

    /// The query as the index takes it: case-folded as the index's texts are (`indexed_form`),
    /// one phrase, quoted, its quotes doubled, so that no character of it is an operator.
    pub fn phrase(&self) -> String {
        format!("\"{}\"", self.folded.replace('"', "\"\""))
    }

    /// Whether a message's text contains it, case-insensitively (for a query the index cannot
    /// find).
    pub fn found_in(&self, text: &str) -> bool {
        search_form(text).contains(&self.folded)
    }
}

impl TryFrom<String> for MessageSearch {
    type Error = String;

    fn try_from(q: String) -> Result<Self, String> {
        Self::parse(&q).map_err(|Invalid(error)| error)
    }
}

impl From<MessageSearch> for String {
    fn from(search: MessageSearch) -> Self {
        search.text
    }
}

/// A message's text as the index keeps it: case-folded as queries are (the index folds case
/// too, but keeps a final sigma apart from σ, as Unicode's lowercase does).
pub fn indexed_form(text: &str) -> String {
    search_form(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_1_to_100_characters_of_something() {
        assert!(MessageSearch::parse("東").is_ok());
        assert!(MessageSearch::parse(&"é".repeat(100)).is_ok());
        for refused in ["", "   ", "\t", &"a".repeat(101), "a\u{0}b", "line\nbreak"] {
            assert!(MessageSearch::parse(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn three_characters_or_more_go_to_the_index_as_one_quoted_phrase() {
        assert!(!MessageSearch::parse("東京").unwrap().indexed());
        assert!(MessageSearch::parse("東京で").unwrap().indexed());
        assert_eq!(MessageSearch::parse(r#"say "hi" OR NOT"#).unwrap().phrase(), r#""say ""hi"" or not""#);
        assert_eq!(MessageSearch::parse("ΛΌΓΟΣ").unwrap().phrase(), format!("\"{}\"", indexed_form("λόγος")));
    }

    #[test]
    fn a_short_query_is_found_in_any_case_and_any_script() {
        let search = MessageSearch::parse("Ün").unwrap();
        assert!(search.found_in("ÜNÏCODE"));
        assert!(search.found_in("an ünïcode word"));
        assert!(!search.found_in("unicode"));
        assert!(MessageSearch::parse("東京").unwrap().found_in("東京で会いましょう"));
        assert!(MessageSearch::parse("ΟΣ").unwrap().found_in("λόγος"));
    }
}
