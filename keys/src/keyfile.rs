//! Issuer, root and identity keys with their metadata, and their JSON files.

use std::path::Path;

use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    Error, IdentityKey, KeyId, PublicKey, Region, SecretKey, b64,
    files::{read_public, read_secret, write_public, write_secret},
};

/// A trusted issuer's public key and what the trust list says of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerPublicKey {
    /// Region the key issues for.
    pub region: Region,
    /// Key id (derived from region and public key).
    pub kid: KeyId,
    /// The Ed25519 public key, base64url.
    #[serde(with = "public_key_text")]
    pub public_key: PublicKey,
    /// First instant the key may sign.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// Last instant the key may sign.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// A test key: its codes are shown as SPECIMEN.
    pub test: bool,
}

/// An issuer's secret signing key with its public metadata.
#[derive(Debug)]
pub struct IssuerSecretKey {
    public: IssuerPublicKey,
    secret: SecretKey,
}

/// The root key that signs trust lists; verifiers pin its public key.
#[derive(Debug)]
pub struct RootSecretKey {
    kid: KeyId,
    secret: SecretKey,
}

/// The pinned root public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootPublicKey {
    /// Key id of the root.
    pub kid: KeyId,
    /// The Ed25519 public key.
    pub public_key: PublicKey,
}

const ISSUER_SECRET: &str = "healthcode-issuer-secret-key";
const ISSUER_PUBLIC: &str = "healthcode-issuer-public-key";
const ROOT_SECRET: &str = "healthcode-root-secret-key";
const ROOT_PUBLIC: &str = "healthcode-root-public-key";
const IDENTITY: &str = "healthcode-identity-key";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerSecretFile {
    kind: String,
    region: Region,
    kid: KeyId,
    secret_key: String,
    #[serde(with = "time::serde::rfc3339")]
    not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    not_after: OffsetDateTime,
    test: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerPublicFile {
    kind: String,
    region: Region,
    kid: KeyId,
    #[serde(with = "public_key_text")]
    public_key: PublicKey,
    #[serde(with = "time::serde::rfc3339")]
    not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    not_after: OffsetDateTime,
    test: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RootFile {
    kind: String,
    kid: KeyId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_key: Option<String>,
}

/// A file of one 32-byte key: the identity key, the master identity key.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityFile {
    kind: String,
    key: String,
}

impl IssuerSecretKey {
    /// A new issuer key for `region`, usable from `not_before` to `not_after`.
    pub fn generate<R: RngCore + CryptoRng>(
        rng: &mut R,
        region: Region,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        test: bool,
    ) -> Self {
        Self::from_secret(
            SecretKey::generate(rng),
            region,
            not_before,
            not_after,
            test,
        )
    }

    /// The issuer key of an existing secret key.
    pub fn from_secret(
        secret: SecretKey,
        region: Region,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        test: bool,
    ) -> Self {
        let public_key = secret.public_key();
        let kid = KeyId::derive(Some(region), &public_key);
        let public = IssuerPublicKey {
            region,
            kid,
            public_key,
            not_before,
            not_after,
            test,
        };
        IssuerSecretKey { public, secret }
    }

    /// The region this key issues for.
    pub fn region(&self) -> Region {
        self.public.region
    }

    /// The key id.
    pub fn kid(&self) -> KeyId {
        self.public.kid
    }

    /// The public half with its metadata.
    pub fn public(&self) -> &IssuerPublicKey {
        &self.public
    }

    /// Checks this key may sign at `at`: within its validity window, as
    /// every verifier will check it (a code it could not vouch for is worse
    /// than no code).
    ///
    /// # Errors
    /// [`Error::KeyNotValidAtIssue`].
    pub fn check_can_sign_at(&self, at: OffsetDateTime) -> Result<(), Error> {
        check_validity(
            self.public.kid,
            self.public.not_before,
            self.public.not_after,
            at,
        )
    }

    pub(crate) fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// Reads a `<kid>.secret` file (mode 0600).
    ///
    /// # Errors
    /// File, permission and format errors, each naming the problem.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = read_secret(path)?;
        let file: IssuerSecretFile = crate::json::parse(&text, "issuer secret key file")?;
        check_kind(path, &file.kind, ISSUER_SECRET)?;
        let seed =
            zeroize::Zeroizing::new(b64::decode_array::<32>(&file.secret_key, "secret key")?);
        let key = Self::from_secret(
            SecretKey::from_bytes(&seed),
            file.region,
            file.not_before,
            file.not_after,
            file.test,
        );
        check_kid(file.kid, key.kid())?;
        Ok(key)
    }

    /// Writes `DIR/<kid>.secret` (0600) and `DIR/<kid>.public`.
    ///
    /// # Errors
    /// [`Error::FileExists`] or [`Error::Io`].
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let p = &self.public;
        let secret = IssuerSecretFile {
            kind: ISSUER_SECRET.into(),
            region: p.region,
            kid: p.kid,
            secret_key: b64::encode(self.secret.to_bytes().as_ref()),
            not_before: p.not_before,
            not_after: p.not_after,
            test: p.test,
        };
        let secret_json = zeroize::Zeroizing::new(crate::json::to_pretty(&secret));
        write_secret(
            &dir.join(format!("{}.secret", p.kid)),
            secret_json.as_bytes(),
        )?;
        let public = IssuerPublicFile {
            kind: ISSUER_PUBLIC.into(),
            region: p.region,
            kid: p.kid,
            public_key: p.public_key,
            not_before: p.not_before,
            not_after: p.not_after,
            test: p.test,
        };
        write_public(
            &dir.join(format!("{}.public", p.kid)),
            crate::json::to_pretty(&public).as_bytes(),
        )
    }
}

impl IssuerPublicKey {
    /// Reads a `<kid>.public` file.
    ///
    /// # Errors
    /// File and format errors, or a key id that does not match the key.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let file: IssuerPublicFile =
            crate::json::parse(&read_public(path)?, "issuer public key file")?;
        check_kind(path, &file.kind, ISSUER_PUBLIC)?;
        check_kid(file.kid, KeyId::derive(Some(file.region), &file.public_key))?;
        Ok(IssuerPublicKey {
            region: file.region,
            kid: file.kid,
            public_key: file.public_key,
            not_before: file.not_before,
            not_after: file.not_after,
            test: file.test,
        })
    }
}

impl RootSecretKey {
    /// A new root key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self::from_secret(SecretKey::generate(rng))
    }

    /// The root key of an existing secret key.
    pub fn from_secret(secret: SecretKey) -> Self {
        RootSecretKey {
            kid: KeyId::derive(None, &secret.public_key()),
            secret,
        }
    }

    /// The pinned public half.
    pub fn public(&self) -> RootPublicKey {
        RootPublicKey {
            kid: self.kid,
            public_key: self.secret.public_key(),
        }
    }

    pub(crate) fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// Reads `root.secret` (mode 0600).
    ///
    /// # Errors
    /// File, permission and format errors.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let file: RootFile = crate::json::parse(&read_secret(path)?, "root secret key file")?;
        check_kind(path, &file.kind, ROOT_SECRET)?;
        let text = file.secret_key.unwrap_or_default();
        let seed = zeroize::Zeroizing::new(b64::decode_array::<32>(&text, "root secret key")?);
        let key = RootSecretKey {
            kid: file.kid,
            secret: SecretKey::from_bytes(&seed),
        };
        check_kid(file.kid, key.public().kid_derived())?;
        Ok(key)
    }

    /// Writes `DIR/root.secret` (0600) and `DIR/root.public`.
    ///
    /// # Errors
    /// [`Error::FileExists`] or [`Error::Io`].
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let secret = RootFile {
            kind: ROOT_SECRET.into(),
            kid: self.kid,
            public_key: None,
            secret_key: Some(b64::encode(self.secret.to_bytes().as_ref())),
        };
        let secret_json = zeroize::Zeroizing::new(crate::json::to_pretty(&secret));
        write_secret(&dir.join("root.secret"), secret_json.as_bytes())?;
        write_public(&dir.join("root.public"), self.public().to_json().as_bytes())
    }
}

impl RootPublicKey {
    fn kid_derived(&self) -> KeyId {
        KeyId::derive(None, &self.public_key)
    }

    /// The `root.public` file's JSON.
    pub fn to_json(&self) -> String {
        crate::json::to_pretty(&RootFile {
            kind: ROOT_PUBLIC.into(),
            kid: self.kid,
            public_key: Some(self.public_key.to_string()),
            secret_key: None,
        })
    }

    /// Parses the `root.public` file's JSON.
    ///
    /// # Errors
    /// Format errors, or a key id that does not match the key.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let file: RootFile = crate::json::parse(text, "root public key file")?;
        if file.kind != ROOT_PUBLIC {
            return Err(Error::WrongKeyFileKind {
                path: "root public key".into(),
                expected: ROOT_PUBLIC,
                found: file.kind,
            });
        }
        let public_key: PublicKey = file.public_key.unwrap_or_default().parse()?;
        let key = RootPublicKey {
            kid: file.kid,
            public_key,
        };
        check_kid(file.kid, key.kid_derived())?;
        Ok(key)
    }

    /// Reads `root.public`.
    ///
    /// # Errors
    /// File and format errors.
    pub fn read(path: &Path) -> Result<Self, Error> {
        Self::from_json(&read_public(path)?)
    }
}

impl IdentityKey {
    /// Reads an identity key file (mode 0600).
    ///
    /// # Errors
    /// File, permission and format errors.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let key = read_key32(path, IDENTITY, "identity key file", "identity key")?;
        Ok(IdentityKey::from_bytes(&key))
    }

    /// Writes a new identity key file (0600).
    ///
    /// # Errors
    /// [`Error::FileExists`] or [`Error::Io`].
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        write_key32(path, IDENTITY, &self.to_bytes())
    }
}

/// Reads a secret file (mode 0600) of `kind` holding one 32-byte key; `file`
/// and `key` name them in errors.
pub(crate) fn read_key32(
    path: &Path,
    kind: &'static str,
    file: &'static str,
    key: &'static str,
) -> Result<zeroize::Zeroizing<[u8; 32]>, Error> {
    let parsed: IdentityFile = crate::json::parse(&read_secret(path)?, file)?;
    check_kind(path, &parsed.kind, kind)?;
    Ok(zeroize::Zeroizing::new(b64::decode_array::<32>(
        &parsed.key,
        key,
    )?))
}

/// Writes a new secret file (0600) of `kind` holding the 32-byte `key`.
pub(crate) fn write_key32(path: &Path, kind: &'static str, key: &[u8; 32]) -> Result<(), Error> {
    let file = IdentityFile {
        kind: kind.into(),
        key: b64::encode(key),
    };
    write_secret(
        path,
        zeroize::Zeroizing::new(crate::json::to_pretty(&file)).as_bytes(),
    )
}

/// The one check of a key's validity window: a key may sign (and vouch for
/// what it signed) from `not_before` to `not_after`, both included.
///
/// # Errors
/// [`Error::KeyNotValidAtIssue`].
pub(crate) fn check_validity(
    kid: KeyId,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    at: OffsetDateTime,
) -> Result<(), Error> {
    if at < not_before || at > not_after {
        return Err(Error::KeyNotValidAtIssue {
            kid,
            issued_at: at,
            not_before,
            not_after,
        });
    }
    Ok(())
}

pub(crate) fn check_kind(path: &Path, found: &str, expected: &'static str) -> Result<(), Error> {
    if found == expected {
        return Ok(());
    }
    Err(Error::WrongKeyFileKind {
        path: path.to_owned(),
        expected,
        found: found.to_owned(),
    })
}

fn check_kid(claimed: KeyId, derived: KeyId) -> Result<(), Error> {
    if claimed == derived {
        return Ok(());
    }
    Err(Error::KeyIdMismatch { claimed, derived })
}

/// Serde for a [`PublicKey`] as base64url text.
pub(crate) mod public_key_text {
    use serde::{Deserialize as _, Deserializer, Serializer};

    use crate::PublicKey;

    pub fn serialize<S: Serializer>(key: &PublicKey, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(key)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PublicKey, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}
