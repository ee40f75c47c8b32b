//! Offset paging: which slice of a list a client asked for.

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Page {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;
    /// Far beyond any real list, and small enough to bind to SQLite as a plain number.
    pub const MAX_OFFSET: u32 = i32::MAX as u32;

    /// `limit` and `offset` as the input reader found them (already non-negative integers).
    pub fn parse(limit: Option<u64>, offset: Option<u64>) -> Result<Self, Invalid> {
        let limit = match limit {
            None => Self::DEFAULT_LIMIT,
            Some(limit) => u32::try_from(limit)
                .ok()
                .filter(|limit| *limit <= Self::MAX_LIMIT)
                .ok_or_else(|| Invalid(format!("limit must be at most {}", Self::MAX_LIMIT)))?,
        };
        let offset = match offset {
            None => 0,
            Some(offset) => u32::try_from(offset)
                .ok()
                .filter(|offset| *offset <= Self::MAX_OFFSET)
                .ok_or_else(|| Invalid(format!("offset must be at most {}", Self::MAX_OFFSET)))?,
        };
        Ok(Self { limit, offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_page_is_the_first_50() {
        assert_eq!(Page::parse(None, None).unwrap(), Page { limit: 50, offset: 0 });
    }

    #[test]
    fn a_limit_of_500_is_accepted_and_501_rejected() {
        assert_eq!(Page::parse(Some(500), None).unwrap().limit, 500);
        assert!(Page::parse(Some(501), None).is_err());
    }

    #[test]
    fn a_limit_of_zero_asks_for_the_count_alone() {
        assert_eq!(Page::parse(Some(0), Some(7)).unwrap(), Page { limit: 0, offset: 7 });
    }

    #[test]
    fn an_offset_beyond_a_32_bit_integer_is_rejected() {
        assert!(Page::parse(None, Some(u64::from(Page::MAX_OFFSET))).is_ok());
        assert!(Page::parse(None, Some(u64::from(Page::MAX_OFFSET) + 1)).is_err());
        assert!(Page::parse(Some(u64::MAX), None).is_err());
    }
}
