//! The JSON report (DESIGN.md "JSON report"): the typed [`Report`](crate::Report) written
//! out, versioned, a summary, one entry per case with its transcript (secrets were
//! redacted when the exchanges were recorded).

use crate::{Collector, Report};

/// The whole run as one JSON document.
pub fn json(c: &Collector) -> String {
    let mut text = serde_json::to_string_pretty(&Report::of(c)).unwrap_or_default();
    text.push('\n');
    text
}
