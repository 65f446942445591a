//! SAML login issuance, shaped per persona: which SAML dialect each persona speaks and
//! which key it signs with, a Response minted for a directory user (claim overrides,
//! signing mode, a tamper-catalogue attack), and the answer to an SP's HTTP-Redirect
//! AuthnRequest.
//!
//! DESIGN.md "Personas": each persona shapes its SAML Response (issuer, prefixes, claim
//! names, which parts are signed) as that IdP does; `entra-aadopt` and `okta-oin` differ
//! from `entra` and `okta` only in SCIM.

use std::path::Path;

use saml::{Attack, IdpStyle, SigningKeys};
use time::Duration;

use crate::directory::DirUser;
use crate::persona::PersonaId;

impl PersonaId {
    /// The SAML dialect of the persona's IdP.
    pub fn saml_style(self) -> IdpStyle {
        match self {
            PersonaId::Entra | PersonaId::EntraAadOpt => IdpStyle::Entra,
            PersonaId::Okta | PersonaId::OktaOin => IdpStyle::Okta,
            PersonaId::Rfc => IdpStyle::Rfc,
        }
    }

    /// The persona's IdP entity id (the Issuer) for a tenant or org key.
    pub fn saml_entity_id(self, tenant: &str) -> String {
        self.saml_style().entity_id(tenant)
    }
}

/// The signing keys of each SAML dialect's IdP, a key no SP trusts (the attacker's), and
/// optionally every IdP's next key (a certificate rollover), as
/// `fixtures/idp/{entra,okta,rfc,attacker,rollover}.{key,cert}.pem` lay them out.
#[derive(Debug)]
pub struct IdpKeys {
    pub entra: SigningKeys,
    pub okta: SigningKeys,
    pub rfc: SigningKeys,
    pub attacker: SigningKeys,
    /// The next key of every IdP, which its metadata lists after the current one; `None`
    /// when the folder has no `rollover.{key,cert}.pem`.
    pub rollover: Option<SigningKeys>,
}

impl IdpKeys {
    /// Reads `<name>.key.pem` and `<name>.cert.pem` for each of the four keys in `dir`, and
    /// the rollover pair when `rollover.key.pem` is there.
    pub fn load(dir: &Path) -> Result<IdpKeys, saml::KeyError> {
        let one = |name: &str| {
            SigningKeys::from_pem_files(
                dir.join(format!("{name}.key.pem")),
                dir.join(format!("{name}.cert.pem")),
            )
        };
        Ok(IdpKeys {
            entra: one("entra")?,
            okta: one("okta")?,
            rfc: one("rfc")?,
            attacker: one("attacker")?,
            rollover: match dir.join("rollover.key.pem").is_file() {
                true => Some(one("rollover")?),
                false => None,
            },
        })
    }

    /// The key the persona's IdP signs with (the one the SP trusts for it).
    pub fn for_persona(&self, persona: PersonaId) -> &SigningKeys {
        match persona.saml_style() {
            IdpStyle::Entra => &self.entra,
            IdpStyle::Okta => &self.okta,
            IdpStyle::Rfc => &self.rfc,
        }
    }
}

/// What the SP told the IdP about itself (its metadata or a target profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlSp {
    /// The Assertion Consumer Service URL: Destination and Recipient.
    pub acs_url: String,
    /// The SP's entity id: the Audience.
    pub audience: String,
    /// The attribute the SP reads the user's uid from (Grafana's
    /// `assertion_attribute_external_uid`); the persona's `userUID` claim is renamed to it.
    pub uid_attribute: String,
}

/// Claims a login sends instead of the directory's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimOverrides {
    /// The uid claim, instead of the externalId.
    pub uid: Option<String>,
    /// The email claim, instead of `mail` (or the login).
    pub email: Option<String>,
    /// The NameID, instead of the login.
    pub name_id: Option<String>,
    /// Attributes added to the persona's statement (name, values), e.g. a role claim.
    pub extra_attributes: Vec<(String, Vec<String>)>,
}

/// The identity an attack's forged parts claim (see [`saml::AttackContext::victim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttackVictim {
    pub name_id: String,
    pub uid: String,
}

impl AttackVictim {
    /// `user` as the forged parts claim them: their login as NameID, `uid` as the uid claim.
    pub fn of(user: &DirUser, uid: String) -> AttackVictim {
        AttackVictim {
            name_id: user.profile.user_principal_name.clone(),
            uid,
        }
    }
}

/// One login the persona's IdP is asked to issue.
#[derive(Debug, Clone)]
pub struct LoginRequest<'a> {
    pub persona: PersonaId,
    pub user: &'a DirUser,
    /// The externalId the persona provisioned for `user`: the uid claim.
    pub external_id: String,
    /// Display names of the groups `user` is in.
    pub groups: Vec<String>,
    pub overrides: ClaimOverrides,
    /// What to sign; `None`: the persona's IdP default.
    pub sign: Option<saml::SignMode>,
    /// A tamper-catalogue attack by name (`scim-harness saml attacks`).
    pub attack: Option<String>,
    /// With `attack`: whom the forged parts claim to be; `None`: an identity no SP knows.
    pub victim: Option<AttackVictim>,
    pub sp: SamlSp,
    /// The tenant (Entra) or org key (Okta) that forms the Issuer.
    pub tenant: String,
    /// The AuthnRequest ID for an SP-initiated login.
    pub in_response_to: Option<String>,
    /// Sign with the IdP's next key ([`IdpKeys::rollover`]) instead of its current one.
    pub rollover_key: bool,
    /// The SP's encryption certificate and cipher: the assertion is signed, then encrypted
    /// (`EncryptedAssertion`). An attack uses it only if it is one of the encrypted-assertion
    /// attacks ([`saml::Attack::needs_encryption`]); the others stay plain.
    pub encrypt_for: Option<saml::Encryption>,
}

/// A Response ready to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedLogin {
    /// The signed (or tampered) Response.
    pub xml: String,
    /// How many times to post it: twice for a replay.
    pub delivery: saml::Delivery,
}

impl IssuedLogin {
    /// How many posts [`IssuedLogin::delivery`] asks for.
    pub fn posts(&self) -> usize {
        match self.delivery {
            saml::Delivery::Once => 1,
            saml::Delivery::Twice => 2,
        }
    }
}

/// Why a login could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    UnknownAttack(#[from] saml::UnknownAttack),
    #[error("signing: {0}")]
    Sign(#[source] saml::SignError),
    #[error("attack {name}: {source}")]
    Attack {
        name: String,
        #[source]
        source: saml::AttackError,
    },
    #[error("a login with the rollover key needs rollover.key.pem and rollover.cert.pem in the IdP key folder")]
    NoRolloverKey,
}

/// The SP checks the validity window when the post arrives, later than the IdP mints it
/// (signing and posting take time on a loaded machine, and timestamps may be truncated to
/// the second). The two window-edge documents that this delay would carry across the
/// edge (one second inside the expiry, one second before the start) are minted as if
/// this much later, so they are still on their side of the edge when checked. The other
/// edge documents only move further from the edge as time passes.
const EDGE_LEAD: Duration = Duration::seconds(5);

fn edge_lead(attack: Attack) -> Duration {
    match attack {
        Attack::ExpiredInsideSkew | Attack::NotYetValidPastSkew => EDGE_LEAD,
        _ => Duration::ZERO,
    }
}

/// Issues `request` as the persona's IdP does, now, with random document ids.
pub fn issue_login(keys: &IdpKeys, request: &LoginRequest<'_>) -> Result<IssuedLogin, LoginError> {
    issue_login_with(keys, request, &saml::SystemClock, &saml::RandomIds)
}

/// [`issue_login`] with the time and ids from `clock` and `ids`.
pub fn issue_login_with(
    keys: &IdpKeys,
    request: &LoginRequest<'_>,
    clock: &dyn saml::Clock,
    ids: &dyn saml::IdSource,
) -> Result<IssuedLogin, LoginError> {
    let style = request.persona.saml_style();
    let trusted = match request.rollover_key {
        true => keys.rollover.as_ref().ok_or(LoginError::NoRolloverKey)?,
        false => keys.for_persona(request.persona),
    };
    let login = saml_login(request);
    let mut spec = saml::ResponseSpec::new(style, &login, clock, ids);
    if let Some(mode) = request.sign {
        spec.sign = mode;
    }
    let Some(name) = &request.attack else {
        let signed = match &request.encrypt_for {
            Some(encryption) => saml::sign_and_encrypt(&spec, trusted, encryption),
            None => saml::sign_response(&spec, trusted),
        };
        return Ok(IssuedLogin {
            xml: signed.map_err(LoginError::Sign)?,
            delivery: saml::Delivery::Once,
        });
    };
    let attack: Attack = name.parse()?;
    let ctx = saml::AttackContext {
        trusted,
        attacker: &keys.attacker,
        uid_attribute: &request.sp.uid_attribute,
        clock_skew: saml::DEFAULT_CLOCK_SKEW,
        now: clock.now() + edge_lead(attack),
        victim: request.victim.as_ref().map(|v| saml::Victim {
            name_id: &v.name_id,
            uid: &v.uid,
        }),
        encrypt_for: request.encrypt_for.as_ref(),
    };
    let tampered = attack
        .apply(&spec, &ctx)
        .map_err(|source| LoginError::Attack {
            name: name.clone(),
            source,
        })?;
    Ok(IssuedLogin {
        xml: tampered.xml,
        delivery: tampered.delivery,
    })
}

/// Who logs in, for which SP: the persona's claims for the user, overrides applied, the
/// uid claim under the SP's attribute name.
fn saml_login(request: &LoginRequest<'_>) -> saml::Login {
    let style = request.persona.saml_style();
    let p = &request.user.profile;
    let o = &request.overrides;
    let claims = saml::UserClaims {
        uid: o.uid.clone().unwrap_or_else(|| request.external_id.clone()),
        login: p.user_principal_name.clone(),
        email: o
            .email
            .clone()
            .or_else(|| p.mail.clone())
            .unwrap_or_else(|| p.user_principal_name.clone()),
        display_name: p.display_name.clone().unwrap_or_default(),
        given_name: p.given_name.clone().unwrap_or_default(),
        surname: p.surname.clone().unwrap_or_default(),
        groups: request.groups.clone(),
    };
    let mut attributes = style.attributes_for(&claims, &request.tenant);
    attributes.extend(
        o.extra_attributes
            .iter()
            .map(|(name, values)| saml::Attribute {
                name: name.clone(),
                name_format: None,
                values: values.clone(),
            }),
    );
    for a in &mut attributes {
        if a.name == saml::GRAFANA_UID_ATTRIBUTE {
            a.name.clone_from(&request.sp.uid_attribute);
        }
    }
    saml::Login {
        idp_entity_id: style.entity_id(&request.tenant),
        acs_url: request.sp.acs_url.clone(),
        audience: request.sp.audience.clone(),
        name_id: o
            .name_id
            .clone()
            .unwrap_or_else(|| p.user_principal_name.clone()),
        name_id_format: None,
        attributes,
        in_response_to: request.in_response_to.clone(),
    }
}

/// What an SP's AuthnRequest asks the Response to carry back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequestAnswer {
    /// The request's `ID`: the Response's `InResponseTo` (SAML Core §3.2.2).
    pub id: String,
    /// The `RelayState` to post back unchanged (SAML Bindings §3.4.3).
    pub relay_state: Option<String>,
}

/// Why an SP's redirect could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum AuthnRequestError {
    #[error("decoding the AuthnRequest: {0}")]
    Binding(#[from] saml::binding::BindingError),
    #[error("the redirect carries a SAMLResponse, not an AuthnRequest")]
    NotARequest,
    #[error("decoding the AuthnRequest: {0}")]
    Xml(#[from] saml::xml::XmlError),
    #[error("the AuthnRequest has no ID")]
    NoId,
}

/// Reads the AuthnRequest an SP's HTTP-Redirect (its `Location`) carries to the IdP
/// (SAML Bindings §3.4): its ID and the RelayState to send back.
pub fn answer_authn_request(location: &str) -> Result<AuthnRequestAnswer, AuthnRequestError> {
    let redirect = saml::binding::Redirect::from_url(location)?;
    if redirect.kind != saml::binding::MessageKind::Request {
        return Err(AuthnRequestError::NotARequest);
    }
    let request = saml::xml::parse(&redirect.xml)?;
    let id = request.attr("ID").ok_or(AuthnRequestError::NoId)?;
    Ok(AuthnRequestAnswer {
        id: id.to_owned(),
        relay_state: redirect.relay_state,
    })
}

#[cfg(test)]
mod tests;
