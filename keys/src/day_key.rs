//! Identity binding version 2: keys per Hong Kong day and a deliberately slow
//! binding, so that a stolen checkpoint key does not give away who holds a code.
//!
//! Version 1 binds with one HMAC key that every checkpoint holds for ever:
//! whoever takes it from one device recovers the HKID behind any QR screenshot
//! by trying every number (about 7 × 10^8, one HMAC each: minutes). Version 2
//! multiplies that work three ways, while one check at the checkpoint, where
//! the officer reads the document from the card, stays one evaluation:
//! - it binds the card's date of issue as well as its number, so each number
//!   must be tried with every date a card may carry;
//! - each try costs one Argon2id evaluation ([`ARGON2_MEMORY_KIB`] of memory),
//!   not one HMAC;
//! - the key of each Hong Kong day is derived from a master key that only the
//!   issuer holds, so a checkpoint is given the days it works and a stolen one
//!   exposes those days' codes, never the others.

use std::{collections::BTreeMap, fmt, path::Path};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use hmac::{Hmac, Mac};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::Date;
use zeroize::Zeroizing;

use crate::{
    Error, IdDocument, IdentityBinding, TokenId, b64,
    files::{read_secret, write_secret},
    hktime::{format_date, parse_date},
    keyfile::{check_kind, read_key32, write_key32},
};

/// Memory of one binding evaluation, in KiB (16 MiB): sized so one check
/// costs about 8 ms on one core of a 2-core server, under the checkpoint's
/// 20 ms budget with room for slower devices (see `docs/benchmarks.md`).
pub const ARGON2_MEMORY_KIB: u32 = 16 * 1024;
/// Passes over that memory.
pub const ARGON2_PASSES: u32 = 1;
/// Domain of the day-key derivation.
const DAY_DOMAIN: &[u8] = b"HKHC/identity-day/v2";
/// Domain of the binding's input.
const BINDING_DOMAIN: &[u8] = b"HKHC/identity/v2";
/// The most days one day-key file may hold: a checkpoint is given weeks, not years.
pub const MAX_DAYS_IN_FILE: usize = 62;

/// The issuer's master identity key: every day key derives from it. It never
/// leaves the issuer. Zeroised on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct IdentityMasterKey(Zeroizing<[u8; 32]>);

impl IdentityMasterKey {
    /// A new random key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        IdentityMasterKey(key)
    }

    /// The key from its bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        IdentityMasterKey(Zeroizing::new(*bytes))
    }

    /// The key's bytes, in a buffer zeroised on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.0.clone()
    }

    /// The key of Hong Kong day `day`:
    /// `HMAC-SHA256(master, "HKHC/identity-day/v2" || "YYYY-MM-DD")`.
    pub fn day_key(&self, day: Date) -> DayIdentityKey {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(DAY_DOMAIN);
        mac.update(format_date(day).as_bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        DayIdentityKey { day, key }
    }

    /// The keys of `days` days from `first`, as a checkpoint is given them.
    ///
    /// # Errors
    /// [`Error::DayKeys`] for no days, more than [`MAX_DAYS_IN_FILE`], or
    /// days past the calendar's end.
    pub fn day_keys(&self, first: Date, days: usize) -> Result<DayKeys, Error> {
        let keys = (0..days)
            .map(|n| {
                first
                    .checked_add(time::Duration::days(n as i64))
                    .map(|day| self.day_key(day))
                    .ok_or_else(|| day_keys_problem("a day past the end of the calendar"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        DayKeys::new(keys)
    }
}

impl fmt::Debug for IdentityMasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityMasterKey(<redacted>)")
    }
}

/// The identity key of one Hong Kong day. Zeroised on drop; `Debug` shows
/// the day only.
#[derive(Clone)]
pub struct DayIdentityKey {
    day: Date,
    key: Zeroizing<[u8; 32]>,
}

impl DayIdentityKey {
    /// The Hong Kong day whose codes this key binds.
    pub fn day(&self) -> Date {
        self.day
    }

    /// The binding of the holder of `document`, issued on `date_of_issue`,
    /// to the token `token_id`: the first 16 bytes of Argon2id (version 0x13,
    /// [`ARGON2_MEMORY_KIB`] KiB, [`ARGON2_PASSES`] pass, 1 lane) with
    /// - secret: this day key,
    /// - salt: the 12-byte token id,
    /// - password: `"HKHC/identity/v2" || len(document) (1 byte) ||
    ///   normalised document || date of issue as "YYYY-MM-DD"`.
    pub fn bind(
        &self,
        token_id: &TokenId,
        document: &IdDocument,
        date_of_issue: Date,
    ) -> IdentityBinding {
        self.bind_in(&mut BindingMemory::new(), token_id, document, date_of_issue)
    }

    /// [`DayIdentityKey::bind`], working in `memory` rather than in memory
    /// of its own: a thread that binds over and over (the issuer's binders)
    /// keeps one, and pays no page faults for 16 MiB at each binding.
    pub fn bind_in(
        &self,
        memory: &mut BindingMemory,
        token_id: &TokenId,
        document: &IdDocument,
        date_of_issue: Date,
    ) -> IdentityBinding {
        let normalised = document.normalised().as_bytes();
        let mut password = Zeroizing::new(Vec::with_capacity(
            BINDING_DOMAIN.len() + 1 + normalised.len() + 10,
        ));
        password.extend_from_slice(BINDING_DOMAIN);
        // A normalised document is at most 64 bytes (checked when it was parsed).
        password.push(normalised.len() as u8);
        password.extend_from_slice(normalised);
        password.extend_from_slice(format_date(date_of_issue).as_bytes());
        let mut binding = [0u8; IdentityBinding::LEN];
        argon2(self.key.as_ref())
            .hash_password_into_with_memory(
                &password,
                &token_id.to_bytes(),
                &mut binding,
                &mut memory.0,
            )
            .unwrap_or_else(|e| unreachable!("fixed Argon2 inputs are in range: {e}"));
        IdentityBinding::from_bytes(binding)
    }
}

/// The working memory of one binding ([`ARGON2_MEMORY_KIB`]), to be used
/// again by [`DayIdentityKey::bind_in`]. Every binding overwrites all of it
/// before reading it, so what an earlier binding left there changes nothing.
pub struct BindingMemory(Vec<Block>);

impl BindingMemory {
    /// Memory for one binding, zeroed.
    pub fn new() -> Self {
        BindingMemory(vec![Block::default(); ARGON2_MEMORY_KIB as usize])
    }
}

impl Default for BindingMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for BindingMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BindingMemory({} KiB)", self.0.len())
    }
}

/// The one Argon2id instance of the binding, keyed by `secret`.
fn argon2(secret: &[u8]) -> Argon2<'_> {
    let params = Params::new(
        ARGON2_MEMORY_KIB,
        ARGON2_PASSES,
        1,
        Some(IdentityBinding::LEN),
    )
    .unwrap_or_else(|e| unreachable!("fixed Argon2 parameters are valid: {e}"));
    Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, params)
        .unwrap_or_else(|e| unreachable!("a 32-byte secret is valid: {e}"))
}

impl fmt::Debug for DayIdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DayIdentityKey({}, <redacted>)", format_date(self.day))
    }
}

/// The day keys a checkpoint holds, one per Hong Kong day.
#[derive(Clone, Debug)]
pub struct DayKeys {
    keys: BTreeMap<Date, DayIdentityKey>,
}

const DAY_KEYS_KIND: &str = "healthcode-identity-day-keys";
const MASTER_KIND: &str = "healthcode-identity-master-key";

fn day_keys_problem(problem: &str) -> Error {
    Error::DayKeys {
        problem: problem.to_owned(),
    }
}

impl DayKeys {
    /// The set of `keys`.
    ///
    /// # Errors
    /// [`Error::DayKeys`] for none, more than [`MAX_DAYS_IN_FILE`], or two of one day.
    pub fn new(keys: Vec<DayIdentityKey>) -> Result<Self, Error> {
        if keys.is_empty() {
            return Err(day_keys_problem("no day keys"));
        }
        if keys.len() > MAX_DAYS_IN_FILE {
            return Err(day_keys_problem(&format!(
                "{} days; a checkpoint holds at most {MAX_DAYS_IN_FILE}",
                keys.len()
            )));
        }
        let count = keys.len();
        let keys: BTreeMap<_, _> = keys.into_iter().map(|k| (k.day, k)).collect();
        if keys.len() != count {
            return Err(day_keys_problem("two keys for one day"));
        }
        Ok(DayKeys { keys })
    }

    /// The key of Hong Kong day `day`, if held.
    pub fn get(&self, day: Date) -> Option<&DayIdentityKey> {
        self.keys.get(&day)
    }

    /// The first and last day held.
    pub fn span(&self) -> (Date, Date) {
        // `new` refuses an empty set, so both ends exist.
        let mut days = self.keys.keys().copied();
        let first = days.next().unwrap_or(Date::MIN);
        (first, days.next_back().unwrap_or(first))
    }

    /// Reads a day-key file (mode 0600).
    ///
    /// # Errors
    /// File, permission and format errors; [`Error::DayKeys`].
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = read_secret(path)?;
        let file: DayKeysFile = crate::json::parse(&text, "identity day keys file")?;
        check_kind(path, &file.kind, DAY_KEYS_KIND)?;
        Self::from_file(file)
    }

    /// Parses a day-key file's text (as [`DayKeys::to_json`] writes it),
    /// without the file checks of [`DayKeys::read`].
    ///
    /// # Errors
    /// Format errors; [`Error::DayKeys`].
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let file: DayKeysFile = crate::json::parse(text, "identity day keys file")?;
        if file.kind != DAY_KEYS_KIND {
            return Err(day_keys_problem(&format!(
                "kind is {:?}, expected {DAY_KEYS_KIND:?}",
                file.kind
            )));
        }
        Self::from_file(file)
    }

    fn from_file(file: DayKeysFile) -> Result<Self, Error> {
        let keys = file
            .days
            .iter()
            .map(|entry| {
                let day = parse_date(&entry.day)?;
                let key = Zeroizing::new(b64::decode_array::<32>(&entry.key, "day key")?);
                Ok(DayIdentityKey { day, key })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        DayKeys::new(keys)
    }

    /// Writes a new day-key file (0600), never over an existing one.
    ///
    /// # Errors
    /// [`Error::FileExists`] or [`Error::Io`].
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        write_secret(path, self.to_json().as_bytes())
    }

    /// The file's text; secret, so zeroised on drop.
    pub fn to_json(&self) -> Zeroizing<String> {
        let file = DayKeysFile {
            kind: DAY_KEYS_KIND.into(),
            days: self
                .keys
                .values()
                .map(|k| DayEntry {
                    day: format_date(k.day),
                    key: b64::encode(k.key.as_ref()),
                })
                .collect(),
        };
        Zeroizing::new(crate::json::to_pretty(&file))
    }
}

impl IdentityMasterKey {
    /// Reads a master identity key file (mode 0600).
    ///
    /// # Errors
    /// File, permission and format errors.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let key = read_key32(
            path,
            MASTER_KIND,
            "identity master key file",
            "identity master key",
        )?;
        Ok(IdentityMasterKey(key))
    }

    /// Writes a new master identity key file (0600), never over an existing one.
    ///
    /// # Errors
    /// [`Error::FileExists`] or [`Error::Io`].
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        write_key32(path, MASTER_KIND, &self.0)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DayKeysFile {
    kind: String,
    days: Vec<DayEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DayEntry {
    day: String,
    key: String,
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn doc(text: &str) -> IdDocument {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn each_day_has_its_own_key_and_each_input_its_own_binding() {
        let master = IdentityMasterKey::from_bytes(&[3; 32]);
        let (monday, tuesday) = (
            master.day_key(date!(2022 - 12 - 12)),
            master.day_key(date!(2022 - 12 - 13)),
        );
        let token = TokenId::from_bytes([1; 12]);
        let alice = doc("HKID:A1234563");
        let issued = date!(2018 - 03 - 01);
        let binding = monday.bind(&token, &alice, issued);
        assert_eq!(binding, monday.bind(&token, &alice, issued));
        assert_eq!(
            binding,
            master
                .day_key(date!(2022 - 12 - 12))
                .bind(&token, &alice, issued),
            "a day key is derived, not random"
        );
        assert_ne!(binding, tuesday.bind(&token, &alice, issued), "another day");
        assert_ne!(
            binding,
            monday.bind(&token, &alice, date!(2018 - 03 - 02)),
            "another date of issue"
        );
        assert_ne!(binding, monday.bind(&token, &doc("HKID:B1234566"), issued));
        assert_ne!(
            binding,
            monday.bind(&TokenId::from_bytes([2; 12]), &alice, issued),
            "unlinkable across tokens"
        );
        let other = IdentityMasterKey::from_bytes(&[4; 32]).day_key(date!(2022 - 12 - 12));
        assert_ne!(binding, other.bind(&token, &alice, issued));
    }

    #[test]
    fn memory_used_again_binds_as_fresh_memory_does() {
        let key = IdentityMasterKey::from_bytes(&[3; 32]).day_key(date!(2022 - 12 - 12));
        let issued = date!(2018 - 03 - 01);
        let mut memory = BindingMemory::new();
        // Each binding after another, in memory the one before it filled.
        for (n, number) in ["HKID:A1234563", "HKID:B1234566", "HKID:A1234563"]
            .into_iter()
            .enumerate()
        {
            let token = TokenId::from_bytes([n as u8; 12]);
            assert_eq!(
                key.bind_in(&mut memory, &token, &doc(number), issued),
                key.bind(&token, &doc(number), issued)
            );
        }
    }

    #[test]
    fn a_day_key_file_round_trips_and_refuses_what_it_cannot_use() -> Result<(), Error> {
        let dir = tempfile::tempdir().map_err(|e| Error::Io {
            path: ".".into(),
            source: e,
        })?;
        let master = IdentityMasterKey::from_bytes(&[3; 32]);
        let keys = master.day_keys(date!(2022 - 12 - 10), 7)?;
        let path = dir.path().join("days.json");
        keys.write(&path)?;
        let read = DayKeys::read(&path)?;
        assert_eq!(read.span(), (date!(2022 - 12 - 10), date!(2022 - 12 - 16)));
        let token = TokenId::from_bytes([9; 12]);
        let day = date!(2022 - 12 - 13);
        let held = read
            .get(day)
            .map(|k| k.bind(&token, &doc("HKID:A1234563"), day));
        assert_eq!(
            held,
            Some(master.day_key(day).bind(&token, &doc("HKID:A1234563"), day))
        );
        assert!(read.get(date!(2022 - 12 - 17)).is_none());
        assert!(matches!(keys.write(&path), Err(Error::FileExists { .. })));

        assert!(master.day_keys(date!(2022 - 12 - 10), 0).is_err());
        assert!(
            master
                .day_keys(date!(2022 - 12 - 10), MAX_DAYS_IN_FILE + 1)
                .is_err()
        );
        let twice = vec![master.day_key(day), master.day_key(day)];
        assert!(matches!(DayKeys::new(twice), Err(Error::DayKeys { .. })));
        Ok(())
    }

    #[test]
    fn debug_shows_the_day_only() {
        let master = IdentityMasterKey::from_bytes(&[3; 32]);
        let key = master.day_key(date!(2022 - 12 - 12));
        assert_eq!(format!("{key:?}"), "DayIdentityKey(2022-12-12, <redacted>)");
        assert_eq!(format!("{master:?}"), "IdentityMasterKey(<redacted>)");
    }
}
