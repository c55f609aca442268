//! Revocations: single codes taken back during their day, carried from the
//! issuer to every checkpoint through Redis.
//!
//! Revoking a whole key (a leak) goes through the trust list instead. A
//! revocation expires by itself when the code it revokes would have expired
//! anyway, so the set stays small (codes live one day).
//!
//! # Layout
//! - [`Revocation`], [`Reason`]: one revocation and why (a fixed set of
//!   reasons: free text could carry health data to every checkpoint).
//! - [`RevocationSet`]: the in-memory set a verifier checks, additive only.
//! - [`store`]: the Redis side: write and publish, look up, list for a resync.

mod set;
pub mod store;

pub use set::RevocationSet;

use std::{fmt, str::FromStr};

use healthcode_keys::TokenId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Why a code was revoked. Deliberately coarse: officers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A newer code was issued the same day.
    Superseded,
    /// The holder's risk changed after issue (which way is not said).
    RiskChanged,
    /// The code should not have been issued.
    IssuedInError,
    /// The holder asked for it.
    HolderRequest,
    /// The code is being misused.
    Fraud,
}

/// Every reason, for messages.
pub const REASONS: &[&str] = &[
    "superseded",
    "risk_changed",
    "issued_in_error",
    "holder_request",
    "fraud",
];

impl Reason {
    /// The snake_case id.
    pub fn id(self) -> &'static str {
        match self {
            Reason::Superseded => "superseded",
            Reason::RiskChanged => "risk_changed",
            Reason::IssuedInError => "issued_in_error",
            Reason::HolderRequest => "holder_request",
            Reason::Fraud => "fraud",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Reason {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, crate::Error> {
        let all = [
            Reason::Superseded,
            Reason::RiskChanged,
            Reason::IssuedInError,
            Reason::HolderRequest,
            Reason::Fraud,
        ];
        all.into_iter()
            .find(|r| r.id() == s.replace('-', "_"))
            .ok_or_else(|| crate::Error::UnknownReason {
                found: s.to_owned(),
            })
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
    pub reason: Reason,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339")]
    pub revoked_at: OffsetDateTime,
    /// When the revoked code expires anyway; the revocation is dropped after.
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
}

impl Revocation {
    /// The revocation as one line of JSON (how Redis stores and publishes it).
    pub fn to_json(&self) -> String {
        // Hex, an enum and times always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the JSON form.
    ///
    /// # Errors
    /// [`crate::Error::BadRevocation`].
    pub fn from_json(text: &str) -> Result<Self, crate::Error> {
        serde_json::from_str(text).map_err(|source| crate::Error::BadRevocation { source })
    }
}

mod token_id_hex {
    use healthcode_keys::TokenId;
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &TokenId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TokenId, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}
