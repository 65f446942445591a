//! The SAML service provider: one verifier per trusted IdP, chosen by the outstanding
//! request or the Response's Issuer; outstanding AuthnRequests (InResponseTo tracking);
//! the replay cache; SP metadata and the HTTP-Redirect AuthnRequest. Outstanding
//! requests and the replay cache live in the database ([`crate::store::saml`]), so they
//! survive a restart.

use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use saml::xml::{self, attr_escaped, text_escaped, NS_ASSERTION};
use saml::{ExpectedInResponseTo, VerifiedAssertion, Verifier, VerifierConfig};
use time::{Duration, OffsetDateTime};

use crate::db::Db;
use crate::fault::{Fault, FaultSet};
use crate::login::error::LoginError;
use crate::login::idp::TrustedIdp;
use crate::login::refusals::PendingRefusals;
use crate::settings::SamlSettings;
use crate::store::saml::{self as store, StoredRequest};

/// How long an AuthnRequest stays answerable.
pub const AUTHN_REQUEST_LIFETIME: Duration = Duration::minutes(10);
/// The most AuthnRequests outstanding at once (`GET /login/saml` needs no credentials);
/// past it the oldest is forgotten. Ten minutes of requests at 16 a second.
pub const MAX_OUTSTANDING_REQUESTS: usize = 10_000;
/// How long a refusal's `login_error` cookie stays readable (Grafana: `MaxAge: 60`).
pub const LOGIN_ERROR_LIFETIME: Duration = Duration::seconds(60);
/// The most refusals waiting for their login page at once; past it the oldest is
/// forgotten.
pub const MAX_PENDING_REFUSALS: usize = 10_000;
/// SAML Core §8.3.3: the NameID format Grafana asks for by default (grafana-target.md §5).
const NAME_ID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const HTTP_POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// What the SP needs besides the settings: where it lives, whom it trusts, what time it is.
#[derive(Clone)]
pub struct LoginConfig {
    /// The public root URL (`[server] root_url`), without a trailing `/`.
    pub root_url: String,
    pub trusted_idps: Vec<TrustedIdp>,
    /// "Now" for the verifier, the replay cache and request expiry.
    pub clock: Arc<dyn saml::Clock>,
}

impl std::fmt::Debug for LoginConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginConfig")
            .field("root_url", &self.root_url)
            .field("trusted_idps", &self.trusted_idps)
            .finish_non_exhaustive()
    }
}

struct Idp {
    trusted: TrustedIdp,
    verifier: Verifier,
}

/// A Response that passed every SAML check; the user rules come next.
#[derive(Debug)]
pub struct Accepted {
    pub assertion: VerifiedAssertion,
    /// Where the browser goes after the login.
    pub return_to: String,
}

/// The `[auth.saml]` switches that can change while the target runs
/// (`PUT /api/reference/saml-settings`); they start from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginSwitches {
    /// Grafana: `allow_sign_up`.
    pub allow_sign_up: bool,
    /// Grafana: `allow_idp_initiated`.
    pub allow_idp_initiated: bool,
}

/// The SAML side of the reference target.
pub struct ServiceProvider {
    entity_id: String,
    acs_url: String,
    secure_cookies: bool,
    settings: SamlSettings,
    /// `[auth.saml] certificate_path`: the SP's encryption certificate, for its metadata.
    encryption_certificate: Option<saml::Certificate>,
    idps: Vec<Idp>,
    clock: Arc<dyn saml::Clock>,
    /// Outstanding AuthnRequests and the replay cache (`saml_request`, `saml_assertion`).
    db: Arc<Db>,
    /// The switches in force.
    switches: Mutex<LoginSwitches>,
    /// `login_error` cookie value → the refusal it stands for, until when: the cookie
    /// is opaque, only this process can read it. At most [`MAX_PENDING_REFUSALS`].
    refusals: Mutex<PendingRefusals>,
}

impl std::fmt::Debug for ServiceProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceProvider")
            .field("entity_id", &self.entity_id)
            .field("acs_url", &self.acs_url)
            .field("idps", &self.idps.len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ServiceProvider {
    /// The SP for `config`; one verifier per trusted IdP, pinned to its certificates only.
    /// Its outstanding requests and replay cache are kept in `db`.
    pub(crate) fn new(
        config: LoginConfig,
        settings: SamlSettings,
        db: Arc<Db>,
    ) -> Result<Self, saml::VerifyError> {
        let root = config.root_url.trim_end_matches('/');
        let entity_id = format!("{root}/saml/metadata");
        let acs_url = format!("{root}/saml/acs");
        // Grafana: `private_key_path` / `certificate_path` ("Configure SAML signing and
        // encryption"): with them the SP decrypts EncryptedAssertions.
        let decryption_key = settings
            .private_key_path
            .as_ref()
            .map(saml::DecryptionKey::from_pem_file)
            .transpose()
            .map_err(saml::VerifyError::Decrypt)?;
        let encryption_certificate = settings
            .certificate_path
            .as_ref()
            .map(|path| {
                saml::Certificate::from_pem_file(path).map_err(|e| saml::VerifyError::Malformed {
                    what: "[auth.saml] certificate_path",
                    detail: format!("{}: {e}", path.display()),
                })
            })
            .transpose()?;
        let idps = config
            .trusted_idps
            .into_iter()
            .map(|trusted| {
                let mut cfg = VerifierConfig::new(
                    trusted.entity_id.clone(),
                    entity_id.clone(),
                    acs_url.clone(),
                    trusted.certificates.clone(),
                );
                cfg.signature_policy = settings.signature_policy;
                cfg.clock_skew = settings.clock_skew;
                cfg.max_document_bytes = crate::MAX_BODY_BYTES;
                cfg.decryption_key.clone_from(&decryption_key);
                Ok(Idp {
                    verifier: Verifier::new(cfg, Arc::clone(&config.clock))?,
                    trusted,
                })
            })
            .collect::<Result<Vec<_>, saml::VerifyError>>()?;
        Ok(ServiceProvider {
            switches: Mutex::new(LoginSwitches {
                allow_sign_up: settings.allow_sign_up,
                allow_idp_initiated: settings.allow_idp_initiated,
            }),
            refusals: Mutex::new(PendingRefusals::new(MAX_PENDING_REFUSALS)),
            secure_cookies: root.starts_with("https://"),
            entity_id,
            acs_url,
            settings,
            encryption_certificate,
            idps,
            clock: config.clock,
            db,
        })
    }

    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    pub fn acs_url(&self) -> &str {
        &self.acs_url
    }

    pub fn settings(&self) -> &SamlSettings {
        &self.settings
    }

    /// The switches in force.
    pub fn switches(&self) -> LoginSwitches {
        *lock(&self.switches)
    }

    /// Replace the switches in force.
    pub fn set_switches(&self, switches: LoginSwitches) {
        *lock(&self.switches) = switches;
    }

    /// Keeps `error` for the login page; returns the opaque `login_error` cookie value.
    pub fn remember_refusal(&self, error: LoginError) -> String {
        let now = self.clock.now();
        let token = uuid::Uuid::new_v4().simple().to_string();
        lock(&self.refusals).keep(token.clone(), error, now + LOGIN_ERROR_LIFETIME, now);
        token
    }

    /// The refusal a `login_error` cookie stands for, once: it is forgotten when read.
    pub fn take_refusal(&self, token: &str) -> Option<LoginError> {
        let now = self.clock.now();
        lock(&self.refusals).take(token, now)
    }

    /// Whether the session cookie gets `Secure` (the root URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    /// SAML Metadata §2.4.4: this SP's EntityDescriptor, one HTTP-POST ACS, and with
    /// `certificate_path` its encryption certificate (§2.4.1.1 `KeyDescriptor use="encryption"`).
    pub fn metadata_xml(&self) -> String {
        let key_descriptor = self
            .encryption_certificate
            .as_ref()
            .map(|cert| {
                format!(
                    "<md:KeyDescriptor use=\"encryption\"><ds:KeyInfo xmlns:ds=\"{}\"><ds:X509Data>\
<ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
                    saml::xml::NS_DSIG,
                    cert.to_base64()
                )
            })
            .unwrap_or_default();
        format!(
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{entity}\">\
<md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"{want}\" \
protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">{key_descriptor}\
<md:NameIDFormat>{NAME_ID_TRANSIENT}</md:NameIDFormat>\
<md:AssertionConsumerService Binding=\"{HTTP_POST_BINDING}\" Location=\"{acs}\" index=\"1\" isDefault=\"true\"/>\
</md:SPSSODescriptor></md:EntityDescriptor>",
            entity = attr_escaped(&self.entity_id),
            acs = attr_escaped(&self.acs_url),
            want = self.settings.signature_policy != saml::SignaturePolicy::ResponseOrAssertionSigned,
        )
    }

    /// SP-initiated login (SAML Profiles §4.1.3, Bindings §3.4): an AuthnRequest to the IdP
    /// named `idp` (its entity id) or, without one, the first trusted IdP with an SSO URL,
    /// recorded as outstanding. Returns the redirect URL; `RelayState` is the request id.
    pub async fn start_login(
        &self,
        idp: Option<&str>,
        return_to: Option<&str>,
    ) -> Result<String, LoginError> {
        let index = self
            .idps
            .iter()
            .position(|i| {
                i.trusted.sso_url.is_some() && idp.is_none_or(|e| e == i.trusted.entity_id)
            })
            .ok_or(LoginError::NO_SSO_URL)?;
        let sso_url = self.idps[index]
            .trusted
            .sso_url
            .as_deref()
            .unwrap_or_default();
        let id = format!("_{}", uuid::Uuid::new_v4().simple());
        let now = self.clock.now();
        let request = format!(
            "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
xmlns:saml=\"{NS_ASSERTION}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{instant}\" \
Destination=\"{dest}\" AssertionConsumerServiceURL=\"{acs}\" ProtocolBinding=\"{HTTP_POST_BINDING}\">\
<saml:Issuer>{issuer}</saml:Issuer>\
<samlp:NameIDPolicy Format=\"{NAME_ID_TRANSIENT}\" AllowCreate=\"true\"/></samlp:AuthnRequest>",
            instant = saml::format_instant(saml::IdpStyle::Rfc, now),
            dest = attr_escaped(sso_url),
            acs = attr_escaped(&self.acs_url),
            issuer = text_escaped(&self.entity_id),
        );
        // SAML Bindings §3.4.4.1: DEFLATE (RFC 1951, no zlib header), base64, URL-encode.
        let location = saml::binding::Redirect::request(request, Some(id.clone()))
            .to_url(sso_url)
            .map_err(|e| {
                tracing::error!(target: "reference_target::saml", error = %e, "encoding an AuthnRequest");
                LoginError::INTERNAL
            })?;
        let stored = StoredRequest {
            idp_entity_id: self.idps[index].trusted.entity_id.clone(),
            return_to: safe_return_path(return_to).to_owned(),
        };
        let expires = (now + AUTHN_REQUEST_LIFETIME).unix_timestamp();
        let now = now.unix_timestamp();
        self.db
            .write(move |tx| {
                Ok(store::insert_request(
                    tx,
                    &id,
                    &stored,
                    expires,
                    now,
                    MAX_OUTSTANDING_REQUESTS,
                )?)
            })
            .await
            .map_err(|e| {
                tracing::error!(target: "reference_target::saml", error = %e, "recording an AuthnRequest");
                LoginError::INTERNAL
            })?;
        Ok(location)
    }

    /// The SAML half of `/saml/acs`: which IdP and request the post answers, the
    /// verifier, the outstanding request consumed, the replay cache.
    ///
    /// - a `RelayState` naming an outstanding request binds the post to it: the Response
    ///   must answer that request (so a missing `InResponseTo` is refused);
    /// - otherwise an `InResponseTo` in the document must name an outstanding request;
    /// - otherwise the login is IdP-initiated: allowed only with `allow_idp_initiated`,
    ///   and the verifier is chosen by the Issuer.
    ///
    /// `faults` bend the verification (`crate::login::faulty`) and the replay cache;
    /// empty for the correct SP.
    pub async fn accept(
        &self,
        saml_response: &str,
        relay_state: Option<&str>,
        faults: &FaultSet,
    ) -> Result<Accepted, LoginError> {
        let invalid = |detail: &dyn std::fmt::Display| {
            tracing::info!(target: "reference_target::saml", reason = %detail, "refused saml response");
            LoginError::INVALID_RESPONSE
        };
        let compact: String = saml_response.split_ascii_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|e| invalid(&format_args!("SAMLResponse is not base64: {e}")))?;
        let document =
            String::from_utf8(bytes).map_err(|_| invalid(&"SAMLResponse is not utf-8"))?;
        let now = self.clock.now();

        let bound = match relay_state {
            Some(rs) => self.outstanding(rs, now).await?,
            None => None,
        };
        let relay_names_request = bound.is_some();
        let (idp, request) = match bound {
            Some((idp, id)) => (idp, Some(id)),
            None => {
                // Only to pick the verifier: it re-parses and checks everything itself.
                let raw = xml::parse(&document).map_err(|e| invalid(&e))?;
                match xml::response_in_response_to(&raw) {
                    Some(id) => {
                        let (idp, id) = self.outstanding(id, now).await?.ok_or_else(|| {
                            tracing::info!(target: "reference_target::saml", in_response_to = id, "no such outstanding request");
                            LoginError::UNKNOWN_REQUEST
                        })?;
                        (idp, Some(id))
                    }
                    // The `idp-initiated-when-off` fault takes it as IdP-initiated anyway.
                    None if !self.switches().allow_idp_initiated
                        && !faults.has(Fault::IdpInitiatedWhenOff) =>
                    {
                        tracing::info!(target: "reference_target::saml", "unsolicited response while allow_idp_initiated is off");
                        return Err(LoginError::IDP_INITIATED_DISABLED);
                    }
                    None => {
                        let issuer = xml::response_issuer(&raw).unwrap_or_default();
                        let idp = self
                            .idps
                            .iter()
                            .position(|i| i.trusted.entity_id == issuer)
                            .ok_or_else(|| {
                                tracing::info!(target: "reference_target::saml", issuer, "issuer is not a trusted idp");
                                LoginError::UNKNOWN_IDP
                            })?;
                        (idp, None)
                    }
                }
            }
        };
        let expected = match &request {
            Some(id) => ExpectedInResponseTo::Request(id),
            None => ExpectedInResponseTo::Unsolicited,
        };
        let verifier = &self.idps[idp].verifier;
        let assertion = if crate::login::faulty::applies(faults) {
            crate::login::faulty::verify(verifier, &document, expected, faults, now)
        } else {
            verifier.verify(&document, expected)
        }
        .map_err(|e| invalid(&format!("{:#}", anyhow::Error::new(e))))?;

        // SAML Profiles §4.1.4.5: an assertion is used once (the `saml-no-replay-cache`
        // fault forgets it); the request it answers is answered once (the
        // `request-reusable` fault leaves it outstanding). One write, so two posts of one
        // Response cannot both pass.
        let remember = (!faults.has(Fault::SamlNoReplayCache)).then(|| {
            (
                assertion.assertion_id.clone(),
                (assertion.not_on_or_after + self.settings.clock_skew).unix_timestamp(),
            )
        });
        let keep_request = faults.has(Fault::RequestReusable);
        let answered = request.clone();
        let now_s = now.unix_timestamp();
        let used = self
            .db
            .write(move |tx| {
                if let Some((id, until)) = &remember {
                    if !store::remember_assertion(tx, id, *until, now_s)? {
                        tracing::info!(target: "reference_target::saml", assertion = %id, "replayed assertion");
                        return Ok(Err(LoginError::REPLAYED));
                    }
                }
                let Some(id) = answered else {
                    return Ok(Ok(None));
                };
                match store::take_request(tx, &id, keep_request)? {
                    Some(return_to) => Ok(Ok(Some(return_to))),
                    None => {
                        tracing::info!(target: "reference_target::saml", request = %id, "request answered twice");
                        Ok(Err(LoginError::UNKNOWN_REQUEST))
                    }
                }
            })
            .await
            .map_err(|e| {
                tracing::error!(target: "reference_target::saml", error = %e, "recording a used assertion");
                LoginError::INTERNAL
            })??;
        let return_to = match used {
            Some(return_to) => return_to,
            None => safe_return_path(relay_state).to_owned(),
        };
        // The `open-redirect-relay-state` fault follows a RelayState that names no request.
        let return_to = match relay_state {
            Some(rs) if faults.has(Fault::OpenRedirectRelayState) && !relay_names_request => {
                rs.to_owned()
            }
            _ => return_to,
        };
        Ok(Accepted {
            assertion,
            return_to,
        })
    }

    /// The IdP index of a live outstanding request, and its id; `None` when there is no
    /// such request or its IdP is no longer trusted.
    async fn outstanding(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(usize, String)>, LoginError> {
        let owned = id.to_owned();
        let now = now.unix_timestamp();
        let found = self
            .db
            .read(move |tx| Ok(store::outstanding_request(tx, &owned, now)?))
            .await
            .map_err(|e| {
                tracing::error!(target: "reference_target::saml", error = %e, "reading an AuthnRequest");
                LoginError::INTERNAL
            })?;
        Ok(found.and_then(|r| {
            let idp = self
                .idps
                .iter()
                .position(|i| i.trusted.entity_id == r.idp_entity_id)?;
            Some((idp, id.to_owned()))
        }))
    }
}

/// A `RelayState` or `redirectTo` is followed only when it is a path on this site:
/// it starts with one `/` (not `//` or `/\`, which browsers read as another host) and
/// holds no control characters. Anything else returns to `/`.
pub fn safe_return_path(value: Option<&str>) -> &str {
    match value {
        Some(v)
            if v.starts_with('/')
                && !v.starts_with("//")
                && !v.contains('\\')
                && v.len() <= 2048
                && !v.chars().any(char::is_control) =>
        {
            v
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_the_site() {
        assert_eq!(safe_return_path(Some("/d/abc?x=1")), "/d/abc?x=1");
        for bad in [
            "https://evil.test/",
            "//evil.test/",
            "/\\evil.test",
            "evil",
            "",
            "/a\nb",
        ] {
            assert_eq!(safe_return_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_return_path(None), "/");
    }
}
