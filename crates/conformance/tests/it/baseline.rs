//! Baselines that name the expected outcome: parsing, how a case's outcome is judged
//! against its entry, and the file `--write-baseline` writes read back.

use conformance::{Baseline, BaselineEntry, CaseResult, ExpectedOutcome, Level, Outcome};

fn baseline(text: &str) -> Baseline {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.toml");
    std::fs::write(&path, text).unwrap();
    Baseline::load(&path).expect("the baseline loads")
}

fn result(id: &str, outcome: Outcome) -> CaseResult {
    CaseResult {
        id: id.into(),
        scenario: "s".into(),
        title: "t".into(),
        area: "users".into(),
        persona: "rfc".into(),
        config: "default".into(),
        level: Level::Must,
        spec: Vec::new(),
        outcome,
        reason: Some("observed".into()),
        duration_ms: 0,
        tag: "x".into(),
        mismatches: Vec::new(),
        notes: Vec::new(),
        transcript: Vec::new(),
    }
}

const FILE: &str = r#"
[[expected]]
case = "a/*"
reason = "any failure"

[[expected]]
case = "w/*"
outcome = "warn"
reason = "should miss"

[[expected]]
case = "s/*"
outcome = "skip"
reason = "no saml"
"#;

/// (case, observed) → (outcome after the baseline, reported as outdated).
#[track_caller]
fn check(id: &str, observed: Outcome, judged: Outcome, outdated: bool) {
    let b = baseline(FILE);
    let mut r = result(id, observed);
    assert_eq!(b.judged(&r), judged, "{id} {observed:?}");
    b.apply(&mut r);
    assert_eq!(r.outcome, judged, "{id} {observed:?}: {:?}", r.reason);
    assert_eq!(b.outdated(&r).is_some(), outdated, "{id} {observed:?}");
}

#[test]
fn an_entry_with_an_outcome_covers_that_outcome_only() {
    // Without `outcome`: any failure is expected; a pass fails (stale), as before.
    check("a/1", Outcome::Fail, Outcome::Expected, false);
    check("a/1", Outcome::Warn, Outcome::Expected, false);
    check("a/1", Outcome::Error, Outcome::Expected, false);
    check("a/1", Outcome::Pass, Outcome::Fail, false);
    check("a/1", Outcome::Skip, Outcome::Skip, false);
    // `outcome = "warn"`: a warning is expected; a pass or skip is outdated but keeps its
    // outcome (not a failure); a failure stays a failure.
    check("w/1", Outcome::Warn, Outcome::Expected, false);
    check("w/1", Outcome::Pass, Outcome::Pass, true);
    check("w/1", Outcome::Skip, Outcome::Skip, true);
    check("w/1", Outcome::Fail, Outcome::Fail, false);
    check("w/1", Outcome::Error, Outcome::Error, false);
    // `outcome = "skip"`.
    check("s/1", Outcome::Skip, Outcome::Expected, false);
    check("s/1", Outcome::Pass, Outcome::Pass, true);
    check("s/1", Outcome::Fail, Outcome::Fail, false);
    // Not listed.
    check("z/1", Outcome::Fail, Outcome::Fail, false);
}

#[test]
fn a_worse_outcome_says_what_the_entry_expected() {
    let b = baseline(FILE);
    let mut r = result("w/1", Outcome::Fail);
    b.apply(&mut r);
    let reason = r.reason.unwrap();
    assert!(
        reason.contains("expects `w/*` to warn (should miss), but the case failed: observed"),
        "{reason}"
    );
}

#[test]
fn an_unknown_outcome_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.toml");
    std::fs::write(
        &path,
        "[[expected]]\ncase = \"x\"\noutcome = \"pass\"\nreason = \"r\"\n",
    )
    .unwrap();
    let err = Baseline::load(&path).unwrap_err().to_string();
    assert!(err.contains(":3:") && err.contains("pass"), "{err}");
}

#[test]
fn a_written_baseline_reads_back_as_written() {
    let written = Baseline {
        expected: vec![
            BaselineEntry {
                case: "users.x/rfc/default".into(),
                outcome: Some(ExpectedOutcome::Error),
                reason: Baseline::REASON_PLACEHOLDER.into(),
            },
            BaselineEntry {
                case: "groups.*/okta/*".into(),
                outcome: None,
                reason: "a \"quoted\" reason\\ with a backslash".into(),
            },
        ],
        origin: String::new(),
    };
    let text = written.to_toml("line one\nline two");
    assert!(text.starts_with("# line one\n# line two\n"), "{text}");
    let read = baseline(&text);
    assert_eq!(read.expected, written.expected);
    assert_eq!(read.placeholders(), 1);
}

/// The interop baseline (`cargo xtask interop`) still loads, every entry without an
/// outcome, so its rules are unchanged.
#[test]
fn the_interop_baseline_still_loads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/interop/scim2-server.baseline.toml");
    let b = Baseline::load(&path).expect("the interop baseline loads");
    assert!(!b.expected.is_empty());
    assert!(b.expected.iter().all(|e| e.outcome.is_none()));
    assert_eq!(b.placeholders(), 0);
}
