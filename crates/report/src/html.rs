//! One self-contained HTML page: the summary, filters by outcome, persona and area, and
//! per case its mismatches and transcript with pretty-printed JSON and XML. Every value
//! from a target or a scenario is escaped.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use conformance::{CaseResult, Outcome, TranscriptEntry};

use crate::{pretty_json, pretty_xml, Collector};

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}table.summary td,table.summary th{padding:.2em .8em;text-align:right}
.filters{margin:1em 0}.filters label{margin-right:1em}
details.case{border:1px solid #ccc;border-radius:4px;margin:.3em 0;padding:.3em .6em}
details.case>summary{cursor:pointer;font-family:ui-monospace,monospace}
.st{display:inline-block;width:6em;font-weight:bold}
.pass,.expected{color:#17692a}.fail,.error{color:#b00020}.warn{color:#8a6100}.skip{color:#00638a}
pre{background:#f6f6f6;padding:.5em;overflow:auto;max-height:30em;font-size:12px}
table.mm{border-collapse:collapse}table.mm td,table.mm th{border:1px solid #ddd;padding:.2em .5em;vertical-align:top}
.dim{color:#666}";

const SCRIPT: &str = "function f(){var o=document.getElementById('fo').value,p=document.getElementById('fp').value,a=document.getElementById('fa').value;
document.querySelectorAll('details.case').forEach(function(d){var s=(!o||d.dataset.outcome==o)&&(!p||d.dataset.persona==p)&&(!a||d.dataset.area==a);d.style.display=s?'':'none';});}";

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn select(id: &str, label: &str, values: &BTreeSet<String>) -> String {
    let mut s = format!(
        "<label>{label} <select id=\"{id}\" onchange=\"f()\"><option value=\"\">all</option>"
    );
    for v in values {
        let v = escape(v);
        let _ = write!(s, "<option value=\"{v}\">{v}</option>");
    }
    s.push_str("</select></label>");
    s
}

/// The run as one HTML page.
pub fn html(c: &Collector) -> String {
    let s = &c.summary;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>scim-harness report</title><style>");
    h.push_str(STYLE);
    h.push_str("</style></head><body><h1>scim-harness report</h1>");
    if let Some(info) = &c.info {
        let _ = write!(
            h,
            "<p>target <b>{}</b> at <code>{}</code>, seed {}, {} jobs, {:.3}s</p>",
            escape(&info.target),
            escape(&info.base_url),
            info.seed,
            info.jobs,
            c.duration_ms as f64 / 1000.0
        );
        if info.insecure {
            h.push_str("<p class=\"fail\"><b>insecure</b>: server certificates were not checked (--insecure)</p>");
        }
    }
    let _ = write!(
        h,
        "<table class=\"summary\"><tr><th>total</th><th class=\"pass\">passed</th><th class=\"fail\">failed</th><th class=\"warn\">warned</th><th class=\"skip\">skipped</th><th class=\"error\">errored</th><th class=\"expected\">expected</th></tr><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
        s.total, s.passed, s.failed, s.warned, s.skipped, s.errored, s.expected
    );
    if s.interrupted {
        let _ = write!(
            h,
            "<p class=\"fail\">{}</p>",
            escape(crate::INTERRUPTED_LINE)
        );
    }
    if let Some(line) = crate::cleanup_line(s) {
        let _ = write!(h, "<p>{}</p>", escape(&line));
    }
    for (pattern, reason) in &c.stale_baseline {
        let _ = write!(
            h,
            "<p class=\"fail\">stale baseline entry <code>{}</code> matches no case ({})</p>",
            escape(pattern),
            escape(reason)
        );
    }
    let outcomes: BTreeSet<String> = Outcome::ALL.iter().map(|o| o.as_str().to_owned()).collect();
    let personas: BTreeSet<String> = c.cases.iter().map(|r| r.persona.clone()).collect();
    let areas: BTreeSet<String> = c.cases.iter().map(|r| r.area.clone()).collect();
    h.push_str("<div class=\"filters\">");
    h.push_str(&select("fo", "outcome", &outcomes));
    h.push_str(&select("fp", "persona", &personas));
    h.push_str(&select("fa", "area", &areas));
    h.push_str("</div>");
    for case in &c.cases {
        case_html(&mut h, case);
    }
    h.push_str("<script>");
    h.push_str(SCRIPT);
    h.push_str("</script></body></html>\n");
    h
}

fn case_html(h: &mut String, case: &CaseResult) {
    let o = case.outcome.as_str();
    let _ = write!(
        h,
        "<details class=\"case\" data-outcome=\"{o}\" data-persona=\"{}\" data-area=\"{}\"><summary><span class=\"st {o}\">{}</span> {} <span class=\"dim\">{:.3}s — {} ({})</span></summary>",
        escape(&case.persona),
        escape(&case.area),
        o.to_uppercase(),
        escape(&case.id),
        case.duration_ms as f64 / 1000.0,
        escape(&case.title),
        case.level
    );
    if !case.spec.is_empty() {
        let refs: Vec<String> = case.spec.iter().map(|s| escape(s)).collect();
        let _ = write!(h, "<p class=\"dim\">spec: {}</p>", refs.join("; "));
    }
    if let Some(r) = &case.reason {
        let _ = write!(h, "<p><b>reason:</b> {}</p>", escape(r));
    }
    if !case.mismatches.is_empty() {
        h.push_str("<table class=\"mm\"><tr><th>step</th><th>check</th><th>expected</th><th>observed</th><th>exchange</th></tr>");
        for m in &case.mismatches {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td><pre>{}</pre></td><td><pre>{}</pre></td><td>{}</td></tr>",
                m.step,
                escape(&m.check),
                escape(&m.expected),
                escape(&m.observed),
                m.exchange.map(|n| format!("#{n}")).unwrap_or_default()
            );
        }
        h.push_str("</table>");
    }
    for note in &case.notes {
        let _ = write!(h, "<p class=\"dim\">note: {}</p>", escape(note));
    }
    for entry in &case.transcript {
        entry_html(h, entry);
    }
    h.push_str("</details>");
}

fn entry_html(h: &mut String, entry: &TranscriptEntry) {
    match entry {
        TranscriptEntry::Http {
            n,
            step,
            source,
            exchange: e,
        } => {
            let status = e.status.map_or_else(
                || e.error.clone().unwrap_or_else(|| "no response".into()),
                |s| s.to_string(),
            );
            let _ = write!(
                h,
                "<details><summary>#{n} step {step} {:?}: {} {} → {}</summary>",
                source,
                escape(&e.method),
                escape(&e.url),
                escape(&status)
            );
            let mut req = String::new();
            for (k, v) in &e.request_headers {
                let _ = writeln!(req, "{k}: {v}");
            }
            if let Some(b) = &e.request_body {
                req.push('\n');
                req.push_str(&pretty_json(&b.value()));
            }
            let _ = write!(h, "<pre>{}</pre>", escape(&req));
            let mut resp = String::new();
            for (k, v) in &e.response_headers {
                let _ = writeln!(resp, "{k}: {v}");
            }
            match (&e.response_json, &e.response_text) {
                (Some(j), _) => {
                    resp.push('\n');
                    resp.push_str(&pretty_json(&j.value()));
                }
                (None, Some(t)) => {
                    resp.push('\n');
                    resp.push_str(t);
                }
                _ => {}
            }
            let _ = write!(h, "<pre>{}</pre></details>", escape(&resp));
        }
        TranscriptEntry::Saml {
            n,
            step,
            attack,
            xml,
        } => {
            let _ = write!(
                h,
                "<details><summary>#{n} step {step}: SAML Response{}</summary><pre>{}</pre></details>",
                attack.as_ref().map(|a| format!(" (attack {})", escape(a))).unwrap_or_default(),
                escape(&pretty_xml(xml))
            );
        }
    }
}
