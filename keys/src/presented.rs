//! What the officer reads off the holder's card, and the one check of it
//! against a verified code, under the key that the code's version uses.

use std::{collections::BTreeMap, fmt, path::PathBuf};

use time::Date;

use crate::{
    DayKeys, Error, IdDocument, IdentityKey, Region, VerifiedToken,
    hktime::{format_date, hk_date},
    token::TokenVersion,
};

/// The ID document a holder presents with a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    /// Type and number.
    pub document: IdDocument,
    /// The date of issue printed on the card; version 2 codes bind it.
    pub date_of_issue: Option<Date>,
}

/// One issuing region's identity keys at a checkpoint: the version 1 key
/// while version 1 codes are still about, and the day keys of the days it
/// works.
#[derive(Debug, Clone, Default)]
pub struct IdentityKeys {
    /// The version 1 identity key.
    pub v1: Option<IdentityKey>,
    /// The version 2 keys, one per Hong Kong day.
    pub days: Option<DayKeys>,
}

/// The outcome of checking a presented document against a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityCheck {
    /// The code is bound to the document presented.
    Match,
    /// The code is bound to another document (or another date of issue).
    Mismatch,
    /// The check could not be made: the checkpoint must not guess.
    Unavailable(Unavailable),
}

/// Why a presented document could not be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// A version 1 code, and no version 1 key is held.
    NoV1Key,
    /// A version 2 code issued on a day whose key is not held.
    NoDayKey {
        /// The Hong Kong day the code was issued.
        day: Date,
    },
    /// A version 2 code, and no date of issue was given with the document.
    NoDateOfIssue,
    /// The code's issuing region, whose identity keys are not held.
    NoRegionKeys {
        /// The region that issued the code.
        region: Region,
    },
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::NoV1Key => f.write_str(
                "this is a version 1 code and this checkpoint holds no version 1 identity key",
            ),
            Unavailable::NoDayKey { day } => write!(
                f,
                "this checkpoint holds no identity key for {}, the Hong Kong day the code was issued",
                format_date(*day)
            ),
            Unavailable::NoDateOfIssue => f.write_str(
                "a version 2 code binds the card's date of issue: give it with the document",
            ),
            Unavailable::NoRegionKeys { region } => write!(
                f,
                "this checkpoint holds no identity keys of {region}, the region that issued this code"
            ),
        }
    }
}

impl IdentityKeys {
    /// True when some code's identity can be checked.
    pub fn any(&self) -> bool {
        self.v1.is_some() || self.days.is_some()
    }

    /// Whether `token` is bound to `presented` (constant-time compare). A
    /// version 2 check costs one Argon2id evaluation: keep it off an async
    /// executor's threads.
    pub fn check(&self, token: &VerifiedToken, presented: &Presented) -> IdentityCheck {
        let claims = token.claims();
        let binding = match claims.version {
            TokenVersion::V1 => match &self.v1 {
                Some(key) => key.bind(&claims.token_id, &presented.document),
                None => return IdentityCheck::Unavailable(Unavailable::NoV1Key),
            },
            TokenVersion::V2 => {
                let day = hk_date(claims.issued_at);
                let Some(key) = self.days.as_ref().and_then(|keys| keys.get(day)) else {
                    return IdentityCheck::Unavailable(Unavailable::NoDayKey { day });
                };
                let Some(date_of_issue) = presented.date_of_issue else {
                    return IdentityCheck::Unavailable(Unavailable::NoDateOfIssue);
                };
                key.bind(&claims.token_id, &presented.document, date_of_issue)
            }
        };
        if binding == claims.identity {
            IdentityCheck::Match
        } else {
            IdentityCheck::Mismatch
        }
    }
}

/// The identity keys a checkpoint holds, each issuing region's its own
/// (Hong Kong, Guangdong, Macao): a code is checked only under the keys of
/// the region that issued it, so one region's key can neither confirm nor
/// deny another region's codes, and losing one region's keys leaves the
/// others working.
#[derive(Debug, Clone, Default)]
pub struct IdentityKeyring {
    regions: BTreeMap<Region, IdentityKeys>,
}

impl From<IdentityKeys> for IdentityKeyring {
    /// Hong Kong's keys alone.
    fn from(keys: IdentityKeys) -> Self {
        IdentityKeyring::default().with(Region::HongKong, keys)
    }
}

impl IdentityKeyring {
    /// The same keyring with `keys` as `region`'s (replacing any held).
    pub fn with(mut self, region: Region, keys: IdentityKeys) -> Self {
        self.regions.insert(region, keys);
        self
    }

    /// `region`'s keys, if any are held.
    pub fn region(&self, region: Region) -> Option<&IdentityKeys> {
        self.regions.get(&region).filter(|keys| keys.any())
    }

    /// Each region whose keys are held, with them.
    pub fn regions(&self) -> impl Iterator<Item = (Region, &IdentityKeys)> {
        self.regions
            .iter()
            .filter(|(_, keys)| keys.any())
            .map(|(region, keys)| (*region, keys))
    }

    /// True when some code's identity can be checked.
    pub fn any(&self) -> bool {
        self.regions.values().any(IdentityKeys::any)
    }

    /// The same keyring with `days` as `region`'s day keys (its version 1
    /// key stays).
    pub fn with_day_keys(&self, region: Region, days: DayKeys) -> Self {
        let mut keyring = self.clone();
        keyring.regions.entry(region).or_default().days = Some(days);
        keyring
    }

    /// Whether `token` is bound to `presented`, under the keys of the
    /// region that issued it (see [`IdentityKeys::check`]).
    pub fn check(&self, token: &VerifiedToken, presented: &Presented) -> IdentityCheck {
        let region = token.region();
        match self.region(region) {
            Some(keys) => keys.check(token, presented),
            None => IdentityCheck::Unavailable(Unavailable::NoRegionKeys { region }),
        }
    }

    /// Reads the key files a checkpoint is given: version 1 keys and day
    /// keys, each `(region, file)`; a region named twice for one kind of
    /// key is refused.
    ///
    /// # Errors
    /// The file (or flag) at fault, with the file, permission or format
    /// error.
    pub fn read(
        v1_keys: &[(Region, PathBuf)],
        day_keys: &[(Region, PathBuf)],
    ) -> Result<Self, (String, Error)> {
        let mut keyring = IdentityKeyring::default();
        let twice = |kind: &str, region: Region| {
            (
                kind.to_owned(),
                Error::IdentityKeyFiles {
                    problem: format!("{region} is given two files; give each region one"),
                },
            )
        };
        for (region, path) in v1_keys {
            let keys = keyring.regions.entry(*region).or_default();
            if keys.v1.is_some() {
                return Err(twice("--identity-key", *region));
            }
            let key = IdentityKey::read(path).map_err(|e| (path.display().to_string(), e))?;
            keys.v1 = Some(key);
        }
        for (region, path) in day_keys {
            let keys = keyring.regions.entry(*region).or_default();
            if keys.days.is_some() {
                return Err(twice("--identity-day-keys", *region));
            }
            let days = DayKeys::read(path).map_err(|e| (path.display().to_string(), e))?;
            keys.days = Some(days);
        }
        Ok(keyring)
    }
}

/// A key file as a flag names it: `REGION=FILE` (`HK`, `GD` or `MO`), or
/// `FILE` alone for Hong Kong's.
///
/// # Errors
/// A `XX=` prefix of two capital letters that is not a region, or no file
/// after the `=`.
pub fn region_and_file(text: &str) -> Result<(Region, PathBuf), Error> {
    let Some((prefix, file)) = text.split_once('=') else {
        return Ok((Region::HongKong, text.into()));
    };
    let looks_like_region = prefix.len() == 2 && prefix.bytes().all(|b| b.is_ascii_uppercase());
    if !looks_like_region {
        return Ok((Region::HongKong, text.into()));
    }
    let region: Region = prefix.parse().map_err(|e| Error::IdentityKeyFiles {
        problem: format!("{e}"),
    })?;
    if file.is_empty() {
        return Err(Error::IdentityKeyFiles {
            problem: format!("{prefix}= names no file"),
        });
    }
    Ok((region, file.into()))
}

#[cfg(test)]
mod region_tests {
    use super::*;

    #[test]
    fn a_flag_names_a_region_or_means_hong_kong() {
        let read = |text: &str| region_and_file(text).map_err(|e| e.to_string());
        assert_eq!(read("GD=gd.key"), Ok((Region::Guangdong, "gd.key".into())));
        assert_eq!(
            read("MO=/k/mo=1.key"),
            Ok((Region::Macao, "/k/mo=1.key".into()))
        );
        assert_eq!(read("days.key"), Ok((Region::HongKong, "days.key".into())));
        assert_eq!(
            read("./a=b.key"),
            Ok((Region::HongKong, "./a=b.key".into()))
        );
        let unknown = read("TW=tw.key").err().unwrap_or_default();
        assert!(
            unknown.contains("TW") && unknown.contains("HK"),
            "{unknown}"
        );
        let empty = read("GD=").err().unwrap_or_default();
        assert!(empty.contains("names no file"), "{empty}");
    }
}
