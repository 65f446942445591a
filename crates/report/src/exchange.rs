//! The exchange behind a failure, as every format shows it: the request line, the status
//! and the start of the response body. Secrets were redacted when the exchange was
//! recorded, so nothing here needs to redact again.

use conformance::{CaseResult, Outcome, TranscriptEntry};

use crate::model::FailingExchange;

/// Body lines a failing exchange shows; the transcript keeps the rest.
pub const EXCERPT_LINES: usize = 20;

/// Characters a failing exchange's body excerpt keeps at most (a long one-line body).
const EXCERPT_CHARS: usize = 4000;

/// The exchange that shows why `case` did not pass: the one its first mismatch names,
/// else its last transcript entry; `None` for a pass, a skip or an empty transcript.
pub fn failing_exchange(case: &CaseResult) -> Option<FailingExchange> {
    if matches!(case.outcome, Outcome::Pass | Outcome::Skip) {
        return None;
    }
    let named = case
        .mismatches
        .iter()
        .filter_map(|m| m.exchange)
        .find_map(|n| case.transcript.iter().find(|e| e.n() == n));
    named.or(case.transcript.last()).map(summarise)
}

/// One transcript entry as a [`FailingExchange`].
pub fn summarise(entry: &TranscriptEntry) -> FailingExchange {
    match entry {
        TranscriptEntry::Http { n, exchange, .. } => {
            let body = match (&exchange.response_json, &exchange.response_text) {
                (Some(j), _) => crate::pretty_json(&j.value()),
                (None, Some(t)) => t.clone(),
                _ => String::new(),
            };
            let all: Vec<&str> = body.lines().collect();
            let mut excerpt = all
                .iter()
                .take(EXCERPT_LINES)
                .copied()
                .collect::<Vec<_>>()
                .join("\n");
            if excerpt.chars().count() > EXCERPT_CHARS {
                excerpt = excerpt.chars().take(EXCERPT_CHARS).collect::<String>() + "…";
            }
            FailingExchange {
                n: *n,
                request: format!("{} {}", exchange.method, exchange.url),
                status: exchange.status,
                error: exchange.error.clone(),
                body_excerpt: excerpt,
                omitted_lines: all.len().saturating_sub(EXCERPT_LINES),
            }
        }
        TranscriptEntry::Saml { n, attack, .. } => FailingExchange {
            n: *n,
            request: format!(
                "SAML Response{}",
                attack
                    .as_ref()
                    .map(|a| format!(" (attack {a})"))
                    .unwrap_or_default()
            ),
            status: None,
            error: None,
            body_excerpt: String::new(),
            omitted_lines: 0,
        },
    }
}

impl FailingExchange {
    /// `exchange #N: GET URL -> 200`, then the excerpt indented by two spaces and a line
    /// saying how many were left out.
    pub fn lines(&self) -> Vec<String> {
        let head = match (self.status, &self.error) {
            (Some(s), _) => format!("exchange #{}: {} -> {s}", self.n, self.request),
            (None, Some(e)) => format!("exchange #{}: {} -> {e}", self.n, self.request),
            (None, None) if self.request.starts_with("SAML ") => {
                format!("exchange #{}: {}", self.n, self.request)
            }
            (None, None) => format!("exchange #{}: {} -> no response", self.n, self.request),
        };
        let mut lines = vec![head];
        if !self.body_excerpt.is_empty() {
            lines.extend(self.body_excerpt.lines().map(|l| format!("  {l}")));
        }
        if self.omitted_lines > 0 {
            lines.push(format!(
                "  … {} more lines in the report",
                self.omitted_lines
            ));
        }
        lines
    }
}
