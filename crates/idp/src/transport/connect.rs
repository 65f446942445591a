//! How the harness's HTTP clients reach a target: the credential each request carries
//! ([`Credential`]), the trust and client identity for `https://` ([`TlsFiles`]), and the
//! one reqwest client built from them ([`Connector`]), which the sync engine and the
//! scenario runner share. Proxies come from `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and
//! `NO_PROXY`, as reqwest reads them.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};

/// What each request presents to the target. Its value never reaches a transcript: see
/// [`Credential::redacted`].
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <token>` (Grafana's service-account token).
    Bearer(String),
    /// `Authorization: Basic base64(user:password)` (RFC 7617).
    Basic { user: String, password: String },
    /// A header of the target's choosing, e.g. `X-Api-Key: <value>`.
    Header { name: String, value: String },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (name, shown) = self.redacted();
        write!(f, "Credential({name}: {shown})")
    }
}

/// Why a credential cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("`{0}` is not a valid http header name")]
    HeaderName(String),
    /// The value is not shown: it is a secret.
    #[error(
        "the {0} credential is not a valid http header value (control characters or a line break?)"
    )]
    HeaderValue(&'static str),
}

impl Credential {
    /// The header to send, its value marked sensitive.
    pub fn header(&self) -> Result<(HeaderName, HeaderValue), CredentialError> {
        let (name, value, kind) = match self {
            Credential::Bearer(token) => (AUTHORIZATION, format!("Bearer {token}"), "bearer"),
            Credential::Basic { user, password } => {
                let pair =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                (AUTHORIZATION, format!("Basic {pair}"), "basic")
            }
            Credential::Header { name, value } => (
                HeaderName::try_from(name.as_str())
                    .map_err(|_| CredentialError::HeaderName(name.clone()))?,
                value.clone(),
                "header",
            ),
        };
        let mut value =
            HeaderValue::try_from(value).map_err(|_| CredentialError::HeaderValue(kind))?;
        value.set_sensitive(true);
        Ok((name, value))
    }

    /// The header as a transcript shows it: its name (lowercase) and the scheme without
    /// the secret (`Bearer [redacted]`, `Basic [redacted]`, `[redacted]`).
    pub fn redacted(&self) -> (String, String) {
        match self {
            Credential::Bearer(_) => ("authorization".into(), "Bearer [redacted]".into()),
            Credential::Basic { .. } => ("authorization".into(), "Basic [redacted]".into()),
            Credential::Header { name, .. } => (name.to_ascii_lowercase(), "[redacted]".into()),
        }
    }
}

/// Trust and client identity for `https://` targets, as files.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    /// PEM files of further trusted CA certificates (`--ca-cert`, `[tls] ca_file`); the
    /// bundled web roots and the operating system's trust store are trusted as well.
    pub ca_certs: Vec<PathBuf>,
    /// Accept any server certificate and name (`--insecure`): for a quick look at a
    /// target, never for a verdict that matters; the run records it.
    pub insecure: bool,
    /// A client certificate for mutual TLS: certificate chain and private key (PEM).
    pub client_identity: Option<(PathBuf, PathBuf)>,
}

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("reading {what} {path}")]
    Read {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} {path}: {detail}")]
    Pem {
        what: &'static str,
        path: String,
        detail: String,
    },
    #[error("building the http client: {0}")]
    Build(String),
}

/// The reqwest client every `https://` request of a run goes through (and `http://`
/// requests when a proxy applies), built once: reading the system trust store and the
/// PEM files is done here, not per request or per sync engine. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Connector {
    pub(crate) client: reqwest::Client,
    insecure: bool,
}

impl Connector {
    /// A client with the trust and identity of `tls`; `connect_timeout` bounds each
    /// connection attempt. Redirects are not followed and reqwest never replays a
    /// request on its own (the callers retry and record every attempt).
    pub fn new(tls: &TlsFiles, connect_timeout: Duration) -> Result<Connector, ConnectError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect_timeout)
            .retry(reqwest::retry::never().max_retries_per_request(0));
        for path in &tls.ca_certs {
            let what = "ca certificate file";
            let pem = read(what, path)?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| pem_error(what, path, &e))?;
            if certs.is_empty() {
                return Err(ConnectError::Pem {
                    what,
                    path: path.display().to_string(),
                    detail: "no PEM certificate in it".into(),
                });
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if let Some((cert, key)) = &tls.client_identity {
            let mut pem = read("client certificate file", cert)?;
            pem.push(b'\n');
            pem.extend(read("client key file", key)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| pem_error("client certificate and key", cert, &e))?;
            builder = builder.identity(identity);
        }
        if tls.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let client = builder
            .build()
            .map_err(|e| ConnectError::Build(super::error_chain(&e)))?;
        Ok(Connector {
            client,
            insecure: tls.insecure,
        })
    }

    /// Whether server certificates go unchecked (`--insecure`).
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// The client, for callers that send requests of their own (the scenario runner).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

fn read(what: &'static str, path: &std::path::Path) -> Result<Vec<u8>, ConnectError> {
    std::fs::read(path).map_err(|source| ConnectError::Read {
        what,
        path: path.display().to_string(),
        source,
    })
}

fn pem_error(what: &'static str, path: &std::path::Path, e: &reqwest::Error) -> ConnectError {
    ConnectError::Pem {
        what,
        path: path.display().to_string(),
        detail: super::error_chain(e),
    }
}

/// Whether a proxy from the environment applies to `http://host`: `http_proxy`,
/// `HTTP_PROXY`, `all_proxy` or `ALL_PROXY` is set and `NO_PROXY` (or `no_proxy`) does
/// not name the host. A `true` only routes the request through reqwest, which then
/// applies the variables itself; so a `NO_PROXY` form this check does not know (a CIDR
/// range) costs the fast path, never correctness.
pub(crate) fn http_proxy_applies(host: &str) -> bool {
    proxy_applies(host, |k| std::env::var(k).ok())
}

fn proxy_applies(host: &str, var: impl Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| var(k).is_some_and(|v| !v.trim().is_empty());
    if !["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
        .into_iter()
        .any(set)
    {
        return false;
    }
    let no_proxy = var("no_proxy")
        .filter(|v| !v.trim().is_empty())
        .or_else(|| var("NO_PROXY"))
        .unwrap_or_default();
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    !no_proxy.split(',').any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        if entry == "*" {
            return true;
        }
        let domain = entry
            .trim_start_matches("*.")
            .trim_start_matches('.')
            .trim_start_matches('[')
            .trim_end_matches(']');
        !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(vars: &[(&str, &str)], host: &str, expect: bool) {
        let got = proxy_applies(host, |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        });
        assert_eq!(got, expect, "{vars:?} for {host}");
    }

    #[test]
    fn proxy_env_applies_unless_no_proxy_names_the_host() {
        check(&[], "example.com", false);
        check(&[("HTTPS_PROXY", "http://p:1")], "example.com", false);
        check(&[("HTTP_PROXY", "http://p:1")], "example.com", true);
        check(&[("all_proxy", "http://p:1")], "example.com", true);
        check(
            &[("http_proxy", "http://p:1"), ("NO_PROXY", "*")],
            "example.com",
            false,
        );
        check(
            &[("http_proxy", "http://p:1"), ("NO_PROXY", "example.com")],
            "a.example.com",
            false,
        );
        check(
            &[("http_proxy", "http://p:1"), ("NO_PROXY", ".example.com")],
            "a.example.com",
            false,
        );
        check(
            &[
                ("http_proxy", "http://p:1"),
                ("NO_PROXY", "other.com, 127.0.0.1"),
            ],
            "127.0.0.1",
            false,
        );
        check(
            &[("http_proxy", "http://p:1"), ("NO_PROXY", "ample.com")],
            "example.com",
            true,
        );
        check(
            &[("http_proxy", "http://p:1"), ("no_proxy", "::1")],
            "[::1]",
            false,
        );
    }

    #[test]
    fn credentials_are_redacted_and_headers_sensitive() {
        let basic = Credential::Basic {
            user: "admin".into(),
            password: "s3cret".into(),
        };
        let (name, value) = basic.header().expect("valid");
        assert_eq!(name, AUTHORIZATION);
        assert_eq!(value.to_str().expect("ascii"), "Basic YWRtaW46czNjcmV0");
        assert!(value.is_sensitive());
        assert!(!format!("{basic:?}").contains("s3cret"));
        let header = Credential::Header {
            name: "X-Api-Key".into(),
            value: "k3y".into(),
        };
        assert_eq!(header.redacted(), ("x-api-key".into(), "[redacted]".into()));
        assert_eq!(header.header().expect("valid").0.as_str(), "x-api-key");
        let bad = Credential::Header {
            name: "bad name".into(),
            value: "v".into(),
        };
        assert_eq!(
            bad.header().expect_err("space in name").to_string(),
            "`bad name` is not a valid http header name"
        );
        let err = Credential::Bearer("a\nb".into())
            .header()
            .expect_err("newline");
        assert!(!err.to_string().contains("a\nb"));
    }
}
