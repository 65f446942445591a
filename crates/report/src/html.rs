//! One self-contained HTML page (no external resource; opens from `file://`) that leads
//! with what matters: the summary, a persona × area matrix whose cells take the worst
//! outcome of their cases and link to them, then the cases, failures first. A case's body
//! (spec, reason, mismatches, notes, transcript with pretty-printed JSON and XML) is
//! rendered only when it is opened: each is a JSON string in a
//! `<script type="application/json">` that the HTML parser does not build into the DOM,
//! so the page stays usable at 10,000 cases. Every value from a target or a scenario is
//! escaped.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use conformance::{CaseResult, Outcome, TranscriptEntry};

use crate::{pretty_json, pretty_xml, Collector};

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.2em}table.summary td,table.summary th{padding:.2em .8em;text-align:right}
table.matrix{border-collapse:collapse}table.matrix th,table.matrix td{border:1px solid #ccc;padding:.25em .6em;text-align:center}
table.matrix td a{color:inherit;text-decoration:none;display:block}table.matrix td.none{color:#999}
td.m-pass,td.m-expected{background:#d7f0dc}td.m-fail,td.m-error{background:#f7c9cf;font-weight:bold}
td.m-warn{background:#fbe7b5}td.m-skip{background:#dde8ee}
.filters{margin:1em 0}.filters label{margin-right:1em}
details.case{border:1px solid #ccc;border-radius:4px;margin:.3em 0;padding:.3em .6em;content-visibility:auto;contain-intrinsic-size:auto 1.6em}
details.case>summary{cursor:pointer;font-family:ui-monospace,monospace}
.st{display:inline-block;width:6em;font-weight:bold}
.pass,.expected{color:#17692a}.fail,.error{color:#b00020}.warn{color:#8a6100}.skip{color:#00638a}
pre{background:#f6f6f6;padding:.5em;overflow:auto;max-height:30em;font-size:12px}
table.mm{border-collapse:collapse}table.mm td,table.mm th{border:1px solid #ddd;padding:.2em .5em;vertical-align:top}
.dim{color:#666}";

/// Filters (by the selects, or a matrix cell through the URL's `#cell:PERSONA:AREA`) and
/// the lazy case bodies: the first `toggle` of a case fills it from its JSON blob.
const SCRIPT: &str = "function f(){var o=document.getElementById('fo').value,p=document.getElementById('fp').value,a=document.getElementById('fa').value,n=0;
document.querySelectorAll('details.case').forEach(function(d){var s=(!o||d.dataset.outcome==o)&&(!p||d.dataset.persona==p)&&(!a||d.dataset.area==a);d.style.display=s?'':'none';if(s)n++;});
document.getElementById('shown').textContent=n;}
function cell(){var h=location.hash;if(h.indexOf('#cell:')!=0)return;var x=h.slice(6).split(':');
document.getElementById('fo').value='';document.getElementById('fp').value=decodeURIComponent(x[0]||'');document.getElementById('fa').value=decodeURIComponent(x[1]||'');f();
document.getElementById('cases').scrollIntoView();}
function fill(d){if(d.dataset.filled)return;var b=document.getElementById('b'+d.dataset.n);if(!b)return;
d.querySelector('.body').innerHTML=JSON.parse(b.textContent);d.dataset.filled='1';}
document.addEventListener('toggle',function(e){var d=e.target;if(d.classList&&d.classList.contains('case')&&d.open)fill(d);},true);
window.addEventListener('hashchange',cell);cell();";

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

/// Percent-encode a URL fragment part (all but ASCII letters, digits, `.`, `_`, `-`).
fn fragment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'_' | b'-' => out.push(b as char),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Bytes of case bodies one page embeds before the transcripts of passing, skipped and
/// expected cases are left out (report.json keeps them): a real run's case carries about
/// 20 KB of transcript, so 10,000 of them would be a page of 200 MB that no browser loads
/// quickly. The bodies of failed, errored and warned cases are always embedded.
pub const BODY_BUDGET: usize = 8 * 1024 * 1024;

/// How bad an outcome is: a matrix cell shows its worst case; the list starts with the
/// worst.
fn severity(o: Outcome) -> u8 {
    match o {
        Outcome::Fail => 5,
        Outcome::Error => 4,
        Outcome::Warn => 3,
        Outcome::Expected => 2,
        Outcome::Skip => 1,
        Outcome::Pass => 0,
    }
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
    let mut h = String::with_capacity(4096 + c.cases.len() * 2048);
    h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>scim-harness report</title><style>");
    h.push_str(STYLE);
    h.push_str("</style></head><body><h1>scim-harness report</h1>");
    if let Some(info) = &c.info {
        let _ = write!(
            h,
            "<p>target <b>{}</b> at <code>{}</code>, seed {}, {} jobs, {:.3}s",
            escape(&info.target),
            escape(&info.base_url),
            info.seed,
            info.jobs,
            c.duration_ms as f64 / 1000.0
        );
        if let Some(t) = &c.meta.started_at {
            let _ = write!(h, ", started {}", escape(t));
        }
        if let Some(v) = &c.meta.harness_version {
            let _ = write!(h, ", scim-harness {}", escape(v));
        }
        h.push_str("</p>");
        if info.insecure {
            h.push_str("<p class=\"fail\"><b>insecure</b>: server certificates were not checked (--insecure)</p>");
        }
    }
    let verdict = crate::Verdict::of(c);
    let _ = write!(
        h,
        "<p id=\"verdict\" class=\"{}\"><b>{}</b></p>",
        match verdict {
            crate::Verdict::Passed => "pass",
            _ => "fail",
        },
        verdict.as_str()
    );
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
    let personas: BTreeSet<String> = c.cases.iter().map(|r| r.persona.clone()).collect();
    let areas: BTreeSet<String> = c.cases.iter().map(|r| r.area.clone()).collect();
    matrix(&mut h, c, &personas, &areas);

    let outcomes: BTreeSet<String> = Outcome::ALL.iter().map(|o| o.as_str().to_owned()).collect();
    let _ = write!(
        h,
        "<h2 id=\"cases\">Cases, failures first (<span id=\"shown\">{}</span> shown)</h2>",
        c.cases.len()
    );
    h.push_str("<div class=\"filters\">");
    h.push_str(&select("fo", "outcome", &outcomes));
    h.push_str(&select("fp", "persona", &personas));
    h.push_str(&select("fa", "area", &areas));
    h.push_str("</div>");
    let mut order: Vec<usize> = (0..c.cases.len()).collect();
    // Stable: within an outcome the catalogue's order stays.
    order.sort_by_key(|&i| std::cmp::Reverse(severity(c.cases[i].outcome)));
    for &i in &order {
        case_html(&mut h, i, &c.cases[i]);
    }
    // The bodies, after the cases: the HTML parser keeps each as text, no DOM. Worst
    // first, so the budget goes to the cases that matter.
    let mut used = 0usize;
    for &i in &order {
        let case = &c.cases[i];
        let must_show = matches!(case.outcome, Outcome::Fail | Outcome::Error | Outcome::Warn);
        let mut body = case_body(case, must_show || used < BODY_BUDGET);
        if !must_show && used + body.len() > BODY_BUDGET {
            body = case_body(case, false);
        }
        used += body.len();
        let body = serde_json::to_string(&body).unwrap_or_default();
        // `<` only occurs inside JSON strings: `\u003c` keeps `</script>` out of the blob.
        let _ = write!(
            h,
            "<script type=\"application/json\" id=\"b{i}\">{}</script>",
            body.replace('<', "\\u003c")
        );
    }
    h.push_str("<script>");
    h.push_str(SCRIPT);
    h.push_str("</script></body></html>\n");
    h
}

/// Persona rows × area columns; each cell coloured by the worst outcome of its cases
/// (`data-outcome`), with that outcome's count and the cell's total, linking to the cases
/// (`#cell:PERSONA:AREA` filters the list to them).
fn matrix(h: &mut String, c: &Collector, personas: &BTreeSet<String>, areas: &BTreeSet<String>) {
    if c.cases.is_empty() {
        return;
    }
    h.push_str("<h2>Persona × area</h2><table class=\"matrix\" id=\"matrix\"><tr><th>persona</th>");
    for a in areas {
        let _ = write!(h, "<th>{}</th>", escape(a));
    }
    h.push_str("</tr>");
    for p in personas {
        let _ = write!(h, "<tr><th>{}</th>", escape(p));
        for a in areas {
            let mut worst: Option<Outcome> = None;
            let (mut total, mut of_worst) = (0usize, 0usize);
            for r in c.cases.iter().filter(|r| &r.persona == p && &r.area == a) {
                total += 1;
                match worst {
                    Some(w) if severity(r.outcome) < severity(w) => {}
                    Some(w) if w == r.outcome => of_worst += 1,
                    _ => {
                        worst = Some(r.outcome);
                        of_worst = 1;
                    }
                }
            }
            let (pe, ae) = (escape(p), escape(a));
            match worst {
                None => {
                    let _ = write!(
                        h,
                        "<td class=\"none\" data-persona=\"{pe}\" data-area=\"{ae}\">—</td>"
                    );
                }
                Some(w) => {
                    let o = w.as_str();
                    let _ = write!(
                        h,
                        "<td class=\"m-{o}\" data-outcome=\"{o}\" data-persona=\"{pe}\" data-area=\"{ae}\" title=\"{pe} / {ae}: worst {o}\"><a href=\"#cell:{}:{}\">{o} {of_worst}/{total}</a></td>",
                        fragment(p),
                        fragment(a)
                    );
                }
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}

/// A case's summary line, its body left for the script to fill when opened.
fn case_html(h: &mut String, n: usize, case: &CaseResult) {
    let o = case.outcome.as_str();
    let _ = write!(
        h,
        "<details class=\"case\" id=\"case-{n}\" data-n=\"{n}\" data-id=\"{}\" data-outcome=\"{o}\" data-persona=\"{}\" data-area=\"{}\"><summary><span class=\"st {o}\">{}</span> {} <span class=\"dim\">{:.3}s — {} ({})</span></summary><div class=\"body\"></div></details>",
        escape(&case.id),
        escape(&case.persona),
        escape(&case.area),
        o.to_uppercase(),
        escape(&case.id),
        case.duration_ms as f64 / 1000.0,
        escape(&case.title),
        case.level
    );
}

/// A case's body as HTML: spec, reason, mismatches, notes and transcript (or, without
/// `transcript`, a line saying where it is).
fn case_body(case: &CaseResult, transcript: bool) -> String {
    let mut h = String::new();
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
    if transcript {
        for entry in &case.transcript {
            entry_html(&mut h, entry);
        }
    } else if !case.transcript.is_empty() {
        let _ = write!(
            h,
            "<p class=\"dim transcript-left-out\">{} transcript entries are in report.json, not on this page (it embeds {} MiB of case bodies, failures first)</p>",
            case.transcript.len(),
            BODY_BUDGET / (1024 * 1024)
        );
    }
    h
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
