//! Unit tests of request pacing, the persona limits and the transcript's JSON text.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use super::policy::Pacer;
use super::{JsonText, RequestBody, SyncLimits, ENTRA_CONCURRENCY};
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

#[test]
fn a_one_line_body_is_kept_as_the_target_wrote_it() {
    let bytes = br#"  {"id": "7", "userName":"b\u00e9a", "n": 1.50}  "#;
    let value: Value = serde_json::from_slice(bytes).unwrap();
    let text = JsonText::of_body(bytes, &value);
    assert_eq!(
        text.as_str(),
        r#"{"id": "7", "userName":"b\u00e9a", "n": 1.50}"#
    );
    assert_eq!(text.value(), value);
}

#[test]
fn a_body_over_several_lines_is_written_on_one() {
    let value = json!({"id": "7", "emails": [{"value": "a@example.com"}]});
    for bytes in [
        serde_json::to_vec_pretty(&value).unwrap(),
        b"{\"id\":\"7\",\r\"emails\":[{\"value\":\"a@example.com\"}]}".to_vec(),
    ] {
        let text = JsonText::of_body(&bytes, &value);
        assert_eq!(
            text.as_str(),
            r#"{"id":"7","emails":[{"value":"a@example.com"}]}"#
        );
        let line = serde_json::to_string(&json!({"response": text})).unwrap();
        assert!(!line.contains(['\n', '\r']), "{line}");
        assert_eq!(
            serde_json::from_str::<Value>(&line).unwrap(),
            json!({"response": value})
        );
    }
}

#[test]
fn a_password_is_sent_and_shown_redacted() {
    let body = json!({"userName": "a", "password": "s3cret", "active": true});
    let b = RequestBody::from_value(&body);
    assert_eq!(b.sent.value(), body);
    let shown = b.shown();
    assert_eq!(
        shown.as_str(),
        r#"{"userName":"a","password":"[redacted]","active":true}"#
    );
    let plain = json!({"userName": "a"});
    let b = RequestBody::from_value(&plain);
    assert!(b.redacted.is_none());
    assert_eq!(b.shown().as_str(), r#"{"userName":"a"}"#);
}
