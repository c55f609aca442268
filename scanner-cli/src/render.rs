//! The verdict for people (a glance tells it) and for programs (JSON lines).

use std::fmt::Write as _;

use healthcode_keys::{Colour, hktime::format_hk};
use healthcode_verifier::{
    Identity, Verdict,
    admission::{Admission, Decision, Policy},
};

const RESET: &str = "\x1b[0m";

fn paint(text: &str, style: &str, color: bool) -> String {
    if color {
        format!("{style}{text}{RESET}")
    } else {
        text.to_owned()
    }
}

fn colour_style(colour: Colour) -> &'static str {
    match colour {
        Colour::Green => "\x1b[1;97;42m",
        Colour::Amber => "\x1b[1;30;43m",
        Colour::Red => "\x1b[1;97;41m",
    }
}

/// The verdict headline: `VALID`, `SPECIMEN` or `NOT VALID`.
pub fn headline(verdict: &Verdict) -> &'static str {
    match (verdict.is_valid(), verdict.is_specimen()) {
        (true, true) => "SPECIMEN - signed by a TEST key, not a real code",
        (true, false) => "VALID",
        (false, _) => "NOT VALID",
    }
}

/// A few lines an officer reads at a glance.
pub fn human(verdict: &Verdict, color: bool) -> String {
    let mut out = String::new();
    let colour = verdict.colour().map_or_else(
        || paint("  ?  ", "\x1b[1;97;100m", color),
        |c| {
            paint(
                &format!(" {} ", c.as_str().to_uppercase()),
                colour_style(c),
                color,
            )
        },
    );
    let verdict_style = match (verdict.is_valid(), verdict.is_specimen()) {
        (true, false) => "\x1b[1;32m",
        (true, true) => "\x1b[1;35m",
        (false, _) => "\x1b[1;31m",
    };
    let _ = writeln!(
        out,
        "{colour}  {}",
        paint(headline(verdict), verdict_style, color)
    );
    if let Some(refusal) = verdict.refusal() {
        let _ = writeln!(out, "  why:         {} ({})", refusal.message, refusal.code);
    }
    if let Some(until) = verdict.valid_until() {
        let _ = writeln!(out, "  valid until: {} (Hong Kong time)", format_hk(until));
    }
    let identity = match verdict.identity() {
        Identity::Match => paint(
            "MATCH - issued to the ID document presented",
            "\x1b[32m",
            color,
        ),
        Identity::Mismatch => paint(
            "MISMATCH - issued to another ID document",
            "\x1b[1;31m",
            color,
        ),
        Identity::Unchecked => "not checked (no ID document given)".to_owned(),
    };
    let _ = writeln!(out, "  identity:    {identity}");
    if let Some((issuer, kid, token)) = verdict.routing() {
        let _ = writeln!(out, "  issuer:      {issuer}, key {kid}, token {token}");
    }
    let _ = writeln!(out, "  input:       {}", verdict.input());
    out
}

/// The verdict as one JSON line, with the policy's decision when there is one.
pub fn json(verdict: &Verdict, decision: Option<(&Policy, Decision)>) -> String {
    let Some((policy, decision)) = decision else {
        return verdict.to_json();
    };
    let mut value: serde_json::Value =
        serde_json::from_str(&verdict.to_json()).unwrap_or(serde_json::Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "admission".to_owned(),
            serde_json::json!({
                "decision": decision.admission,
                "reason": decision.reason,
                "policy": policy.name,
            }),
        );
    }
    value.to_string()
}

/// What the officer does, in one line: never a colour alone.
pub fn admission(policy: &Policy, decision: Decision, color: bool) -> String {
    let (word, style) = match decision.admission {
        Admission::Admit => ("ADMIT", "\x1b[1;97;42m"),
        Admission::Secondary => ("SECONDARY INSPECTION", "\x1b[1;30;43m"),
        Admission::Refuse => ("REFUSE", "\x1b[1;97;41m"),
    };
    format!(
        "{}  ({}, policy {})",
        paint(&format!(" {word} "), style, color),
        decision.reason,
        policy.name
    )
}
