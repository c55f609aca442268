//! A filter cascade, as Mozilla's CRLite: a small structure that answers
//! exactly, for every token id of a known universe, whether it is in the
//! revoked part, at about `1.44 × log2(valid / revoked) + 4.2` bits per
//! revoked id.
//!
//! Level 0 is a Bloom filter of the revoked ids. The valid ids it wrongly
//! holds (its false positives) make level 1; the revoked ids that level 1
//! wrongly holds make level 2; and so on until a level has no false
//! positive. An id is answered by the first level that does not hold it:
//! absent from an even level, valid; from an odd one, revoked. An id outside
//! the universe gets an arbitrary answer, so a reader must only ask of ids
//! inside it (see [`crate::revocation::filtered`]).
//!
//! Later levels are sized for a false-positive rate of one half (one hash
//! each), so each passes half of what it is asked about to the next: their
//! total is `2.88 × (valid × p + revoked / 2)` bits for level 0's rate `p`.
//! Level 0 costs `1.44 × revoked × log2(1 / p)`; the sum is least at
//! `p = revoked / (2 ln 2 × valid)`, which level 0 is sized for.
//!
//! Encoding: the seed (u64), the number of levels (u8), then per level the
//! number of hash functions (u8), the number of bits (u64) and the bits,
//! least significant first in each byte, with the unused high bits of the
//! last byte zero (so a cascade that parses writes back as the same bytes).

use std::{collections::HashSet, f64::consts::LN_2};

use super::compact::{Reader, encoding};
use crate::{Error, TokenId};

/// More levels than this is not a cascade of disjoint sets.
pub const MAX_LEVELS: usize = 64;
/// More hash functions per level than this is a hostile file.
const MAX_HASHES: u8 = 32;
/// The lowest level-0 false-positive rate (a universe almost all revoked).
const MIN_RATE: f64 = 1.0 / (1u64 << 24) as f64;

/// A filter cascade over one universe of token ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterCascade {
    seed: u64,
    levels: Vec<Level>,
}

/// One Bloom filter of the cascade.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Level {
    hashes: u8,
    bits: u64,
    words: Vec<u8>,
}

impl FilterCascade {
    /// The cascade that holds `revoked` against `valid`; `seed` varies the
    /// hashing (any value works; the issuer draws one at random).
    ///
    /// # Errors
    /// [`Error::SnapshotEncoding`] when an id is in both sets, or the
    /// cascade would need more than [`MAX_LEVELS`] levels.
    pub fn build(revoked: &[TokenId], valid: &[TokenId], seed: u64) -> Result<Self, Error> {
        let revoked_set: HashSet<&TokenId> = revoked.iter().collect();
        if valid.iter().any(|id| revoked_set.contains(id)) {
            return Err(encoding("a token id is both revoked and valid"));
        }
        let mut levels = Vec::new();
        let mut include: Vec<TokenId> = revoked.to_vec();
        let mut exclude: Vec<TokenId> = valid.to_vec();
        while !include.is_empty() {
            if levels.len() == MAX_LEVELS {
                return Err(encoding("the cascade needs more than 64 levels"));
            }
            let rate = if levels.is_empty() {
                (include.len() as f64 / (exclude.len().max(1) as f64 * 2.0 * LN_2))
                    .clamp(MIN_RATE, 0.5)
            } else {
                0.5
            };
            let level = Level::holding(&include, rate, level_seed(seed, levels.len()));
            let wrongly_held: Vec<TokenId> = exclude
                .into_iter()
                .filter(|id| level.holds(id, level_seed(seed, levels.len())))
                .collect();
            levels.push(level);
            exclude = include;
            include = wrongly_held;
        }
        Ok(FilterCascade { seed, levels })
    }

    /// Whether `id`, an id of the universe, is revoked.
    pub fn says_revoked(&self, id: &TokenId) -> bool {
        for (index, level) in self.levels.iter().enumerate() {
            if !level.holds(id, level_seed(self.seed, index)) {
                return index % 2 == 1;
            }
        }
        self.levels.len() % 2 == 1
    }

    /// How many levels it has.
    pub fn level_count(&self) -> usize {
        self.levels.len()
    }

    /// Appends the encoding (see the module).
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seed.to_be_bytes());
        // build and read both keep this within MAX_LEVELS.
        out.push(self.levels.len() as u8);
        for level in &self.levels {
            out.push(level.hashes);
            out.extend_from_slice(&level.bits.to_be_bytes());
            out.extend_from_slice(&level.words);
        }
    }

    /// Reads the encoding.
    pub(super) fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        let seed = u64::from_be_bytes(input.array::<8>()?);
        let count = usize::from(input.byte()?);
        if count > MAX_LEVELS {
            return Err(encoding("a cascade of more than 64 levels"));
        }
        let mut levels = Vec::with_capacity(count);
        for _ in 0..count {
            levels.push(Level::read(input)?);
        }
        Ok(FilterCascade { seed, levels })
    }
}

impl Level {
    /// A Bloom filter of `ids` with false-positive rate `rate`.
    fn holding(ids: &[TokenId], rate: f64, seed: u64) -> Self {
        let per_id = -rate.ln() / (LN_2 * LN_2);
        // The products stay far below u64 for any count of ids a Vec holds.
        let bits = ((ids.len() as f64 * per_id).ceil() as u64).max(8);
        let hashes = ((per_id * LN_2).round() as u8).clamp(1, MAX_HASHES);
        let mut level = Level {
            hashes,
            bits,
            words: vec![0; bits.div_ceil(8) as usize],
        };
        for id in ids {
            for bit in level.positions(id, seed) {
                level.words[(bit / 8) as usize] |= 1 << (bit % 8);
            }
        }
        level
    }

    fn holds(&self, id: &TokenId, seed: u64) -> bool {
        self.positions(id, seed)
            .all(|bit| self.words[(bit / 8) as usize] & (1 << (bit % 8)) != 0)
    }

    /// The filter's bits for `id`: double hashing of one 128-bit mix, each
    /// mapped onto the bits by multiplication (no modulo bias worth a bit).
    fn positions(&self, id: &TokenId, seed: u64) -> impl Iterator<Item = u64> + use<> {
        let bytes = id.to_bytes();
        let mut low = [0u8; 8];
        low.copy_from_slice(&bytes[..8]);
        let mut high = [0u8; 4];
        high.copy_from_slice(&bytes[8..]);
        let first = mix(mix(u64::from_le_bytes(low) ^ seed) ^ u64::from(u32::from_le_bytes(high)));
        let step = mix(first ^ 0x6a09_e667_f3bc_c909) | 1;
        let bits = self.bits;
        (0..u64::from(self.hashes)).map(move |i| {
            let hash = first.wrapping_add(i.wrapping_mul(step));
            ((u128::from(hash) * u128::from(bits)) >> 64) as u64
        })
    }

    fn read(input: &mut Reader<'_>) -> Result<Self, Error> {
        let hashes = input.byte()?;
        if hashes == 0 || hashes > MAX_HASHES {
            return Err(encoding(
                "a cascade level with no or too many hash functions",
            ));
        }
        let bits = u64::from_be_bytes(input.array::<8>()?);
        if bits == 0 {
            return Err(encoding("a cascade level of no bits"));
        }
        let length = usize::try_from(bits.div_ceil(8))
            .map_err(|_| encoding("a cascade level larger than memory"))?;
        let words = input.take(length)?.to_vec();
        let unused = (length as u64) * 8 - bits;
        if unused > 0 && words[length - 1] >> (8 - unused) != 0 {
            return Err(encoding("a cascade level with bits set past its end"));
        }
        Ok(Level {
            hashes,
            bits,
            words,
        })
    }
}

/// Each level hashes with a seed of its own, so a false positive of one
/// level is no likelier to be one of the next.
fn level_seed(seed: u64, level: usize) -> u64 {
    seed ^ (level as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// SplitMix64's finaliser: every input bit moves every output bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use rand::{RngCore as _, SeedableRng as _};
    use rand_chacha::ChaCha20Rng;

    use super::*;

    fn ids(rng: &mut ChaCha20Rng, count: usize) -> Vec<TokenId> {
        (0..count).map(|_| TokenId::generate(rng)).collect()
    }

    fn decode(bytes: &[u8]) -> Result<FilterCascade, Error> {
        let mut input = Reader { bytes, at: 0 };
        let cascade = FilterCascade::read(&mut input)?;
        if input.at != bytes.len() {
            return Err(encoding("bytes left over"));
        }
        Ok(cascade)
    }

    #[test]
    fn answers_every_id_of_its_universe_exactly() -> Result<(), Error> {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for (revoked, valid) in [
            (0, 50),
            (1, 0),
            (1, 1),
            (300, 3000),
            (3000, 300),
            (2000, 2000),
        ] {
            let revoked = ids(&mut rng, revoked);
            let valid = ids(&mut rng, valid);
            let cascade = FilterCascade::build(&revoked, &valid, rng.next_u64())?;
            assert!(revoked.iter().all(|id| cascade.says_revoked(id)));
            assert!(valid.iter().all(|id| !cascade.says_revoked(id)));
        }
        Ok(())
    }

    #[test]
    fn is_about_the_size_crlite_predicts() -> Result<(), Error> {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let revoked = ids(&mut rng, 10_000);
        let valid = ids(&mut rng, 74_000);
        let cascade = FilterCascade::build(&revoked, &valid, 1)?;
        let mut bytes = Vec::new();
        cascade.write(&mut bytes);
        let predicted = (1.44 * (74_000f64 / 10_000.0).log2() + 4.2) * 10_000.0 / 8.0;
        let ratio = bytes.len() as f64 / predicted;
        assert!(
            (0.9..1.1).contains(&ratio),
            "{} bytes, ratio {ratio}",
            bytes.len()
        );
        assert!(
            cascade.level_count() > 2,
            "false positives made later levels"
        );
        Ok(())
    }

    #[test]
    fn refuses_an_id_in_both_sets() -> Result<(), Error> {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let mut revoked = ids(&mut rng, 10);
        let valid = ids(&mut rng, 10);
        revoked.push(valid[3]);
        let error = FilterCascade::build(&revoked, &valid, 1)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.to_string().contains("both revoked and valid"),
            "{error}"
        );
        Ok(())
    }

    #[test]
    fn a_cascade_that_parses_writes_back_as_the_same_bytes() -> Result<(), Error> {
        let mut rng = ChaCha20Rng::seed_from_u64(10);
        let cascade = FilterCascade::build(&ids(&mut rng, 100), &ids(&mut rng, 900), 5)?;
        let mut bytes = Vec::new();
        cascade.write(&mut bytes);
        let read = decode(&bytes)?;
        assert_eq!(read, cascade);
        let mut again = Vec::new();
        read.write(&mut again);
        assert_eq!(again, bytes);
        Ok(())
    }

    #[test]
    fn hostile_encodings_are_refused_by_name() -> Result<(), Error> {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let cascade = FilterCascade::build(&ids(&mut rng, 5), &ids(&mut rng, 50), 5)?;
        let mut good = Vec::new();
        cascade.write(&mut good);
        let refusal = |bytes: &[u8]| {
            decode(bytes)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .to_string()
        };
        assert!(refusal(&good[..good.len() - 1]).contains("cut short"));
        let mut levels = good.clone();
        levels[8] = 65;
        assert!(refusal(&levels).contains("more than 64 levels"));
        let mut hashes = good.clone();
        hashes[9] = 0;
        assert!(refusal(&hashes).contains("hash functions"));
        hashes[9] = 33;
        assert!(refusal(&hashes).contains("hash functions"));
        let mut empty = good.clone();
        empty[10..18].copy_from_slice(&0u64.to_be_bytes());
        assert!(refusal(&empty).contains("no bits"));
        let mut huge = good.clone();
        huge[10..18].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(refusal(&huge).contains("cut short") || refusal(&huge).contains("memory"));
        // A level of 9 bits whose last byte has a bit past the ninth set.
        let mut padded = 5u64.to_be_bytes().to_vec();
        padded.extend_from_slice(&[1, 1]);
        padded.extend_from_slice(&9u64.to_be_bytes());
        padded.extend_from_slice(&[0, 0b10]);
        assert!(refusal(&padded).contains("past its end"));
        padded[19] = 1;
        assert!(decode(&padded).is_ok());
        Ok(())
    }
}
