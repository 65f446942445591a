//! Load mode's measurements: a [`TranscriptSink`](idp::TranscriptSink) that counts each
//! exchange under its operation (method and path template), keeps a latency histogram
//! per operation and a request count per second, and keeps no exchange.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;

use super::summary::{Bucket, OperationSummary, SecondCount};

/// Latencies are recorded in microseconds, up to 10 minutes, to 3 significant digits.
const MAX_LATENCY_US: u64 = 600_000_000;
/// More distinct operations than this are counted as one `other` (a target whose paths
/// do not start with the base URL's).
const MAX_OPERATIONS: usize = 48;
/// Upper bounds of the latency histogram's buckets on the report page, in microseconds
/// (1-2-5 steps); a last bucket holds everything slower.
const BUCKETS_US: [u64; 20] = [
    50,
    100,
    200,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    60_000_000,
    MAX_LATENCY_US,
];

/// What a progress display reads while the cycles run.
#[derive(Debug, Default)]
pub struct Live {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    pub cycle: AtomicU64,
}

/// What a path asks for after the base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// `/Users`
    Collection,
    /// `/Users?filter=…` (whatever else the query holds).
    Filter,
    /// `/Users?startIndex=…`: named after the first query parameter.
    Query(String),
    /// `/Users/{id}`
    Item,
    /// A path outside the base URL, or past [`MAX_OPERATIONS`].
    Other,
}

/// [`Shape`] borrowed from the exchange, so that counting allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShapeRef<'e> {
    Collection,
    Filter,
    Query(&'e str),
    Item,
    Other,
}

impl ShapeRef<'_> {
    fn owned(self) -> Shape {
        match self {
            ShapeRef::Collection => Shape::Collection,
            ShapeRef::Filter => Shape::Filter,
            ShapeRef::Query(q) => Shape::Query(q.to_owned()),
            ShapeRef::Item => Shape::Item,
            ShapeRef::Other => Shape::Other,
        }
    }
}

impl Shape {
    fn borrowed(&self) -> ShapeRef<'_> {
        match self {
            Shape::Collection => ShapeRef::Collection,
            Shape::Filter => ShapeRef::Filter,
            Shape::Query(q) => ShapeRef::Query(q),
            Shape::Item => ShapeRef::Item,
            Shape::Other => ShapeRef::Other,
        }
    }
}

/// One operation's figures.
struct Operation {
    method: String,
    resource: String,
    shape: Shape,
    count: u64,
    /// Non-2xx/3xx answers by status; 0 for no answer (timeout, reset, refused).
    errors: Vec<(u16, u64)>,
    latency: Histogram<u64>,
}

impl Operation {
    fn new(method: &str, resource: &str, shape: Shape) -> Operation {
        Operation {
            method: method.to_owned(),
            resource: resource.to_owned(),
            shape,
            count: 0,
            errors: Vec::new(),
            // Constant, valid bounds (low 1, high ≥ 2 × low, 3 digits): cannot fail.
            latency: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
                .expect("constant histogram bounds are valid"),
        }
    }

    fn label(&self) -> String {
        match &self.shape {
            Shape::Collection => format!("{} /{}", self.method, self.resource),
            Shape::Filter => format!("{} /{}?filter", self.method, self.resource),
            Shape::Query(q) => format!("{} /{}?{q}", self.method, self.resource),
            Shape::Item => format!("{} /{}/{{id}}", self.method, self.resource),
            Shape::Other => format!("{} other", self.method),
        }
    }

    fn is(&self, method: &str, resource: &str, shape: ShapeRef<'_>) -> bool {
        self.shape.borrowed() == shape && self.resource == resource && self.method == method
    }

    fn add(&mut self, other: &Operation) {
        self.count += other.count;
        for &(status, n) in &other.errors {
            bump(&mut self.errors, status, n);
        }
        // Same bounds on both sides: adding cannot fail.
        let _ = self.latency.add(&other.latency);
    }

    fn summary(&self, seconds: f64, buckets: bool) -> OperationSummary {
        let ms = |us: u64| us as f64 / 1000.0;
        let h = &self.latency;
        let empty = h.is_empty();
        let q = |quantile: f64| {
            if empty {
                0.0
            } else {
                ms(h.value_at_quantile(quantile))
            }
        };
        OperationSummary {
            operation: self.label(),
            count: self.count,
            errors: self
                .errors
                .iter()
                .map(|&(s, n)| {
                    let key = if s == 0 {
                        "transport".to_owned()
                    } else {
                        s.to_string()
                    };
                    (key, n)
                })
                .collect(),
            error_count: self.errors.iter().map(|e| e.1).sum(),
            p50_ms: q(0.50),
            p95_ms: q(0.95),
            p99_ms: q(0.99),
            max_ms: if empty { 0.0 } else { ms(h.max()) },
            rate: if seconds > 0.0 {
                self.count as f64 / seconds
            } else {
                0.0
            },
            histogram: if buckets { histogram(h) } else { Vec::new() },
        }
    }
}

fn bump(errors: &mut Vec<(u16, u64)>, status: u16, n: u64) {
    match errors.iter_mut().find(|e| e.0 == status) {
        Some(e) => e.1 += n,
        None => errors.push((status, n)),
    }
}

/// The histogram in [`BUCKETS_US`] buckets; empty buckets past the slowest are left out.
fn histogram(h: &Histogram<u64>) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut low = 0;
    for &high in &BUCKETS_US {
        let count = if h.is_empty() {
            0
        } else {
            h.count_between(low, high.saturating_sub(1).max(low))
        };
        out.push(Bucket {
            below_ms: high as f64 / 1000.0,
            count,
        });
        low = high;
    }
    while out.len() > 1 && out.last().is_some_and(|b| b.count == 0) {
        out.pop();
    }
    out
}

/// The figures of one run: per operation for the cycle running and for the whole run,
/// and the requests started in each second since the run began.
pub struct Metrics {
    /// The path of the base URL (`/scim/v2`), without a trailing slash.
    base_path: String,
    started: Instant,
    cycle: Vec<Operation>,
    overall: Vec<Operation>,
    seconds: Vec<SecondCount>,
}

impl Metrics {
    pub fn new(base_url: &str, started: Instant) -> Metrics {
        let rest = base_url.split_once("://").map_or(base_url, |x| x.1);
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        let path = path.split(['?', '#']).next().unwrap_or("");
        Metrics {
            base_path: path.trim_end_matches('/').to_owned(),
            started,
            cycle: Vec::new(),
            overall: Vec::new(),
            seconds: Vec::new(),
        }
    }

    /// Count one exchange.
    pub fn record(&mut self, e: &idp::Exchange) {
        let failed = e.status.is_none_or(|s| s >= 400);
        let second = self.started.elapsed().as_secs() as usize;
        while self.seconds.len() <= second {
            let n = self.seconds.len() as u64;
            self.seconds.push(SecondCount {
                second: n,
                ..SecondCount::default()
            });
        }
        let slot = &mut self.seconds[second];
        slot.requests += 1;
        slot.errors += u64::from(failed);

        let (method, resource, shape) = self.classify(e);
        let i = match self
            .cycle
            .iter()
            .position(|o| o.is(method, resource, shape))
        {
            Some(i) => i,
            None if self.cycle.len() < MAX_OPERATIONS => {
                self.cycle
                    .push(Operation::new(method, resource, shape.owned()));
                self.cycle.len() - 1
            }
            None => match self
                .cycle
                .iter()
                .position(|o| o.is(method, "", ShapeRef::Other))
            {
                Some(i) => i,
                None => {
                    self.cycle.push(Operation::new(method, "", Shape::Other));
                    self.cycle.len() - 1
                }
            },
        };
        let op = &mut self.cycle[i];
        op.count += 1;
        if failed {
            bump(&mut op.errors, e.status.unwrap_or(0), 1);
        }
        // Transcripts written before `elapsed_us` existed: the milliseconds.
        let us = if e.elapsed_us > 0 {
            e.elapsed_us
        } else {
            e.elapsed_ms.saturating_mul(1000)
        };
        op.latency.saturating_record(us.clamp(1, MAX_LATENCY_US));
    }

    fn classify<'e>(&self, e: &'e idp::Exchange) -> (&'e str, &'e str, ShapeRef<'e>) {
        let pq = e.path_and_query();
        let (path, query) = pq.split_once('?').unwrap_or((pq, ""));
        let Some(rest) = path.strip_prefix(self.base_path.as_str()) else {
            return (&e.method, "", ShapeRef::Other);
        };
        let rest = rest.trim_start_matches('/');
        let (resource, item) = match rest.split_once('/') {
            Some((r, id)) => (r, !id.is_empty()),
            None => (rest, false),
        };
        let shape = if item {
            ShapeRef::Item
        } else if query.is_empty() {
            ShapeRef::Collection
        } else if query.split('&').any(|p| p.starts_with("filter=")) {
            ShapeRef::Filter
        } else {
            let first = query.split('&').next().unwrap_or("");
            ShapeRef::Query(first.split('=').next().unwrap_or(""))
        };
        (&e.method, resource, shape)
    }

    /// End the cycle that took `seconds`: its per-operation summary (in first-seen
    /// order), and its figures added to the run's.
    pub fn end_cycle(&mut self, seconds: f64) -> Vec<OperationSummary> {
        let rows = self
            .cycle
            .iter()
            .map(|o| o.summary(seconds, false))
            .collect();
        for op in self.cycle.drain(..) {
            match self
                .overall
                .iter_mut()
                .find(|o| o.is(&op.method, &op.resource, op.shape.borrowed()))
            {
                Some(o) => o.add(&op),
                None => self.overall.push(op),
            }
        }
        rows
    }

    /// The whole run's per-operation summary with histogram buckets, over `seconds`.
    pub fn overall(&self, seconds: f64) -> Vec<OperationSummary> {
        self.overall
            .iter()
            .map(|o| o.summary(seconds, true))
            .collect()
    }

    /// Requests and errors in each second since the run began.
    pub fn seconds(&self) -> &[SecondCount] {
        &self.seconds
    }
}

/// Where each exchange goes in load mode: the metrics (unless `--no-metrics`), the
/// progress counters, and the transcript file when one is written.
pub struct LoadSink {
    pub metrics: Option<Metrics>,
    pub live: Arc<Live>,
    pub transcript: Option<idp::JsonLinesSink<std::io::BufWriter<std::fs::File>>>,
}

impl idp::TranscriptSink for LoadSink {
    fn exchange(&mut self, exchange: idp::Exchange) {
        self.live.requests.fetch_add(1, Ordering::Relaxed);
        if exchange.status.is_none_or(|s| s >= 400) {
            self.live.errors.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(m) = &mut self.metrics {
            m.record(&exchange);
        }
        if let Some(t) = &mut self.transcript {
            t.exchange(exchange);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(method: &str, path: &str, status: Option<u16>, us: u64) -> idp::Exchange {
        let mut e = idp::Exchange::unanswered(
            "entra".into(),
            method.into(),
            format!("http://t:1/scim/v2{path}"),
            Vec::new(),
            None,
        );
        e.status = status;
        e.elapsed_us = us;
        e
    }

    #[test]
    fn exchanges_are_counted_under_their_path_template() {
        let mut m = Metrics::new("http://t:1/scim/v2/", Instant::now());
        m.record(&exchange(
            "GET",
            "/Users?filter=userName+eq+%22a%22",
            Some(200),
            900,
        ));
        m.record(&exchange("GET", "/Users?filter=x", Some(200), 1100));
        m.record(&exchange("POST", "/Users", Some(201), 2000));
        m.record(&exchange("POST", "/Users", Some(429), 300));
        m.record(&exchange("PATCH", "/Users/abc-1", Some(204), 700));
        m.record(&exchange("DELETE", "/Users/abc-2", None, 60_000_000));
        m.record(&exchange(
            "GET",
            "/Groups?excludedAttributes=members&filter=x",
            Some(200),
            10,
        ));
        m.record(&exchange("GET", "/ServiceProviderConfig", Some(200), 10));
        m.record(&exchange(
            "GET",
            "/Users?startIndex=1&count=1",
            Some(200),
            10,
        ));
        let rows = m.end_cycle(2.0);
        let labels: Vec<&str> = rows.iter().map(|r| r.operation.as_str()).collect();
        assert_eq!(
            labels,
            [
                "GET /Users?filter",
                "POST /Users",
                "PATCH /Users/{id}",
                "DELETE /Users/{id}",
                "GET /Groups?filter",
                "GET /ServiceProviderConfig",
                "GET /Users?startIndex"
            ]
        );
        assert_eq!(rows[0].count, 2);
        assert_eq!(rows[0].error_count, 0);
        assert!((rows[0].p50_ms - 0.9).abs() < 0.01, "{}", rows[0].p50_ms);
        assert!((rows[0].max_ms - 1.1).abs() < 0.01, "{}", rows[0].max_ms);
        assert_eq!(rows[0].rate, 1.0);
        assert_eq!(rows[1].errors, [("429".to_owned(), 1)].into());
        assert_eq!(rows[3].errors, [("transport".to_owned(), 1)].into());
        assert_eq!(m.seconds()[0].requests, 9);
        assert_eq!(m.seconds()[0].errors, 2);
        // The next cycle adds to the run's figures.
        m.record(&exchange("POST", "/Users", Some(201), 2000));
        let second = m.end_cycle(1.0);
        assert_eq!(second.len(), 1);
        let overall = m.overall(3.0);
        assert_eq!(overall[1].count, 3);
        let bucketed: u64 = overall[1].histogram.iter().map(|b| b.count).sum();
        assert_eq!(bucketed, 3);
    }

    #[test]
    fn a_path_outside_the_base_is_other() {
        let mut m = Metrics::new("http://t:1/scim/v2", Instant::now());
        let mut e = exchange("GET", "", Some(200), 5);
        e.url = "http://t:1/elsewhere/Users".into();
        m.record(&e);
        assert_eq!(m.end_cycle(1.0)[0].operation, "GET other");
    }
}
