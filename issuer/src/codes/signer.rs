//! The service's signing key: read from the file its configuration names,
//! checked, and swapped while serving when that file changes (key rotation).
//!
//! Rotation without downtime: a new key is added to the trust list first (so
//! verifiers know it), then the file the service reads is replaced (or its
//! symlink pointed at the new key) and the service reloads on SIGHUP or on the
//! change. Codes already signed by the old key stay valid, since the trust
//! list still lists it. A replacement that cannot sign now is refused, and the
//! key in use stays.

use std::{
    cell::RefCell,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use healthcode_keys::{BindingMemory, IdentityMasterKey, IssuerSecretKey, KeyId, TokenId};
use time::OffsetDateTime;

use super::binders::Binders;
use crate::{
    Error,
    issue::{Bound, Holder, bind_holder},
};

thread_local! {
    /// A binder thread's Argon2id memory (16 MiB), kept from one binding to
    /// the next: one per core, and no page faults at each binding.
    /// Made on a thread's first binding (thread locals start lazily).
    static MEMORY: RefCell<BindingMemory> = RefCell::new(BindingMemory::new());
}

/// The signing key in use and the master identity key whose day keys bind
/// codes to documents.
#[derive(Debug)]
pub struct Signer {
    path: PathBuf,
    identity: IdentityMasterKey,
    key: RwLock<Arc<IssuerSecretKey>>,
    /// Bindings made at once: each is an Argon2id evaluation with 16 MiB,
    /// so at most one per core, whatever the number of requests, and below
    /// the priority of the requests' own work.
    binders: Binders,
}

impl Signer {
    /// Reads the issuer key at `key_path` and the master identity key at `identity_path`.
    ///
    /// # Errors
    /// File, permission and format errors; [`healthcode_keys::Error::KeyNotValidAtIssue`]
    /// for a key that cannot sign at `now`.
    pub fn load(key_path: &Path, identity_path: &Path, now: OffsetDateTime) -> Result<Self, Error> {
        let key = IssuerSecretKey::read(key_path)?;
        key.check_can_sign_at(now)?;
        Ok(Signer {
            path: key_path.to_owned(),
            identity: IdentityMasterKey::read(identity_path)?,
            key: RwLock::new(Arc::new(key)),
            binders: Binders::per_core()?,
        })
    }

    /// Reads the key file again and puts its key in use; returns its kid.
    ///
    /// # Errors
    /// As [`Signer::load`]; the key in use stays.
    pub fn reload(&self, now: OffsetDateTime) -> Result<KeyId, Error> {
        let key = IssuerSecretKey::read(&self.path)?;
        key.check_can_sign_at(now)?;
        let kid = key.kid();
        // A poisoned lock only means a panic elsewhere mid-swap; the Arc inside is whole.
        *self.key.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
        Ok(kid)
    }

    /// The key to sign with at `now`.
    ///
    /// # Errors
    /// [`healthcode_keys::Error::KeyNotValidAtIssue`] once the key in use has
    /// expired: better no code than one every verifier refuses.
    pub fn key_at(&self, now: OffsetDateTime) -> Result<Arc<IssuerSecretKey>, Error> {
        let key = self.key.read().unwrap_or_else(|e| e.into_inner()).clone();
        key.check_can_sign_at(now)?;
        Ok(key)
    }

    /// The master identity key.
    pub fn identity(&self) -> &IdentityMasterKey {
        &self.identity
    }

    /// `holder`'s binding to `token_id` at `at`, made on a binder thread
    /// once one is free (see [`bind_holder`]).
    ///
    /// # Errors
    /// [`Error::TaskFailed`] if the binding task died.
    pub async fn bind(
        &self,
        token_id: TokenId,
        holder: Holder,
        at: OffsetDateTime,
    ) -> Result<Bound, Error> {
        let master = self.identity.clone();
        self.binders
            .run(move || {
                MEMORY.with_borrow_mut(|memory| bind_holder(memory, token_id, &master, &holder, at))
            })
            .await
    }

    /// The key file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
