//! SHA-256's compression function, shaped for the inner loop of PBKDF2-HMAC-SHA256.
//!
//! PBKDF2 at hundreds of thousands of iterations is one long chain of SHA-256 compressions,
//! two per iteration, each of a block that holds a 32-byte digest and constant padding. No two
//! of them can run side by side, so what counts is how fast one compression runs in wasm under
//! V8. This one:
//! - unrolls the 64 rounds with their constants inline, and folds the padding words of the
//!   iteration block into constants ([`compress_digest`]);
//! - writes each round so that `a` and `e`, the words the previous round just made, are few
//!   operations from the next ones (Maj as `(a & (b | c)) | (b & c)`, Ch as `g ^ (e & (f ^ g))`,
//!   and the sums ordered so the words known early are added first): the rounds are a chain, and
//!   its latency counts as much as the number of operations;
//! - on wasm32, computes the message schedule four words at a time in SIMD (simd128, which
//!   workerd's V8 has always had) beside the scalar rounds, which in workerd beats a scalar
//!   schedule. Only [`compress_digest`] is compiled with simd128 (`target_feature`), so
//!   the build needs no flags; on other targets (the native tests) the same schedule runs on
//!   plain `[u32; 4]` lanes.
//!
//! `sha2` stays the SHA-256 for everything else (messages of any length, the HMAC key blocks,
//! session keys); the tests check this module against it.

/// SHA-256's eight state words.
pub type State = [u32; 8];

/// The initial state.
pub const IV: State = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// The round constants, four to a row.
const K: [[u32; 4]; 16] = [
    [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5],
    [0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5],
    [0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3],
    [0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174],
    [0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc],
    [0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da],
    [0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7],
    [0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967],
    [0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13],
    [0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85],
    [0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3],
    [0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070],
    [0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5],
    [0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3],
    [0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208],
    [0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2],
];

/// Compresses the last block of a SHA-256 of 96 bytes, 64 already compressed into `state` and
/// then `digest`: the rest of the block is padding, constants that fold into the rounds. One
/// PBKDF2-HMAC-SHA256 iteration is two of these.
///
/// Out of line on purpose: V8 compiles a wasm function with its baseline compiler first and
/// swaps in the optimised code only for later calls, so the hot code must be a function that
/// is called often, not a loop inside one long call.
#[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
#[inline(never)]
pub fn compress_digest(state: &State, digest: &State) -> State {
    let [m0, m1, m2, m3, m4, m5, m6, m7] = *digest;
    compress(state, [m0, m1, m2, m3, m4, m5, m6, m7, 0x8000_0000, 0, 0, 0, 0, 0, 0, (64 + 32) * 8])
}

#[inline(always)]
fn big_sigma0(x: u32) -> u32 {
    x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
}

#[inline(always)]
fn big_sigma1(x: u32) -> u32 {
    x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
}

/// One round, `kw` being the round constant plus the message word. `d` becomes the new `e`
/// and `h` the new `a`; the caller renames the words for the next round.
///
/// The rounds are one chain, so the operations between one round's `e` (or `a`) and the next
/// set the speed. Ch and Maj keep `e` and `a` two operations from their results (Maj as
/// `(a & b) | (c & (a | b))` has three; measured in workerd, the form matters).
/// The sums add what is known early first and Σ1(e) last, `((d + (h + kw)) + Ch) + Σ1` rather
/// than `d + T1`: four operations from `e` to the next `e` instead of five, for two more
/// additions per round, which workerd runs faster.
macro_rules! round {
    ($a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident, $kw:expr) => {
        let hk = $h.wrapping_add($kw);
        let ch = $g ^ ($e & ($f ^ $g));
        let s1 = big_sigma1($e);
        let maj = ($a & ($b | $c)) | ($b & $c);
        $d = $d.wrapping_add(hk).wrapping_add(ch).wrapping_add(s1);
        $h = hk.wrapping_add(ch).wrapping_add(s1).wrapping_add(maj).wrapping_add(big_sigma0($a));
    };
}

/// Four rounds, `kw` the four round constants plus message words. After four rounds the
/// working words have moved four places: the next call names them from `e`.
macro_rules! four_rounds {
    ($a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident, $kw:expr) => {
        let [kw0, kw1, kw2, kw3] = $kw;
        round!($a, $b, $c, $d, $e, $f, $g, $h, kw0);
        round!($h, $a, $b, $c, $d, $e, $f, $g, kw1);
        round!($g, $h, $a, $b, $c, $d, $e, $f, kw2);
        round!($f, $g, $h, $a, $b, $c, $d, $e, kw3);
    };
}

#[inline(always)]
fn add4([x0, x1, x2, x3]: [u32; 4], [y0, y1, y2, y3]: [u32; 4]) -> [u32; 4] {
    [x0.wrapping_add(y0), x1.wrapping_add(y1), x2.wrapping_add(y2), x3.wrapping_add(y3)]
}

/// The 64 rounds and the final addition. The first sixteen rounds take the block's words as
/// they are (constant words fold into their round constants); the rest take the schedule's.
#[inline(always)]
fn compress(state: &State, block: [u32; 16]) -> State {
    let [w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15] = block;
    let [k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14, k15] = K;
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    four_rounds!(a, b, c, d, e, f, g, h, add4([w0, w1, w2, w3], k0));
    four_rounds!(e, f, g, h, a, b, c, d, add4([w4, w5, w6, w7], k1));
    four_rounds!(a, b, c, d, e, f, g, h, add4([w8, w9, w10, w11], k2));
    four_rounds!(e, f, g, h, a, b, c, d, add4([w12, w13, w14, w15], k3));
    let mut schedule = Schedule::new(block);
    four_rounds!(a, b, c, d, e, f, g, h, schedule.next(k4));
    four_rounds!(e, f, g, h, a, b, c, d, schedule.next(k5));
    four_rounds!(a, b, c, d, e, f, g, h, schedule.next(k6));
    four_rounds!(e, f, g, h, a, b, c, d, schedule.next(k7));
    four_rounds!(a, b, c, d, e, f, g, h, schedule.next(k8));
    four_rounds!(e, f, g, h, a, b, c, d, schedule.next(k9));
    four_rounds!(a, b, c, d, e, f, g, h, schedule.next(k10));
    four_rounds!(e, f, g, h, a, b, c, d, schedule.next(k11));
    four_rounds!(a, b, c, d, e, f, g, h, schedule.next(k12));
    four_rounds!(e, f, g, h, a, b, c, d, schedule.next(k13));
    four_rounds!(a, b, c, d, e, f, g, h, schedule.next(k14));
    four_rounds!(e, f, g, h, a, b, c, d, schedule.next(k15));
    let [s0, s1, s2, s3, s4, s5, s6, s7] = *state;
    [
        s0.wrapping_add(a),
        s1.wrapping_add(b),
        s2.wrapping_add(c),
        s3.wrapping_add(d),
        s4.wrapping_add(e),
        s5.wrapping_add(f),
        s6.wrapping_add(g),
        s7.wrapping_add(h),
    ]
}

/// The message schedule four words at a time, W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) +
/// W[t-16], from the last sixteen words kept as four groups of four.
struct Schedule {
    words: [Lanes; 4],
}

impl Schedule {
    #[inline(always)]
    fn new(block: [u32; 16]) -> Self {
        let [w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15] = block;
        Self {
            words: [
                Lanes::new([w0, w1, w2, w3]),
                Lanes::new([w4, w5, w6, w7]),
                Lanes::new([w8, w9, w10, w11]),
                Lanes::new([w12, w13, w14, w15]),
            ],
        }
    }

    /// The next four words, plus the round constants `k`.
    #[inline(always)]
    fn next(&mut self, k: [u32; 4]) -> [u32; 4] {
        let [x0, x1, x2, x3] = self.words;
        // W[t-16] + W[t-7] + σ0(W[t-15]) for the four words.
        let partial = x0.add(Lanes::shift_in(x2, x3)).add(Lanes::shift_in(x0, x1).small_sigma0());
        // σ1(W[t-2]): for the first two words from x3, for the last two from the first two.
        let low = partial.add(x3.small_sigma1_high_to_low());
        let new = low.add(low.small_sigma1_low_to_high());
        self.words = [x1, x2, x3, new];
        new.add(Lanes::new(k)).get()
    }
}

#[cfg(target_arch = "wasm32")]
use wasm_lanes::Lanes;

#[cfg(not(target_arch = "wasm32"))]
use portable_lanes::Lanes;

/// Four words in a wasm SIMD register. Everything here must inline into the simd128 function:
/// `#[inline(always)]` functions, no closures (at opt-level "z" a closure stays a call, and
/// then so does every SIMD operation in it: twice as slow).
#[cfg(target_arch = "wasm32")]
mod wasm_lanes {
    use core::arch::wasm32::{
        u32x4, u32x4_add, u32x4_extract_lane, u32x4_shl, u32x4_shr, u32x4_shuffle, u32x4_splat, u64x2_shr, v128,
        v128_or, v128_xor,
    };

    #[derive(Clone, Copy)]
    pub struct Lanes(v128);

    #[inline(always)]
    fn rotate_right(x: v128, n: u32) -> v128 {
        v128_or(u32x4_shr(x, n), u32x4_shl(x, 32 - n))
    }

    impl Lanes {
        #[inline(always)]
        pub fn new([w0, w1, w2, w3]: [u32; 4]) -> Self {
            Self(u32x4(w0, w1, w2, w3))
        }

        #[inline(always)]
        pub fn get(self) -> [u32; 4] {
            let Self(x) = self;
            [
                u32x4_extract_lane::<0>(x),
                u32x4_extract_lane::<1>(x),
                u32x4_extract_lane::<2>(x),
                u32x4_extract_lane::<3>(x),
            ]
        }

        /// `[x1, x2, x3, y0]`
        #[inline(always)]
        pub fn shift_in(Self(x): Self, Self(y): Self) -> Self {
            Self(u32x4_shuffle::<1, 2, 3, 4>(x, y))
        }

        #[inline(always)]
        pub fn add(self, Self(y): Self) -> Self {
            Self(u32x4_add(self.0, y))
        }

        #[inline(always)]
        pub fn small_sigma0(self) -> Self {
            let Self(x) = self;
            Self(v128_xor(v128_xor(rotate_right(x, 7), rotate_right(x, 18)), u32x4_shr(x, 3)))
        }

        /// σ1 of two words doubled into 64-bit lanes as `[w, w]`: a 64-bit lane shifted right
        /// by n holds w rotated right by n in its low half.
        #[inline(always)]
        fn small_sigma1_doubled(doubled: v128) -> v128 {
            v128_xor(v128_xor(u64x2_shr(doubled, 17), u64x2_shr(doubled, 19)), u32x4_shr(doubled, 10))
        }

        /// `[σ1(x2), σ1(x3), 0, 0]`
        #[inline(always)]
        pub fn small_sigma1_high_to_low(self) -> Self {
            let Self(x) = self;
            let sigma = Self::small_sigma1_doubled(u32x4_shuffle::<2, 2, 3, 3>(x, x));
            Self(u32x4_shuffle::<0, 2, 4, 4>(sigma, u32x4_splat(0)))
        }

        /// `[0, 0, σ1(x0), σ1(x1)]`
        #[inline(always)]
        pub fn small_sigma1_low_to_high(self) -> Self {
            let Self(x) = self;
            let sigma = Self::small_sigma1_doubled(u32x4_shuffle::<0, 0, 1, 1>(x, x));
            Self(u32x4_shuffle::<4, 4, 0, 2>(sigma, u32x4_splat(0)))
        }
    }
}

/// The same four words as a plain array, for every other target (the native tests).
#[cfg(not(target_arch = "wasm32"))]
mod portable_lanes {
    use super::add4;

    #[inline(always)]
    fn small_sigma0(x: u32) -> u32 {
        x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
    }

    #[inline(always)]
    fn small_sigma1(x: u32) -> u32 {
        x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
    }

    #[derive(Clone, Copy)]
    pub struct Lanes([u32; 4]);

    impl Lanes {
        #[inline(always)]
        pub fn new(words: [u32; 4]) -> Self {
            Self(words)
        }

        #[inline(always)]
        pub fn get(self) -> [u32; 4] {
            self.0
        }

        /// `[x1, x2, x3, y0]`
        #[inline(always)]
        pub fn shift_in(Self([_, x1, x2, x3]): Self, Self([y0, ..]): Self) -> Self {
            Self([x1, x2, x3, y0])
        }

        #[inline(always)]
        pub fn add(self, Self(y): Self) -> Self {
            Self(add4(self.0, y))
        }

        #[inline(always)]
        pub fn small_sigma0(self) -> Self {
            Self(self.0.map(small_sigma0))
        }

        /// `[σ1(x2), σ1(x3), 0, 0]`
        #[inline(always)]
        pub fn small_sigma1_high_to_low(self) -> Self {
            let [_, _, x2, x3] = self.0;
            Self([small_sigma1(x2), small_sigma1(x3), 0, 0])
        }

        /// `[0, 0, σ1(x0), σ1(x1)]`
        #[inline(always)]
        pub fn small_sigma1_low_to_high(self) -> Self {
            let [x0, x1, _, _] = self.0;
            Self([0, 0, small_sigma1(x0), small_sigma1(x1)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    /// splitmix64: reproducible test inputs without a dependency.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn bytes<const N: usize>(&mut self) -> [u8; N] {
            std::array::from_fn(|_| self.next() as u8)
        }

        fn words(&mut self) -> State {
            std::array::from_fn(|_| self.next() as u32)
        }
    }

    /// Any block through the same rounds and schedule (the worker itself only needs
    /// [`compress_digest`]).
    fn compress_block(state: &State, block: &[u8; 64]) -> State {
        let words: [u32; 16] = std::array::from_fn(|i| u32::from_be_bytes(block[4 * i..4 * i + 4].try_into().unwrap()));
        compress(state, words)
    }

    fn sha2_compress(state: &State, block: &[u8; 64]) -> State {
        let mut state = *state;
        sha2::compress256(&mut state, &[(*block).into()]);
        state
    }

    fn bytes_of(words: &State) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        bytes
    }

    #[test]
    fn a_block_compresses_as_sha2_compresses_it() {
        let mut random = Random(1);
        for _ in 0..5000 {
            let (state, block) = (random.words(), random.bytes::<64>());
            assert_eq!(compress_block(&state, &block), sha2_compress(&state, &block), "{state:x?} {block:x?}");
        }
    }

    #[test]
    fn blocks_of_extreme_words_compress_as_sha2_compresses_them() {
        for (state, byte) in
            [([0u32; 8], 0u8), ([u32::MAX; 8], 0xff), ([0u32; 8], 0xff), ([u32::MAX; 8], 0), (IV, 0x80)]
        {
            let block = [byte; 64];
            assert_eq!(compress_block(&state, &block), sha2_compress(&state, &block));
        }
    }

    #[test]
    fn a_digest_block_compresses_as_its_padded_block() {
        let mut random = Random(2);
        for _ in 0..5000 {
            let (state, digest) = (random.words(), random.words());
            let mut block = [0u8; 64];
            block[..32].copy_from_slice(&bytes_of(&digest));
            block[32] = 0x80;
            block[62..].copy_from_slice(&768u16.to_be_bytes());
            assert_eq!(compress_digest(&state, &digest), sha2_compress(&state, &block));
        }
    }

    #[test]
    fn a_block_and_a_digest_hash_as_sha2_hashes_their_96_bytes() {
        let mut random = Random(3);
        for _ in 0..1000 {
            let (first, second) = (random.bytes::<64>(), random.bytes::<32>());
            let words: State =
                std::array::from_fn(|i| u32::from_be_bytes(second[4 * i..4 * i + 4].try_into().unwrap()));
            let ours = compress_digest(&compress_block(&IV, &first), &words);
            let theirs = sha2::Sha256::new().chain_update(first).chain_update(second).finalize();
            assert_eq!(bytes_of(&ours), theirs.as_slice());
        }
    }

    #[test]
    fn the_empty_message_hashes_to_the_published_digest() {
        let mut block = [0u8; 64];
        block[0] = 0x80;
        assert_eq!(
            hex::encode(bytes_of(&compress_block(&IV, &block))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
