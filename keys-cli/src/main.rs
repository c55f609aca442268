//! `keys`: make root and issuer key pairs, identity keys (the master and its
//! day keys), partner regions' conversion keys and signed trust lists.
//!
//! Exit codes: 0 success; 1 an operation failed (message on stderr); 2 usage error.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use healthcode_keys::{
    IdentityKey, IdentityMasterKey, IssuerPublicKey, IssuerSecretKey, KeyId, Region, RootSecretKey,
    SignedTrustList, TrustListBody,
    conversion::PartnerSecretKey,
    files::ensure_dir,
    hktime::{self, parse_rfc3339},
};
use time::{Duration, OffsetDateTime};

#[derive(Parser)]
#[command(name = "keys", version, about = "Health code keys and trust lists")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a new root key pair: DIR/root.secret (0600) and DIR/root.public.
    RootGenerate {
        /// Folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a new issuer key pair DIR/<kid>.secret (0600) and DIR/<kid>.public; print the kid.
    Generate {
        /// Issuing region: HK, GD or MO.
        #[arg(long)]
        issuer: Region,
        /// Folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// First instant the key may sign (RFC 3339; default now).
        #[arg(long, value_parser = parse_time)]
        not_before: Option<OffsetDateTime>,
        /// Last instant the key may sign (RFC 3339; default one year after not-before).
        #[arg(long, value_parser = parse_time)]
        not_after: Option<OffsetDateTime>,
        /// Mark the key as a test key: verifiers show its codes as SPECIMEN.
        #[arg(long)]
        test: bool,
    },
    /// Write a new random version 1 identity key (0600): only for checking
    /// version 1 codes; issuers now bind codes under day keys.
    IdentityKey {
        /// File to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a new random master identity key (0600). It stays with the
    /// issuer: checkpoints are given day keys derived from it.
    IdentityMasterKey {
        /// File to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the identity keys of a run of Hong Kong days (0600), for a
    /// checkpoint: it can check the identity of codes issued on those days only.
    IdentityDayKeys {
        /// The master identity key file.
        #[arg(long)]
        master: PathBuf,
        /// The first Hong Kong day, YYYY-MM-DD (default today in Hong Kong).
        #[arg(long, value_parser = hktime::parse_date)]
        from: Option<time::Date>,
        /// How many days, from 1 to 62.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=62))]
        days: u16,
        /// File to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a partner region's X25519 key pair for conversions:
    /// DIR/partner-<REGION>-<kid>.secret (0600), which the partner keeps, and
    /// DIR/partner-<REGION>-<kid>.public, which Hong Kong's issuer is given.
    PartnerKey {
        /// The partner region: GD or MO.
        #[arg(long)]
        region: Region,
        /// Folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a trust list of the given issuer public keys, signed by the root key.
    TrustList {
        /// The root secret key file.
        #[arg(long)]
        root: PathBuf,
        /// Sequence number; must grow with every list.
        #[arg(long)]
        seq: u64,
        /// Mark this key id revoked (repeatable).
        #[arg(long)]
        revoke: Vec<KeyId>,
        /// Issue time (RFC 3339; default now).
        #[arg(long, value_parser = parse_time)]
        issued_at: Option<OffsetDateTime>,
        /// Days until the list expires.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=366))]
        expires_in_days: u16,
        /// Issuer public key files (<kid>.public).
        #[arg(required = true)]
        public_files: Vec<PathBuf>,
    },
}

fn parse_time(text: &str) -> Result<OffsetDateTime, healthcode_keys::Error> {
    parse_rfc3339(text).map(hktime::whole_seconds)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("keys: error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    let mut rng = rand::rngs::OsRng;
    match command {
        Command::RootGenerate { out } => {
            ensure_dir(&out)?;
            let root = RootSecretKey::generate(&mut rng);
            root.write(&out)?;
            println!("{}", root.public().kid);
        }
        Command::Generate {
            issuer,
            out,
            not_before,
            not_after,
            test,
        } => {
            ensure_dir(&out)?;
            let not_before = not_before.unwrap_or_else(hktime::now);
            let not_after = not_after.unwrap_or(not_before + Duration::days(365));
            anyhow::ensure!(
                not_after > not_before,
                "--not-after must be after --not-before"
            );
            let key = IssuerSecretKey::generate(&mut rng, issuer, not_before, not_after, test);
            key.write(&out)?;
            println!("{}", key.kid());
        }
        Command::IdentityKey { out } => IdentityKey::generate(&mut rng).write(&out)?,
        Command::IdentityMasterKey { out } => IdentityMasterKey::generate(&mut rng).write(&out)?,
        Command::IdentityDayKeys {
            master,
            from,
            days,
            out,
        } => {
            let first = from.unwrap_or_else(|| hktime::hk_date(hktime::now()));
            let keys = IdentityMasterKey::read(&master)?.day_keys(first, days.into())?;
            keys.write(&out)?;
            let (first, last) = keys.span();
            println!(
                "{} to {}",
                hktime::format_date(first),
                hktime::format_date(last)
            );
        }
        Command::PartnerKey { region, out } => {
            ensure_dir(&out)?;
            let key = PartnerSecretKey::generate(region, &mut rng)?;
            for path in key.write(&out)? {
                println!("{}", path.display());
            }
        }
        Command::TrustList {
            root,
            seq,
            revoke,
            issued_at,
            expires_in_days,
            public_files,
        } => {
            let root = RootSecretKey::read(&root)?;
            let keys = public_files
                .iter()
                .map(|path| IssuerPublicKey::read(path))
                .collect::<Result<Vec<_>, _>>()?;
            let body = TrustListBody::from_keys(
                seq,
                issued_at.unwrap_or_else(hktime::now),
                Duration::days(expires_in_days.into()),
                root.public().kid,
                &keys,
                &revoke,
            )?;
            let list = SignedTrustList::sign(body, &root).context("signing the trust list")?;
            print!("{}", list.to_json());
        }
    }
    Ok(())
}
