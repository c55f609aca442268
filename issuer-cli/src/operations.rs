//! What operators run day to day: letters, staff, the SMS outbox, the audit
//! log, the purge.

use anyhow::Context as _;
use healthcode_issuer::{model::Actor, pdf::PdfFonts, residents::verification};
use time::OffsetDateTime;

use crate::{
    Done,
    args::{AuditCommand, DataArgs, LettersCommand, SmsCommand, StaffCommand},
};

/// `issuer letters export`.
pub fn letters(
    runtime: &tokio::runtime::Runtime,
    command: LettersCommand,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    let LettersCommand::Export { data, out } = command;
    let store = data.open(runtime)?;
    let fonts = PdfFonts::debian()
        .context("the letters' PDFs need Noto Sans CJK: install Debian's fonts-noto-cjk")?;
    let written = runtime.block_on(verification::export_letters(&store, &out, &fonts, now))?;
    for path in &written {
        println!("{}", path.display());
    }
    eprintln!(
        "{} letters exported to {} (each as text and as PDF)",
        written.len(),
        out.display()
    );
    Ok(Done::Succeeded)
}

/// `issuer staff add | disable | rotate`.
pub fn staff(
    runtime: &tokio::runtime::Runtime,
    command: StaffCommand,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    match command {
        StaffCommand::Add { data, name, role } => {
            let store = data.open(runtime)?;
            let token = runtime.block_on(store.add_staff(&name, role, now))?;
            println!("{token}");
            eprintln!("staff member {name:?} added as {role}; the token above is shown only now");
        }
        StaffCommand::Disable { data, name } => {
            let store = data.open(runtime)?;
            runtime.block_on(store.disable_staff(&name, now))?;
            eprintln!("staff member {name:?} disabled; their token no longer works");
        }
        StaffCommand::Rotate { data, name } => {
            let store = data.open(runtime)?;
            let token = runtime.block_on(store.rotate_staff_token(&name, now))?;
            println!("{token}");
            eprintln!(
                "staff member {name:?} has a new token, shown only now; the old one no longer works"
            );
        }
    }
    Ok(Done::Succeeded)
}

/// `issuer sms outbox`.
pub fn sms(runtime: &tokio::runtime::Runtime, command: SmsCommand) -> anyhow::Result<Done> {
    let SmsCommand::Outbox { data, limit } = command;
    let store = data.open(runtime)?;
    for sms in runtime.block_on(store.outbox(limit))? {
        println!("{}", serde_json::to_string(&sms)?);
    }
    Ok(Done::Succeeded)
}

/// `issuer purge [--dry-run]`: the counts, as one JSON line.
pub fn purge(
    runtime: &tokio::runtime::Runtime,
    data: &DataArgs,
    dry_run: bool,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    let store = data.open(runtime)?;
    let counts = runtime.block_on(store.purge(now, dry_run, &Actor::Cli))?;
    println!(
        "{}",
        serde_json::json!({"dry_run": dry_run, "purged": counts})
    );
    Ok(Done::Succeeded)
}

/// `issuer audit verify`: a broken chain or altered records fail the command.
pub fn audit(runtime: &tokio::runtime::Runtime, command: AuditCommand) -> anyhow::Result<Done> {
    let AuditCommand::Verify { data } = command;
    let store = data.open(runtime)?;
    let count = runtime.block_on(store.verify_audit_chain())?;
    println!("audit log intact: {count} entries");
    match runtime.block_on(store.check_audit_anchor(&data.anchor_path()))? {
        Some(anchor) => println!(
            "audit anchor holds: entry {} was anchored at {}; nothing before it was cut",
            anchor.seq,
            healthcode_keys::hktime::format_hk(
                time::OffsetDateTime::from_unix_timestamp(anchor.at)
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            )
        ),
        None => println!("audit anchor: none yet (the log is empty)"),
    }
    let (records, batches) = runtime.block_on(store.verify_feeds())?;
    println!(
        "feed records intact: {records} records in {batches} batches, each with its submitter, time and source in the audit log"
    );
    Ok(Done::Succeeded)
}
