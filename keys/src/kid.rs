//! Key ids: the short name a token gives of the key that signed it.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::{Error, PublicKey, Region};

/// A 4-byte key id, written as 8 lowercase hex digits.
///
/// Derived from the region and public key, so a key id cannot be chosen to
/// collide with another key's by accident; a trust list refuses duplicates.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KeyId::LEN]);

impl KeyId {
    /// Bytes in a key id.
    pub const LEN: usize = 4;

    /// The key id of `public` for `region`: the first 4 bytes of
    /// `SHA-256("HKHC/kid/v1" || region byte || public key)`.
    pub fn derive(region: Option<Region>, public: &PublicKey) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"HKHC/kid/v1");
        hash.update([region.map_or(0, Region::to_byte)]);
        hash.update(public.to_bytes());
        let digest = hash.finalize();
        let mut id = [0u8; Self::LEN];
        id.copy_from_slice(&digest[..Self::LEN]);
        KeyId(id)
    }

    /// The id from its bytes.
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        KeyId(bytes)
    }

    /// The id's bytes.
    pub fn to_bytes(self) -> [u8; Self::LEN] {
        self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidKeyId {
            input: s.to_owned(),
        };
        let bytes = crate::hex::decode_lower(s).ok_or_else(invalid)?;
        bytes.try_into().map(KeyId).map_err(|_| invalid())
    }
}

impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
