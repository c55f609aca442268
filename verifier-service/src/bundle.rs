//! `verifier bundle`: the offline kit for a handheld with no network. The
//! trust list, the newest revocation snapshot and the checkpoint's policy,
//! each checked, signed as one file by an issuer key of that trust list
//! (the one that signs snapshots; the service itself holds no secret key,
//! and the operations office runs this command with the key).

use std::path::{Path, PathBuf};

use healthcode_keys::{
    Error, IssuerSecretKey, RootPublicKey, SignedTrustList, bundle::SignedBundle,
    revocation::SignedSnapshot,
};
use healthcode_verifier::admission::{Policy, PolicyError};
use time::OffsetDateTime;

/// The files a bundle is made from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The signed trust list.
    pub trust: PathBuf,
    /// The pinned root public key, to check the list before signing.
    pub root: PathBuf,
    /// The issuer-signed revocation snapshot (a verifier's `GET /v1/revocations`).
    pub revocations: PathBuf,
    /// The checkpoint's policy.
    pub policy: PathBuf,
    /// The issuer secret key that signs the bundle.
    pub key: PathBuf,
}

/// Why no bundle was made.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A file that cannot be read or does not verify.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The problem.
        source: Error,
    },
    /// A policy that does not parse.
    #[error("{}: {source}", path.display())]
    Policy {
        /// The file.
        path: PathBuf,
        /// The problem.
        source: PolicyError,
    },
    /// A signing key the trust list does not hold as active.
    #[error("{}: key {kid} is not an active key of the trust list; handhelds could not check the bundle", path.display())]
    KeyNotTrusted {
        /// The key file.
        path: PathBuf,
        /// Its key id.
        kid: healthcode_keys::KeyId,
    },
}

fn file(path: &Path) -> impl FnOnce(Error) -> BundleError + '_ {
    move |source| BundleError::File {
        path: path.to_owned(),
        source,
    }
}

/// Makes the bundle of `sources` at `now`, after checking every part as a
/// handheld will.
///
/// # Errors
/// [`BundleError`] naming the file at fault.
pub fn make(sources: &Sources, now: OffsetDateTime) -> Result<SignedBundle, BundleError> {
    let root = RootPublicKey::read(&sources.root).map_err(file(&sources.root))?;
    let text = healthcode_keys::files::read_public(&sources.trust).map_err(file(&sources.trust))?;
    let signed_trust = SignedTrustList::from_json(&text).map_err(file(&sources.trust))?;
    let trust = signed_trust
        .verify(&root, now)
        .map_err(file(&sources.trust))?;
    let snapshot = SignedSnapshot::read_verified(&sources.revocations, &trust, now)
        .map_err(file(&sources.revocations))?;
    let policy =
        healthcode_keys::files::read_public(&sources.policy).map_err(file(&sources.policy))?;
    Policy::parse(&policy).map_err(|source| BundleError::Policy {
        path: sources.policy.clone(),
        source,
    })?;
    let key = IssuerSecretKey::read(&sources.key).map_err(file(&sources.key))?;
    let trusted = trust
        .key(key.region(), key.kid())
        .is_some_and(|entry| entry.check_usable_at(key.kid(), now).is_ok());
    if !trusted {
        return Err(BundleError::KeyNotTrusted {
            path: sources.key.clone(),
            kid: key.kid(),
        });
    }
    Ok(SignedBundle::sign(
        &key,
        now,
        signed_trust,
        snapshot,
        policy,
    ))
}
