//! `scim-harness saml issue`: writes a signed SAML Response shaped as a persona's IdP, optionally tampered.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

/// Arguments of `saml issue` (DESIGN.md "Command line").
#[derive(Args)]
pub struct IssueArgs {
    /// Persona whose IdP shapes the Response: entra, entra-aadopt, okta, okta-oin, rfc.
    #[arg(long)]
    persona: String,
    /// The IdP's signing key (PEM).
    #[arg(long)]
    key: PathBuf,
    /// The IdP's certificate (PEM), put into KeyInfo.
    #[arg(long)]
    cert: PathBuf,
    /// The SP's Assertion Consumer Service URL (Destination and Recipient).
    #[arg(long)]
    acs: String,
    /// The SP's entity id (Audience).
    #[arg(long)]
    audience: String,
    /// The NameID value.
    #[arg(long)]
    name_id: String,
    /// An attribute, NAME=VALUE; repeat a name for several values.
    #[arg(long = "attr", value_name = "NAME=VALUE")]
    attrs: Vec<String>,
    /// What to sign: assertion, response or both (default: the persona's IdP default).
    #[arg(long)]
    sign: Option<String>,
    /// Tamper with the Response: a name from `scim-harness saml attacks`.
    #[arg(long)]
    attack: Option<String>,
    /// Key the SP does not trust, for attacks that need one (PEM).
    #[arg(long, requires = "attacker_cert")]
    attacker_key: Option<PathBuf>,
    /// Certificate of --attacker-key (PEM).
    #[arg(long, requires = "attacker_key")]
    attacker_cert: Option<PathBuf>,
    /// The tenant (Entra) or org id (Okta) that forms the Issuer.
    #[arg(long, default_value = "00000000-0000-0000-0000-000000000000")]
    tenant: String,
    /// The AuthnRequest ID this Response answers (SP-initiated login).
    #[arg(long)]
    in_response_to: Option<String>,
    /// The attribute the SP reads the user's uid from, for the uid attacks.
    #[arg(long, default_value = saml::GRAFANA_UID_ATTRIBUTE)]
    uid_attribute: String,
    /// Encrypt the (signed) assertion for this SP certificate (PEM): `EncryptedAssertion`;
    /// the encrypted-assertion attacks need it.
    #[arg(long, value_name = "PEM")]
    encrypt_for: Option<PathBuf>,
    /// The content cipher with --encrypt-for: aes128-gcm, aes256-gcm, aes128-cbc, aes256-cbc
    /// (default: the persona's IdP's).
    #[arg(long, requires = "encrypt_for")]
    encryption: Option<String>,
    /// Where to write the Response XML (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn issue(args: IssueArgs) -> anyhow::Result<()> {
    let style = saml_style(&args.persona)?;
    let keys = saml::SigningKeys::from_pem_files(&args.key, &args.cert).with_context(|| {
        format!(
            "reading the signing key {} and certificate {}",
            args.key.display(),
            args.cert.display()
        )
    })?;
    let login = saml::Login {
        idp_entity_id: style.entity_id(&args.tenant),
        acs_url: args.acs.clone(),
        audience: args.audience.clone(),
        name_id: args.name_id.clone(),
        name_id_format: None,
        attributes: parse_attributes(&args.attrs)?,
        in_response_to: args.in_response_to.clone(),
    };
    let mut spec = saml::ResponseSpec::new(style, &login, &saml::SystemClock, &saml::RandomIds);
    if let Some(mode) = &args.sign {
        spec.sign = mode.parse().with_context(|| format!("--sign {mode}"))?;
    }
    let encryption = match &args.encrypt_for {
        None => None,
        Some(path) => Some(saml::Encryption {
            key: saml::EncryptionKey::from_pem_file(path)
                .with_context(|| format!("--encrypt-for {}", path.display()))?,
            content: match &args.encryption {
                Some(name) => name
                    .parse()
                    .with_context(|| format!("--encryption {name}"))?,
                None => saml::ContentEncryption::for_style(style),
            },
        }),
    };
    let xml = match (&args.attack, &encryption) {
        (None, None) => saml::sign_response(&spec, &keys).context("signing the response")?,
        (None, Some(encryption)) => saml::sign_and_encrypt(&spec, &keys, encryption)
            .context("signing and encrypting the response")?,
        (Some(name), _) => {
            let attack: saml::Attack = name
                .parse()
                .map_err(|err| anyhow::anyhow!("--attack {name}: {err}"))?;
            let (Some(key), Some(cert)) = (&args.attacker_key, &args.attacker_cert) else {
                bail!("--attack needs --attacker-key and --attacker-cert (a key pair the SP does not trust, e.g. fixtures/idp/attacker.*)");
            };
            let attacker = saml::SigningKeys::from_pem_files(key, cert)
                .with_context(|| format!("reading the attacker key {}", key.display()))?;
            let ctx = saml::AttackContext {
                trusted: &keys,
                attacker: &attacker,
                uid_attribute: &args.uid_attribute,
                clock_skew: saml::DEFAULT_CLOCK_SKEW,
                now: time::OffsetDateTime::now_utc(),
                victim: None,
                encrypt_for: encryption.as_ref(),
            };
            let tampered = attack
                .apply(&spec, &ctx)
                .with_context(|| format!("applying attack {name}"))?;
            if tampered.delivery == saml::Delivery::Twice {
                eprintln!("note: attack {name} is a replay: post this document twice");
            }
            tampered.xml
        }
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &xml).with_context(|| format!("writing {}", path.display()))?
        }
        None => println!("{xml}"),
    }
    Ok(())
}

/// The SAML dialect of the persona named `name` (idp's `PersonaId::saml_style`).
fn saml_style(name: &str) -> anyhow::Result<saml::IdpStyle> {
    let persona: idp::PersonaId = name.parse().map_err(|_| {
        let ids: Vec<&str> = idp::PersonaId::ALL.iter().map(|p| p.as_str()).collect();
        let (last, rest) = ids.split_last().unwrap_or((&"", &[]));
        anyhow::anyhow!(
            "unknown persona `{name}` (expected {} or {last})",
            rest.join(", ")
        )
    })?;
    Ok(persona.saml_style())
}

/// `NAME=VALUE` pairs, grouped by name in first-seen order.
fn parse_attributes(pairs: &[String]) -> anyhow::Result<Vec<saml::Attribute>> {
    let mut attributes: Vec<saml::Attribute> = Vec::new();
    for pair in pairs {
        let Some((name, value)) = pair.split_once('=') else {
            bail!("--attr `{pair}`: expected NAME=VALUE");
        };
        if name.is_empty() {
            bail!("--attr `{pair}`: the attribute name is empty");
        }
        match attributes.iter_mut().find(|a| a.name == name) {
            Some(existing) => existing.values.push(value.to_string()),
            None => attributes.push(saml::Attribute {
                name: name.to_string(),
                name_format: None,
                values: vec![value.to_string()],
            }),
        }
    }
    Ok(attributes)
}

/// One line per attack: its name and which layer must refuse it.
pub fn list_attacks() {
    for attack in saml::Attack::all() {
        let layer = match attack.expected() {
            saml::ExpectedOutcome::VerifierRejects => {
                "rejected by signature/assertion verification".to_string()
            }
            saml::ExpectedOutcome::SpRejects(check) => {
                format!("rejected by the SP's {check:?} check")
            }
            saml::ExpectedOutcome::Accepted => "control: must be accepted".to_string(),
        };
        println!("{:<40} {layer}", attack.name());
    }
}

/// Arguments of `saml metadata`.
#[derive(Args)]
pub struct MetadataArgs {
    /// Persona whose IdP the metadata describes: entra, entra-aadopt, okta, okta-oin, rfc.
    #[arg(long)]
    persona: String,
    /// The IdP's certificate (PEM), e.g. fixtures/idp/entra.cert.pem.
    #[arg(long)]
    cert: PathBuf,
    /// A further signing certificate to list after --cert (repeatable): the IdP's next key
    /// during a certificate rollover, e.g. fixtures/idp/rollover.cert.pem for `saml.certificate-rollover`.
    #[arg(long, value_name = "PEM")]
    next_cert: Vec<PathBuf>,
    /// The tenant (Entra) or org id (Okta) that forms the entity id; must match the profile's `idp_tenant`.
    #[arg(long, default_value = "00000000-0000-0000-0000-000000000000")]
    tenant: String,
    /// Where to write the XML (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Writes the IdP metadata an SP needs to trust a persona's IdP, SP-initiated login included.
pub fn metadata(args: MetadataArgs) -> anyhow::Result<()> {
    let style = saml_style(&args.persona)?;
    let certificate = saml::Certificate::from_pem_file(&args.cert)
        .with_context(|| format!("reading the certificate {}", args.cert.display()))?;
    let next_certificates = args
        .next_cert
        .iter()
        .map(|path| {
            saml::Certificate::from_pem_file(path)
                .with_context(|| format!("reading the certificate {}", path.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let xml = saml::IdpMetadata {
        entity_id: style.entity_id(&args.tenant),
        sso_url: style.sso_url(&args.tenant),
        signing_certificate: certificate,
        next_certificates,
        name_id_formats: vec![style.default_name_id_format().to_string()],
    }
    .to_xml()
    .map_err(|e| anyhow::anyhow!("writing idp metadata for {}: {}", args.persona, e.message))?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &xml).with_context(|| format!("writing {}", path.display()))?
        }
        None => println!("{xml}"),
    }
    Ok(())
}
