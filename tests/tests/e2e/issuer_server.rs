//! A real `issuer serve` on a free port over a real SQLite file (or, when
//! the suite runs on PostgreSQL, a database of its own there), and the
//! helpers the account tests share: multipart forms, the CLI, valid HKIDs.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

pub use healthcode_tests::accounts::{hkid, multipart, pin_in};

use healthcode_tests::databases::{drop_issuer_database, issuer_database_args};

use crate::support::{bin, stderr};

/// Rate limits high enough not to get in the way of tests that are not about them.
pub const RELAXED: &[&str] = &[
    "--register-per-minute",
    "10000",
    "--login-per-minute",
    "10000",
    "--pin-per-minute",
    "10000",
];

/// An `issuer serve` process; killed on drop.
pub struct IssuerServer {
    child: Option<Child>,
    /// The temporary folder: `data/` (database and key), `server.log`.
    pub dir: tempfile::TempDir,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    listen: String,
    extra: Vec<String>,
    /// `--database`, when given rather than chosen by the suite's engine.
    database: Option<String>,
}

impl IssuerServer {
    /// Starts a server with a new, empty data folder.
    pub fn start(extra: &[&str]) -> IssuerServer {
        IssuerServer::start_on(None, extra)
    }

    /// Starts a server with a new data folder on the PostgreSQL database
    /// `url`; another instance on it shares its data key (`--data-key`).
    pub fn start_on_postgres(url: &str, extra: &[&str]) -> IssuerServer {
        IssuerServer::start_on(Some(url.to_owned()), extra)
    }

    fn start_on(database: Option<String>, extra: &[&str]) -> IssuerServer {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let listen = format!("127.0.0.1:{port}");
        let mut server = IssuerServer {
            child: None,
            dir,
            base: format!("http://{listen}"),
            listen,
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
            database,
        };
        server.restart();
        server
    }

    /// The data folder.
    pub fn data(&self) -> String {
        self.dir.path().join("data").to_string_lossy().into_owned()
    }

    /// `--database URL` when the database is not the data folder's SQLite file.
    pub fn database_args(&self) -> Vec<String> {
        match &self.database {
            Some(url) => vec!["--database".into(), url.clone()],
            None => issuer_database_args(&self.data()),
        }
    }

    /// `--data-key FILE` when the server was given one, for its CLI commands.
    fn data_key_args(&self) -> Vec<String> {
        self.extra
            .windows(2)
            .find(|pair| pair[0] == "--data-key")
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The data key file, when the server made its own.
    pub fn data_key(&self) -> String {
        self.dir
            .path()
            .join("data")
            .join("data.key")
            .to_string_lossy()
            .into_owned()
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// (Re)starts the server on the same port and data, and waits for /healthz.
    pub fn restart(&mut self) {
        self.kill9();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(bin("issuer"))
            .args(["serve", "--data", &self.data(), "--listen", &self.listen])
            .args(self.database_args())
            .args(&self.extra)
            .env("RUST_LOG", "debug,sqlx=warn,hyper=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&self.url("/healthz")).call().is_err() {
            assert!(
                Instant::now() < deadline,
                "issuer did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path`; (status, JSON body or Null).
    pub fn get(&self, path: &str, bearer: Option<&str>) -> (u16, Value) {
        let mut request = ureq::get(&self.url(path));
        if let Some(token) = bearer {
            request = request.set("authorization", &format!("Bearer {token}"));
        }
        answer(request.call())
    }

    /// GET `path` as raw bytes with the content type.
    pub fn get_bytes(&self, path: &str, bearer: &str) -> (u16, String, Vec<u8>) {
        let response = ureq::get(&self.url(path))
            .set("authorization", &format!("Bearer {bearer}"))
            .call();
        let response = match response {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let (status, kind) = (response.status(), response.content_type().to_owned());
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut bytes)
            .unwrap_or_else(|e| panic!("{e}"));
        (status, kind, bytes)
    }

    /// POSTs JSON; (status, JSON body or Null).
    pub fn post(&self, path: &str, body: &Value, bearer: Option<&str>) -> (u16, Value) {
        let mut request = ureq::post(&self.url(path));
        if let Some(token) = bearer {
            request = request.set("authorization", &format!("Bearer {token}"));
        }
        answer(request.send_json(body.clone()))
    }

    /// POSTs a multipart registration form with an optional proof file.
    pub fn register(&self, fields: &[(&str, &str)], proof: Option<(&str, &[u8])>) -> (u16, Value) {
        let (content_type, body) = multipart(fields, proof);
        answer(
            ureq::post(&self.url("/v1/registrations"))
                .set("content-type", &content_type)
                .send_bytes(&body),
        )
    }

    /// Runs `issuer ARGS --data <data>`.
    pub fn cli(&self, args: &[&str]) -> Output {
        let data = self.data();
        Command::new(bin("issuer"))
            .args(args)
            .args(["--data", &data])
            .args(self.database_args())
            .args(self.data_key_args())
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The SMS outbox, newest first, read with the real CLI.
    pub fn outbox(&self) -> Vec<Value> {
        let output = self.cli(&["sms", "outbox", "--limit", "1000"]);
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// The newest PIN sent by SMS to `phone` (E.164), if any.
    pub fn sms_pin(&self, phone: &str) -> Option<String> {
        self.sms_code_for(phone, "pin")
    }

    /// The newest sign-in code sent by SMS to `phone` (E.164), if any.
    pub fn sms_code(&self, phone: &str) -> Option<String> {
        self.sms_code_for(phone, "sign_in")
    }

    /// The code in the newest SMS of `purpose` (`pin`, `sign_in`,
    /// `new_phone`) sent to `phone` (E.164), if any.
    pub fn sms_code_for(&self, phone: &str, purpose: &str) -> Option<String> {
        self.outbox()
            .into_iter()
            .filter(|m| m["phone"] == phone && m["purpose"] == purpose)
            .find_map(|m| pin_in(m["body"].as_str().unwrap_or_default()))
    }

    /// Adds a staff member with the real CLI; returns the token.
    pub fn staff(&self, name: &str, role: &str) -> String {
        let output = self.cli(&["staff", "add", "--name", name, "--role", role]);
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Exports the pending letters into a new folder; their paths.
    pub fn export_letters(&self) -> Vec<PathBuf> {
        let out = self
            .dir
            .path()
            .join(format!("letters-{}", crate::issuer_server::unique()));
        let out_arg = out.to_string_lossy().into_owned();
        let output = self.cli(&["letters", "export", "--out", &out_arg]);
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(PathBuf::from)
            .collect()
    }
}

impl Drop for IssuerServer {
    fn drop(&mut self) {
        self.kill9();
        if self.database.is_none() {
            drop_issuer_database(&self.data());
        }
    }
}

/// A 64 x 48 PNG: a photo of a bill, as a proof of address.
pub fn png_proof() -> Vec<u8> {
    let mut proof = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(64, 48, image::Rgb([240, 240, 230]))
        .write_to(&mut proof, image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{e}"));
    proof.into_inner()
}

/// A number unique in this test run.
pub fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn answer(result: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => {
            let status = r.status();
            (status, r.into_json().unwrap_or(Value::Null))
        }
        Err(e) => panic!("transport error: {e}"),
    }
}

/// A person to register.
pub struct Person {
    /// The name.
    pub name: String,
    /// `HKID`, `PASSPORT-GBR` ...
    pub id_type: String,
    /// The number.
    pub id_number: String,
    /// `YYYY-MM-DD`.
    pub date_of_issue: String,
    /// As typed.
    pub phone: String,
    /// E.164.
    pub phone_e164: String,
    /// The address.
    pub address: String,
}

impl Person {
    /// A new HKID holder, different on every call.
    pub fn hkid() -> Person {
        let n = unique() as u32 * 7919 % 1_000_000;
        let phone = format!("9{:07}", n);
        Person {
            name: format!("CHAN Tai Man {n}"),
            id_type: "HKID".into(),
            id_number: hkid('K', n),
            date_of_issue: "2018-03-01".into(),
            phone_e164: format!("+852{phone}"),
            phone,
            address: format!("Flat {}, 3/F, Block A, Kwai Chung Estate", n % 97),
        }
    }

    /// The registration form fields.
    pub fn form(&self) -> Vec<(&str, &str)> {
        vec![
            ("name", &self.name),
            ("id_type", &self.id_type),
            ("id_number", &self.id_number),
            ("date_of_issue", &self.date_of_issue),
            ("phone", &self.phone),
            ("address", &self.address),
        ]
    }

    /// `{"id_type", "id_number"}` plus `extra`.
    pub fn with(&self, extra: Value) -> Value {
        let mut body = serde_json::json!({ "id_type": self.id_type, "id_number": self.id_number });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    }

    /// Activates with `pin`; (status, body).
    pub fn activate(&self, server: &IssuerServer, pin: &str) -> (u16, Value) {
        server.post(
            "/v1/activation",
            &self.with(serde_json::json!({ "pin": pin, "password": PASSWORD })),
            None,
        )
    }

    /// Logs in: the password, then the code the SMS brought; the session token.
    pub fn login(&self, server: &IssuerServer) -> String {
        let (status, body) = server.post(
            "/v1/login",
            &self.with(serde_json::json!({ "password": PASSWORD })),
            None,
        );
        assert_eq!(status, 202, "{body}");
        let ending = &self.phone_e164[self.phone_e164.len() - 4..];
        assert_eq!(body["phone_ending"], ending, "{body}");
        let code = server
            .sms_code(&self.phone_e164)
            .unwrap_or_else(|| panic!("no sign-in code for {}", self.phone_e164));
        let (status, session) = server.post(
            "/v1/login/code",
            &serde_json::json!({ "challenge": body["challenge"], "code": code }),
            None,
        );
        assert_eq!(status, 200, "{session}");
        session["token"].as_str().unwrap_or_default().to_owned()
    }
}

/// The password every test resident sets.
pub const PASSWORD: &str = "correct horse battery staple";
