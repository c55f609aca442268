//! Shared helpers: built binaries, a fresh key set made with the real CLI.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
};

/// The path of a workspace binary, built once per test run with the same
/// profile as this test binary.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let target = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_owned))
        .unwrap_or_else(|| panic!("cannot locate the target folder"));
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--workspace", "--bins", "--quiet"]);
        if target.ends_with("release") {
            build.arg("--release");
        }
        let status = build
            .status()
            .unwrap_or_else(|e| panic!("running cargo build: {e}"));
        assert!(status.success(), "cargo build --bins failed");
    });
    target.join(name)
}

/// `--database` for an `issuer` command whose `args` name a data folder,
/// when the suite runs on PostgreSQL.
pub fn database_args(name: &str, args: &[&str]) -> Vec<String> {
    let data = args.windows(2).find(|pair| pair[0] == "--data");
    match data {
        Some(pair) if name == "issuer" => {
            healthcode_tests::databases::issuer_database_args(pair[1])
        }
        _ => Vec::new(),
    }
}

/// Runs `name` with `args`, isolated from the user's scanner state.
pub fn run(name: &str, args: &[&str], state: &Path) -> Output {
    Command::new(bin(name))
        .args(args)
        .args(database_args(name, args))
        .env("XDG_STATE_HOME", state)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("running {name}: {e}"))
}

/// Runs `name` with `args`, writing `input` to its stdin.
pub fn run_with_stdin(name: &str, args: &[&str], state: &Path, input: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(bin(name))
        .args(args)
        .args(database_args(name, args))
        .env("XDG_STATE_HOME", state)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {name}: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("writing to {name}: {e}"));
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for {name}: {e}"))
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The date of issue on the cards of the codes [`KeySet::issue`] makes.
pub const CARD_ISSUED: &str = "2018-03-01";

/// A key set made with the real `keys` CLI in a temporary folder.
pub struct KeySet {
    /// The temporary folder (removed on drop).
    pub dir: tempfile::TempDir,
    /// The issuer key id.
    pub kid: String,
}

impl KeySet {
    /// Root, one HK issuer key (`--test` if `test`), identity key, trust list seq 1.
    pub fn new(test: bool) -> KeySet {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let keys = dir.path().join("keys");
        let keys_arg = keys.to_str().unwrap_or_default();
        let state = dir.path().join("state");
        assert!(
            run("keys", &["root-generate", "--out", keys_arg], &state)
                .status
                .success()
        );
        // Valid from 2022 so that tests can issue codes in the past with --at.
        let mut generate = vec![
            "generate",
            "--issuer",
            "HK",
            "--out",
            keys_arg,
            "--not-before",
            "2022-01-01T00:00:00Z",
            "--not-after",
            "2035-12-31T23:59:59Z",
        ];
        if test {
            generate.push("--test");
        }
        let output = run("keys", &generate, &state);
        assert!(output.status.success(), "{}", stderr(&output));
        let kid = stdout(&output).trim().to_owned();
        for (command, file) in [
            ("identity-key", "identity.key"),
            ("identity-master-key", "identity-master.key"),
        ] {
            let path = keys.join(file);
            let output = run(
                "keys",
                &[command, "--out", path.to_str().unwrap_or_default()],
                &state,
            );
            assert!(output.status.success(), "{}", stderr(&output));
        }
        let set = KeySet { dir, kid };
        set.write_trust_list(1, &[]);
        // Yesterday to next week in Hong Kong: whatever the hour, today is held.
        let yesterday =
            healthcode_keys::hktime::hk_date(healthcode_keys::hktime::now() - time::Duration::DAY);
        set.write_day_keys(
            "identity-days.key",
            &healthcode_keys::hktime::format_date(yesterday),
            8,
        );
        set
    }

    /// Writes the day keys of `days` Hong Kong days from `from` (YYYY-MM-DD)
    /// to `file` in the key folder, with the real `keys` CLI; its path.
    pub fn write_day_keys(&self, file: &str, from: &str, days: u16) -> String {
        let output = self.day_keys(file, from, &days.to_string());
        assert!(output.status.success(), "{}", stderr(&output));
        self.path(file)
    }

    /// Runs `keys identity-day-keys` for `file` in the key folder, as given.
    pub fn day_keys(&self, file: &str, from: &str, days: &str) -> Output {
        let (master, out) = (self.path("identity-master.key"), self.path(file));
        let args = [
            "identity-day-keys",
            "--master",
            &master,
            "--from",
            from,
            "--days",
            days,
            "--out",
            &out,
        ];
        run("keys", &args, &self.state())
    }

    /// Path of a file in the key folder.
    pub fn path(&self, name: &str) -> String {
        self.dir
            .path()
            .join("keys")
            .join(name)
            .to_string_lossy()
            .into_owned()
    }

    /// The scanner state folder.
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Writes `trust.json` with sequence `seq`, revoking `revoked`.
    pub fn write_trust_list(&self, seq: u64, revoked: &[&str]) {
        self.trust_list(seq, revoked, None);
    }

    /// Writes `trust.json` with sequence `seq`, issued at `issued_at`, valid
    /// 30 days: for checking codes issued in the past with `--at`.
    pub fn write_trust_list_at(&self, seq: u64, issued_at: &str) {
        self.trust_list(seq, &[], Some((issued_at, 30)));
    }

    /// Writes `trust.json` with sequence `seq` that expires at `expires_at`
    /// (issued a day before it).
    pub fn write_trust_list_expiring(&self, seq: u64, expires_at: time::OffsetDateTime) {
        let issued = healthcode_keys::hktime::format_utc(expires_at - time::Duration::DAY);
        self.trust_list(seq, &[], Some((&issued, 1)));
    }

    fn trust_list(&self, seq: u64, revoked: &[&str], issued_at: Option<(&str, u16)>) {
        let root = self.path("root.secret");
        let public = self.path(&format!("{}.public", self.kid));
        let seq = seq.to_string();
        let mut args = vec!["trust-list", "--root", &root, "--seq", &seq];
        for kid in revoked {
            args.extend(["--revoke", kid]);
        }
        let days;
        if let Some((at, lifetime)) = issued_at {
            days = lifetime.to_string();
            args.extend(["--issued-at", at, "--expires-in-days", &days]);
        }
        args.push(&public);
        let output = run("keys", &args, &self.state());
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::write(self.path("trust.json"), output.stdout).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Issues a code with the real `issuer` CLI for the holder of `id_doc`
    /// issued on [`CARD_ISSUED`]; extra args like `--qr FILE`.
    pub fn issue(&self, colour: &str, id_doc: &str, extra: &[&str]) -> String {
        let key = self.path(&format!("{}.secret", self.kid));
        let master = self.path("identity-master.key");
        let mut args = vec![
            "issue",
            "--key",
            &key,
            "--identity-master-key",
            &master,
            "--colour",
            colour,
            "--id-doc",
            id_doc,
            "--date-of-issue",
            CARD_ISSUED,
        ];
        args.extend(extra);
        let output = run("issuer", &args, &self.state());
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output).trim().to_owned()
    }

    /// Runs `scanner verify --trust --root` plus `args`.
    pub fn scan(&self, args: &[&str]) -> Output {
        let (trust, root) = (self.path("trust.json"), self.path("root.public"));
        let mut all = vec!["verify", "--trust", &trust, "--root", &root];
        all.extend(args);
        run("scanner", &all, &self.state())
    }
}

/// The JSON lines of a scanner's stdout.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// Runs `issuer revoke --data STATE/issuer-data --redis URL --token-id ID
/// --reason REASON` plus `extra`: the revocation is recorded in that
/// database, then delivered.
pub fn issuer_revoke(
    state: &Path,
    url: &str,
    token_id: &str,
    reason: &str,
    extra: &[&str],
) -> Output {
    let data = state.join("issuer-data");
    let data = data.to_string_lossy();
    let mut args = vec![
        "revoke",
        "--data",
        &data,
        "--redis",
        url,
        "--token-id",
        token_id,
        "--reason",
        reason,
    ];
    args.extend(extra);
    run("issuer", &args, state)
}

/// Runs `issuer revocations deliver --data STATE/issuer-data --redis URL`:
/// what a running issuer does on connecting, restoring every revocation in
/// force and setting a new generation, so that verifiers count their data
/// as current.
pub fn issuer_deliver(state: &Path, url: &str) -> Output {
    let data = state.join("issuer-data");
    let data = data.to_string_lossy();
    let args = ["revocations", "deliver", "--data", &data, "--redis", url];
    let output = run("issuer", &args, state);
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

/// The token id of a token text, as 24 hex digits.
pub fn token_id_of(token: &str) -> String {
    healthcode_keys::UnverifiedToken::parse(token)
        .unwrap_or_else(|e| panic!("{e}"))
        .token_id()
        .to_string()
}

/// Starts a group of requests that must be counted in one minute with most
/// of a minute ahead: on PostgreSQL rate limits count fixed UTC minutes, and
/// a group that straddles two is counted in both (docs/scale.md).
pub fn with_most_of_a_minute_left() {
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() % 60);
    if second > 30 {
        std::thread::sleep(std::time::Duration::from_secs(61 - second));
    }
}

/// Waits past Hong Kong midnight when fewer than `minutes` of the day are
/// left, so that codes issued now are still valid `minutes` later.
pub fn with_minutes_of_the_day_left(minutes: i64) {
    let now = time::OffsetDateTime::now_utc().to_offset(healthcode_keys::hktime::HK_OFFSET);
    let left = 86_400 - (now.time() - time::Time::MIDNIGHT).whole_seconds();
    if left < minutes * 60 {
        std::thread::sleep(std::time::Duration::from_secs(left.unsigned_abs() + 2));
    }
}
