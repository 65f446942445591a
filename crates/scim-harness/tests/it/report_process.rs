//! The reports of a real run, as CI reads them: report.json valid against the published
//! schema and carrying the run's metadata; JUnit with properties, times and the failing
//! exchange; summary.md with the verdict.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small run against the embedded target with one fault: six cases, one MUST failure
/// (`config.token-without-role/rfc/default`) in the `config` area, the rest passing.
pub struct SmallRun {
    pub dir: tempfile::TempDir,
    pub output: Output,
}

/// The failing case of [`SmallRun`].
pub const FAILING_CASE: &str = "config.token-without-role/rfc/default";

impl SmallRun {
    pub fn new(formats: &str) -> SmallRun {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let output = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
            .args(["run", "--seed", "7", "--jobs", "2", "--format", formats])
            .arg("--out")
            .arg(dir.path())
            .args(["--include", "config.token-without-role/*"])
            .args(["--include", "users.lifecycle/*"])
            .args(["--fault", "role-less-token-accepted"])
            .env_remove("SCIM_HARNESS_TARGET_URL")
            .env_remove("RUST_LOG")
            .output()
            .expect("running scim-harness");
        SmallRun { dir, output }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| {
            panic!(
                "reading {name}: {e}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&self.output.stdout),
                String::from_utf8_lossy(&self.output.stderr)
            )
        })
    }
}

fn schema() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/report-v1.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schemas/report-v1.json"))
        .expect("the schema is JSON")
}

/// A real run's report.json is valid against `schemas/report-v1.json` and carries the
/// version, start time, selection and catalogue digest; a report with a field of the
/// wrong type is refused by the same validator (so the check can fail).
#[test]
fn report_json_of_a_real_run_is_valid_against_the_published_schema() {
    let run = SmallRun::new("json");
    assert_eq!(run.output.status.code(), Some(1), "one MUST case fails");
    let report: serde_json::Value = serde_json::from_str(&run.read("report.json")).unwrap();
    let validator = jsonschema::validator_for(&schema()).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.json against the schema: {errors:#?}"
    );

    assert_eq!(report["schema"], "scim-harness/report/v1");
    assert_eq!(report["harness_version"], env!("CARGO_PKG_VERSION"));
    let started = report["started_at"].as_str().expect("started_at");
    time::OffsetDateTime::parse(started, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("started_at {started}: {e}"));
    assert!(started.ends_with('Z'), "UTC: {started}");
    let digest = report["catalogue_digest"]
        .as_str()
        .expect("catalogue_digest");
    assert!(
        digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
        "{digest}"
    );
    assert_eq!(
        report["selection"]["include"],
        serde_json::json!(["config.token-without-role/*", "users.lifecycle/*"])
    );
    assert_eq!(
        report["selection"]["faults"],
        serde_json::json!(["role-less-token-accepted"])
    );
    assert_eq!(report["seed"], 7);
    assert_eq!(report["verdict"], "failed");
    let failing = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == FAILING_CASE)
        .expect("the failing case");
    assert_eq!(failing["outcome"], "fail");
    assert!(failing["failing_exchange"]["request"]
        .as_str()
        .is_some_and(|r| r.starts_with("POST http://")));

    let mut broken = report.clone();
    broken["cases"][0]["duration_ms"] = serde_json::json!("slow");
    assert!(
        !validator.is_valid(&broken),
        "a string duration must be refused"
    );
}

/// A real run's junit.xml: every suite has the run's properties, a timestamp and a time;
/// the failing case's failure text shows the exchange that failed it.
#[test]
fn junit_of_a_real_run_carries_properties_and_the_failing_exchange() {
    let run = SmallRun::new("junit");
    let x = run.read("junit.xml");
    let suites = x.matches("<testsuite ").count();
    assert_eq!(suites, 2, "{x}");
    for p in [
        "seed\" value=\"7\"",
        "target\" value=\"reference\"",
        "catalogue_digest\"",
    ] {
        assert_eq!(x.matches(p).count(), suites, "{p}: {x}");
    }
    assert_eq!(
        x.matches(&format!(
            "harness_version\" value=\"{}\"",
            env!("CARGO_PKG_VERSION")
        ))
        .count(),
        suites
    );
    for tag in x.split("<testsuite ").skip(1) {
        let head = tag.split('>').next().unwrap();
        assert!(
            head.contains("timestamp=\"") && head.contains(" time=\""),
            "{head}"
        );
    }
    let failing = x
        .split("<testcase ")
        .find(|t| t.contains("classname=\"config.token-without-role\""))
        .expect("the failing case");
    assert!(failing.contains("<failure"), "{failing}");
    assert!(
        failing.contains("exchange #") && failing.contains("POST http://127.0.0.1:"),
        "{failing}"
    );
}

/// summary.md is written beside any report file without being asked for, opens with the
/// verdict and exit code, and lists the MUST failure by id before the verdict line;
/// `--format md` alone writes it and nothing else.
#[test]
fn summary_md_is_written_beside_the_reports() {
    let run = SmallRun::new("human,json");
    let md = run.read("summary.md");
    assert!(md.starts_with("## scim-harness: failed (exit 1)\n"), "{md}");
    assert!(
        md.contains("| failed | 1 |") && md.contains("| **total** | **6** |"),
        "{md}"
    );
    let failure = md
        .find(&format!("`{FAILING_CASE}`"))
        .expect("the failing case");
    let verdict = md
        .find("**Verdict: failed** (exit 1)")
        .expect("the verdict");
    assert!(failure < verdict, "{md}");

    let only = SmallRun::new("md");
    assert!(only.path("summary.md").is_file());
    assert!(!only.path("report.json").exists() && !only.path("junit.xml").exists());
}
