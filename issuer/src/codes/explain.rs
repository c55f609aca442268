//! Why a code has its colour, in words a resident reads: each reason in plain
//! words, with the facts that made it hold. Times are shown in Hong Kong time.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use healthcode_keys::{Colour, hktime::format_hk};
use serde::Serialize;
use time::OffsetDateTime;

use crate::{
    model::venue::VenueName,
    rules::{Fact, Finding, Reason, interval::Interval},
};

/// One reason for the colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReasonView {
    /// The spec's reason id, e.g. `high_risk_visit`.
    pub id: &'static str,
    /// The colour it gives.
    #[schema(value_type = String, example = "amber")]
    pub colour: Colour,
    /// In plain words.
    pub text: &'static str,
    /// The facts that made it hold (empty when shown again later).
    pub facts: Vec<FactView>,
}

/// A fact behind a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FactView {
    /// A health-authority record about the resident.
    Status {
        /// `close_contact`, `symptoms` ...
        kind: &'static str,
        /// From (Hong Kong time).
        start: String,
        /// To, if it has ended or will end.
        end: Option<String>,
    },
    /// A visit to a place while it was designated high-risk.
    Visit {
        /// The venue's place id.
        place: String,
        /// The venue's name in English, from the venue registry (absent if
        /// the registry does not have the venue: show the place id).
        place_name: Option<String>,
        /// The venue's name in Chinese, if the registry has one.
        place_name_zh: Option<String>,
        /// Check-in.
        check_in: String,
        /// Check-out, if recorded.
        check_out: Option<String>,
        /// The designation: from.
        designated_from: String,
        /// The designation: to (absent while still high-risk).
        designated_until: Option<String>,
    },
    /// The residential building while it was designated high-risk.
    Residence {
        /// The building's place id.
        place: String,
        /// The designation: from.
        designated_from: String,
        /// The designation: to (absent while still high-risk).
        designated_until: Option<String>,
    },
    /// An entry into Hong Kong.
    Arrival {
        /// When.
        at: String,
        /// `mainland`, `macao`, `taiwan` or `overseas`.
        origin: &'static str,
        /// `return2hk`, `come2hk`, or none.
        scheme: Option<&'static str>,
        /// `completed`, `exempted`, `ongoing` or `none`.
        quarantine: &'static str,
    },
}

fn hk(at: OffsetDateTime) -> String {
    format_hk(at)
}

fn designation(interval: Interval) -> (String, Option<String>) {
    (hk(interval.start.at), interval.end.map(|end| hk(end.at)))
}

fn fact_view(fact: &Fact<'_>, venue_names: &HashMap<String, VenueName>) -> FactView {
    match *fact {
        Fact::Status(status) => FactView::Status {
            kind: status.kind.as_str(),
            start: hk(status.start),
            end: status.end.map(hk),
        },
        Fact::Visit { visit, designated } => {
            let (designated_from, designated_until) = designation(designated);
            let name = venue_names.get(&visit.place);
            FactView::Visit {
                place: visit.place.clone(),
                place_name: name.map(|n| n.en.clone()),
                place_name_zh: name.and_then(|n| n.zh.clone()),
                check_in: hk(visit.start),
                check_out: visit.end.map(hk),
                designated_from,
                designated_until,
            }
        }
        Fact::Residence { place, designated } => {
            let (designated_from, designated_until) = designation(designated);
            FactView::Residence {
                place: place.to_owned(),
                designated_from,
                designated_until,
            }
        }
        Fact::Arrival(arrival) => FactView::Arrival {
            at: hk(arrival.at),
            origin: arrival.origin.as_str(),
            scheme: arrival.scheme.map(|s| s.as_str()),
            quarantine: arrival.quarantine.as_str(),
        },
    }
}

fn reason_view(reason: Reason, facts: Vec<FactView>) -> ReasonView {
    ReasonView {
        id: reason.as_str(),
        colour: reason.colour(),
        text: reason.plain_words(),
        facts,
    }
}

/// The reasons of `found`, most severe first, each with its facts.
pub fn explain(found: &[Finding<'_>], venue_names: &HashMap<String, VenueName>) -> Vec<ReasonView> {
    let mut by_reason: BTreeMap<Reason, Vec<FactView>> = BTreeMap::new();
    for finding in found {
        by_reason
            .entry(finding.reason)
            .or_default()
            .push(fact_view(&finding.fact, venue_names));
    }
    by_reason
        .into_iter()
        .map(|(reason, facts)| reason_view(reason, facts))
        .collect()
}

/// The reasons alone, as a stored code keeps them.
pub fn reasons_only(reasons: &BTreeSet<Reason>) -> Vec<ReasonView> {
    reasons
        .iter()
        .map(|&reason| reason_view(reason, Vec::new()))
        .collect()
}
