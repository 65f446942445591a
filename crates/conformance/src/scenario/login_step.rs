//! The `login` step: who logs in, how the persona's IdP signs, and what the Response may
//! carry besides the provisioned claims.

use schemars::JsonSchema;
use serde::Deserialize;

/// What the IdP signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Signing {
    Assertion,
    Response,
    Both,
}

/// Which of the IdP's keys signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LoginKey {
    /// The IdP's next key during a certificate rollover (`fixtures/idp/rollover.*.pem`),
    /// which the metadata the target trusts lists after the current one (`[saml]
    /// trusts_rollover_key`).
    Rollover,
}

/// Who starts the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    /// The IdP posts an unsolicited Response (the target must allow it: a configuration
    /// with `allow_idp_initiated: true`, or a test that it is refused).
    IdpInitiated,
    /// The SP redirects with an AuthnRequest first; the Response answers it.
    SpInitiated,
}

/// `login`: the persona's IdP issues a Response for a user and posts it to the ACS.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginStep {
    /// The user (key) who logs in.
    pub user: String,
    /// Override the uid claim (default: the externalId the persona provisioned).
    #[schemars(default)]
    pub uid: Option<String>,
    /// Override the email claim.
    #[schemars(default)]
    pub email: Option<String>,
    /// Override the NameID (default: the login).
    #[schemars(default)]
    pub name_id: Option<String>,
    /// A tamper-catalogue attack (`scim-harness saml attacks`).
    #[schemars(default)]
    pub attack: Option<String>,
    /// With `attack`: the user (key) the forged parts claim to be, with that user's login as
    /// NameID and provisioned externalId as uid (default: an identity the target does not know).
    /// Naming a provisioned user makes an SP that reads the forged part log in as that user.
    #[schemars(default)]
    pub victim: Option<String>,
    /// What to sign (default: the persona's IdP default).
    pub sign: Option<Signing>,
    /// Which key signs (default: the persona's IdP's current key).
    #[schemars(default)]
    pub key: Option<LoginKey>,
    /// Who starts the login (default: SP-initiated where the profile has `[saml]
    /// login_path`, as Grafana's default `allow_idp_initiated = false` needs; else
    /// IdP-initiated).
    #[schemars(default)]
    pub flow: Option<Flow>,
    /// Keep the session this login opens under this key, for a later `expect: {session}`.
    #[schemars(default)]
    pub keep_session: Option<String>,
    /// The RelayState posted with the Response: in place of the SP's own (SP-initiated),
    /// or the only one (IdP-initiated).
    #[schemars(default)]
    pub relay_state: Option<String>,
    /// Answer the AuthnRequest of the case's last SP-initiated login again with a new
    /// Response (new Response and Assertion ids) instead of starting a login.
    #[serde(default)]
    pub reuse_request: bool,
    /// A role claim (`[saml] role_attribute`) with this value, e.g. `Editor`.
    #[schemars(default)]
    pub role: Option<String>,
    /// Encrypt the assertion for the target (`EncryptedAssertion`, the profile's `[saml]
    /// encrypt_for`); a case is skipped when the profile has none.
    #[serde(default)]
    pub encrypt: bool,
}
