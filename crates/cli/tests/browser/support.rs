//! The browser tests' parts: a real `holdfast serve` (the embedded default: SQLite, the demo
//! businesses, the built-in test checkout) and a real headless Chromium driven over WebDriver
//! by chromedriver (Debian's `chromium` and `chromium-driver`, which `./scripts/test` installs).
//! No mock anywhere: what the page shows comes from the server's GraphQL API.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use holdfast_testkit::process::{Listening, spawn_listening};
use serde_json::{Value, json};

/// How long a page may take to show what a test waits for.
pub const WAIT: Duration = Duration::from_secs(15);

/// A `holdfast serve` on a fresh embedded store, with the demo loaded.
pub struct Site {
    _server: Listening,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl Site {
    pub fn start() -> Self {
        Self::start_at(None)
    }

    /// A server whose clock starts at `at` (RFC 3339) and runs on.
    pub fn start_at(at: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_holdfast"));
        for var in [
            "HOLDFAST_CONFIG",
            "HOLDFAST_DYNAMODB_ENDPOINT",
            "HOLDFAST_DYNAMODB",
            "HOLDFAST_DATABASE_URL",
        ] {
            command.env_remove(var);
        }
        command
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .args(["serve", "--listen", "127.0.0.1:0", "--no-notifications"])
            .stderr(Stdio::null());
        if let Some(at) = at {
            command.args(["--clock-starts-at", at]);
        }
        let server = spawn_listening(&mut command);
        let base = server.base_url.clone();
        Self {
            _server: server,
            base,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A GraphQL request to the server, as `token` (or anonymously).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let client = reqwest::Client::new();
        let mut request = client
            .post(self.url("/graphql"))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let body: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(body.get("errors").is_none(), "{query}: {body}");
        body["data"].clone()
    }

    /// Waits until the demo businesses are onboarded (the server does it after it listens).
    pub async fn wait_for_demo(&self) {
        let deadline = Instant::now() + WAIT;
        loop {
            let body: Value = reqwest::Client::new()
                .post(self.url("/graphql"))
                .json(&json!({"query": "{ business(slug: \"mapo-table\") { tenantId } }"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if body["data"]["business"]["tenantId"].is_string() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the demo businesses never appeared: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Site {
    /// Signs a new guest up through the API: their session (as `signUp` returns it).
    pub async fn new_guest(&self, name: &str) -> Value {
        let data = self
            .gql(
                None,
                &format!("mutation($input: SignUpInput!) {{ signUp(input: $input) {{ {SESSION} }} }}"),
                json!({"input": {"email": email(name), "password": "correct horse battery", "name": name,
                                 "phone": "010-9876-5432", "language": "EN"}}),
            )
            .await;
        data["signUp"].clone()
    }

    /// A demo owner's operator session for the business at `slug`.
    pub async fn operator(&self, slug: &str) -> Value {
        let tenant = self
            .gql(
                None,
                "query($s: String!) { business(slug: $s) { tenantId } }",
                json!({"s": slug}),
            )
            .await["business"]["tenantId"]
            .clone();
        let data = self
            .gql(
                None,
                &format!("mutation($e: String!, $p: String!, $t: ID) {{ signIn(email: $e, password: $p, tenantId: $t) {{ {SESSION} }} }}"),
                json!({"e": format!("owner@{slug}.example"), "p": "holdfast-demo", "t": tenant}),
            )
            .await;
        data["signIn"].clone()
    }

    /// Holds `input` (a `PlaceBookingInput`) as the guest of `session`; the booking's id.
    pub async fn hold(&self, session: &Value, input: Value) -> String {
        let data = self
            .gql(
                session["accessToken"].as_str(),
                "mutation($k: String!, $input: PlaceBookingInput!) { placeBooking(idempotencyKey: $k, input: $input) { bookingId status } }",
                json!({"k": ulid::Ulid::new().to_string(), "input": input}),
            )
            .await;
        assert_eq!(data["placeBooking"]["status"], "HELD", "{data}");
        data["placeBooking"]["bookingId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Pays a held booking through the test checkout, as its page does.
    pub async fn pay(&self, booking: &str, amount_minor: i64, currency: &str) {
        let response = reqwest::Client::new()
            .post(self.url(&format!("/checkout/test/{booking}")))
            .json(&json!({"amountMinor": amount_minor, "currency": currency, "attempt": ulid::Ulid::new().to_string()}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
}

/// What a test asks of a session.
pub const SESSION: &str = "accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt accountId guestId tenantId";

/// chromedriver, started for one test (killed on drop).
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub async fn start() -> Self {
        let binary = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or_else(|| {
                panic!(
                    "chromedriver is not installed: run ./scripts/test (it installs Debian's \
                     chromium and chromium-driver) or `apt-get install chromium chromium-driver`"
                )
            });
        let port = holdfast_testkit::dedicated::free_port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, url }
    }

    /// A headless Chromium window `width` px wide, its pages in `lang`.
    pub async fn browser(&self, width: u32, lang: &str) -> Browser {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    format!("--window-size={width},900"), format!("--lang={lang}"),
                    "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                ],
                "prefs": {"intl.accept_languages": lang},
            }),
        );
        // chromedriver is on loopback: plain HTTP, no TLS.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a WebDriver session with headless Chromium");
        client.set_window_size(width, 900).await.unwrap();
        Browser { client, width }
    }
}

/// One browser window.
pub struct Browser {
    pub client: Client,
    pub width: u32,
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// The first element matching `css`, waiting for it.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no {css} on {}: {e}", self.here().await),
        }
    }

    pub async fn here(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// Clicks `css`, finding it again when the page re-rendered it meanwhile (the live parts
    /// redraw when a change arrives).
    pub async fn click(&self, css: &str) {
        let mut attempts = 0;
        loop {
            let element = self.find(css).await;
            let scrolled = self
                .client
                .execute(
                    "arguments[0].scrollIntoView({block: 'center'});",
                    vec![serde_json::to_value(&element).unwrap()],
                )
                .await;
            let clicked = match scrolled {
                Ok(_) => element.click().await,
                Err(e) => Err(e),
            };
            match clicked {
                Ok(()) => return,
                Err(e) if attempts < 5 && e.to_string().contains("stale") => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot click {css}: {e}"),
            }
        }
    }

    /// Clicks `css` with Shift held (a range selection).
    pub async fn shift_click(&self, css: &str) {
        let element = self.find(css).await;
        self.client
            .execute(
                "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true, shiftKey: true}));",
                vec![serde_json::to_value(&element).unwrap()],
            )
            .await
            .unwrap();
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        element.clear().await.unwrap();
        element.send_keys(text).await.unwrap();
    }

    /// The text of `css` once it contains `wanted` (panics with what it showed instead).
    pub async fn wait_text(&self, css: &str, wanted: &str) -> String {
        let deadline = Instant::now() + WAIT;
        let mut last = String::new();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if text.contains(wanted) {
                    return text;
                }
                last = text;
            }
            if Instant::now() >= deadline {
                let page = self.js("return document.getElementById('app')?.innerText ?? document.body.innerText").await;
                panic!(
                    "{css} never said {wanted:?} on {}; it said {last:?}; the page: {page}",
                    self.here().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the address is `path` (and query) on the site.
    pub async fn wait_path(&self, starts_with: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let here = self.here().await;
            let path = here.split_once("//").map_or(here.as_str(), |(_, r)| r);
            let path = path.find('/').map_or("", |i| &path[i..]).to_owned();
            if path.starts_with(starts_with) {
                return path;
            }
            assert!(
                Instant::now() < deadline,
                "never reached {starts_with}; at {here}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What a screen reader names the element matching `css` (its text for assistive
    /// technology: the visually hidden words of a calendar cell), read in one step.
    pub async fn spoken(&self, css: &str) -> String {
        self.find(css).await;
        let value = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? (e.getAttribute('aria-label') || e.querySelector('.sr')?.textContent || e.textContent).trim() : '';",
                vec![json!(css)],
            )
            .await
            .unwrap();
        value.as_str().unwrap_or_default().to_owned()
    }

    /// axe-core's serious and critical accessibility violations on the page (injected from the
    /// tests' vendored copy), as "rule: target" lines.
    pub async fn axe(&self) -> Vec<String> {
        const AXE: &str = include_str!("vendor/axe.min.js");
        self.client.execute(AXE, vec![]).await.unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then((r) => done(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${n.failureSummary || ''})`))))
                   .catch((e) => done([`axe failed: ${e}`]));",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(result).unwrap()
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// The signed-in guest's access token (what the page keeps).
    pub async fn token(&self) -> String {
        self.js("return JSON.parse(localStorage.getItem('holdfast.session')).accessToken")
            .await
            .as_str()
            .expect("signed in")
            .to_owned()
    }

    /// Nothing on the page is wider than the window (no sideways scrolling at 375 px).
    pub async fn assert_fits(&self) {
        let widths = self
            .js("return [document.documentElement.scrollWidth, window.innerWidth]")
            .await;
        let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
        assert!(
            scroll <= inner,
            "{} is {scroll} px wide in a {inner} px window",
            self.here().await
        );
    }

    /// The page shows no leftovers of code: no "null", "undefined", "NaN", "[object …]" or an
    /// unfilled `{placeholder}`.
    pub async fn assert_no_junk(&self) {
        let text = self
            .js("return document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for junk in [
            "null",
            "undefined",
            "NaN",
            "[object",
            "{n}",
            "{date}",
            "{time}",
            "{price}",
        ] {
            let found = text
                .split(|c: char| !c.is_alphanumeric() && c != '[' && c != '{' && c != '}')
                .any(|word| word == junk || (junk.starts_with('[') && text.contains(junk)));
            assert!(!found, "{} shows {junk:?}: {text}", self.here().await);
        }
    }

    /// Saves a screenshot as `<dir>/<name>-<width>.png` when `HOLDFAST_SCREENSHOTS` names a
    /// directory (`docs/screenshots` refreshes the README's).
    pub async fn shot(&self, name: &str) {
        let Ok(dir) = std::env::var("HOLDFAST_SCREENSHOTS") else {
            return;
        };
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        // Let fonts and the last changes settle.
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The whole page: the window grows to its height for the picture.
        let height = self
            .js("return document.documentElement.scrollHeight")
            .await
            .as_u64()
            .unwrap_or(900)
            .clamp(600, 4000) as u32;
        self.client
            .set_window_size(self.width, height + 80)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let png = self.client.screenshot().await.unwrap();
        self.client.set_window_size(self.width, 900).await.unwrap();
        std::fs::write(dir.join(format!("{name}-{}.png", self.width)), png).unwrap();
    }

    /// Keeps `session` as the page does (signed in from the next page on).
    pub async fn sign_in(&self, site: &Site, session: &Value) {
        self.goto(&site.url("/signin")).await;
        self.client
            .execute(
                "localStorage.setItem('holdfast.session', JSON.stringify(arguments[0]));",
                vec![session.clone()],
            )
            .await
            .unwrap();
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// Signs up a new guest on `/signin` (the page the site sends a signed-out guest to).
pub async fn sign_up(browser: &Browser, name: &str, email: &str) {
    browser.find("#signup-form").await;
    browser.fill("#signup-name", name).await;
    browser.fill("#signup-email", email).await;
    browser.fill("#signup-phone", "010-2345-6789").await;
    browser
        .fill("#signup-password", "correct horse battery")
        .await;
    browser.click("#signup-form button[type=submit]").await;
}

/// A fresh e-mail address.
pub fn email(who: &str) -> String {
    let who = who
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    format!(
        "{who}-{}@guests.example",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}
