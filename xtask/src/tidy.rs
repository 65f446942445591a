//! Tidy checks that keep ARCHITECTURE.md and the tree true to each other (rust-analyzer's tidy tests).
//!
//! `cargo xtask tidy` prints every violation; the same checks run as tests under
//! `cargo test --workspace`. Each check is a function over inputs (ARCHITECTURE.md's
//! text, `cargo metadata`'s JSON, the source files), so its tests feed it a violating
//! input, and one test runs them all on the real tree.
//!
//! - the crate table under "## Crates" lists exactly each crate's normal dependencies on
//!   other workspace crates;
//! - only [`SERVER_CRATES`] depend on axum or open a listener in their sources, and the
//!   Architecture Invariant line about axum names exactly those crates;
//! - `unsafe` appears only in [`UNSAFE_MODULE`] (today: nowhere);
//! - every Rust file starts with its `//!` line;
//! - no non-test source file is longer than [`MAX_LINES`] (except [`OVERSIZE_ALLOWED`]).

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde_json::Value;

/// The crate folders (under `crates/`) allowed to run servers: to depend on axum and to
/// open a listener outside their tests.
pub(crate) const SERVER_CRATES: &[&str] = &["idp", "reference-target"];

/// The one module allowed `unsafe`, relative to the workspace root; none since the
/// verifier is pure Rust (the FFI to libxmlsec is gone).
pub(crate) const UNSAFE_MODULE: Option<&str> = None;

/// The most lines a non-test source file may have.
pub(crate) const MAX_LINES: usize = 800;

/// Source files allowed past [`MAX_LINES`] for now.
// being split in #13; the coordinator empties this at merge
pub(crate) const OVERSIZE_ALLOWED: &[&str] = &[];

/// What a source check reads of a listener or of axum outside the server crates.
const SERVER_MARKERS: &[&str] = &["axum::", "TcpListener", "UdpSocket::bind"];

/// One broken rule, at a file and (where it has one) a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// Relative to the workspace root, `/`-separated.
    pub(crate) file: String,
    /// 1-based.
    pub(crate) line: Option<usize>,
    pub(crate) rule: &'static str,
    pub(crate) what: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}: {}", self.file, self.rule, self.what),
            None => write!(f, "{}: {}: {}", self.file, self.rule, self.what),
        }
    }
}

fn violation(file: &str, line: Option<usize>, rule: &'static str, what: String) -> Violation {
    Violation {
        file: file.to_owned(),
        line,
        rule,
        what,
    }
}

/// A text file of the tree, by its path relative to the workspace root.
pub(crate) struct SourceFile {
    pub(crate) path: String,
    pub(crate) text: String,
}

/// What the checks read: ARCHITECTURE.md, `cargo metadata`, the crates' manifests and
/// the Rust files under `crates/*/{src,tests,benches}` and `xtask/src`.
pub(crate) struct Tree {
    pub(crate) architecture: String,
    pub(crate) metadata: Value,
    pub(crate) manifests: Vec<SourceFile>,
    pub(crate) rust_files: Vec<SourceFile>,
}

impl Tree {
    /// Reads the tree at `root` and runs `cargo metadata --format-version 1 --no-deps`.
    pub(crate) fn load(root: &Path) -> anyhow::Result<Tree> {
        let architecture = read(&root.join("ARCHITECTURE.md"))?;
        let output = crate::cargo()
            .current_dir(root)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .output()
            .context("running cargo metadata")?;
        if !output.status.success() {
            bail!(
                "cargo metadata failed with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let metadata =
            serde_json::from_slice(&output.stdout).context("reading cargo metadata's json")?;
        let mut manifests = Vec::new();
        let mut rust_files = Vec::new();
        for folder in crate_folders(root)? {
            let manifest = format!("crates/{folder}/Cargo.toml");
            manifests.push(SourceFile {
                text: read(&root.join(&manifest))?,
                path: manifest,
            });
            for part in ["src", "tests", "benches"] {
                collect_rust_files(root, &format!("crates/{folder}/{part}"), &mut rust_files)?;
            }
        }
        collect_rust_files(root, "xtask/src", &mut rust_files)?;
        Ok(Tree {
            architecture,
            metadata,
            manifests,
            rust_files,
        })
    }

    /// Every violation of every check, in a stable order.
    pub(crate) fn check(&self) -> Vec<Violation> {
        let mut found = check_crate_table(&self.architecture, &self.metadata);
        found.extend(check_server_invariant(&self.architecture, SERVER_CRATES));
        found.extend(check_server_manifests(&self.manifests, SERVER_CRATES));
        found.extend(check_server_sources(&self.rust_files, SERVER_CRATES));
        found.extend(check_unsafe(&self.rust_files, UNSAFE_MODULE));
        found.extend(check_summaries(&self.rust_files));
        found.extend(check_lengths(&self.rust_files, OVERSIZE_ALLOWED));
        found
    }
}

/// `cargo xtask tidy`: print every violation; fails when there is one.
pub(crate) fn tidy(args: &[String]) -> anyhow::Result<ExitCode> {
    if let Some(arg) = args.first() {
        eprintln!("error: `cargo xtask tidy` takes no arguments, found `{arg}`");
        return Ok(ExitCode::from(crate::EXIT_USAGE));
    }
    let found = Tree::load(&crate::workspace_root())?.check();
    for v in &found {
        println!("{v}");
    }
    if found.is_empty() {
        println!("tidy: ok");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("tidy: {} violation(s)", found.len());
        Ok(ExitCode::FAILURE)
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// The folders under `crates/` that hold a Cargo.toml, sorted.
fn crate_folders(root: &Path) -> anyhow::Result<Vec<String>> {
    let dir = root.join("crates");
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        if entry.path().join("Cargo.toml").is_file() {
            folders.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    folders.sort();
    Ok(folders)
}

/// Every `.rs` file below `rel` (relative to `root`; absent is empty), sorted by path.
fn collect_rust_files(root: &Path, rel: &str, out: &mut Vec<SourceFile>) -> anyhow::Result<()> {
    let dir = root.join(rel);
    if !dir.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("listing {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{rel}/{name}");
        let kind = entry
            .file_type()
            .with_context(|| format!("reading {path}"))?;
        if kind.is_dir() {
            collect_rust_files(root, &path, out)?;
        } else if kind.is_file() && name.ends_with(".rs") {
            out.push(SourceFile {
                text: read(&entry.path())?,
                path,
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// a. The crate table

/// A row of the crate table: the crate folder, its line, and the folders it lists.
struct TableRow {
    folder: String,
    line: usize,
    depends_on: Vec<String>,
}

/// The crate table in ARCHITECTURE.md (`| crate | depends on | role |` under "## Crates")
/// equals `cargo metadata`: each workspace crate's normal dependencies on other
/// workspace crates are exactly the ones its row lists. `xtask` is exempt.
pub(crate) fn check_crate_table(architecture: &str, metadata: &Value) -> Vec<Violation> {
    const RULE: &str = "crate table";
    let file = "ARCHITECTURE.md";
    let crates = match workspace_crates(metadata) {
        Ok(crates) => crates,
        Err(what) => return vec![violation("cargo metadata", None, RULE, what)],
    };
    let (table_line, rows) = match crate_table(architecture) {
        Ok(table) => table,
        Err(what) => return vec![violation(file, None, RULE, what)],
    };
    let mut found = Vec::new();
    let mut listed = BTreeSet::new();
    for row in &rows {
        listed.insert(row.folder.clone());
        let Some(krate) = crates.iter().find(|c| c.folder == row.folder) else {
            found.push(violation(
                file,
                Some(row.line),
                RULE,
                format!("`crates/{}` is not a workspace crate", row.folder),
            ));
            continue;
        };
        let mut listed_deps = BTreeSet::new();
        for name in &row.depends_on {
            match resolve_crate_name(&crates, name) {
                Some(folder) => {
                    listed_deps.insert(folder);
                }
                None => found.push(violation(
                    file,
                    Some(row.line),
                    RULE,
                    format!(
                        "`crates/{}` lists `{name}`, which is not a workspace crate",
                        row.folder
                    ),
                )),
            }
        }
        let actual: BTreeSet<String> = krate.depends_on.iter().cloned().collect();
        for missing in actual.difference(&listed_deps) {
            found.push(violation(
                file,
                Some(row.line),
                RULE,
                format!(
                    "`crates/{}` depends on {missing} (crates/{}/Cargo.toml [dependencies]) but its row does not list it",
                    row.folder, row.folder
                ),
            ));
        }
        for extra in listed_deps.difference(&actual) {
            found.push(violation(
                file,
                Some(row.line),
                RULE,
                format!(
                    "`crates/{}` lists {extra} but crates/{}/Cargo.toml has no such normal dependency",
                    row.folder, row.folder
                ),
            ));
        }
    }
    for krate in &crates {
        if !listed.contains(&krate.folder) {
            found.push(violation(
                file,
                Some(table_line),
                RULE,
                format!("the workspace crate `crates/{}` has no row", krate.folder),
            ));
        }
    }
    found
}

/// A workspace crate under `crates/`, by folder, with the folders of the workspace
/// crates it depends on (normal dependencies only).
struct WorkspaceCrate {
    folder: String,
    package: String,
    depends_on: Vec<String>,
}

/// The crates under `crates/` in `cargo metadata --no-deps` output.
fn workspace_crates(metadata: &Value) -> Result<Vec<WorkspaceCrate>, String> {
    let packages = metadata["packages"]
        .as_array()
        .ok_or("no `packages` array in cargo metadata's output")?;
    let folder_of = |manifest: &str| -> Option<String> {
        let mut parts = manifest.rsplit(['/', '\\']);
        let (_, folder, parent) = (parts.next()?, parts.next()?, parts.next()?);
        (parent == "crates").then(|| folder.to_owned())
    };
    let mut crates = Vec::new();
    for package in packages {
        let Some(folder) = package["manifest_path"].as_str().and_then(folder_of) else {
            continue;
        };
        let mut depends_on = BTreeSet::new();
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let normal = dep["kind"].is_null();
            let dep_folder = dep["path"]
                .as_str()
                .and_then(|p| folder_of(&format!("{p}/Cargo.toml")));
            // The hakari crate is a build artefact every crate depends on, not a layer.
            let dep_folder = dep_folder.filter(|f| f != "workspace-hack");
            if let (true, Some(dep_folder)) = (normal, dep_folder) {
                depends_on.insert(dep_folder);
            }
        }
        crates.push(WorkspaceCrate {
            folder,
            package: package["name"].as_str().unwrap_or_default().to_owned(),
            depends_on: depends_on.into_iter().collect(),
        });
    }
    Ok(crates)
}

/// The folder a table names a crate by: its folder or its package name (`-` and `_`
/// alike), with or without `crates/`.
fn resolve_crate_name(crates: &[WorkspaceCrate], name: &str) -> Option<String> {
    let name = name
        .strip_prefix("crates/")
        .unwrap_or(name)
        .replace('_', "-");
    crates
        .iter()
        .find(|c| c.folder.replace('_', "-") == name || c.package.replace('_', "-") == name)
        .map(|c| c.folder.clone())
}

/// The crate table's header line and its rows for `crates/…` (other rows, like
/// `xtask`'s, are exempt). "all of the above" lists every crate of the rows above.
fn crate_table(architecture: &str) -> Result<(usize, Vec<TableRow>), String> {
    let lines: Vec<&str> = architecture.lines().collect();
    let section = lines
        .iter()
        .position(|l| l.trim_end() == "## Crates" || l.starts_with("## Crates "))
        .ok_or("no \"## Crates\" section")?;
    let header = (section + 1..lines.len())
        .take_while(|&i| !lines[i].starts_with("## "))
        .find(|&i| lines[i].starts_with('|') && lines[i].contains("depends on"))
        .ok_or("no `| crate | depends on | role |` table under \"## Crates\"")?;
    let mut rows: Vec<TableRow> = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(header + 1) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 2 || cells[0].starts_with("---") {
            continue;
        }
        let Some(folder) = cells[0].trim_matches('`').strip_prefix("crates/") else {
            continue;
        };
        let depends_on = match cells[1] {
            "" | "—" | "-" => Vec::new(),
            "all of the above" => rows.iter().map(|r| r.folder.clone()).collect(),
            names => names
                .split(',')
                .map(|n| n.trim().trim_matches('`').to_owned())
                .filter(|n| !n.is_empty())
                .collect(),
        };
        rows.push(TableRow {
            folder: folder.to_owned(),
            line: i + 1,
            depends_on,
        });
    }
    Ok((header + 1, rows))
}

// ---------------------------------------------------------------------------------------
// b. Servers

/// The "Architecture Invariant:" line that mentions axum names, after its "only", exactly
/// the `servers` (in backticks).
pub(crate) fn check_server_invariant(architecture: &str, servers: &[&str]) -> Vec<Violation> {
    const RULE: &str = "server crates";
    let file = "ARCHITECTURE.md";
    let Some((i, line)) = architecture
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with("Architecture Invariant:") && l.contains("axum"))
    else {
        return vec![violation(
            file,
            None,
            RULE,
            "no \"Architecture Invariant:\" line mentions axum".to_owned(),
        )];
    };
    let Some(only) = line.find(" only ") else {
        return vec![violation(
            file,
            Some(i + 1),
            RULE,
            "the invariant about axum does not say which crates \"only\" may use it".to_owned(),
        )];
    };
    let named: BTreeSet<&str> = line[only..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|n| n.strip_prefix("crates/").unwrap_or(n))
        .collect();
    let allowed: BTreeSet<&str> = servers.iter().copied().collect();
    if named == allowed {
        return Vec::new();
    }
    vec![violation(
        file,
        Some(i + 1),
        RULE,
        format!(
            "the invariant about axum names {named:?}, but tidy's SERVER_CRATES is {allowed:?}"
        ),
    )]
}

/// Only the `servers` have axum among their `[dependencies]`.
pub(crate) fn check_server_manifests(manifests: &[SourceFile], servers: &[&str]) -> Vec<Violation> {
    let mut found = Vec::new();
    for manifest in manifests {
        if is_server_crate(&manifest.path, servers) {
            continue;
        }
        let mut section = "";
        for (i, line) in manifest.text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('[') {
                section = line;
                continue;
            }
            let normal = section == "[dependencies]"
                || (section.starts_with("[target.") && section.ends_with(".dependencies]"));
            let key = line.split(['=', '.', ' ']).next().unwrap_or_default();
            if normal && key == "axum" {
                found.push(violation(
                    &manifest.path,
                    Some(i + 1),
                    "server crates",
                    format!(
                        "depends on axum, but only {} may run servers (tidy's SERVER_CRATES)",
                        servers.join(", ")
                    ),
                ));
            }
        }
    }
    found
}

/// Outside the `servers`, no source under `crates/*/src` uses axum or opens a listener
/// (tests and benches are exempt, and so are `tests.rs` files and `tests/` folders in
/// `src`).
pub(crate) fn check_server_sources(files: &[SourceFile], servers: &[&str]) -> Vec<Violation> {
    let mut found = Vec::new();
    for file in files {
        if !is_non_test_source(&file.path) || is_server_crate(&file.path, servers) {
            continue;
        }
        for (i, line) in code_only(&file.text).lines().enumerate() {
            if let Some(marker) = SERVER_MARKERS.iter().find(|m| line.contains(*m)) {
                found.push(violation(
                    &file.path,
                    Some(i + 1),
                    "server crates",
                    format!(
                        "uses `{marker}`, but only {} may run servers (tidy's SERVER_CRATES)",
                        servers.join(", ")
                    ),
                ));
            }
        }
    }
    found
}

/// `crates/<folder>/…` with `<folder>` in `servers`.
fn is_server_crate(path: &str, servers: &[&str]) -> bool {
    let folder = path
        .strip_prefix("crates/")
        .and_then(|p| p.split('/').next());
    folder.is_some_and(|f| servers.contains(&f))
}

/// `crates/<folder>/src/…`.
fn is_crate_source(path: &str) -> bool {
    let mut parts = path.split('/');
    parts.next() == Some("crates") && parts.nth(1) == Some("src")
}

// ---------------------------------------------------------------------------------------
// c. unsafe

/// `unsafe` (the keyword, outside comments and strings; `unsafe_code` in a lint is not it)
/// appears only in `unsafe_module` ([`UNSAFE_MODULE`]).
pub(crate) fn check_unsafe(files: &[SourceFile], unsafe_module: Option<&str>) -> Vec<Violation> {
    let mut found = Vec::new();
    for file in files
        .iter()
        .filter(|f| Some(f.path.as_str()) != unsafe_module)
    {
        for (i, line) in code_only(&file.text).lines().enumerate() {
            if has_word(line, "unsafe") {
                found.push(violation(
                    &file.path,
                    Some(i + 1),
                    "unsafe",
                    match unsafe_module {
                        Some(module) => {
                            format!("`unsafe` outside {module}, the one module allowed it")
                        }
                        None => "`unsafe`, which no module may use".to_owned(),
                    },
                ));
            }
        }
    }
    found
}

/// `word` stands in `line` as a whole identifier.
fn has_word(line: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// Rust source with comments and the insides of string, byte-string and character
/// literals blanked out; lines stay where they were.
pub(crate) fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let prev_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if let Some(len) = raw_string_len(&chars[i..]).filter(|_| !prev_ident) {
            out.extend(chars[i..i + len].iter().map(|&c| blank(c)));
            i += len;
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    out.push(blank(c));
                }
                i += 1;
            }
            out.push('"');
            i += 1;
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal; a lifetime (`'a`) has no closing quote after one char.
            out.push('\'');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push('\'');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The length of a raw (byte) string literal starting at `chars[0]` (`r"…"`, `br#"…"#`).
fn raw_string_len(chars: &[char]) -> Option<usize> {
    let start = match chars {
        ['r', ..] => 1,
        ['b', 'r', ..] => 2,
        _ => return None,
    };
    let hashes = chars[start..].iter().take_while(|&&c| c == '#').count();
    if chars.get(start + hashes) != Some(&'"') {
        return None;
    }
    let body = start + hashes + 1;
    let close: Vec<char> = std::iter::once('"')
        .chain(std::iter::repeat_n('#', hashes))
        .collect();
    let end = (body..=chars.len().saturating_sub(close.len()))
        .find(|&j| chars[j..j + close.len()] == close[..])?;
    Some(end + close.len())
}

// ---------------------------------------------------------------------------------------
// d. `//!` summaries

/// Every Rust file starts with a `//!` line saying what it holds.
pub(crate) fn check_summaries(files: &[SourceFile]) -> Vec<Violation> {
    files
        .iter()
        .filter(|f| !f.text.starts_with("//!"))
        .map(|f| {
            violation(
                &f.path,
                Some(1),
                "summary",
                "the file does not start with a `//!` line saying what it holds".to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// e. File length

/// No non-test source file (`crates/*/src/**.rs`, not `tests.rs` nor under a `tests/`
/// folder) is longer than [`MAX_LINES`], except those in `oversize_allowed`
/// ([`OVERSIZE_ALLOWED`]), which must still be over (a stale entry fails too).
pub(crate) fn check_lengths(files: &[SourceFile], oversize_allowed: &[&str]) -> Vec<Violation> {
    const RULE: &str = "file length";
    let mut found = Vec::new();
    for file in files.iter().filter(|f| is_non_test_source(&f.path)) {
        let lines = file.text.lines().count();
        let allowed = oversize_allowed.contains(&file.path.as_str());
        if lines > MAX_LINES && !allowed {
            found.push(violation(
                &file.path,
                Some(MAX_LINES + 1),
                RULE,
                format!("{lines} lines, more than {MAX_LINES}: split it into a folder module"),
            ));
        } else if lines <= MAX_LINES && allowed {
            found.push(violation(
                &file.path,
                None,
                RULE,
                format!("{lines} lines, no longer over {MAX_LINES}: remove it from tidy's OVERSIZE_ALLOWED"),
            ));
        }
    }
    for path in oversize_allowed {
        if !files.iter().any(|f| f.path == *path) {
            found.push(violation(
                path,
                None,
                RULE,
                "listed in tidy's OVERSIZE_ALLOWED but not in the tree".to_owned(),
            ));
        }
    }
    found
}

/// `crates/<folder>/src/**.rs`, other than `tests.rs` files and files under a `tests/`
/// folder.
fn is_non_test_source(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    is_crate_source(path)
        && parts.last() != Some(&"tests.rs")
        && !parts[3..parts.len() - 1].contains(&"tests")
}

#[cfg(test)]
mod tests;
