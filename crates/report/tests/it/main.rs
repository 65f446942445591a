//! The reporters over a synthetic run: every format renders from events alone, escapes
//! what a target sent, and keeps the documented shape. The whole terminal, JSON and JUnit
//! renderings are insta snapshots, read by a person whenever they change.

use conformance::{
    CaseResult, Level, Mismatch, Outcome, RunEvent, RunInfo, Source, Summary, TranscriptEntry,
};
use report::{Collector, Format, Palette, Terminal};

mod schema;

fn exchange(body: serde_json::Value) -> idp::Exchange {
    idp::Exchange {
        seq: 1,
        persona: "entra".into(),
        method: "GET".into(),
        url: "http://t/Users/1".into(),
        request_headers: vec![("authorization".into(), "Bearer [redacted]".into())],
        request_body: None,
        status: Some(200),
        response_headers: vec![],
        response_json: Some(body.into()),
        response_text: None,
        elapsed_ms: 3,
        elapsed_us: 3000,
        error: None,
    }
}

fn case(id: &str, outcome: Outcome, reason: Option<&str>) -> CaseResult {
    CaseResult {
        id: id.into(),
        scenario: id.split('/').next().unwrap().into(),
        title: "<b>title</b>".into(),
        area: "users".into(),
        persona: "entra".into(),
        config: "default".into(),
        level: Level::Must,
        spec: vec!["RFC 7644 §3.3".into()],
        outcome,
        reason: reason.map(str::to_owned),
        duration_ms: 12,
        tag: "abc1234".into(),
        mismatches: if outcome == Outcome::Fail {
            vec![Mismatch {
                step: 3,
                check: "user alice: active".into(),
                expected: "false".into(),
                observed: "true".into(),
                exchange: Some(1),
            }]
        } else {
            vec![]
        },
        notes: vec![],
        transcript: vec![
            TranscriptEntry::Http {
                n: 1,
                step: 3,
                source: Source::Observer,
                exchange: Box::new(exchange(
                    serde_json::json!({"active": true, "displayName": "<script>alert(1)</script>"}),
                )),
            },
            TranscriptEntry::Saml {
                n: 2,
                step: 4,
                attack: None,
                xml: "<samlp:Response xmlns:samlp=\"urn:x\"><a>1</a></samlp:Response>".into(),
            },
        ],
    }
}

fn events() -> Vec<RunEvent> {
    let cases = [
        case("users.a/entra/default", Outcome::Pass, None),
        case(
            "users.b/entra/default",
            Outcome::Fail,
            Some("step 3: user alice: active: expected false, observed true"),
        ),
        case("users.c/entra/default", Outcome::Skip, Some("no [saml]")),
    ];
    let mut summary = Summary::default();
    let mut ev = vec![RunEvent::RunStarted(RunInfo {
        target: "reference".into(),
        base_url: "http://t".into(),
        seed: 7,
        total: 3,
        jobs: 2,
        insecure: false,
    })];
    for c in cases {
        summary.add(&c);
        ev.push(RunEvent::CaseFinished(Box::new(c)));
    }
    ev.push(RunEvent::RunFinished {
        summary,
        duration_ms: 40,
    });
    ev
}

fn collected() -> Collector {
    let mut c = Collector::new();
    for e in events() {
        c.event(&e);
    }
    c
}

#[test]
fn json_report_has_the_documented_shape() {
    let v: serde_json::Value = serde_json::from_str(&report::json(&collected())).unwrap();
    assert_eq!(v["schema"], report::REPORT_SCHEMA);
    for key in [
        "total", "passed", "failed", "warned", "skipped", "errored", "expected",
    ] {
        assert!(v["summary"][key].is_u64(), "summary.{key}");
    }
    assert_eq!(v["summary"]["failed"], 1);
    let c = &v["cases"][1];
    for key in [
        "id",
        "scenario",
        "persona",
        "config",
        "level",
        "spec",
        "outcome",
        "reason",
        "duration_ms",
        "transcript",
    ] {
        assert!(!c[key].is_null(), "case.{key}");
    }
    assert_eq!(c["outcome"], "fail");
    assert_eq!(c["transcript"][1]["kind"], "saml");
    insta::assert_snapshot!("report_json", report::json(&collected()));
}

/// The sample run with the metadata the binary sets.
fn collected_with_meta() -> Collector {
    let mut c = collected();
    c.meta = report::RunMeta {
        harness_version: Some("9.8.7".into()),
        started_at: Some("2026-12-06T18:41:25Z".into()),
        catalogue_digest: Some("ab".repeat(32)),
        ..Default::default()
    };
    c
}

/// What GitLab's and dorny/test-reporter's JUnit parsers read (junit.rs says which):
/// properties on every suite, time on every suite and case, a timestamp on the suite,
/// and the failing exchange in the failure's text, not only in its message.
#[test]
fn junit_carries_properties_times_and_the_failing_exchange() {
    let x = report::junit(&collected_with_meta());
    for p in [
        "<property name=\"seed\" value=\"7\"/>",
        "<property name=\"target\" value=\"reference\"/>",
        "<property name=\"harness_version\" value=\"9.8.7\"/>",
        "<property name=\"personas\" value=\"entra\"/>",
    ] {
        assert_eq!(x.matches(p).count(), 3, "{p} on each of the 3 suites: {x}");
    }
    assert!(x.contains(&format!(
        "name=\"catalogue_digest\" value=\"{}\"",
        "ab".repeat(32)
    )));
    assert_eq!(
        x.matches("timestamp=\"2026-12-06T18:41:25").count(),
        4,
        "{x}"
    );
    assert_eq!(x.matches("<testcase ").count(), 3);
    assert_eq!(
        x.matches("<testcase ").count(),
        x.matches("<testcase name=\"entra/default\" classname=\"")
            .count()
    );
    for tc in x.split("<testcase ").skip(1) {
        assert!(
            tc.split('>').next().unwrap().contains("time=\"0.012\""),
            "{tc}"
        );
    }
    for ts in x.split("<testsuite ").skip(1) {
        assert!(
            ts.split('>').next().unwrap().contains("time=\"0.012\""),
            "{ts}"
        );
    }
    let failure = x
        .split("<failure")
        .nth(1)
        .and_then(|f| f.split("</failure>").next())
        .expect("a failure element with text");
    let text = failure.split_once('>').unwrap().1;
    assert!(
        text.contains("exchange #1: GET http://t/Users/1 -&gt; 200"),
        "{text}"
    );
    assert!(text.contains("&quot;active&quot;: true"), "{text}");
    assert!(
        text.contains("step 3: user alice: active: expected false, observed true"),
        "{text}"
    );
}

#[test]
fn junit_reports_failures_and_skips() {
    let x = report::junit(&collected_with_meta());
    assert!(x.contains("<testsuites"), "{x}");
    assert!(
        x.contains("<failure") && x.contains("user alice: active"),
        "{x}"
    );
    assert!(x.contains("<skipped"), "{x}");
    insta::assert_snapshot!("junit_xml", x);
}

#[test]
fn html_escapes_everything_and_has_filters() {
    let h = report::html(&collected());
    assert!(
        !h.contains("<script>alert(1)"),
        "target text must be escaped"
    );
    assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(h.contains("&lt;b&gt;title&lt;/b&gt;"));
    assert!(h.contains("id=\"fo\"") && h.contains("id=\"fp\"") && h.contains("id=\"fa\""));
    // The SAML document is pretty-printed (indented) and escaped, inside a case's lazy
    // body (a JSON string).
    assert!(h.contains("&lt;samlp:Response"), "{h}");
    assert!(h.contains("\\n  &lt;a&gt;1&lt;/a&gt;"), "indented xml");
    assert_eq!(
        h.matches("<script>").count(),
        1,
        "only the page's own script"
    );
}

/// A body holding `</script>` (a target's text, escaped or raw in a JSON value) cannot end
/// its blob early: every `<` in a blob is `\u003c`.
#[test]
fn html_case_bodies_cannot_close_their_script_element() {
    let mut c = collected();
    c.cases[1].reason = Some("</script><script>alert(2)</script>".into());
    c.cases[1].notes = vec!["</SCRIPT >".into()];
    let h = report::html(&c);
    let blobs: Vec<&str> = h
        .split("<script type=\"application/json\"")
        .skip(1)
        .map(|b| b.split("</script>").next().unwrap())
        .collect();
    assert_eq!(blobs.len(), 3);
    for b in &blobs {
        assert!(!b.to_ascii_lowercase().contains("</script"), "{b}");
        let json = b.split_once('>').unwrap().1;
        let body: String = serde_json::from_str(json).expect("a blob is one JSON string");
        assert!(!body.contains("<script>"), "{body}");
    }
    assert_eq!(
        h.matches("</script>").count(),
        4,
        "3 blobs and the page's script"
    );
}

/// The matrix: one row per persona, one column per area, each cell the worst outcome of
/// its cases with a link that filters the list to them; the cases follow, failures first.
#[test]
fn html_opens_on_the_matrix_and_lists_failures_first() {
    let mut c = collected();
    c.cases[2].persona = "okta".into();
    c.cases[2].area = "groups".into();
    let h = report::html(&c);
    let matrix = h.find("id=\"matrix\"").expect("the matrix");
    let cases = h.find("id=\"cases\"").expect("the case list");
    assert!(matrix < cases);
    assert!(
        h.contains(
            "<td class=\"m-fail\" data-outcome=\"fail\" data-persona=\"entra\" data-area=\"users\""
        ),
        "{h}"
    );
    assert!(
        h.contains("<a href=\"#cell:entra:users\">fail 1/2</a>"),
        "{h}"
    );
    assert!(h.contains("data-outcome=\"skip\" data-persona=\"okta\" data-area=\"groups\""));
    assert!(h.contains("<td class=\"none\" data-persona=\"okta\" data-area=\"users\">"));
    let order: Vec<&str> = h
        .split("<details class=\"case\"")
        .skip(1)
        .map(|d| {
            d.split("data-id=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        order,
        [
            "users.b/entra/default",
            "users.c/entra/default",
            "users.a/entra/default"
        ]
    );
}

#[test]
fn terminal_has_a_fixed_status_column_a_diff_and_one_summary_line() {
    let mut out = Vec::new();
    {
        let mut t = Terminal::new(&mut out, Palette::plain());
        for e in events() {
            t.event(&e);
        }
    }
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("    PASS [  0.012s] users.a/entra/default"),
        "{text}"
    );
    assert!(
        text.contains("    FAIL [  0.012s] users.b/entra/default"),
        "{text}"
    );
    assert!(
        text.contains("    SKIP [  0.012s] users.c/entra/default"),
        "{text}"
    );
    assert!(
        text.contains("- expected: false") && text.contains("+ observed: true"),
        "{text}"
    );
    assert!(
        text.contains("exchange #1: GET http://t/Users/1 -> 200"),
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.contains("SUMMARY")).count(), 1);
    assert!(
        text.contains("3 cases: 1 passed, 1 failed, 0 warned, 1 skipped, 0 errored, 0 expected"),
        "{text}"
    );
    insta::assert_snapshot!("terminal", text);
}

#[test]
fn file_formats_have_file_names() {
    assert_eq!(Format::Json.file_name(), Some("report.json"));
    assert_eq!(Format::Junit.file_name(), Some("junit.xml"));
    assert_eq!(Format::Html.file_name(), Some("report.html"));
    assert_eq!(Format::Summary.file_name(), Some("summary.md"));
    assert!(Format::Human.render(&collected()).is_none());
}

/// The cleanup counts reach every format: a terminal line before the summary, a JUnit
/// property, an HTML line, report.json's `summary.cleanup`; nothing with `--keep`.
#[test]
fn cleanup_counts_reach_every_format() {
    let mut c = collected();
    assert_eq!(report::cleanup_line(&c.summary), None);
    c.summary.cleanup = Some(conformance::Cleanup {
        removed: 12,
        left_behind: vec![conformance::LeftBehind {
            what: "app user a@x <b>".into(),
            why: "no [probes] delete_user".into(),
        }],
    });
    let line = report::cleanup_line(&c.summary).expect("a cleanup line");
    assert_eq!(
        line,
        "cleanup: removed 12, left behind 1; app user a@x <b>: no [probes] delete_user"
    );
    let json: serde_json::Value = serde_json::from_str(&report::json(&c)).unwrap();
    assert_eq!(json["summary"]["cleanup"]["removed"], 12);
    assert_eq!(
        json["summary"]["cleanup"]["left_behind"][0]["why"],
        "no [probes] delete_user"
    );
    assert!(report::junit(&c).contains("name=\"cleanup\""));
    let html = report::html(&c);
    assert!(
        html.contains("cleanup: removed 12, left behind 1; app user a@x &lt;b&gt;"),
        "{html}"
    );
    let text = terminal_with(&c.summary);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[lines.len() - 2].contains("CLEANUP cleanup: removed 12"),
        "{text}"
    );
    assert!(lines[lines.len() - 1].contains("SUMMARY"), "{text}");
}

/// An interrupted run says so in every format, and the terminal's summary stays last.
#[test]
fn an_interrupted_run_is_marked_incomplete_in_every_format() {
    let mut c = collected();
    assert!(!report::junit(&c).contains("name=\"incomplete\""));
    c.summary.interrupted = true;
    let json: serde_json::Value = serde_json::from_str(&report::json(&c)).unwrap();
    assert_eq!(json["summary"]["interrupted"], true);
    assert!(report::junit(&c).contains("name=\"incomplete\""));
    assert!(report::html(&c).contains("interrupted (Ctrl-C)"));
    let text = terminal_with(&c.summary);
    assert!(text.contains("STOPPED interrupted (Ctrl-C)"), "{text}");
    assert!(
        text.lines().last().unwrap_or("").contains("SUMMARY"),
        "{text}"
    );
}

/// The terminal's text for the sample run, finished with `summary`.
fn terminal_with(summary: &conformance::Summary) -> String {
    let mut out = Vec::new();
    {
        let mut t = report::Terminal::new(&mut out, report::Palette::plain());
        for e in events() {
            if let RunEvent::RunFinished { duration_ms, .. } = e {
                t.event(&RunEvent::RunFinished {
                    summary: summary.clone(),
                    duration_ms,
                });
            } else {
                t.event(&e);
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// summary.md: the verdict with its exit code first, every count, the MUST failure before
/// the warnings with its id and one-line reason, skipped cases by reason, the verdict in
/// words; a pipe or newline in a reason cannot break the table.
#[test]
fn summary_md_puts_must_failures_first_and_ends_with_the_verdict() {
    let mut c = collected_with_meta();
    c.cases[2].reason = Some("no [saml]\nsecond | line".into());
    let mut warn = c.cases[0].clone();
    warn.id = "users.w/entra/default".into();
    warn.outcome = Outcome::Warn;
    warn.level = Level::Should;
    warn.reason = Some("a SHOULD miss".into());
    c.cases.insert(0, warn);
    c.summary.warned += 1;
    c.summary.total += 1;
    let md = report::summary_md(&c);
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "## scim-harness: failed (exit 1)", "{md}");
    for row in [
        "| passed | 1 |",
        "| failed | 1 |",
        "| warned | 1 |",
        "| skipped | 1 |",
        "| **total** | **4** |",
    ] {
        assert!(lines.contains(&row), "{row}: {md}");
    }
    let fail = md
        .find("| fail | must | `users.b/entra/default` | step 3: user alice: active")
        .expect("the MUST failure with its reason");
    let warned = md
        .find("| warn | should | `users.w/entra/default` | a SHOULD miss |")
        .expect("the warning");
    assert!(fail < warned, "failures first: {md}");
    assert!(
        md.contains("| 1 | no [saml] second \\| line | `users.c/entra/default` |"),
        "{md}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("**Verdict: failed** (exit 1): 1 MUST case(s) failed")),
        "{md}"
    );
    assert!(md.contains("started 2026-12-06T18:41:25Z") && md.contains("catalogue `abababababab`"));
    insta::assert_snapshot!("summary_md", md);
}

/// A run without failures says passed, exit 0, and names its warnings; with `--strict`
/// the same warnings fail it.
#[test]
fn summary_md_verdict_follows_strict() {
    let mut c = collected();
    c.cases.retain(|r| r.outcome != Outcome::Fail);
    c.cases[0].outcome = Outcome::Warn;
    c.summary = Summary::default();
    for r in &c.cases {
        c.summary.add(r);
    }
    let md = report::summary_md(&c);
    assert!(md.starts_with("## scim-harness: passed\n"), "{md}");
    assert!(md.contains("(`--strict` would fail them)"), "{md}");
    c.meta.strict = true;
    let md = report::summary_md(&c);
    assert!(md.starts_with("## scim-harness: failed (exit 1)\n"), "{md}");
    assert!(md.contains("1 case(s) warned under --strict"), "{md}");
}
