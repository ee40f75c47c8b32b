//! Secrets: password hashes, session keys, and the key that client addresses are tagged with.

pub mod address;
pub mod password;
pub mod session;
pub mod sha256;

use crate::error::ApiError;

/// Compares two secrets in time that depends only on their lengths, never on where they
/// first differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// Fills `N` bytes from the platform's CSPRNG (`crypto.getRandomValues` on Workers).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| ApiError::internal(format!("getrandom: {error}")))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_secrets_compare_equal() {
        assert!(constant_time_eq(b"same secret", b"same secret"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn different_secrets_or_lengths_compare_unequal() {
        assert!(!constant_time_eq(b"secret-a", b"secret-b"));
        assert!(!constant_time_eq(b"secret", b"secret-longer"));
    }

    #[test]
    fn random_bytes_differ_between_calls() {
        assert_ne!(random_bytes::<32>().unwrap(), random_bytes::<32>().unwrap());
    }
}
