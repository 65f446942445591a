//! `summary.md`: the run for a CI job's summary page (GitHub's `$GITHUB_STEP_SUMMARY`, a
//! GitLab artefact): the verdict and its exit code, the counts, MUST failures first with
//! their case ids and one-line reasons, then SHOULD warnings, skipped cases grouped by
//! reason, stale baseline entries, and the verdict again in words.
//!
//! `cargo xtask ci-recipes` checks the opening line, the count rows and the failing case
//! ids against report.json (`summary_problems` there), so those lines keep their shape.

use std::fmt::Write as _;

use conformance::{CaseResult, Outcome};

use crate::{Collector, Verdict};

/// Rows a section lists before it says how many it left out.
const SHOWN: usize = 50;

/// The exit code `run` gives a verdict (README "Exit codes").
fn exit_code(v: Verdict) -> u8 {
    match v {
        Verdict::Passed => 0,
        Verdict::Failed => 1,
        Verdict::Interrupted => 130,
    }
}

/// One Markdown table cell: on one line, pipes escaped, and no HTML tag (a target's text
/// may hold one; GitHub renders some HTML in Markdown).
fn cell(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Code spans cannot hold a backtick of the same run; ids and patterns never should.
fn code(s: &str) -> String {
    format!("`{}`", cell(&s.replace('`', "'")))
}

/// The run as Markdown.
pub fn summary_md(c: &Collector) -> String {
    let verdict = Verdict::of(c);
    let code_n = exit_code(verdict);
    let s = &c.summary;
    let mut m = String::new();
    let _ = writeln!(
        m,
        "## scim-harness: {}",
        match verdict {
            Verdict::Passed => "passed".to_owned(),
            Verdict::Failed => format!("failed (exit {code_n})"),
            Verdict::Interrupted => format!("interrupted (exit {code_n})"),
        }
    );
    m.push('\n');
    let mut about = Vec::new();
    if let Some(i) = &c.info {
        about.push(format!(
            "Target {} at {}, seed {}",
            code(&i.target),
            cell(&i.base_url),
            i.seed
        ));
    }
    about.push(format!("{} ms", c.duration_ms));
    if let Some(t) = &c.meta.started_at {
        about.push(format!("started {t}"));
    }
    if let Some(v) = &c.meta.harness_version {
        about.push(format!("scim-harness {v}"));
    }
    if let Some(d) = &c.meta.catalogue_digest {
        about.push(format!("catalogue {}", code(d.get(..12).unwrap_or(d))));
    }
    if !c.meta.selection.faults.is_empty() {
        about.push(format!(
            "faults injected: {}",
            c.meta.selection.faults.join(", ")
        ));
    }
    let _ = writeln!(m, "{}.", about.join(", "));
    if s.interrupted {
        let _ = writeln!(m, "\n**{}**.", crate::INTERRUPTED_LINE);
    }
    if c.info.as_ref().is_some_and(|i| i.insecure) {
        m.push_str("\n**Insecure**: server certificates were not checked (--insecure).\n");
    }
    m.push('\n');
    m.push_str("| outcome | cases |\n|---|---:|\n");
    for (label, n) in [
        ("passed", s.passed),
        ("failed", s.failed),
        ("warned", s.warned),
        ("skipped", s.skipped),
        ("errored", s.errored),
        ("expected (baseline)", s.expected),
        ("stale baseline entries", s.stale_baseline),
    ] {
        let _ = writeln!(m, "| {label} | {n} |");
    }
    let _ = writeln!(m, "| **total** | **{}** |\n", s.total);
    match crate::cleanup_line(s) {
        Some(line) => {
            let _ = writeln!(m, "{}.\n", cell(&line).replacen("cleanup", "Cleanup", 1));
        }
        None => m.push_str("Cleanup: off (--keep).\n\n"),
    }

    let failed: Vec<&CaseResult> = c
        .cases
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Error))
        .collect();
    section(
        &mut m,
        "Failures (MUST cases failed, cases errored)",
        &failed,
    );
    let warned: Vec<&CaseResult> = c
        .cases
        .iter()
        .filter(|r| r.outcome == Outcome::Warn)
        .collect();
    section(&mut m, "Warnings (SHOULD and INFO cases)", &warned);
    skipped(&mut m, c);
    if !c.stale_baseline.is_empty() {
        m.push_str("### Stale baseline entries (each fails the run)\n\n");
        for (pattern, reason) in &c.stale_baseline {
            let _ = writeln!(m, "- {}: {}", code(pattern), cell(reason));
        }
        m.push('\n');
    }
    let _ = writeln!(
        m,
        "**Verdict: {}** (exit {code_n}): {}.\n",
        verdict.as_str(),
        why(c, verdict)
    );
    m.push_str(
        "Every case, with the exchanges behind each verdict, is in the reports beside this \
         summary (`report.html`, `report.json`, `junit.xml`, as `--format` chose).\n",
    );
    m
}

/// Why the run ends as it does, in one line.
fn why(c: &Collector, verdict: Verdict) -> String {
    let s = &c.summary;
    match verdict {
        Verdict::Interrupted => "interrupted (Ctrl-C); the cases not started were skipped".into(),
        Verdict::Passed if s.warned > 0 => format!(
            "no MUST case failed and none errored; {} SHOULD or INFO case(s) warned (`--strict` would fail them)",
            s.warned
        ),
        Verdict::Passed => "no MUST case failed and none errored".into(),
        Verdict::Failed => {
            let mut parts = Vec::new();
            if s.failed > 0 {
                parts.push(format!("{} MUST case(s) failed", s.failed));
            }
            if s.errored > 0 {
                parts.push(format!("{} case(s) errored", s.errored));
            }
            if s.stale_baseline > 0 {
                parts.push(format!("{} stale baseline entr(ies)", s.stale_baseline));
            }
            if c.meta.strict && s.warned > 0 {
                parts.push(format!("{} case(s) warned under --strict", s.warned));
            }
            parts.join(", ")
        }
    }
}

/// A table of cases with their one-line reasons.
fn section(m: &mut String, title: &str, cases: &[&CaseResult]) {
    if cases.is_empty() {
        return;
    }
    let _ = writeln!(
        m,
        "### {title}: {}{}\n",
        cases.len(),
        if cases.len() > SHOWN {
            format!(" (the first {SHOWN} listed)")
        } else {
            String::new()
        }
    );
    m.push_str("| outcome | level | case | reason |\n|---|---|---|---|\n");
    for r in cases.iter().take(SHOWN) {
        let reason = cell(r.reason.as_deref().unwrap_or(""));
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} |",
            r.outcome.as_str(),
            r.level.as_str(),
            code(&r.id),
            reason
        );
    }
    m.push('\n');
}

/// Skipped cases grouped by reason, most common first, each with a count and the first
/// case id.
fn skipped(m: &mut String, c: &Collector) {
    let mut groups: Vec<(&str, usize, &str)> = Vec::new();
    for r in c.cases.iter().filter(|r| r.outcome == Outcome::Skip) {
        let reason = r.reason.as_deref().unwrap_or("");
        match groups.iter_mut().find(|g| g.0 == reason) {
            Some(g) => g.1 += 1,
            None => groups.push((reason, 1, &r.id)),
        }
    }
    if groups.is_empty() {
        return;
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.1));
    let _ = writeln!(
        m,
        "### Skipped: {} (by reason)\n\n| cases | reason | e.g. |\n|---:|---|---|",
        c.summary.skipped
    );
    for (reason, n, first) in groups.iter().take(SHOWN) {
        let _ = writeln!(m, "| {n} | {} | {} |", cell(reason), code(first));
    }
    if groups.len() > SHOWN {
        let _ = writeln!(m, "\n{} more reasons in report.json.", groups.len() - SHOWN);
    }
    m.push('\n');
}
