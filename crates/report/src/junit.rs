//! JUnit XML through `quick-junit` (as nextest writes it): one test suite per scenario,
//! one test case per persona × config.

use std::time::Duration;

use conformance::{CaseResult, Outcome};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::Collector;

/// The run as JUnit XML.
pub fn junit(c: &Collector) -> String {
    let mut report = Report::new("scim-harness");
    report.set_time(Duration::from_millis(c.duration_ms));
    let mut suites: Vec<(String, Vec<&CaseResult>)> = Vec::new();
    for case in &c.cases {
        match suites.iter_mut().find(|(s, _)| *s == case.scenario) {
            Some((_, list)) => list.push(case),
            None => suites.push((case.scenario.clone(), vec![case])),
        }
    }
    for (name, cases) in suites {
        let mut suite = TestSuite::new(name);
        if c.info.as_ref().is_some_and(|i| i.insecure) {
            // --insecure: server certificates went unchecked; every suite says so.
            suite.add_property(quick_junit::Property::new("insecure", "true"));
        }
        if c.summary.interrupted {
            suite.add_property(quick_junit::Property::new(
                "incomplete",
                crate::INTERRUPTED_LINE,
            ));
        }
        if let Some(line) = crate::cleanup_line(&c.summary) {
            suite.add_property(quick_junit::Property::new("cleanup", line));
        }
        for case in cases {
            let status = match case.outcome {
                Outcome::Pass => TestCaseStatus::success(),
                Outcome::Warn | Outcome::Expected => {
                    // Not a failure of the run; the reason goes to system-out.
                    TestCaseStatus::success()
                }
                Outcome::Fail => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(case.reason.clone().unwrap_or_default());
                    s.set_type("fail");
                    s.set_description(describe(case));
                    s
                }
                Outcome::Error => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                    s.set_message(case.reason.clone().unwrap_or_default());
                    s.set_type("error");
                    s
                }
                Outcome::Skip => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(case.reason.clone().unwrap_or_default());
                    s
                }
            };
            let name = format!("{}/{}", case.persona, case.config);
            let mut tc = TestCase::new(name, status);
            tc.set_classname(case.scenario.clone());
            tc.set_time(Duration::from_millis(case.duration_ms));
            if matches!(case.outcome, Outcome::Warn | Outcome::Expected) {
                tc.set_system_out(format!(
                    "{}: {}",
                    case.outcome.as_str(),
                    case.reason.clone().unwrap_or_default()
                ));
            }
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
    }
    report.to_string().unwrap_or_default()
}

/// Every mismatch, one per line.
fn describe(case: &CaseResult) -> String {
    case.mismatches
        .iter()
        .map(|m| {
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
        })
        .collect::<Vec<_>>()
        .join("\n")
}
