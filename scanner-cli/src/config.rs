//! Command-line flags, turned once into a validated [`Config`].

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use healthcode_keys::{
    IdentityKeyring, Presented, Region, RootPublicKey, SignedTrustList,
    bundle::SignedBundle,
    hktime::{self, parse_rfc3339},
    region_and_file,
    revocation::{
        SignedSnapshot,
        filtered::{FilteredSnapshot, RevocationFilter, is_filtered},
    },
};
use healthcode_verifier::{
    Checker,
    admission::Policy,
    revocation::{RevocationSet, StalenessPolicy, WhenStale},
};
use time::OffsetDateTime;

use healthcode_keys::trust_state::TrustState;

/// `scanner` flags.
#[derive(Debug, Parser)]
#[command(
    name = "scanner",
    version,
    about = "Verify Hong Kong Health Codes offline"
)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The scanner's commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Verify codes: each INPUT is a PNG/JPEG photo, a token text, or `-` for
    /// token texts on stdin, one per line.
    ///
    /// Exit codes: 0 every input is a valid code; 1 some input is not (a
    /// specimen included, unless --accept-specimen); 2 usage or configuration
    /// error (unreadable file, bad or expired trust list, clock set back).
    Verify(Box<VerifyArgs>),
    /// Run admission vector files (tests/vectors/admission/*.json): each
    /// case's policy, verdict facts and expected decision.
    ///
    /// Exit codes: 0 every case passes; 1 a case decides otherwise (named
    /// on stderr); 2 a file cannot be read.
    AdmissionVectors {
        /// The vector files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// The partner's side of a conversion: open a Guangdong or Macao
    /// conversion payload with the partner's key, check Hong Kong's
    /// signature under its trust list, and print the record.
    ///
    /// Exit codes: 0 accepted; 1 refused (the code names why: malformed,
    /// wrong_partner_key, tampered, unknown_key, key_revoked, bad_signature,
    /// not_green, expired, not_yet_valid); 2 usage or configuration error.
    ConvertCheck(Box<crate::convert::ConvertCheckArgs>),
    /// Run conversion vector files (tests/vectors/conversion/*.json).
    ///
    /// Exit codes: 0 every case passes; 1 a case opens otherwise (named
    /// on stderr); 2 a file cannot be read.
    ConversionVectors {
        /// The vector files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Flags of `scanner verify`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("identity_keys").multiple(true))]
pub struct VerifyArgs {
    /// The signed trust list (JSON).
    #[arg(long, required_unless_present = "bundle")]
    pub trust: Option<PathBuf>,
    /// An offline bundle (from `verifier bundle`): the trust list, the
    /// revocation snapshot and the policy in one issuer-signed file, checked
    /// under --root. Its age is shown; past the policy's
    /// `revocations-max-age-hours`, valid codes go to secondary inspection.
    #[arg(long, conflicts_with_all = ["trust", "revocations", "policy"])]
    pub bundle: Option<PathBuf>,
    /// The pinned root public key (root.public).
    #[arg(long)]
    pub root: PathBuf,
    /// An identity day-key file (mode 0600, from `keys identity-day-keys`),
    /// as `REGION=FILE` (HK, GD or MO) or `FILE` for Hong Kong's; repeat
    /// for each region: checks --id-doc against codes that region issued
    /// on those days.
    #[arg(long, requires = "id_doc", group = "identity_keys", value_parser = region_and_file)]
    pub identity_day_keys: Vec<(Region, PathBuf)>,
    /// A version 1 identity key file (mode 0600), as `REGION=FILE` or
    /// `FILE` for Hong Kong's; repeatable: checks --id-doc against version
    /// 1 codes.
    #[arg(long, requires = "id_doc", group = "identity_keys", value_parser = region_and_file)]
    pub identity_key: Vec<(Region, PathBuf)>,
    /// The holder's ID document, TYPE:NUMBER (e.g. HKID:A123456(3)).
    #[arg(long, requires = "identity_keys")]
    pub id_doc: Option<String>,
    /// The date of issue printed on that document, YYYY-MM-DD: version 2
    /// codes bind it.
    #[arg(long, requires = "id_doc")]
    pub date_of_issue: Option<String>,
    /// Check as of this instant (RFC 3339 with offset; default now).
    #[arg(long, value_parser = parse_rfc3339)]
    pub at: Option<OffsetDateTime>,
    /// One JSON object per input, one per line.
    #[arg(long)]
    pub json: bool,
    /// Colour the verdict: auto (when stdout is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// An issuer-signed revocation snapshot: exact (JSON or compact, from a
    /// verifier's GET /v1/revocations) or filtered (`issuer revocations
    /// filtered`, about 1 MB for a million revocations).
    #[arg(long)]
    pub revocations: Option<PathBuf>,
    /// Accept codes signed by a TEST key as valid, shown as SPECIMEN: for
    /// drills only. Without it a specimen is not valid (exit 1).
    #[arg(long)]
    pub accept_specimen: bool,
    /// The checkpoint's admission policy (`key = value` lines, see
    /// docs/admission.md): every verdict then says admit, secondary or
    /// refuse, and why. A bad policy is a configuration error (exit 2).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// File keeping the highest trust-list sequence seen (default:
    /// $XDG_STATE_HOME/healthcode/scanner-trust.json or ~/.local/state/...).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Photos, token texts, or `-` for stdin.
    #[arg(required = true)]
    pub inputs: Vec<String>,
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Everything `scan` needs, checked.
#[derive(Debug)]
pub struct Config {
    /// The checker over the verified trust list.
    pub checker: Checker,
    /// The holder's document and its date of issue, when given.
    pub presented: Option<Presented>,
    /// The checking instant.
    pub now: OffsetDateTime,
    /// JSON lines instead of the human verdict.
    pub json: bool,
    /// Colour the human verdict.
    pub color: bool,
    /// The inputs, as given.
    pub inputs: Vec<String>,
    /// Revoked codes from a verified snapshot.
    pub revocations: Option<Snapshot>,
    /// How old the snapshot may be: a scanner shows its age and never calls it stale.
    pub staleness: StalenessPolicy,
    /// The admission policy, when given.
    pub policy: Option<Policy>,
    /// When the offline bundle in use was made, if one is.
    pub bundle_made_at: Option<OffsetDateTime>,
}

/// A configuration problem: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {source}")]
pub struct ConfigError {
    context: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl ConfigError {
    /// A problem with what `context` names (a flag, a file).
    pub fn new(context: impl Into<String>, problem: impl std::fmt::Display) -> Self {
        ConfigError {
            context: context.into(),
            source: problem.to_string().into(),
        }
    }
}

fn context<E: std::error::Error + Send + Sync + 'static>(
    context: impl Into<String>,
) -> impl FnOnce(E) -> ConfigError {
    let context = context.into();
    move |source| ConfigError {
        context,
        source: Box::new(source),
    }
}

/// Reads and checks the admission policy at `path`.
fn load_policy(path: &std::path::Path) -> Result<Policy, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(context(name.clone()))?;
    Policy::parse(&text).map_err(context(name))
}

impl Config {
    /// Loads and checks the keys and trust list the flags name.
    ///
    /// `is_terminal` and `no_color` describe the environment, `default_state`
    /// the state file when `--state` is not given.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file and the problem.
    pub fn from_args(
        args: VerifyArgs,
        is_terminal: bool,
        no_color: bool,
        default_state: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let now = args.at.map_or_else(hktime::now, hktime::whole_seconds);
        let root =
            RootPublicKey::read(&args.root).map_err(context(args.root.display().to_string()))?;
        let Loaded {
            trust,
            revocations,
            policy,
            bundle_made_at,
        } = load(&args, &root, now)?;
        if let Some(path) = args.state.clone().or(default_state) {
            TrustState::guard(&path, root.kid, &trust)
                .map_err(context(path.display().to_string()))?;
        }
        let identity = IdentityKeyring::read(&args.identity_key, &args.identity_day_keys)
            .map_err(|(at, e)| context(at)(e))?;
        let date_of_issue = match &args.date_of_issue {
            Some(text) => Some(hktime::parse_date(text).map_err(context("--date-of-issue"))?),
            None => None,
        };
        let presented = match args.id_doc {
            Some(text) => Some(Presented {
                document: text.parse().map_err(context("--id-doc"))?,
                date_of_issue,
            }),
            None => None,
        };
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        };
        Ok(Config {
            checker: Checker::new(trust, identity).accepting_specimens(args.accept_specimen),
            presented,
            now,
            json: args.json,
            color,
            inputs: args.inputs,
            revocations,
            staleness: StalenessPolicy {
                stale_after: policy.as_ref().and_then(Policy::revocations_max_age),
                when_stale: WhenStale::Reject,
            },
            policy,
            bundle_made_at,
        })
    }
}

/// What the flags load before the identity keys: from the separate files,
/// or all from one offline bundle.
struct Loaded {
    trust: healthcode_keys::TrustList,
    revocations: Option<Snapshot>,
    policy: Option<Policy>,
    bundle_made_at: Option<OffsetDateTime>,
}

fn load(
    args: &VerifyArgs,
    root: &RootPublicKey,
    now: OffsetDateTime,
) -> Result<Loaded, ConfigError> {
    if let Some(path) = &args.bundle {
        let name = path.display().to_string();
        let bundle = SignedBundle::read_verified(path, root, now).map_err(context(name.clone()))?;
        let policy = Policy::parse(&bundle.policy).map_err(context(format!("{name}: policy")))?;
        let snapshot = Snapshot::exact(bundle.revocations);
        return Ok(Loaded {
            trust: bundle.trust,
            revocations: Some(snapshot),
            policy: Some(policy),
            bundle_made_at: Some(bundle.made_at),
        });
    }
    let trust_path = args.trust.as_deref().ok_or_else(|| ConfigError {
        context: "--trust".to_owned(),
        source: "give --trust FILE or --bundle FILE".into(),
    })?;
    let trust = SignedTrustList::read_verified(trust_path, root, now)
        .map_err(context(trust_path.display().to_string()))?;
    let revocations = match &args.revocations {
        Some(path) => {
            Some(load_revocations(path, &trust, now).map_err(context(path.display().to_string()))?)
        }
        None => None,
    };
    let policy = match &args.policy {
        Some(path) => Some(load_policy(path)?),
        None => None,
    };
    Ok(Loaded {
        trust,
        revocations,
        policy,
        bundle_made_at: None,
    })
}

/// Revocations from a verified snapshot, as a scanner holds them.
#[derive(Debug)]
pub struct Snapshot {
    /// The revocations listed exactly.
    pub set: RevocationSet,
    /// A filtered snapshot's cascade, for the codes it covers.
    pub filter: Option<RevocationFilter>,
    /// The instant the snapshot was complete.
    pub as_of: OffsetDateTime,
}

impl Snapshot {
    fn exact(snapshot: SignedSnapshot) -> Self {
        let mut set = RevocationSet::default();
        set.merge(snapshot.snapshot.revocations);
        Snapshot {
            set,
            filter: None,
            as_of: snapshot.snapshot.issued_at,
        }
    }

    fn filtered(snapshot: FilteredSnapshot) -> Self {
        let mut set = RevocationSet::default();
        set.merge(snapshot.recent);
        Snapshot {
            set,
            filter: Some(snapshot.filter),
            as_of: snapshot.issued_at,
        }
    }
}

/// Reads a snapshot of either kind (by its first bytes) and checks the
/// issuer's signature.
fn load_revocations(
    path: &std::path::Path,
    trust: &healthcode_keys::TrustList,
    now: OffsetDateTime,
) -> Result<Snapshot, healthcode_keys::Error> {
    let bytes = healthcode_keys::files::read_public_bytes(
        path,
        healthcode_keys::files::MAX_SNAPSHOT_BYTES,
    )?;
    if is_filtered(&bytes) {
        let snapshot = FilteredSnapshot::from_bytes(&bytes)?;
        snapshot.verify(trust, now)?;
        return Ok(Snapshot::filtered(snapshot));
    }
    let snapshot = SignedSnapshot::from_bytes(&bytes)?;
    snapshot.verify(trust, now)?;
    Ok(Snapshot::exact(snapshot))
}
