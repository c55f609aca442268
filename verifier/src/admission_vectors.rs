//! The admission vectors (`tests/vectors/admission/*.json`): language-neutral
//! cases a partner's checkpoint software can run to decide as ours does.
//! Each case holds a policy file's text, the facts of a verdict under the
//! names the verdict's JSON gives them, an instant and the decision expected:
//!
//! ```json
//! {"name": "...", "policy": "green = admit\namber = refuse\nred = refuse\n",
//!  "now": "2022-12-10T12:00:00+08:00",
//!  "verdict": {"error": null, "colour": "green", "specimen": false,
//!              "identity": "match", "issued_at": "2022-12-10T09:00:00+08:00"},
//!  "expect": {"decision": "admit", "reason": "colour_green"}}
//! ```

use healthcode_keys::{Colour, hktime::parse_rfc3339};
use serde_json::Value;

use crate::{
    ErrorCode, Identity,
    admission::{Facts, Policy},
};

/// Runs every case of a vector file; the number that passed.
///
/// # Errors
/// The first case that does not parse or decides otherwise, by name.
pub fn check(text: &str) -> Result<usize, String> {
    let cases: Vec<Value> =
        serde_json::from_str(text).map_err(|e| format!("not a JSON array of cases: {e}"))?;
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("(unnamed)");
        run(case).map_err(|problem| format!("{name}: {problem}"))?;
    }
    Ok(cases.len())
}

fn run(case: &Value) -> Result<(), String> {
    let policy = Policy::parse(case["policy"].as_str().ok_or("policy: missing")?)
        .map_err(|e| format!("policy: {e}"))?;
    let now = parse_rfc3339(case["now"].as_str().ok_or("now: missing")?)
        .map_err(|e| format!("now: {e}"))?;
    let facts = facts(&case["verdict"])?;
    let decision = policy.decide_facts(&facts, now);
    let expected = (&case["expect"]["decision"], &case["expect"]["reason"]);
    let got = (decision.admission.as_str(), decision.reason);
    if expected.0.as_str() == Some(got.0) && expected.1.as_str() == Some(got.1) {
        Ok(())
    } else {
        Err(format!(
            "expected {} ({}), decided {} ({})",
            expected.0, expected.1, got.0, got.1
        ))
    }
}

fn facts(verdict: &Value) -> Result<Facts, String> {
    let error = match &verdict["error"] {
        Value::Null => None,
        Value::String(code) => Some(
            ErrorCode::all()
                .find(|c| c.as_str() == code)
                .ok_or_else(|| format!("verdict.error: unknown code {code:?}"))?,
        ),
        _ => return Err("verdict.error: a code or null".to_owned()),
    };
    let colour = match &verdict["colour"] {
        Value::Null => None,
        Value::String(name) => Some(
            Colour::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == name)
                .ok_or_else(|| format!("verdict.colour: unknown colour {name:?}"))?,
        ),
        _ => return Err("verdict.colour: a colour or null".to_owned()),
    };
    let identity = match verdict["identity"].as_str() {
        Some("match") => Identity::Match,
        Some("mismatch") => Identity::Mismatch,
        Some("unchecked") => Identity::Unchecked,
        other => {
            return Err(format!(
                "verdict.identity: {other:?} is not match, mismatch or unchecked"
            ));
        }
    };
    let issued_at = match verdict["issued_at"].as_str() {
        Some(text) => Some(parse_rfc3339(text).map_err(|e| format!("verdict.issued_at: {e}"))?),
        None => None,
    };
    Ok(Facts {
        error,
        colour,
        specimen: verdict["specimen"].as_bool().unwrap_or(false),
        identity,
        issued_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_vectors_pass() {
        for (name, text) in [
            (
                "hk-exit-gd.json",
                include_str!("../../tests/vectors/admission/hk-exit-gd.json"),
            ),
            (
                "lanes-and-drills.json",
                include_str!("../../tests/vectors/admission/lanes-and-drills.json"),
            ),
        ] {
            let passed = check(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(passed >= 5, "{name}: {passed}");
        }
    }

    #[test]
    fn a_wrong_expectation_is_named() {
        let case = r#"[{"name": "wrong", "policy": "green = admit\namber = refuse\nred = refuse\n",
            "now": "2022-12-10T12:00:00+08:00",
            "verdict": {"error": null, "colour": "green", "specimen": false, "identity": "match", "issued_at": null},
            "expect": {"decision": "refuse", "reason": "colour_green"}}]"#;
        assert_eq!(
            check(case),
            Err(
                "wrong: expected \"refuse\" (\"colour_green\"), decided admit (colour_green)"
                    .to_owned()
            )
        );
        assert!(check("{}").is_err());
    }
}
