//! Personal data at rest: the data key, field encryption and keyed blind indexes.
//!
//! The data key lives in its own 0600 file outside the database, so a copy of
//! the database alone reveals no name, ID number, address, phone or proof.
//! Subkeys for encryption, blind indexes and PIN/session hashing are derived
//! from it with HMAC under distinct labels, so one key file is all an operator
//! keeps and no subkey can stand in for another.

use std::path::Path;

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use healthcode_keys::{files, hex};
use hmac::{Hmac, Mac};
use rand::{CryptoRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::Error;

/// Bytes of the nonce stored in front of every ciphertext.
const NONCE_LEN: usize = 24;

/// The data key: personal data is encrypted under keys derived from it.
/// Zeroised on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct DataKey {
    seal: Zeroizing<[u8; 32]>,
    index: Zeroizing<[u8; 32]>,
    secret: Zeroizing<[u8; 32]>,
    audit: Zeroizing<[u8; 32]>,
    check: [u8; 32],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    for part in parts {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl DataKey {
    /// A new random key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut master = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(master.as_mut());
        Self::from_master(&master)
    }

    fn from_master(master: &[u8; 32]) -> Self {
        let derive = |label: &str| Zeroizing::new(hmac(master, &[b"HKHC/data", label.as_bytes()]));
        DataKey {
            seal: derive("seal"),
            index: derive("index"),
            secret: derive("secret"),
            audit: derive("audit"),
            check: hmac(master, &[b"HKHC/data", b"check"]),
        }
    }

    /// Reads the key file (64 hex digits; refused if others can read it).
    ///
    /// # Errors
    /// [`Error::Keys`] for an unreadable or too open file, [`Error::BadDataKey`]
    /// for one that holds no key.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = files::read_secret(path)?;
        let line = text.lines().find(|l| !l.starts_with('#')).unwrap_or("");
        let bytes = Zeroizing::new(hex::decode_lower(line.trim()).unwrap_or_default());
        let master: [u8; 32] = bytes.as_slice().try_into().map_err(|_| Error::BadDataKey {
            path: path.to_owned(),
        })?;
        Ok(Self::from_master(&Zeroizing::new(master)))
    }

    /// Creates the key file with a new key (mode 0600, never overwrites).
    ///
    /// # Errors
    /// [`Error::Keys`] if the file exists or cannot be written.
    pub fn create<R: RngCore + CryptoRng>(rng: &mut R, path: &Path) -> Result<Self, Error> {
        let mut master = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(master.as_mut());
        let text = Zeroizing::new(format!(
            "# healthcode data key: encrypts personal data at rest. Keep it apart from the database.\n{}\n",
            hex::encode(master.as_ref())
        ));
        files::write_secret(path, text.as_bytes())?;
        Ok(Self::from_master(&master))
    }

    /// A value stored beside the data that shows whether this is the key it
    /// was written with, without revealing the key.
    pub fn check_value(&self) -> String {
        hex::encode(&self.check)
    }

    /// Encrypts `plaintext` for column `field` of row `row` (XChaCha20-Poly1305,
    /// random nonce). The field and row are bound in, so a ciphertext copied
    /// to another row or column fails to open.
    pub fn seal(&self, field: &str, row: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(self.seal.as_ref().into());
        let aad = format!("{field}/{row}");
        // Encryption fails only for inputs over 256 GiB; uploads are megabytes.
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: aad.as_bytes(),
                },
            )
            .unwrap_or_default();
        [nonce.as_slice(), &sealed].concat()
    }

    /// Decrypts what [`DataKey::seal`] made for `field` of `row`.
    ///
    /// # Errors
    /// [`Error::Undecryptable`] for a wrong key, a moved or altered ciphertext.
    pub fn open(
        &self,
        field: &'static str,
        row: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let undecryptable = || Error::Undecryptable { field };
        if sealed.len() < NONCE_LEN {
            return Err(undecryptable());
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new(self.seal.as_ref().into());
        let aad = format!("{field}/{row}");
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: aad.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| undecryptable())
    }

    /// [`DataKey::open`] for text.
    ///
    /// # Errors
    /// As `open`, and [`Error::Undecryptable`] when the text is not UTF-8.
    pub fn open_text(
        &self,
        field: &'static str,
        row: &str,
        sealed: &[u8],
    ) -> Result<String, Error> {
        let bytes = self.open(field, row, sealed)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Error::Undecryptable { field })
    }

    /// A keyed blind index of `value` for lookups of kind `kind`: equal values
    /// give equal indexes, and without the key nobody can test a guess (an
    /// HKID has under 10^9 values, so a plain hash would be reversed at once).
    pub fn blind_index(&self, kind: &str, value: &str) -> String {
        hex::encode(&hmac(
            self.index.as_ref(),
            &[kind.as_bytes(), value.as_bytes()],
        ))
    }

    /// A MAC over `parts` with the audit key: the audit chain's links and
    /// its anchors, which nobody without the key can recompute.
    pub fn audit_mac(&self, parts: &[&[u8]]) -> String {
        hex::encode(&hmac(self.audit.as_ref(), parts))
    }

    /// A keyed hash of a short secret (a PIN, a session or staff token), so
    /// that the database alone cannot be used to try all PINs offline.
    pub fn secret_hash(&self, kind: &str, owner: &str, secret: &str) -> String {
        hex::encode(&hmac(
            self.secret.as_ref(),
            &[kind.as_bytes(), owner.as_bytes(), secret.as_bytes()],
        ))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;

    fn key(seed: u64) -> DataKey {
        DataKey::generate(&mut rand_chacha::ChaCha20Rng::seed_from_u64(seed))
    }

    #[test]
    fn sealed_fields_open_only_where_they_were_sealed() -> Result<(), Error> {
        let key = key(1);
        let sealed = key.seal("accounts.name", "row-1", "CHAN Tai Man".as_bytes());
        assert_eq!(
            key.open_text("accounts.name", "row-1", &sealed)?,
            "CHAN Tai Man"
        );
        assert!(
            key.open("accounts.name", "row-2", &sealed).is_err(),
            "moved row"
        );
        assert!(
            key.open("accounts.address", "row-1", &sealed).is_err(),
            "moved column"
        );
        assert!(
            super::tests::key(2)
                .open("accounts.name", "row-1", &sealed)
                .is_err()
        );
        let mut flipped = sealed.clone();
        flipped[30] ^= 1;
        assert!(
            key.open("accounts.name", "row-1", &flipped).is_err(),
            "altered"
        );
        assert!(
            key.open("accounts.name", "row-1", &sealed[..10]).is_err(),
            "short"
        );
        Ok(())
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let key = key(1);
        assert_ne!(key.seal("f", "r", b"same"), key.seal("f", "r", b"same"));
    }

    #[test]
    fn blind_index_is_keyed_and_separated_by_kind() {
        let (a, b) = (key(1), key(2));
        assert_eq!(
            a.blind_index("id", "HKID:A1234563"),
            a.blind_index("id", "HKID:A1234563")
        );
        assert_ne!(
            a.blind_index("id", "HKID:A1234563"),
            b.blind_index("id", "HKID:A1234563")
        );
        assert_ne!(
            a.blind_index("id", "HKID:A1234563"),
            a.blind_index("housing", "HKID:A1234563")
        );
        assert_ne!(a.blind_index("id", "x"), a.secret_hash("id", "", "x"));
    }

    #[test]
    fn key_file_round_trips_and_is_private() -> Result<(), Error> {
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            path: "tempdir".into(),
            source,
        })?;
        let path = dir.path().join("data.key");
        let made = DataKey::create(&mut rand::rngs::OsRng, &path)?;
        let read = DataKey::read(&path)?;
        assert_eq!(made.check_value(), read.check_value());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
        assert!(
            DataKey::create(&mut rand::rngs::OsRng, &path).is_err(),
            "never overwrites"
        );
        Ok(())
    }
}
