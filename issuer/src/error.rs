//! The one error type of the issuer crate.

/// What can go wrong while issuing a code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key, token or time problem from the keys crate.
    #[error(transparent)]
    Keys(#[from] healthcode_keys::Error),
    /// Redis, while delivering revocations.
    #[error(transparent)]
    Redis(#[from] healthcode_service_kit::Error),
    /// Revoking a code that has already expired.
    #[error("the code expired at {}: nothing to revoke", healthcode_keys::hktime::format_hk(*until))]
    RevocationExpired {
        /// When it expired.
        until: time::OffsetDateTime,
    },
    /// The text does not fit in a QR code of the allowed size.
    #[error("cannot encode the token as a QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    /// Writing the PNG failed.
    #[error("cannot encode the QR code as PNG: {0}")]
    Png(#[from] image::ImageError),
    /// The output file's extension names no image format we write.
    #[error("QR output {path:?} must end in .png or .svg")]
    UnknownQrFormat {
        /// The path given.
        path: std::path::PathBuf,
    },
    /// A colour-rules input field is wrong.
    #[error(transparent)]
    Fact(#[from] crate::rules::vector::FactError),
    /// A vector file is not JSON.
    #[error("{path}: not JSON: {source}")]
    VectorFile {
        /// The file.
        path: std::path::PathBuf,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The data key file holds no key.
    #[error("{path}: not a data key (expected 64 hex digits)")]
    BadDataKey {
        /// The file.
        path: std::path::PathBuf,
    },
    /// The data key is not the one the database was written with.
    #[error(
        "{path}: this is not the data key the database was written with; refusing to start rather than write data no one can read"
    )]
    DataKeyMismatch {
        /// The key file.
        path: std::path::PathBuf,
    },
    /// A sealed field does not open: the wrong key, or altered or moved data.
    #[error("stored {field} cannot be decrypted (wrong data key, or altered data)")]
    Undecryptable {
        /// The column, e.g. `accounts.name`.
        field: &'static str,
    },
    /// A stored value is not one this version knows.
    #[error("stored {what} {value:?} is not one this version knows")]
    Corrupt {
        /// What kind of value.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// A `--database` that names no database this store can open.
    #[error("database: {problem}")]
    DatabaseUrl {
        /// What is wrong with it.
        problem: String,
    },
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// No such thing.
    #[error("no such {what}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
    },
    /// The action does not apply to an application in this state.
    #[error("the application is {status}; this needs one that is {expected}")]
    WrongStatus {
        /// Where it stands.
        status: crate::model::AccountStatus,
        /// Where it must stand.
        expected: crate::model::AccountStatus,
    },
    /// A printable document that could not be written.
    #[error("the PDF cannot be written: {0}")]
    Pdf(String),
    /// A registration at a counter for a document that has an active account.
    #[error("this document already has an active account: look it up instead")]
    AlreadyRegistered,
    /// An appeal that was already decided: a decision is final.
    #[error("the appeal is {state}; only an open appeal can be decided")]
    AppealDecided {
        /// Where it stands.
        state: crate::model::AppealState,
    },
    /// An appeal, or a decision on one, refused at a field.
    #[error("{0}")]
    Appeal(crate::model::AppealProblem),
    /// A conversion for a partner region this issuer has no key of.
    #[error("conversions for {region} are not offered by this service")]
    NoPartner {
        /// The partner asked for.
        region: healthcode_keys::Region,
    },
    /// A code that cannot be converted, and why.
    #[error("{}", match why {
        crate::model::Unconvertible::NoCodeToday => "there is no code of today to convert: apply for one first",
        crate::model::Unconvertible::Revoked => "today's code was revoked: apply for a new one first",
        crate::model::Unconvertible::NotGreen => "only a green code can be converted",
        crate::model::Unconvertible::TooManyAttempts => "this code has been converted too many times; apply for a new code tomorrow",
    })]
    NotConvertible {
        /// Why.
        why: crate::model::Unconvertible,
    },
    /// The document shown is not the one applied with.
    #[error("the identity document does not match the application")]
    DocumentMismatch,
    /// An ID document, PIN or password is wrong (which one is not said).
    #[error("the ID document number, PIN or password is not correct, or the PIN has expired")]
    BadCredentials,
    /// The sign-in code has expired, was used, or was tried too often.
    #[error("the sign-in code has expired or was tried too often: sign in again for a new one")]
    SignInCodeSpent,
    /// Too many wrong PINs.
    #[error("too many wrong PINs: this PIN is locked; ask for a new one")]
    PinLocked,
    /// The password breaks the policy.
    #[error("{0}")]
    WeakPassword(crate::model::password::PasswordProblem),
    /// A limit on how often something may be done.
    #[error("too many requests; try again in {retry_after_seconds} s")]
    RateLimited {
        /// Seconds until a try may succeed.
        retry_after_seconds: u64,
    },
    /// An upload with more records than allowed.
    #[error("{count} records in one upload; the limit is {limit}")]
    TooManyRecords {
        /// Records sent.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// Rows of a file imported whole (housing, buildings) that are wrong; nothing was imported.
    #[error("{} bad rows, nothing imported:\n{}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    ImportRows {
        /// Each bad row.
        problems: Vec<BadRow>,
    },
    /// A feed file that cannot be read as a whole; nothing was imported.
    #[error("{path}: {problem}; nothing imported")]
    ImportFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        problem: FileProblem,
    },
    /// A staff member whose role may not do this (the refusal is audited).
    #[error(
        "a staff member who is {role} may not do this; it needs {}",
        crate::model::account::list_roles(needed)
    )]
    Forbidden {
        /// Their role.
        role: crate::model::Role,
        /// The roles that may.
        needed: &'static [crate::model::Role],
    },
    /// A file imported whole that is larger than the import reads.
    #[error("the {what} file is larger than {limit} bytes; nothing imported")]
    ImportTooLarge {
        /// What the file holds.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A blocking task (password hashing, a cascade's build) died.
    #[error("a background task failed")]
    TaskFailed,
    /// A worker's right to its job (`store::exclusive`) went with its
    /// database connection; another instance may hold it now.
    #[error("the right to this work was lost with its database connection")]
    RightLost,
    /// The system refused to start a worker thread.
    #[error("cannot start a {what} thread: {source}")]
    Thread {
        /// The kind of thread.
        what: &'static str,
        /// The system's refusal.
        #[source]
        source: std::io::Error,
    },
    /// A staff name already in use.
    #[error("a staff member named {name:?} exists")]
    StaffExists {
        /// The name.
        name: String,
    },
    /// Feed records that do not match their batches, or batches that do not
    /// match the audit log: records were inserted, edited or deleted outside the service.
    #[error("{subject}: {problem}; the feed records were altered")]
    FeedTampered {
        /// The batch or the record versions.
        subject: String,
        /// What does not match.
        problem: &'static str,
    },
    /// The audit log's hash chain breaks at an entry.
    #[error("the audit log's hash chain breaks at entry {seq}: it was altered")]
    AuditChainBroken {
        /// The first entry that does not follow.
        seq: i64,
    },
    /// The audit chain's anchor is missing, forged, or no longer holds.
    #[error("{0}")]
    AuditAnchor(crate::model::audit::AnchorProblem),
}

impl Error {
    /// A refusal until `wait` has passed (at least a second, as `Retry-After` counts).
    pub fn rate_limited(wait: time::Duration) -> Self {
        Error::RateLimited {
            retry_after_seconds: u64::try_from(wait.whole_seconds()).unwrap_or(0).max(1),
        }
    }
}

/// Why a feed file cannot be read as a whole (then nothing is imported).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileProblem {
    /// Larger than an import reads.
    #[error("{size} bytes; the limit is {limit}: split the file")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit for its kind (CSV or JSON).
        limit: u64,
    },
    /// A `.json` file that does not parse.
    #[error("not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// JSON that is neither an array of records nor `{"records": [...]}`.
    #[error("a JSON file holds an array of records, or {{\"records\": [...]}}")]
    NotRecords,
    /// A CSV file without a header row.
    #[error("no header row: {0}")]
    NoHeader(#[source] csv::Error),
    /// A CSV header that lacks columns the feed needs.
    #[error("the header lacks {}; {kind} files need the columns {}", .missing.join(", "), .needed.join(","))]
    MissingColumns {
        /// The feed.
        kind: crate::model::FeedKind,
        /// The columns it lacks.
        missing: Vec<&'static str>,
        /// The columns it needs.
        needed: &'static [&'static str],
    },
}

/// One bad row of an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// The line, from 1 (the header).
    pub line: u64,
    /// What is wrong.
    pub problem: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}
