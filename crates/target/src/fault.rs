//! Fault switches (`--fault NAME`): deliberate, documented deviations that make the
//! reference target reproduce a real bug or a plausible implementation mistake, so the
//! scenario catalogue can be shown to catch it (issue 6, `cargo xtask mutants`).
//!
//! A fault is a local branch at the one place the correct code decides; with no fault
//! active the target behaves exactly as without this module.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($( $(#[$attr:meta])* $variant:ident = $name:literal, $doc:literal; )*) => {
        /// One fault switch. [`Fault::doc`] names the bug it reproduces.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault {
            $( $(#[$attr])* #[doc = $doc] $variant, )*
        }

        impl Fault {
            /// Every fault, in documentation order.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),*];

            /// The name `--fault` takes (kebab-case).
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name,)* }
            }

            /// One line: what the faulty target does and the real bug or plausible
            /// mistake it reproduces. The README's table and `target faults` use it.
            pub fn doc(self) -> &'static str {
                match self { $(Fault::$variant => $doc,)* }
            }
        }
    };
}

faults! {
    SamlLinkByEmail = "saml-link-by-email",
        "links a SAML login to the user with the asserted email and ignores the uid claim: the email-only account linking Grafana closed with the externalUID challenge (PRs #105046, #108568)";
    SamlAcceptUnsigned = "saml-accept-unsigned",
        "accepts a Response whose Assertion carries no signature at all and reads it unverified: the classic SP that only checks a signature when one is present";
    SamlXsw = "saml-xsw",
        "verifies the signed assertion but reads the first Assertion element in document order: XML signature wrapping (Somorovsky et al. 2012; CVE-2024-45409 ruby-saml)";
    SamlNoReplayCache = "saml-no-replay-cache",
        "accepts the same assertion ID twice: an SP without a replay cache (SAML 2.0 profiles §4.1.4.5)";
    SamlIgnoreAudience = "saml-ignore-audience",
        "does not check the AudienceRestriction, so an assertion minted for another SP logs in (SAML 2.0 core §2.5.1.4)";
    SamlIgnoreExpiry = "saml-ignore-expiry",
        "does not check NotOnOrAfter on Conditions or SubjectConfirmationData, so an expired assertion logs in";
    SamlOverwriteProfile = "saml-overwrite-profile",
        "overwrites a provisioned user's login, email and name from the SAML attributes at login, although SCIM owns them (Grafana's updateUserAttributes skips provisioned users)";
    SamlAllowDisabled = "saml-allow-disabled",
        "lets a disabled (active=false) provisioned user log in: the SP forgets to check is_disabled after SCIM deprovisioning";
    SamlEmptyUid = "saml-empty-uid",
        "an empty or missing uid claim falls through to the email lookup instead of 401 user.sync.empty-externalUID (PR #105046)";
    IgnoreRejectNonProvisioned = "ignore-reject-non-provisioned",
        "lets a non-provisioned user log in although reject_non_provisioned_users is on: the flag is read but never enforced (PR #108568)";
    IgnoreFalseString = "ignore-false-string",
        "treats Entra's string \"False\" for active as true (only a JSON boolean false disables): Entra's unflagged disable then never lands (scimgateway#47, rancher#52996)";
    RemoveWithValueRemovesAll = "remove-with-value-removes-all",
        "PATCH remove on members with a value array removes every member: the literal RFC 7644 reading that empties teams under Entra (MicrosoftDocs/azure-docs#30826)";
    CaseSensitiveUsername = "case-sensitive-username",
        "the userName eq filter compares case-sensitively although userName is caseExact=false (RFC 7643 §4.1.1), so the IdP's lookup misses and it POSTs a duplicate";
    MembersDespiteExcluded = "members-despite-excluded",
        "GET /Groups returns members although excludedAttributes=members (RFC 7644 §3.4.2.5), the slow and oversized answer Entra's every group read avoids";
    KeepTeamOnGroupDelete = "keep-team-on-group-delete",
        "DELETE /Groups/{id} removes the SCIM group but leaves the app team and its members behind: an orphaned team that keeps granting access";
    ExternalIdAsUid = "external-id-as-uid",
        "uses the externalId as the internal user uid, so a numeric externalId takes over internal user 1 (CVE-2025-41115)";
    TeamSyncWithGroupSync = "team-sync-with-group-sync",
        "lets SCIM group sync be enabled while Team Sync is on (and Team Sync while group sync is on): Grafana's docs say the two must not run together";
    ListNumbersAsStrings = "list-numbers-as-strings",
        "ListResponse totalResults, startIndex and itemsPerPage are JSON strings, not integers (RFC 7644 §3.4.2): a stringly-typed serializer";
    DuplicateUsername = "duplicate-username",
        "a second POST with an existing userName creates another user instead of 409 uniqueness (RFC 7644 §3.3): a missing unique index";
    NoEmailAdoption = "no-email-adoption",
        "a SCIM create whose email matches an existing non-provisioned app user makes a second user instead of adopting it (the behaviour before PR #108657)";
    ConfigNeedsRestart = "config-needs-restart",
        "SCIMConfig API changes are stored but only read at startup, so a changed config takes effect only after a restart";
    HideDisabledUsers = "hide-disabled-users",
        "a disabled user is 404 on GET /Users/{id} and missing from filters, so the IdP re-creates it or cannot re-enable it (Entra and Okta expect it readable with active=false)";
    DeleteOnlyDisables = "delete-only-disables",
        "DELETE /Users/{id} only deactivates: the user stays readable over SCIM instead of 404 (RFC 7644 §3.6)";
    PlainErrorBodies = "plain-error-bodies",
        "SCIM error responses are text/plain, not an RFC 7644 §3.12 error body with application/scim+json: the web framework's default error page";
    AddMemberReplaces = "add-member-replaces",
        "PATCH add on members replaces the member list instead of adding to it (RFC 7644 §3.5.2.1): add handled like replace";
    IgnoreStartIndex = "ignore-start-index",
        "paging ignores startIndex and always returns from the first result (RFC 7644 §3.4.2.4), so an IdP paging through users loops on page one";
    UserSyncOffIgnored = "user-sync-off-ignored",
        "with user sync off, POST /Users still creates users: the switch is read only by the UI (Grafana: user_sync_enabled)";
    NoTeamGuard = "no-team-guard",
        "the app API lets an admin add or remove members of a SCIM-provisioned team, which the next sync silently undoes (Grafana pkg/api/team_members.go guard missing)";
    RenameIgnored = "rename-ignored",
        "a PATCH or PUT changing userName is answered 200 but the stored userName and app login keep the old value: an update that skips the login column";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--fault` value that names no fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{name}`; valid faults: {}", valid_names())]
pub struct UnknownFault {
    pub name: String,
}

fn valid_names() -> String {
    Fault::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Fault, UnknownFault> {
        let wanted = s.trim();
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownFault { name: s.to_owned() })
    }
}

/// The faults a target runs with; empty for the correct target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultSet(BTreeSet<Fault>);

impl FaultSet {
    /// No fault: the correct target.
    pub fn none() -> FaultSet {
        FaultSet::default()
    }

    /// True when `fault` is active.
    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The active faults, in [`Fault`] order.
    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Fault> for FaultSet {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> FaultSet {
        FaultSet(iter.into_iter().collect())
    }
}

impl From<BTreeSet<Fault>> for FaultSet {
    fn from(set: BTreeSet<Fault>) -> FaultSet {
        FaultSet(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = BTreeSet::new();
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>(), Ok(*f));
            assert!(seen.insert(f.name()), "duplicate name {}", f.name());
            assert!(
                !f.doc().is_empty() && !f.doc().contains('\n'),
                "{}: the doc is one line",
                f.name()
            );
        }
        assert_eq!(Fault::ALL.len(), 29);
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = "saml-xws".parse::<Fault>().unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("unknown fault `saml-xws`; valid faults: saml-link-by-email, "));
        assert!(text.contains("rename-ignored"));
    }

    #[test]
    fn a_set_answers_membership() {
        let set: FaultSet = [Fault::SamlXsw].into_iter().collect();
        assert!(set.has(Fault::SamlXsw));
        assert!(!set.has(Fault::SamlNoReplayCache));
        assert!(FaultSet::none().is_empty());
    }
}
