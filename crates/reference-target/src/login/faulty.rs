//! SAML verification as a buggy SP does it, for the fault switches (`--fault`) only:
//! `saml-accept-unsigned`, `saml-xsw`, `saml-ignore-audience`, `saml-ignore-expiry`, and
//! issue 16's `saml-conditions-expiry-only`, `saml-ignore-session-expiry`,
//! `saml-any-confirmation-method`, `saml-keyinfo-cert-by-name` and `saml-node-limit`
//! (in `faulty/skipped.rs`), `saml-first-certificate-only`, and the encrypted-assertion
//! faults (in `faulty/encrypted.rs`).
//! The correct path is [`saml::Verifier::verify`] alone; nothing here runs without a
//! fault.
//!
//! The reading is deliberately naive: the first `Assertion` element in document order,
//! its `Issuer`, `Subject/NameID` and `AttributeStatement`, with no shape, signature or
//! condition checks of its own. Every check that still happens is
//! [`saml::Verifier`]'s, run on the document (or on the assertion a signature points
//! at, for `saml-xsw`) with a bent configuration or clock.

use std::sync::Arc;

use saml::xml::{self, Element, Node, NS_ASSERTION, NS_DSIG};
use saml::{ExpectedInResponseTo, FixedClock, VerifiedAssertion, Verifier, VerifyError};
use time::{Duration, OffsetDateTime};

use crate::fault::{Fault, FaultSet};

mod encrypted;
mod skipped;

/// How long a naively read assertion without any NotOnOrAfter is held in the replay
/// cache.
const DEFAULT_LIFETIME: Duration = Duration::minutes(5);

/// The faults this module implements.
const SAML_FAULTS: [Fault; 10] = [
    Fault::SamlAcceptUnsigned,
    Fault::SamlXsw,
    Fault::SamlIgnoreAudience,
    Fault::SamlIgnoreExpiry,
    Fault::SamlConditionsExpiryOnly,
    Fault::SamlIgnoreSessionExpiry,
    Fault::SamlAnyConfirmationMethod,
    Fault::SamlKeyinfoCertByName,
    Fault::SamlNodeLimit,
    Fault::SamlFirstCertificateOnly,
];

/// Whether any fault in `faults` bends verification.
pub fn applies(faults: &FaultSet) -> bool {
    SAML_FAULTS
        .iter()
        .chain(&encrypted::FAULTS)
        .any(|f| faults.has(*f))
}

/// Verify `document` with `verifier`, bent by the SAML faults in `faults`.
pub fn verify(
    verifier: &Verifier,
    document: &str,
    expected: ExpectedInResponseTo<'_>,
    faults: &FaultSet,
    now: OffsetDateTime,
) -> Result<VerifiedAssertion, VerifyError> {
    let Ok(root) = xml::parse(document) else {
        // Not XML: the verifier says why.
        return verifier.verify(document, expected);
    };
    // Issue 16's encrypted-assertion faults (faulty/encrypted.rs).
    if let Some(result) = encrypted::bend(verifier, &root, expected, faults, now) {
        return result;
    }
    // saml-node-limit: a cap on the whole document, before anything is verified.
    if faults.has(Fault::SamlNodeLimit) {
        skipped::node_limit(&root)?;
    }
    let mut assertions = Vec::new();
    root.descendants(NS_ASSERTION, "Assertion", &mut assertions);

    // saml-accept-unsigned: a signature is checked only when there is one.
    if faults.has(Fault::SamlAcceptUnsigned) {
        let mut signatures = Vec::new();
        root.descendants(NS_DSIG, "Signature", &mut signatures);
        if let (true, Some(first)) = (signatures.is_empty(), assertions.first()) {
            return Ok(read_assertion(first, &root, now));
        }
    }

    let mut config = verifier.config().clone();
    let mut clock = now;
    // saml-ignore-audience: whatever audience the assertion names is taken as ours.
    if faults.has(Fault::SamlIgnoreAudience) {
        if let Some(audience) = assertions.first().and_then(|a| first_audience(a)) {
            config.sp_entity_id = audience;
        }
    }
    // saml-ignore-expiry: time stands still just before the earliest NotOnOrAfter.
    if faults.has(Fault::SamlIgnoreExpiry) {
        if let Some(earliest) = assertions.first().and_then(|a| earliest_not_on_or_after(a)) {
            clock = clock.min(earliest - Duration::seconds(1));
        }
    }
    // saml-keyinfo-cert-by-name: a KeyInfo certificate named like a pinned one is trusted.
    if faults.has(Fault::SamlKeyinfoCertByName) {
        let named = skipped::named_like_pinned(&root, &config.pinned_certificates);
        config.pinned_certificates.extend(named);
    }
    // saml-first-certificate-only: of the IdP's signing certificates, the first is pinned.
    if faults.has(Fault::SamlFirstCertificateOnly) {
        config.pinned_certificates.truncate(1);
    }
    let bent = Verifier::new(config, Arc::new(FixedClock::new(clock)))?;
    // saml-xsw: find an assertion that some signature in the document verifies, then
    // read the first one in document order instead.
    if let (true, Some(first)) = (
        faults.has(Fault::SamlXsw) && assertions.len() > 1,
        assertions.first(),
    ) {
        for candidate in signed_candidates(&root) {
            if let Ok(mut verified) = bent.verify(&candidate.to_xml(), expected) {
                let naive = read_assertion(first, &root, now);
                verified.issuer = naive.issuer;
                verified.name_id = naive.name_id;
                verified.name_id_format = naive.name_id_format;
                verified.attributes = naive.attributes;
                verified.assertion_id = naive.assertion_id;
                return Ok(verified);
            }
        }
    }
    match bent.verify(document, expected) {
        // The verifier stopped at the one check a fault skips: every check before it passed
        // (shape, signatures, the signed assertion in place), so the single assertion in the
        // document is the signed one; the faulty SP runs the checks that remain itself.
        Err(e) => match (skipped::skipped_check(&e, faults), assertions.first()) {
            (Some(skip), Some(assertion)) => {
                skipped::finish(skip, assertion, bent.config(), now)?;
                Ok(read_assertion(assertion, &root, now))
            }
            _ => Err(e),
        },
        ok => ok,
    }
}

/// What an assertion says, read without any check.
fn read_assertion(
    assertion: &Element,
    response: &Element,
    now: OffsetDateTime,
) -> VerifiedAssertion {
    let name_id = assertion
        .child(NS_ASSERTION, "Subject")
        .and_then(|s| s.child(NS_ASSERTION, "NameID"));
    let attributes = assertion
        .children_named(NS_ASSERTION, "AttributeStatement")
        .flat_map(|s| s.children_named(NS_ASSERTION, "Attribute"))
        .map(|a| {
            (
                a.attr("Name").unwrap_or_default().to_owned(),
                a.children_named(NS_ASSERTION, "AttributeValue")
                    .map(Element::text)
                    .collect(),
            )
        })
        .collect();
    VerifiedAssertion {
        issuer: assertion
            .child(NS_ASSERTION, "Issuer")
            .map(|i| i.text().trim().to_owned())
            .unwrap_or_default(),
        name_id: name_id
            .map(|n| n.text().trim().to_owned())
            .unwrap_or_default(),
        name_id_format: name_id.and_then(|n| n.attr("Format")).map(str::to_owned),
        attributes,
        assertion_id: assertion.attr("ID").unwrap_or_default().to_owned(),
        session_index: assertion
            .child(NS_ASSERTION, "AuthnStatement")
            .and_then(|a| a.attr("SessionIndex"))
            .map(str::to_owned),
        not_on_or_after: earliest_not_on_or_after(assertion).unwrap_or(now + DEFAULT_LIFETIME),
        in_response_to: response.attr("InResponseTo").map(str::to_owned),
        response_signed: false,
        assertion_signed: false,
    }
}

/// The first `Conditions/AudienceRestriction/Audience`.
fn first_audience(assertion: &Element) -> Option<String> {
    let conditions = assertion.child(NS_ASSERTION, "Conditions")?;
    conditions
        .children_named(NS_ASSERTION, "AudienceRestriction")
        .flat_map(|r| r.children_named(NS_ASSERTION, "Audience"))
        .map(|a| a.text().trim().to_owned())
        .next()
}

/// The earliest NotOnOrAfter of Conditions and SubjectConfirmationData (and the
/// AuthnStatement's SessionNotOnOrAfter).
fn earliest_not_on_or_after(assertion: &Element) -> Option<OffsetDateTime> {
    let mut instants = Vec::new();
    if let Some(c) = assertion.child(NS_ASSERTION, "Conditions") {
        instants.extend(c.attr("NotOnOrAfter"));
    }
    let mut data = Vec::new();
    assertion.descendants(NS_ASSERTION, "SubjectConfirmationData", &mut data);
    instants.extend(data.iter().filter_map(|d| d.attr("NotOnOrAfter")));
    if let Some(a) = assertion.child(NS_ASSERTION, "AuthnStatement") {
        instants.extend(a.attr("SessionNotOnOrAfter"));
    }
    instants
        .into_iter()
        .filter_map(|t| saml::parse_instant(t.trim()))
        .min()
}

/// The Reference URI of a signature, without its `#`.
fn reference(signature: &Element) -> Option<&str> {
    signature
        .child(NS_DSIG, "SignedInfo")?
        .child(NS_DSIG, "Reference")?
        .attr("URI")?
        .strip_prefix('#')
}

/// What a wrapped document looks like to an SP that verifies whatever element a
/// signature's Reference points at: for every signature and every Assertion carrying
/// the referenced ID, the Response reduced to that one assertion (given that signature
/// if it sits elsewhere, nested assertions and `ds:Object`s removed), in place of the
/// first Assertion child. In document order; the caller keeps the first that verifies.
fn signed_candidates(root: &Element) -> Vec<Element> {
    let mut signatures = Vec::new();
    root.descendants(NS_DSIG, "Signature", &mut signatures);
    let mut assertions = Vec::new();
    root.descendants(NS_ASSERTION, "Assertion", &mut assertions);
    let mut out = Vec::new();
    for signature in signatures {
        let Some(id) = reference(signature) else {
            continue;
        };
        for assertion in assertions.iter().filter(|a| a.attr("ID") == Some(id)) {
            let mut signed = (*assertion).clone();
            strip_assertions(&mut signed);
            if signed.child(NS_DSIG, "Signature").is_none() {
                let mut sig = signature.clone();
                strip_assertions(&mut sig);
                let at = signed
                    .child_index(NS_ASSERTION, "Issuer")
                    .map_or(0, |i| i + 1);
                signed.children.insert(at, Node::Element(sig));
            }
            for sig in signed.elements_mut().filter(|e| e.is(NS_DSIG, "Signature")) {
                sig.remove_children(NS_DSIG, "Object");
            }
            let mut reduced = root.clone();
            let at = reduced
                .child_index(NS_ASSERTION, "Assertion")
                .unwrap_or(reduced.children.len());
            strip_assertions(&mut reduced);
            reduced
                .children
                .insert(at.min(reduced.children.len()), Node::Element(signed));
            out.push(reduced);
        }
    }
    out
}

fn strip_assertions(element: &mut Element) {
    element
        .children
        .retain(|n| !matches!(n, Node::Element(e) if e.is(NS_ASSERTION, "Assertion")));
    for child in element.elements_mut() {
        strip_assertions(child);
    }
}
