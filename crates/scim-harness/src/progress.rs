//! `run`'s progress: on a terminal an indicatif bar on stderr (elapsed, done/total,
//! pass/fail counts, the cases running now); otherwise a plain line on stderr every
//! [`PLAIN_EVERY`], for CI logs, beside the status lines on stdout.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use conformance::{CaseResult, Outcome, RunningCases};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the plain progress line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(30);
/// How often the bar's list of running cases is refreshed.
const REFRESH: Duration = Duration::from_millis(200);

#[derive(Debug, Default)]
struct Counts {
    done: AtomicUsize,
    passed: AtomicUsize,
    failed: AtomicUsize,
    warned: AtomicUsize,
}

impl Counts {
    fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} warned",
            self.passed.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
            self.warned.load(Ordering::Relaxed)
        )
    }
}

/// The progress of one run.
pub struct Progress {
    bar: Option<ProgressBar>,
    running: RunningCases,
    counts: Arc<Counts>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Start showing the progress of `total` cases; call inside the run's runtime.
    pub fn start(total: usize, running: RunningCases) -> Progress {
        let counts = Arc::new(Counts::default());
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(total as u64),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            let style = ProgressStyle::with_template(
                "[{elapsed_precise}] {bar:24} {pos}/{len} {prefix} | running: {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(counts.line());
            bar
        });
        let ticker = {
            let (bar, counts, running) = (bar.clone(), counts.clone(), running.clone());
            let started = Instant::now();
            tokio::spawn(async move {
                let mut last_plain = Instant::now();
                loop {
                    tokio::time::sleep(REFRESH).await;
                    let now = running.now();
                    match &bar {
                        Some(bar) => bar.set_message(now.join(", ")),
                        None if last_plain.elapsed() >= PLAIN_EVERY => {
                            last_plain = Instant::now();
                            eprintln!(
                                "progress: {}/{total} cases done after {}s ({}); running: {}",
                                counts.done.load(Ordering::Relaxed),
                                started.elapsed().as_secs(),
                                counts.line(),
                                now.join(", ")
                            );
                        }
                        None => {}
                    }
                }
            })
        };
        Progress {
            bar,
            running,
            counts,
            ticker: Some(ticker),
        }
    }

    /// Count a finished case.
    pub fn case(&self, r: &CaseResult) {
        let c = &self.counts;
        c.done.fetch_add(1, Ordering::Relaxed);
        let slot = match r.outcome {
            Outcome::Pass | Outcome::Expected => Some(&c.passed),
            Outcome::Fail | Outcome::Error => Some(&c.failed),
            Outcome::Warn => Some(&c.warned),
            Outcome::Skip => None,
        };
        if let Some(slot) = slot {
            slot.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(bar) = &self.bar {
            bar.set_prefix(c.line());
            bar.set_message(self.running.now().join(", "));
            bar.inc(1);
        }
    }

    /// Run `f` (which prints to the terminal) with the bar hidden meanwhile.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Remove the bar and stop refreshing it.
    pub fn finish(&mut self) {
        if let Some(t) = self.ticker.take() {
            t.abort();
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
