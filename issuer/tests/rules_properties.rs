//! Properties of the colour rules over random facts (proptest).

use healthcode_issuer::{
    rules::{
        Reason, evaluate,
        facts::{
            Arrival, Designation, Origin, Person, Quarantine, Scheme, Status, StatusKind, Visit,
        },
        index::Designations,
    },
    vectors::evaluate_vector,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use time::{
    Duration, OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339, macros::datetime,
};

const NOW: OffsetDateTime = datetime!(2022-12-10 01:00 UTC);
const PLACES: [&str; 5] = ["p0", "p1", "p2", "p3", "p4"];

fn instant() -> impl Strategy<Value = OffsetDateTime> {
    // 40 days before NOW to 2 days after, to the second.
    (-40 * 86_400i64..2 * 86_400).prop_map(|s| NOW + Duration::seconds(s))
}

fn span(ended: bool) -> impl Strategy<Value = (OffsetDateTime, Option<OffsetDateTime>)> {
    let end = if ended {
        (0i64..10 * 86_400).prop_map(Some).boxed()
    } else {
        proptest::option::of(0i64..10 * 86_400).boxed()
    };
    (instant(), end).prop_map(|(start, len)| (start, len.map(|l| start + Duration::seconds(l))))
}

fn status(ended: bool) -> impl Strategy<Value = Status> {
    let kinds = prop_oneof![
        Just(StatusKind::ConfirmedCase),
        Just(StatusKind::ProbableCase),
        Just(StatusKind::CloseContact),
        Just(StatusKind::HouseholdContact),
        Just(StatusKind::CompulsoryQuarantine),
        Just(StatusKind::Discharged),
        Just(StatusKind::Symptoms),
    ];
    (kinds, span(ended)).prop_map(|(kind, (start, end))| Status { kind, start, end })
}

fn place() -> impl Strategy<Value = String> {
    proptest::sample::select(&PLACES[..]).prop_map(str::to_owned)
}

fn visit() -> impl Strategy<Value = Visit> {
    (place(), span(false)).prop_map(|(place, (start, end))| Visit { place, start, end })
}

fn designation(ended: bool) -> impl Strategy<Value = Designation> {
    (place(), span(ended)).prop_map(|(place, (start, end))| Designation { place, start, end })
}

fn arrival() -> impl Strategy<Value = Arrival> {
    let origin = prop_oneof![
        Just(Origin::Mainland),
        Just(Origin::Macao),
        Just(Origin::Taiwan),
        Just(Origin::Overseas)
    ];
    let scheme = proptest::option::of(prop_oneof![Just(Scheme::Return2hk), Just(Scheme::Come2hk)]);
    let quarantine = prop_oneof![
        Just(Quarantine::Completed),
        Just(Quarantine::Exempted),
        Just(Quarantine::Ongoing),
        Just(Quarantine::None)
    ];
    (instant(), origin, scheme, quarantine).prop_map(|(at, origin, scheme, quarantine)| Arrival {
        at,
        origin,
        scheme,
        quarantine,
    })
}

fn person(ended: bool) -> impl Strategy<Value = Person> {
    (
        proptest::collection::vec(status(ended), 0..4),
        proptest::option::of(place()),
        proptest::collection::vec(visit(), 0..6),
        proptest::collection::vec(arrival(), 0..3),
    )
        .prop_map(|(statuses, residence, visits, arrivals)| Person {
            statuses,
            residence,
            visits,
            arrivals,
        })
}

/// One more fact of any kind.
#[derive(Debug, Clone)]
enum Fact {
    Status(Status),
    Residence(String),
    Visit(Visit),
    Arrival(Arrival),
    Designation(Designation),
}

fn fact() -> impl Strategy<Value = Fact> {
    prop_oneof![
        status(false).prop_map(Fact::Status),
        place().prop_map(Fact::Residence),
        visit().prop_map(Fact::Visit),
        arrival().prop_map(Fact::Arrival),
        designation(false).prop_map(Fact::Designation),
    ]
}

fn latest_instant(person: &Person, designations: &[Designation]) -> OffsetDateTime {
    let statuses = person.statuses.iter().flat_map(|s| [Some(s.start), s.end]);
    let visits = person.visits.iter().flat_map(|v| [Some(v.start), v.end]);
    let arrivals = person.arrivals.iter().map(|a| Some(a.at));
    let designated = designations.iter().flat_map(|d| [Some(d.start), d.end]);
    statuses
        .chain(visits)
        .chain(arrivals)
        .chain(designated)
        .flatten()
        .max()
        .unwrap_or(NOW)
}

fn text(at: OffsetDateTime, offset_hours: i8) -> String {
    let offset = UtcOffset::from_hms(offset_hours, 0, 0).unwrap_or(UtcOffset::UTC);
    at.to_offset(offset).format(&Rfc3339).unwrap_or_default()
}

/// The vector JSON of a case, each timestamp written at the next offset of `offsets`.
fn to_vector(
    person: &Person,
    designations: &[Designation],
    now: OffsetDateTime,
    offsets: &[i8],
) -> Value {
    let mut cycle = offsets.iter().copied().cycle();
    let mut t = |at: OffsetDateTime| text(at, cycle.next().unwrap_or(8));
    let statuses: Vec<Value> = person
        .statuses
        .iter()
        .map(|s| {
            let kind = match s.kind {
                StatusKind::ConfirmedCase => "confirmed_case",
                StatusKind::ProbableCase => "probable_case",
                StatusKind::CloseContact => "close_contact",
                StatusKind::HouseholdContact => "household_contact",
                StatusKind::CompulsoryQuarantine => "compulsory_quarantine",
                StatusKind::Discharged => "discharged",
                StatusKind::Symptoms => "symptoms",
            };
            json!({"kind": kind, "start": t(s.start), "end": s.end.map(&mut t)})
        })
        .collect();
    let visits: Vec<Value> = person
        .visits
        .iter()
        .map(|v| json!({"place": v.place, "start": t(v.start), "end": v.end.map(&mut t)}))
        .collect();
    let arrivals: Vec<Value> = person
        .arrivals
        .iter()
        .map(|a| {
            let origin = match a.origin {
                Origin::Mainland => "mainland",
                Origin::Macao => "macao",
                Origin::Taiwan => "taiwan",
                Origin::Overseas => "overseas",
            };
            let scheme = a.scheme.map(|s| match s {
                Scheme::Return2hk => "return2hk",
                Scheme::Come2hk => "come2hk",
            });
            let quarantine = match a.quarantine {
                Quarantine::Completed => "completed",
                Quarantine::Exempted => "exempted",
                Quarantine::Ongoing => "ongoing",
                Quarantine::None => "none",
            };
            json!({"at": t(a.at), "origin": origin, "scheme": scheme, "quarantine": quarantine})
        })
        .collect();
    let high_risk: Vec<Value> = designations
        .iter()
        .map(|d| json!({"place": d.place, "start": t(d.start), "end": d.end.map(&mut t)}))
        .collect();
    json!({
        "name": "property",
        "now": t(now),
        "person": {"statuses": statuses, "residence": person.residence, "visits": visits, "arrivals": arrivals},
        "high_risk": high_risk,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_a_fact_never_makes_the_colour_less_severe(
        person in person(false),
        designations in proptest::collection::vec(designation(false), 0..6),
        fact in fact(),
    ) {
        let before = evaluate(&person, &Designations::new(&designations), NOW);
        let (mut person, mut designations) = (person, designations);
        match fact {
            Fact::Status(s) => person.statuses.push(s),
            Fact::Residence(p) => { person.residence.get_or_insert(p); }
            Fact::Visit(v) => person.visits.push(v),
            Fact::Arrival(a) => person.arrivals.push(a),
            Fact::Designation(d) => designations.push(d),
        }
        let after = evaluate(&person, &Designations::new(&designations), NOW);
        prop_assert!(after.colour >= before.colour, "{:?} -> {:?}", before, after);
        prop_assert!(after.reasons.is_superset(&before.reasons), "{:?} -> {:?}", before, after);
    }

    #[test]
    fn more_than_21_days_after_every_record_ended_is_green(
        person in person(true),
        designations in proptest::collection::vec(designation(true), 0..6),
        extra in 1i64..30 * 86_400,
    ) {
        let now = latest_instant(&person, &designations) + Duration::days(21) + Duration::seconds(extra);
        let result = evaluate(&person, &Designations::new(&designations), now);
        prop_assert!(result.reasons.is_empty(), "{:?}", result);
    }

    #[test]
    fn order_of_records_does_not_matter(
        person in person(false),
        designations in proptest::collection::vec(designation(false), 0..6),
        seed in any::<u64>(),
    ) {
        let expected = evaluate(&person, &Designations::new(&designations), NOW);
        let mut shuffled = person.clone();
        let mut designations = designations;
        let mut rng = seed;
        let mut next = || { rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (rng >> 33) as usize };
        let (visit_turn, designation_turn) = (next() % shuffled.visits.len().max(1), next() % designations.len().max(1));
        shuffled.statuses.reverse();
        shuffled.visits.rotate_left(visit_turn);
        shuffled.arrivals.reverse();
        designations.rotate_right(designation_turn);
        designations.reverse();
        prop_assert_eq!(evaluate(&shuffled, &Designations::new(&designations), NOW), expected);
    }

    #[test]
    fn offsets_used_to_write_instants_do_not_matter(
        person in person(false),
        designations in proptest::collection::vec(designation(false), 0..6),
        offsets in proptest::collection::vec(-12i8..=14, 1..8),
    ) {
        let in_hong_kong = evaluate_vector(&to_vector(&person, &designations, NOW, &[8]));
        let elsewhere = evaluate_vector(&to_vector(&person, &designations, NOW, &offsets));
        let direct = evaluate(&person, &Designations::new(&designations), NOW);
        prop_assert_eq!(in_hong_kong.ok(), Some(direct.clone()));
        prop_assert_eq!(elsewhere.ok(), Some(direct));
    }
}

/// Seconds from 40 days before NOW to 2 days after: every edge and either side.
fn age() -> impl Strategy<Value = i64> {
    -2 * 86_400i64..40 * 86_400
}

const DAYS_14: i64 = 14 * 86_400;
const DAYS_21: i64 = 21 * 86_400;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The recent-arrival rule, stated as the spec states it.
    #[test]
    fn an_arrival_is_recent_within_21_days_unless_exempt(
        arrival in arrival(),
        age in age(),
    ) {
        let arrival = Arrival { at: NOW - Duration::seconds(age), ..arrival };
        let person = Person { arrivals: vec![arrival.clone()], ..Person::default() };
        let exempt = matches!(arrival.origin, Origin::Mainland | Origin::Macao) && arrival.scheme.is_some();
        let recent = (0..DAYS_21).contains(&age) && !exempt;
        let found = evaluate(&person, &Designations::default(), NOW).reasons;
        prop_assert_eq!(found.contains(&Reason::RecentArrival), recent, "{:?}", arrival);
    }

    /// Each status rule, stated as the spec states it.
    #[test]
    fn a_status_holds_exactly_in_its_window(status in status(false), age in age(), length in proptest::option::of(0i64..40 * 86_400)) {
        let start = NOW - Duration::seconds(age);
        let end = length.map(|l| start + Duration::seconds(l));
        let status = Status { start, end, ..status };
        let person = Person { statuses: vec![status.clone()], ..Person::default() };
        let found = evaluate(&person, &Designations::default(), NOW).reasons;
        let started = age >= 0;
        let expected = match status.kind {
            StatusKind::Discharged => (started && age < DAYS_14).then_some(Reason::DischargedWithin14Days),
            StatusKind::Symptoms => (started && end.is_none_or(|e| e > NOW - Duration::seconds(DAYS_14)))
                .then_some(Reason::SymptomsWithin14Days),
            kind => (started && end.is_none_or(|e| NOW < e)).then_some(match kind {
                StatusKind::ConfirmedCase => Reason::ConfirmedCase,
                StatusKind::ProbableCase => Reason::ProbableCase,
                StatusKind::CloseContact => Reason::CloseContact,
                StatusKind::HouseholdContact => Reason::HouseholdContact,
                _ => Reason::CompulsoryQuarantine,
            }),
        };
        prop_assert_eq!(found.into_iter().collect::<Vec<_>>(), expected.into_iter().collect::<Vec<_>>(), "{:?}", status);
    }

    /// The residence rule: a designation of the building that shares an
    /// instant with (NOW − 21 days, NOW].
    #[test]
    fn a_residence_is_high_risk_exactly_when_its_designation_meets_the_window(
        age in age(), length in proptest::option::of(1i64..40 * 86_400),
    ) {
        let start = NOW - Duration::seconds(age);
        let end = length.map(|l| start + Duration::seconds(l));
        let person = Person { residence: Some("home".into()), ..Person::default() };
        let designation = Designation { place: "home".into(), start, end };
        let found = evaluate(&person, &Designations::new(&[designation]), NOW).reasons;
        let opens = NOW - Duration::seconds(DAYS_21);
        let meets = start <= NOW && end.is_none_or(|e| e > opens);
        prop_assert_eq!(found.contains(&Reason::HighRiskResidence), meets);
    }
}
