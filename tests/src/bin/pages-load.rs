//! `pages-load`: the resident web pages and the review queue under a fixed request rate against a
//! real `issuer serve` (release build, SQLite), p50/p99 latency counted from
//! when each request was due, beside `GET /healthz` (HTTP + `SELECT 1`) at
//! the same rate in the same run; and what each page weighs (its HTML and
//! the one stylesheet; a page loads nothing else); then the first contentful
//! paint of the start and code pages in headless Chromium (median of 20
//! loads each).
//!
//! `cargo build --release --bins && target/release/pages-load`

use std::process::Command;

use anyhow::Context as _;
use clap::Parser;
use healthcode_issuer::totp;
use healthcode_tests::{
    accounts::{hkid, log_in, multipart, newest_sms_code, pin_in},
    browser::Browser,
    load::{dev_keys, free_port, paced, row, sibling, start},
};
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// Requests per page.
    #[arg(long, default_value_t = 4000)]
    requests: usize,
    /// Requests per second.
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// Concurrent clients (enough that a slow answer does not hold the rate back).
    #[arg(long, default_value_t = 16)]
    clients: usize,
}

const PASSWORD: &str = "pages load password";

fn issuer_cli(data: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(sibling("issuer")?)
        .args(args)
        .args(["--data", data])
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "issuer {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The document number of the resident that [`resident`] registers.
fn resident_number() -> String {
    hkid('P', 424_242)
}

/// A public-housing resident registered, activated and signed in through
/// the API, with today's code: the session token.
fn resident(base: &str, data: &str, dir: &std::path::Path) -> anyhow::Result<String> {
    let number = resident_number();
    let address = "Flat 1, 1/F, Block A, Pages Estate";
    let csv = dir.join("housing.csv");
    std::fs::write(
        &csv,
        format!(
            "id_document,address,building_id,phone\n\"HKID:{number}\",\"{address}\",bldg-pages-a,+85291112222\n"
        ),
    )?;
    issuer_cli(data, &["housing", "import", &csv.to_string_lossy()])?;
    let fields = [
        ("name", "PAGES Load"),
        ("id_type", "HKID"),
        ("id_number", number.as_str()),
        ("date_of_issue", "2018-03-01"),
        ("phone", "9111 2222"),
        ("address", address),
    ];
    let (content_type, body) = multipart(&fields, None);
    ureq::post(&format!("{base}/v1/registrations"))
        .set("content-type", &content_type)
        .send_bytes(&body)?;
    let outbox = issuer_cli(data, &["sms", "outbox"])?;
    let pin = outbox
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|m| pin_in(m["body"].as_str().unwrap_or_default()))
        .context("no PIN in the SMS outbox")?;
    let who = json!({"id_type": "HKID", "id_number": number});
    let mut activation = who.clone();
    activation["pin"] = json!(pin);
    activation["password"] = json!(PASSWORD);
    ureq::post(&format!("{base}/v1/activation")).send_json(activation)?;
    let token = log_in(base, &who, PASSWORD, || {
        newest_sms_code(&issuer_cli(data, &["sms", "outbox"])?, "sign_in")
            .context("no sign-in code in the SMS outbox")
    })?;
    ureq::post(&format!("{base}/v1/codes"))
        .set("authorization", &format!("Bearer {token}"))
        .call()?;
    Ok(token)
}

/// A reviewer set up through the console's own forms (the authenticator code
/// computed from the secret the page shows), with `applications` proof
/// applications in the queue: the console cookie.
fn reviewer(base: &str, data: &str, applications: u32) -> anyhow::Result<String> {
    let token = issuer_cli(
        data,
        &[
            "staff",
            "add",
            "--name",
            "load-reviewer",
            "--role",
            "reviewer",
        ],
    )?;
    let token = token.trim();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let page = agent
        .post(&format!("{base}/staff/set-up"))
        .send_form(&[("name", "load-reviewer"), ("token", token)])?
        .into_string()?;
    let secret_text = page
        .split("id=\"totp-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .context("no secret on the set-up page")?;
    let secret = base32_decode(secret_text);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let code = totp::code(&secret, totp::step_at(now), totp::DIGITS);
    let answer = agent.post(&format!("{base}/staff/set-up")).send_form(&[
        ("name", "load-reviewer"),
        ("token", token),
        ("step", "finish"),
        ("password", "violet harbour tram quietly 1862"),
        ("code", &code),
    ])?;
    let Some(cookie) = answer
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
    else {
        let status = answer.status();
        anyhow::bail!("no console cookie: {status} {}", answer.into_string()?);
    };
    for n in 0..applications {
        let number = hkid('Q', 500_000 + n);
        let fields = [
            ("name", "QUEUE Load"),
            ("id_type", "HKID"),
            ("id_number", number.as_str()),
            ("date_of_issue", "2018-03-01"),
            ("phone", "9111 3333"),
            ("address", "Flat 2, 2/F, Queue Building"),
        ];
        let (content_type, body) = multipart(&fields, Some(("bill.pdf", b"%PDF-1.7 a bill")));
        ureq::post(&format!("{base}/v1/registrations"))
            .set("content-type", &content_type)
            .send_bytes(&body)?;
    }
    Ok(cookie)
}

/// Base32 as an authenticator app reads it (spaces ignored).
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut count, mut bytes) = (0u64, 0, Vec::new());
    for value in text.chars().filter_map(|c| ALPHABET.find(c)) {
        bits = (bits << 5) | value as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    bytes
}

/// The first contentful paint of `paths` (ms, median of `loads`), signed in
/// as the resident on the sign-in page of a phone-sized headless Chromium.
fn paints(
    base: &str,
    data: &str,
    paths: &[&str],
    loads: usize,
) -> anyhow::Result<Vec<(String, f64)>> {
    let browser = Browser::start(412, 915);
    browser.goto(&format!("{base}/sign-in"));
    browser.fill("#id_number", &resident_number());
    browser.fill("#password", PASSWORD);
    browser.click("button[type=submit]");
    browser.wait_for_path("/sign-in/code");
    let code = newest_sms_code(&issuer_cli(data, &["sms", "outbox"])?, "sign_in")
        .context("no sign-in code in the SMS outbox")?;
    browser.fill("#code", &code);
    browser.click("button[type=submit]");
    browser.wait_for_path("/code");
    Ok(paths
        .iter()
        .map(|path| {
            let mut times: Vec<f64> = (0..loads)
                .map(|_| {
                    browser.goto(&format!("{base}{path}"));
                    first_paint(&browser)
                })
                .collect();
            times.sort_by(f64::total_cmp);
            ((*path).to_owned(), times[times.len() / 2])
        })
        .collect())
}

/// The page's first contentful paint (ms from navigation), once the
/// browser has recorded it (it may come a moment after the load event).
fn first_paint(browser: &Browser) -> f64 {
    let script = "const p = performance.getEntriesByType('paint')\
                  .find(e => e.name === 'first-contentful-paint'); \
                  return p ? p.startTime : null;";
    for _ in 0..100 {
        if let Some(ms) = browser.script(script).as_f64() {
            return ms;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    f64::NAN
}

fn get(url: &str, cookie: Option<&str>) -> anyhow::Result<usize> {
    let mut request = ureq::get(url);
    if let Some(cookie) = cookie {
        request = request.set("cookie", cookie);
    }
    let body = request.call()?.into_string()?;
    Ok(body.len())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let (kid, keys_dir) = dev_keys(dir.path())?;
    let data = dir.path().join("data").to_string_lossy().into_owned();
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let _issuer = start(
        "issuer",
        &[
            "serve",
            "--data",
            &data,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--insecure-cookies",
            "--register-per-minute",
            "10000",
            "--signing-key",
            &format!("{keys_dir}/{kid}.secret"),
            "--identity-master-key",
            &format!("{keys_dir}/identity-master.key"),
        ]
        .map(str::to_owned),
        &format!("{base}/healthz"),
    )?;
    let session = resident(&base, &data, dir.path())?;
    let cookie = format!("hc_session={session}");
    let console = reviewer(&base, &data, 50)?;
    let pages: [(&str, &str, Option<&str>); 5] = [
        ("floor: GET /healthz (HTTP + SELECT 1)", "/healthz", None),
        ("start page /", "/", None),
        ("sign-in page /sign-in", "/sign-in", None),
        (
            "code page /code (session, QR inline)",
            "/code",
            Some(cookie.as_str()),
        ),
        (
            "review queue /staff/review (50 waiting)",
            "/staff/review",
            Some(console.as_str()),
        ),
    ];
    let stylesheet = get(&format!("{base}/assets/site.css"), None)?;
    let script = get(&format!("{base}/assets/session.js"), None)?;
    println!(
        "{} requests per page at {} per second, {} clients\n",
        args.requests, args.rate, args.clients
    );
    println!("| page | requests | per second | p50 ms | p99 ms | HTML bytes | with its assets |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (name, path, cookie) in pages {
        let url = format!("{base}{path}");
        let bytes = get(&url, cookie)?;
        let run = paced(args.requests, args.rate, args.clients, |_| {
            get(&url, cookie).map(drop)
        })?;
        // Only a resident's signed-in page carries the session bar's script.
        let weight = match path {
            "/healthz" => bytes,
            "/code" => bytes + stylesheet + script,
            _ => bytes + stylesheet,
        };
        println!("{} {bytes} | {weight} |", row(name, args.requests, &run));
    }
    println!("\n| page | first contentful paint, median of 20 loads (ms) |");
    println!("| --- | ---: |");
    for (path, fcp) in paints(&base, &data, &["/", "/code"], 20)? {
        println!("| {path} | {fcp:.0} |");
    }
    Ok(())
}
