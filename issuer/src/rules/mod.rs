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

healthcode_keys::named_enum! {
    /// Why a code is amber or red, with the spec's reason ids. Ordered as the
    /// spec's table.
    #[derive(PartialOrd, Ord)]
    pub enum Reason("reason") {
        /// An active confirmed-case status.
        ConfirmedCase = "confirmed_case",
        /// An active probable-case status.
        ProbableCase = "probable_case",
        /// An active close-contact status.
        CloseContact = "close_contact",
        /// An active household-contact status.
        HouseholdContact = "household_contact",
        /// An active compulsory-quarantine status.
        CompulsoryQuarantine = "compulsory_quarantine",
        /// Discharged from hospital less than 14 days ago.
        DischargedWithin14Days = "discharged_within_14_days",
        /// Symptoms in the past 14 days.
        SymptomsWithin14Days = "symptoms_within_14_days",
        /// Visited a place while it was high-risk, in the past 21 days.
        HighRiskVisit = "high_risk_visit",
        /// Lives in a building high-risk in the past 21 days.
        HighRiskResidence = "high_risk_residence",
        /// Arrived in Hong Kong in the past 21 days, not under an exempt scheme.
        RecentArrival = "recent_arrival",
    }
}

impl Reason {
    /// The reason in plain words, as the resident reads it.
    pub fn plain_words(self) -> &'static str {
        match self {
            Reason::ConfirmedCase => "The health authority records you as a confirmed case.",
            Reason::ProbableCase => "The health authority records you as a probable case.",
            Reason::CloseContact => {
                "The health authority records you as a close contact of a case."
            }
            Reason::HouseholdContact => {
                "The health authority records you as a household contact of a close contact."
            }
            Reason::CompulsoryQuarantine => "You are under compulsory quarantine.",
            Reason::DischargedWithin14Days => {
                "You were discharged from hospital after recovering less than 14 days ago."
            }
            Reason::SymptomsWithin14Days => "You have had symptoms in the past 14 days.",
            Reason::HighRiskVisit => {
                "You visited a place while it was designated high-risk, in the past 21 days."
            }
            Reason::HighRiskResidence => {
                "Your residential building was designated high-risk in the past 21 days."
            }
            Reason::RecentArrival => {
                "You arrived in Hong Kong less than 21 days ago, not under the Return2hk or Come2hk scheme."
            }
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

/// One fact behind a reason: what the resident is shown when asking why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact<'a> {
    /// A health-authority status.
    Status(&'a Status),
    /// A visit to a place while it was designated (`designated` is `[start, end)`).
    Visit {
        /// The visit.
        visit: &'a Visit,
        /// The designation it met.
        designated: Interval,
    },
    /// The residential building while it was designated.
    Residence {
        /// The building's place id.
        place: &'a str,
        /// The designation in the window.
        designated: Interval,
    },
    /// An entry into Hong Kong.
    Arrival(&'a Arrival),
}

/// A rule that holds, and the fact that makes it hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding<'a> {
    /// The rule.
    pub reason: Reason,
    /// The fact.
    pub fact: Fact<'a>,
}

/// Every fact that makes a rule hold for `person` against `designations` at
/// `now`: the reasons of [`evaluate`], each with its evidence.
pub fn findings<'a>(
    person: &'a Person,
    designations: &Designations,
    now: OffsetDateTime,
) -> Vec<Finding<'a>> {
    let finding = |reason, fact| Finding { reason, fact };
    let mut found: Vec<Finding<'a>> = person
        .statuses
        .iter()
        .filter_map(|s| status_reason(s, now).map(|r| finding(r, Fact::Status(s))))
        .collect();
    let window = Interval::window(now - AMBER_WINDOW, now);
    for visit in &person.visits {
        found.extend(
            visit_designations(visit, designations, window).map(|designated| {
                finding(Reason::HighRiskVisit, Fact::Visit { visit, designated })
            }),
        );
    }
    if let Some(place) = person.residence.as_deref() {
        found.extend(designations.touching(place, window).map(|designated| {
            finding(
                Reason::HighRiskResidence,
                Fact::Residence { place, designated },
            )
        }));
    }
    found.extend(
        person
            .arrivals
            .iter()
            .filter(|a| is_recent_arrival(a, now))
            .map(|a| finding(Reason::RecentArrival, Fact::Arrival(a))),
    );
    found
}

/// Evaluates the rules for `person` against `designations` at `now`.
pub fn evaluate(person: &Person, designations: &Designations, now: OffsetDateTime) -> Evaluation {
    evaluation_of(&findings(person, designations, now), now)
}

/// The colour, validity and reasons that `found` (from [`findings`] at `now`) give.
pub fn evaluation_of(found: &[Finding<'_>], now: OffsetDateTime) -> Evaluation {
    let reasons: BTreeSet<Reason> = found.iter().map(|f| f.reason).collect();
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

/// The designations of the visit's place that the visit met inside `window`.
fn visit_designations<'d>(
    visit: &Visit,
    designations: &'d Designations,
    window: Interval,
) -> impl Iterator<Item = Interval> + use<'d> {
    let stay = match visit.end {
        None => Interval::instant(visit.start),
        Some(end) => Interval::half_open(visit.start, Some(end)),
    };
    // An empty intersection meets nothing.
    designations.touching(&visit.place, stay.intersect(window))
}

fn is_recent_arrival(arrival: &Arrival, now: OffsetDateTime) -> bool {
    let recent = now - AMBER_WINDOW < arrival.at && arrival.at <= now;
    let exempt = matches!(arrival.origin, Origin::Mainland | Origin::Macao)
        && matches!(arrival.scheme, Some(Scheme::Return2hk | Scheme::Come2hk));
    recent && !exempt
}
