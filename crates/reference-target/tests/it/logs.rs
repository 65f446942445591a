//! Request logs: one structured line per request with method, path, status and
//! latency, and never the bearer token.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::Method;
use tracing_subscriber::fmt::MakeWriter;

use crate::support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn requests_are_logged_without_the_token() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    // A global subscriber: a thread-scoped one misses events when other tests run
    // concurrently (callsite interest is cached process-wide). This is the only test
    // that installs one; lines from other tests only widen the token check.
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");

    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    let r = t
        .send(
            Method::POST,
            &format!("{BASE}/Users"),
            Some(&user("log@example.com", "l")),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = t
        .send(
            Method::GET,
            &format!("{BASE}/Users/missing?filter=secret"),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let wrong = t
        .request(
            axum::http::Request::builder()
                .uri(format!("{BASE}/Users"))
                .header("authorization", "Bearer wrong-token-value")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, 401);

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("method=POST"), "{text}");
    assert!(text.contains(&format!("path={BASE}/Users")), "{text}");
    assert!(text.contains("status=201"), "{text}");
    assert!(text.contains("status=404"), "{text}");
    assert!(text.contains("status=401"), "{text}");
    assert!(text.contains("latency_us="), "{text}");
    assert!(!text.contains(TOKEN), "the token leaked: {text}");
    assert!(
        !text.contains("wrong-token-value"),
        "a presented token leaked: {text}"
    );
    assert!(
        !text.to_ascii_lowercase().contains("authorization"),
        "{text}"
    );
    assert!(
        !text.contains("secret"),
        "query strings are not logged: {text}"
    );
}
