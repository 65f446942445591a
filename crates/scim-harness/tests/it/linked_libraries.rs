//! Issue 18: the binary runs anywhere Linux runs. `ldd` of the built `scim-harness` names only the C
//! runtime's own objects: no OpenSSL, libxml2, xmlsec or any other library a `-dev` package would bring.
//!
//! libgcc_s is on the list because Rust's standard library unwinds panics with it on linux-gnu: every Rust
//! binary for that target links it, and every glibc system has it (Debian's libc6 depends on libgcc-s1).

use std::process::Command;

/// The shared objects the C runtime itself consists of (glibc and the kernel's vDSO), and libgcc_s.
const ALLOWED: &[&str] = &[
    "linux-vdso.so",
    "libc.so",
    "libm.so",
    "libgcc_s.so",
    "ld-linux",
    "libpthread.so",
    "libdl.so",
    "librt.so",
];

/// The first word of one `ldd` line: the object's name (`libc.so.6`, `/lib64/ld-linux-x86-64.so.2`).
fn object_name(line: &str) -> Option<&str> {
    let word = line.split_whitespace().next()?;
    Some(word.rsplit('/').next().unwrap_or(word))
}

#[test]
#[cfg(target_os = "linux")]
fn the_binary_links_only_the_c_runtime() {
    let binary = env!("CARGO_BIN_EXE_scim-harness");
    let out = Command::new("ldd")
        .arg(binary)
        .output()
        .expect("running ldd (Debian's libc-bin) on the scim-harness binary");
    assert!(
        out.status.success(),
        "ldd {binary}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = listing.lines().filter_map(object_name).collect();
    assert!(
        names.iter().any(|n| n.starts_with("libc.so")),
        "ldd named no libc; is the binary dynamic?\n{listing}"
    );
    let foreign: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !ALLOWED.iter().any(|a| n.starts_with(a)))
        .collect();
    assert!(
        foreign.is_empty(),
        "scim-harness links {foreign:?} beyond the C runtime:\n{listing}"
    );
}

#[test]
fn ldd_lines_are_read_by_their_object_name() {
    assert_eq!(
        object_name("\tlibssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x00007f)"),
        Some("libssl.so.3")
    );
    assert_eq!(
        object_name("\t/lib64/ld-linux-x86-64.so.2 (0x00007f)"),
        Some("ld-linux-x86-64.so.2")
    );
    assert_eq!(
        object_name("\tlinux-vdso.so.1 (0x00007f)"),
        Some("linux-vdso.so.1")
    );
}

/// Issue 18's other half: the binary copied alone into an empty folder (no `scenarios/`, no
/// `fixtures/`, no checkout) lists the catalogue and runs all of it against the embedded
/// reference target, every case passing.
#[test]
fn the_binary_copied_alone_lists_and_runs_the_whole_catalogue() {
    let empty = tempfile::tempdir().unwrap();
    let alone = empty.path().join("scim-harness");
    std::fs::copy(env!("CARGO_BIN_EXE_scim-harness"), &alone).unwrap();
    let harness = |args: &[&str]| {
        Command::new(&alone)
            .args(args)
            .current_dir(empty.path())
            .env_remove("SCIM_HARNESS_TARGET_URL")
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };
    let list = harness(&["list"]);
    assert!(list.status.success(), "{list:?}");
    let listed = String::from_utf8_lossy(&list.stdout).lines().count();
    let run = harness(&["run", "--format", "json"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(empty.path().join("scim-harness-report/report.json")).unwrap(),
    )
    .unwrap();
    let summary = &report["summary"];
    assert!(listed > 400, "list printed {listed} lines");
    assert_eq!(summary["total"], summary["passed"], "{summary}");
    assert_eq!(summary["total"].as_u64(), Some(listed as u64), "{summary}");
}
