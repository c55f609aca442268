//! Every rule of shared/spec/colour-rules.md stated directly, on both sides
//! of each of its edges, so the engine is guarded without the vector files
//! (a mutation run found the arrival rule and the status windows guarded by
//! data files alone; see docs/testing.md).

use healthcode_issuer::rules::{
    Reason, evaluate,
    facts::{Arrival, Designation, Origin, Person, Quarantine, Scheme, Status, StatusKind, Visit},
    index::Designations,
};
use healthcode_keys::{Colour, hktime::end_of_hk_day};
use time::{Duration, OffsetDateTime, macros::datetime};

const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);
const S: Duration = Duration::SECOND;
const DAY: Duration = Duration::DAY;

fn reasons(person: &Person, designations: &[Designation]) -> Vec<Reason> {
    evaluate(person, &Designations::new(designations), NOW)
        .reasons
        .into_iter()
        .collect()
}

fn with_status(
    kind: StatusKind,
    start: OffsetDateTime,
    end: Option<OffsetDateTime>,
) -> Vec<Reason> {
    let person = Person {
        statuses: vec![Status { kind, start, end }],
        ..Person::default()
    };
    reasons(&person, &[])
}

#[test]
fn a_status_counts_from_its_start_up_to_but_not_including_its_end() {
    let statuses = [
        (StatusKind::ConfirmedCase, Reason::ConfirmedCase),
        (StatusKind::ProbableCase, Reason::ProbableCase),
        (StatusKind::CloseContact, Reason::CloseContact),
        (StatusKind::HouseholdContact, Reason::HouseholdContact),
        (
            StatusKind::CompulsoryQuarantine,
            Reason::CompulsoryQuarantine,
        ),
    ];
    for (kind, reason) in statuses {
        assert_eq!(
            with_status(kind, NOW, None),
            [reason],
            "{kind} starting now"
        );
        assert_eq!(
            with_status(kind, NOW - 90 * DAY, None),
            [reason],
            "{kind} ongoing"
        );
        assert!(
            with_status(kind, NOW + S, None).is_empty(),
            "{kind} not started"
        );
        assert_eq!(
            with_status(kind, NOW - DAY, Some(NOW + S)),
            [reason],
            "{kind} ends later"
        );
        assert!(
            with_status(kind, NOW - DAY, Some(NOW)).is_empty(),
            "{kind} ended now"
        );
    }
}

#[test]
fn a_discharge_counts_for_14_days_from_its_start() {
    let discharged = |start| with_status(StatusKind::Discharged, start, None);
    assert_eq!(discharged(NOW), [Reason::DischargedWithin14Days]);
    assert_eq!(
        discharged(NOW - 14 * DAY + S),
        [Reason::DischargedWithin14Days]
    );
    assert!(
        discharged(NOW - 14 * DAY).is_empty(),
        "exactly 14 days ago is outside"
    );
    assert!(discharged(NOW + S).is_empty(), "not yet known");
    // An end says nothing: the discharge is the instant at start.
    let ended = with_status(StatusKind::Discharged, NOW - DAY, Some(NOW - DAY + S));
    assert_eq!(ended, [Reason::DischargedWithin14Days]);
}

#[test]
fn symptoms_count_while_shown_and_for_14_days_after_they_end() {
    let symptoms = |start, end| with_status(StatusKind::Symptoms, start, end);
    assert_eq!(symptoms(NOW, None), [Reason::SymptomsWithin14Days]);
    assert_eq!(
        symptoms(NOW - 60 * DAY, None),
        [Reason::SymptomsWithin14Days],
        "still shown"
    );
    assert!(symptoms(NOW + S, None).is_empty(), "not yet known");
    let start = NOW - 30 * DAY;
    assert_eq!(
        symptoms(start, Some(NOW - 14 * DAY + S)),
        [Reason::SymptomsWithin14Days]
    );
    assert!(
        symptoms(start, Some(NOW - 14 * DAY)).is_empty(),
        "ended exactly 14 days ago"
    );
}

fn designation(place: &str, start: OffsetDateTime, end: Option<OffsetDateTime>) -> Designation {
    Designation {
        place: place.into(),
        start,
        end,
    }
}

fn visit(start: OffsetDateTime, end: Option<OffsetDateTime>) -> Person {
    Person {
        visits: vec![Visit {
            place: "venue-1".into(),
            start,
            end,
        }],
        ..Person::default()
    }
}

#[test]
fn a_visit_is_high_risk_when_it_shares_an_instant_with_a_designation_in_the_window() {
    let risky = |person: &Person, d: Designation| reasons(person, &[d]) == [Reason::HighRiskVisit];
    let hour = Duration::hours(1);
    let start = NOW - 2 * DAY;
    let stay = visit(start, Some(start + hour));
    // [start, start + 1h) against [d, ...): touching ends do not meet.
    assert!(risky(&stay, designation("venue-1", start + hour - S, None)));
    assert!(
        !risky(&stay, designation("venue-1", start + hour, None)),
        "starts as the visit ends"
    );
    assert!(risky(
        &stay,
        designation("venue-1", start - DAY, Some(start + S))
    ));
    assert!(
        !risky(&stay, designation("venue-1", start - DAY, Some(start))),
        "ends as the visit starts"
    );
    assert!(
        !risky(&stay, designation("venue-2", start - DAY, None)),
        "another place"
    );
    // A check-in without check-out is the single instant of its start.
    let instant = visit(start, None);
    assert!(risky(
        &instant,
        designation("venue-1", start, Some(start + S))
    ));
    assert!(!risky(
        &instant,
        designation("venue-1", start - DAY, Some(start))
    ));
    assert!(!risky(&instant, designation("venue-1", start + S, None)));
}

#[test]
fn a_visit_counts_only_inside_the_past_21_days() {
    let ongoing = designation("venue-1", NOW - 60 * DAY, None);
    let risky = |person: Person| {
        reasons(&person, std::slice::from_ref(&ongoing)) == [Reason::HighRiskVisit]
    };
    let edge = NOW - 21 * DAY;
    assert!(!risky(visit(edge, None)), "exactly 21 days ago is outside");
    assert!(risky(visit(edge + S, None)));
    assert!(
        !risky(visit(edge - DAY, Some(edge))),
        "a stay that ends as the window opens"
    );
    assert!(risky(visit(edge - DAY, Some(edge + S))));
    assert!(risky(visit(NOW, None)), "now is inside");
    assert!(
        !risky(visit(NOW + S, None)),
        "a visit after now is not known yet"
    );
}

#[test]
fn a_residence_is_high_risk_when_designated_within_the_past_21_days() {
    let home = |d: Designation| {
        let person = Person {
            residence: Some("bldg-1".into()),
            ..Person::default()
        };
        reasons(&person, &[d]) == [Reason::HighRiskResidence]
    };
    let edge = NOW - 21 * DAY;
    assert!(
        !home(designation("bldg-1", edge - DAY, Some(edge))),
        "ended as the window opens"
    );
    assert!(home(designation("bldg-1", edge - DAY, Some(edge + S))));
    assert!(home(designation("bldg-1", NOW, None)), "designated now");
    assert!(
        !home(designation("bldg-1", NOW + S, None)),
        "designated later"
    );
    assert!(
        !home(designation("bldg-2", NOW - DAY, None)),
        "another building"
    );
    let homeless = Person::default();
    assert!(reasons(&homeless, &[designation("bldg-1", NOW - DAY, None)]).is_empty());
}

fn arrival(
    at: OffsetDateTime,
    origin: Origin,
    scheme: Option<Scheme>,
    quarantine: Quarantine,
) -> Vec<Reason> {
    let person = Person {
        arrivals: vec![Arrival {
            at,
            origin,
            scheme,
            quarantine,
        }],
        ..Person::default()
    };
    reasons(&person, &[])
}

#[test]
fn an_arrival_counts_for_21_days() {
    let from_taiwan = |at| arrival(at, Origin::Taiwan, None, Quarantine::None);
    assert_eq!(from_taiwan(NOW), [Reason::RecentArrival]);
    assert_eq!(from_taiwan(NOW - 21 * DAY + S), [Reason::RecentArrival]);
    assert!(
        from_taiwan(NOW - 21 * DAY).is_empty(),
        "exactly 21 days ago is outside"
    );
    assert!(from_taiwan(NOW + S).is_empty(), "not yet arrived");
}

#[test]
fn only_return2hk_and_come2hk_from_the_mainland_or_macao_exempt_an_arrival() {
    let at = NOW - DAY;
    for origin in Origin::ALL.iter().copied() {
        for scheme in [None, Some(Scheme::Return2hk), Some(Scheme::Come2hk)] {
            let exempt = matches!(origin, Origin::Mainland | Origin::Macao) && scheme.is_some();
            for quarantine in Quarantine::ALL.iter().copied() {
                let found = arrival(at, origin, scheme, quarantine);
                let expected: &[Reason] = if exempt {
                    &[]
                } else {
                    &[Reason::RecentArrival]
                };
                assert_eq!(found, expected, "{origin} {scheme:?} {quarantine}");
            }
        }
    }
}

#[test]
fn red_wins_over_amber_and_no_reason_is_green_until_the_end_of_the_hong_kong_day() {
    let person = Person {
        statuses: vec![Status {
            kind: StatusKind::CloseContact,
            start: NOW - DAY,
            end: None,
        }],
        arrivals: vec![Arrival {
            at: NOW - DAY,
            origin: Origin::Overseas,
            scheme: None,
            quarantine: Quarantine::Completed,
        }],
        ..Person::default()
    };
    let both = evaluate(&person, &Designations::default(), NOW);
    assert_eq!(both.colour, Colour::Red);
    assert_eq!(both.reasons.len(), 2);
    assert_eq!(both.valid_until, end_of_hk_day(NOW));
    let green = evaluate(&Person::default(), &Designations::default(), NOW);
    assert_eq!((green.colour, green.reasons.len()), (Colour::Green, 0));
    // 16:30 UTC is already the next day in Hong Kong.
    let late = datetime!(2022-12-10 16:30 UTC);
    let next_day = evaluate(&Person::default(), &Designations::default(), late);
    assert_eq!(next_day.valid_until, datetime!(2022-12-11 23:59:59 +8));
}

#[test]
fn each_reason_has_its_spec_id_its_colour_and_its_own_plain_words() {
    let red = [
        Reason::ConfirmedCase,
        Reason::ProbableCase,
        Reason::CloseContact,
        Reason::HouseholdContact,
        Reason::CompulsoryQuarantine,
        Reason::DischargedWithin14Days,
        Reason::SymptomsWithin14Days,
    ];
    let mut words = std::collections::BTreeSet::new();
    for reason in Reason::ALL.iter().copied() {
        // Stored codes keep their reasons as these ids and read them back.
        assert_eq!(Reason::from_name(reason.as_str()), Some(reason));
        let expected = if red.contains(&reason) {
            Colour::Red
        } else {
            Colour::Amber
        };
        assert_eq!(reason.colour(), expected, "{reason}");
        let text = reason.plain_words();
        assert!(text.ends_with('.') && text.len() > 20, "{reason}: {text}");
        assert!(words.insert(text), "{reason} shares its words");
        let window = if expected == Colour::Amber {
            "21 days"
        } else {
            "14 days"
        };
        if reason.as_str().contains("days") || expected == Colour::Amber {
            assert!(text.contains(window), "{reason}: {text}");
        }
    }
    assert_eq!(Reason::from_name("covid"), None);
}
