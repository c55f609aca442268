//! The colour rules, aligned with Guangdong's YueKang Code, exactly as
//! `shared/spec/colour-rules.md` states them.
//!
//! A pure function: no I/O and no clock; `now` is an argument. Every rule that
//! holds adds its reason; the colour is the most severe colour of any reason.
//!
//! # Layout
//! - [`facts`]: statuses, residence, visits, arrivals, designations.
//! - [`interval`]: time intervals with open and closed ends.
//! - [`index`]: designations by place.
//! - [`vector`]: the JSON test-vector format, with errors that name the field.
//! - [`check`]: `issuer rules eval` and `issuer rules check`.

pub mod check;
pub mod facts;
pub mod index;
pub mod interval;
pub mod vector;

use std::collections::BTreeSet;

use healthcode_keys::{Colour, hktime::end_of_hk_day};
use time::{Duration, OffsetDateTime};

use self::{
    facts::{Arrival, Origin, Person, Scheme, Status, StatusKind, Visit},
    index::Designations,
    interval::Interval,
};

/// Why a code is amber or red. Ordered as the spec's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// An active confirmed-case status.
    ConfirmedCase,
    /// An active probable-case status.
    ProbableCase,
    /// An active close-contact status.
    CloseContact,
    /// An active household-contact status.
    HouseholdContact,
    /// An active compulsory-quarantine status.
    CompulsoryQuarantine,
    /// Discharged from hospital less than 14 days ago.
    DischargedWithin14Days,
    /// Symptoms in the past 14 days.
    SymptomsWithin14Days,
    /// Visited a place while it was high-risk, in the past 21 days.
    HighRiskVisit,
    /// Lives in a building high-risk in the past 21 days.
    HighRiskResidence,
    /// Arrived in Hong Kong in the past 21 days, not under an exempt scheme.
    RecentArrival,
}

impl Reason {
    /// The spec's reason id.
    pub fn id(self) -> &'static str {
        match self {
            Reason::ConfirmedCase => "confirmed_case",
            Reason::ProbableCase => "probable_case",
            Reason::CloseContact => "close_contact",
            Reason::HouseholdContact => "household_contact",
            Reason::CompulsoryQuarantine => "compulsory_quarantine",
            Reason::DischargedWithin14Days => "discharged_within_14_days",
            Reason::SymptomsWithin14Days => "symptoms_within_14_days",
            Reason::HighRiskVisit => "high_risk_visit",
            Reason::HighRiskResidence => "high_risk_residence",
            Reason::RecentArrival => "recent_arrival",
        }
    }

    /// The colour this reason gives.
    pub fn colour(self) -> Colour {
        match self {
            Reason::ConfirmedCase
            | Reason::ProbableCase
            | Reason::CloseContact
            | Reason::HouseholdContact
            | Reason::CompulsoryQuarantine
            | Reason::DischargedWithin14Days
            | Reason::SymptomsWithin14Days => Colour::Red,
            Reason::HighRiskVisit | Reason::HighRiskResidence | Reason::RecentArrival => {
                Colour::Amber
            }
        }
    }
}

/// The result of the rules for one person at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The most severe colour of any reason; green without reasons.
    pub colour: Colour,
    /// 23:59:59 Hong Kong time on the Hong Kong day of `now`.
    pub valid_until: OffsetDateTime,
    /// Every rule that holds.
    pub reasons: BTreeSet<Reason>,
}

const RED_WINDOW: Duration = Duration::days(14);
const AMBER_WINDOW: Duration = Duration::days(21);

/// Evaluates the rules for `person` against `designations` at `now`.
pub fn evaluate(person: &Person, designations: &Designations, now: OffsetDateTime) -> Evaluation {
    let mut reasons = BTreeSet::new();
    reasons.extend(person.statuses.iter().filter_map(|s| status_reason(s, now)));
    let window = Interval::window(now - AMBER_WINDOW, now);
    if person
        .visits
        .iter()
        .any(|v| visit_touches(v, designations, window))
    {
        reasons.insert(Reason::HighRiskVisit);
    }
    if person
        .residence
        .as_deref()
        .is_some_and(|place| designations.touches(place, window))
    {
        reasons.insert(Reason::HighRiskResidence);
    }
    if person.arrivals.iter().any(|a| is_recent_arrival(a, now)) {
        reasons.insert(Reason::RecentArrival);
    }
    let colour = reasons
        .iter()
        .map(|r| r.colour())
        .max()
        .unwrap_or(Colour::Green);
    Evaluation {
        colour,
        valid_until: end_of_hk_day(now),
        reasons,
    }
}

fn status_reason(status: &Status, now: OffsetDateTime) -> Option<Reason> {
    let started = status.start <= now;
    let active = started && status.end.is_none_or(|end| now < end);
    let reason = match status.kind {
        StatusKind::ConfirmedCase => Reason::ConfirmedCase,
        StatusKind::ProbableCase => Reason::ProbableCase,
        StatusKind::CloseContact => Reason::CloseContact,
        StatusKind::HouseholdContact => Reason::HouseholdContact,
        StatusKind::CompulsoryQuarantine => Reason::CompulsoryQuarantine,
        StatusKind::Discharged => {
            let recent = now - RED_WINDOW < status.start && started;
            return recent.then_some(Reason::DischargedWithin14Days);
        }
        StatusKind::Symptoms => {
            let recent = started && status.end.is_none_or(|end| end > now - RED_WINDOW);
            return recent.then_some(Reason::SymptomsWithin14Days);
        }
    };
    active.then_some(reason)
}

fn visit_touches(visit: &Visit, designations: &Designations, window: Interval) -> bool {
    let stay = match visit.end {
        None => Interval::instant(visit.start),
        Some(end) => Interval::half_open(visit.start, Some(end)),
    };
    let in_window = stay.intersect(window);
    !in_window.is_empty() && designations.touches(&visit.place, in_window)
}

fn is_recent_arrival(arrival: &Arrival, now: OffsetDateTime) -> bool {
    let recent = now - AMBER_WINDOW < arrival.at && arrival.at <= now;
    let exempt = matches!(arrival.origin, Origin::Mainland | Origin::Macao)
        && matches!(arrival.scheme, Some(Scheme::Return2hk | Scheme::Come2hk));
    recent && !exempt
}
