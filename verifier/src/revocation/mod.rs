//! Revocations at the checkpoint: single codes taken back during their day,
//! held in memory, and the one policy by which they change a verdict.
//!
//! Revoking a whole key (a leak) goes through the trust list instead. A
//! revocation expires by itself when the code it revokes would have expired
//! anyway, so the set stays small (codes live one day). The formats are the
//! keys crate's (`healthcode_keys::revocation`); how they travel through
//! Redis is `healthcode-service-kit`'s.
//!
//! # Layout
//! - [`RevocationSet`]: the in-memory set a verifier checks, additive only.
//! - [`Held`], [`StalenessPolicy`], [`apply`]: what a checkpoint holds, how
//!   old it may be, and the verdict that follows (scanner and service alike).

mod set;

use std::str::FromStr;

use healthcode_keys::{
    TokenId,
    hktime::format_hk,
    revocation::{Revocation, filtered::RevocationFilter},
};
pub use set::RevocationSet;
use time::{Duration, OffsetDateTime};

use crate::verdict::{ErrorCode, RevocationFacts, RevocationStatus, Verdict};

/// What to answer for a valid code when the revocation data is too old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenStale {
    /// Answer `revocation_unavailable`: send the holder to secondary inspection.
    Reject,
    /// Answer valid, reporting the staleness (an operator's knowing choice).
    Accept,
}

impl FromStr for WhenStale {
    type Err = UnknownWhenStale;

    fn from_str(text: &str) -> Result<Self, UnknownWhenStale> {
        match text {
            "reject" => Ok(WhenStale::Reject),
            "accept" => Ok(WhenStale::Accept),
            _ => Err(UnknownWhenStale(text.to_owned())),
        }
    }
}

/// A `--when-stale` value that is neither `reject` nor `accept`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not reject or accept")]
pub struct UnknownWhenStale(String);

/// How old revocation data may get before it no longer vouches for a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StalenessPolicy {
    /// The age past which data is stale; `None`: never (a signed snapshot
    /// whose age the officer is shown).
    pub stale_after: Option<Duration>,
    /// What a valid code answers once the data is stale.
    pub when_stale: WhenStale,
}

/// The revocations a checkpoint holds, and when they were last known complete
/// (`None`: never, such as a service that has not yet synced).
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    /// The set.
    pub set: &'a RevocationSet,
    /// A filtered snapshot's cascade, for the codes it covers that the set
    /// does not list (`None`: the set is exact for every code).
    pub filter: Option<&'a RevocationFilter>,
    /// When it was last known complete.
    pub as_of: Option<OffsetDateTime>,
}

/// What the held revocations say of one code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The revocation, if the code is listed as revoked.
    pub revoked: Option<Revocation>,
    /// True when a filtered snapshot's cascade says the code is revoked
    /// (it knows no reason or time).
    pub filtered: bool,
    /// When the data was last known complete.
    pub as_of: Option<OffsetDateTime>,
    /// True when that is older than the policy allows (or never).
    pub stale: bool,
}

impl Lookup {
    /// `revoked`, `not_revoked`, or `unknown` when stale and not revoked.
    pub fn status(&self) -> RevocationStatus {
        match (self.revoked.is_some() || self.filtered, self.stale) {
            (true, _) => RevocationStatus::Revoked,
            (false, false) => RevocationStatus::NotRevoked,
            (false, true) => RevocationStatus::Unknown,
        }
    }
}

impl Held<'_> {
    /// What the held data says of `token_id` at `now` under `policy`.
    pub fn lookup(
        &self,
        token_id: &TokenId,
        policy: &StalenessPolicy,
        now: OffsetDateTime,
    ) -> Lookup {
        let stale = match (policy.stale_after, self.as_of) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(limit), Some(as_of)) => now - as_of > limit,
        };
        Lookup {
            revoked: self.set.get(token_id).cloned(),
            filtered: false,
            as_of: self.as_of,
            stale,
        }
    }

    /// Whether the filter says the authentic code of `verdict` is revoked.
    fn filter_says_revoked(&self, verdict: &Verdict) -> bool {
        let (Some(filter), Some((region, _, token_id)), Some(issued_at)) =
            (self.filter, verdict.routing(), verdict.issued_at())
        else {
            return false;
        };
        filter
            .says_revoked(region, &token_id, issued_at)
            .unwrap_or(false)
    }
}

/// The one place where revocation data changes a verdict, for the scanner
/// and the service alike: a revoked code is refused (`revoked`); a valid code
/// that stale data cannot vouch for is refused (`revocation_unavailable`)
/// unless the policy knowingly accepts it. `held` is `None` where no data was
/// given (a scanner without a snapshot): the verdict says `unchecked`.
pub fn apply(
    verdict: Verdict,
    held: Option<Held<'_>>,
    policy: &StalenessPolicy,
    now: OffsetDateTime,
) -> Verdict {
    let Some(held) = held else {
        return verdict;
    };
    let Some(token_id) = verdict.authentic_token_id() else {
        // Before the signature verifies, the id is attacker-controlled.
        return verdict.with_revocation(RevocationFacts {
            status: RevocationStatus::Unknown,
            reason: None,
            as_of: None,
            stale: false,
        });
    };
    let mut lookup = held.lookup(&token_id, policy, now);
    lookup.filtered = lookup.revoked.is_none() && held.filter_says_revoked(&verdict);
    let facts = RevocationFacts {
        status: lookup.status(),
        reason: lookup.revoked.as_ref().map(|r| r.reason),
        as_of: lookup.as_of,
        stale: lookup.stale,
    };
    let verdict = verdict.with_revocation(facts);
    match (&lookup.revoked, lookup.stale, policy.when_stale) {
        (Some(revoked), _, _) => verdict.refuse(ErrorCode::Revoked, revoked_message(revoked)),
        (None, _, _) if lookup.filtered => verdict.refuse(ErrorCode::Revoked, FILTERED_MESSAGE),
        (None, true, WhenStale::Reject) => verdict.refuse(
            ErrorCode::RevocationUnavailable,
            stale_message(&lookup, policy),
        ),
        (None, false, _) | (None, true, WhenStale::Accept) => verdict,
    }
}

/// What a code that a filtered snapshot's cascade holds is refused with.
const FILTERED_MESSAGE: &str =
    "revoked (in the snapshot's filter of revoked codes; reason and time not carried)";

/// "revoked (reason) at time", in Hong Kong time as officers read times.
pub fn revoked_message(revocation: &Revocation) -> String {
    format!(
        "revoked ({}) at {}",
        revocation.reason,
        format_hk(revocation.revoked_at)
    )
}

fn stale_message(lookup: &Lookup, policy: &StalenessPolicy) -> String {
    match (lookup.as_of, policy.stale_after) {
        (None, _) => {
            "no revocation data has been received yet: send to secondary inspection".into()
        }
        (Some(as_of), Some(limit)) => format!(
            "revocation data is older than {} (complete as of {}): send to secondary inspection",
            humanize(limit),
            format_hk(as_of)
        ),
        (Some(_), None) => "revocation data is stale: send to secondary inspection".into(),
    }
}

/// `10m`, `90s`, `2h`: how limits are written on the command line.
fn humanize(limit: Duration) -> String {
    let seconds = limit.whole_seconds();
    match seconds {
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use healthcode_keys::{
        Claims, Colour, IdentityBinding, KeyId, Region, revocation::RevocationReason,
    };
    use time::macros::datetime;

    use super::*;
    use crate::verdict::TokenFacts;

    const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);

    fn valid(id: u8) -> Verdict {
        valid_issued(id, NOW - Duration::hours(1))
    }

    fn valid_issued(id: u8, issued_at: OffsetDateTime) -> Verdict {
        Verdict::of_token(
            "t",
            TokenFacts::Authentic {
                region: Region::HongKong,
                kid: KeyId::from_bytes([1; 4]),
                claims: Claims {
                    version: healthcode_keys::TokenVersion::CURRENT,
                    token_id: TokenId::from_bytes([id; 12]),
                    colour: Colour::Green,
                    identity: IdentityBinding::from_bytes([0; 16]),
                    issued_at,
                    valid_until: datetime!(2022-12-10 15:59:59 UTC),
                },
                specimen: false,
            },
        )
    }

    fn set_with(id: u8) -> RevocationSet {
        let mut set = RevocationSet::default();
        set.insert(Revocation {
            token_id: TokenId::from_bytes([id; 12]),
            reason: RevocationReason::RiskChanged,
            revoked_at: NOW - Duration::minutes(5),
            until: datetime!(2022-12-10 15:59:59 UTC),
        });
        set
    }

    const TEN_MINUTES: StalenessPolicy = StalenessPolicy {
        stale_after: Some(Duration::minutes(10)),
        when_stale: WhenStale::Reject,
    };

    #[test]
    fn a_revoked_code_is_refused_whatever_the_age_of_the_data() {
        let set = set_with(1);
        for as_of in [Some(NOW), Some(NOW - Duration::hours(5)), None] {
            let held = Held {
                set: &set,
                filter: None,
                as_of,
            };
            let verdict = apply(valid(1), Some(held), &TEN_MINUTES, NOW);
            assert_eq!(verdict.error_code(), Some(ErrorCode::Revoked));
            assert_eq!(verdict.revocation(), RevocationStatus::Revoked);
        }
    }

    #[test]
    fn stale_or_missing_data_never_vouches_for_a_code() {
        let set = RevocationSet::default();
        let fresh = Held {
            set: &set,
            filter: None,
            as_of: Some(NOW - Duration::minutes(10)),
        };
        let verdict = apply(valid(1), Some(fresh), &TEN_MINUTES, NOW);
        assert!(verdict.is_valid(), "exactly the limit is still fresh");
        assert_eq!(verdict.revocation(), RevocationStatus::NotRevoked);
        for as_of in [Some(NOW - Duration::minutes(10) - Duration::SECOND), None] {
            let held = Held {
                set: &set,
                filter: None,
                as_of,
            };
            let verdict = apply(valid(1), Some(held), &TEN_MINUTES, NOW);
            assert_eq!(verdict.error_code(), Some(ErrorCode::RevocationUnavailable));
            assert_eq!(verdict.revocation(), RevocationStatus::Unknown);
        }
        let accept = StalenessPolicy {
            when_stale: WhenStale::Accept,
            ..TEN_MINUTES
        };
        let held = Held {
            set: &set,
            filter: None,
            as_of: None,
        };
        let verdict = apply(valid(1), Some(held), &accept, NOW);
        assert!(verdict.is_valid(), "accepted knowingly");
        assert_eq!(verdict.revocation(), RevocationStatus::Unknown);
    }

    #[test]
    fn without_data_the_verdict_says_unchecked_and_a_snapshot_never_goes_stale() {
        let verdict = apply(valid(1), None, &TEN_MINUTES, NOW);
        assert!(verdict.is_valid());
        assert_eq!(verdict.revocation(), RevocationStatus::Unchecked);
        let set = RevocationSet::default();
        let snapshot = StalenessPolicy {
            stale_after: None,
            when_stale: WhenStale::Reject,
        };
        let old = Held {
            set: &set,
            filter: None,
            as_of: Some(NOW - Duration::days(3)),
        };
        assert!(apply(valid(1), Some(old), &snapshot, NOW).is_valid());
    }

    #[test]
    fn an_unverified_token_id_is_never_looked_up() {
        let set = set_with(1);
        let held = Held {
            set: &set,
            filter: None,
            as_of: Some(NOW),
        };
        let forged = Verdict::of_token(
            "t",
            TokenFacts::Routing {
                region: Region::HongKong,
                kid: KeyId::from_bytes([1; 4]),
                token_id: TokenId::from_bytes([1; 12]),
            },
        )
        .refuse(
            ErrorCode::from(healthcode_keys::Rejection::BadSignature),
            "signature does not verify",
        );
        let verdict = apply(forged, Some(held), &TEN_MINUTES, NOW);
        assert_eq!(
            verdict.error_code(),
            Some(ErrorCode::from(healthcode_keys::Rejection::BadSignature))
        );
        assert_eq!(verdict.revocation(), RevocationStatus::Unknown);
    }

    #[test]
    fn limits_are_written_as_on_the_command_line() {
        assert_eq!(humanize(Duration::minutes(10)), "10m");
        assert_eq!(humanize(Duration::hours(2)), "2h");
        assert_eq!(humanize(Duration::seconds(90)), "90s");
        assert_eq!(humanize(Duration::ZERO), "0s");
    }

    #[test]
    fn the_staleness_choice_is_read_from_its_two_words_only() {
        assert_eq!("reject".parse(), Ok(WhenStale::Reject));
        assert_eq!("accept".parse(), Ok(WhenStale::Accept));
        for bad in ["", "Reject", "allow", "accept "] {
            assert!(bad.parse::<WhenStale>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_revocation_reads_with_its_reason_and_hong_kong_time() {
        let revocation = Revocation {
            token_id: TokenId::from_bytes([1; 12]),
            reason: RevocationReason::RiskChanged,
            revoked_at: datetime!(2022-12-10 00:55 UTC),
            until: datetime!(2022-12-10 15:59:59 UTC),
        };
        assert_eq!(
            revoked_message(&revocation),
            "revoked (risk_changed) at 2022-12-10T08:55:00+08:00"
        );
    }

    #[test]
    fn a_stale_answer_says_why_and_sends_to_secondary_inspection() {
        let lookup = |as_of| Lookup {
            revoked: None,
            filtered: false,
            as_of,
            stale: true,
        };
        assert_eq!(
            stale_message(&lookup(None), &TEN_MINUTES),
            "no revocation data has been received yet: send to secondary inspection"
        );
        assert_eq!(
            stale_message(&lookup(Some(datetime!(2022-12-10 00:30 UTC))), &TEN_MINUTES),
            "revocation data is older than 10m (complete as of 2022-12-10T08:30:00+08:00): \
             send to secondary inspection"
        );
        let no_limit = StalenessPolicy {
            stale_after: None,
            when_stale: WhenStale::Reject,
        };
        assert_eq!(
            stale_message(&lookup(Some(NOW)), &no_limit),
            "revocation data is stale: send to secondary inspection"
        );
    }

    #[test]
    fn a_checked_verdict_says_how_fresh_its_revocation_data_was() {
        let set = RevocationSet::default();
        let as_of = NOW - Duration::minutes(3);
        let held = Held {
            set: &set,
            filter: None,
            as_of: Some(as_of),
        };
        let verdict = apply(valid(1), Some(held), &TEN_MINUTES, NOW);
        assert!(verdict.is_valid(), "{verdict:?}");
        assert_eq!(verdict.revocation(), RevocationStatus::NotRevoked);
        assert_eq!(verdict.revocation_as_of(), Some(as_of));
    }

    #[test]
    fn a_filtered_snapshot_refuses_the_codes_its_cascade_holds_and_no_other() {
        use healthcode_keys::revocation::filtered::{COVER_MARGIN, FilteredSnapshot, IssuedCode};
        let code = |id: u8| IssuedCode {
            token_id: TokenId::from_bytes([id; 12]),
            issued_at: NOW - Duration::hours(1),
        };
        let revoked = Revocation {
            token_id: TokenId::from_bytes([1; 12]),
            reason: RevocationReason::RiskChanged,
            revoked_at: NOW - Duration::minutes(30),
            until: datetime!(2022-12-10 15:59:59 UTC),
        };
        let key = healthcode_keys::testkeys::issuer(Region::HongKong, "a");
        let codes = [code(1), code(2)];
        let snapshot = FilteredSnapshot::build(&key, NOW, &codes, vec![revoked], 9)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            snapshot.recent.is_empty(),
            "the revocation is in the cascade"
        );
        let set = RevocationSet::default();
        let held = Held {
            set: &set,
            filter: Some(&snapshot.filter),
            as_of: Some(NOW),
        };
        let verdict = apply(valid(1), Some(held), &TEN_MINUTES, NOW);
        assert_eq!(verdict.error_code(), Some(ErrorCode::Revoked));
        assert_eq!(verdict.revocation(), RevocationStatus::Revoked);
        assert!(apply(valid(2), Some(held), &TEN_MINUTES, NOW).is_valid());
        // valid(1) issued after the cover is outside the cascade: not revoked.
        let later = valid_issued(1, NOW - COVER_MARGIN + Duration::SECOND);
        assert!(apply(later, Some(held), &TEN_MINUTES, NOW).is_valid());
    }
}
