//! Files in messages: what an upload calls a file and what kind it says it is, which of its
//! bytes a `Range` asks for, and how an answer names it to the browser that saves it.

use serde::{Deserialize, Serialize};

use super::{FileId, Invalid};

/// The most characters a file's name has.
pub const MAX_NAME_CHARS: usize = 200;
/// The most files one message carries.
pub const MAX_FILES: usize = 10;

/// A post's `files`: at most `MAX_FILES` ids, each once.
pub fn file_list(ids: Vec<&str>) -> Result<Vec<FileId>, Invalid> {
    if ids.len() > MAX_FILES {
        return Err(Invalid(format!("files holds at most {MAX_FILES} file ids")));
    }
    let mut files: Vec<FileId> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = FileId::parse_field("files", id).map_err(|_| Invalid("files must be an array of file ids".into()))?;
        if files.contains(&id) {
            return Err(Invalid("files names a file twice".into()));
        }
        files.push(id);
    }
    Ok(files)
}

/// A file's name, as its uploader gave it: 1–200 characters, not only whitespace, not `.` or
/// `..`, without control characters, path separators (`/`, `\`) or the invisible characters
/// that turn text around (U+202E would show `gpj.exe` as `exe.jpg`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileName(String);

impl FileName {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let chars = text.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            return Err(Invalid(format!("name must be 1 to {MAX_NAME_CHARS} characters")));
        }
        if text.chars().any(|c| c.is_control() || c == '/' || c == '\\' || turns_text(c)) {
            return Err(Invalid("name must not hold control characters, / or \\".into()));
        }
        if text.trim().is_empty() || text == "." || text == ".." {
            return Err(Invalid("name must be a file's name".into()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a file is called when nothing says (it never happens to a file the room kept).
impl Default for FileName {
    fn default() -> Self {
        Self("file".to_owned())
    }
}

/// The bidirectional formatting characters (Unicode's Bidi_Control).
fn turns_text(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// What a file is, as its upload's `Content-Type` said: `type/subtype` in lower case, its
/// parameters dropped; `application/octet-stream` when it said nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MediaType(String);

impl MediaType {
    pub const OCTET_STREAM: &'static str = "application/octet-stream";
    const MAX_BYTES: usize = 100;
    /// The images a browser is shown as they are: everything else is a download.
    const INLINE: [&'static str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

    pub fn parse(header: Option<&str>) -> Result<Self, Invalid> {
        let essence = header.and_then(|value| value.split(';').next()).unwrap_or_default().trim();
        if essence.is_empty() {
            return Ok(Self(Self::OCTET_STREAM.to_owned()));
        }
        let valid = essence.len() <= Self::MAX_BYTES
            && essence.split_once('/').is_some_and(|(kind, subtype)| is_token(kind) && is_token(subtype));
        if !valid {
            return Err(Invalid("Content-Type must be a media type (type/subtype)".into()));
        }
        Ok(Self(essence.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether browsers are shown it inline, as it is.
    pub fn is_inline_image(&self) -> bool {
        Self::INLINE.contains(&self.0.as_str())
    }

    /// The type it is served as: itself if an inline image, else bytes to save.
    pub fn served(&self) -> &str {
        if self.is_inline_image() {
            &self.0
        } else {
            Self::OCTET_STREAM
        }
    }
}

/// What a file is when nothing says: bytes.
impl Default for MediaType {
    fn default() -> Self {
        Self(Self::OCTET_STREAM.to_owned())
    }
}

/// HTTP's token characters (RFC 9110, 5.6.2).
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A file as every message shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileView {
    pub file_id: FileId,
    pub name: FileName,
    #[serde(rename = "type")]
    pub media_type: MediaType,
    pub size: u64,
}

/// Which bytes of a file of `size` bytes an answer carries, as its request's `Range` asks
/// (RFC 9110, 14): one range of bytes, `first-last`, `first-` or `-suffix`. What is not one
/// such range (several, another unit, malformed) is ignored, as the RFC allows: the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranged {
    Whole,
    /// From `first` to `last`, both included.
    Part {
        first: u64,
        last: u64,
    },
    /// No byte of the file: 416.
    Unsatisfiable,
}

impl Ranged {
    pub fn of(header: Option<&str>, size: u64) -> Self {
        let Some(spec) = header.map(str::trim).and_then(|value| value.strip_prefix("bytes=")) else {
            return Self::Whole;
        };
        let Some((first, last)) = spec.trim().split_once('-') else { return Self::Whole };
        let number = |text: &str| -> Option<u64> {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            text.parse().ok()
        };
        match (first, last) {
            ("", suffix) => match number(suffix) {
                None => Self::Whole,
                Some(0) => Self::Unsatisfiable,
                Some(_) if size == 0 => Self::Unsatisfiable,
                Some(suffix) => Self::Part { first: size.saturating_sub(suffix), last: size - 1 },
            },
            (first, "") => match number(first) {
                None => Self::Whole,
                Some(first) if first >= size => Self::Unsatisfiable,
                Some(first) => Self::Part { first, last: size - 1 },
            },
            (first, last) => match (number(first), number(last)) {
                (Some(first), Some(last)) if first <= last => {
                    if first >= size {
                        Self::Unsatisfiable
                    } else {
                        Self::Part { first, last: last.min(size - 1) }
                    }
                }
                _ => Self::Whole,
            },
        }
    }
}

/// `Content-Disposition` for a file: `inline` (an image shown as it is) or `attachment`,
/// with its name twice, as every browser reads one of them: ASCII (others replaced by `_`),
/// and UTF-8 percent-encoded (RFC 6266, RFC 8187).
pub fn disposition(inline: bool, name: &FileName) -> String {
    let fallback: String = name
        .as_str()
        .chars()
        .map(|c| if c == ' ' || (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%')) { c } else { '_' })
        .collect();
    let mut encoded = String::new();
    for byte in name.as_str().bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posts_files_are_at_most_ten_ids_each_once() {
        let id = "0a1b2c3d-0000-4000-8000-000000000000";
        assert_eq!(file_list(vec![id]).unwrap().len(), 1);
        assert!(file_list(vec![id, id]).is_err());
        assert!(file_list(vec!["nope"]).is_err());
        let eleven: Vec<String> = (0..11).map(|n| format!("0a1b2c3d-0000-4000-8000-{n:012}")).collect();
        assert!(file_list(eleven.iter().map(String::as_str).collect()).is_err());
        assert_eq!(file_list(eleven[..10].iter().map(String::as_str).collect()).unwrap().len(), 10);
    }

    #[test]
    fn a_name_is_one_to_two_hundred_characters_of_no_path_and_no_control() {
        for good in ["a", "photo.jpg", "東京の写真.png", "..hidden", "a b", &"é".repeat(200)] {
            assert_eq!(FileName::parse(good).map(|name| name.as_str().to_owned()), Ok(good.to_owned()), "{good}");
        }
        for bad in ["", " ", ".", "..", "a/b", "a\\b", "a\nb", "a\u{0}b", "gpj\u{202E}.exe", &"é".repeat(201)] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_media_type_is_kept_as_its_essence_and_only_safe_images_are_shown_inline() {
        let parsed = |header: Option<&str>| MediaType::parse(header).map(|kind| kind.as_str().to_owned());
        assert_eq!(parsed(None), Ok(MediaType::OCTET_STREAM.to_owned()));
        assert_eq!(parsed(Some("")), Ok(MediaType::OCTET_STREAM.to_owned()));
        assert_eq!(parsed(Some("Image/PNG; q=1")), Ok("image/png".to_owned()));
        assert_eq!(parsed(Some("text/plain;charset=utf-8")), Ok("text/plain".to_owned()));
        for bad in ["png", "image/", "/png", "image/p g", "image/png/x", "a\u{e9}/b"] {
            assert!(parsed(Some(bad)).is_err(), "{bad}");
        }
        let served = |header: &str| MediaType::parse(Some(header)).unwrap().served().to_owned();
        assert_eq!(served("image/webp"), "image/webp");
        assert_eq!(served("image/svg+xml"), MediaType::OCTET_STREAM, "an SVG runs scripts");
        assert_eq!(served("text/html"), MediaType::OCTET_STREAM);
    }

    #[test]
    fn a_range_is_one_range_of_bytes_within_the_file() {
        let of = |header: &str, size: u64| Ranged::of(Some(header), size);
        assert_eq!(Ranged::of(None, 10), Ranged::Whole);
        assert_eq!(of("bytes=0-4", 10), Ranged::Part { first: 0, last: 4 });
        assert_eq!(of("bytes=5-", 10), Ranged::Part { first: 5, last: 9 });
        assert_eq!(of("bytes=-3", 10), Ranged::Part { first: 7, last: 9 });
        assert_eq!(of("bytes=-30", 10), Ranged::Part { first: 0, last: 9 });
        assert_eq!(of("bytes=8-100", 10), Ranged::Part { first: 8, last: 9 });
        assert_eq!(of("bytes=10-", 10), Ranged::Unsatisfiable);
        assert_eq!(of("bytes=10-12", 10), Ranged::Unsatisfiable);
        assert_eq!(of("bytes=-0", 10), Ranged::Unsatisfiable);
        assert_eq!(of("bytes=0-0", 0), Ranged::Unsatisfiable);
        for ignored in ["bytes=0-1,3-4", "items=0-1", "bytes=4-2", "bytes=a-b", "bytes=-", "bytes=+1-2", "0-1"] {
            assert_eq!(of(ignored, 10), Ranged::Whole, "{ignored}");
        }
    }

    #[test]
    fn a_disposition_names_the_file_in_ascii_and_in_utf8() {
        let name = FileName::parse("r\u{e9}sum\u{e9} \"final\".pdf").unwrap();
        assert_eq!(
            disposition(false, &name),
            "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
        );
        assert!(disposition(true, &FileName::parse("a.png").unwrap()).starts_with("inline; "));
    }
}
