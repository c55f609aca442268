//! The filtered snapshot: an issuer-signed filter cascade over every code in
//! force that was issued up to a cover instant, plus the exact revocations
//! it cannot answer. For a million revoked among 7.4 million codes it is
//! about 1 MB, where any exact set of a million random ids needs 9.7 MB.
//!
//! What it answers, for a code whose signature verified:
//! - listed in `recent`: revoked, with its reason and time;
//! - of the snapshot's region and issued at or before `covers_until`: the
//!   cascade's answer, exact for every such code in force when the snapshot
//!   was made (they are its universe);
//! - any other code (issued later, or another region's): not revoked as of
//!   the snapshot. Every revocation decided before the snapshot of a code
//!   issued after `covers_until` is in `recent`, so this is the truth as of
//!   `issued_at`, as the exact snapshot would say.
//!
//! So it gives no false answer for any code issued before it was made. The
//! margin: a code's issue time and a revocation's time are taken before
//! their transaction commits, so `covers_until` lags the read by
//! [`COVER_MARGIN`], far longer than a transaction lasts, and everything
//! issued or decided within the margin is listed exactly.
//!
//! Layout (integers big-endian): `HCRC` and the version byte `1`; region
//! (1 byte), key id (4), `issued_at` (i64 seconds), `covers_until` (i64);
//! the cascade ([`FilterCascade::write`]); the count of `recent` (u32) and
//! each: token id (12), reason (1), `revoked_at` (i64), `until` (i64); the
//! Ed25519 signature (64) over the length-prefixed [`DOMAIN`] followed by
//! every byte before the signature.

use std::collections::{HashMap, HashSet};

use time::{Duration, OffsetDateTime};

use super::Revocation;
use super::cascade::FilterCascade;
use super::compact::{Reader, encoding, reason_of, time_of};
use crate::{Error, IssuerSecretKey, KeyId, Region, TokenId, TrustList, hktime::CLOCK_SKEW};

/// The first bytes of a filtered snapshot.
pub const MAGIC: &[u8; 5] = b"HCRC\x01";
/// Domain separation tag of its signature.
pub const DOMAIN: &[u8] = b"HKHC/revocation-cascade/v1";
/// More revocations listed exactly than this is not one day's (58 MB).
pub const MAX_RECENT: usize = 2_000_000;
/// How far `covers_until` lags the instant the snapshot was read.
pub const COVER_MARGIN: Duration = Duration::minutes(5);

/// Whether `bytes` starts as a filtered snapshot.
pub fn is_filtered(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// A code in force, as the issuer holds it: the universe of the cascade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuedCode {
    /// Its token id.
    pub token_id: TokenId,
    /// Its signed issue time.
    pub issued_at: OffsetDateTime,
}

/// The part of a filtered snapshot that a checkpoint holds besides the
/// exact revocations: which codes the cascade answers, and the cascade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationFilter {
    /// The region whose codes it covers.
    pub region: Region,
    /// It covers that region's codes issued at or before this instant.
    pub covers_until: OffsetDateTime,
    /// The revoked codes among them.
    pub cascade: FilterCascade,
}

impl RevocationFilter {
    /// Whether the cascade says a code of `region` issued at `issued_at` is
    /// revoked; `None` when the code is outside what it covers.
    pub fn says_revoked(
        &self,
        region: Region,
        token_id: &TokenId,
        issued_at: OffsetDateTime,
    ) -> Option<bool> {
        (region == self.region && issued_at <= self.covers_until)
            .then(|| self.cascade.says_revoked(token_id))
    }
}

/// A filtered snapshot as distributed (see the module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilteredSnapshot {
    /// The signing issuer key.
    pub kid: KeyId,
    /// The instant the data was read: how old the snapshot is.
    pub issued_at: OffsetDateTime,
    /// The cascade and what it covers.
    pub filter: RevocationFilter,
    /// Every revocation in force that the cascade does not answer.
    pub recent: Vec<Revocation>,
    signature: [u8; 64],
}

impl FilteredSnapshot {
    /// Signs the snapshot of `codes` (every code in force at `now`) and
    /// `revocations` (every revocation in force at `now`), read together.
    ///
    /// # Errors
    /// Those of [`FilterCascade::build`]; [`Error::SnapshotEncoding`] when
    /// more than [`MAX_RECENT`] revocations would have to be listed.
    pub fn build(
        key: &IssuerSecretKey,
        now: OffsetDateTime,
        codes: &[IssuedCode],
        revocations: Vec<Revocation>,
        seed: u64,
    ) -> Result<Self, Error> {
        let issued_at = crate::hktime::whole_seconds(now);
        let covers_until = issued_at - COVER_MARGIN;
        let (revoked, valid, recent) = split(codes, revocations, covers_until);
        if recent.len() > MAX_RECENT {
            return Err(encoding("too many revocations to list"));
        }
        let filter = RevocationFilter {
            region: key.region(),
            covers_until,
            cascade: FilterCascade::build(&revoked, &valid, seed)?,
        };
        let mut snapshot = FilteredSnapshot {
            kid: key.kid(),
            issued_at,
            filter,
            recent,
            signature: [0; 64],
        };
        snapshot.signature = key
            .secret()
            .sign(&signing_message(&snapshot.unsigned_bytes()));
        Ok(snapshot)
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.unsigned_bytes();
        bytes.extend_from_slice(&self.signature);
        bytes
    }

    fn unsigned_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.push(self.filter.region.to_byte());
        out.extend_from_slice(&self.kid.to_bytes());
        out.extend_from_slice(&self.issued_at.unix_timestamp().to_be_bytes());
        out.extend_from_slice(&self.filter.covers_until.unix_timestamp().to_be_bytes());
        self.filter.cascade.write(&mut out);
        // build and from_bytes keep it within MAX_RECENT.
        out.extend_from_slice(&(self.recent.len() as u32).to_be_bytes());
        for r in &self.recent {
            out.extend_from_slice(&r.token_id.to_bytes());
            out.push(r.reason.to_byte());
            out.extend_from_slice(&r.revoked_at.unix_timestamp().to_be_bytes());
            out.extend_from_slice(&r.until.unix_timestamp().to_be_bytes());
        }
        out
    }

    /// Parses the file; the caller verifies it.
    ///
    /// # Errors
    /// [`Error::SnapshotEncoding`] naming what is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut input = Reader { bytes, at: 0 };
        if input.take(MAGIC.len())? != MAGIC {
            return Err(encoding("not a filtered snapshot (no HCRC 1 header)"));
        }
        let region = Region::from_byte(input.byte()?).map_err(|_| encoding("unknown region"))?;
        let kid = KeyId::from_bytes(input.array::<4>()?);
        let issued_at = time_of(i64::from_be_bytes(input.array::<8>()?))?;
        let covers_until = time_of(i64::from_be_bytes(input.array::<8>()?))?;
        let cascade = FilterCascade::read(&mut input)?;
        let recent = read_recent(&mut input)?;
        let signature = input.array::<64>()?;
        if input.at != bytes.len() {
            return Err(encoding("bytes left over after the signature"));
        }
        Ok(FilteredSnapshot {
            kid,
            issued_at,
            filter: RevocationFilter {
                region,
                covers_until,
                cascade,
            },
            recent,
            signature,
        })
    }

    /// Checks the issuer's signature under `trust`, that the snapshot is not
    /// from the future, and that it covers no code issued after it was made.
    ///
    /// # Errors
    /// [`Error::UnknownKey`], [`Error::KeyRevoked`], [`Error::SnapshotBadSignature`],
    /// [`Error::SnapshotFromFuture`], [`Error::SnapshotEncoding`].
    pub fn verify(&self, trust: &TrustList, now: OffsetDateTime) -> Result<(), Error> {
        let region = self.filter.region;
        let key = trust.key(region, self.kid).ok_or(Error::UnknownKey {
            region,
            kid: self.kid,
        })?;
        key.public_key()
            .verify_strict(&signing_message(&self.unsigned_bytes()), &self.signature)
            .map_err(|_| Error::SnapshotBadSignature)?;
        key.check_usable_at(self.kid, self.issued_at)?;
        if self.issued_at > now + CLOCK_SKEW {
            return Err(Error::SnapshotFromFuture {
                issued_at: self.issued_at,
                now,
            });
        }
        if self.filter.covers_until > self.issued_at {
            return Err(encoding("it covers codes issued after it was made"));
        }
        Ok(())
    }
}

/// Splits the snapshot's data: the revoked and the valid codes the cascade
/// answers, and the revocations it lists exactly.
fn split(
    codes: &[IssuedCode],
    revocations: Vec<Revocation>,
    covers_until: OffsetDateTime,
) -> (Vec<TokenId>, Vec<TokenId>, Vec<Revocation>) {
    let decided_by_cover: HashMap<TokenId, bool> = revocations
        .iter()
        .map(|r| (r.token_id, r.revoked_at <= covers_until))
        .collect();
    let (mut revoked, mut valid) = (Vec::new(), Vec::new());
    for code in codes.iter().filter(|c| c.issued_at <= covers_until) {
        match decided_by_cover.get(&code.token_id) {
            Some(true) => revoked.push(code.token_id),
            Some(false) | None => valid.push(code.token_id),
        }
    }
    let answered: HashSet<TokenId> = revoked.iter().copied().collect();
    let recent = revocations
        .into_iter()
        .filter(|r| !answered.contains(&r.token_id))
        .collect();
    (revoked, valid, recent)
}

fn signing_message(unsigned: &[u8]) -> Vec<u8> {
    // The tag is 26 bytes.
    let mut message = vec![DOMAIN.len() as u8];
    message.extend_from_slice(DOMAIN);
    message.extend_from_slice(unsigned);
    message
}

fn read_recent(input: &mut Reader<'_>) -> Result<Vec<Revocation>, Error> {
    let count = u32::from_be_bytes(input.array::<4>()?) as usize;
    if count > MAX_RECENT {
        return Err(encoding("too many revocations listed"));
    }
    let mut recent = Vec::with_capacity(count.min(input.bytes.len() / 29));
    for _ in 0..count {
        let token_id = TokenId::from_bytes(input.array::<12>()?);
        let reason = reason_of(input.byte()?)?;
        let revoked_at = time_of(i64::from_be_bytes(input.array::<8>()?))?;
        let until = time_of(i64::from_be_bytes(input.array::<8>()?))?;
        recent.push(Revocation {
            token_id,
            reason,
            revoked_at,
            until,
        });
    }
    Ok(recent)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;
    use rand_chacha::ChaCha20Rng;
    use time::macros::datetime;

    use super::*;
    use crate::{KeyStatus, revocation::RevocationReason, testkeys};

    const NOW: OffsetDateTime = datetime!(2022-12-10 04:00 UTC);
    const UNTIL: OffsetDateTime = datetime!(2022-12-10 15:59:59 UTC);

    fn key() -> IssuerSecretKey {
        testkeys::issuer(Region::HongKong, "a")
    }

    fn trust() -> TrustList {
        testkeys::trust_list(1, NOW - Duration::days(1), &[(&key(), KeyStatus::Active)])
            .verify(&testkeys::root().public(), NOW)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn revoke(code: &IssuedCode, revoked_at: OffsetDateTime) -> Revocation {
        Revocation {
            token_id: code.token_id,
            reason: RevocationReason::RiskChanged,
            revoked_at,
            until: UNTIL,
        }
    }

    /// Codes issued over the morning and their revocations (a tenth and
    /// one more), some of both within the margin.
    fn day(count: usize) -> (Vec<IssuedCode>, Vec<Revocation>) {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let codes: Vec<IssuedCode> = (0..count)
            .map(|i| IssuedCode {
                token_id: TokenId::generate(&mut rng),
                // One every 4 seconds back from NOW: the last 75 are within the margin.
                issued_at: NOW - Duration::seconds(4 * i as i64),
            })
            .collect();
        let revocations = codes
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 10 == 0 || *i == 101)
            .map(|(i, code)| revoke(code, code.issued_at + Duration::seconds(i as i64 % 7)))
            .collect();
        (codes, revocations)
    }

    /// What a checkpoint answers: listed, else the filter, else not revoked.
    fn answer(snapshot: &FilteredSnapshot, code: &IssuedCode) -> bool {
        snapshot.recent.iter().any(|r| r.token_id == code.token_id)
            || snapshot
                .filter
                .says_revoked(Region::HongKong, &code.token_id, code.issued_at)
                .unwrap_or(false)
    }

    #[test]
    fn no_false_answer_for_any_code_issued_before_it() -> Result<(), Error> {
        let (codes, revocations) = day(2000);
        let revoked: HashSet<TokenId> = revocations.iter().map(|r| r.token_id).collect();
        let snapshot = FilteredSnapshot::build(&key(), NOW, &codes, revocations, 42)?;
        assert_eq!(snapshot.filter.covers_until, NOW - COVER_MARGIN);
        for code in &codes {
            assert_eq!(
                answer(&snapshot, code),
                revoked.contains(&code.token_id),
                "{code:?}"
            );
        }
        // Within the margin every revocation is listed; before it none is.
        assert!(!snapshot.recent.is_empty());
        assert!(
            snapshot
                .recent
                .iter()
                .all(|r| r.revoked_at > NOW - COVER_MARGIN)
        );
        // A code issued after the snapshot is not revoked as of it.
        let later = IssuedCode {
            token_id: TokenId::from_bytes([7; 12]),
            issued_at: NOW + Duration::seconds(1),
        };
        assert!(!answer(&snapshot, &later));
        assert_eq!(
            snapshot
                .filter
                .says_revoked(Region::Guangdong, &codes[0].token_id, NOW),
            None,
            "another region's codes are outside it"
        );
        Ok(())
    }

    #[test]
    fn a_revocation_decided_before_the_cover_of_a_code_issued_after_is_listed() -> Result<(), Error>
    {
        // Two instances' clocks apart: the revocation's time is earlier
        // than the code's issue time, on either side of the cover.
        let code = IssuedCode {
            token_id: TokenId::from_bytes([9; 12]),
            issued_at: NOW - COVER_MARGIN + Duration::seconds(2),
        };
        let revocation = revoke(&code, NOW - COVER_MARGIN - Duration::seconds(2));
        let snapshot = FilteredSnapshot::build(&key(), NOW, &[code], vec![revocation], 1)?;
        assert_eq!(snapshot.recent.len(), 1);
        assert!(answer(&snapshot, &code));
        Ok(())
    }

    #[test]
    fn verifies_and_writes_back_as_the_same_bytes() -> Result<(), Error> {
        let (codes, revocations) = day(500);
        let snapshot = FilteredSnapshot::build(&key(), NOW, &codes, revocations, 5)?;
        let bytes = snapshot.to_bytes();
        assert!(is_filtered(&bytes));
        let read = FilteredSnapshot::from_bytes(&bytes)?;
        assert_eq!(read, snapshot);
        assert_eq!(read.to_bytes(), bytes);
        read.verify(&trust(), NOW)?;
        Ok(())
    }

    #[test]
    fn a_changed_byte_anywhere_fails_and_never_panics() -> Result<(), Error> {
        let (codes, revocations) = day(300);
        let bytes = FilteredSnapshot::build(&key(), NOW, &codes, revocations, 5)?.to_bytes();
        for at in (0..bytes.len()).step_by(7) {
            let mut changed = bytes.clone();
            changed[at] ^= 0x10;
            if let Ok(read) = FilteredSnapshot::from_bytes(&changed) {
                assert!(read.verify(&trust(), NOW).is_err(), "byte {at}");
            }
        }
        for length in 0..bytes.len() {
            assert!(
                FilteredSnapshot::from_bytes(&bytes[..length]).is_err(),
                "{length}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        let error = FilteredSnapshot::from_bytes(&longer)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.to_string().contains("left over"), "{error}");
        Ok(())
    }

    #[test]
    fn refuses_an_unknown_key_the_future_and_a_cover_after_it_was_made() -> Result<(), Error> {
        let (codes, revocations) = day(50);
        let snapshot = FilteredSnapshot::build(&key(), NOW, &codes, revocations, 5)?;
        let stranger = testkeys::issuer(Region::HongKong, "b");
        let other = FilteredSnapshot::build(&stranger, NOW, &codes, Vec::new(), 5)?;
        assert!(matches!(
            other.verify(&trust(), NOW),
            Err(Error::UnknownKey { .. })
        ));
        assert!(matches!(
            snapshot.verify(&trust(), NOW - CLOCK_SKEW - Duration::seconds(1)),
            Err(Error::SnapshotFromFuture { .. })
        ));
        let mut ahead = snapshot.clone();
        ahead.filter.covers_until = NOW + Duration::seconds(1);
        ahead.signature = key()
            .secret()
            .sign(&signing_message(&ahead.unsigned_bytes()));
        let error = ahead
            .verify(&trust(), NOW)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.to_string().contains("issued after it was made"),
            "{error}"
        );
        Ok(())
    }

    #[test]
    fn refuses_a_listed_count_beyond_the_limit_before_reading_it() -> Result<(), Error> {
        let snapshot = FilteredSnapshot::build(&key(), NOW, &[], Vec::new(), 5)?;
        let mut bytes = snapshot.unsigned_bytes();
        let at = bytes.len() - 4;
        bytes[at..].copy_from_slice(&u32::MAX.to_be_bytes());
        let error = FilteredSnapshot::from_bytes(&bytes)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.to_string().contains("too many revocations listed"),
            "{error}"
        );
        Ok(())
    }
}
