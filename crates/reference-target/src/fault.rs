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
    ($( $variant:ident = $name:literal, $behaviour:literal, $reproduces:literal; )*) => {
        /// One fault switch. [`Fault::doc`] says what it does and what it reproduces.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault {
            $( #[doc = concat!("`", $name, "`: ", $behaviour, ". Reproduces ", $reproduces, ".")] $variant, )*
        }

        impl Fault {
            /// Every fault, in documentation order.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),*];

            /// The name `--fault` takes (kebab-case).
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name,)* }
            }

            /// What the faulty target does differently.
            pub fn behaviour(self) -> &'static str {
                match self { $(Fault::$variant => $behaviour,)* }
            }

            /// The real bug or plausible mistake it reproduces.
            pub fn reproduces(self) -> &'static str {
                match self { $(Fault::$variant => $reproduces,)* }
            }

            /// One line: what the faulty target does, then the bug it reproduces.
            /// `target faults` prints it; the README's table is [`Fault::markdown_table`].
            pub fn doc(self) -> &'static str {
                match self { $(Fault::$variant => concat!($behaviour, " — ", $reproduces),)* }
            }
        }
    };
}

faults! {
    SamlLinkByEmail = "saml-link-by-email",
        "links a SAML login to the user with the asserted email and ignores the uid claim",
        "email-only account linking, the takeover Grafana closed with the externalUID challenge (PRs #105046, #108568)";
    SamlAcceptUnsigned = "saml-accept-unsigned",
        "accepts a Response that carries no signature at all and reads its assertion unverified",
        "an SP that checks a signature only when one is present (SimpleSAMLphp conformance `noSignature`)";
    SamlXsw = "saml-xsw",
        "verifies the signed assertion but reads the first Assertion element in document order",
        "XML signature wrapping (Somorovsky et al. 2012; CVE-2024-45409 ruby-saml, CVE-2022-41912 crewjam/saml)";
    SamlNoReplayCache = "saml-no-replay-cache",
        "accepts the same assertion ID twice",
        "an SP without a replay cache (SAML 2.0 Profiles §4.1.4.5)";
    SamlIgnoreAudience = "saml-ignore-audience",
        "does not check the Audience restriction",
        "an assertion minted for another SP logs in here (SAML 2.0 Core §2.5.1.4)";
    SamlIgnoreExpiry = "saml-ignore-expiry",
        "does not check NotOnOrAfter (Conditions, SubjectConfirmationData, SessionNotOnOrAfter)",
        "an expired or captured assertion stays usable forever (SAML 2.0 Core §2.5.1.2)";
    SamlOverwriteProfile = "saml-overwrite-profile",
        "overwrites a provisioned user's login, email and name from the SAML attributes at login",
        "SAML and SCIM both owning the profile; Grafana's updateUserAttributes skips provisioned users";
    SamlAllowDisabled = "saml-allow-disabled",
        "lets a disabled (active=false or deleted) provisioned user log in",
        "deprovisioning that never reaches the login path: is_disabled not checked at SSO";
    SamlEmptyUid = "saml-empty-uid",
        "an empty or missing uid claim falls through to the email lookup instead of 401",
        "the empty-externalUID hole Grafana closed (PR #105046)";
    IgnoreRejectNonProvisioned = "ignore-reject-non-provisioned",
        "lets a non-provisioned user log in although reject_non_provisioned_users is on",
        "a setting stored and shown but never enforced (Grafana PR #108568)";
    IgnoreFalseString = "ignore-false-string",
        "treats Entra's string \"False\" for active as true; only a JSON boolean false disables",
        "a strict boolean reader under Entra's unflagged PATCH, so disables never land (scimgateway#47, rancher#52996)";
    RemoveWithValueRemovesAll = "remove-with-value-removes-all",
        "PATCH remove on members with a value array removes every member",
        "the literal RFC 7644 §3.5.2.2 reading that empties teams under Entra (MicrosoftDocs/azure-docs#30826)";
    CaseSensitiveUsername = "case-sensitive-username",
        "the userName eq filter compares case-sensitively",
        "userName is caseExact=false (RFC 7643 §4.1.1); the IdP's lookup misses and it POSTs a duplicate";
    MembersDespiteExcluded = "members-despite-excluded",
        "GET /Groups returns members although excludedAttributes=members",
        "projection ignored (RFC 7644 §3.4.2.5), the slow oversized reply Entra's every group read avoids";
    KeepTeamOnGroupDelete = "keep-team-on-group-delete",
        "DELETE /Groups/{id} removes the SCIM group but leaves the app team and its members",
        "an orphaned team that keeps granting access after the IdP removed the group";
    ExternalIdAsUid = "external-id-as-uid",
        "uses the externalId as the internal user uid; a numeric one takes over that internal user id (1: the admin)",
        "CVE-2025-41115 (Grafana Enterprise 12.0.0 to 12.2.1)";
    TeamSyncWithGroupSync = "team-sync-with-group-sync",
        "lets SCIM group sync be enabled while Team Sync is on, and Team Sync while group sync is on",
        "two writers of team membership; Grafana: group_sync_enabled \"cannot be enabled if Team Sync is enabled\"";
    ListNumbersAsStrings = "list-numbers-as-strings",
        "ListResponse totalResults, startIndex and itemsPerPage are JSON strings",
        "a stringly-typed serializer; RFC 7644 §3.4.2 makes them integers";
    DuplicateUsername = "duplicate-username",
        "a second POST with an existing userName creates another user instead of 409 (its app login and email get a `+dup-…` tag, as the app's unique indexes demand)",
        "a missing uniqueness check (RFC 7644 §3.3 `uniqueness`)";
    NoEmailAdoption = "no-email-adoption",
        "a SCIM create whose email matches a non-provisioned app user makes a second user (email tagged `+scim-…`) instead of adopting it",
        "Grafana before PR #108657";
    ConfigNeedsRestart = "config-needs-restart",
        "SCIMConfig API changes are stored and shown but the settings in force are those read at start",
        "settings cached at startup; Grafana applies SCIMConfig changes without a restart";
    HideDisabledUsers = "hide-disabled-users",
        "a disabled user is 404 on GET /Users/{id} and missing from lists and filters",
        "soft-deleted rows filtered out of reads, so the IdP re-creates the user or cannot re-enable it";
    DeleteOnlyDisables = "delete-only-disables",
        "DELETE /Users/{id} only deactivates; the user stays readable over SCIM",
        "a soft delete leaking into the protocol (RFC 7644 §3.6: deleted resources are 404)";
    PlainErrorBodies = "plain-error-bodies",
        "SCIM error responses are text/plain with the bare message",
        "the web framework's default error page instead of RFC 7644 §3.12 application/scim+json bodies";
    AddMemberReplaces = "add-member-replaces",
        "PATCH add on members replaces the member list",
        "add handled like replace (RFC 7644 §3.5.2.1), dropping everyone not in the request";
    IgnoreStartIndex = "ignore-start-index",
        "paging ignores startIndex and always returns from the first result",
        "an offset never passed to the query (RFC 7644 §3.4.2.4); an IdP paging users loops on page one";
    UserSyncOffIgnored = "user-sync-off-ignored",
        "with user sync off, /Users still creates, updates and deletes users",
        "a switch read only by the UI (Grafana: user_sync_enabled)";
    NoTeamGuard = "no-team-guard",
        "the app API lets an admin add or remove members of a SCIM-provisioned team",
        "the provisioned-team guard missing (Grafana pkg/api/team_members.go); the next sync silently undoes it";
    IdpInitiatedWhenOff = "idp-initiated-when-off",
        "accepts an unsolicited Response (no InResponseTo, no outstanding request) while allow_idp_initiated is off",
        "an SP that falls back to IdP-initiated handling when no request matches, so an unsolicited or injected Response logs in where only SP-initiated logins are allowed (Grafana's default is allow_idp_initiated = false)";
    SignUpDespiteReject = "sign-up-despite-reject",
        "signs up a never-seen user while reject_non_provisioned_users is on and allow_sign_up is off",
        "a sign-up path that checks neither rule: Grafana's provisioning check lets an unknown user through (user_sync.go, ErrUserNotFound) and leaves the refusal to allow_sign_up";
    SessionOnRefusal = "session-on-refusal",
        "a login the user rules refuse still opens a session for the user found and sets the session cookie beside the refusal",
        "a session issued before the post-login rules run and not revoked when one refuses (Grafana runs user sync and provisioning validation as post-login hooks)";
    RenameIgnored = "rename-ignored",
        "a PATCH or PUT changing userName answers 200 but the stored userName and app login keep the old value",
        "an update that skips the login column, so renamed users drift from the IdP";
    // issue 16: interop
    DeleteUnknownSucceeds = "delete-unknown-succeeds",
        "DELETE /Users/{id} and /Groups/{id} answer 204 for an id that does not exist (never created, or already deleted)",
        "a delete made idempotent by swallowing not-found; RFC 7644 §3.6 requires 404, and Microsoft's SCIM validator deletes twice expecting 204 then 404";
    FilterPlusAsSpace = "filter-plus-as-space",
        "the filter is form-decoded a second time, so a `+` in a value (sent as %2B) reads as a space",
        "double decoding of the query string; a subaddressed login (`ann+ops@…`) is never found and the IdP creates a duplicate";
    AddFilteredPathNoTarget = "add-filtered-path-no-target",
        "a PATCH add with a filtered path (`emails[type eq \"work\"].value`) onto an attribute that has no element yet answers 400 noTarget",
        "the replace rule of RFC 7644 §3.5.2.3 applied to add; Entra adds a work email to a user who had none this way (Microsoft Q&A 708183)";
    CaseSensitiveGroupName = "case-sensitive-group-name",
        "the displayName eq filter on /Groups compares case-sensitively",
        "Group displayName is caseExact=false (RFC 7643 §4.2, §7); a lookup in another case misses the group and the IdP POSTs a duplicate";
    MalformedAuth500 = "malformed-auth-500",
        "an Authorization header that is no well-formed credential (unknown scheme, empty bearer, basic that does not decode) answers 500",
        "a credential parser that fails on input it does not expect instead of refusing it (RFC 7644 §3.12: 401 when the authorization header is invalid)";
    ReaddMemberConflict = "readd-member-conflict",
        "PATCH add of a user who is already a member answers 409",
        "an insert without an existence check; RFC 7644 §3.5.2.1: re-adding SHOULD succeed without change, and Entra re-adds every member after a restart";
    DuplicateGroupName = "duplicate-group-name",
        "a POST /Groups with a taken displayName creates a second group (its team name gets a `+dup-…` tag, as the app's unique index demands)",
        "a missing uniqueness check on groups; Grafana team names are unique in an organization (teamimpl isTeamNameTaken; POST /api/teams: 409 \"Team name taken\")";
    UrnPathIgnored = "urn-path-ignored",
        "a PATCH path or path-less key qualified with the core schema URN (`urn:…:core:2.0:User:displayName`) is skipped, and the PATCH still answers 200",
        "a path parser that knows only short names (RFC 7644 §3.10: clients MAY fully qualify core attributes)";
    RemoveNonMemberFails = "remove-non-member-fails",
        "PATCH remove on members naming a user who is no member answers 400 noTarget",
        "a delete that insists on a row to delete; Entra's Remove with a value array carries no filter, and a member removed in the app or by an earlier retry is gone already";
    ReplaceMembersAdds = "replace-members-adds",
        "PATCH replace of members (path `members` or path-less) adds the values and keeps the members not sent",
        "replace handled like add (RFC 7644 §3.5.2.3: the attribute and all its values are replaced); Microsoft's SCIM validator sets members this way";
    ManagerStringRefused = "manager-string-refused",
        "a PATCH setting the enterprise `manager` to a bare id string (not `{\"value\": …}`) answers 400 invalidValue",
        "a strict reading of RFC 7643 §4.3's complex manager under Entra's current traffic, which sends the bare id (apache/directory-scimple#1242)";
    UnlockedGroupPatch = "unlocked-group-patch",
        "PATCH /Groups/{id} reads the members, applies the operations outside the write transaction and writes the whole list back, so overlapping PATCHes drop each other's members",
        "an unlocked read-modify-write under Entra's parallel membership PATCHes (scimmy#79, fleet#50724, FusionAuth#2869)";
                // issue 16: saml (a SHOULD of saml-attacks.md; grafana#132763)
    // issue 16: saml
    SamlConditionsExpiryOnly = "saml-conditions-expiry-only",
        "checks the Conditions NotOnOrAfter but not the bearer SubjectConfirmationData's, so a Response posted after its delivery window (Entra: 5 minutes) but inside its Conditions (Entra: 70 minutes) logs in",
        "an SP that takes Conditions as the assertion's only validity window (SAML Profiles §4.1.4.3: verify that the NotOnOrAfter of any bearer SubjectConfirmationData has not passed)";
    SamlIgnoreSessionExpiry = "saml-ignore-session-expiry",
        "does not check the AuthnStatement's SessionNotOnOrAfter and opens a session the IdP said had ended",
        "an SP that never reads SessionNotOnOrAfter, the IdP's upper bound on sessions derived from the assertion (SAML Core §2.7.2)";
    SamlAnyConfirmationMethod = "saml-any-confirmation-method",
        "accepts an assertion whose only SubjectConfirmation is holder-of-key (or any method but bearer) without proof of the key",
        "a subject check that reads SubjectConfirmationData whatever its Method (SAML Profiles §4.1.4.2: a bearer SubjectConfirmation is required)";
    SamlKeyinfoCertByName = "saml-keyinfo-cert-by-name",
        "trusts a KeyInfo certificate whose subject, issuer and serial number equal a pinned certificate's and verifies the signature with that certificate's key",
        "trust decided by certificate name and serial instead of the pinned key (crewjam/saml#80, the KeyInfo injection of crewjam/saml#658, xml-crypto#403)";
    SamlNodeLimit = "saml-node-limit",
        "refuses a Response of more than 1000 elements before verifying it",
        "the traversal cap grafana/saml applied to the whole signed element, which refused large valid Responses with big groups claims (grafana#132763, after goxmldsig GHSA-qhrp-hfff-vphr)";
    // issue 16: identity
    ExternalIdChangeIgnored = "external-id-change-ignored",
        "stores a changed externalId on the SCIM user but keeps the old one as the login link",
        "a re-keyed user locked out and the old uid still accepted (Grafana: the IdP updates the External ID and Grafana updates the authentication validations to expect it)";
    DuplicateExternalId = "duplicate-external-id",
        "lets a second SCIM user take an externalId another provisioned user already has",
        "two accounts behind one login uid (RFC 7643 §3.1: externalId identifies the resource to the client)";
    AdoptProvisionedByEmail = "adopt-provisioned-by-email",
        "a create adopts the app user with its email even when that user is provisioned by another SCIM user or is the server admin",
        "email adoption without the provisioned and admin guard: a SCIM client takes over accounts it does not own (CVE-2025-41115's threat model; ciso-assistant PR #4658)";
    UpdateTakesEmail = "update-takes-email",
        "an update that sets another user's email takes it, and that user is left with a changed one",
        "a SCIM update rewriting an account's email to one another account holds, the first half of the reset-password takeover ciso-assistant PR #4658 closed";
    // issue 16: login
    SessionSurvivesDisable = "session-survives-disable",
        "keeps the login sessions of a user SCIM disables or deletes, and serves them whatever the user's state",
        "deprovisioning that changes the user row but never ends its sessions (authentik#25081, better-auth#10242; IPSIE IL1-SCIM draft: revoke active sessions)";
    OpenRedirectRelayState = "open-redirect-relay-state",
        "redirects after a login to any RelayState that names no outstanding request, unchecked (`https://evil.example`, `//evil.example`, `/\\evil.example`)",
        "RelayState taken as the return URL without checking it stays on the site (CWE-601; saml-attacks.md B RelayState)";
    RequestReusable = "request-reusable",
        "keeps an AuthnRequest outstanding after a Response answered it, so a second Response with new assertion ids logs in again",
        "request ids tracked but never consumed; the replay cache sees only assertion ids (saml-attacks.md B InResponseTo reused)";
    // issue 16: uid values and key rollover
    SamlUidNormalised = "saml-uid-normalised",
        "compares the asserted uid with the provisioned externalId after trimming both and ignoring case",
        "uid normalisation no one documented: a case variant of another user's id matches it (saml-attacks.md C; RFC 7643 §3.1: externalId is caseExact)";
    SamlFirstCertificateOnly = "saml-first-certificate-only",
        "trusts only the first signing certificate of an IdP's metadata, so a Response signed with the next key of a rollover is refused",
        "one pinned certificate per IdP, which breaks every login when the IdP rolls its key over (SAML Metadata §2.4.1.1 allows several signing KeyDescriptors; Entra's certificate rollover)";
    // issue 16: role and app API
    ExternalUserEditable = "external-user-editable",
        "PUT /api/users/:id rewrites the login, email and name of a user SCIM provisioned",
        "the app API without Grafana's external-user guard (PR #58442: 403 \"User info cannot be updated for external Users\"), so a provisioned account drifts from its IdP";
    TeamGuardIgnoresConfig = "team-guard-ignores-config",
        "guards provisioned teams by the ini file's group_sync_enabled alone, so a team stays locked after group sync is switched off in the SCIMConfig",
        "Grafana's validateTeam, which reads only the static ini value: admins with a misconfigured SCIM could not return teams to a clean state (PRs #111888, #112717)";
    RoleLessTokenAccepted = "role-less-token-accepted",
        "serves the SCIM API to a service-account token whose account has no role",
        "authentication without authorization: any valid token may provision (Grafana SCIM troubleshooting: insufficient permissions answer 403)";
    SamlRoleIgnored = "saml-role-ignored",
        "ignores the role and Grafana-admin claims of a SAML login for a user SCIM provisioned",
        "provisioned users frozen at the default role; Grafana PR #106374 lets the assertion set their role and isGrafanaAdmin, which SCIM cannot";
    // issue 16: encrypted assertions
    SamlEncryptionUnsupported = "saml-encryption-unsupported",
        "refuses every Response with an EncryptedAssertion, although its private_key_path and certificate_path are set",
        "an SP that cannot decrypt what the IdP was told to encrypt: every login of a customer with token encryption on fails (Grafana supports encrypted assertions; crewjam/saml#270 refused valid encrypted logins)";
    SamlEncryptedUnsignedAccepted = "saml-encrypted-unsigned-accepted",
        "trusts a decrypted assertion without any signature when the Response carries none either",
        "treating decryption as proof of origin, though anyone with the SP's public certificate can encrypt for it (pysaml2#55: encrypted assertions went unverified)";
    SamlEncryptedPlusPlain = "saml-encrypted-plus-plain",
        "verifies the plain signed assertion, then reads the first assertion of either kind, decrypting an EncryptedAssertion placed before it",
        "an encrypted and a plain assertion in one Response, each code path trusting the other's check (saml-attacks.md A4, \"an encrypted and a plain assertion together\")";
    // issue 17: targets that take only one of the forms real IdPs send
    MemberReplaceRefused = "member-replace-refused",
        "refuses a group PATCH that replaces members (path `members`, or `members` in a path-less value) with 501",
        "a target that implements only add and remove on members, so Okta OIN's replace of the member list fails (scim-for-keycloak#144: \"patch-REPLACE-operation not supported for group.members\")";
    AddOnPresentAttributeRefused = "add-on-present-attribute-refused",
        "refuses a user PATCH `add` on an attribute the user already holds (`active` included) with 400 invalidValue",
        "a target that reads `add` as create-only, so Entra's captured Add on active or on a set attribute fails (rancher#54025: Add on active rejected, the user stayed active)";
    ExternalIdFilterUnsupported = "externalid-filter-unsupported",
        "refuses a list filter that names externalId with 400 invalidFilter",
        "a target that filters on userName only, so Entra tenants that match users by externalId fail their provisioning (OctopusDeploy Issues#9841; authentik#25987)";
    ManagerRemoveRefused = "manager-remove-refused",
        "refuses a user PATCH `remove` of the enterprise `manager` with 400 noTarget",
        "a target that can set a manager but not clear one, so a manager removed in Entra (which its gallery validation, User_Update_Manager_Test, expects provisioned) fails the user's provisioning";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Fault {
    /// The README's fault table (name, what it does, what it reproduces), rendered
    /// from the same strings as [`Fault::doc`]; a test keeps the README current.
    pub fn markdown_table() -> String {
        let mut out = String::from(
            "| fault | what the faulty target does | reproduces | judged by |\n|---|---|---|---|\n",
        );
        for f in Fault::ALL {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                f.name(),
                f.behaviour().replace('|', "\\|"),
                f.reproduces().replace('|', "\\|"),
                if f.judged_by_should() {
                    "SHOULD cases"
                } else {
                    "MUST cases"
                }
            ));
        }
        out
    }

    /// Whether only SHOULD cases can see this fault: what it breaks is known from
    /// Grafana's code or pull requests alone, or is an RFC SHOULD, or no source requires
    /// it, which DESIGN.md's grading rule makes `should`. `cargo xtask
    /// mutants` counts such a fault caught when a SHOULD case that passed against the
    /// clean target warns under it; every other fault needs a failing MUST case.
    pub fn judged_by_should(self) -> bool {
        matches!(
            self,
            Fault::SamlOverwriteProfile
                | Fault::NoTeamGuard
                // issue 16: interop (RFC SHOULDs, Grafana's team-name rule)
                | Fault::ReaddMemberConflict
                | Fault::DuplicateGroupName
                | Fault::UrnPathIgnored
                | Fault::RemoveNonMemberFails
                | Fault::ReplaceMembersAdds
                // issue 16: saml (a SHOULD of saml-attacks.md; grafana#132763)
                | Fault::SamlIgnoreSessionExpiry
                | Fault::SamlNodeLimit
                // issue 16: identity (Grafana is silent; RFC 7644 and other SCIM servers)
                | Fault::DuplicateExternalId
                | Fault::AdoptProvisionedByEmail
                | Fault::UpdateTakesEmail
                // issue 16: login (IPSIE's SHOULD; saml-attacks.md rows no SAML MUST backs)
                | Fault::SessionSurvivesDisable
                | Fault::OpenRedirectRelayState
                | Fault::RequestReusable
                // issue 16: uid values and key rollover (saml-attacks.md rows no SAML MUST backs)
                | Fault::SamlUidNormalised
                | Fault::SamlFirstCertificateOnly
                // issue 16: role and app API (Grafana code and pull requests only)
                | Fault::ExternalUserEditable
                | Fault::TeamGuardIgnoresConfig
                | Fault::SamlRoleIgnored
                // issue 17: forms known from captures only (no source requires them)
                | Fault::MemberReplaceRefused
                | Fault::AddOnPresentAttributeRefused
        )
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
        assert_eq!(Fault::ALL.len(), 69);
    }

    /// The README's table is rendered from the docs; on a mismatch, paste the printed
    /// table between the markers in crates/reference-target/README.md.
    #[test]
    fn the_readme_table_is_current() {
        let readme = include_str!("../README.md");
        let table = Fault::markdown_table();
        let start = "<!-- fault table: generated from Fault::markdown_table -->\n";
        let inside = readme
            .split_once(start)
            .and_then(|(_, rest)| rest.split_once("<!-- end of fault table -->"))
            .map(|(table, _)| table);
        assert_eq!(
            inside,
            Some(table.as_str()),
            "the README's fault table is stale; it should read:\n{table}"
        );
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
