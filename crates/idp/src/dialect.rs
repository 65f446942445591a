//! Captured request forms (issue 17): the variants real Entra and Okta traffic shows
//! beside the documented ones, which a persona sends when a scenario asks for them.
//!
//! Each [`Form`] names the public captures it reproduces (`fixtures/captured/`). A form
//! changes only the persona family it belongs to; the others ignore it, so a scenario
//! run by several personas can ask for one family's forms without a per-persona branch.

use std::borrow::Cow;
use std::fmt;

use crate::persona::{Family, PersonaId};

/// One captured form. Scenario files write it in kebab case (`sync: {forms: […]}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// Entra removes members with `{"op":"Remove","path":"members","value":[{"value":id}]}`,
    /// no `"$ref": null` (captured 2021–2025: SCIM-SDK#167, SimpleIdServer#244,
    /// scim-patch#959). Without the flag only.
    EntraRemoveWithoutRef,
    /// Entra's member removal with a lower-case `remove` and a value array, no `$ref`
    /// (directory-scimple#436/#447, 2023). Without the flag only.
    EntraRemoveLowercase,
    /// `active` as the lower-case strings `"false"`/`"true"` (scimmy#86, 2025). Without the
    /// flag only (the flag sends JSON booleans).
    EntraActiveLowercase,
    /// `active` changed with an `Add` operation even when the target has it
    /// (rancher#54025, 2026). Without the flag only.
    EntraActiveAdd,
    /// Every changed user attribute goes out as `Add`, whatever the target holds
    /// (keycloak-scim-server#35, 2025: `Add` on `emails[type eq "work"].value`); with the
    /// flag, lower-case `add` with a path each.
    EntraAddOnUpdate,
    /// Users are matched by `externalId eq "<objectId>"` instead of `userName eq`
    /// (OctopusDeploy Issues#9841, 2026; SCIMReferenceCode#63; authentik#25987): tenants
    /// whose mapping gives externalId the matching precedence.
    EntraLookupExternalId,
    /// Creates without `roles: []` (provisioning-log reconstructions, beats#28550 and
    /// laravel-scim-server#57).
    EntraCreateWithoutRoles,
    /// Okta OIN sends a membership change as one `{"op":"replace","path":"members",
    /// "value":[every member]}` (SCIM-SDK#757, scim-for-keycloak#144, 2024–2025).
    OktaMemberReplace,
    /// Okta OIN's path-less replace `{"op":"replace","value":{"members":[…],"id":…,
    /// "displayName":…}}` (scimgateway#113, 2024), which also carries the rename.
    OktaMemberReplacePathless,
    /// Okta AIW's group PUT echoes the target: `id` after `schemas`, members with
    /// `display: null` (scimgateway#95, SimpleIdServer#247).
    OktaGroupPutEcho,
    /// Okta's create with the email entry lacking `type` (infisical#2595, 2024).
    OktaEmailWithoutType,
}

impl Form {
    /// Every form, in declaration order.
    pub const ALL: [Form; 11] = [
        Form::EntraRemoveWithoutRef,
        Form::EntraRemoveLowercase,
        Form::EntraActiveLowercase,
        Form::EntraActiveAdd,
        Form::EntraAddOnUpdate,
        Form::EntraLookupExternalId,
        Form::EntraCreateWithoutRoles,
        Form::OktaMemberReplace,
        Form::OktaMemberReplacePathless,
        Form::OktaGroupPutEcho,
        Form::OktaEmailWithoutType,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Form::EntraRemoveWithoutRef => "entra-remove-without-ref",
            Form::EntraRemoveLowercase => "entra-remove-lowercase",
            Form::EntraActiveLowercase => "entra-active-lowercase",
            Form::EntraActiveAdd => "entra-active-add",
            Form::EntraAddOnUpdate => "entra-add-on-update",
            Form::EntraLookupExternalId => "entra-lookup-external-id",
            Form::EntraCreateWithoutRoles => "entra-create-without-roles",
            Form::OktaMemberReplace => "okta-member-replace",
            Form::OktaMemberReplacePathless => "okta-member-replace-pathless",
            Form::OktaGroupPutEcho => "okta-group-put-echo",
            Form::OktaEmailWithoutType => "okta-email-without-type",
        }
    }

    /// Which personas send this form when asked; the others ignore it.
    pub fn applies_to(self, persona: PersonaId) -> bool {
        match self {
            Form::EntraRemoveWithoutRef
            | Form::EntraRemoveLowercase
            | Form::EntraActiveLowercase
            | Form::EntraActiveAdd => persona == PersonaId::Entra,
            Form::EntraAddOnUpdate
            | Form::EntraLookupExternalId
            | Form::EntraCreateWithoutRoles => persona.family() == Family::Entra,
            Form::OktaMemberReplace | Form::OktaMemberReplacePathless => {
                persona == PersonaId::OktaOin
            }
            Form::OktaGroupPutEcho => persona == PersonaId::Okta,
            Form::OktaEmailWithoutType => persona.family() == Family::Okta,
        }
    }
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The schema scenario files are checked against: one of the names, `Form` there.
impl schemars::JsonSchema for Form {
    fn schema_name() -> Cow<'static, str> {
        "Form".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A captured request form a persona sends instead of its default (fixtures/captured/).",
            "type": "string",
            "enum": Form::ALL.map(Form::as_str),
        })
    }
}

/// The forms one engine sends: a set of [`Form`]s that apply to its persona.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dialect(u16);

impl Dialect {
    /// The documented forms only.
    pub const DOCUMENTED: Dialect = Dialect(0);

    /// The forms of `forms` that `persona` sends.
    pub fn of(persona: PersonaId, forms: &[Form]) -> Dialect {
        let bits = forms
            .iter()
            .filter(|f| f.applies_to(persona))
            .fold(0u16, |b, f| b | 1 << (*f as u16));
        Dialect(bits)
    }

    pub fn has(self, form: Form) -> bool {
        self.0 & (1 << (form as u16)) != 0
    }

    /// The forms in the set, in declaration order.
    pub fn forms(self) -> Vec<Form> {
        Form::ALL.into_iter().filter(|f| self.has(*f)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_of_another_family_is_ignored() {
        let d = Dialect::of(
            PersonaId::Okta,
            &[Form::EntraRemoveWithoutRef, Form::OktaGroupPutEcho],
        );
        assert_eq!(d.forms(), [Form::OktaGroupPutEcho]);
        assert!(
            !Dialect::of(PersonaId::EntraAadOpt, &[Form::EntraActiveAdd]).has(Form::EntraActiveAdd)
        );
        assert!(
            Dialect::of(PersonaId::EntraAadOpt, &[Form::EntraAddOnUpdate])
                .has(Form::EntraAddOnUpdate)
        );
    }

    #[test]
    fn names_round_trip_through_serde() {
        for f in Form::ALL {
            let parsed: Form = serde_json::from_value(serde_json::json!(f.as_str())).unwrap();
            assert_eq!(parsed, f);
        }
    }
}
