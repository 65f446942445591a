//! The transcript: each exchange with its redacted headers and bodies kept as JSON text,
//! and the sinks that collect or stream it.

use std::io::Write;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

/// One HTTP request and its answer (or failure), secrets redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// 1-based position in the engine's transcript.
    pub seq: u64,
    pub persona: String,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<JsonText>,
    /// `None` when no response arrived (timeout, reset, refused).
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// The response body when it parsed as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_json: Option<JsonText>,
    /// The response body when it is not empty and not JSON (truncated to 64 KiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_text: Option<String>,
    pub elapsed_ms: u64,
    /// The same time in microseconds (whole milliseconds say nothing of a loopback
    /// exchange); absent, so 0, in transcripts written before it existed.
    #[serde(default)]
    pub elapsed_us: u64,
    /// Why no usable response arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Exchange {
    /// A request about to be sent: no answer, error or time yet, and `seq` 0 until the
    /// transcript numbers it.
    #[inline]
    pub fn unanswered(
        persona: String,
        method: String,
        url: String,
        request_headers: Vec<(String, String)>,
        request_body: Option<JsonText>,
    ) -> Exchange {
        Exchange {
            seq: 0,
            persona,
            method,
            url,
            request_headers,
            request_body,
            status: None,
            response_headers: Vec::new(),
            response_json: None,
            response_text: None,
            elapsed_ms: 0,
            elapsed_us: 0,
            error: None,
        }
    }

    /// The request header `name` (lowercase).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Path and query of the URL (everything after the authority).
    pub fn path_and_query(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |x| x.1);
        rest.find('/').map_or("/", |i| &rest[i..])
    }
}

/// A JSON document kept as its text, on one line: a body in the transcript. Keeping the
/// text rather than a parsed [`Value`] spares the engine a copy of every body it sends or
/// reads (a `Value` is a tree of allocations); [`JsonText::value`] parses it when a
/// reader needs to look inside. Through serde_json (JSON lines, reports, `json!`) it
/// serializes as the JSON it holds, not as a string; another serde format would see
/// serde_json's raw-value wrapper, so convert with [`JsonText::value`] first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonText(Box<RawValue>);

impl JsonText {
    /// `value` written compactly.
    pub fn from_value(value: &Value) -> JsonText {
        JsonText::serialized(value)
    }

    /// A body that parsed as `value`: its own text, without surrounding whitespace, when
    /// it is on one line; otherwise `value` written compactly, so that a JSON-lines
    /// transcript stays one exchange a line.
    pub fn of_body(bytes: &[u8], value: &Value) -> JsonText {
        if !bytes.iter().any(|b| matches!(b, b'\n' | b'\r')) {
            let own = std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| serde_json::from_str::<&RawValue>(s).ok());
            if let Some(raw) = own {
                return JsonText(raw.to_owned());
            }
        }
        JsonText::from_value(value)
    }

    /// `value` written compactly, a top-level `password` member shown as `[redacted]`:
    /// how a transcript shows a request body that carries one.
    pub fn password_redacted(value: &Value) -> JsonText {
        match value {
            Value::Object(map) if map.contains_key("password") => {
                let mut shown = map.clone();
                shown.insert(
                    "password".to_owned(),
                    Value::String("[redacted]".to_owned()),
                );
                JsonText::from_value(&Value::Object(shown))
            }
            _ => JsonText::from_value(value),
        }
    }

    /// `value` serialized compactly. Used for values that always serialize (map keys
    /// are strings); were one to fail, the text is `null`.
    pub(crate) fn serialized<T: Serialize + ?Sized>(value: &T) -> JsonText {
        let raw =
            serde_json::value::to_raw_value(value).unwrap_or_else(|_| RawValue::NULL.to_owned());
        JsonText(raw)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The document parsed.
    pub fn value(&self) -> Value {
        // Valid JSON by construction.
        serde_json::from_str(self.as_str()).unwrap_or(Value::Null)
    }
}

impl PartialEq for JsonText {
    fn eq(&self, other: &JsonText) -> bool {
        self.as_str() == other.as_str()
    }
}

impl From<&Value> for JsonText {
    fn from(value: &Value) -> JsonText {
        JsonText::from_value(value)
    }
}

impl From<Value> for JsonText {
    fn from(value: Value) -> JsonText {
        JsonText::from_value(&value)
    }
}

/// Every exchange in order; written as one JSON object per line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Transcript {
    pub exchanges: Vec<Exchange>,
}

impl Transcript {
    /// Write one JSON object per line (the CLI's `--transcript FILE`).
    pub fn write_json_lines(&self, mut out: impl Write) -> std::io::Result<()> {
        for e in &self.exchanges {
            serde_json::to_writer(&mut out, e)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// Why a JSON-lines transcript could not be read: the file and the 1-based line.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptReadError {
    #[error("reading transcript {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("transcript {path}: line {line}: {detail}")]
    Line {
        path: String,
        line: u64,
        detail: String,
    },
}

/// Reads a JSON-lines transcript (`idp sync --transcript`, `record --transcript`) one
/// exchange at a time; blank lines are skipped. Each error names the file and the line.
pub struct JsonLinesReader<R> {
    lines: std::io::Lines<R>,
    path: String,
    line: u64,
}

impl JsonLinesReader<std::io::BufReader<std::fs::File>> {
    /// Opens the transcript at `path`.
    pub fn open(path: &std::path::Path) -> Result<Self, TranscriptReadError> {
        let file = std::fs::File::open(path).map_err(|source| TranscriptReadError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok(JsonLinesReader::new(
            std::io::BufReader::new(file),
            path.display().to_string(),
        ))
    }
}

impl<R: std::io::BufRead> JsonLinesReader<R> {
    /// Reads `input`; `path` is what errors call it.
    pub fn new(input: R, path: String) -> Self {
        JsonLinesReader {
            lines: input.lines(),
            path,
            line: 0,
        }
    }
}

impl<R: std::io::BufRead> Iterator for JsonLinesReader<R> {
    type Item = Result<Exchange, TranscriptReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let text = match self.lines.next()? {
                Ok(text) => text,
                Err(e) => {
                    self.line += 1;
                    return Some(Err(TranscriptReadError::Line {
                        path: self.path.clone(),
                        line: self.line,
                        detail: e.to_string(),
                    }));
                }
            };
            self.line += 1;
            if text.trim().is_empty() {
                continue;
            }
            return Some(
                serde_json::from_str(&text).map_err(|e| TranscriptReadError::Line {
                    path: self.path.clone(),
                    line: self.line,
                    detail: format!("not an exchange: {e}"),
                }),
            );
        }
    }
}

/// Serialize one exchange as a JSON line (without the newline).
pub fn exchange_json_line(e: &Exchange) -> String {
    serde_json::to_string(e).unwrap_or_else(|_| "{}".to_owned())
}

/// Where [`SyncEngine::cycle_to`](crate::SyncEngine::cycle_to) puts each exchange, in
/// transcript order and numbered, as soon as the object it belongs to is done; nothing
/// of the transcript stays in the engine.
///
/// A `Vec<Exchange>` collects (what [`SyncEngine::cycle`](crate::SyncEngine::cycle)
/// does), [`JsonLinesSink`] writes JSON lines, and any `FnMut(Exchange)` works too.
pub trait TranscriptSink: Send {
    fn exchange(&mut self, exchange: Exchange);
}

impl TranscriptSink for Vec<Exchange> {
    fn exchange(&mut self, exchange: Exchange) {
        self.push(exchange);
    }
}

impl<F: FnMut(Exchange) + Send> TranscriptSink for F {
    fn exchange(&mut self, exchange: Exchange) {
        self(exchange);
    }
}

/// Writes each exchange as one JSON object per line, as [`Transcript::write_json_lines`]
/// does, without holding the transcript. After the first write error it writes nothing
/// more; [`JsonLinesSink::finish`] reports that error.
#[derive(Debug)]
pub struct JsonLinesSink<W: Write> {
    out: W,
    written: u64,
    error: Option<std::io::Error>,
}

impl<W: Write> JsonLinesSink<W> {
    pub fn new(out: W) -> JsonLinesSink<W> {
        JsonLinesSink {
            out,
            written: 0,
            error: None,
        }
    }

    /// Lines written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flush, and hand back the writer or the first write error.
    pub fn finish(mut self) -> std::io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write + Send> TranscriptSink for JsonLinesSink<W> {
    fn exchange(&mut self, exchange: Exchange) {
        if self.error.is_some() {
            return;
        }
        let line = serde_json::to_writer(&mut self.out, &exchange)
            .map_err(std::io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        match line {
            Ok(()) => self.written += 1,
            Err(e) => self.error = Some(e),
        }
    }
}

/// A request body: the JSON sent, and what the transcript shows instead when a secret
/// is in it.
#[derive(Debug)]
pub(crate) struct RequestBody {
    pub(crate) sent: JsonText,
    /// `None`: the transcript shows what was sent.
    pub(crate) redacted: Option<JsonText>,
}

impl RequestBody {
    /// `body` as sent; a top-level `password` is shown as `[redacted]`. Okta sends one on
    /// create (okta-scim.md §3); it is random, but the transcript still redacts it.
    pub(crate) fn from_value(body: &Value) -> RequestBody {
        let redacted = body
            .get("password")
            .map(|_| JsonText::password_redacted(body));
        RequestBody {
            sent: JsonText::from_value(body),
            redacted,
        }
    }

    /// What the transcript shows.
    pub(super) fn shown(self) -> JsonText {
        self.redacted.unwrap_or(self.sent)
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn a_line_read_back_writes_the_same_bytes() {
        let line = r#"{"seq":3,"persona":"entra","method":"POST","url":"http://t/Users","request_headers":[["authorization","Bearer [redacted]"]],"request_body":{"b":1,"a":[true,null]},"status":201,"response_headers":[["content-type","application/scim+json"]],"response_json":{"id":"x","z":{"y":2}},"elapsed_ms":4,"elapsed_us":4210}"#;
        let text = format!("{line}\n\n{line}\n");
        let read: Vec<Exchange> = JsonLinesReader::new(text.as_bytes(), "t.jsonl".into())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(exchange_json_line(&read[0]), line);
    }

    #[test]
    fn a_bad_line_names_the_file_and_line() {
        let text = "\n{\"seq\":1}\n";
        let err = JsonLinesReader::new(text.as_bytes(), "t.jsonl".into())
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("transcript t.jsonl: line 2: not an exchange"),
            "{err}"
        );
    }
}
