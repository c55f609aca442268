//! A real headless Chromium, driven over WebDriver by its own chromedriver
//! on a free port, for the web pages' end-to-end tests: pages, forms, the
//! keyboard, screenshots, and axe-core's accessibility rules run in the page.
//!
//! Chromium starts with background networking off (the machine has no
//! network, and a test page must load nothing from outside anyway) and a
//! new empty profile.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{
    Client, ClientBuilder, Locator,
    actions::{InputSource as _, KeyAction, KeyActions},
    key::Key,
};
use serde_json::{Value, json};

/// axe-core, vendored from the npm registry (see `tests/fixtures/axe-core/`).
const AXE: &str = include_str!("../fixtures/axe-core/axe.min.js");

/// The WCAG 2.2 AA rule sets that every page must pass.
pub const AXE_TAGS: [&str; 6] = [
    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa",
];

/// The Chromium binary: `CHROMIUM`, else Debian's.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A browser session; Chromium and its driver end on drop.
#[derive(Debug)]
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, `width` x `height` CSS pixels.
    pub fn start(width: u32, height: u32) -> Browser {
        Browser::start_with(width, height, &[])
    }

    /// The same, with Chromium started with `extra` flags too (a fake camera).
    pub fn start_with(width: u32, height: u32, extra: &[String]) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver (apt-get install chromium-driver): {e}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(25));
        }
        let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        args.extend(extra.iter().cloned());
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium(), "args": args },
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!("an object"),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let client = runtime
            .block_on(
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(capabilities)
                    .connect(&format!("http://127.0.0.1:{port}")),
            )
            .unwrap_or_else(|e| panic!("no browser session: {e}"));
        Browser {
            runtime,
            client: Some(client),
            driver,
            _profile: profile,
        }
    }

    fn client(&self) -> &Client {
        self.client
            .as_ref()
            .unwrap_or_else(|| unreachable!("the client lives until drop"))
    }

    fn run<T, E: std::fmt::Display>(&self, what: &str, f: impl Future<Output = Result<T, E>>) -> T {
        self.runtime
            .block_on(f)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) {
        self.run(url, self.client().goto(url));
    }

    /// The page's URL.
    pub fn url(&self) -> String {
        self.run("url", self.client().current_url()).to_string()
    }

    /// Waits (at most 10 s) until the page's path is `path`, as after a key
    /// press that submits a form, whose navigation WebDriver does not await.
    pub fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.url();
            let here = url.split_once("://").map_or("", |(_, rest)| rest);
            let current = here.find('/').map_or("/", |i| &here[i..]);
            if current.split('?').next() == Some(path) {
                return;
            }
            assert!(Instant::now() < deadline, "still at {url}, not {path}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The value of the cookie `name` of the current site, HttpOnly ones
    /// included: to fetch what a link downloads, with the page's session.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let client = self.client();
        self.runtime
            .block_on(client.get_named_cookie(name))
            .ok()
            .map(|c| c.value().to_owned())
    }

    /// Runs `script` (a function body) in the page; its return value.
    pub fn script(&self, script: &str) -> Value {
        self.run("script", self.client().execute(script, Vec::new()))
    }

    /// The text of the first element matching `css`. A page that updates
    /// itself may replace the element between finding and reading it
    /// ("stale element"): then it is found again.
    pub fn text(&self, css: &str) -> String {
        let client = self.client();
        self.run(css, async {
            let mut tries = 0;
            loop {
                match client.find(Locator::Css(css)).await?.text().await {
                    Err(e) if tries < 5 && e.to_string().contains("stale element") => tries += 1,
                    read => return read,
                }
            }
        })
    }

    /// Whether an element matches `css`.
    pub fn has(&self, css: &str) -> bool {
        let found = self.run(css, self.client().find_all(Locator::Css(css)));
        !found.is_empty()
    }

    /// The attribute `name` of the first element matching `css`.
    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        let client = self.client();
        self.run(css, async {
            client.find(Locator::Css(css)).await?.attr(name).await
        })
    }

    /// Types `text` into the field `css`, replacing what it held.
    pub fn fill(&self, css: &str, text: &str) {
        let client = self.client();
        self.run(css, async {
            let field = client.find(Locator::Css(css)).await?;
            field.clear().await?;
            field.send_keys(text).await
        });
    }

    /// Picks `value` in the select `css`.
    pub fn select(&self, css: &str, value: &str) {
        let client = self.client();
        self.run(css, async {
            client
                .find(Locator::Css(css))
                .await?
                .select_by_value(value)
                .await
        });
    }

    /// Clicks the element `css`, which loads a new page, and waits for it.
    pub fn click(&self, css: &str) {
        let client = self.client();
        self.navigating(|| {
            self.run(css, async {
                client.find(Locator::Css(css)).await?.click().await
            });
        });
    }

    /// Clicks the control `css` that does not load a page (a radio button).
    pub fn choose(&self, css: &str) {
        let client = self.client();
        self.run(css, async {
            client.find(Locator::Css(css)).await?.click().await
        });
    }

    /// Runs `act`, which leads to a new page, and waits until the new
    /// document has loaded: WebDriver does not always wait for a form's
    /// answer, and the old page would be read in its place.
    fn navigating(&self, act: impl FnOnce()) {
        self.script("window.__hcOldPage = true; return null;");
        act();
        let deadline = Instant::now() + Duration::from_secs(10);
        let loaded =
            "return window.__hcOldPage === undefined && document.readyState === 'complete';";
        while self.script(loaded) != Value::Bool(true) {
            assert!(
                Instant::now() < deadline,
                "no new page after 10 s at {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Presses keys, as a person at the keyboard would, wherever the focus is.
    pub fn press(&self, keys: &[char]) {
        let mut actions = KeyActions::new("keyboard".to_owned());
        for &key in keys {
            actions = actions
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.run("keys", self.client().perform_actions(actions));
    }

    /// Types `text` where the focus is.
    pub fn type_text(&self, text: &str) {
        self.press(&text.chars().collect::<Vec<_>>());
    }

    /// Presses Tab until the focus is on the element `css`: at most `limit`
    /// times. Panics if the keyboard cannot reach it.
    pub fn tab_to(&self, css: &str, limit: usize) {
        let check = format!(
            "return document.activeElement !== null && document.activeElement.matches({});",
            serde_json::to_string(css).unwrap_or_default()
        );
        for _ in 0..limit {
            self.press(&[char::from(Key::Tab)]);
            if self.script(&check) == Value::Bool(true) {
                return;
            }
        }
        panic!(
            "{limit} presses of Tab did not reach {css} on {}",
            self.url()
        );
    }

    /// Presses Enter on a link or a form's field or button, and waits for
    /// the page it leads to.
    pub fn enter(&self) {
        self.navigating(|| self.press(&[char::from(Key::Enter)]));
    }

    /// Presses Enter on a control that acts in place (a button run by the
    /// page's script), without waiting for a new page.
    pub fn enter_in_place(&self) {
        self.press(&[char::from(Key::Enter)]);
    }

    /// The element that has the focus, as `tag#id`.
    pub fn focused(&self) -> String {
        self.script("const e = document.activeElement; return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '');")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// axe-core's WCAG 2.2 AA violations on the page as it is now.
    pub fn axe_violations(&self) -> Vec<Value> {
        self.script(&format!("{AXE}\n;return true;"));
        let options = json!({ "runOnly": { "type": "tag", "values": AXE_TAGS }, "resultTypes": ["violations"] });
        let script = format!(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, {options}).then(r => done(r.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html)}})))).catch(e => done({{error: String(e)}}));"
        );
        let result = self.run("axe", self.client().execute_async(&script, Vec::new()));
        match result {
            Value::Array(violations) => violations,
            other => panic!("axe failed: {other}"),
        }
    }

    /// Fails with axe-core's findings if the page has any violation.
    pub fn assert_accessible(&self, what: &str) {
        let violations = self.axe_violations();
        assert!(
            violations.is_empty(),
            "{what} ({}): {}",
            self.url(),
            serde_json::to_string_pretty(&violations).unwrap_or_default()
        );
    }

    /// Every URL the page loaded (its resource timing): none may be outside
    /// `origin`.
    pub fn loaded_urls(&self) -> Vec<String> {
        let value = self.script(
            "return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name));",
        );
        value
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Vec<u8> {
        self.run("screenshot", self.client().screenshot())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
