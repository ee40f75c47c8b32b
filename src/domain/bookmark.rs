//! A D1 bookmark: where in the database's history a client's last answer was, carried by the
//! client (`X-D1-Bookmark`) so that a read served by a replica is at least that recent (it
//! reads its own writes).

use super::Invalid;

/// D1 writes its bookmarks as groups of hex digits joined by `-`
/// (`00000085-0000024c-00004c6d-8e61117b…`); anything else is refused before it reaches D1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bookmark(String);

impl Bookmark {
    pub const MAX_LEN: usize = 128;

    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let well_formed = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text.split('-').all(|group| !group.is_empty() && group.bytes().all(|byte| byte.is_ascii_hexdigit()));
        if !well_formed {
            return Err(Invalid("X-D1-Bookmark must be a bookmark from an earlier answer's X-D1-Bookmark".into()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bookmark_is_hex_groups_joined_by_dashes() {
        let real = "00000085-0000024c-00004c6d-8e61117bf38d7adb71b934ebbf891683";
        assert_eq!(Bookmark::parse(real).map(|bookmark| bookmark.as_str().to_owned()), Ok(real.to_owned()));
        assert!(Bookmark::parse("0000000a").is_ok());
        for bad in ["", "-", "00-", "-00", "00--01", "first-primary", "0x12", "00 01", &"0".repeat(129), "ab\n"] {
            assert!(Bookmark::parse(bad).is_err(), "{bad:?}");
        }
    }
}
