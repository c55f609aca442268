//! The hand-written colour-rule cases, by file. Expectations come from the
//! spec alone; each case name says which rule and which side of which edge.

use time::Duration;

use crate::colour_vectors::{Case, at, at_in, case, d, h, s};

const ACTIVE_KINDS: [&str; 5] = [
    "confirmed_case",
    "probable_case",
    "close_contact",
    "household_contact",
    "compulsory_quarantine",
];

fn zero() -> Duration {
    Duration::ZERO
}

/// Every file with its cases.
pub fn all() -> Vec<(&'static str, Vec<Case>)> {
    vec![
        ("statuses", statuses()),
        ("discharged-and-symptoms", discharged_and_symptoms()),
        ("visits", visits()),
        ("residence", residence()),
        ("arrivals", arrivals()),
        ("validity-and-offsets", validity_and_offsets()),
        ("precedence-and-combinations", precedence()),
        ("bad-input", bad_input()),
    ]
}

fn statuses() -> Vec<Case> {
    let mut cases = Vec::new();
    for kind in ACTIVE_KINDS {
        let red = |c: Case| c.expect("red", &[kind]);
        cases.extend([
            red(case(&format!("{kind}: ongoing is red")).status(kind, &at(-d(2)), None)),
            red(case(&format!(
                "{kind}: starting exactly now is red (start <= now)"
            ))
            .status(kind, &at(zero()), None)),
            case(&format!(
                "{kind}: starting one second after now is not known yet"
            ))
            .status(kind, &at(s(1)), None),
            case(&format!(
                "{kind}: ending exactly now is over (now < end fails)"
            ))
            .status(kind, &at(-d(5)), Some(&at(zero()))),
            red(case(&format!(
                "{kind}: ending one second after now is still active"
            ))
            .status(kind, &at(-d(5)), Some(&at(s(1))))),
            case(&format!("{kind}: ended a month ago is green")).status(
                kind,
                &at(-d(40)),
                Some(&at(-d(30))),
            ),
            red(
                case(&format!("{kind}: started a year ago and ongoing is red")).status(
                    kind,
                    &at(-d(365)),
                    None,
                ),
            ),
        ]);
    }
    cases
}

fn discharged_and_symptoms() -> Vec<Case> {
    let discharged = |name: &str, start: Duration, end: Option<Duration>| {
        case(name).status("discharged", &at(start), end.map(at).as_deref())
    };
    let symptoms = |name: &str, start: Duration, end: Option<Duration>| {
        case(name).status("symptoms", &at(start), end.map(at).as_deref())
    };
    let red_d = |c: Case| c.expect("red", &["discharged_within_14_days"]);
    let red_s = |c: Case| c.expect("red", &["symptoms_within_14_days"]);
    vec![
        red_d(discharged("discharged 13 days ago is red", -d(13), None)),
        discharged(
            "discharged exactly 14 days ago is green (window is open at its start)",
            -d(14),
            None,
        ),
        red_d(discharged(
            "discharged 14 days less one second ago is red",
            -d(14) + s(1),
            None,
        )),
        red_d(discharged("discharged exactly now is red", zero(), None)),
        discharged(
            "discharged one second after now is not known yet",
            s(1),
            None,
        ),
        discharged("discharged 30 days ago is green", -d(30), None),
        red_d(discharged(
            "a discharge's end does not matter, its start does",
            -d(3),
            Some(-d(2)),
        )),
        red_s(symptoms(
            "symptoms since 30 days and ongoing are red",
            -d(30),
            None,
        )),
        red_s(symptoms(
            "symptoms starting exactly now are red",
            zero(),
            None,
        )),
        symptoms(
            "symptoms starting one second after now are not known yet",
            s(1),
            None,
        ),
        symptoms(
            "symptoms that ended exactly 14 days ago are green (end > now - 14 days fails)",
            -d(20),
            Some(-d(14)),
        ),
        red_s(symptoms(
            "symptoms that ended 14 days less one second ago are red",
            -d(20),
            Some(-d(14) + s(1)),
        )),
        red_s(symptoms(
            "symptoms that ended yesterday are red",
            -d(3),
            Some(-d(1)),
        )),
        symptoms(
            "symptoms that ended 20 days ago are green",
            -d(25),
            Some(-d(20)),
        ),
        red_s(symptoms(
            "symptoms ending in the future are red",
            -d(1),
            Some(d(2)),
        )),
    ]
}

fn visits() -> Vec<Case> {
    let amber = |c: Case| c.expect("amber", &["high_risk_visit"]);
    let v = "venue-0001";
    vec![
        amber(
            case("visit while the place is high-risk")
                .visit(v, &at(-d(2)), Some(&at(-d(2) + h(1))))
                .high_risk(v, &at(-d(3)), None),
        ),
        case("visit before the place became high-risk")
            .visit(v, &at(-d(5)), Some(&at(-d(5) + h(1))))
            .high_risk(v, &at(-d(3)), None),
        case("visit ending exactly when the designation starts shares no instant")
            .visit(v, &at(-d(3) - h(1)), Some(&at(-d(3))))
            .high_risk(v, &at(-d(3)), None),
        amber(
            case("visit ending one second after the designation starts")
                .visit(v, &at(-d(3) - h(1)), Some(&at(-d(3) + s(1))))
                .high_risk(v, &at(-d(3)), None),
        ),
        case("designation ending exactly when the visit starts shares no instant")
            .visit(v, &at(-d(2)), Some(&at(-d(2) + h(1))))
            .high_risk(v, &at(-d(4)), Some(&at(-d(2)))),
        amber(
            case("designation ending one second after the visit starts")
                .visit(v, &at(-d(2)), Some(&at(-d(2) + h(1))))
                .high_risk(v, &at(-d(4)), Some(&at(-d(2) + s(1)))),
        ),
        amber(
            case("check-in without check-out at the instant the designation starts")
                .visit(v, &at(-d(3)), None)
                .high_risk(v, &at(-d(3)), None),
        ),
        case("check-in without check-out one second before the designation starts")
            .visit(v, &at(-d(3) - s(1)), None)
            .high_risk(v, &at(-d(3)), None),
        case("check-in without check-out at the instant the designation ends")
            .visit(v, &at(-d(2)), None)
            .high_risk(v, &at(-d(4)), Some(&at(-d(2)))),
        amber(
            case("retroactive designation made today covers a visit ten days ago")
                .visit(v, &at(-d(10)), Some(&at(-d(10) + h(2))))
                .high_risk(v, &at(-d(12)), Some(&at(-d(8)))),
        ),
        case("check-in exactly 21 days ago is outside the window")
            .visit(v, &at(-d(21)), None)
            .high_risk(v, &at(-d(30)), None),
        amber(
            case("check-in 21 days less one second ago is inside the window")
                .visit(v, &at(-d(21) + s(1)), None)
                .high_risk(v, &at(-d(30)), None),
        ),
        case("visit ending exactly at the window's start")
            .visit(v, &at(-d(22)), Some(&at(-d(21))))
            .high_risk(v, &at(-d(30)), None),
        amber(
            case("visit ending one second into the window")
                .visit(v, &at(-d(22)), Some(&at(-d(21) + s(1))))
                .high_risk(v, &at(-d(30)), None),
        ),
        case("visit and designation overlap only before the window")
            .visit(v, &at(-d(25)), Some(&at(-d(20))))
            .high_risk(v, &at(-d(25)), Some(&at(-d(22)))),
        amber(
            case("visit and designation overlap inside the window only")
                .visit(v, &at(-d(25)), Some(&at(-d(19))))
                .high_risk(v, &at(-d(22)), Some(&at(-d(20)))),
        ),
        case("designation ending exactly at the window's start")
            .visit(v, &at(-d(25)), Some(&at(-d(1))))
            .high_risk(v, &at(-d(25)), Some(&at(-d(21)))),
        case("designation of another place")
            .visit(v, &at(-d(2)), None)
            .high_risk("venue-0002", &at(-d(3)), None),
        case("place ids match exactly, case included")
            .visit("VENUE-0001", &at(-d(2)), None)
            .high_risk(v, &at(-d(3)), None),
        case("visit starting after now is not known yet")
            .visit(v, &at(h(1)), Some(&at(h(2))))
            .high_risk(v, &at(-d(3)), None),
        amber(
            case("visit in progress when a designation starts now")
                .visit(v, &at(-h(1)), Some(&at(h(1))))
                .high_risk(v, &at(zero()), None),
        ),
        case("designation starting after now is not known yet")
            .visit(v, &at(-h(1)), Some(&at(h(2))))
            .high_risk(v, &at(h(1)), None),
        case("a visit of zero length [t, t) holds no instant")
            .visit(v, &at(-d(2)), Some(&at(-d(2))))
            .high_risk(v, &at(-d(3)), None),
        amber(
            case("one visit of many matches")
                .visit("venue-0003", &at(-d(5)), None)
                .visit("venue-0004", &at(-d(4)), None)
                .visit(v, &at(-d(3)), Some(&at(-d(3) + h(1))))
                .high_risk(v, &at(-d(3) + h(1) - s(1)), Some(&at(-d(1)))),
        ),
        case("check-in only, now, with a designation ending now")
            .visit(v, &at(zero()), None)
            .high_risk(v, &at(-d(1)), Some(&at(zero()))),
        amber(
            case("check-in only, now, with an ongoing designation")
                .visit(v, &at(zero()), None)
                .high_risk(v, &at(-d(1)), None),
        ),
        amber(
            case("several designations of the place, the second matches")
                .visit(v, &at(-d(2)), None)
                .high_risk(v, &at(-d(20)), Some(&at(-d(15))))
                .high_risk(v, &at(-d(3)), Some(&at(-d(1)))),
        ),
    ]
}

fn residence() -> Vec<Case> {
    let amber = |c: Case| c.expect("amber", &["high_risk_residence"]);
    let b = "bldg-kwun-tong-001";
    vec![
        amber(case("residence designated now").residence(b).high_risk(
            b,
            &at(-d(5)),
            Some(&at(d(2))),
        )),
        case("no residence, whatever is designated").high_risk(b, &at(-d(5)), None),
        case("residence designation that ended exactly 21 days ago")
            .residence(b)
            .high_risk(b, &at(-d(30)), Some(&at(-d(21)))),
        amber(
            case("residence designation that ended 21 days less one second ago")
                .residence(b)
                .high_risk(b, &at(-d(30)), Some(&at(-d(21) + s(1)))),
        ),
        case("residence designated from one second after now")
            .residence(b)
            .high_risk(b, &at(s(1)), None),
        amber(
            case("residence designated from exactly now")
                .residence(b)
                .high_risk(b, &at(zero()), None),
        ),
        case("another building is designated")
            .residence(b)
            .high_risk("bldg-sha-tin-002", &at(-d(5)), None),
        amber(
            case("residence designated for one hour ten days ago")
                .residence(b)
                .high_risk(b, &at(-d(10)), Some(&at(-d(10) + h(1)))),
        ),
        case("residence and visit both high-risk")
            .residence(b)
            .visit("venue-9", &at(-d(2)), None)
            .high_risk(b, &at(-d(5)), None)
            .high_risk("venue-9", &at(-d(3)), None)
            .expect("amber", &["high_risk_residence", "high_risk_visit"]),
        case("a visit to the residence's building is a visit only if recorded")
            .residence("bldg-other")
            .visit(b, &at(-d(40)), None)
            .high_risk(b, &at(-d(50)), Some(&at(-d(30)))),
    ]
}

fn arrivals() -> Vec<Case> {
    let amber = |c: Case| c.expect("amber", &["recent_arrival"]);
    let arrive =
        |name: &str, when: Duration, origin: &str, scheme: Option<&str>, quarantine: &str| {
            case(name).arrival(&at(when), origin, scheme, quarantine)
        };
    vec![
        amber(arrive(
            "overseas arrival 10 days ago after completed quarantine",
            -d(10),
            "overseas",
            None,
            "completed",
        )),
        arrive(
            "overseas arrival exactly 21 days ago",
            -d(21),
            "overseas",
            None,
            "completed",
        ),
        amber(arrive(
            "overseas arrival 21 days less one second ago",
            -d(21) + s(1),
            "overseas",
            None,
            "completed",
        )),
        amber(arrive(
            "arrival exactly now",
            zero(),
            "overseas",
            None,
            "ongoing",
        )),
        arrive(
            "arrival one second after now is not known yet",
            s(1),
            "overseas",
            None,
            "none",
        ),
        arrive(
            "Return2hk from the Mainland is exempt",
            -d(5),
            "mainland",
            Some("return2hk"),
            "exempted",
        ),
        arrive(
            "Come2hk from the Mainland is exempt",
            -d(5),
            "mainland",
            Some("come2hk"),
            "exempted",
        ),
        arrive(
            "Return2hk from Macao is exempt",
            -d(5),
            "macao",
            Some("return2hk"),
            "exempted",
        ),
        arrive(
            "Come2hk from Macao is exempt",
            -d(5),
            "macao",
            Some("come2hk"),
            "none",
        ),
        amber(arrive(
            "from the Mainland without a scheme",
            -d(5),
            "mainland",
            None,
            "completed",
        )),
        amber(arrive(
            "from Macao without a scheme",
            -d(5),
            "macao",
            None,
            "none",
        )),
        amber(arrive(
            "from Taiwan under Return2hk is not exempt",
            -d(5),
            "taiwan",
            Some("return2hk"),
            "exempted",
        )),
        amber(arrive(
            "from overseas under Come2hk is not exempt",
            -d(5),
            "overseas",
            Some("come2hk"),
            "exempted",
        )),
        amber(arrive(
            "exempted from quarantine does not exempt the code",
            -d(5),
            "overseas",
            None,
            "exempted",
        )),
        amber(arrive(
            "quarantine ongoing after arrival (no status record)",
            -d(2),
            "overseas",
            None,
            "ongoing",
        )),
        amber(
            case("one exempt and one not")
                .arrival(&at(-d(3)), "mainland", Some("return2hk"), "exempted")
                .arrival(&at(-d(8)), "overseas", None, "completed"),
        ),
        case("two exempt arrivals")
            .arrival(&at(-d(3)), "mainland", Some("return2hk"), "exempted")
            .arrival(&at(-d(8)), "macao", Some("come2hk"), "exempted"),
        case("an old overseas arrival and a recent exempt one")
            .arrival(&at(-d(60)), "overseas", None, "completed")
            .arrival(&at(-d(1)), "macao", Some("return2hk"), "none"),
    ]
}

fn validity_and_offsets() -> Vec<Case> {
    vec![
        case("00:30 in Hong Kong is the next Hong Kong day")
            .now("2022-12-10T16:30:00Z")
            .until("2022-12-11T23:59:59+08:00"),
        case("23:59:59 in Hong Kong is still that day")
            .now("2022-12-10T15:59:59Z")
            .until("2022-12-10T23:59:59+08:00"),
        case("midnight in Hong Kong starts the next day")
            .now("2022-12-10T16:00:00Z")
            .until("2022-12-11T23:59:59+08:00"),
        case("the last second of the day, written at +08:00")
            .now("2022-12-10T23:59:59+08:00")
            .until("2022-12-10T23:59:59+08:00"),
        case("the first second of the day, written at +08:00")
            .now("2022-12-11T00:00:00+08:00")
            .until("2022-12-11T23:59:59+08:00"),
        case("now written at -05:00 (16:30Z)")
            .now("2022-12-10T11:30:00-05:00")
            .until("2022-12-11T23:59:59+08:00"),
        case("now written at +09:00 (still 10 December in Hong Kong)")
            .now("2022-12-11T00:30:00+09:00")
            .until("2022-12-10T23:59:59+08:00"),
        case("New Year's Eve 16:00Z is New Year's Day in Hong Kong")
            .now("2022-12-31T16:00:00Z")
            .until("2023-01-01T23:59:59+08:00"),
        case("leap day")
            .now("2024-02-28T20:00:00Z")
            .until("2024-02-29T23:59:59+08:00"),
        case("fractional seconds in now").now("2022-12-10T09:00:00.999+08:00"),
        case("a close contact starting one second after now, written in UTC").status(
            "close_contact",
            &at_in(s(1), 0),
            None,
        ),
        case("a close contact starting exactly now, written in UTC")
            .status("close_contact", &at_in(zero(), 0), None)
            .expect("red", &["close_contact"]),
        case("a close contact starting half a second after now").status(
            "close_contact",
            "2022-12-10T01:00:00.5Z",
            None,
        ),
        case("discharged exactly 14 days ago, written at -03:00").status(
            "discharged",
            &at_in(-d(14), -3),
            None,
        ),
        case("discharged 14 days less one second ago, written at -03:00")
            .status("discharged", &at_in(-d(14) + s(1), -3), None)
            .expect("red", &["discharged_within_14_days"]),
        case("arrival exactly 21 days ago, written in UTC").arrival(
            &at_in(-d(21), 0),
            "overseas",
            None,
            "completed",
        ),
        case("arrival 21 days less one second ago, written at +05:00")
            .arrival(&at_in(-d(21) + s(1), 5), "overseas", None, "completed")
            .expect("amber", &["recent_arrival"]),
        case("visit and designation written in different offsets")
            .visit("venue-1", &at_in(-d(3), -8), None)
            .high_risk("venue-1", &at_in(-d(3), 0), Some(&at_in(-d(2), 9)))
            .expect("amber", &["high_risk_visit"]),
        case("lowercase t and z are RFC 3339 too").now("2022-12-10t01:00:00z"),
    ]
}

fn precedence() -> Vec<Case> {
    let v = "venue-7";
    vec![
        case("red wins over amber, both reasons kept")
            .status("probable_case", &at(-d(1)), None)
            .arrival(&at(-d(9)), "overseas", None, "none")
            .expect("red", &["probable_case", "recent_arrival"]),
        case("two reds")
            .status("confirmed_case", &at(-d(1)), None)
            .status("symptoms", &at(-d(2)), None)
            .expect("red", &["confirmed_case", "symptoms_within_14_days"]),
        case("every amber reason at once")
            .residence("bldg-1")
            .visit(v, &at(-d(2)), None)
            .arrival(&at(-d(3)), "taiwan", None, "completed")
            .high_risk("bldg-1", &at(-d(4)), None)
            .high_risk(v, &at(-d(4)), None)
            .expect(
                "amber",
                &["high_risk_residence", "high_risk_visit", "recent_arrival"],
            ),
        case("an ended red and an active amber is amber")
            .status("close_contact", &at(-d(10)), Some(&at(-d(3))))
            .arrival(&at(-d(3)), "overseas", None, "completed")
            .expect("amber", &["recent_arrival"]),
        case("the same kind twice, one active, gives one reason")
            .status("close_contact", &at(-d(30)), Some(&at(-d(20))))
            .status("close_contact", &at(-d(1)), None)
            .expect("red", &["close_contact"]),
        case("many records, none counting, is green")
            .status("close_contact", &at(-d(60)), Some(&at(-d(50))))
            .status("discharged", &at(-d(15)), None)
            .status("symptoms", &at(-d(40)), Some(&at(-d(15))))
            .residence("bldg-2")
            .visit(v, &at(-d(30)), None)
            .visit("venue-8", &at(-d(2)), None)
            .arrival(&at(-d(2)), "mainland", Some("return2hk"), "exempted")
            .arrival(&at(-d(22)), "overseas", None, "completed")
            .high_risk(v, &at(-d(31)), Some(&at(-d(29))))
            .high_risk("bldg-2", &at(-d(60)), Some(&at(-d(22)))),
        case("every reason at once")
            .status("confirmed_case", &at(-d(1)), None)
            .status("probable_case", &at(-d(1)), None)
            .status("close_contact", &at(-d(1)), None)
            .status("household_contact", &at(-d(1)), None)
            .status("compulsory_quarantine", &at(-d(1)), None)
            .status("discharged", &at(-d(1)), None)
            .status("symptoms", &at(-d(1)), None)
            .residence("bldg-3")
            .visit(v, &at(-d(2)), None)
            .arrival(&at(-d(2)), "overseas", None, "ongoing")
            .high_risk(v, &at(-d(3)), None)
            .high_risk("bldg-3", &at(-d(3)), None)
            .expect(
                "red",
                &[
                    "confirmed_case",
                    "probable_case",
                    "close_contact",
                    "household_contact",
                    "compulsory_quarantine",
                    "discharged_within_14_days",
                    "symptoms_within_14_days",
                    "high_risk_visit",
                    "high_risk_residence",
                    "recent_arrival",
                ],
            ),
        month_of_visits(false),
        month_of_visits(true),
        case("unknown extra fields are ignored")
            .status("close_contact", &at(-d(1)), None)
            .raw(|v| {
                v["comment"] = "extra".into();
                v["person"]["nickname"] = "extra".into();
                v["person"]["statuses"][0]["source"] = "extra".into();
            })
            .expect("red", &["close_contact"]),
    ]
}

/// 31 days x 20 visits; with `hit`, one of them is to a designated venue.
fn month_of_visits(hit: bool) -> Case {
    let name = if hit {
        "a month of visits, one high-risk"
    } else {
        "a month of visits, none high-risk"
    };
    let mut c = case(name);
    for day in 0..31 {
        for i in 0..20 {
            let start = -d(day) - h(i64::from(i) % 12) - h(1);
            c = c.visit(
                &format!("venue-{day:02}-{i:02}"),
                &at(start),
                Some(&at(start + Duration::minutes(30))),
            );
        }
    }
    for i in 0..50 {
        c = c.high_risk(&format!("venue-elsewhere-{i}"), &at(-d(10)), None);
    }
    if hit {
        c = c
            .high_risk("venue-05-07", &at(-d(6)), None)
            .expect("amber", &["high_risk_visit"]);
    }
    c
}

fn bad_input() -> Vec<Case> {
    let bad = |name: &str| case(name).error();
    vec![
        bad("now without an offset").now("2022-12-10T09:00:00"),
        bad("now that is not a timestamp").now("yesterday"),
        bad("now as a date only").now("2022-12-10"),
        bad("now as a number").raw(|v| v["now"] = 1670634000.into()),
        bad("now missing").raw(|v| drop(v.as_object_mut().map(|o| o.remove("now")))),
        bad("status start without an offset").status("close_contact", "2022-12-09T10:00:00", None),
        bad("status end unparseable").status("close_contact", &at(-d(1)), Some("soon")),
        bad("visit start without an offset").visit("venue-1", "2022-12-09T10:00:00", None),
        bad("arrival time without an offset").arrival(
            "2022-12-01T10:00:00",
            "overseas",
            None,
            "none",
        ),
        bad("designation end without an offset").high_risk(
            "venue-1",
            &at(-d(2)),
            Some("2022-12-12T00:00:00"),
        ),
        bad("unknown status kind").status("suspected_case", &at(-d(1)), None),
        bad("unknown origin").arrival(&at(-d(1)), "europe", None, "none"),
        bad("unknown scheme").arrival(&at(-d(1)), "mainland", Some("vaccinated"), "none"),
        bad("unknown quarantine value").arrival(&at(-d(1)), "overseas", None, "partial"),
        bad("status kind in upper case is unknown").status("CLOSE_CONTACT", &at(-d(1)), None),
        bad("status end before start").status("close_contact", &at(-d(1)), Some(&at(-d(2)))),
        bad("visit end before start").visit("venue-1", &at(-d(1)), Some(&at(-d(1) - s(1)))),
        bad("designation end before start").high_risk("venue-1", &at(-d(1)), Some(&at(-d(3)))),
        bad("person missing").raw(|v| drop(v.as_object_mut().map(|o| o.remove("person")))),
        bad("high_risk missing").raw(|v| drop(v.as_object_mut().map(|o| o.remove("high_risk")))),
        bad("statuses missing")
            .raw(|v| drop(v["person"].as_object_mut().map(|o| o.remove("statuses")))),
        bad("visits missing")
            .raw(|v| drop(v["person"].as_object_mut().map(|o| o.remove("visits")))),
        bad("arrivals missing")
            .raw(|v| drop(v["person"].as_object_mut().map(|o| o.remove("arrivals")))),
        bad("residence key missing (null must be written)")
            .raw(|v| drop(v["person"].as_object_mut().map(|o| o.remove("residence")))),
        bad("status kind missing")
            .status("close_contact", &at(-d(1)), None)
            .raw(|v| {
                drop(
                    v["person"]["statuses"][0]
                        .as_object_mut()
                        .map(|o| o.remove("kind")),
                )
            }),
        bad("status end key missing (null must be written)")
            .status("close_contact", &at(-d(1)), None)
            .raw(|v| {
                drop(
                    v["person"]["statuses"][0]
                        .as_object_mut()
                        .map(|o| o.remove("end")),
                )
            }),
        bad("visit place missing")
            .visit("venue-1", &at(-d(1)), None)
            .raw(|v| {
                drop(
                    v["person"]["visits"][0]
                        .as_object_mut()
                        .map(|o| o.remove("place")),
                )
            }),
        bad("arrival quarantine missing")
            .arrival(&at(-d(1)), "overseas", None, "none")
            .raw(|v| {
                drop(
                    v["person"]["arrivals"][0]
                        .as_object_mut()
                        .map(|o| o.remove("quarantine")),
                )
            }),
        bad("arrival scheme key missing (null must be written)")
            .arrival(&at(-d(1)), "overseas", None, "none")
            .raw(|v| {
                drop(
                    v["person"]["arrivals"][0]
                        .as_object_mut()
                        .map(|o| o.remove("scheme")),
                )
            }),
        bad("statuses is not an array").raw(|v| v["person"]["statuses"] = "none".into()),
        bad("a place id that is a number")
            .visit("venue-1", &at(-d(1)), None)
            .raw(|v| v["person"]["visits"][0]["place"] = 1.into()),
        bad("person is not an object").raw(|v| v["person"] = serde_json::json!([])),
        bad("a bad record after good ones")
            .status("close_contact", &at(-d(1)), None)
            .status("probable_case", &at(-d(1)), Some("2022-13-40T00:00:00Z")),
    ]
}
