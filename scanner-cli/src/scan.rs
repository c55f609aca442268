//! Runs every input through the checker, writes verdicts, and picks the exit code.

use std::io::{self, BufRead, Write};

use healthcode_verifier::{
    ErrorCode, Verdict,
    revocation::{self, Held},
};

use crate::{
    Config,
    input::{FileContent, Input, read_file, read_lines},
    render,
};

/// What a scan found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Inputs that were valid codes.
    pub valid: usize,
    /// Inputs that were not.
    pub invalid: usize,
    /// Inputs that could not be read, or not checked because the trust list
    /// expired during the scan (configuration errors).
    pub unreadable: usize,
}

impl Outcome {
    /// 0 when every input was valid, 1 when any was not, 2 when any file
    /// could not be read or the trust list expired.
    pub fn exit_code(&self) -> u8 {
        match (self.unreadable, self.invalid) {
            (0, 0) => 0,
            (0, _) => 1,
            _ => 2,
        }
    }
}

/// Checks every input of `config`, reading `-` from `stdin`, writing verdicts
/// to `out` and unreadable-file messages to `err`.
///
/// # Errors
/// Only I/O errors writing `out` or `err`, or reading `stdin`.
pub fn scan(
    config: &Config,
    stdin: impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<Outcome> {
    let mut outcome = Outcome::default();
    if let Some(made_at) = config.bundle_made_at {
        writeln!(
            err,
            "scanner: offline bundle made {} ({} hours {} minutes old)",
            healthcode_keys::hktime::format_hk(made_at),
            (config.now - made_at).whole_hours(),
            (config.now - made_at).whole_minutes() % 60
        )?;
    }
    if let Some(snapshot) = &config.revocations {
        let filter = snapshot.filter.as_ref().map_or(String::new(), |f| {
            format!(
                " and a filter of revoked codes issued up to {}",
                healthcode_keys::hktime::format_hk(f.covers_until)
            )
        });
        writeln!(
            err,
            "scanner: {} revocations{filter} as of {} ({} minutes old)",
            snapshot.set.len(),
            healthcode_keys::hktime::format_hk(snapshot.as_of),
            (config.now - snapshot.as_of).whole_minutes()
        )?;
    }
    let mut stdin = Some(stdin);
    for arg in &config.inputs {
        match Input::classify(arg) {
            Input::Stdin => {
                // `-` given twice reads stdin once.
                let Some(reader) = stdin.take() else { continue };
                let mut result = Ok(());
                read_lines(reader, |number, line| {
                    let label = format!("-:{number}");
                    let verdict = match line {
                        Ok(text) => check_text(config, &label, &text),
                        Err(why) => Verdict::unreadable(&label, why),
                    };
                    if result.is_ok() {
                        result = emit(config, verdict, out, &mut outcome);
                    }
                })?;
                result?;
            }
            Input::Text(text) => emit(
                config,
                check_text(config, "token", &text),
                out,
                &mut outcome,
            )?,
            Input::File(path) => match read_file(&path) {
                Ok(FileContent::Image(bytes)) => {
                    let verdict = config.checker.check_image(
                        arg,
                        &bytes,
                        config.presented.as_ref(),
                        config.now,
                    );
                    emit(config, verdict, out, &mut outcome)?;
                }
                Ok(FileContent::Text(text)) => {
                    emit(config, check_text(config, arg, &text), out, &mut outcome)?
                }
                Err(e) => {
                    writeln!(err, "scanner: cannot read {}: {e}", path.display())?;
                    outcome.unreadable += 1;
                }
            },
        }
    }
    Ok(outcome)
}

/// Applies the snapshot, if one was given.
fn with_revocations(config: &Config, verdict: Verdict) -> Verdict {
    let held = config.revocations.as_ref().map(|snapshot| Held {
        set: &snapshot.set,
        filter: snapshot.filter.as_ref(),
        as_of: Some(snapshot.as_of),
    });
    revocation::apply(verdict, held, &config.staleness, config.now)
}

fn check_text(config: &Config, label: &str, text: &str) -> Verdict {
    config
        .checker
        .check_text(label, text, config.presented.as_ref(), config.now)
}

fn emit(
    config: &Config,
    verdict: Verdict,
    out: &mut impl Write,
    outcome: &mut Outcome,
) -> io::Result<()> {
    let verdict = with_revocations(config, verdict);
    match verdict.error_code() {
        None => outcome.valid += 1,
        Some(ErrorCode::TrustListExpired) => outcome.unreadable += 1,
        Some(_) => outcome.invalid += 1,
    }
    let decision = config
        .policy
        .as_ref()
        .map(|policy| (policy, policy.decide(&verdict, config.now)));
    if config.json {
        writeln!(out, "{}", render::json(&verdict, decision))
    } else {
        writeln!(out, "{}", render::human(&verdict, config.color))?;
        match decision {
            Some((policy, decision)) => {
                writeln!(out, "{}", render::admission(policy, decision, config.color))
            }
            None => Ok(()),
        }
    }
}
