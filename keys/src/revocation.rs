//! Revocations of single codes, and the issuer-signed snapshot of them that
//! offline scanners check.
//!
//! A snapshot signs the whole set at one instant, so dropping an entry from
//! it breaks the signature; its issue time tells a scanner how old it is.

pub mod cascade;
pub mod compact;
pub mod filtered;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Error, IssuerSecretKey, KeyId, Region, TokenId, TrustList, b64, hktime::CLOCK_SKEW};

crate::named_enum! {
    /// Why a code was revoked. Deliberately coarse: officers see it, and free
    /// text could carry health data to every checkpoint.
    pub enum RevocationReason("revocation reason") {
        /// A newer code was issued the same day.
        Superseded = "superseded",
        /// The holder's risk changed after issue (which way is not said).
        RiskChanged = "risk_changed",
        /// The code should not have been issued.
        IssuedInError = "issued_in_error",
        /// The holder asked for it.
        HolderRequest = "holder_request",
        /// The code is being misused.
        Fraud = "fraud",
    }
}

impl RevocationReason {
    fn to_byte(self) -> u8 {
        match self {
            RevocationReason::Superseded => 1,
            RevocationReason::RiskChanged => 2,
            RevocationReason::IssuedInError => 3,
            RevocationReason::HolderRequest => 4,
            RevocationReason::Fraud => 5,
        }
    }
}

/// One revoked code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// The revoked code's token id.
    #[serde(with = "token_id_hex")]
    pub token_id: TokenId,
    /// Why.
    pub reason: RevocationReason,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339")]
    pub revoked_at: OffsetDateTime,
    /// When the revoked code expires anyway; the revocation is dropped after.
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
}

impl Revocation {
    /// One line of JSON (how Redis stores and publishes it).
    pub fn to_json(&self) -> String {
        // Hex, an enum and times always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the JSON form.
    ///
    /// # Errors
    /// [`Error::Json`].
    pub fn from_json(text: &str) -> Result<Self, Error> {
        crate::json::parse(text, "revocation")
    }
}

/// The `format` of version 1 snapshots.
pub const SNAPSHOT_FORMAT: &str = "healthcode-revocations-v1";
/// Domain separation tag of the snapshot signature.
pub const SNAPSHOT_DOMAIN: &[u8] = b"HKHC/revocations/v1";

/// The signed content of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotBody {
    /// Always [`SNAPSHOT_FORMAT`].
    pub format: String,
    /// The signing issuer's region.
    pub region: Region,
    /// The signing issuer key.
    pub kid: KeyId,
    /// The instant the set was complete: how old the snapshot is.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// Every revocation in force at `issued_at`.
    pub revocations: Vec<Revocation>,
}

/// A snapshot as distributed: body and issuer signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedSnapshot {
    /// The signed content.
    pub snapshot: SnapshotBody,
    /// Ed25519 signature by the issuer key over the body's signing message, base64url.
    pub signature: String,
}

impl SnapshotBody {
    /// The bytes the issuer signs: length-prefixed tag, then the fields in
    /// order, integers big-endian, times as signed seconds.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut body = vec![1, self.region.to_byte()];
        body.extend_from_slice(&self.kid.to_bytes());
        body.extend_from_slice(&self.issued_at.unix_timestamp().to_be_bytes());
        body.extend_from_slice(&(self.revocations.len() as u32).to_be_bytes());
        for r in &self.revocations {
            body.extend_from_slice(&r.token_id.to_bytes());
            body.push(r.reason.to_byte());
            body.extend_from_slice(&r.revoked_at.unix_timestamp().to_be_bytes());
            body.extend_from_slice(&r.until.unix_timestamp().to_be_bytes());
        }
        let mut message = vec![SNAPSHOT_DOMAIN.len() as u8];
        message.extend_from_slice(SNAPSHOT_DOMAIN);
        message.extend_from_slice(&(body.len() as u32).to_be_bytes());
        message.extend_from_slice(&body);
        message
    }
}

impl SignedSnapshot {
    /// Signs the set `revocations`, complete at `issued_at` (whole seconds).
    pub fn sign(
        key: &IssuerSecretKey,
        issued_at: OffsetDateTime,
        mut revocations: Vec<Revocation>,
    ) -> Self {
        revocations.sort_by_key(|r| r.token_id);
        let body = SnapshotBody {
            format: SNAPSHOT_FORMAT.to_owned(),
            region: key.region(),
            kid: key.kid(),
            issued_at: crate::hktime::whole_seconds(issued_at),
            revocations,
        };
        let signature = b64::encode(&key.secret().sign(&body.signing_message()));
        SignedSnapshot {
            snapshot: body,
            signature,
        }
    }

    /// Parses a snapshot file.
    ///
    /// # Errors
    /// [`Error::Json`].
    pub fn from_json(text: &str) -> Result<Self, Error> {
        crate::json::parse(text, "revocation snapshot")
    }

    /// The snapshot as JSON.
    pub fn to_json(&self) -> String {
        crate::json::to_pretty(self)
    }

    /// Reads the snapshot file at `path`, JSON or compact, and checks it as
    /// [`SignedSnapshot::verify`] does.
    ///
    /// # Errors
    /// File, JSON and encoding errors, and those of [`SignedSnapshot::verify`].
    pub fn read_verified(
        path: &std::path::Path,
        trust: &TrustList,
        now: OffsetDateTime,
    ) -> Result<Self, Error> {
        let bytes = crate::files::read_public_bytes(path, crate::files::MAX_SNAPSHOT_BYTES)?;
        let snapshot = SignedSnapshot::from_bytes(&bytes)?;
        snapshot.verify(trust, now)?;
        Ok(snapshot)
    }

    /// Checks the issuer's signature under `trust` and that the snapshot is
    /// not from the future; returns the body.
    ///
    /// # Errors
    /// [`Error::UnknownKey`], [`Error::KeyRevoked`], [`Error::SnapshotBadSignature`],
    /// [`Error::SnapshotFormat`], [`Error::SnapshotFromFuture`].
    pub fn verify(&self, trust: &TrustList, now: OffsetDateTime) -> Result<&SnapshotBody, Error> {
        let body = &self.snapshot;
        if body.format != SNAPSHOT_FORMAT {
            return Err(Error::SnapshotFormat {
                found: body.format.clone(),
            });
        }
        let key = trust.key(body.region, body.kid).ok_or(Error::UnknownKey {
            region: body.region,
            kid: body.kid,
        })?;
        let signature = b64::decode_array::<64>(&self.signature, "snapshot signature")
            .map_err(|_| Error::SnapshotBadSignature)?;
        key.public_key()
            .verify_strict(&body.signing_message(), &signature)
            .map_err(|_| Error::SnapshotBadSignature)?;
        key.check_usable_at(body.kid, body.issued_at)?;
        if body.issued_at > now + CLOCK_SKEW {
            return Err(Error::SnapshotFromFuture {
                issued_at: body.issued_at,
                now,
            });
        }
        Ok(body)
    }
}

mod token_id_hex {
    use serde::{Deserialize as _, Deserializer, Serializer};

    use crate::TokenId;

    pub fn serialize<S: Serializer>(id: &TokenId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TokenId, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}
