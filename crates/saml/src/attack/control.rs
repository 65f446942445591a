//! Positive controls of the tamper catalogue that real SPs regress on (issue 16): documents a
//! correct SP must accept although they are unusual.

use crate::spec::{Attribute, ResponseSpec};
use crate::style::UserClaims;

/// How many group values `many-groups` sends: with the rest of the assertion, well over the
/// 1000-node cap that broke grafana/saml's signature check (grafana#132763).
pub(crate) const MANY_GROUPS: usize = 1000;

/// `many-groups`: the persona's groups claim carries [`MANY_GROUPS`] more values, as a user in
/// many directory groups gets (Okta sends every matching group; Entra up to its limit).
pub(super) fn many_groups(spec: &mut ResponseSpec) {
    let groups: Vec<String> = (1..=MANY_GROUPS)
        .map(|i| format!("Directory group {i:04}"))
        .collect();
    // The persona's own name for the groups claim: the attribute it writes for a user with groups.
    let probe = UserClaims {
        groups: groups.clone(),
        ..UserClaims::default()
    };
    let claim = spec
        .style
        .attributes_for(&probe, "")
        .into_iter()
        .find(|a| a.values == groups);
    let Some(Attribute {
        name, name_format, ..
    }) = claim
    else {
        return;
    };
    match spec.attributes.iter_mut().find(|a| a.name == name) {
        Some(existing) => existing.values.extend(groups),
        None => spec.attributes.push(Attribute {
            name,
            name_format,
            values: groups,
        }),
    }
}
