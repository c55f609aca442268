//! Our colour-rule vectors (`tests/vectors/colour/`), in the spec's JSON format.
//!
//! Every expectation here is written by hand from `shared/spec/colour-rules.md`,
//! never computed by the engine: the engine is checked against these files by
//! `issuer rules check`. Code only spares us writing times by hand: `at(...)`
//! is an offset from `NOW`, written in Hong Kong time unless another offset is asked.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use time::{
    Duration, OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339, macros::datetime,
};

/// The evaluation instant of most cases: 09:00 on 10 December 2022, Hong Kong.
pub const NOW: OffsetDateTime = datetime!(2022-12-10 09:00 +8);
const UNTIL: &str = "2022-12-10T23:59:59+08:00";

/// `NOW + delta`, written at +08:00.
pub fn at(delta: Duration) -> String {
    at_in(delta, 8)
}

/// `NOW + delta`, written at `hours` from UTC.
pub fn at_in(delta: Duration, hours: i8) -> String {
    let offset = UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC);
    (NOW + delta)
        .to_offset(offset)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Days.
pub fn d(n: i64) -> Duration {
    Duration::days(n)
}

/// Seconds.
pub fn s(n: i64) -> Duration {
    Duration::seconds(n)
}

/// Hours.
pub fn h(n: i64) -> Duration {
    Duration::hours(n)
}

/// One vector under construction.
#[derive(Debug, Clone)]
pub struct Case {
    vector: Value,
}

/// A case named `name` at `NOW` with no facts, expecting green.
pub fn case(name: &str) -> Case {
    Case {
        vector: json!({
            "name": name,
            "now": at(Duration::ZERO),
            "person": {"statuses": [], "residence": null, "visits": [], "arrivals": []},
            "high_risk": [],
            "expect": {"colour": "green", "valid_until": UNTIL, "reasons": []},
        }),
    }
}

fn push(list: &mut Value, item: Value) {
    if let Some(items) = list.as_array_mut() {
        items.push(item);
    }
}

impl Case {
    /// Evaluate at `now` (a timestamp text).
    pub fn now(mut self, now: &str) -> Self {
        self.vector["now"] = json!(now);
        self
    }

    /// A status record.
    pub fn status(mut self, kind: &str, start: &str, end: Option<&str>) -> Self {
        push(
            &mut self.vector["person"]["statuses"],
            json!({"kind": kind, "start": start, "end": end}),
        );
        self
    }

    /// The residence's place id.
    pub fn residence(mut self, place: &str) -> Self {
        self.vector["person"]["residence"] = json!(place);
        self
    }

    /// A visit record.
    pub fn visit(mut self, place: &str, start: &str, end: Option<&str>) -> Self {
        push(
            &mut self.vector["person"]["visits"],
            json!({"place": place, "start": start, "end": end}),
        );
        self
    }

    /// An arrival.
    pub fn arrival(
        mut self,
        when: &str,
        origin: &str,
        scheme: Option<&str>,
        quarantine: &str,
    ) -> Self {
        let arrival =
            json!({"at": when, "origin": origin, "scheme": scheme, "quarantine": quarantine});
        push(&mut self.vector["person"]["arrivals"], arrival);
        self
    }

    /// A high-risk designation.
    pub fn high_risk(mut self, place: &str, start: &str, end: Option<&str>) -> Self {
        push(
            &mut self.vector["high_risk"],
            json!({"place": place, "start": start, "end": end}),
        );
        self
    }

    /// Expect `colour` with `reasons`.
    pub fn expect(mut self, colour: &str, reasons: &[&str]) -> Self {
        self.vector["expect"]["colour"] = json!(colour);
        self.vector["expect"]["reasons"] = json!(reasons);
        self
    }

    /// Expect validity until `until`.
    pub fn until(mut self, until: &str) -> Self {
        self.vector["expect"]["valid_until"] = json!(until);
        self
    }

    /// Expect the input to be refused.
    pub fn error(mut self) -> Self {
        self.vector["expect"] = json!({"error": true});
        self
    }

    /// Edits the raw JSON (to break it on purpose).
    pub fn raw(mut self, edit: impl FnOnce(&mut Value)) -> Self {
        edit(&mut self.vector);
        self
    }

    /// The finished vector.
    pub fn build(self) -> Value {
        self.vector
    }
}

/// The files of `tests/vectors/colour/`, by name, as pretty JSON arrays.
pub fn files() -> BTreeMap<String, String> {
    crate::colour_cases::all()
        .into_iter()
        .map(|(file, cases)| {
            let vectors: Vec<Value> = cases.into_iter().map(Case::build).collect();
            let text = serde_json::to_string_pretty(&vectors).unwrap_or_default() + "\n";
            (format!("{file}.json"), text)
        })
        .collect()
}
