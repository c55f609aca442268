//! The compact binary form of a signed snapshot: the same body and the same
//! signature as the JSON form, about 12 bytes per revocation instead of 185.
//!
//! The signature covers [`SnapshotBody::signing_message`], which both forms
//! carry exactly (times in whole seconds), so a compact file verifies with
//! the issuer's one signature and needs no signing of its own; a scanner
//! verifies it just as the JSON form.
//!
//! Layout (integers big-endian unless said):
//! - `HCRS` and the version byte `1`;
//! - region (1 byte), key id (4), `issued_at` (i64 seconds), count (u32),
//!   signature (64);
//! - the token ids, sorted and strictly increasing, as Rice-coded gaps from
//!   the previous id (the first from zero) with parameter `k` (1 byte
//!   before them): the quotient `gap >> k` in unary (ones, then a zero)
//!   and `k` low bits. A quotient of [`ESCAPE`] or more is written as
//!   [`ESCAPE`] ones and the 96-bit gap, so no input makes the unary part
//!   long. Random 96-bit ids cost `k + 2.5` bits each, about 78 bits for a
//!   million of them: close to the 77.5 that any exact set of that size
//!   needs;
//! - the reasons, one nibble each;
//! - `until`: the most common value (i64), then per revocation a LEB128
//!   zig-zag difference from it (one zero byte for almost all: codes end
//!   together at 23:59:59 Hong Kong time);
//! - `revoked_at`: the table of distinct instants, then per revocation the
//!   index of its own (see `write_revoked_at`).

use std::collections::HashMap;

use time::OffsetDateTime;

use super::{Revocation, RevocationReason, SNAPSHOT_FORMAT, SignedSnapshot, SnapshotBody};
use crate::{Error, KeyId, Region, TokenId, b64};

/// The first bytes of a compact snapshot.
pub const MAGIC: &[u8; 5] = b"HCRS\x01";
/// Quotients from this on are written as a raw 96-bit gap.
const ESCAPE: u32 = 64;
/// Bits in a token id.
const ID_BITS: u32 = 96;
/// More revocations than this is not a snapshot of one territory's day.
pub const MAX_REVOCATIONS: u32 = 50_000_000;

/// Whether `bytes` starts as a compact snapshot.
pub fn is_compact(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

impl SignedSnapshot {
    /// The compact binary form (see [`crate::revocation::compact`]).
    ///
    /// # Errors
    /// [`Error::SnapshotEncoding`] if the signature is not 64 bytes of
    /// base64url or there are more than [`MAX_REVOCATIONS`].
    pub fn to_compact(&self) -> Result<Vec<u8>, Error> {
        let body = &self.snapshot;
        let signature = b64::decode_array::<64>(&self.signature, "snapshot signature")
            .map_err(|_| encoding("the signature is not 64 bytes of base64url"))?;
        let count = u32::try_from(body.revocations.len())
            .ok()
            .filter(|n| *n <= MAX_REVOCATIONS)
            .ok_or_else(|| encoding("too many revocations"))?;
        let mut sorted: Vec<&Revocation> = body.revocations.iter().collect();
        sorted.sort_by_key(|r| r.token_id);
        let mut out = Vec::with_capacity(96 + sorted.len() * 13);
        out.extend_from_slice(MAGIC);
        out.push(body.region.to_byte());
        out.extend_from_slice(&body.kid.to_bytes());
        out.extend_from_slice(&body.issued_at.unix_timestamp().to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&signature);
        write_ids(&mut out, &sorted);
        for pair in sorted.chunks(2) {
            let high = pair[0].reason.to_byte() << 4;
            out.push(high | pair.get(1).map_or(0, |r| r.reason.to_byte()));
        }
        let common = most_common_until(&sorted);
        out.extend_from_slice(&common.to_be_bytes());
        for r in &sorted {
            write_signed(&mut out, r.until.unix_timestamp().wrapping_sub(common));
        }
        write_revoked_at(&mut out, &sorted);
        Ok(out)
    }

    /// Parses the compact form; the caller verifies it as any snapshot.
    ///
    /// # Errors
    /// [`Error::SnapshotEncoding`] naming what is wrong: not this format,
    /// cut short, ids out of order, an unknown reason or region, bytes left over.
    pub fn from_compact(bytes: &[u8]) -> Result<Self, Error> {
        let mut input = Reader { bytes, at: 0 };
        if input.take(MAGIC.len())? != MAGIC {
            return Err(encoding("not a compact snapshot (no HCRS 1 header)"));
        }
        let region = Region::from_byte(input.byte()?).map_err(|_| encoding("unknown region"))?;
        let kid = KeyId::from_bytes(input.array::<4>()?);
        let issued = i64::from_be_bytes(input.array::<8>()?);
        let issued_at = time_of(issued)?;
        let count = u32::from_be_bytes(input.array::<4>()?);
        if count > MAX_REVOCATIONS {
            return Err(encoding("too many revocations"));
        }
        let signature = b64::encode(&input.array::<64>()?);
        let ids = read_ids(&mut input, count as usize)?;
        let reasons = input.take((count as usize).div_ceil(2))?;
        let common = i64::from_be_bytes(input.array::<8>()?);
        let mut untils = Vec::with_capacity(ids.len());
        for _ in 0..count {
            untils.push(time_of(common.wrapping_add(input.signed()?))?);
        }
        let instants = read_instants(&mut input, count)?;
        let mut revocations = Vec::with_capacity(ids.len());
        for (i, (token_id, until)) in ids.into_iter().zip(untils).enumerate() {
            let nibble = (reasons[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
            let index = usize::try_from(input.unsigned()?).unwrap_or(usize::MAX);
            let revoked_at = *instants
                .get(index)
                .ok_or_else(|| encoding("a revocation time out of the table"))?;
            revocations.push(Revocation {
                token_id,
                reason: reason_of(nibble)?,
                revoked_at,
                until,
            });
        }
        if input.at != bytes.len() {
            return Err(encoding("bytes left over after the last revocation"));
        }
        Ok(SignedSnapshot {
            snapshot: SnapshotBody {
                format: SNAPSHOT_FORMAT.to_owned(),
                region,
                kid,
                issued_at,
                revocations,
            },
            signature,
        })
    }

    /// Parses either form, by its first bytes.
    ///
    /// # Errors
    /// Those of [`SignedSnapshot::from_compact`] or [`SignedSnapshot::from_json`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if is_compact(bytes) {
            return SignedSnapshot::from_compact(bytes);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| encoding("neither a compact snapshot nor UTF-8 JSON"))?;
        SignedSnapshot::from_json(text)
    }
}

pub(super) fn encoding(problem: &str) -> Error {
    Error::SnapshotEncoding {
        problem: problem.to_owned(),
    }
}

pub(super) fn time_of(seconds: i64) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| encoding("a time out of range"))
}

pub(super) fn reason_of(nibble: u8) -> Result<RevocationReason, Error> {
    RevocationReason::ALL
        .iter()
        .copied()
        .find(|r| r.to_byte() == nibble)
        .ok_or_else(|| encoding("an unknown reason"))
}

fn most_common_until(sorted: &[&Revocation]) -> i64 {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for r in sorted {
        *counts.entry(r.until.unix_timestamp()).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(until, n)| (*n, std::cmp::Reverse(*until)))
        .map_or(0, |(until, _)| until)
}

/// `revoked_at`: the distinct instants, most frequent first, as LEB128
/// zig-zag differences (the first from zero), then per revocation the
/// LEB128 index of its instant. Revocations come in batches decided at one
/// instant (a designation revokes thousands at once), so the index is one
/// byte for almost all.
fn write_revoked_at(out: &mut Vec<u8>, sorted: &[&Revocation]) {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for r in sorted {
        *counts.entry(r.revoked_at.unix_timestamp()).or_default() += 1;
    }
    let mut instants: Vec<(i64, usize)> = counts.into_iter().collect();
    instants.sort_unstable_by_key(|(instant, n)| (std::cmp::Reverse(*n), *instant));
    let index: HashMap<i64, u64> = instants
        .iter()
        .enumerate()
        .map(|(i, (instant, _))| (*instant, i as u64))
        .collect();
    write_unsigned(out, instants.len() as u64);
    let mut previous = 0i64;
    for (instant, _) in &instants {
        write_signed(out, instant.wrapping_sub(previous));
        previous = *instant;
    }
    for r in sorted {
        write_unsigned(out, index[&r.revoked_at.unix_timestamp()]);
    }
}

fn read_instants(input: &mut Reader<'_>, count: u32) -> Result<Vec<OffsetDateTime>, Error> {
    let distinct = input.unsigned()?;
    if distinct > u64::from(count) {
        return Err(encoding("more revocation times than revocations"));
    }
    let mut instants = Vec::with_capacity(distinct as usize);
    let mut previous = 0i64;
    for _ in 0..distinct {
        previous = previous.wrapping_add(input.signed()?);
        instants.push(time_of(previous)?);
    }
    Ok(instants)
}

/// The Rice parameter for `count` gaps spread over the 96-bit id space:
/// `log2` of the mean gap.
fn rice_parameter(count: usize) -> u32 {
    let count_bits = usize::BITS - count.max(1).leading_zeros();
    ID_BITS.saturating_sub(count_bits).min(ID_BITS - 1)
}

fn id_value(id: &TokenId) -> u128 {
    let mut bytes = [0u8; 16];
    bytes[4..].copy_from_slice(&id.to_bytes());
    u128::from_be_bytes(bytes)
}

fn write_ids(out: &mut Vec<u8>, sorted: &[&Revocation]) {
    let k = rice_parameter(sorted.len());
    // k < 96 always fits a byte.
    out.push(k as u8);
    let mut bits = BitWriter::default();
    let mut previous = 0u128;
    for r in sorted {
        let value = id_value(&r.token_id);
        let gap = value - previous;
        previous = value;
        let quotient = gap >> k;
        if quotient >= u128::from(ESCAPE) {
            bits.ones(ESCAPE);
            bits.write(gap, ID_BITS);
        } else {
            // Below ESCAPE, so it fits u32.
            bits.ones(quotient as u32);
            bits.write(0, 1);
            bits.write(gap, k);
        }
    }
    out.extend_from_slice(&bits.finish());
}

fn read_ids(input: &mut Reader<'_>, count: usize) -> Result<Vec<TokenId>, Error> {
    let k = u32::from(input.byte()?);
    if k >= ID_BITS {
        return Err(encoding("a Rice parameter over 95"));
    }
    let mut bits = BitReader {
        bytes: &input.bytes[input.at..],
        bit: 0,
    };
    // Each id takes at least one bit: refuse a count the bytes cannot hold
    // before allocating for it.
    if count > bits.bytes.len().saturating_mul(8) {
        return Err(encoding("cut short in the token ids"));
    }
    let mut ids = Vec::with_capacity(count);
    let mut previous = 0u128;
    for index in 0..count {
        let quotient = bits.ones_up_to(ESCAPE)?;
        let gap = if quotient == ESCAPE {
            bits.read(ID_BITS)?
        } else {
            (u128::from(quotient) << k) | bits.read(k)?
        };
        if gap == 0 && index > 0 {
            return Err(encoding("token ids not strictly increasing"));
        }
        let value = previous
            .checked_add(gap)
            .filter(|v| *v >> ID_BITS == 0)
            .ok_or_else(|| encoding("a token id beyond 96 bits"))?;
        previous = value;
        let mut id = [0u8; TokenId::LEN];
        id.copy_from_slice(&value.to_be_bytes()[4..]);
        ids.push(TokenId::from_bytes(id));
    }
    input.at += bits.bit.div_ceil(8);
    Ok(ids)
}

/// LEB128 of the zig-zag of `value`.
fn write_signed(out: &mut Vec<u8>, value: i64) {
    write_unsigned(out, ((value << 1) ^ (value >> 63)) as u64);
}

/// LEB128 of `v`.
fn write_unsigned(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| encoding("cut short"))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    pub(super) fn byte(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn signed(&mut self) -> Result<i64, Error> {
        let value = self.unsigned()?;
        Ok(((value >> 1) as i64) ^ -((value & 1) as i64))
    }

    fn unsigned(&mut self) -> Result<u64, Error> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(encoding("a number longer than ten bytes"))
    }
}

/// Bits, most significant first.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    current: u8,
    used: u32,
}

impl BitWriter {
    fn push(&mut self, bit: bool) {
        self.current = (self.current << 1) | u8::from(bit);
        self.used += 1;
        if self.used == 8 {
            self.bytes.push(self.current);
            (self.current, self.used) = (0, 0);
        }
    }

    fn ones(&mut self, n: u32) {
        for _ in 0..n {
            self.push(true);
        }
    }

    /// The low `width` bits of `value`.
    fn write(&mut self, value: u128, width: u32) {
        for i in (0..width).rev() {
            self.push((value >> i) & 1 == 1);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.bytes.push(self.current << (8 - self.used));
        }
        self.bytes
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    bit: usize,
}

impl BitReader<'_> {
    fn next(&mut self) -> Result<bool, Error> {
        let byte = self
            .bytes
            .get(self.bit / 8)
            .ok_or_else(|| encoding("cut short in the token ids"))?;
        let set = (byte >> (7 - self.bit % 8)) & 1 == 1;
        self.bit += 1;
        Ok(set)
    }

    /// Ones before a zero, or `limit` ones (whose zero is not read).
    fn ones_up_to(&mut self, limit: u32) -> Result<u32, Error> {
        let mut ones = 0;
        while ones < limit && self.next()? {
            ones += 1;
        }
        Ok(ones)
    }

    fn read(&mut self, width: u32) -> Result<u128, Error> {
        let mut value = 0u128;
        for _ in 0..width {
            value = (value << 1) | u128::from(self.next()?);
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use rand::{RngCore as _, SeedableRng as _};
    use time::macros::datetime;

    use super::*;
    use crate::{KeyStatus, testkeys};

    const NOW: OffsetDateTime = datetime!(2022-12-10 04:00 UTC);

    fn revocations(count: usize, seed: u64) -> Vec<Revocation> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        (0..count)
            .map(|i| Revocation {
                token_id: TokenId::generate(&mut rng),
                reason: reason_of((i % 5) as u8 + 1).unwrap_or(RevocationReason::Fraud),
                // Decided in batches: a few hundred instants over the day.
                revoked_at: NOW - time::Duration::seconds((rng.next_u32() % 300 * 120).into()),
                // A few revoked codes of another day's end.
                until: if i % 97 == 0 {
                    datetime!(2022-12-11 15:59:59 UTC)
                } else {
                    datetime!(2022-12-10 15:59:59 UTC)
                },
            })
            .collect()
    }

    fn signed(count: usize) -> SignedSnapshot {
        let key = testkeys::issuer(Region::HongKong, "a");
        SignedSnapshot::sign(&key, NOW, revocations(count, 7))
    }

    fn trust() -> crate::TrustList {
        let key = testkeys::issuer(Region::HongKong, "a");
        testkeys::trust_list(
            1,
            NOW - time::Duration::days(1),
            &[(&key, KeyStatus::Active)],
        )
        .verify(&testkeys::root().public(), NOW)
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_compact_form_carries_the_same_signed_body() -> Result<(), Error> {
        for count in [0, 1, 2, 3, 1000] {
            let snapshot = signed(count);
            let compact = snapshot.to_compact()?;
            let back = SignedSnapshot::from_bytes(&compact)?;
            assert_eq!(
                back.snapshot.signing_message(),
                snapshot.snapshot.signing_message()
            );
            assert_eq!(back.snapshot.revocations, snapshot.snapshot.revocations);
            back.verify(&trust(), NOW)?;
        }
        Ok(())
    }

    #[test]
    fn random_ids_cost_about_thirteen_bytes_each() -> Result<(), Error> {
        let compact = signed(20_000).to_compact()?;
        let each = compact.len() as f64 / 20_000.0;
        assert!((10.0..13.5).contains(&each), "{each} bytes per revocation");
        Ok(())
    }

    #[test]
    fn close_and_far_ids_use_the_escape_and_still_round_trip() -> Result<(), Error> {
        let key = testkeys::issuer(Region::HongKong, "a");
        let mut list = revocations(3, 1);
        list[0].token_id = TokenId::from_bytes([0; 12]);
        list[1].token_id = TokenId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        list[2].token_id = TokenId::from_bytes([0xff; 12]);
        let snapshot = SignedSnapshot::sign(&key, NOW, list);
        let back = SignedSnapshot::from_compact(&snapshot.to_compact()?)?;
        back.verify(&trust(), NOW)?;
        Ok(())
    }

    fn refused(bytes: &[u8], says: &str) {
        match SignedSnapshot::from_bytes(bytes) {
            Err(Error::SnapshotEncoding { problem }) => {
                assert!(problem.contains(says), "{problem} does not say {says}");
            }
            other => panic!("accepted or another error: {other:?}"),
        }
    }

    #[test]
    fn damaged_compact_snapshots_are_refused_with_the_reason() -> Result<(), Error> {
        let good = signed(50).to_compact()?;
        // Cut at every length: never a panic, always refused.
        for end in MAGIC.len()..good.len() {
            assert!(
                SignedSnapshot::from_compact(&good[..end]).is_err(),
                "cut at {end}"
            );
        }
        refused(&good[..40], "cut short");
        let mut longer = good.clone();
        longer.push(0);
        refused(&longer, "left over");
        let mut huge = good.clone();
        huge[18..22].copy_from_slice(&u32::MAX.to_be_bytes());
        refused(&huge, "too many");
        let mut count_lie = good.clone();
        count_lie[18..22].copy_from_slice(&1_000_000u32.to_be_bytes());
        refused(&count_lie, "cut short");
        let mut region = good.clone();
        region[5] = 0xee;
        refused(&region, "region");
        let mut k = good.clone();
        k[86] = 200;
        refused(&k, "Rice parameter");
        refused(b"\xff\xfe", "neither");
        Ok(())
    }

    #[test]
    fn a_changed_bit_fails_the_signature_or_the_parse() -> Result<(), Error> {
        let good = signed(30).to_compact()?;
        let trust = trust();
        for at in (MAGIC.len()..good.len()).step_by(7) {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            if let Ok(snapshot) = SignedSnapshot::from_compact(&bad) {
                assert!(
                    snapshot.verify(&trust, NOW).is_err(),
                    "a flip at {at} verified"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn tampered_ids_out_of_order_are_refused() -> Result<(), Error> {
        let key = testkeys::issuer(Region::HongKong, "a");
        let mut list = revocations(2, 3);
        list[1].token_id = list[0].token_id;
        let snapshot = SignedSnapshot::sign(&key, NOW, list);
        refused(&snapshot.to_compact()?, "strictly increasing");
        Ok(())
    }
}
