//! Server-rendered HTML: escaping, the page frame, error pages (HTML for a browser, JSON
//! for an API client). No script, no stylesheet from elsewhere.

use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::Site;

/// `value` escaped for HTML text and double- or single-quoted attribute values
/// (`& < > " '`).
pub fn escape(value: &str) -> String {
    html_escape::encode_quoted_attribute(value).into_owned()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:90rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}\
.muted{color:#666}.error{border-left:4px solid #b00020;padding:.5rem 1rem;background:#fdecee}\
button{cursor:pointer}details{margin-top:1.5rem}label{display:block;margin:.3rem 0}code{background:#f3f3f3;padding:0 .2rem}";

/// A whole page: `title` in the head and as the heading, `body` as given (already HTML).
pub fn frame(site: Option<&Site>, title: &str, body: &str) -> String {
    let banner = site.map_or_else(String::new, |s| {
        format!(
            "<p class=\"muted\">scim-harness mock IdP · persona <b>{}</b> · {} · test keys only, never a real identity</p>",
            escape(s.persona.as_str()),
            escape(&s.entity_id()),
        )
    });
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title><style>{STYLE}</style></head>\
<body>{banner}<h1>{t}</h1>\n{body}\n</body></html>\n",
        t = escape(title),
    )
}

/// An HTML page with `status`.
pub fn html(status: StatusCode, page: String) -> Response {
    (status, Html(page)).into_response()
}

/// A refusal a person reads: the status, a title, and what to do.
pub fn error_page(site: Option<&Site>, status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!(
        "<div class=\"error\" role=\"alert\"><p>{}</p></div>",
        escape(detail)
    );
    html(status, frame(site, title, &body))
}

/// A refusal an API client reads: `{"error": …, "detail": …}` with `status`.
pub fn json_error(status: StatusCode, error: &str, detail: &str) -> Response {
    let body = serde_json::json!({"error": error, "detail": detail});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `/` when several personas are served: a link to each.
pub fn index(sites: &[Arc<Site>]) -> Response {
    let mut body = String::from(
        "<table><tr><th>persona</th><th>entity id</th><th>metadata</th><th>admin</th></tr>",
    );
    for s in sites {
        body.push_str(&format!(
            "<tr><td>{p}</td><td><code>{e}</code></td><td><a href=\"{m}\">{m}</a></td><td><a href=\"{a}\">{a}</a></td></tr>",
            p = escape(s.persona.as_str()),
            e = escape(&s.entity_id()),
            m = escape(&s.metadata_url()),
            a = escape(&s.admin_url()),
        ));
    }
    body.push_str("</table>");
    html(StatusCode::OK, frame(None, "scim-harness mock IdP", &body))
}
