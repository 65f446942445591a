//! Load mode's progress on stderr, as `run`'s (src/progress.rs): an indicatif line on a
//! terminal (cycle, requests, rate, errors), otherwise a plain line every 30 s.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::metrics::Live;

/// How often the plain progress line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(30);
/// How often the figures are read.
const REFRESH: Duration = Duration::from_millis(200);

pub struct LoadProgress {
    bar: Option<ProgressBar>,
    stop: Arc<AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl LoadProgress {
    /// Start showing `live`'s figures; the run began at `started`.
    pub fn start(live: Arc<Live>, started: Instant) -> LoadProgress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
            let style = ProgressStyle::with_template("[{elapsed_precise}] {spinner} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar
        });
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (bar, stop) = (bar.clone(), stop.clone());
            std::thread::Builder::new()
                .name("load-progress".to_owned())
                .spawn(move || {
                    let mut last_plain = Instant::now();
                    let (mut window_start, mut window_requests) = (Instant::now(), 0u64);
                    // The last whole second's rate; before one has passed, the rate so far.
                    let mut rate = None;
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(REFRESH);
                        let requests = live.requests.load(Ordering::Relaxed);
                        let span = window_start.elapsed().as_secs_f64();
                        if span >= 1.0 {
                            rate = Some((requests - window_requests) as f64 / span);
                            (window_start, window_requests) = (Instant::now(), requests);
                        }
                        let rate = rate.unwrap_or_else(|| {
                            requests as f64 / started.elapsed().as_secs_f64().max(0.001)
                        });
                        let line = format!(
                            "cycle {}: {requests} requests, {rate:.0}/s, {} errors",
                            live.cycle.load(Ordering::Relaxed),
                            live.errors.load(Ordering::Relaxed)
                        );
                        match &bar {
                            Some(bar) => {
                                bar.set_message(line);
                                bar.tick();
                            }
                            None if last_plain.elapsed() >= PLAIN_EVERY => {
                                last_plain = Instant::now();
                                eprintln!(
                                    "progress: {line} after {}s",
                                    started.elapsed().as_secs()
                                );
                            }
                            None => {}
                        }
                    }
                })
                .ok()
        };
        LoadProgress { bar, stop, ticker }
    }

    /// Print `text` on stdout with the bar hidden meanwhile.
    pub fn println(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{text}")),
            None => println!("{text}"),
        }
    }

    /// Remove the bar and stop refreshing it.
    pub fn finish(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for LoadProgress {
    fn drop(&mut self) {
        self.finish();
    }
}
