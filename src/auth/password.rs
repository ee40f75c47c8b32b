//! Password hashes: PBKDF2-HMAC-SHA256 with a random salt, stored self-describing as
//! `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>` so the iteration count can change later.

use sha2::{Digest, Sha256};

use super::constant_time_eq;
use super::sha256::{self, State};

const ALGORITHM: &str = "pbkdf2-sha256";
pub const SALT_BYTES: usize = 16;
pub const HASH_BYTES: usize = 32;

/// PBKDF2-HMAC-SHA256 (RFC 8018) of `password` and `salt`, filling `out` (any length; as in
/// the `pbkdf2` crate, 0 iterations count as 1).
///
/// The `pbkdf2` crate computes the first iteration of each output block (the HMAC of the
/// salt). Every later iteration hashes the previous 32-byte result, and HMAC's two hashes of
/// it both start from a state that depends only on the key (its inner and outer key block,
/// compressed once by `sha2`): so each is two compressions from those two states, and the
/// whole cost is [`sha256::compress_digest`], which is tuned for it.
pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    // Every block's first iteration, whole (a short last block needs all 32 bytes to go on).
    let mut firsts = vec![0u8; out.len().div_ceil(32) * 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, 1, &mut firsts);

    // HMAC's key block: the password, or its SHA-256 if longer than a block; zero-padded.
    let mut key = [0u8; 64];
    if password.len() > key.len() {
        key.iter_mut().zip(Sha256::digest(password)).for_each(|(k, byte)| *k = byte);
    } else {
        key.iter_mut().zip(password).for_each(|(k, byte)| *k = *byte);
    }
    let (mut inner, mut outer) = (sha256::IV, sha256::IV);
    sha2::compress256(&mut inner, &[key.map(|byte| byte ^ 0x36).into()]);
    sha2::compress256(&mut outer, &[key.map(|byte| byte ^ 0x5c).into()]);

    for (chunk, first) in out.chunks_mut(32).zip(firsts.chunks_exact(32)) {
        let mut u: State = [0; 8];
        for (word, bytes) in u.iter_mut().zip(first.chunks_exact(4)) {
            *word = bytes.iter().fold(0, |word, &byte| (word << 8) | u32::from(byte));
        }
        let mut sum = u;
        for _ in 1..iterations {
            u = sha256::compress_digest(&outer, &sha256::compress_digest(&inner, &u));
            sum.iter_mut().zip(u).for_each(|(s, word)| *s ^= word);
        }
        chunk.iter_mut().zip(sum.iter().flat_map(|word| word.to_be_bytes())).for_each(|(out, byte)| *out = byte);
    }
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

    /// Whether a login should store this password anew at `iterations`: only to raise the
    /// count, never to lower it.
    pub fn needs_rehash(&self, iterations: u32) -> bool {
        self.iterations < iterations
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

    /// `abc…zabc…`, `length` bytes: HMAC hashes keys longer than a block (64 bytes) first.
    fn alphabet(length: usize) -> Vec<u8> {
        (b'a'..=b'z').cycle().take(length).collect()
    }

    // Expected values from an independent implementation, Python's hashlib:
    //   hashlib.pbkdf2_hmac('sha256', password, salt, iterations, length).hex()
    #[test]
    fn a_1024_byte_password_matches_hashlib() {
        assert_eq!(
            derive(&alphabet(1024), b"salt", 1000, 32),
            "cabf544d197cd7c52c46b12537423665867f3308305a4ffc92cc6e66f1b5c90b"
        );
        assert_eq!(
            derive(&alphabet(1024), b"salt", 2, 40),
            "682b387880da0bc0cd9ee1009071761b641cc95ea1d0ad7d2cd290b5563757430f5bcffaa4db1c38"
        );
    }

    #[test]
    fn passwords_of_a_block_and_one_byte_more_match_hashlib() {
        assert_eq!(
            derive(&alphabet(64), b"salt", 1000, 32),
            "b4dc25afd9fe84a0968b9a766e00d170591716ab55070dd5044e5be608c84c4a"
        );
        assert_eq!(
            derive(&alphabet(65), b"salt", 1000, 32),
            "eb34f192ea65abda78a5dbdb1a9616e87313ffe54791bcd8ffc2a6faea1d835c"
        );
    }

    #[test]
    fn unicode_passwords_and_salts_match_hashlib() {
        assert_eq!(
            derive("pässwörd 密码 🔑".as_bytes(), "sålt".as_bytes(), 1000, 32),
            "076502debdcd889f076cbf2a392022a519b32c1fed8a1d0281827a0ac823fe79"
        );
        assert_eq!(
            derive("🔑".repeat(40).as_bytes(), b"salt", 1000, 32),
            "b8ef346f85b8f7672c0960d4554926f690a813f86351d019be9f2cca1c071067"
        );
    }

    #[test]
    fn matches_the_pbkdf2_crate_on_random_inputs() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..300 {
            let password: Vec<u8> = (0..next() % 150).map(|_| next() as u8).collect();
            let salt: Vec<u8> = (0..next() % 80).map(|_| next() as u8).collect();
            let iterations = [1, 2, 3, 17][(next() % 4) as usize];
            let length = 1 + (next() % 100) as usize;
            let (mut ours, mut theirs) = (vec![0u8; length], vec![0u8; length]);
            pbkdf2_sha256(&password, &salt, iterations, &mut ours);
            pbkdf2::pbkdf2_hmac::<Sha256>(&password, &salt, iterations, &mut theirs);
            assert_eq!(ours, theirs, "{password:x?} {salt:x?} {iterations} {length}");
        }
    }

    #[test]
    fn a_hash_is_redone_at_a_higher_iteration_count_only() {
        let hash = PasswordHash::new(b"password", 2000, [7; SALT_BYTES]);
        assert!(hash.needs_rehash(2001));
        assert!(hash.needs_rehash(600_000));
        assert!(!hash.needs_rehash(2000));
        assert!(!hash.needs_rehash(1000));
    }

    #[test]
    fn zero_iterations_count_as_one_as_in_the_pbkdf2_crate() {
        assert_eq!(derive(b"password", b"salt", 0, 32), derive(b"password", b"salt", 1, 32));
    }

    /// `cargo test --release --lib -- --ignored --nocapture native_timing`: milliseconds for
    /// one hash at the production count, this implementation and the `pbkdf2` crate's.
    #[test]
    #[ignore]
    fn native_timing() {
        let time = |hash: &dyn Fn(&mut [u8])| {
            let mut out = [0u8; 32];
            let times: Vec<f64> = (0..5)
                .map(|_| {
                    let started = std::time::Instant::now();
                    hash(&mut out);
                    started.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            (times.iter().copied().fold(f64::INFINITY, f64::min), hex::encode(out))
        };
        let ours = time(&|out| pbkdf2_sha256(b"password", b"salt", 600_000, out));
        let crate_ = time(&|out| pbkdf2::pbkdf2_hmac::<Sha256>(b"password", b"salt", 600_000, out));
        println!("600000 iterations: ours {:.1} ms, pbkdf2 crate {:.1} ms (best of 5)", ours.0, crate_.0);
        assert_eq!(ours.1, "669cfe52482116fda1aa2cbe409b2f56c8e4563752b7a28f6eaab614ee005178");
        assert_eq!(ours.1, crate_.1);
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
    fn a_debug_print_shows_neither_salt_nor_hash() {
        let hash = PasswordHash::new(password("12345678"), 1000, [0xab; 16]);
        assert!(!format!("{hash:?}").contains("abab"));
    }
}
