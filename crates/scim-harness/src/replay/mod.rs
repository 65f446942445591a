//! `scim-harness replay`: a recorded transcript re-sent in order to another target, the
//! ids the new target assigns rewritten into later requests, and each answer diffed
//! semantically against the recorded one.

mod diff;
mod report;
mod rewrite;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use bytes::BytesMut;
use clap::Args;
use serde_json::Value;

pub use diff::IgnorePath;
use diff::{diff_json, DiffRules, Difference};
use report::{ExchangeResult, ReplayReport};
pub use rewrite::{after_scim_base, IdMap};

/// Arguments of `replay`.
#[derive(Args)]
pub struct ReplayArgs {
    /// The transcript to replay: JSON lines as `record --transcript` or `idp sync
    /// --transcript` write them.
    transcript: PathBuf,
    /// Target profile to replay against: a TOML file, or the name of a shipped one; its
    /// credential replaces the redacted one of the recording.
    #[arg(long)]
    target: PathBuf,
    /// Override the profile's base_url.
    #[arg(long, env = "SCIM_HARNESS_TARGET_URL")]
    target_url: Option<String>,
    /// A JSON path left out of the comparison besides ids, `meta` and timestamps
    /// (repeatable): `$.Resources[*].name`, `emails[0].display`, `$..display`.
    #[arg(long = "ignore", value_name = "JSONPATH")]
    ignore: Vec<IgnorePath>,
    /// Write replay.json and replay.md into this folder.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    #[command(flatten)]
    connection: crate::connection::ConnectionArgs,
}

/// The largest replayed answer compared, as the sync engine's limit.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Request headers a replay does not copy from the recording: the credential (the
/// profile's replaces it), what the client sets for the new target, cookies, and
/// `Accept-Encoding` (answers are compared decoded; the client asks for none).
fn copied(name: &str, value: &str) -> bool {
    let n = name.to_ascii_lowercase();
    !matches!(
        n.as_str(),
        "authorization"
            | "host"
            | "content-length"
            | "cookie"
            | "connection"
            | "transfer-encoding"
            | "accept-encoding"
    ) && !value.contains("[redacted]")
}

/// Replays; returns the exit code (0: every exchange matched; 1: a difference).
pub fn replay(args: ReplayArgs) -> anyhow::Result<u8> {
    let exchanges: Vec<idp::Exchange> =
        idp::JsonLinesReader::open(&args.transcript)?.collect::<Result<_, _>>()?;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let (target, connector, name) = crate::idp_sync::scim_target(
        &args.target,
        args.target_url.as_deref(),
        &args.connection,
        timeout,
    )?;
    let credential = target
        .credential
        .header()
        .context("the profile's credential")?;
    let base = target.base_url.trim_end_matches('/').to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    println!(
        "replaying {} ({} exchanges) → target {name} at {base}",
        args.transcript.display(),
        exchanges.len()
    );
    let mut ids = IdMap::default();
    let mut results = Vec::with_capacity(exchanges.len());
    for (index, recorded) in exchanges.iter().enumerate() {
        let rest = after_scim_base(&recorded.url);
        let recorded_base = rest.map_or_else(
            || rewrite::origin(&recorded.url).to_owned(),
            |r| recorded.url[..recorded.url.len() - r.len()].to_owned(),
        );
        let path = ids.rewrite_str(rest.unwrap_or_else(|| recorded.path_and_query()));
        let url = match rest {
            Some(_) => format!("{base}{path}"),
            None => format!("{}{path}", rewrite::origin(&base)),
        };
        let mut result = ExchangeResult {
            seq: recorded.seq,
            method: recorded.method.clone(),
            path: path.clone(),
            recorded_status: recorded.status,
            replayed_status: None,
            verdict: "skipped",
            differences: Vec::new(),
            note: None,
        };
        let skip = if recorded.status.is_none() {
            Some(format!(
                "no answer was recorded ({}); not sent",
                recorded.error.as_deref().unwrap_or("no status")
            ))
        } else if recorded
            .error
            .as_deref()
            .is_some_and(|e| e.contains(idp::record::REQUEST_BODY_NOT_RECORDED))
        {
            Some("its request body was not recorded; not sent".to_owned())
        } else if retried(&exchanges, index) {
            Some("the IdP sent it again next (a retry); not sent".to_owned())
        } else {
            None
        };
        if let Some(note) = skip {
            result.note = Some(note);
            print_result(&result);
            results.push(result);
            continue;
        }
        let method =
            reqwest::Method::from_bytes(recorded.method.as_bytes()).with_context(|| {
                format!(
                    "transcript line seq {}: method {}",
                    recorded.seq, recorded.method
                )
            })?;
        let mut request = connector
            .client()
            .request(method, &url)
            .timeout(timeout)
            .header(credential.0.clone(), credential.1.clone());
        for (k, v) in &recorded.request_headers {
            if copied(k, v) {
                request = request.header(k.as_str(), v.as_str());
            }
        }
        if let Some(body) = &recorded.request_body {
            let text = ids.rewrite_json(&body.value()).to_string();
            request = request.body(text);
        }
        let answer = runtime.block_on(async {
            let mut response = request.send().await?;
            let status = response.status().as_u16();
            let mut bytes = BytesMut::new();
            while let Some(chunk) = response.chunk().await? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > BODY_LIMIT {
                    break;
                }
            }
            Ok::<_, reqwest::Error>((status, bytes.freeze()))
        });
        let rules = DiffRules {
            ignore: args.ignore.clone(),
            origins: Some((recorded_base, base.clone())),
        };
        match answer {
            Err(e) => {
                result.verdict = "differ";
                result.note = Some(format!("no answer: {}", idp::error_chain(&e)));
                result.differences.push(Difference {
                    path: "status".into(),
                    recorded: recorded.status.map(Value::from),
                    replayed: None,
                });
            }
            Ok((status, bytes)) => {
                result.replayed_status = Some(status);
                let replayed: Option<Value> = serde_json::from_slice(&bytes).ok();
                let recorded_json = recorded.response_json.as_ref().map(idp::JsonText::value);
                if recorded.status == Some(status) {
                    if let (Some(a), Some(b)) = (&recorded_json, &replayed) {
                        ids.learn(a, b);
                    }
                } else {
                    result.differences.push(Difference {
                        path: "status".into(),
                        recorded: recorded.status.map(Value::from),
                        replayed: Some(Value::from(status)),
                    });
                }
                result.differences.extend(compare_bodies(
                    recorded_json.as_ref(),
                    recorded.response_text.as_deref(),
                    replayed.as_ref(),
                    &bytes,
                    &ids,
                    &rules,
                ));
                result.verdict = if result.differences.is_empty() {
                    "match"
                } else {
                    "differ"
                };
            }
        }
        print_result(&result);
        results.push(result);
    }
    let count = |v: &str| results.iter().filter(|r| r.verdict == v).count();
    let report = ReplayReport {
        schema: "scim-harness/replay/v1",
        transcript: args.transcript.display().to_string(),
        target: name,
        base_url: base,
        exchanges: results.len(),
        matched: count("match"),
        differed: count("differ"),
        skipped: count("skipped"),
        ids_rewritten: ids.len(),
        results,
    };
    println!("{}", report.summary());
    if let Some(dir) = &args.report {
        report::write(&report, dir)?;
        println!("report: {}", dir.display());
    }
    Ok(if report.clean() {
        crate::exit::SUCCESS
    } else {
        crate::exit::FAILED
    })
}

/// Whether exchange `index` was answered with a status an IdP retries (429, a 5xx) and
/// the next exchange is the same request again: the retry is replayed, not the attempt.
fn retried(exchanges: &[idp::Exchange], index: usize) -> bool {
    let (Some(this), Some(next)) = (exchanges.get(index), exchanges.get(index + 1)) else {
        return false;
    };
    this.status.is_some_and(|s| s == 429 || s >= 500)
        && this.method == next.method
        && this.url == next.url
        && this.request_body == next.request_body
}

fn print_result(result: &ExchangeResult) {
    for line in report::terminal_lines(result) {
        println!("{line}");
    }
}

/// The body differences: JSON against JSON semantically; otherwise the text (ids
/// rewritten) or which side has JSON.
fn compare_bodies(
    recorded_json: Option<&Value>,
    recorded_text: Option<&str>,
    replayed: Option<&Value>,
    replayed_bytes: &[u8],
    ids: &IdMap,
    rules: &DiffRules,
) -> Vec<Difference> {
    match (recorded_json, replayed) {
        (Some(a), Some(b)) => diff_json(a, b, ids, rules),
        (None, None) => {
            let old = recorded_text
                .map(|t| ids.rewrite_str(t))
                .unwrap_or_default();
            let new =
                String::from_utf8_lossy(&replayed_bytes[..replayed_bytes.len().min(64 * 1024)]);
            if old.trim() == new.trim() {
                Vec::new()
            } else {
                vec![Difference {
                    path: "body".into(),
                    recorded: Some(Value::String(old)),
                    replayed: Some(Value::String(new.into_owned())),
                }]
            }
        }
        (a, b) => vec![Difference {
            path: "body".into(),
            recorded: Some(
                a.cloned()
                    .unwrap_or_else(|| Value::String(recorded_text.unwrap_or("").to_owned())),
            ),
            replayed: Some(b.cloned().unwrap_or_else(|| {
                Value::String(
                    String::from_utf8_lossy(&replayed_bytes[..replayed_bytes.len().min(1024)])
                        .into_owned(),
                )
            })),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(status: Option<u16>, url: &str) -> idp::Exchange {
        let mut e =
            idp::Exchange::unanswered("entra".into(), "POST".into(), url.into(), vec![], None);
        e.status = status;
        e
    }

    #[test]
    fn a_retried_attempt_is_not_replayed() {
        let t = [
            ex(Some(429), "http://t/Users"),
            ex(Some(503), "http://t/Users"),
            ex(Some(201), "http://t/Users"),
            ex(Some(429), "http://t/Groups"),
            ex(Some(201), "http://t/Users"),
        ];
        let skipped: Vec<bool> = (0..t.len()).map(|i| retried(&t, i)).collect();
        assert_eq!(skipped, [true, true, false, false, false]);
    }
}
