//! The signed trust list: which issuer keys a verifier accepts, signed by a pinned root.
//!
//! The JSON file is for people and tools; the signature covers a canonical
//! binary encoding of the parsed fields ([`TrustListBody::signing_message`]),
//! so JSON whitespace or key order cannot change what was signed, and unknown
//! fields are refused rather than left unsigned.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::{
    Error, IssuerPublicKey, KeyId, PublicKey, Region, RootPublicKey, RootSecretKey, b64,
    hktime::CLOCK_SKEW,
};

/// The `format` value of version 1 trust lists.
pub const FORMAT: &str = "healthcode-trust-list-v1";
/// Domain separation tag of the trust list signature.
pub const SIGNING_DOMAIN: &[u8] = b"HKHC/trust-list/v1";
/// Default lifetime of a trust list: a stale list could miss a revoked key.
pub const DEFAULT_LIFETIME: Duration = Duration::days(7);
/// The most keys one list may hold.
pub const MAX_KEYS: usize = 1024;

/// What is inconsistent in a trust list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustListProblem {
    /// A format this code does not know.
    #[error("format {found:?}, expected {FORMAT:?}")]
    Format {
        /// The format found.
        found: String,
    },
    /// A time with a fraction of a second (every time signed is whole seconds).
    #[error("times must be whole seconds")]
    FractionalSeconds,
    /// A list that expires before (or when) it is issued.
    #[error("expires_at is not after issued_at")]
    ExpiresBeforeIssue,
    /// More keys than any list may hold.
    #[error("{count} keys, at most {MAX_KEYS}")]
    TooManyKeys {
        /// Keys listed.
        count: usize,
    },
    /// An entry whose key id is not the one its key derives.
    #[error("key id {kid} does not match its key")]
    KeyIdMismatch {
        /// The entry's key id.
        kid: KeyId,
    },
    /// A key whose validity ends before it starts.
    #[error("key {kid} has not_after before not_before")]
    ValidityReversed {
        /// The key.
        kid: KeyId,
    },
    /// A key listed twice.
    #[error("key {kid} is listed twice")]
    ListedTwice {
        /// The key.
        kid: KeyId,
    },
    /// A list naming another root than the one signing it.
    #[error("root_kid {root_kid} is not the signing root's")]
    OtherRoot {
        /// The root the list names.
        root_kid: KeyId,
    },
    /// A key to revoke that the list does not hold (a typo must not leave a
    /// leaked key active).
    #[error("--revoke {kid} names no key given")]
    RevokedKeyNotListed {
        /// The key id given.
        kid: KeyId,
    },
}

/// Whether a listed key may still be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Codes it signed verify.
    Active,
    /// Withdrawn (for example after a leak): codes it signed are refused.
    Revoked,
}

/// One issuer key in a trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustEntry {
    /// Region the key issues for.
    pub region: Region,
    /// Key id.
    pub kid: KeyId,
    /// The Ed25519 public key, base64url.
    #[serde(with = "crate::keyfile::public_key_text")]
    pub public_key: PublicKey,
    /// First instant the key may sign.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// Last instant the key may sign.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Active or revoked.
    pub status: KeyStatus,
    /// A test key: its codes are shown as SPECIMEN.
    pub test: bool,
}

/// The signed content of a trust list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListBody {
    /// Always [`FORMAT`].
    pub format: String,
    /// Sequence number; verifiers refuse a lower one than they hold.
    pub seq: u64,
    /// When the list was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When the list stops being accepted.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Key id of the root key that signs the list.
    pub root_kid: KeyId,
    /// The issuer keys.
    pub keys: Vec<TrustEntry>,
}

/// A trust list as distributed: body and root signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedTrustList {
    /// The signed content.
    pub trust_list: TrustListBody,
    /// Ed25519 signature by the root key over the body's signing message, base64url.
    pub signature: String,
}

/// A trust list whose signature and freshness were checked.
#[derive(Debug, Clone)]
pub struct TrustList {
    seq: u64,
    issued_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    keys: HashMap<(Region, KeyId), TrustEntry>,
}

impl TrustListBody {
    /// A body for `keys`, issued at `issued_at` and valid for `lifetime`.
    pub fn new(
        seq: u64,
        issued_at: OffsetDateTime,
        lifetime: Duration,
        root_kid: KeyId,
        keys: Vec<TrustEntry>,
    ) -> Self {
        TrustListBody {
            format: FORMAT.to_owned(),
            seq,
            issued_at,
            expires_at: issued_at + lifetime,
            root_kid,
            keys,
        }
    }

    /// A body listing `keys`, each active unless its id is in `revoked`.
    ///
    /// # Errors
    /// [`Error::TrustListInvalid`] when a revoked id names no listed key (a
    /// typo must not leave a leaked key active).
    pub fn from_keys(
        seq: u64,
        issued_at: OffsetDateTime,
        lifetime: Duration,
        root_kid: KeyId,
        keys: &[IssuerPublicKey],
        revoked: &[KeyId],
    ) -> Result<Self, Error> {
        if let Some(missing) = revoked
            .iter()
            .find(|kid| !keys.iter().any(|k| k.kid == **kid))
        {
            return Err(Error::TrustListInvalid(
                TrustListProblem::RevokedKeyNotListed { kid: *missing },
            ));
        }
        let status = |k: &IssuerPublicKey| match revoked.contains(&k.kid) {
            true => KeyStatus::Revoked,
            false => KeyStatus::Active,
        };
        let entries = keys.iter().map(|k| TrustEntry::new(k, status(k))).collect();
        Ok(Self::new(seq, issued_at, lifetime, root_kid, entries))
    }

    /// The bytes the root signs: length-prefixed domain tag, then the body
    /// fields in order, integers big-endian, times as signed seconds.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut body = Vec::with_capacity(32 + self.keys.len() * 64);
        body.push(1); // encoding version
        body.extend_from_slice(&self.seq.to_be_bytes());
        body.extend_from_slice(&self.issued_at.unix_timestamp().to_be_bytes());
        body.extend_from_slice(&self.expires_at.unix_timestamp().to_be_bytes());
        body.extend_from_slice(&self.root_kid.to_bytes());
        body.extend_from_slice(&(self.keys.len() as u32).to_be_bytes());
        for entry in &self.keys {
            let k = entry;
            body.push(k.region.to_byte());
            body.extend_from_slice(&k.kid.to_bytes());
            body.extend_from_slice(&k.public_key.to_bytes());
            body.extend_from_slice(&k.not_before.unix_timestamp().to_be_bytes());
            body.extend_from_slice(&k.not_after.unix_timestamp().to_be_bytes());
            body.push(match entry.status {
                KeyStatus::Active => 1,
                KeyStatus::Revoked => 2,
            });
            body.push(u8::from(k.test));
        }
        let mut message = Vec::with_capacity(body.len() + 32);
        message.push(SIGNING_DOMAIN.len() as u8);
        message.extend_from_slice(SIGNING_DOMAIN);
        message.extend_from_slice(&(body.len() as u32).to_be_bytes());
        message.extend_from_slice(&body);
        message
    }

    /// Checks what a signer and a verifier both insist on.
    fn validate(&self) -> Result<(), Error> {
        let invalid = |problem| Err(Error::TrustListInvalid(problem));
        if self.format != FORMAT {
            return invalid(TrustListProblem::Format {
                found: self.format.clone(),
            });
        }
        let times = self.keys.iter().flat_map(|k| [k.not_before, k.not_after]);
        if [self.issued_at, self.expires_at]
            .into_iter()
            .chain(times)
            .any(|t| t.nanosecond() != 0)
        {
            return invalid(TrustListProblem::FractionalSeconds);
        }
        if self.expires_at <= self.issued_at {
            return invalid(TrustListProblem::ExpiresBeforeIssue);
        }
        if self.keys.len() > MAX_KEYS {
            return invalid(TrustListProblem::TooManyKeys {
                count: self.keys.len(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for entry in &self.keys {
            let k = entry;
            if KeyId::derive(Some(k.region), &k.public_key) != k.kid {
                return invalid(TrustListProblem::KeyIdMismatch { kid: k.kid });
            }
            if k.not_after < k.not_before {
                return invalid(TrustListProblem::ValidityReversed { kid: k.kid });
            }
            if !seen.insert((k.region, k.kid)) {
                return invalid(TrustListProblem::ListedTwice { kid: k.kid });
            }
        }
        Ok(())
    }
}

impl SignedTrustList {
    /// Signs `body` with the root key.
    ///
    /// # Errors
    /// [`Error::TrustListInvalid`] if the body is inconsistent or names another root.
    pub fn sign(body: TrustListBody, root: &RootSecretKey) -> Result<Self, Error> {
        body.validate()?;
        if body.root_kid != root.public().kid {
            return Err(Error::TrustListInvalid(TrustListProblem::OtherRoot {
                root_kid: body.root_kid,
            }));
        }
        let signature = b64::encode(&root.secret().sign(&body.signing_message()));
        Ok(SignedTrustList {
            trust_list: body,
            signature,
        })
    }

    /// Parses a trust list file.
    ///
    /// # Errors
    /// [`Error::Json`] naming the problem (unknown fields included).
    pub fn from_json(text: &str) -> Result<Self, Error> {
        crate::json::parse(text, "trust list")
    }

    /// The list as pretty JSON.
    pub fn to_json(&self) -> String {
        crate::json::to_pretty(self)
    }

    /// Reads the trust list file at `path` and verifies it as
    /// [`SignedTrustList::verify`] does: how every service and scanner loads one.
    ///
    /// # Errors
    /// File and JSON errors, and those of [`SignedTrustList::verify`].
    pub fn read_verified(
        path: &std::path::Path,
        root: &RootPublicKey,
        now: OffsetDateTime,
    ) -> Result<TrustList, Error> {
        SignedTrustList::from_json(&crate::files::read_public(path)?)?.verify(root, now)
    }

    /// Verifies the list under the pinned `root` at `now`.
    ///
    /// # Errors
    /// [`Error::TrustListWrongRoot`], [`Error::TrustListBadSignature`],
    /// [`Error::TrustListInvalid`], [`Error::ClockBeforeTrustList`] (the
    /// clock is set back) or [`Error::TrustListExpired`].
    pub fn verify(&self, root: &RootPublicKey, now: OffsetDateTime) -> Result<TrustList, Error> {
        let body = &self.trust_list;
        if body.root_kid != root.kid {
            return Err(Error::TrustListWrongRoot {
                pinned: root.kid,
                found: body.root_kid,
            });
        }
        let signature = b64::decode_array::<64>(&self.signature, "trust list signature")
            .map_err(|_| Error::TrustListBadSignature)?;
        root.public_key
            .verify_strict(&body.signing_message(), &signature)
            .map_err(|_| Error::TrustListBadSignature)?;
        body.validate()?;
        if now + CLOCK_SKEW < body.issued_at {
            return Err(Error::ClockBeforeTrustList {
                issued_at: body.issued_at,
                now,
            });
        }
        if now > body.expires_at {
            return Err(Error::TrustListExpired {
                expires_at: body.expires_at,
                now,
            });
        }
        let keys = body
            .keys
            .iter()
            .map(|e| ((e.region, e.kid), e.clone()))
            .collect();
        Ok(TrustList {
            seq: body.seq,
            issued_at: body.issued_at,
            expires_at: body.expires_at,
            keys,
        })
    }
}

impl TrustList {
    /// The list's sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// When the list was issued.
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }

    /// When the list expires.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// The key with this region and id, active or revoked.
    pub fn key(&self, region: Region, kid: KeyId) -> Option<&TrustEntry> {
        self.keys.get(&(region, kid))
    }

    /// Refuses this list if a list with a higher sequence number is already held.
    ///
    /// # Errors
    /// [`Error::TrustListRollback`].
    pub fn check_not_older_than(&self, held: Option<u64>) -> Result<(), Error> {
        match held {
            Some(held) if self.seq < held => Err(Error::TrustListRollback {
                seq: self.seq,
                held,
            }),
            _ => Ok(()),
        }
    }
}

impl TrustEntry {
    /// An entry for `key` with `status`.
    pub fn new(key: &IssuerPublicKey, status: KeyStatus) -> Self {
        TrustEntry {
            region: key.region,
            kid: key.kid,
            public_key: key.public_key,
            not_before: key.not_before,
            not_after: key.not_after,
            status,
            test: key.test,
        }
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// True for a test key.
    pub fn is_test(&self) -> bool {
        self.test
    }

    /// Checks the key may vouch for a token issued at `issued_at`.
    ///
    /// # Errors
    /// [`Error::KeyRevoked`] or [`Error::KeyNotValidAtIssue`].
    pub fn check_usable_at(&self, kid: KeyId, issued_at: OffsetDateTime) -> Result<(), Error> {
        if self.status == KeyStatus::Revoked {
            return Err(Error::KeyRevoked { kid });
        }
        crate::keyfile::check_validity(kid, self.not_before, self.not_after, issued_at)
    }
}
