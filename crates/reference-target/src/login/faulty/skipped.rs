//! Issue 16's SAML faults: the one check each skips (`saml-conditions-expiry-only`,
//! `saml-ignore-session-expiry`, `saml-any-confirmation-method`) with the checks that
//! remain after it, a certificate trusted by its name (`saml-keyinfo-cert-by-name`), and a
//! cap on the document's size in elements (`saml-node-limit`).

use base64::Engine as _;
use saml::xml::{Element, NS_ASSERTION, NS_DSIG};
use saml::{Certificate, VerifierConfig, VerifyError};
use time::OffsetDateTime;
use x509_cert::der::{Decode as _, Encode as _};

use crate::fault::{Fault, FaultSet};

/// `saml-node-limit`: the cap grafana/saml applied to a whole signed element (grafana#132763).
const NODE_LIMIT: usize = 1000;

/// The check a fault skips, when the verifier stopped at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Skipped {
    /// `saml-conditions-expiry-only`: the bearer SubjectConfirmationData's NotOnOrAfter.
    SubjectConfirmationExpiry,
    /// `saml-ignore-session-expiry`: the AuthnStatement's SessionNotOnOrAfter.
    SessionExpiry,
    /// `saml-any-confirmation-method`: that a SubjectConfirmation is bearer.
    ConfirmationMethod,
}

/// The check a fault in `faults` skips, if `error` is the verifier stopping at it.
pub(super) fn skipped_check(error: &VerifyError, faults: &FaultSet) -> Option<Skipped> {
    match error {
        VerifyError::Expired {
            what: "SubjectConfirmationData",
            ..
        } if faults.has(Fault::SamlConditionsExpiryOnly) => {
            Some(Skipped::SubjectConfirmationExpiry)
        }
        VerifyError::Expired {
            what: "AuthnStatement session",
            ..
        } if faults.has(Fault::SamlIgnoreSessionExpiry) => Some(Skipped::SessionExpiry),
        VerifyError::NoBearerConfirmation if faults.has(Fault::SamlAnyConfirmationMethod) => {
            Some(Skipped::ConfirmationMethod)
        }
        _ => None,
    }
}

/// The checks the verifier did not reach after the one `skip` names, on the signed
/// `assertion`, as [`saml::Verifier`] makes them: the first SubjectConfirmationData's
/// Recipient and NotOnOrAfter whatever its Method (`ConfirmationMethod` only), the
/// Conditions window and Audience, and SessionNotOnOrAfter. InResponseTo is left to the
/// outstanding-request bookkeeping.
pub(super) fn finish(
    skip: Skipped,
    assertion: &Element,
    config: &VerifierConfig,
    now: OffsetDateTime,
) -> Result<(), VerifyError> {
    let skew = config.clock_skew;
    if skip == Skipped::SessionExpiry {
        // The session check is the verifier's last; only the attributes were left to read.
        return Ok(());
    }
    if skip == Skipped::ConfirmationMethod {
        let data = assertion
            .child(NS_ASSERTION, "Subject")
            .and_then(|s| s.child(NS_ASSERTION, "SubjectConfirmation"))
            .and_then(|c| c.child(NS_ASSERTION, "SubjectConfirmationData"))
            .ok_or(VerifyError::NoBearerConfirmation)?;
        let recipient = data.attr("Recipient");
        if recipient != Some(config.acs_url.as_str()) {
            return Err(VerifyError::Recipient {
                found: recipient.map(str::to_owned),
                expected: config.acs_url.clone(),
            });
        }
        if let Some(t) = instant(data, "NotOnOrAfter", "SubjectConfirmationData")? {
            saml::check_not_on_or_after("SubjectConfirmationData", t, now, skew)?;
        }
    }
    let conditions = assertion
        .child(NS_ASSERTION, "Conditions")
        .ok_or(VerifyError::NoAudienceRestriction)?;
    if let Some(t) = instant(conditions, "NotBefore", "Conditions")? {
        saml::check_not_before("Conditions", t, now, skew)?;
    }
    if let Some(t) = instant(conditions, "NotOnOrAfter", "Conditions")? {
        saml::check_not_on_or_after("Conditions", t, now, skew)?;
    }
    let audiences: Vec<String> = conditions
        .children_named(NS_ASSERTION, "AudienceRestriction")
        .flat_map(|r| r.children_named(NS_ASSERTION, "Audience"))
        .map(|a| a.text().trim().to_owned())
        .collect();
    if !audiences.contains(&config.sp_entity_id) {
        return Err(VerifyError::Audience {
            found: audiences,
            expected: config.sp_entity_id.clone(),
        });
    }
    if let Some(authn) = assertion.child(NS_ASSERTION, "AuthnStatement") {
        if let Some(t) = instant(authn, "SessionNotOnOrAfter", "AuthnStatement")? {
            saml::check_not_on_or_after("AuthnStatement session", t, now, skew)?;
        }
    }
    Ok(())
}

fn instant(
    el: &Element,
    name: &str,
    what: &'static str,
) -> Result<Option<OffsetDateTime>, VerifyError> {
    el.attr(name)
        .map(|v| {
            saml::parse_instant(v.trim()).ok_or_else(|| VerifyError::Malformed {
                what,
                detail: format!("{name} {v:?} is not an xs:dateTime with a time zone"),
            })
        })
        .transpose()
}

/// `saml-keyinfo-cert-by-name`: every KeyInfo certificate in the document that is not
/// pinned but has a pinned certificate's subject, issuer and serial number.
pub(super) fn named_like_pinned(root: &Element, pinned: &[Certificate]) -> Vec<Certificate> {
    let pinned: Vec<(Vec<u8>, CertName)> = pinned
        .iter()
        .filter_map(|c| Some((c.der().to_vec(), cert_name(c.der())?)))
        .collect();
    let mut in_key_info = Vec::new();
    root.descendants(NS_DSIG, "X509Certificate", &mut in_key_info);
    let mut out = Vec::new();
    for element in in_key_info {
        let b64: String = element.text().split_ascii_whitespace().collect();
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) else {
            continue;
        };
        let Some(name) = cert_name(&der) else {
            continue;
        };
        let named_alike = pinned.iter().any(|(p, n)| *p != der && *n == name);
        if named_alike {
            out.extend(Certificate::from_der(der).ok());
        }
    }
    out
}

/// A certificate's subject and issuer (DER) and serial number.
type CertName = (Vec<u8>, Vec<u8>, Vec<u8>);

fn cert_name(der: &[u8]) -> Option<CertName> {
    let tbs = x509_cert::Certificate::from_der(der).ok()?.tbs_certificate;
    Some((
        tbs.subject.to_der().ok()?,
        tbs.issuer.to_der().ok()?,
        tbs.serial_number.as_bytes().to_vec(),
    ))
}

/// `saml-node-limit`: refuses a document of more than [`NODE_LIMIT`] elements.
pub(super) fn node_limit(root: &Element) -> Result<(), VerifyError> {
    fn count(el: &Element) -> usize {
        1 + el.elements().map(count).sum::<usize>()
    }
    let n = count(root);
    if n > NODE_LIMIT {
        return Err(VerifyError::Malformed {
            what: "response",
            detail: format!("{n} elements, more than the limit of {NODE_LIMIT}"),
        });
    }
    Ok(())
}
