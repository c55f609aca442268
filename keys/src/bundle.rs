//! The offline kit for a handheld with no network: one file holding the
//! root-signed trust list, the issuer-signed revocation snapshot and the
//! checkpoint's policy, signed as a whole by an issuer key of that trust
//! list. A scanner that pins the root checks every layer, so nothing in it
//! can be swapped, and the snapshot's own signed time says how old the
//! revocation data is.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{
    Error, IssuerSecretKey, KeyId, Region, RootPublicKey, SignedTrustList, TrustList, b64,
    hktime::CLOCK_SKEW, revocation::SignedSnapshot,
};

/// The `format` of every bundle this code writes.
pub const BUNDLE_FORMAT: &str = "healthcode-offline-bundle-v1";
/// Domain separation tag of the bundle signature.
pub const BUNDLE_DOMAIN: &[u8] = b"HKHC/offline-bundle/v1";

/// The signed content of a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleBody {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// The signing issuer key's region.
    pub region: Region,
    /// The signing issuer key (listed in `trust_list`).
    pub kid: KeyId,
    /// When the bundle was made.
    #[serde(with = "time::serde::rfc3339")]
    pub made_at: OffsetDateTime,
    /// The trust list, signed by the root.
    pub trust_list: SignedTrustList,
    /// The revocations, signed by an issuer key of that list.
    pub revocations: SignedSnapshot,
    /// The checkpoint's admission policy, as its file reads.
    pub policy: String,
}

/// A bundle as distributed: body and issuer signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedBundle {
    /// The signed content.
    pub bundle: BundleBody,
    /// Ed25519 signature by the issuer key over the body's signing message, base64url.
    pub signature: String,
}

/// A bundle whose every layer verified.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    /// The trust list, verified under the pinned root.
    pub trust: TrustList,
    /// The snapshot, verified under that list.
    pub revocations: SignedSnapshot,
    /// The policy text (the caller parses it).
    pub policy: String,
    /// When the bundle was made.
    pub made_at: OffsetDateTime,
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl BundleBody {
    /// The bytes the issuer signs: the tag, the signer and time, then the
    /// SHA-256 of each part as it is written in the file.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut body = vec![1, self.region.to_byte()];
        body.extend_from_slice(&self.kid.to_bytes());
        body.extend_from_slice(&self.made_at.unix_timestamp().to_be_bytes());
        body.extend_from_slice(&digest(self.trust_list.to_json().as_bytes()));
        body.extend_from_slice(&digest(self.revocations.to_json().as_bytes()));
        body.extend_from_slice(&digest(self.policy.as_bytes()));
        let mut message = vec![BUNDLE_DOMAIN.len() as u8];
        message.extend_from_slice(BUNDLE_DOMAIN);
        message.extend_from_slice(&(body.len() as u32).to_be_bytes());
        message.extend_from_slice(&body);
        message
    }
}

fn problem(text: impl Into<String>) -> Error {
    Error::Bundle {
        problem: text.into(),
    }
}

impl SignedBundle {
    /// Signs a bundle of `trust_list`, `revocations` and `policy` with
    /// `key`, made at `made_at` (whole seconds).
    pub fn sign(
        key: &IssuerSecretKey,
        made_at: OffsetDateTime,
        trust_list: SignedTrustList,
        revocations: SignedSnapshot,
        policy: String,
    ) -> Self {
        let bundle = BundleBody {
            format: BUNDLE_FORMAT.to_owned(),
            region: key.region(),
            kid: key.kid(),
            made_at: crate::hktime::whole_seconds(made_at),
            trust_list,
            revocations,
            policy,
        };
        let signature = b64::encode(&key.secret().sign(&bundle.signing_message()));
        SignedBundle { bundle, signature }
    }

    /// Parses a bundle file.
    ///
    /// # Errors
    /// [`Error::Json`].
    pub fn from_json(text: &str) -> Result<Self, Error> {
        crate::json::parse(text, "offline bundle")
    }

    /// The bundle as JSON.
    pub fn to_json(&self) -> String {
        crate::json::to_pretty(self)
    }

    /// Reads the bundle at `path` and checks it as [`SignedBundle::verify`] does.
    ///
    /// # Errors
    /// File and JSON errors, and those of [`SignedBundle::verify`].
    pub fn read_verified(
        path: &std::path::Path,
        root: &RootPublicKey,
        now: OffsetDateTime,
    ) -> Result<VerifiedBundle, Error> {
        SignedBundle::from_json(&crate::files::read_public(path)?)?.verify(root, now)
    }

    /// Checks every layer: the trust list under the pinned `root`, the
    /// bundle's signature under an active key of that list, the snapshot
    /// under the list, and that nothing comes from the future.
    ///
    /// # Errors
    /// The trust list's and the snapshot's own errors; [`Error::Bundle`]
    /// for a bad format, signature or time.
    pub fn verify(
        self,
        root: &RootPublicKey,
        now: OffsetDateTime,
    ) -> Result<VerifiedBundle, Error> {
        let body = self.bundle;
        if body.format != BUNDLE_FORMAT {
            return Err(problem(format!("unknown format {:?}", body.format)));
        }
        let trust = body.trust_list.verify(root, now)?;
        let key = trust.key(body.region, body.kid).ok_or_else(|| {
            problem(format!(
                "signed by {}, a key not in its trust list",
                body.kid
            ))
        })?;
        let signature = b64::decode_array::<64>(&self.signature, "bundle signature")
            .map_err(|_| problem("the signature does not verify"))?;
        key.public_key()
            .verify_strict(&body.signing_message(), &signature)
            .map_err(|_| problem("the signature does not verify: the file was altered"))?;
        key.check_usable_at(body.kid, body.made_at)?;
        if body.made_at > now + CLOCK_SKEW {
            return Err(problem("made in the future: check the device's clock"));
        }
        body.revocations.verify(&trust, now)?;
        Ok(VerifiedBundle {
            trust,
            revocations: body.revocations,
            policy: body.policy,
            made_at: body.made_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::{KeyStatus, testkeys};

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    fn bundle(signer: &IssuerSecretKey, listed: &IssuerSecretKey) -> SignedBundle {
        let trust = testkeys::trust_list(1, NOW, &[(listed, KeyStatus::Active)]);
        let snapshot = SignedSnapshot::sign(listed, NOW, Vec::new());
        SignedBundle::sign(signer, NOW, trust, snapshot, "green = admit\n".to_owned())
    }

    #[test]
    fn every_layer_is_checked_and_nothing_can_be_swapped() {
        let key = testkeys::issuer(Region::HongKong, "a");
        let root = testkeys::root().public();
        let good = bundle(&key, &key);
        let text = good.to_json();
        let verified = SignedBundle::from_json(&text)
            .and_then(|b| b.verify(&root, NOW))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(verified.policy, "green = admit\n");
        assert_eq!(verified.made_at, NOW);

        let refused = |bundle: SignedBundle| {
            bundle
                .verify(&root, NOW)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let mut loosened = good.clone();
        loosened.bundle.policy = "green = admit\namber = admit\n".to_owned();
        assert!(refused(loosened).contains("does not verify"));
        let mut older = good.clone();
        older.bundle.made_at -= time::Duration::hours(1);
        assert!(refused(older).contains("does not verify"));
        let stranger = testkeys::issuer(Region::HongKong, "b");
        assert!(refused(bundle(&stranger, &key)).contains("not in its trust list"));
        let parts = bundle(&key, &key).bundle;
        let future = SignedBundle::sign(
            &key,
            NOW + time::Duration::hours(1),
            parts.trust_list,
            parts.revocations,
            parts.policy,
        );
        assert!(refused(future).contains("future"));
        let mut renamed = good;
        renamed.bundle.format = "other".to_owned();
        assert!(refused(renamed).contains("unknown format"));
    }
}
