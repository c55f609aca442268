//! The files operators import: feed records, the housing database, the
//! building directory, the venue registry.

use std::path::Path;

use healthcode_issuer::{
    feeds::{Submitter, import::import_file},
    model::FeedKind,
    residents::{buildings, housing, register, venues},
    store::Store,
};
use time::OffsetDateTime;

use crate::{
    Done,
    args::{BuildingsCommand, FeedsCommand, HousingCommand, IdRegisterCommand, VenuesCommand},
};

/// `issuer feeds import`: refused rows are reported and make the exit 1.
pub fn feeds(
    runtime: &tokio::runtime::Runtime,
    command: FeedsCommand,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    let FeedsCommand::Import {
        data,
        kind,
        staff,
        file,
    } = command;
    let store = data.open(runtime)?;
    runtime.block_on(import_feed(&store, kind, &staff, &file, now))
}

async fn import_feed(
    store: &Store,
    kind: FeedKind,
    staff: &str,
    file: &Path,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    let member = store
        .staff_by_name(staff)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no staff member named {staff:?} (issuer staff add)"))?;
    store
        .authorize(&member, kind.roles(), &format!("submit_{kind}"), now)
        .await?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let source = format!("import:{name}");
    let actor = member.actor();
    let submitter = Submitter {
        actor: &actor,
        source: &source,
    };
    let summary = import_file(store, kind, file, submitter, now).await?;
    for refused in &summary.refused {
        eprintln!("{}: {}", refused.at, refused.reason);
    }
    println!(
        "{} records: {} stored, {} unchanged, {} refused, in {} batches",
        summary.received,
        summary.stored,
        summary.unchanged,
        summary.refused.len(),
        summary.batches.len()
    );
    Ok(Done::from_success(summary.refused.is_empty()))
}

fn open_file(file: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::open(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

/// `issuer housing import`.
pub fn housing(
    runtime: &tokio::runtime::Runtime,
    command: HousingCommand,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    let HousingCommand::Import { data, file } = command;
    let store = data.open(runtime)?;
    let count = runtime.block_on(housing::import(&store, open_file(&file)?, now))?;
    println!("imported {count} public housing residents");
    Ok(Done::Succeeded)
}

/// `issuer buildings import`.
pub fn buildings(
    runtime: &tokio::runtime::Runtime,
    command: BuildingsCommand,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    let BuildingsCommand::Import { data, file } = command;
    let store = data.open(runtime)?;
    let done = runtime.block_on(buildings::import(&store, open_file(&file)?, now))?;
    println!(
        "imported {} buildings; {} residents' addresses match a building, {} match none",
        done.buildings, done.matched, done.unmatched
    );
    Ok(Done::Succeeded)
}

/// `issuer venues import`.
pub fn venues(
    runtime: &tokio::runtime::Runtime,
    command: VenuesCommand,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    let VenuesCommand::Import { data, file } = command;
    let store = data.open(runtime)?;
    let count = runtime.block_on(venues::import(&store, open_file(&file)?, now))?;
    println!("imported {count} venues");
    Ok(Done::Succeeded)
}

/// `issuer id-register import`.
pub fn id_register(
    runtime: &tokio::runtime::Runtime,
    command: IdRegisterCommand,
    now: OffsetDateTime,
) -> anyhow::Result<Done> {
    let IdRegisterCommand::Import { data, file } = command;
    let store = data.open(runtime)?;
    let count = runtime.block_on(register::import(&store, open_file(&file)?, now))?;
    println!("imported {count} identity cards");
    Ok(Done::Succeeded)
}
