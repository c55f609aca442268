//! Conversion of a green Hong Kong code into a partner region's code
//! (Guangdong's YueKang code, Macao's health code), as the Guangdong-Macao
//! precedent did it: the resident carries the payload, the two back ends
//! never talk. `docs/conversion.md` gives the layout byte by byte.
//!
//! The issuer signs a minimal [`ConversionRecord`] with a conversion key
//! listed in its trust list, then seals the signed record to the partner's
//! X25519 key (ephemeral X25519, HKDF-SHA256, ChaCha20-Poly1305), so only
//! that partner can read it and anyone can see it is for that partner. The
//! partner opens it with [`open`], which names each refusal.

use std::{fmt, path::Path};

use chacha20poly1305::{
    ChaCha20Poly1305, KeyInit,
    aead::{Aead, Payload},
};
use hkdf::Hkdf;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x25519_dalek::{PublicKey as X25519Public, StaticSecret};
use zeroize::Zeroizing;

use crate::{
    Colour, Error, IssuerSecretKey, KeyId, Region, TrustList, b64,
    files::{read_public, read_secret, write_public, write_secret},
    hktime::{CLOCK_SKEW, from_u32_seconds, to_u32_seconds},
};

/// Text prefix of a sealed conversion payload (as carried in its QR code).
pub const TEXT_PREFIX: &str = "HKCV1:";
/// First bytes of a sealed payload.
pub const MAGIC: &[u8; 4] = b"HKCV";
/// Version byte of the sealed payload and of the record.
pub const VERSION: u8 = 1;
/// Domain separation tag of the issuer's signature over a record.
pub const SIGNING_DOMAIN: &[u8] = b"HKHC/conversion/v1";
/// HKDF `info` of the sealing key and nonce.
pub const SEAL_INFO: &[u8] = b"HKHC/conversion/v1/seal";
/// Bytes of the sealed header, which is also the AEAD's associated data.
pub const HEADER_LEN: usize = 4 + 1 + 1 + KeyId::LEN + 32;
/// The longest name written, in UTF-8 bytes (100 characters of up to 4 bytes).
pub const MAX_NAME_BYTES: usize = 400;
/// The longest text accepted, checked before decoding.
pub const MAX_TEXT_LEN: usize = 1024;
const TAG_LEN: usize = 16;
const SIGNATURE_LEN: usize = 64;

crate::named_enum! {
    /// Why a partner refuses a conversion payload: stable codes for tools.
    pub enum Refusal("conversion refusal") {
        /// Not a conversion payload, or not one this code can read.
        Malformed = "malformed",
        /// Sealed to another partner, or to another key of this partner.
        WrongPartnerKey = "wrong_partner_key",
        /// The sealed bytes were changed (the AEAD tag does not verify).
        Tampered = "tampered",
        /// Signed by a key the trust list does not hold.
        UnknownKey = "unknown_key",
        /// Signed by a key the trust list revoked, or outside its validity.
        KeyRevoked = "key_revoked",
        /// The issuer's signature does not verify.
        BadSignature = "bad_signature",
        /// The code converted is not green.
        NotGreen = "not_green",
        /// The code converted has expired.
        Expired = "expired",
        /// Made later than now: the device's clock is wrong, or the payload.
        NotYetValid = "not_yet_valid",
    }
}

/// A refused payload: the stable code and what exactly was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{refusal}: {detail}")]
pub struct ConversionError {
    /// The stable code.
    pub refusal: Refusal,
    /// What was found, for a person.
    pub detail: String,
}

fn refuse(refusal: Refusal, detail: impl Into<String>) -> ConversionError {
    ConversionError {
        refusal,
        detail: detail.into(),
    }
}

fn malformed(detail: impl Into<String>) -> ConversionError {
    refuse(Refusal::Malformed, detail)
}

/// What a partner needs to issue its own code, and nothing more: no
/// visits, no address, no identity hash. Field names follow the GB/T 38962
/// data elements (document type and number, name, health-code colour,
/// issuing region, issue and expiry times).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct ConversionRecord {
    /// Random id of this conversion, kept in the issuer's audit log.
    #[serde(serialize_with = "hex_id")]
    pub conversion_id: [u8; 16],
    /// The partner region the record is for.
    pub partner: Region,
    /// The region whose code was converted (Hong Kong).
    pub issuing_region: Region,
    /// The code's colour (only green is ever converted).
    pub colour: Colour,
    /// Document type, as this system writes it (`HKID`, `PASSPORT-GBR`).
    pub document_type: String,
    /// Document number, letters and digits only.
    pub document_number: String,
    /// The holder's name as registered.
    pub name: String,
    /// When the converted code was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When the converted code expires (23:59:59 Hong Kong time of its day).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When the conversion was made.
    #[serde(with = "time::serde::rfc3339")]
    pub converted_at: OffsetDateTime,
}

fn hex_id<S: serde::Serializer>(id: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::hex::encode(id))
}

impl fmt::Debug for ConversionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConversionRecord")
            .field("partner", &self.partner)
            .field("colour", &self.colour)
            .field("document_type", &self.document_type)
            .finish_non_exhaustive()
    }
}

fn short_field(
    out: &mut Vec<u8>,
    what: &str,
    text: &str,
    max: usize,
    ok: fn(u8) -> bool,
) -> Result<(), Error> {
    if text.is_empty() || text.len() > max || !text.bytes().all(ok) {
        return Err(Error::Conversion {
            problem: format!("{what} must be 1 to {max} characters of A-Z, 0-9 and '-'"),
        });
    }
    out.push(text.len() as u8);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

fn type_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'
}

fn number_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

impl ConversionRecord {
    /// The record's bytes, as signed.
    ///
    /// # Errors
    /// [`Error::Conversion`] for a field that does not fit its layout,
    /// [`Error::TimeOutOfRange`] for a time outside 1970 to 2106.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut out = vec![
            VERSION,
            self.partner.to_byte(),
            self.issuing_region.to_byte(),
            self.colour.to_byte(),
        ];
        out.extend_from_slice(&self.conversion_id);
        for at in [self.issued_at, self.expires_at, self.converted_at] {
            out.extend_from_slice(&to_u32_seconds(at)?.to_be_bytes());
        }
        short_field(
            &mut out,
            "document type",
            &self.document_type,
            16,
            type_byte,
        )?;
        short_field(
            &mut out,
            "document number",
            &self.document_number,
            20,
            number_byte,
        )?;
        let name = self.name.as_bytes();
        if name.is_empty() || name.len() > MAX_NAME_BYTES || self.name.chars().any(char::is_control)
        {
            return Err(Error::Conversion {
                problem: format!("name must be 1 to {MAX_NAME_BYTES} bytes of printable UTF-8"),
            });
        }
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name);
        Ok(out)
    }

    /// Parses the record's bytes: the one canonical layout, nothing after it.
    ///
    /// # Errors
    /// A [`Refusal::Malformed`] error naming the field.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ConversionError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(1, "version")?[0] != VERSION {
            return Err(malformed("unknown record version"));
        }
        let partner = r.region("partner region")?;
        let issuing_region = r.region("issuing region")?;
        let colour = Colour::from_byte(r.take(1, "colour")?[0])
            .map_err(|_| malformed("unknown colour byte"))?;
        let conversion_id = r.array::<16>("conversion id")?;
        let issued_at = r.time("issued_at")?;
        let expires_at = r.time("expires_at")?;
        let converted_at = r.time("converted_at")?;
        let document_type = r.short_text("document type", 16, type_byte)?;
        let document_number = r.short_text("document number", 20, number_byte)?;
        let len = u16::from_be_bytes(r.array::<2>("name length")?) as usize;
        if len == 0 || len > MAX_NAME_BYTES {
            return Err(malformed(format!("name of {len} bytes")));
        }
        let name = String::from_utf8(r.take(len, "name")?.to_vec())
            .map_err(|_| malformed("name is not UTF-8"))?;
        if name.chars().any(char::is_control) {
            return Err(malformed("name holds a control character"));
        }
        if r.at != bytes.len() {
            return Err(malformed(format!(
                "{} bytes after the record",
                bytes.len() - r.at
            )));
        }
        Ok(ConversionRecord {
            conversion_id,
            partner,
            issuing_region,
            colour,
            document_type,
            document_number,
            name,
            issued_at,
            expires_at,
            converted_at,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ConversionError> {
        let end = self.at.saturating_add(n);
        let part = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| malformed(format!("the record ends inside {what}")))?;
        self.at = end;
        Ok(part)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ConversionError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn region(&mut self, what: &str) -> Result<Region, ConversionError> {
        Region::from_byte(self.take(1, what)?[0]).map_err(|_| malformed(format!("unknown {what}")))
    }

    fn time(&mut self, what: &str) -> Result<OffsetDateTime, ConversionError> {
        Ok(from_u32_seconds(u32::from_be_bytes(self.array::<4>(what)?)))
    }

    fn short_text(
        &mut self,
        what: &str,
        max: usize,
        ok: fn(u8) -> bool,
    ) -> Result<String, ConversionError> {
        let len = self.take(1, what)?[0] as usize;
        let text = self.take(len, what)?;
        if len == 0 || len > max || !text.iter().all(|&b| ok(b)) {
            return Err(malformed(format!(
                "{what} is not 1 to {max} of its characters"
            )));
        }
        Ok(String::from_utf8_lossy(text).into_owned())
    }
}

/// The message the issuer signs: tag length, tag, key id, record.
pub fn signing_message(kid: KeyId, record: &[u8]) -> Vec<u8> {
    let mut message = vec![SIGNING_DOMAIN.len() as u8];
    message.extend_from_slice(SIGNING_DOMAIN);
    message.extend_from_slice(&kid.to_bytes());
    message.extend_from_slice(record);
    message
}

/// A partner region's X25519 key pair; the partner keeps it, the issuer
/// holds only [`PartnerPublicKey`].
pub struct PartnerSecretKey {
    region: Region,
    secret: StaticSecret,
}

impl fmt::Debug for PartnerSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PartnerSecretKey({}, {})",
            self.region,
            self.public().kid
        )
    }
}

/// A partner region's public X25519 key, as the issuer holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct PartnerPublicKey {
    /// The partner region.
    pub region: Region,
    /// `SHA-256("HKHC/partner-kid/v1" || region byte || key)`, first 4 bytes.
    pub kid: KeyId,
    /// The X25519 public key.
    pub public: [u8; 32],
}

impl fmt::Debug for PartnerPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartnerPublicKey({}, {})", self.region, self.kid)
    }
}

const PARTNER_SECRET: &str = "healthcode-partner-secret-key";
const PARTNER_PUBLIC: &str = "healthcode-partner-public-key";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnerFile {
    kind: String,
    region: Region,
    kid: KeyId,
    key: String,
}

fn partner_kid(region: Region, public: &[u8; 32]) -> KeyId {
    let digest = Sha256::new()
        .chain_update(b"HKHC/partner-kid/v1")
        .chain_update([region.to_byte()])
        .chain_update(public)
        .finalize();
    let mut id = [0u8; KeyId::LEN];
    id.copy_from_slice(&digest[..KeyId::LEN]);
    KeyId::from_bytes(id)
}

fn partner_region(region: Region) -> Result<Region, Error> {
    if region == Region::HongKong {
        return Err(Error::Conversion {
            problem: "a partner is GD or MO, not HK".to_owned(),
        });
    }
    Ok(region)
}

fn read_partner_file(text: &str, path: &Path, kind: &str) -> Result<PartnerFile, Error> {
    let file: PartnerFile = crate::json::parse(text, "partner key file")?;
    if file.kind != kind {
        return Err(Error::Conversion {
            problem: format!("{} is a {:?}, not a {kind:?}", path.display(), file.kind),
        });
    }
    partner_region(file.region)?;
    Ok(file)
}

fn kid_matches(file_kid: KeyId, key: &PartnerPublicKey) -> Result<(), Error> {
    if file_kid != key.kid {
        return Err(Error::Conversion {
            problem: format!("the file says key id {file_kid}, the key's is {}", key.kid),
        });
    }
    Ok(())
}

impl PartnerSecretKey {
    /// A new key pair for `region` (GD or MO).
    ///
    /// # Errors
    /// [`Error::Conversion`] for Hong Kong.
    pub fn generate<R: RngCore + CryptoRng>(region: Region, rng: &mut R) -> Result<Self, Error> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(region, *seed)
    }

    /// The key pair of a 32-byte seed (test vectors use fixed seeds).
    ///
    /// # Errors
    /// [`Error::Conversion`] for Hong Kong.
    pub fn from_seed(region: Region, seed: [u8; 32]) -> Result<Self, Error> {
        Ok(PartnerSecretKey {
            region: partner_region(region)?,
            secret: StaticSecret::from(seed),
        })
    }

    /// The partner region.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The public half, for the issuer.
    pub fn public(&self) -> PartnerPublicKey {
        PartnerPublicKey::new(self.region, X25519Public::from(&self.secret).to_bytes())
    }

    /// Writes `DIR/partner-<REGION>-<kid>.secret` (0600) and `.public`;
    /// returns both paths.
    ///
    /// # Errors
    /// [`Error::FileExists`] or [`Error::Io`].
    pub fn write(&self, dir: &Path) -> Result<[std::path::PathBuf; 2], Error> {
        let public = self.public();
        let stem = format!("partner-{}-{}", self.region, public.kid);
        let secret = PartnerFile {
            kind: PARTNER_SECRET.into(),
            region: self.region,
            kid: public.kid,
            key: b64::encode(self.secret.as_bytes()),
        };
        let secret_path = dir.join(format!("{stem}.secret"));
        let text = Zeroizing::new(crate::json::to_pretty(&secret));
        write_secret(&secret_path, text.as_bytes())?;
        let public_path = dir.join(format!("{stem}.public"));
        write_public(&public_path, public.to_json().as_bytes())?;
        Ok([secret_path, public_path])
    }

    /// Reads a `.secret` file (mode 0600).
    ///
    /// # Errors
    /// File, permission and format errors, each naming the problem.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = read_secret(path)?;
        let file = read_partner_file(&text, path, PARTNER_SECRET)?;
        let seed = Zeroizing::new(b64::decode_array::<32>(&file.key, "partner secret key")?);
        let key = Self::from_seed(file.region, *seed)?;
        kid_matches(file.kid, &key.public())?;
        Ok(key)
    }
}

impl PartnerPublicKey {
    /// The public key of `region` with its derived key id.
    pub fn new(region: Region, public: [u8; 32]) -> Self {
        PartnerPublicKey {
            region,
            kid: partner_kid(region, &public),
            public,
        }
    }

    /// The `.public` file's text.
    pub fn to_json(&self) -> String {
        crate::json::to_pretty(&PartnerFile {
            kind: PARTNER_PUBLIC.into(),
            region: self.region,
            kid: self.kid,
            key: b64::encode(&self.public),
        })
    }

    /// Reads a `.public` file.
    ///
    /// # Errors
    /// File and format errors, or a key id that does not match the key.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let file = read_partner_file(&read_public(path)?, path, PARTNER_PUBLIC)?;
        let key = PartnerPublicKey::new(
            file.region,
            b64::decode_array::<32>(&file.key, "partner public key")?,
        );
        kid_matches(file.kid, &key)?;
        Ok(key)
    }
}

fn header(partner: &PartnerPublicKey, ephemeral: &[u8; 32]) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..4].copy_from_slice(MAGIC);
    out[4] = VERSION;
    out[5] = partner.region.to_byte();
    out[6..10].copy_from_slice(&partner.kid.to_bytes());
    out[10..].copy_from_slice(ephemeral);
    out
}

/// The AEAD key and nonce: HKDF-SHA256 with the ephemeral and the
/// partner's public keys as salt, expanded to 32 + 12 bytes.
fn seal_key(shared: &[u8; 32], ephemeral: &[u8; 32], partner: &[u8; 32]) -> Zeroizing<[u8; 44]> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral);
    salt[32..].copy_from_slice(partner);
    let mut okm = Zeroizing::new([0u8; 44]);
    // 44 bytes is far below HKDF-SHA256's limit of 8160, so expand cannot fail.
    let _ = Hkdf::<Sha256>::new(Some(&salt), shared).expand(SEAL_INFO, okm.as_mut());
    okm
}

fn cipher(okm: &[u8; 44]) -> (ChaCha20Poly1305, chacha20poly1305::Nonce) {
    let key = chacha20poly1305::Key::from_slice(&okm[..32]);
    (
        ChaCha20Poly1305::new(key),
        *chacha20poly1305::Nonce::from_slice(&okm[32..]),
    )
}

/// Signs `record` with the conversion key and seals it to `partner`,
/// with the ephemeral X25519 secret `ephemeral` (fresh random bytes; test
/// vectors fix it). Returns the text form, `HKCV1:` + base64url.
///
/// # Errors
/// A record that is not green, does not fit its layout, or is for another
/// partner than `partner`.
pub fn seal_with(
    key: &IssuerSecretKey,
    record: &ConversionRecord,
    partner: &PartnerPublicKey,
    ephemeral: [u8; 32],
) -> Result<String, Error> {
    if record.colour != Colour::Green {
        return Err(Error::Conversion {
            problem: format!("a {} code is never converted", record.colour),
        });
    }
    insecure_seal_any_colour(key, record, partner, ephemeral)
}

/// [`seal_with`] without the colour check: only for test vectors that
/// show a partner refusing an amber or red record.
///
/// # Errors
/// As [`seal_with`], but for the colour.
pub fn insecure_seal_any_colour(
    key: &IssuerSecretKey,
    record: &ConversionRecord,
    partner: &PartnerPublicKey,
    ephemeral: [u8; 32],
) -> Result<String, Error> {
    if record.partner != partner.region {
        return Err(Error::Conversion {
            problem: format!(
                "a record for {} sealed to {}",
                record.partner, partner.region
            ),
        });
    }
    let record_bytes = record.to_bytes()?;
    let signature = key
        .secret()
        .sign(&signing_message(key.kid(), &record_bytes));
    let mut plain = Zeroizing::new(key.kid().to_bytes().to_vec());
    plain.extend_from_slice(&record_bytes);
    plain.extend_from_slice(&signature);
    seal_plain(&plain, partner, ephemeral)
}

/// Seals `plain` (key id, record, signature) to `partner`.
fn seal_plain(
    plain: &[u8],
    partner: &PartnerPublicKey,
    ephemeral: [u8; 32],
) -> Result<String, Error> {
    let ephemeral = StaticSecret::from(ephemeral);
    let ephemeral_public = X25519Public::from(&ephemeral).to_bytes();
    let shared = ephemeral.diffie_hellman(&X25519Public::from(partner.public));
    let head = header(partner, &ephemeral_public);
    let (aead, nonce) = cipher(&seal_key(
        shared.as_bytes(),
        &ephemeral_public,
        &partner.public,
    ));
    let sealed = aead
        .encrypt(
            &nonce,
            Payload {
                msg: plain,
                aad: &head,
            },
        )
        .map_err(|_| Error::Conversion {
            problem: "the payload could not be sealed".to_owned(),
        })?;
    let mut out = head.to_vec();
    out.extend_from_slice(&sealed);
    Ok(format!("{TEXT_PREFIX}{}", b64::encode(&out)))
}

/// [`seal_with`] with a fresh ephemeral key from `rng`.
///
/// # Errors
/// As [`seal_with`].
pub fn seal<R: RngCore + CryptoRng>(
    key: &IssuerSecretKey,
    record: &ConversionRecord,
    partner: &PartnerPublicKey,
    rng: &mut R,
) -> Result<String, Error> {
    let mut ephemeral = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(ephemeral.as_mut());
    seal_with(key, record, partner, *ephemeral)
}

fn unseal(text: &str, partner: &PartnerSecretKey) -> Result<Zeroizing<Vec<u8>>, ConversionError> {
    let body = text
        .trim()
        .strip_prefix(TEXT_PREFIX)
        .ok_or_else(|| malformed(format!("a conversion payload starts with {TEXT_PREFIX:?}")))?;
    if text.len() > MAX_TEXT_LEN {
        return Err(malformed(format!(
            "{} characters; no payload is longer than {MAX_TEXT_LEN}",
            text.len()
        )));
    }
    let bytes = b64::decode(body).map_err(|e| malformed(format!("not base64url: {e}")))?;
    if bytes.len() < HEADER_LEN + TAG_LEN {
        return Err(malformed(format!("only {} bytes", bytes.len())));
    }
    let (head, sealed) = bytes.split_at(HEADER_LEN);
    if &head[..4] != MAGIC || head[4] != VERSION {
        return Err(malformed("unknown magic or version"));
    }
    let ours = partner.public();
    let (region, kid) = (head[5], &head[6..10]);
    if region != ours.region.to_byte() || kid != ours.kid.to_bytes() {
        let to = Region::from_byte(region)
            .map_or_else(|_| format!("region {region}"), |r| r.to_string());
        return Err(refuse(
            Refusal::WrongPartnerKey,
            format!(
                "sealed to {to} key {}, this is {} key {}",
                crate::hex::encode(kid),
                ours.region,
                ours.kid
            ),
        ));
    }
    let mut ephemeral = [0u8; 32];
    ephemeral.copy_from_slice(&head[10..]);
    let shared = partner
        .secret
        .diffie_hellman(&X25519Public::from(ephemeral));
    if !shared.was_contributory() {
        return Err(refuse(
            Refusal::Tampered,
            "the ephemeral key is a low-order point",
        ));
    }
    let (aead, nonce) = cipher(&seal_key(shared.as_bytes(), &ephemeral, &ours.public));
    aead.decrypt(
        &nonce,
        Payload {
            msg: sealed,
            aad: head,
        },
    )
    .map(Zeroizing::new)
    .map_err(|_| refuse(Refusal::Tampered, "the sealed bytes do not authenticate"))
}

/// Opens a payload as the partner: unseals it with `partner`'s key, checks
/// the issuer's signature under `trust` (`verify_strict`), then that the
/// code is green, for this partner, made by `now` and not expired at `now`.
///
/// # Errors
/// A [`ConversionError`] whose [`Refusal`] names the first check failed.
pub fn open(
    text: &str,
    partner: &PartnerSecretKey,
    trust: &TrustList,
    now: OffsetDateTime,
) -> Result<ConversionRecord, ConversionError> {
    let plain = unseal(text, partner)?;
    if plain.len() < KeyId::LEN + SIGNATURE_LEN {
        return Err(malformed("the sealed content is too short"));
    }
    let (kid, rest) = plain.split_at(KeyId::LEN);
    let (record_bytes, signature) = rest.split_at(rest.len() - SIGNATURE_LEN);
    let kid = KeyId::from_bytes([kid[0], kid[1], kid[2], kid[3]]);
    let record = ConversionRecord::from_bytes(record_bytes)?;
    let entry = trust.key(record.issuing_region, kid).ok_or_else(|| {
        refuse(
            Refusal::UnknownKey,
            format!("no trusted {} key with id {kid}", record.issuing_region),
        )
    })?;
    let mut sig = [0u8; SIGNATURE_LEN];
    sig.copy_from_slice(signature);
    entry
        .public_key()
        .verify_strict(&signing_message(kid, record_bytes), &sig)
        .map_err(|_| {
            refuse(
                Refusal::BadSignature,
                "the issuer's signature does not verify",
            )
        })?;
    entry
        .check_usable_at(kid, record.converted_at)
        .map_err(|e| refuse(Refusal::KeyRevoked, e.to_string()))?;
    check_record(&record, partner.region(), now)?;
    Ok(record)
}

fn check_record(
    record: &ConversionRecord,
    partner: Region,
    now: OffsetDateTime,
) -> Result<(), ConversionError> {
    if record.partner != partner {
        return Err(refuse(
            Refusal::WrongPartnerKey,
            format!("the signed record is for {}", record.partner),
        ));
    }
    if record.colour != Colour::Green {
        return Err(refuse(
            Refusal::NotGreen,
            format!("the code is {}; only a green code converts", record.colour),
        ));
    }
    if record.converted_at > now + CLOCK_SKEW {
        return Err(refuse(
            Refusal::NotYetValid,
            format!(
                "made at {}, after now: check the device's clock",
                crate::hktime::format_hk(record.converted_at)
            ),
        ));
    }
    if now > record.expires_at {
        return Err(refuse(
            Refusal::Expired,
            format!(
                "the code expired at {}",
                crate::hktime::format_hk(record.expires_at)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::{Duration, macros::datetime};

    use super::*;
    use crate::{KeyStatus, testkeys};

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    fn record(partner: Region, colour: Colour) -> ConversionRecord {
        ConversionRecord {
            conversion_id: [7; 16],
            partner,
            issuing_region: Region::HongKong,
            colour,
            document_type: "HKID".to_owned(),
            document_number: "A1234563".to_owned(),
            name: "陳大文 CHAN Tai Man".to_owned(),
            issued_at: NOW - Duration::hours(1),
            expires_at: datetime!(2022-12-10 15:59:59 UTC),
            converted_at: NOW,
        }
    }

    struct Setup {
        key: IssuerSecretKey,
        gd: PartnerSecretKey,
        trust: TrustList,
    }

    fn setup(status: KeyStatus) -> Setup {
        let key = testkeys::issuer(Region::HongKong, "conversion");
        let root = testkeys::root();
        let trust = testkeys::trust_list(1, NOW, &[(&key, status)])
            .verify(&root.public(), NOW)
            .unwrap_or_else(|e| panic!("{e}"));
        let gd = PartnerSecretKey::from_seed(Region::Guangdong, [1; 32])
            .unwrap_or_else(|e| panic!("{e}"));
        Setup { key, gd, trust }
    }

    fn sealed(s: &Setup, record: &ConversionRecord) -> String {
        insecure_seal_any_colour(&s.key, record, &s.gd.public(), [9; 32])
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn refusal(result: Result<ConversionRecord, ConversionError>) -> Refusal {
        result
            .err()
            .map_or_else(|| panic!("accepted"), |e| e.refusal)
    }

    #[test]
    fn a_green_record_opens_for_its_partner_only() {
        let s = setup(KeyStatus::Active);
        let good = record(Region::Guangdong, Colour::Green);
        let text =
            seal_with(&s.key, &good, &s.gd.public(), [9; 32]).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            text.starts_with(TEXT_PREFIX) && text.len() < 400,
            "{} chars",
            text.len()
        );
        let opened = open(&text, &s.gd, &s.trust, NOW).unwrap_or_else(|e| panic!("{e}"));
        assert!(opened == good);
        // The same ephemeral key gives the same bytes: the vectors rest on it.
        assert_eq!(text, sealed(&s, &good));

        let mo =
            PartnerSecretKey::from_seed(Region::Macao, [1; 32]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            refusal(open(&text, &mo, &s.trust, NOW)),
            Refusal::WrongPartnerKey
        );
        let other_gd = PartnerSecretKey::from_seed(Region::Guangdong, [2; 32])
            .unwrap_or_else(|e| panic!("{e}"));
        let refused = open(&text, &other_gd, &s.trust, NOW).err();
        assert!(refused.is_some_and(
            |e| e.refusal == Refusal::WrongPartnerKey && e.detail.contains("sealed to GD key")
        ));
        assert!(PartnerSecretKey::from_seed(Region::HongKong, [1; 32]).is_err());
    }

    #[test]
    fn every_refusal_is_named() {
        let s = setup(KeyStatus::Active);
        let text = sealed(&s, &record(Region::Guangdong, Colour::Green));
        let at = |now| refusal(open(&text, &s.gd, &s.trust, now));
        assert_eq!(at(datetime!(2022-12-10 16:00 UTC)), Refusal::Expired);
        assert!(open(&text, &s.gd, &s.trust, datetime!(2022-12-10 15:59:59 UTC)).is_ok());
        assert_eq!(at(NOW - Duration::minutes(10)), Refusal::NotYetValid);
        assert_eq!(
            refusal(open(
                &sealed(&s, &record(Region::Guangdong, Colour::Amber)),
                &s.gd,
                &s.trust,
                NOW
            )),
            Refusal::NotGreen
        );
        assert!(
            seal_with(
                &s.key,
                &record(Region::Guangdong, Colour::Red),
                &s.gd.public(),
                [9; 32]
            )
            .is_err()
        );
        assert!(
            seal_with(
                &s.key,
                &record(Region::Macao, Colour::Green),
                &s.gd.public(),
                [9; 32]
            )
            .is_err()
        );

        // Every byte after the header is covered by the tag; the header is its associated data.
        let bytes = b64::decode(&text[TEXT_PREFIX.len()..]).unwrap_or_default();
        for at in [10, HEADER_LEN, HEADER_LEN + 40, bytes.len() - 1] {
            let mut changed = bytes.clone();
            changed[at] ^= 1;
            let changed = format!("{TEXT_PREFIX}{}", b64::encode(&changed));
            assert_eq!(
                refusal(open(&changed, &s.gd, &s.trust, NOW)),
                Refusal::Tampered,
                "byte {at}"
            );
        }
        for bad in [
            "",
            "HC1:abc",
            "HKCV1:!!",
            "HKCV1:AAAA",
            &"HKCV1:A".repeat(400),
        ] {
            assert_eq!(
                refusal(open(bad, &s.gd, &s.trust, NOW)),
                Refusal::Malformed,
                "{bad:.20}"
            );
        }

        let revoked = setup(KeyStatus::Revoked);
        assert_eq!(
            refusal(open(&text, &s.gd, &revoked.trust, NOW)),
            Refusal::KeyRevoked
        );
        let stranger = Setup {
            key: testkeys::issuer(Region::HongKong, "stranger"),
            ..setup(KeyStatus::Active)
        };
        let text = sealed(&stranger, &record(Region::Guangdong, Colour::Green));
        assert_eq!(
            refusal(open(&text, &s.gd, &s.trust, NOW)),
            Refusal::UnknownKey
        );
    }

    #[test]
    fn a_signature_by_another_key_under_a_listed_id_is_refused() {
        let s = setup(KeyStatus::Active);
        let record_bytes = record(Region::Guangdong, Colour::Green)
            .to_bytes()
            .unwrap_or_default();
        let forger = testkeys::issuer(Region::HongKong, "forger");
        let mut plain = s.key.kid().to_bytes().to_vec();
        plain.extend_from_slice(&record_bytes);
        plain.extend_from_slice(
            &forger
                .secret()
                .sign(&signing_message(s.key.kid(), &record_bytes)),
        );
        let text = seal_plain(&plain, &s.gd.public(), [9; 32]).unwrap_or_default();
        assert_eq!(
            refusal(open(&text, &s.gd, &s.trust, NOW)),
            Refusal::BadSignature
        );
        let mut trailing = s.key.kid().to_bytes().to_vec();
        trailing.extend_from_slice(&record_bytes);
        trailing.push(0);
        trailing.extend_from_slice(&[0; 64]);
        let text = seal_plain(&trailing, &s.gd.public(), [9; 32]).unwrap_or_default();
        assert_eq!(
            refusal(open(&text, &s.gd, &s.trust, NOW)),
            Refusal::Malformed
        );
    }

    #[test]
    fn records_refuse_what_their_layout_cannot_hold() {
        let mut r = record(Region::Guangdong, Colour::Green);
        let bytes = r.to_bytes().unwrap_or_default();
        assert!(ConversionRecord::from_bytes(&bytes).is_ok_and(|back| back == r));
        for cut in 0..bytes.len() {
            assert!(
                ConversionRecord::from_bytes(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        r.document_number = "a1234563".to_owned();
        assert!(r.to_bytes().is_err());
        r.document_number = "A1234563".to_owned();
        r.name = "x".repeat(MAX_NAME_BYTES + 1);
        assert!(r.to_bytes().is_err());
        r.name = "line\nbreak".to_owned();
        assert!(r.to_bytes().is_err());
    }

    #[test]
    fn partner_key_files_round_trip_and_are_checked() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let key =
            PartnerSecretKey::from_seed(Region::Macao, [3; 32]).unwrap_or_else(|e| panic!("{e}"));
        let [secret, public] = key.write(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            PartnerSecretKey::read(&secret).map(|k| k.public()).ok(),
            Some(key.public())
        );
        assert_eq!(PartnerPublicKey::read(&public).ok(), Some(key.public()));
        assert!(
            PartnerPublicKey::read(&secret).is_err(),
            "a secret file is not a public key"
        );
        let text = std::fs::read_to_string(&public)
            .unwrap_or_default()
            .replace("\"MO\"", "\"GD\"");
        std::fs::write(&public, text).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            PartnerPublicKey::read(&public)
                .err()
                .is_some_and(|e| e.to_string().contains("key id"))
        );
    }

    /// The payload of the vector file's worked example, made again here from
    /// the same TEST-ONLY seeds: the format is pinned, not only self-consistent.
    #[test]
    fn the_worked_example_of_the_vectors_is_made_and_opened_byte_for_byte() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/conversion/gd.json"))
                .unwrap_or_default();
        let example = &file["worked_example"];
        let key = testkeys::issuer(Region::HongKong, "conversion");
        let gd = PartnerSecretKey::from_seed(Region::Guangdong, testkeys::seed("partner/GD"))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut r = record(Region::Guangdong, Colour::Green);
        r.conversion_id
            .copy_from_slice(&testkeys::seed("conversion/valid/id")[..16]);
        r.issued_at = datetime!(2022-12-10 01:00 UTC);
        r.converted_at = datetime!(2022-12-10 01:05 UTC);
        let record_bytes = r.to_bytes().unwrap_or_default();
        assert_eq!(example["record"], crate::hex::encode(&record_bytes));
        assert_eq!(
            example["signing_message"],
            crate::hex::encode(&signing_message(key.kid(), &record_bytes))
        );
        let ephemeral = testkeys::seed("conversion/valid/ephemeral");
        let payload = seal_with(&key, &r, &gd.public(), ephemeral).unwrap_or_default();
        assert_eq!(example["payload"], payload.as_str());
        let trust = testkeys::trust_list(1, NOW - Duration::days(1), &[(&key, KeyStatus::Active)])
            .verify(&testkeys::root().public(), NOW)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(open(&payload, &gd, &trust, NOW).is_ok_and(|opened| opened == r));
        // A fresh ephemeral key from a generator seals to the same record.
        let fresh = seal(&key, &r, &gd.public(), &mut rand::rngs::OsRng).unwrap_or_default();
        assert_ne!(fresh, payload);
        assert!(open(&fresh, &gd, &trust, NOW).is_ok_and(|opened| opened == r));
    }

    #[test]
    fn every_field_is_held_to_its_length_and_characters() {
        let fits = |f: &dyn Fn(&mut ConversionRecord)| {
            let mut r = record(Region::Guangdong, Colour::Green);
            f(&mut r);
            r.to_bytes().is_ok()
        };
        assert!(fits(&|r| r.document_type = "PASSPORT-GBR".into()));
        assert!(fits(&|r| r.document_type = "A".repeat(16)));
        assert!(!fits(&|r| r.document_type = "A".repeat(17)));
        assert!(!fits(&|r| r.document_type = String::new()));
        assert!(!fits(&|r| r.document_type = "hkid".into()));
        assert!(fits(&|r| r.document_number = "9".repeat(20)));
        assert!(!fits(&|r| r.document_number = "9".repeat(21)));
        assert!(!fits(&|r| r.document_number = "A-1".into()));
        assert!(fits(&|r| r.name = "x".repeat(MAX_NAME_BYTES)));
        assert!(!fits(&|r| r.name = String::new()));

        // The reader holds the same limits on bytes it is given.
        let good = record(Region::Guangdong, Colour::Green)
            .to_bytes()
            .unwrap_or_default();
        let with = |at: usize, replace: usize, insert: &[u8]| {
            let mut bytes = good.clone();
            bytes.splice(at..at + replace, insert.iter().copied());
            ConversionRecord::from_bytes(&bytes).err().map(|e| e.detail)
        };
        // Offset 32: the type's length and text ("HKID", 4 bytes).
        assert!(with(32, 5, &[0]).is_some_and(|d| d.contains("document type")));
        let long_type = [&[17u8][..], &[b'A'; 17]].concat();
        assert!(with(32, 5, &long_type).is_some_and(|d| d.contains("document type")));
        let sixteen = [&[16u8][..], &[b'A'; 16]].concat();
        assert_eq!(with(32, 5, &sixteen), None);
        assert!(
            with(32, 5, &[4, b'h', b'k', b'i', b'd']).is_some_and(|d| d.contains("document type"))
        );
        // Offset 37: the number's length and text ("A1234563", 8 bytes).
        let long_number = [&[21u8][..], &[b'9'; 21]].concat();
        assert!(with(37, 9, &long_number).is_some_and(|d| d.contains("document number")));
        assert!(with(37, 9, &[0]).is_some_and(|d| d.contains("document number")));
        // Offset 46: the name's length and text.
        let name_at = 46;
        assert!(
            with(name_at, good.len() - name_at, &[0, 0]).is_some_and(|d| d.contains("name of 0"))
        );
        let longest = [&400u16.to_be_bytes()[..], &[b'x'; 400]].concat();
        assert_eq!(with(name_at, good.len() - name_at, &longest), None);
        let too_long = [&401u16.to_be_bytes()[..], &[b'x'; 401]].concat();
        assert!(
            with(name_at, good.len() - name_at, &too_long)
                .is_some_and(|d| d.contains("name of 401"))
        );
    }

    #[test]
    fn the_payload_size_limits_are_exact_and_never_panic() {
        let s = setup(KeyStatus::Active);
        let detail = |text: &str| {
            open(text, &s.gd, &s.trust, NOW)
                .err()
                .map(|e| (e.refusal, e.detail))
        };
        let at_limit = format!(
            "{TEXT_PREFIX}{}",
            "A".repeat(MAX_TEXT_LEN - TEXT_PREFIX.len())
        );
        assert!(detail(&at_limit).is_some_and(|(_, d)| !d.contains("no payload is longer")));
        let over = format!("{at_limit}A");
        assert!(detail(&over).is_some_and(|(_, d)| d.contains("no payload is longer")));
        // A header and an empty tag's worth: past the length check, refused by the tag.
        let head = header(&s.gd.public(), &[9; 32]);
        let shortest = [&head[..], &[0; TAG_LEN]].concat();
        let shortest = format!("{TEXT_PREFIX}{}", b64::encode(&shortest));
        assert_eq!(detail(&shortest).map(|(r, _)| r), Some(Refusal::Tampered));
        let one_less = format!(
            "{TEXT_PREFIX}{}",
            b64::encode(&[&head[..], &[0; TAG_LEN - 1]].concat())
        );
        assert_eq!(detail(&one_less).map(|(r, _)| r), Some(Refusal::Malformed));
        for len in [0, 1, 30, HEADER_LEN] {
            let short = format!("{TEXT_PREFIX}{}", b64::encode(&head[..len.min(HEADER_LEN)]));
            assert_eq!(
                detail(&short).map(|(r, _)| r),
                Some(Refusal::Malformed),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn debug_output_names_keys_and_never_the_person() {
        let r = record(Region::Guangdong, Colour::Green);
        let shown = format!("{r:?}");
        assert!(
            shown.contains("Guangdong") && shown.contains("HKID"),
            "{shown}"
        );
        assert!(
            !shown.contains("A1234563") && !shown.contains("CHAN"),
            "{shown}"
        );
        let gd = PartnerSecretKey::from_seed(Region::Guangdong, [1; 32])
            .unwrap_or_else(|e| panic!("{e}"));
        let kid = gd.public().kid.to_string();
        assert_eq!(format!("{gd:?}"), format!("PartnerSecretKey(GD, {kid})"));
        assert_eq!(
            format!("{:?}", gd.public()),
            format!("PartnerPublicKey(GD, {kid})")
        );
    }

    #[test]
    fn an_unknown_magic_or_version_and_a_short_sealed_content_are_malformed() {
        let s = setup(KeyStatus::Active);
        let text = sealed(&s, &record(Region::Guangdong, Colour::Green));
        let bytes = b64::decode(&text[TEXT_PREFIX.len()..]).unwrap_or_default();
        for (at, value) in [(0, b'X'), (4, 2)] {
            let mut changed = bytes.clone();
            changed[at] = value;
            let changed = format!("{TEXT_PREFIX}{}", b64::encode(&changed));
            let refused = open(&changed, &s.gd, &s.trust, NOW).err();
            assert!(
                refused
                    .is_some_and(|e| e.refusal == Refusal::Malformed && e.detail.contains("magic")),
                "byte {at}"
            );
        }
        // Sealed properly, but too short to hold a key id and a signature.
        for len in [0, 3, KeyId::LEN + SIGNATURE_LEN - 1] {
            let short = seal_plain(&vec![1; len], &s.gd.public(), [9; 32]).unwrap_or_default();
            let refused = open(&short, &s.gd, &s.trust, NOW).err();
            assert!(
                refused.is_some_and(|e| e.detail.contains("too short")),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn five_minutes_of_clock_skew_are_allowed_and_not_a_second_more() {
        let s = setup(KeyStatus::Active);
        let text = sealed(&s, &record(Region::Guangdong, Colour::Green));
        let skewed = NOW - CLOCK_SKEW;
        assert!(open(&text, &s.gd, &s.trust, skewed).is_ok());
        let early = open(&text, &s.gd, &s.trust, skewed - Duration::seconds(1)).err();
        assert_eq!(early.map(|e| e.refusal), Some(Refusal::NotYetValid));
    }

    proptest::proptest! {
        /// Any text, and any sealed bytes under the right prefix and header,
        /// is refused without a panic: nothing but the issuer's seal opens.
        #[test]
        fn hostile_payloads_are_refused_never_accepted(text in ".{0,300}", body in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let s = setup(KeyStatus::Active);
            proptest::prop_assert!(open(&text, &s.gd, &s.trust, NOW).is_err());
            let mut bytes = header(&s.gd.public(), &[9; 32]).to_vec();
            bytes.extend_from_slice(&body);
            let sealed = format!("{TEXT_PREFIX}{}", b64::encode(&bytes));
            proptest::prop_assert!(open(&sealed, &s.gd, &s.trust, NOW).is_err());
        }

        /// Whatever record parses writes back as the same bytes: one canonical form.
        #[test]
        fn a_record_that_parses_round_trips(at in 0usize..80, value in proptest::num::u8::ANY, cut in 0usize..4) {
            // A valid record with one byte changed and up to 3 bytes cut or added.
            let mut bytes = record(Region::Guangdong, Colour::Green).to_bytes().unwrap_or_default();
            let at = at % bytes.len();
            bytes[at] = value;
            match cut {
                1..=2 => bytes.truncate(bytes.len() - cut),
                3 => bytes.push(value),
                _ => {}
            }
            if let Ok(record) = ConversionRecord::from_bytes(&bytes) {
                proptest::prop_assert_eq!(record.to_bytes().ok(), Some(bytes));
            }
        }
    }
}
