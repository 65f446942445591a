//! What the `login` step asks the persona's IdP for: the scenario step and the target
//! profile turned into an `idp::LoginRequest`, before any request is sent.

use crate::case::{CaseRun, Stop};
use crate::profile::{join, SamlSection};
use crate::scenario::{LoginKey, LoginStep, Signing};

/// The login `step` asks of `user`'s IdP; `in_response_to` names the SP's AuthnRequest.
/// Overrides get the case tag; a victim is looked up like the user.
pub(super) fn idp_request<'u>(
    run: &CaseRun<'_>,
    step: &LoginStep,
    user: &'u idp::DirUser,
    saml_cfg: &SamlSection,
    in_response_to: Option<String>,
) -> Result<idp::LoginRequest<'u>, Stop> {
    let shared = run.shared();
    let victim = match &step.victim {
        None => None,
        Some(key) => {
            let v = run.directory_user(key).ok_or_else(|| {
                super::fail(
                    run.step_no(),
                    &format!("user `{key}` is not in the directory"),
                )
            })?;
            Some(idp::AttackVictim::of(&v, run.external_id_of(&v)))
        }
    };
    let tagged = |v: &Option<String>| v.as_ref().map(|v| v.replace("{tag}", &run.tag));
    // A profile's entity id that is a path lives on the target's base URL.
    let audience = match saml_cfg.sp_entity_id.starts_with('/') {
        true => join(&shared.opts.base_url, &saml_cfg.sp_entity_id),
        false => saml_cfg.sp_entity_id.clone(),
    };
    // The profile's encryption certificate, for a step that asks or an attack that needs it.
    let attack_encrypts = step
        .attack
        .as_deref()
        .and_then(|a| a.parse::<saml::Attack>().ok())
        .is_some_and(|a| a.needs_encryption());
    let encrypt_for = match (&saml_cfg.encrypt_for, step.encrypt || attack_encrypts) {
        (Some(path), true) => Some(encryption(path, saml_cfg.encryption.as_deref(), run)?),
        _ => None,
    };
    Ok(idp::LoginRequest {
        persona: run.persona(),
        user,
        external_id: run.external_id_of(user),
        groups: run.groups_of(&user.id),
        overrides: idp::ClaimOverrides {
            uid: tagged(&step.uid),
            email: tagged(&step.email),
            name_id: tagged(&step.name_id),
            extra_attributes: match (&step.role, &saml_cfg.role_attribute) {
                (Some(role), Some(attr)) => vec![(attr.clone(), vec![role.clone()])],
                _ => Vec::new(),
            },
        },
        sign: step.sign.map(|s| match s {
            Signing::Assertion => saml::SignMode::Assertion,
            Signing::Response => saml::SignMode::Response,
            Signing::Both => saml::SignMode::Both,
        }),
        attack: step.attack.clone(),
        victim,
        sp: idp::SamlSp {
            acs_url: shared.url(&saml_cfg.acs),
            audience,
            uid_attribute: saml_cfg.uid_attribute.clone(),
        },
        tenant: saml_cfg.idp_tenant.clone(),
        in_response_to,
        rollover_key: step.key == Some(LoginKey::Rollover),
        encrypt_for,
    })
}

/// The profile's `[saml] encrypt_for` certificate and `encryption` cipher (default: what
/// the persona's IdP emits).
fn encryption(
    path: &std::path::Path,
    cipher: Option<&str>,
    run: &CaseRun<'_>,
) -> Result<saml::Encryption, Stop> {
    let content = match cipher {
        Some(name) => name
            .parse::<saml::ContentEncryption>()
            .map_err(|e| run.step_err(format!("[saml] encryption: {e}")))?,
        None => saml::ContentEncryption::for_style(run.persona().saml_style()),
    };
    let key = saml::EncryptionKey::from_pem_file(path).map_err(|e| {
        run.step_err(format!(
            "[saml] encrypt_for {}: {e}{}",
            path.display(),
            std::error::Error::source(&e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default()
        ))
    })?;
    Ok(saml::Encryption { key, content })
}
