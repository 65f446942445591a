//! The terminal reporter: one status line per case with a fixed-width status column,
//! each failure with a readable diff of expected and observed and the exchange that
//! showed it, and one summary line. Colours live in [`Palette`], and only there.

use std::io::Write;

use conformance::{CaseResult, Outcome, RunEvent};

/// ANSI colours per outcome; [`Palette::plain`] for files and pipes.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pass: &'static str,
    fail: &'static str,
    warn: &'static str,
    skip: &'static str,
    dim: &'static str,
    reset: &'static str,
}

impl Palette {
    pub fn ansi() -> Palette {
        Palette {
            pass: "\x1b[32m",
            fail: "\x1b[1;31m",
            warn: "\x1b[33m",
            skip: "\x1b[36m",
            dim: "\x1b[2m",
            reset: "\x1b[0m",
        }
    }

    pub fn plain() -> Palette {
        Palette {
            pass: "",
            fail: "",
            warn: "",
            skip: "",
            dim: "",
            reset: "",
        }
    }

    fn outcome(&self, o: Outcome) -> &'static str {
        match o {
            Outcome::Pass | Outcome::Expected => self.pass,
            Outcome::Fail | Outcome::Error => self.fail,
            Outcome::Warn => self.warn,
            Outcome::Skip => self.skip,
        }
    }
}

/// Width of the status column (`EXPECTED`).
const STATUS_WIDTH: usize = 8;

/// Prints events as they arrive (the progress display is the binary's, on stderr).
pub struct Terminal<W: Write> {
    out: W,
    palette: Palette,
}

impl<W: Write> std::fmt::Debug for Terminal<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal").finish_non_exhaustive()
    }
}

impl<W: Write> Terminal<W> {
    pub fn new(out: W, palette: Palette) -> Terminal<W> {
        Terminal { out, palette }
    }

    /// Print one event; write errors are ignored (a closed pipe must not stop a run).
    pub fn event(&mut self, event: &RunEvent) {
        let _ = self.write_event(event);
    }

    fn write_event(&mut self, event: &RunEvent) -> std::io::Result<()> {
        let p = self.palette;
        match event {
            RunEvent::RunStarted(info) => {
                writeln!(
                    self.out,
                    "running {} cases against {} at {} (seed {}, {} jobs)",
                    info.total, info.target, info.base_url, info.seed, info.jobs
                )?;
                if info.insecure {
                    writeln!(
                        self.out,
                        "{}INSECURE{}: server certificates are not checked (--insecure)",
                        p.outcome(conformance::Outcome::Fail),
                        p.reset
                    )?;
                }
            }
            RunEvent::CaseFinished(case) => {
                let status = case.outcome.as_str().to_uppercase();
                writeln!(
                    self.out,
                    "{}{status:>STATUS_WIDTH$}{} [{:>7.3}s] {}",
                    p.outcome(case.outcome),
                    p.reset,
                    case.duration_ms as f64 / 1000.0,
                    case.id
                )?;
                self.details(case)?;
            }
            RunEvent::BaselineStale { pattern, reason } => {
                writeln!(
                    self.out,
                    "{}{:>STATUS_WIDTH$}{} baseline entry `{pattern}` matches no case of the catalogue ({reason}): remove it",
                    p.fail, "STALE", p.reset
                )?;
            }
            RunEvent::RunFinished {
                summary: s,
                duration_ms,
            } => {
                // Before the summary, which stays the last line.
                if s.interrupted {
                    let line = crate::INTERRUPTED_LINE;
                    writeln!(self.out, "{:>STATUS_WIDTH$} {line}", "STOPPED")?;
                }
                if let Some(line) = crate::cleanup_line(s) {
                    writeln!(self.out, "{:>STATUS_WIDTH$} {line}", "CLEANUP")?;
                }
                let colour = if s.is_success() { p.pass } else { p.fail };
                writeln!(
                    self.out,
                    "{colour}{:>STATUS_WIDTH$}{} [{:>7.3}s] {} cases: {} passed, {} failed, {} warned, {} skipped, {} errored, {} expected{}",
                    "SUMMARY",
                    p.reset,
                    *duration_ms as f64 / 1000.0,
                    s.total,
                    s.passed,
                    s.failed,
                    s.warned,
                    s.skipped,
                    s.errored,
                    s.expected,
                    if s.stale_baseline > 0 {
                        format!(", {} stale baseline entries", s.stale_baseline)
                    } else {
                        String::new()
                    }
                )?;
            }
        }
        self.out.flush()?;
        Ok(())
    }

    /// Reason, notes and mismatches of a case that did not pass.
    fn details(&mut self, case: &CaseResult) -> std::io::Result<()> {
        let p = self.palette;
        let pad = " ".repeat(STATUS_WIDTH + 1);
        if case.outcome == Outcome::Pass {
            return Ok(());
        }
        if let Some(reason) = &case.reason {
            if case.mismatches.is_empty() || case.outcome != Outcome::Fail {
                writeln!(self.out, "{pad}{}{reason}{}", p.dim, p.reset)?;
            }
        }
        if !matches!(case.outcome, Outcome::Fail | Outcome::Warn) {
            return Ok(());
        }
        let mut shown = Vec::new();
        for m in &case.mismatches {
            writeln!(self.out, "{pad}step {}: {}", m.step, m.check)?;
            for line in diff(&m.expected, &m.observed) {
                let colour = if line.starts_with('-') {
                    p.pass
                } else {
                    p.fail
                };
                writeln!(self.out, "{pad}  {colour}{line}{}", p.reset)?;
            }
            if let Some(n) = m.exchange.filter(|n| shown.contains(n)) {
                writeln!(
                    self.out,
                    "{pad}  {}exchange #{n}: shown above{}",
                    p.dim, p.reset
                )?;
            } else if let Some(n) = m.exchange {
                shown.push(n);
                if let Some(entry) = case.transcript.iter().find(|e| e.n() == n) {
                    for line in crate::exchange::summarise(entry).lines() {
                        writeln!(self.out, "{pad}  {}{line}{}", p.dim, p.reset)?;
                    }
                }
            }
        }
        for note in &case.notes {
            writeln!(self.out, "{pad}note: {note}")?;
        }
        Ok(())
    }
}

/// `- expected` / `+ observed`; multi-line values as a line diff.
fn diff(expected: &str, observed: &str) -> Vec<String> {
    if !expected.contains('\n') && !observed.contains('\n') {
        return vec![
            format!("- expected: {expected}"),
            format!("+ observed: {observed}"),
        ];
    }
    similar::TextDiff::from_lines(expected, observed)
        .iter_all_changes()
        .map(|c| {
            let sign = match c.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            format!("{sign} {}", c.value().trim_end_matches('\n'))
        })
        .collect()
}
