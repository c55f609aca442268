//! `answer-timing`: whether the time of an activation, a PIN resend or a
//! login tells one document state from another (issue 12: enumeration).
//! Against a real release `issuer serve` on SQLite it sends, round after
//! round, the same wrong request for a document in each state, in rotating
//! order, each from a new client address (behind a trusted proxy, so that
//! no back-off gets in the way), and prints p50 and p90 per state with the
//! ratio of each p50 to the unregistered document's.
//!
//! `cargo build --release --bins && target/release/answer-timing --rounds 300`

use std::{
    net::TcpListener,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use clap::Parser;
use healthcode_tests::{
    accounts::{hkid, multipart, pin_in},
    load::{Server, percentile, sibling, sorted, wait_for},
};
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// Rounds: each sends one request per endpoint and state.
    #[arg(long, default_value_t = 300)]
    rounds: usize,
}

const PASSWORD: &str = "timing test tram to the peak";

/// A document in one state: its label, number and phone.
struct Doc {
    state: &'static str,
    number: String,
    phone: String,
}

fn doc(state: &'static str, n: u32) -> Doc {
    Doc {
        state,
        number: hkid('T', n),
        phone: format!("5{n:07}"),
    }
}

fn register(base: &str, d: &Doc) -> anyhow::Result<()> {
    let fields = [
        ("name", "TIMING Test"),
        ("id_type", "HKID"),
        ("id_number", d.number.as_str()),
        ("date_of_issue", "2015-06-01"),
        ("phone", d.phone.as_str()),
        ("address", "Flat 1, Timing House"),
    ];
    let (content_type, body) = multipart(&fields, None);
    ureq::post(&format!("{base}/v1/registrations"))
        .set("content-type", &content_type)
        .send_bytes(&body)?;
    Ok(())
}

fn cli(data: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let output = Command::new(sibling("issuer")?)
        .args(args)
        .arg("--data")
        .arg(data)
        .output()?;
    anyhow::ensure!(output.status.success(), "issuer {args:?} failed");
    Ok(output.stdout)
}

/// Pending (housing, SMS PIN sent), letter (PIN letter printed), active, unregistered.
fn set_up(dir: &Path, base: &str) -> anyhow::Result<Vec<Doc>> {
    let data = dir.join("data");
    let docs = vec![
        doc("unregistered", 1),
        doc("pending (SMS PIN)", 2),
        doc("pending (letter PIN)", 3),
        doc("active", 4),
    ];
    let csv = dir.join("housing.csv");
    let mut text = "id_document,address,building_id,phone\n".to_owned();
    for d in [&docs[1], &docs[3]] {
        text.push_str(&format!(
            "\"HKID:{}\",Flat 1 Timing House,bldg-t,{}\n",
            d.number, d.phone
        ));
    }
    std::fs::write(&csv, text)?;
    cli(&data, &["housing", "import", &csv.to_string_lossy()])?;
    for d in &docs[1..] {
        register(base, d)?;
    }
    let out = dir.join("letters");
    cli(
        &data,
        &["letters", "export", "--out", &out.to_string_lossy()],
    )?;
    let outbox = String::from_utf8(cli(&data, &["sms", "outbox", "--limit", "10"])?)?;
    let pin = outbox
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|m| m["phone"] == format!("+852{}", docs[3].phone))
        .and_then(|m| pin_in(m["body"].as_str().unwrap_or_default()))
        .context("no PIN for the active account")?;
    let body =
        json!({"id_type": "HKID", "id_number": docs[3].number, "pin": pin, "password": PASSWORD});
    ureq::post(&format!("{base}/v1/activation")).send_json(body)?;
    Ok(docs)
}

/// One request as client number `client`; its latency. Any answer counts:
/// the point is how long the refusal takes.
fn timed(base: &str, path: &str, client: usize, body: &Value) -> anyhow::Result<Duration> {
    let address = format!(
        "10.{}.{}.{}",
        client >> 16 & 255,
        client >> 8 & 255,
        client & 255
    );
    let start = Instant::now();
    match ureq::post(&format!("{base}{path}"))
        .set("x-forwarded-for", &address)
        .send_json(body.clone())
    {
        Ok(_) | Err(ureq::Error::Status(..)) => Ok(start.elapsed()),
        Err(e) => Err(e.into()),
    }
}

fn request(endpoint: &str, d: &Doc) -> (&'static str, Value) {
    let who = |extra: Value| {
        let mut body = json!({"id_type": "HKID", "id_number": d.number});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    match endpoint {
        "activation" => (
            "/v1/activation",
            who(json!({"pin": "000000", "password": PASSWORD})),
        ),
        "resend" => ("/v1/activation/pin", who(json!({"phone": d.phone}))),
        _ => (
            "/v1/login",
            who(json!({"password": "a wrong password, surely"})),
        ),
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(
        Command::new(sibling("issuer")?)
            .args(["serve", "--data"])
            .arg(dir.path().join("data"))
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--trusted-proxy",
                "127.0.0.1",
            ])
            .args([
                "--register-per-minute",
                "1000000",
                "--login-per-minute",
                "1000000",
            ])
            .args(["--pin-per-minute", "1000000"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("start target/release/issuer (cargo build --release --bins)")?,
    );
    wait_for(&format!("{base}/healthz"), Duration::from_secs(30))?;
    let docs = set_up(dir.path(), &base)?;
    println!("| request | document | p50 ms | p90 ms | p50 : unregistered p50 |");
    println!("| --- | --- | ---: | ---: | ---: |");
    let mut client = 0;
    for endpoint in ["activation", "resend", "login"] {
        let mut latencies = vec![Vec::new(); docs.len()];
        for round in 0..args.rounds {
            for k in 0..docs.len() {
                let i = (round + k) % docs.len();
                let (path, body) = request(endpoint, &docs[i]);
                client += 1;
                latencies[i].push(timed(&base, path, client, &body)?);
            }
        }
        let p50s: Vec<f64> = latencies
            .iter()
            .map(|l| percentile(&sorted(l.clone()), 0.5))
            .collect();
        for (i, l) in latencies.into_iter().enumerate() {
            let l = sorted(l);
            println!(
                "| {endpoint} | {} | {:.2} | {:.2} | {:.2} |",
                docs[i].state,
                p50s[i],
                percentile(&l, 0.9),
                p50s[i] / p50s[0]
            );
        }
    }
    Ok(())
}
