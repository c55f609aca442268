//! `issuer`: the issuer service and the operators' tool. A thin binary: the
//! flags are parsed once ([`args`]), each group of commands is a module that
//! calls the `healthcode-issuer` library.
//!
//! Exit codes: 0 success (for `serve`, after a graceful shutdown on SIGTERM or
//! Ctrl-C); 1 an operation failed (message on stderr) or, for `rules check`,
//! a vector failed, for `audit verify`, the chain is broken or feed records
//! were altered, for `feeds import`, some rows were refused (the good ones
//! are stored); 2 usage error.

mod args;
mod imports;
mod offline;
mod operations;
mod revoke;
mod serve;

use std::process::ExitCode;

use args::{Cli, Command, DataArgs, StoreCommand};
use clap::Parser as _;
use healthcode_issuer::store::Store;
use healthcode_service_kit::logging;

fn main() -> ExitCode {
    logging::init();
    match run(Cli::parse().command) {
        Ok(Done::Succeeded) => ExitCode::SUCCESS,
        Ok(Done::Failed) => ExitCode::from(1),
        // A reader that stopped early (`| head`) is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("issuer: error: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// How a command that ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    /// It did what was asked.
    Succeeded,
    /// It ran, and its answer is a failure (a vector failed, rows were refused ...).
    Failed,
}

impl Done {
    fn from_success(success: bool) -> Done {
        if success {
            Done::Succeeded
        } else {
            Done::Failed
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

fn run(command: Command) -> anyhow::Result<Done> {
    match command {
        Command::Issue(args) => offline::issue(args),
        Command::Rules(command) => offline::rules(command),
        Command::Openapi => offline::openapi(),
        Command::Store(command) => run_with_store(*command),
    }
}

/// The commands that work on the database, on one runtime.
fn run_with_store(command: StoreCommand) -> anyhow::Result<Done> {
    let runtime = tokio::runtime::Runtime::new()?;
    let now = healthcode_keys::hktime::now();
    let data = command.data().clone();
    let serving = matches!(command, StoreCommand::Serve(_));
    let done = run_store_command(&runtime, command, now)?;
    // The service anchors as it goes; a command anchors what it wrote (a
    // failed answer may still have written some, e.g. the good rows).
    if !serving {
        let store = data.open(&runtime)?;
        runtime.block_on(store.advance_audit_anchor(&data.anchor_path(), now))?;
    }
    Ok(done)
}

fn run_store_command(
    runtime: &tokio::runtime::Runtime,
    command: StoreCommand,
    now: time::OffsetDateTime,
) -> anyhow::Result<Done> {
    match command {
        StoreCommand::Serve(args) => serve::serve(runtime, args),
        StoreCommand::Revoke(args) => revoke::revoke(runtime, args, now),
        StoreCommand::Revocations(command) => revoke::revocations(runtime, command, now),
        StoreCommand::Feeds(command) => imports::feeds(runtime, command, now),
        StoreCommand::Housing(command) => imports::housing(runtime, command, now),
        StoreCommand::Buildings(command) => imports::buildings(runtime, command, now),
        StoreCommand::Venues(command) => imports::venues(runtime, command, now),
        StoreCommand::IdRegister(command) => imports::id_register(runtime, command, now),
        StoreCommand::Letters(command) => operations::letters(runtime, command, now),
        StoreCommand::Staff(command) => operations::staff(runtime, command, now),
        StoreCommand::Sms(command) => operations::sms(runtime, command),
        StoreCommand::Audit(command) => operations::audit(runtime, command),
        StoreCommand::Purge { data, dry_run } => operations::purge(runtime, &data, dry_run, now),
    }
}

impl DataArgs {
    /// Opens the store these flags name.
    fn open(&self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<Store> {
        Ok(runtime.block_on(Store::open_at(
            &self.database(),
            &self.data,
            self.data_key.as_deref(),
            healthcode_issuer::store::Entropy::system(),
        ))?)
    }
}
