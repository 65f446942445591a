//! Tamper-catalogue entries that break one validity window of an otherwise fresh assertion
//! (issue 16, "each validity window on its own"): only `SubjectConfirmationData/@NotOnOrAfter`,
//! only `AuthnStatement/@SessionNotOnOrAfter`, or a confirmation method other than bearer.
//! Each is re-signed with the trusted key, so only the window or method check can refuse it.

use time::Duration;

use super::{AttackContext, AttackError};
use crate::spec::ResponseSpec;

/// SAML Profiles §3.1: the holder-of-key confirmation method (the presenter must prove a key).
pub(crate) const CM_HOLDER_OF_KEY: &str = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key";
/// Entra's Conditions window (entra-scim.md §7): 70 minutes from the issue instant, against 5
/// for SubjectConfirmationData.
const ENTRA_CONDITIONS_WINDOW: Duration = Duration::minutes(70);
/// How far past the skew-widened edge the one closed window ended.
const LATE_BY: Duration = Duration::minutes(10);
/// How long before "now" the user signed in at the IdP in `session-expired`.
const SIGNED_IN_AGO: Duration = Duration::minutes(30);

/// `subject-confirmation-expired`: the Response was posted `LATE_BY` after its bearer
/// SubjectConfirmationData window (plus skew) closed, while its Conditions, as Entra writes them
/// (70 minutes), are still open. An SP that reads only Conditions accepts it.
pub(super) fn subject_confirmation_expired(
    spec: &mut ResponseSpec,
    ctx: &AttackContext<'_>,
    attack: &'static str,
) -> Result<(), AttackError> {
    let edge = spec
        .subject_confirmation
        .not_on_or_after
        .ok_or(AttackError::NoValidityWindow {
            attack,
            what: "SubjectConfirmationData NotOnOrAfter",
        })?;
    spec.shift_times(ctx.now - ctx.clock_skew - LATE_BY - edge);
    let issued = spec.issue_instant;
    let conditions = spec
        .conditions
        .as_mut()
        .ok_or(AttackError::NoValidityWindow {
            attack,
            what: "Conditions",
        })?;
    conditions.not_on_or_after = Some(issued + ENTRA_CONDITIONS_WINDOW);
    Ok(())
}

/// `session-expired`: a fresh assertion whose `SessionNotOnOrAfter` (the IdP's bound on the
/// session it vouches for, SAML Core §2.7.2) ended `LATE_BY` before now minus the skew; the user
/// signed in at the IdP `SIGNED_IN_AGO`. Every other window is open.
pub(super) fn session_expired(spec: &mut ResponseSpec, ctx: &AttackContext<'_>) {
    spec.authn.authn_instant = ctx.now - SIGNED_IN_AGO;
    spec.authn.session_not_on_or_after = Some(ctx.now - ctx.clock_skew - LATE_BY);
}

/// `holder-of-key-confirmation`: the only SubjectConfirmation is holder-of-key, with no key for
/// the SP to check the presenter against; SAML Profiles §4.1.4.2 requires a bearer one.
pub(super) fn holder_of_key(spec: &mut ResponseSpec) {
    spec.subject_confirmation.method = CM_HOLDER_OF_KEY.to_owned();
}
