//! From a verdict to what the officer does: admit the traveller, send them
//! to secondary inspection, or refuse. A checkpoint's policy says which
//! colours may cross, and what an unchecked identity, a specimen or an old
//! code costs; everything the verifier cannot know sends to secondary
//! inspection, never to admit.
//!
//! A policy is a small text file of `key = value` lines (`#` starts a
//! comment), read once at start; a bad one is refused with its line:
//!
//! ```text
//! # Hong Kong exit to Guangdong
//! name = hk-exit-gd
//! green = admit
//! amber = secondary
//! red = refuse
//! unchecked-identity = secondary
//! specimen = refuse
//! # Macao's self-service lanes: a code made within the last 24 hours.
//! issued-within-hours = 24
//! # A handheld's revocations (an offline bundle) may be a day old.
//! revocations-max-age-hours = 24
//! ```

use std::fmt;

use healthcode_keys::{Colour, Rejection};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::{ErrorCode, Identity, Verdict};

/// What the officer does with the traveller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    /// Let them cross.
    Admit,
    /// Send them to secondary inspection: a person decides.
    Secondary,
    /// Do not let them cross.
    Refuse,
}

impl Admission {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Admission::Admit => "admit",
            Admission::Secondary => "secondary",
            Admission::Refuse => "refuse",
        }
    }

    fn parse(text: &str) -> Option<Admission> {
        [Admission::Admit, Admission::Secondary, Admission::Refuse]
            .into_iter()
            .find(|a| a.as_str() == text)
    }
}

/// The decision and the stable reason for it (`colour_green`,
/// `identity_unchecked`, `specimen`, `issued_too_long_ago`, or the verdict's
/// error code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// What to do.
    pub admission: Admission,
    /// Why, as a stable code.
    pub reason: &'static str,
}

/// The reasons a policy gives of its own, besides the verdict's error codes.
pub const POLICY_REASONS: [&str; 7] = [
    "colour_green",
    "colour_amber",
    "colour_red",
    "specimen",
    "no_colour",
    "identity_unchecked",
    "issued_too_long_ago",
];

/// Every reason a decision (or, without a policy, a verdict) can give: for
/// the pages that put them into words.
pub fn all_reasons() -> impl Iterator<Item = &'static str> {
    POLICY_REASONS
        .into_iter()
        .chain(ErrorCode::all().map(ErrorCode::as_str))
}

/// A checkpoint's admission policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Its name, shown with every decision.
    pub name: String,
    green: Admission,
    amber: Admission,
    red: Admission,
    unchecked_identity: Admission,
    specimen: Admission,
    issued_within: Option<Duration>,
    revocations_max_age: Option<Duration>,
}

/// Why a policy file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct PolicyError {
    /// From 1; 0 for the file as a whole.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

impl PolicyError {
    fn at(line: usize, problem: impl fmt::Display) -> Self {
        PolicyError {
            line,
            problem: problem.to_string(),
        }
    }
}

/// The keys a policy takes.
const KEYS: &[&str] = &[
    "name",
    "green",
    "amber",
    "red",
    "unchecked-identity",
    "specimen",
    "issued-within-hours",
    "revocations-max-age-hours",
];

impl Policy {
    /// Reads a policy: every colour must be given; `unchecked-identity`
    /// (default `secondary`), `specimen` (default `refuse`) and
    /// `issued-within-hours` (default none) may be.
    ///
    /// # Errors
    /// The first [`PolicyError`], naming its line: an unknown or repeated
    /// key, a line that is not `key = value`, a value that is not an
    /// admission or a number of hours, a colour left out.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let mut values: Vec<(&str, &str, usize)> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.split('#').next().unwrap_or_default().trim();
            if content.is_empty() {
                continue;
            }
            let (key, value) = content
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| PolicyError::at(line, "expected `key = value`"))?;
            if !KEYS.contains(&key) {
                let known = KEYS.join(", ");
                return Err(PolicyError::at(
                    line,
                    format!("unknown key {key:?}; the keys are {known}"),
                ));
            }
            if values.iter().any(|(k, _, _)| *k == key) {
                return Err(PolicyError::at(line, format!("{key} is given twice")));
            }
            values.push((key, value, line));
        }
        let get = |key: &str| {
            values
                .iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, v, l)| (*v, *l))
        };
        let admission = |key: &str, default: Option<Admission>| match get(key) {
            Some((value, line)) => Admission::parse(value).ok_or_else(|| {
                PolicyError::at(
                    line,
                    format!("{key}: {value:?} is not admit, secondary or refuse"),
                )
            }),
            None => default.ok_or_else(|| PolicyError::at(0, format!("{key} is missing"))),
        };
        let hours = |key: &str| match get(key) {
            None => Ok(None),
            Some((value, line)) => match value.parse::<u16>() {
                Ok(hours) if hours > 0 => Ok(Some(Duration::hours(i64::from(hours)))),
                _ => Err(PolicyError::at(
                    line,
                    format!("{key}: {value:?} is not a number of hours from 1 to 65535"),
                )),
            },
        };
        let issued_within = hours("issued-within-hours")?;
        let revocations_max_age = hours("revocations-max-age-hours")?;
        Ok(Policy {
            name: get("name").map_or("unnamed", |(v, _)| v).to_owned(),
            green: admission("green", None)?,
            amber: admission("amber", None)?,
            red: admission("red", None)?,
            unchecked_identity: admission("unchecked-identity", Some(Admission::Secondary))?,
            specimen: admission("specimen", Some(Admission::Refuse))?,
            issued_within,
            revocations_max_age,
        })
    }

    /// How old revocation data (an offline bundle's snapshot) may be before
    /// a valid code goes to secondary inspection (`revocations-max-age-hours`).
    pub fn revocations_max_age(&self) -> Option<Duration> {
        self.revocations_max_age
    }

    /// What to do with the traveller whose code got `verdict`, at `now`.
    pub fn decide(&self, verdict: &Verdict, now: OffsetDateTime) -> Decision {
        self.decide_facts(&Facts::of(verdict), now)
    }

    /// What to do, from the facts of a verdict (as the verdict's JSON gives
    /// them: the interoperability vectors feed these directly).
    pub fn decide_facts(&self, facts: &Facts, now: OffsetDateTime) -> Decision {
        let decision = |admission, reason| Decision { admission, reason };
        if let Some(code) = facts.error {
            return match code {
                ErrorCode::Specimen => {
                    decision(self.specimen.max(Admission::Secondary), "specimen")
                }
                code => decision(refused(code), code.as_str()),
            };
        }
        let Some(colour) = facts.colour else {
            // Valid without a colour cannot happen; if it did, a person decides.
            return decision(Admission::Secondary, "no_colour");
        };
        let mut worst = match colour {
            Colour::Green => decision(self.green, "colour_green"),
            Colour::Amber => decision(self.amber, "colour_amber"),
            Colour::Red => decision(self.red, "colour_red"),
        };
        let mut consider = |admission: Admission, reason| {
            if admission > worst.admission {
                worst = decision(admission, reason);
            }
        };
        if facts.specimen {
            consider(self.specimen, "specimen");
        }
        if facts.identity == Identity::Unchecked {
            consider(self.unchecked_identity, "identity_unchecked");
        }
        if let (Some(within), Some(issued)) = (self.issued_within, facts.issued_at)
            && issued < now - within
        {
            consider(Admission::Secondary, "issued_too_long_ago");
        }
        worst
    }
}

/// What a decision reads of a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Why the code is not valid, if it is not.
    pub error: Option<ErrorCode>,
    /// Its colour, once the signature verified.
    pub colour: Option<Colour>,
    /// Signed by a test key.
    pub specimen: bool,
    /// Whether the holder was checked against the document.
    pub identity: Identity,
    /// When the code was made.
    pub issued_at: Option<OffsetDateTime>,
}

impl Facts {
    /// The facts of `verdict`.
    pub fn of(verdict: &Verdict) -> Facts {
        Facts {
            error: verdict.error_code(),
            colour: verdict.colour(),
            specimen: verdict.is_specimen(),
            identity: verdict.identity(),
            issued_at: verdict.issued_at(),
        }
    }
}

/// The admission of a refused code: refuse what is known to be wrong; send
/// to secondary inspection what the checkpoint could not know.
fn refused(code: ErrorCode) -> Admission {
    match code {
        ErrorCode::Revoked
        | ErrorCode::IdentityMismatch
        | ErrorCode::Token(
            Rejection::BadSignature
            | Rejection::KeyRevoked
            | Rejection::KeyNotValidAtIssue
            | Rejection::Expired
            | Rejection::NotYetValid,
        ) => Admission::Refuse,
        _ => Admission::Secondary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GD: &str = "# Hong Kong exit to Guangdong\nname = hk-exit-gd\ngreen = admit\namber = secondary\nred = refuse\n";

    #[test]
    fn a_policy_reads_with_its_defaults() {
        let policy = Policy::parse(GD).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(policy.name, "hk-exit-gd");
        assert_eq!(
            (
                policy.unchecked_identity,
                policy.specimen,
                policy.issued_within
            ),
            (Admission::Secondary, Admission::Refuse, None)
        );
        let macao = format!(
            "{GD}issued-within-hours = 24 # self-service lanes\nunchecked-identity = admit\n"
        );
        let policy = Policy::parse(&macao).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(policy.issued_within, Some(Duration::hours(24)));
        assert_eq!(policy.unchecked_identity, Admission::Admit);
    }

    #[test]
    fn the_shipped_policies_read() {
        for (text, name) in [
            (
                include_str!("../../policies/hk-exit-gd.policy"),
                "hk-exit-gd",
            ),
            (
                include_str!("../../policies/hk-exit-mo.policy"),
                "hk-exit-mo-self-service",
            ),
            (include_str!("../../policies/drill.policy"), "drill"),
        ] {
            let policy = Policy::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(policy.name, name);
        }
    }

    #[test]
    fn a_handheld_policy_bounds_the_age_of_its_revocations() {
        let text = "green = admit\namber = refuse\nred = refuse\nrevocations-max-age-hours = 24\n";
        let policy = Policy::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(policy.revocations_max_age(), Some(Duration::hours(24)));
        let plain = Policy::parse("green = admit\namber = refuse\nred = refuse\n");
        assert_eq!(plain.ok().and_then(|p| p.revocations_max_age()), None);
    }

    #[test]
    fn a_bad_policy_is_refused_at_its_line() {
        let cases = [
            (
                "green = admit\namber = maybe\nred = refuse\n",
                "line 2: amber: \"maybe\" is not admit, secondary or refuse",
            ),
            (
                "green = admit\ngreen = refuse\n",
                "line 2: green is given twice",
            ),
            ("green admit\n", "line 1: expected `key = value`"),
            (
                "# only\ngreen = admit\nblue = admit\n",
                "line 3: unknown key \"blue\"",
            ),
            ("green = admit\namber = refuse\n", "line 0: red is missing"),
            (
                "green = admit\namber = refuse\nred = refuse\nissued-within-hours = 0\n",
                "line 4: issued-within-hours: \"0\"",
            ),
            (
                "green = admit\namber = refuse\nred = refuse\nrevocations-max-age-hours = a day\n",
                "line 4: revocations-max-age-hours: \"a day\" is not a number of hours",
            ),
        ];
        for (text, expected) in cases {
            let error = Policy::parse(text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }

    #[test]
    fn what_the_checkpoint_cannot_know_goes_to_secondary_and_what_is_wrong_is_refused() {
        for code in ErrorCode::all() {
            let expected = match code {
                ErrorCode::Revoked | ErrorCode::IdentityMismatch => Admission::Refuse,
                ErrorCode::Token(Rejection::Expired | Rejection::BadSignature) => Admission::Refuse,
                ErrorCode::RevocationUnavailable
                | ErrorCode::IdentityUnavailable
                | ErrorCode::NoQrFound
                | ErrorCode::TrustListExpired
                | ErrorCode::Token(Rejection::UnknownKey | Rejection::Malformed) => {
                    Admission::Secondary
                }
                _ => continue,
            };
            assert_eq!(refused(code), expected, "{}", code.as_str());
        }
        assert_ne!(
            refused(ErrorCode::RevocationUnavailable),
            Admission::Admit,
            "fail closed"
        );
    }
}
