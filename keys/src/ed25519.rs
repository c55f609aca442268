//! Ed25519 key newtypes: a secret key never prints, serialises or lingers in memory.

use std::{fmt, str::FromStr};

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::{Error, b64};

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// An Ed25519 secret key. Zeroised on drop; `Debug` is redacted; not `Serialize`.
pub struct SecretKey(SigningKey);

/// An Ed25519 signature.
pub type Signature = [u8; 64];

impl PublicKey {
    /// The key from its 32 bytes.
    ///
    /// # Errors
    /// [`Error::NotAPoint`] if the bytes are not a valid point, [`Error::WeakKey`] for a weak
    /// (small-order) one, which `verify_strict` would refuse anyway.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| Error::NotAPoint)?;
        if key.is_weak() {
            return Err(Error::WeakKey);
        }
        Ok(PublicKey(key))
    }

    /// The key's 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Checks `signature` over `message` with `verify_strict`, which refuses
    /// non-canonical and small-order encodings that plain `verify` lets through.
    ///
    /// # Errors
    /// [`Error::BadSignature`] when it does not verify.
    pub fn verify_strict(&self, message: &[u8], signature: &Signature) -> Result<(), Error> {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.0
            .verify_strict(message, &signature)
            .map_err(|_| Error::BadSignature)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&b64::encode(&self.to_bytes()))
    }
}

impl FromStr for PublicKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::from_bytes(&b64::decode_array(s, "public key")?)
    }
}

impl SecretKey {
    /// A new key from `rng`; pass a seeded RNG in tests for repeatable keys.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        SecretKey(SigningKey::from_bytes(&seed))
    }

    /// The key from its 32-byte seed.
    pub fn from_bytes(seed: &[u8; 32]) -> Self {
        SecretKey(SigningKey::from_bytes(seed))
    }

    /// The 32-byte seed, in a buffer that is zeroised on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;

    #[test]
    fn sign_then_verify_strict() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let secret = SecretKey::generate(&mut rng);
        let signature = secret.sign(b"message");
        assert!(
            secret
                .public_key()
                .verify_strict(b"message", &signature)
                .is_ok()
        );
        assert!(
            secret
                .public_key()
                .verify_strict(b"massage", &signature)
                .is_err()
        );
        assert_eq!(format!("{secret:?}"), "SecretKey(<redacted>)");
    }

    #[test]
    fn public_key_text_round_trips() {
        let secret = SecretKey::from_bytes(&[7; 32]);
        let public = secret.public_key();
        assert_eq!(public.to_string().parse::<PublicKey>().ok(), Some(public));
    }

    #[test]
    fn refuses_small_order_public_key() {
        // The identity point (0, 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::from_bytes(&identity).is_err());
    }
}
