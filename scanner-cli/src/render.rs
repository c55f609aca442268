//! The verdict for people (a glance tells it) and for programs (JSON lines).

use std::fmt::Write as _;

use healthcode_keys::Colour;
use healthcode_verifier::{Identity, Report};

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
pub fn headline(report: &Report) -> &'static str {
    match (report.valid, report.specimen) {
        (true, true) => "SPECIMEN - signed by a TEST key, not a real code",
        (true, false) => "VALID",
        (false, _) => "NOT VALID",
    }
}

/// A few lines an officer reads at a glance.
pub fn human(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let colour = report.colour.map_or_else(
        || paint("  ?  ", "\x1b[1;97;100m", color),
        |c| {
            paint(
                &format!(" {} ", c.name().to_uppercase()),
                colour_style(c),
                color,
            )
        },
    );
    let verdict_style = match (report.valid, report.specimen) {
        (true, false) => "\x1b[1;32m",
        (true, true) => "\x1b[1;35m",
        (false, _) => "\x1b[1;31m",
    };
    let _ = writeln!(
        out,
        "{colour}  {}",
        paint(headline(report), verdict_style, color)
    );
    if let Some(error) = &report.error {
        let _ = writeln!(
            out,
            "  why:         {} ({})",
            error.message,
            serde_code(&error.code)
        );
    }
    if let Some(until) = &report.valid_until {
        let _ = writeln!(out, "  valid until: {until} (Hong Kong time)");
    }
    let identity = match report.identity {
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
    if let (Some(issuer), Some(kid), Some(token)) = (&report.issuer, &report.kid, &report.token_id)
    {
        let _ = writeln!(out, "  issuer:      {issuer}, key {kid}, token {token}");
    }
    let _ = writeln!(out, "  input:       {}", report.input);
    out
}

fn serde_code(code: &healthcode_verifier::ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
