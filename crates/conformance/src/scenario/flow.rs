//! The parts of the step model for a login's flow beyond one post: a session kept under a
//! key and probed later (`expect: {session}`), for sessions after deprovisioning.

use schemars::JsonSchema;
use serde::Deserialize;

/// `expect: {session}`: the session a `login` kept under `key` (`keep_session`), probed
/// with the profile's `[session] whoami` now.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionExpect {
    /// The `keep_session` key of an earlier login.
    pub key: String,
    /// `true`: `whoami` with the kept cookie answers `200` naming the user who logged in;
    /// `false`: it does not (any other status, or no login in the answer).
    pub valid: bool,
}
