//! JUnit XML through `quick-junit` (as nextest writes it): one test suite per scenario,
//! one test case per persona × config.
//!
//! What CI dashboards read, and so what this fills in:
//! - GitLab's unit test reports (docs.gitlab.com/ci/testing/unit_test_reports; parser
//!   lib/gitlab/ci/parsers/test/junit.rb): `testcase` `classname` (its "Suite" column) and
//!   `name` key a case, `time` in seconds, and the *text* of `failure`/`error` is what it
//!   shows (the `message` attribute is not shown: gitlab-foss#53668); duplicate
//!   classname + name pairs are dropped, so ours are unique.
//! - dorny/test-reporter's java-junit parser (src/parsers/java-junit/java-junit-parser.ts):
//!   `testsuite` `name` and `time`, `testcase` `name`, `classname`, `time` (parsed as float
//!   seconds: a missing one is NaN), and the first `failure`/`error`'s text as details
//!   with its `message`.
//!
//! So every suite and case has `time`, every suite a `timestamp` (the run's start) and
//! `<properties>` (seed, target, harness version, personas, catalogue digest), and a
//! failure's text carries its mismatches and the exchange that showed them (request line,
//! status, the start of the body; secrets were redacted when it was recorded).

use std::time::Duration;

use conformance::{CaseResult, Outcome};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::Collector;

/// The run as JUnit XML.
pub fn junit(c: &Collector) -> String {
    let mut report = Report::new("scim-harness");
    report.set_time(Duration::from_millis(c.duration_ms));
    let started = c
        .meta
        .started_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    if let Some(t) = started {
        report.set_timestamp(t);
    }
    let mut suites: Vec<(String, Vec<&CaseResult>)> = Vec::new();
    for case in &c.cases {
        match suites.iter_mut().find(|(s, _)| *s == case.scenario) {
            Some((_, list)) => list.push(case),
            None => suites.push((case.scenario.clone(), vec![case])),
        }
    }
    for (name, cases) in suites {
        let mut suite = TestSuite::new(name);
        if let Some(t) = started {
            suite.set_timestamp(t);
        }
        // Cases run concurrently: the suite's time is the sum of its cases' times.
        suite.set_time(Duration::from_millis(
            cases.iter().map(|c| c.duration_ms).sum(),
        ));
        suite.add_properties(properties(c, &cases));
        for case in cases {
            suite.add_test_case(test_case(case));
        }
        report.add_test_suite(suite);
    }
    report.to_string().unwrap_or_default()
}

/// The properties every suite carries: the run's, and the personas of its cases.
fn properties(c: &Collector, cases: &[&CaseResult]) -> Vec<Property> {
    let mut props = Vec::new();
    if let Some(info) = &c.info {
        props.push(Property::new("seed", info.seed.to_string()));
        props.push(Property::new("target", info.target.clone()));
        props.push(Property::new("base_url", info.base_url.clone()));
    }
    if let Some(v) = &c.meta.harness_version {
        props.push(Property::new("harness_version", v.clone()));
    }
    let mut personas: Vec<&str> = Vec::new();
    for case in cases {
        if !personas.contains(&case.persona.as_str()) {
            personas.push(&case.persona);
        }
    }
    props.push(Property::new("personas", personas.join(",")));
    if let Some(d) = &c.meta.catalogue_digest {
        props.push(Property::new("catalogue_digest", d.clone()));
    }
    if c.info.as_ref().is_some_and(|i| i.insecure) {
        // --insecure: server certificates went unchecked; every suite says so.
        props.push(Property::new("insecure", "true"));
    }
    if c.summary.interrupted {
        props.push(Property::new("incomplete", crate::INTERRUPTED_LINE));
    }
    if let Some(line) = crate::cleanup_line(&c.summary) {
        props.push(Property::new("cleanup", line));
    }
    props
}

fn test_case(case: &CaseResult) -> TestCase {
    let reason = case.reason.clone().unwrap_or_default();
    let status = match case.outcome {
        // Not a failure of the run; the reason goes to system-out.
        Outcome::Pass | Outcome::Warn | Outcome::Expected => TestCaseStatus::success(),
        Outcome::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(reason.clone());
            s.set_type("fail");
            s.set_description(describe(case));
            s
        }
        Outcome::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(reason.clone());
            s.set_type("error");
            s.set_description(describe(case));
            s
        }
        Outcome::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(reason.clone());
            s
        }
    };
    let name = format!("{}/{}", case.persona, case.config);
    let mut tc = TestCase::new(name, status);
    tc.set_classname(case.scenario.clone());
    tc.set_time(Duration::from_millis(case.duration_ms));
    if matches!(case.outcome, Outcome::Warn | Outcome::Expected) {
        tc.set_system_out(format!(
            "{}: {}\n{}",
            case.outcome.as_str(),
            reason,
            describe(case)
        ));
    }
    tc
}

/// The case's level and spec, every mismatch one per line, then the exchange that showed
/// the first (or the case's last exchange).
fn describe(case: &CaseResult) -> String {
    let mut lines = vec![format!(
        "{} {}: {}",
        case.level.as_str().to_uppercase(),
        case.id,
        case.title
    )];
    if !case.spec.is_empty() {
        lines.push(format!("spec: {}", case.spec.join("; ")));
    }
    if case.mismatches.is_empty() {
        if let Some(r) = &case.reason {
            lines.push(r.clone());
        }
    }
    lines.extend(case.mismatches.iter().map(|m| {
        format!(
            "step {}: {}: expected {}, observed {}{}",
            m.step,
            m.check,
            m.expected,
            m.observed,
            m.exchange
                .map(|n| format!(" (exchange #{n})"))
                .unwrap_or_default()
        )
    }));
    if let Some(e) = crate::failing_exchange(case) {
        lines.push(String::new());
        lines.extend(e.lines());
    }
    lines.join("\n")
}
