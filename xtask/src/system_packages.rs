//! The Debian packages the workspace needs to build and test, detected with dpkg and
//! installed with apt-get.

use std::process::{Command, ExitCode, Stdio};

use anyhow::Context;

/// One requirement: any one of `alternatives` satisfies it; the first is the one we install.
struct Requirement {
    alternatives: &'static [&'static str],
    why: &'static str,
}

/// What the build of the `scim-harness` binary needs: no system package. Its SAML stack is pure Rust
/// (RustCrypto, our own XML-DSig), SQLite is bundled and TLS is rustls; `ldd` of the binary names only
/// the C runtime (crates/scim-harness/tests/it/linked_libraries.rs).
const REQUIRED: &[Requirement] = &[];

/// What the tests need beyond the build. samael, idp's test peer that reads our metadata with a
/// parser we did not write, builds only with its `xmlsec` feature (0.0.22), which needs the SAML C
/// stack's development files and libclang for bindgen; and the browser test
/// (`crates/scim-harness/tests/it/browser.rs`) drives Debian's Chromium over WebDriver.
const TEST_ONLY: &[Requirement] = &[
    Requirement {
        alternatives: &["pkg-config"],
        why: "locating C libraries for samael's -sys crates (a test-only dependency)",
    },
    Requirement {
        alternatives: &["libssl-dev"],
        why: "openssl headers (samael, a test-only dependency)",
    },
    Requirement {
        alternatives: &["libxml2-dev"],
        why: "libxml2 headers (samael, a test-only dependency)",
    },
    Requirement {
        alternatives: &["libxmlsec1-dev"],
        why: "xmlsec1 headers (samael's xmlsec feature, a test-only dependency)",
    },
    Requirement {
        alternatives: &["libclang-dev", "libclang1-14"],
        why: "libclang for bindgen (samael, a test-only dependency)",
    },
    Requirement {
        alternatives: &["libclang-common-14-dev"],
        why: "clang's builtin headers for bindgen (samael, a test-only dependency)",
    },
    Requirement {
        alternatives: &["chromium"],
        why: "the browser test's headless browser (/usr/bin/chromium)",
    },
    Requirement {
        alternatives: &["chromium-driver"],
        why: "the browser test's WebDriver server (/usr/bin/chromedriver)",
    },
];

/// The packages the build needs, as installed (each requirement's first alternative); the
/// CI recipes' install step (`ci/install-harness.sh`) installs the same list.
pub(crate) fn build_packages() -> Vec<&'static str> {
    REQUIRED.iter().map(|req| req.alternatives[0]).collect()
}

/// What the build needs: installs what is missing when we are root; otherwise prints the
/// exact command. Returns `Some(exit code)` when the caller must stop.
pub fn ensure() -> anyhow::Result<Option<ExitCode>> {
    ensure_all(&[REQUIRED])
}

/// What the build and the whole test suite need (`cargo xtask test`), as [`ensure`].
pub fn ensure_for_tests() -> anyhow::Result<Option<ExitCode>> {
    ensure_all(&[REQUIRED, TEST_ONLY])
}

fn ensure_all(lists: &[&[Requirement]]) -> anyhow::Result<Option<ExitCode>> {
    if Command::new("dpkg-query")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        eprintln!(
            "note: dpkg-query not found; not a Debian system, so system packages are not checked \
             (the build needs none; the tests need pkg-config, openssl, libxml2, xmlsec1 and \
             libclang development files for samael, and chromium and chromium-driver for the \
             browser test)"
        );
        return Ok(None);
    }
    let missing: Vec<&Requirement> = lists
        .iter()
        .flat_map(|list| list.iter())
        .filter(|req| !req.alternatives.iter().any(|pkg| installed(pkg)))
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    let names: Vec<&str> = missing.iter().map(|req| req.alternatives[0]).collect();
    for req in &missing {
        eprintln!(
            "missing system package {} ({})",
            req.alternatives.join(" or "),
            req.why
        );
    }
    let install = format!(
        "apt-get install -y --no-install-recommends {}",
        names.join(" ")
    );
    if !is_root() {
        eprintln!("error: missing system packages; install them with:\n  sudo apt-get update && sudo {install}");
        return Ok(Some(ExitCode::from(crate::EXIT_USAGE)));
    }
    eprintln!("installing: {}", names.join(" "));
    crate::run(Command::new("apt-get").args(["update", "-q"]))?;
    crate::run(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&names)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .context("installing system packages with apt-get")?;
    Ok(None)
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Makes sure an optional tool (a Debian package of the same name) is on PATH: installs it
/// with apt-get when root, otherwise says how.
pub fn ensure_tool(tool: &str) -> anyhow::Result<()> {
    if Command::new("which")
        .arg(tool)
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        return Ok(());
    }
    if !is_root() {
        anyhow::bail!("{tool} is not installed; install it with: sudo apt-get install -y {tool}");
    }
    crate::run(Command::new("apt-get").args(["update", "-q"]))?;
    crate::run(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends", tool])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .with_context(|| format!("installing {tool} with apt-get"))
}
