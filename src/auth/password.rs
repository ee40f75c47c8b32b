//! Password hashes: PBKDF2-HMAC-SHA256 with a random salt, stored self-describing as
//! `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>` so the iteration count can change later.

use sha2::Sha256;

use super::constant_time_eq;

const ALGORITHM: &str = "pbkdf2-sha256";
pub const SALT_BYTES: usize = 16;
pub const HASH_BYTES: usize = 32;

/// PBKDF2-HMAC-SHA256 of `password` and `salt`, filling `out` (any length).
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, out);
}

#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    iterations: u32,
    salt: [u8; SALT_BYTES],
    hash: [u8; HASH_BYTES],
}

impl PasswordHash {
    pub fn new(password: &[u8], iterations: u32, salt: [u8; SALT_BYTES]) -> Self {
        let mut hash = [0u8; HASH_BYTES];
        pbkdf2_sha256(password, &salt, iterations, &mut hash);
        Self { iterations, salt, hash }
    }

    /// Reads the stored form; `None` if it is not one we wrote.
    pub fn parse(stored: &str) -> Option<Self> {
        let mut parts = stored.split('$');
        let (algorithm, iterations, salt, hash) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if algorithm != ALGORITHM || parts.next().is_some() {
            return None;
        }
        let iterations = iterations.parse().ok().filter(|iterations| *iterations > 0)?;
        let mut parsed = Self { iterations, salt: [0; SALT_BYTES], hash: [0; HASH_BYTES] };
        hex::decode_to_slice(salt, &mut parsed.salt).ok()?;
        hex::decode_to_slice(hash, &mut parsed.hash).ok()?;
        Some(parsed)
    }

    pub fn encode(&self) -> String {
        format!("{ALGORITHM}${}${}${}", self.iterations, hex::encode(self.salt), hex::encode(self.hash))
    }

    /// Spends the same work whether or not the password matches.
    pub fn verify(&self, password: &[u8]) -> bool {
        let mut candidate = [0u8; HASH_BYTES];
        pbkdf2_sha256(password, &self.salt, self.iterations, &mut candidate);
        constant_time_eq(&candidate, &self.hash)
    }

    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Burns the time of one verification at `iterations`, for a user who does not exist, so
    /// that the answer's timing does not tell whether a user id is real.
    pub fn verify_against_dummy(password: &[u8], iterations: u32) -> bool {
        let dummy = Self { iterations, salt: [0x5a; SALT_BYTES], hash: [0; HASH_BYTES] };
        dummy.verify(password);
        false
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasswordHash({ALGORITHM}, {} iterations)", self.iterations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derive(password: &[u8], salt: &[u8], iterations: u32, length: usize) -> String {
        let mut out = vec![0u8; length];
        pbkdf2_sha256(password, salt, iterations, &mut out);
        hex::encode(out)
    }

    // PBKDF2-HMAC-SHA256 vectors in the style of RFC 6070 (as published for SHA-256, e.g. in
    // RFC 7914 section 11 and the widely used Stack Overflow / Go test suites).
    #[test]
    fn matches_the_one_iteration_vector() {
        assert_eq!(
            derive(b"password", b"salt", 1, 32),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
        );
    }

    #[test]
    fn matches_the_two_iteration_vector() {
        assert_eq!(
            derive(b"password", b"salt", 2, 32),
            "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"
        );
    }

    #[test]
    fn matches_the_4096_iteration_vector() {
        assert_eq!(
            derive(b"password", b"salt", 4096, 32),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"
        );
    }

    #[test]
    fn matches_the_long_password_and_salt_vector_over_two_blocks() {
        assert_eq!(
            derive(b"passwordPASSWORDpassword", b"saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 40),
            "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9"
        );
    }

    #[test]
    fn matches_the_embedded_nul_vector() {
        assert_eq!(derive(b"pass\0word", b"sa\0lt", 4096, 16), "89b69d0516f829893c696226650a8687");
    }

    #[test]
    fn matches_the_rfc_7914_vector() {
        assert_eq!(
            derive(b"passwd", b"salt", 1, 64),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
    }

    fn password(text: &str) -> &[u8] {
        text.as_bytes()
    }

    #[test]
    fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let hash = PasswordHash::new(password("correct horse"), 1000, [7; SALT_BYTES]);
        assert!(hash.verify(b"correct horse"));
        assert!(!hash.verify(b"correct horsf"));
    }

    #[test]
    fn a_stored_hash_reads_back_as_written() {
        let hash = PasswordHash::new(password("correct horse"), 1234, [7; SALT_BYTES]);
        let stored = hash.encode();
        assert!(stored.starts_with("pbkdf2-sha256$1234$07070707"));
        assert_eq!(PasswordHash::parse(&stored), Some(hash));
    }

    #[test]
    fn a_stored_hash_describes_its_iteration_count() {
        let hash = PasswordHash::parse(&PasswordHash::new(password("12345678"), 2000, [1; 16]).encode()).unwrap();
        assert_eq!(hash.iterations(), 2000);
    }

    #[test]
    fn foreign_or_damaged_stored_hashes_are_refused() {
        let good = PasswordHash::new(password("12345678"), 1000, [1; 16]).encode();
        for bad in [
            good.replace("pbkdf2-sha256", "bcrypt"),
            good.replace("$1000$", "$0$"),
            good.replace("$1000$", "$x$"),
            format!("{good}$extra"),
            good[..good.len() - 2].to_string(),
            String::new(),
        ] {
            assert_eq!(PasswordHash::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn the_dummy_never_verifies() {
        assert!(!PasswordHash::verify_against_dummy(b"anything", 1000));
    }

    #[test]
    fn a_debug_print_shows_neither_salt_nor_hash() {
        let hash = PasswordHash::new(password("12345678"), 1000, [0xab; 16]);
        assert!(!format!("{hash:?}").contains("abab"));
    }
}
