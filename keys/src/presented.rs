//! What the officer reads off the holder's card, and the one check of it
//! against a verified code, under the key that the code's version uses.

use std::fmt;

use time::Date;

use crate::{
    DayKeys, IdDocument, IdentityKey, VerifiedToken,
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

/// The identity keys a checkpoint holds: the version 1 key while version 1
/// codes are still about, and the day keys of the days it works.
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
