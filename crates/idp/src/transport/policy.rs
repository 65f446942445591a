//! What the caller sets: where the target is and how long to wait on it, how much the
//! transcript keeps, and how hard to drive the target (concurrency and pacing).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::persona::{Family, PersonaId};

use super::connect::{Connector, Credential};

/// Where and how to reach the SCIM service provider.
#[derive(Debug, Clone)]
pub struct ScimTarget {
    /// The SCIM base URL ("Tenant URL"), e.g.
    /// `http://127.0.0.1:3000/apis/scim.grafana.app/v0alpha1/namespaces/default`. A query
    /// string on it (Entra's `?aadOptscim062020`, entra-scim.md §2) is not sent.
    pub base_url: String,
    /// What each request presents (a bearer token by default); never recorded.
    pub credential: Credential,
    /// The client for `https://` (and proxied `http://`) requests, with its trust and
    /// client identity; `None` builds a default one (bundled and system roots).
    pub connector: Option<Connector>,
    /// Budget for one request, from sending to the last body byte. Both Entra and Okta
    /// give up after 60 s (entra-scim.md §3 "Load and timing", okta-scim.md §1).
    pub timeout: Duration,
    /// The largest response body read; a larger one fails the exchange.
    pub max_response_bytes: usize,
    /// The longest single wait on a `429`, whatever the persona or `Retry-After` asks.
    pub max_retry_wait: Duration,
    /// Override of the persona's bound on 429 retries (okta: 10).
    pub rate_limit_attempts: Option<u32>,
    /// Override of the persona's immediate 5xx/transport retries (entra 0, okta 0, rfc 2).
    pub server_error_retries: Option<u32>,
    /// Wait before the first immediate 5xx retry; doubled for each further one.
    pub server_error_backoff: Duration,
    /// Override of the persona's concurrency cap and request rate
    /// ([`SyncLimits::for_persona`]).
    pub limits: Option<SyncLimits>,
    /// How much of each exchange the transcript keeps.
    pub transcript: TranscriptDetail,
}

/// How much of each exchange the transcript keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TranscriptDetail {
    /// Headers and bodies, redacted (the default).
    #[default]
    Full,
    /// Method, URL, status, timing and error only: a smaller transcript, for syncs of
    /// tens of thousands of users whose transcript is kept in the report (streaming it
    /// with [`SyncEngine::cycle_to`](crate::SyncEngine::cycle_to) keeps none).
    Lines,
}

/// How hard the engine drives the target: how many requests may be in flight at once and
/// how many may start per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyncLimits {
    /// Objects of one phase (users, managers, groups, memberships) handled at once; each
    /// object has at most one request in flight, so this caps concurrent requests.
    /// `0` is treated as `1`.
    pub concurrency: usize,
    /// At most this many requests (retries included) start per second; `None` for no
    /// pacing.
    pub requests_per_second: Option<f64>,
}

impl SyncLimits {
    /// One request at a time, unpaced.
    pub const SEQUENTIAL: SyncLimits = SyncLimits {
        concurrency: 1,
        requests_per_second: None,
    };

    /// The persona's defaults.
    ///
    /// - Entra sends "in parallel, up to a connection cap" (entra-scim.md §3 "Load and
    ///   timing" [QA1195656]); the cap is not published, so we use 8. No rate is imposed:
    ///   the sheet gives a peak of about 1000 requests a minute as an observation, not a
    ///   limit; set `requests_per_second: Some(16.7)` to replay it.
    /// - Okta's sheet (okta-scim.md §1 "Timeouts, 429 and other errors") documents how it
    ///   backs off, not how many requests it overlaps; a provisioning task pushes one
    ///   change after another, so the persona sends one request at a time.
    /// - rfc: one at a time, so a strict client's transcript reads in send order.
    pub fn for_persona(persona: PersonaId) -> SyncLimits {
        match persona.family() {
            Family::Entra => SyncLimits {
                concurrency: ENTRA_CONCURRENCY,
                requests_per_second: None,
            },
            Family::Okta | Family::Rfc => SyncLimits::SEQUENTIAL,
        }
    }
}

/// The Entra persona's default cap (entra-scim.md §3 gives no number).
pub const ENTRA_CONCURRENCY: usize = 8;

impl ScimTarget {
    /// A target reached with a bearer token and the documented defaults: 60 s per request, 4 MiB bodies, at most
    /// 5 minutes per 429 wait (Okta's default wait, okta-scim.md §1).
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> ScimTarget {
        ScimTarget {
            base_url: base_url.into(),
            credential: Credential::Bearer(token.into()),
            connector: None,
            timeout: Duration::from_secs(60),
            max_response_bytes: 4 * 1024 * 1024,
            max_retry_wait: Duration::from_secs(300),
            rate_limit_attempts: None,
            server_error_retries: None,
            server_error_backoff: Duration::from_secs(1),
            limits: None,
            transcript: TranscriptDetail::Full,
        }
    }

    /// The base URL without query or trailing slash.
    pub(super) fn base(&self) -> &str {
        let base = self.base_url.split(['?', '#']).next().unwrap_or("");
        base.trim_end_matches('/')
    }
}

/// Spaces request starts evenly at `requests_per_second`.
#[derive(Debug)]
pub(crate) struct Pacer {
    /// `None`: unpaced.
    interval: Option<Duration>,
    /// When the next request may start.
    next: Mutex<Option<tokio::time::Instant>>,
}

impl Pacer {
    pub(crate) fn new(requests_per_second: Option<f64>) -> Pacer {
        let interval = requests_per_second
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        Pacer {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Book the next start at or after `now`; `None` when unpaced.
    pub(crate) fn slot(&self, now: tokio::time::Instant) -> Option<tokio::time::Instant> {
        let interval = self.interval?;
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let start = next.map_or(now, |n| n.max(now));
        *next = Some(start + interval);
        Some(start)
    }
}
