//! `RequestAuth`: what credential a `request` step presents (`auth:` in the scenario).

use schemars::JsonSchema;
use serde::de::{self, Deserializer};
use serde::Deserialize;

/// What a raw `request` presents: `true` (the default) the profile's SCIM credential,
/// `false` none, `admin` the server admin's basic auth (`SCIM_HARNESS_ADMIN_USER` /
/// `_PASSWORD`: Grafana serves `PUT /api/users/:id` and its other global user endpoints
/// only to a server admin), `wrong-role` the profile's `[scim] wrong_role_token`, a
/// token the target knows whose account lacks the role the request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum RequestAuth {
    /// `true`: the profile's credential; `false`: none.
    Profile(bool),
    /// `admin` or `wrong-role`.
    Named(NamedAuth),
}

impl Default for RequestAuth {
    fn default() -> RequestAuth {
        RequestAuth::Profile(true)
    }
}

/// The credentials a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NamedAuth {
    /// The server admin (HTTP basic auth).
    Admin,
    /// `[scim] wrong_role_token`: a valid token without the needed role.
    WrongRole,
}

impl RequestAuth {
    /// Whether the profile's SCIM credential goes with the request.
    pub fn profile_credential(self) -> bool {
        self == RequestAuth::Profile(true)
    }
}

impl<'de> Deserialize<'de> for RequestAuth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RequestAuth, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Name(String),
        }
        match Raw::deserialize(d)? {
            Raw::Flag(b) => Ok(RequestAuth::Profile(b)),
            Raw::Name(n) => match n.as_str() {
                "admin" => Ok(RequestAuth::Named(NamedAuth::Admin)),
                "wrong-role" => Ok(RequestAuth::Named(NamedAuth::WrongRole)),
                other => Err(de::Error::custom(format!(
                    "unknown auth `{other}`; expected true, false, admin or wrong-role"
                ))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RequestAuth, String> {
        serde_norway::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn auth_takes_a_flag_or_a_name() {
        assert_eq!(parse("true"), Ok(RequestAuth::Profile(true)));
        assert_eq!(parse("false"), Ok(RequestAuth::Profile(false)));
        assert_eq!(parse("admin"), Ok(RequestAuth::Named(NamedAuth::Admin)));
        assert_eq!(
            parse("wrong-role"),
            Ok(RequestAuth::Named(NamedAuth::WrongRole))
        );
        assert!(RequestAuth::default().profile_credential());
        assert!(!RequestAuth::Named(NamedAuth::Admin).profile_credential());
        let err = parse("root").unwrap_err();
        assert!(err.contains("unknown auth `root`"), "{err}");
    }
}
