//! Unit tests of request pacing and the persona limits.

use std::time::Duration;

use tokio::time::Instant;

use super::{Pacer, SyncLimits, ENTRA_CONCURRENCY};
use crate::persona::PersonaId;

#[test]
fn unpaced_books_nothing() {
    let p = Pacer::new(None);
    assert_eq!(p.slot(Instant::now()), None);
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(Pacer::new(Some(bad)).slot(Instant::now()), None, "{bad}");
    }
}

#[test]
fn starts_are_spaced_by_the_rate() {
    let p = Pacer::new(Some(10.0));
    let t0 = Instant::now();
    let gap = Duration::from_millis(100);
    assert_eq!(p.slot(t0), Some(t0));
    assert_eq!(p.slot(t0), Some(t0 + gap));
    assert_eq!(p.slot(t0 + Duration::from_millis(10)), Some(t0 + 2 * gap));
}

#[test]
fn an_idle_pacer_does_not_bank_starts() {
    let p = Pacer::new(Some(10.0));
    let t0 = Instant::now();
    p.slot(t0);
    let later = t0 + Duration::from_secs(5);
    assert_eq!(p.slot(later), Some(later));
    assert_eq!(p.slot(later), Some(later + Duration::from_millis(100)));
}

#[test]
fn persona_defaults() {
    // entra-scim.md §3 "Load and timing": parallel; Okta and rfc one at a time.
    for p in [PersonaId::Entra, PersonaId::EntraAadOpt] {
        assert_eq!(SyncLimits::for_persona(p).concurrency, ENTRA_CONCURRENCY);
        assert_eq!(SyncLimits::for_persona(p).requests_per_second, None);
    }
    for p in [PersonaId::Okta, PersonaId::OktaOin, PersonaId::Rfc] {
        assert_eq!(SyncLimits::for_persona(p), SyncLimits::SEQUENTIAL);
    }
}
