//! Headless Chromium over WebDriver for the browser tests: Debian's `chromedriver` as a
//! child process on a free loopback port (killed on drop), a fantoccini session with the
//! flags this closed network needs and a fresh profile, the page's visible text, and
//! screenshots written to `target/browser-artifacts/`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// Debian's ChromeDriver and Chromium (packages `chromium-driver`, `chromium`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Headless, as root, and quiet on a closed network: without the background-networking
/// flags Chromium keeps opening connections to Google's hosts, which are refused here.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1280,1000",
];

/// How long a page may take to show what a test waits for.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// A free loopback port (bound, then released for the process that takes it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("finding a free loopback port")
        .port()
}

/// `target/browser-artifacts/`: `CARGO_TARGET_DIR` when set, else the `target/` this test
/// binary was built in (`target/<profile>/deps/it-…`).
pub fn artifacts_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir),
        None => std::env::current_exe()
            .expect("the test binary's path")
            .ancestors()
            .nth(3)
            .expect("the test binary lives in target/<profile>/deps")
            .to_path_buf(),
    };
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

/// A running `chromedriver` in a process group of its own, with the Chromium processes it
/// starts; the whole group is killed when dropped (also when a test fails midway).
pub struct Chromedriver {
    child: Child,
    pub url: String,
}

impl Chromedriver {
    /// Starts `chromedriver --port=<free port>` and waits until `/status` says ready.
    /// Fails (never skips) when ChromeDriver is not installed.
    pub async fn start() -> Chromedriver {
        assert!(
            Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
            "the browser test needs Debian's Chromium and ChromeDriver ({CHROMIUM}, \
             {CHROMEDRIVER}); run `cargo xtask test` as root, which installs them, or \
             `apt-get install chromium chromium-driver`"
        );
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}"));
        let mut driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        driver.wait_ready().await;
        driver
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let status = format!("{}/status", self.url);
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("{CHROMEDRIVER} exited before it was ready: {exit}");
            }
            let answer = client
                .get(&status)
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if let Ok(response) = answer {
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{CHROMEDRIVER} did not answer {status} ready within {PAGE_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid; `kill -- -PGID` reaches Chromium too.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session with a fresh profile; end it with [`Browser::close`].
pub struct Browser {
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A new headless Chromium session through `driver`.
    pub async fn open(driver: &Chromedriver) -> Browser {
        let profile = tempfile::tempdir().expect("a temporary Chromium profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut capabilities = fantoccini::wd::Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("opening a Chromium session through {}: {e}", driver.url));
        Browser {
            client,
            _profile: profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    pub async fn current_url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_else(|e| format!("(no url: {e})"))
    }

    /// The page's visible text (`document.body.innerText`).
    pub async fn text(&self) -> Result<String, fantoccini::error::CmdError> {
        let value = self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until the visible text contains `needle`, and returns it. On timeout, saves
    /// `<what>-timeout.png` and fails with the URL and the text seen last.
    pub async fn wait_for_text(&self, needle: &str, what: &str) -> String {
        self.wait_for_any_text(&[needle], what).await
    }

    /// Waits until the visible text contains any of `needles` (so a test can stop at the
    /// wrong outcome at once, and say which it was), and returns it; fails as
    /// [`Browser::wait_for_text`] does.
    pub async fn wait_for_any_text(&self, needles: &[&str], what: &str) -> String {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            let last = match self.text().await {
                Ok(text) if needles.iter().any(|n| text.contains(n)) => return text,
                Ok(text) => text,
                // Mid-navigation the document may be gone; try again.
                Err(e) => format!("(no text: {e})"),
            };
            if Instant::now() >= deadline {
                let shot = self.screenshot(&format!("{what}-timeout.png")).await;
                panic!(
                    "{what}: the page never showed any of {needles:?} within {PAGE_TIMEOUT:?}\n\
                     url: {}\nscreenshot: {}\ntext:\n{last}",
                    self.current_url().await,
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The first element matching `css`, waited for.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => {
                let text = self.text().await.unwrap_or_default();
                panic!(
                    "no element {css} at {}: {e}\ntext:\n{text}",
                    self.current_url().await
                )
            }
        }
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    /// A PNG of the viewport, written to `target/browser-artifacts/<name>`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("taking screenshot {name}: {e}"));
        let path = artifacts_dir().join(name);
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Ends the session (Chromium exits; the profile is removed).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
