//! `scim-harness idp serve`: the mock Entra/Okta IdP as a server a person, a browser or an
//! application points at (SAML sign-in pages, metadata, SCIM pushed on demand or on a
//! schedule). The server itself is `idp::serve`; this file turns flags into its config.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

/// Arguments of `idp serve`.
#[derive(Args)]
#[command(
    after_help = "Example (a reference target on port 3000, see README \"Try your app's SAML + SCIM\"):\n  \
scim-harness idp serve --persona entra --sp-metadata http://127.0.0.1:3000/saml/metadata \\\n    \
--target fixtures/profiles/reference.toml --target-url http://127.0.0.1:3000\n  \
curl -X POST http://127.0.0.1:7000/api/sync\n  \
curl -X PATCH http://127.0.0.1:7000/api/users/alice.ng@contoso.example -d '{\"active\": false}'"
)]
pub struct ServeArgs {
    /// Persona to play (repeatable: several are served under /<persona>/): entra,
    /// entra-aadopt, okta, okta-oin, rfc.
    #[arg(long = "persona", required = true, value_name = "PERSONA")]
    personas: Vec<String>,
    /// Address to listen on; port 0 picks a free port. Bound beyond loopback, the admin
    /// page and API need --admin-token.
    #[arg(long, default_value = "127.0.0.1:7000")]
    listen: SocketAddr,
    /// The URL the server is reached at, when not http://<listen address> (behind a proxy
    /// or a tunnel): the metadata and pages use it.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// The application's SAML metadata (a URL or a file), repeatable: its entity id and
    /// HTTP-POST ACS URLs.
    #[arg(long = "sp-metadata", value_name = "URL|FILE")]
    sp_metadata: Vec<String>,
    /// The application's ACS URL (with --sp-entity-id), instead of its metadata.
    #[arg(long, value_name = "URL", requires = "sp_entity_id")]
    sp_acs: Option<String>,
    /// The application's entity id (with --sp-acs).
    #[arg(long, value_name = "ID", requires = "sp_acs")]
    sp_entity_id: Option<String>,
    /// The attribute the application reads the user's uid from (Grafana's
    /// assertion_attribute_external_uid).
    #[arg(long, default_value = saml::GRAFANA_UID_ATTRIBUTE, value_name = "NAME")]
    sp_uid_attribute: String,
    /// The directory the server starts from (YAML); its state is kept across cycles.
    /// Default: the sample directory built into the binary (fixtures/directory.yaml).
    #[arg(long, value_name = "FILE")]
    directory: Option<PathBuf>,
    /// Target profile that SCIM cycles go to: a TOML file, or a shipped one by name;
    /// without it, only SAML is served.
    #[arg(long, value_name = "PROFILE")]
    target: Option<PathBuf>,
    /// Override the profile's base_url.
    #[arg(long, env = "SCIM_HARNESS_TARGET_URL", requires = "target")]
    target_url: Option<String>,
    /// Run a cycle this often (e.g. 30s, 5m, 40m: Entra's cadence); without it, cycles
    /// run on POST /api/sync or the admin page's button.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    interval: Option<Duration>,
    /// Required on the admin page and API (Authorization: Bearer, or /admin?token=).
    #[arg(long, env = "SCIM_HARNESS_IDP_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// The tenant (Entra) or org key (Okta) that forms each persona's entity id.
    #[arg(long, default_value = "00000000-0000-0000-0000-000000000000")]
    tenant: String,
    /// The directory holding the test signing keys ({entra,okta,rfc,attacker}.{key,cert}.pem);
    /// default: the test-only keys built into the binary (fixtures/idp).
    #[arg(long, value_name = "DIR")]
    keys_dir: Option<PathBuf>,
    /// Sign with this private key (PEM) instead of the test fixture's; needs --cert.
    #[arg(long, value_name = "PEM", requires = "cert")]
    key: Option<PathBuf>,
    /// The certificate of --key (PEM), published in the metadata.
    #[arg(long, value_name = "PEM", requires = "key")]
    cert: Option<PathBuf>,
    /// Per-request timeout of SCIM requests, in seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    #[command(flatten)]
    connection: crate::connection::ConnectionArgs,
}

/// `30s`, `5m`, `40m`, `1h`, `250ms`, or a number of seconds.
fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{value:?}: expected a number and a unit, e.g. 30s, 5m, 40m, 1h"))?;
    let d = match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => {
            return Err(format!(
                "{value:?}: unknown unit {unit:?} (use ms, s, m or h)"
            ))
        }
    };
    if d.is_zero() {
        return Err(format!("{value:?}: the interval must be more than zero"));
    }
    Ok(d)
}

/// Runs the server until SIGINT or SIGTERM.
pub fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let personas = args
        .personas
        .iter()
        .map(|p| {
            p.parse::<idp::PersonaId>()
                .map_err(|e| anyhow::anyhow!("--persona: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    idp::serve::check_admin_token(args.listen, args.admin_token.as_deref())?;
    let directory = crate::catalogue::load_directory(args.directory.as_deref())?;
    let keys = load_keys(&args)?;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let (target, connector) = match &args.target {
        Some(path) => {
            let (target, connector, name) = crate::idp_sync::scim_target(
                path,
                args.target_url.as_deref(),
                &args.connection,
                timeout,
            )?;
            (Some((target, name)), connector)
        }
        None => (
            None,
            idp::Connector::new(&idp::TlsFiles::default(), timeout)
                .context("setting up the http client")?,
        ),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let mut sps = Vec::new();
        for location in &args.sp_metadata {
            let mut sp = idp::serve::ServiceProvider::load(location, connector.client())
                .await
                .with_context(|| format!("--sp-metadata {location}"))?;
            sp.uid_attribute.clone_from(&args.sp_uid_attribute);
            sps.push(sp);
        }
        if let (Some(acs), Some(entity)) = (&args.sp_acs, &args.sp_entity_id) {
            let mut sp = idp::serve::ServiceProvider::new(entity, acs);
            sp.uid_attribute.clone_from(&args.sp_uid_attribute);
            sps.push(sp);
        }
        let listener = idp::serve::bind(args.listen).await?;
        let bound = listener.addr;
        let public_url = args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"));
        let config = idp::serve::ServeConfig {
            personas,
            directory,
            public_url: public_url.trim_end_matches('/').to_owned(),
            tenant: args.tenant.clone(),
            service_providers: sps.clone(),
            keys: Arc::new(keys),
            target: target.as_ref().map(|(t, _)| t.clone()),
            interval: args.interval,
            admin_token: args.admin_token.clone(),
        };
        let sites = idp::serve::sites(&config)?;
        // The handlers go in before the listen line, so a signal right after it is kept.
        let shutdown = crate::shutdown_signal()?;
        println!("idp serve: listening on http://{bound}");
        for site in &sites {
            println!("{}: metadata: {}", site.persona, site.metadata_url());
            println!("{}: sso: {}", site.persona, site.sso_url());
            println!("{}: admin: {}", site.persona, site.admin_url());
            println!("{}: entity id: {}", site.persona, site.entity_id());
        }
        for sp in &sps {
            println!(
                "application: {} (ACS {})",
                sp.entity_id,
                sp.acs_urls.join(", ")
            );
        }
        if sps.is_empty() {
            println!("application: none (give --sp-metadata, or --sp-acs and --sp-entity-id)");
        }
        match &target {
            Some((t, name)) => println!(
                "scim target: {name} at {}{}",
                t.base_url,
                args.interval
                    .map(|i| format!(", a cycle every {}s", i.as_secs_f64()))
                    .unwrap_or_default()
            ),
            None => println!("scim target: none (give --target PROFILE to push the directory)"),
        }
        idp::serve::serve(listener, sites, args.interval, shutdown)
            .await
            .context("serving")?;
        println!("idp serve: stopped");
        anyhow::Ok(())
    })
}

/// The persona keys: the test fixtures, each replaced by --key/--cert when given.
fn load_keys(args: &ServeArgs) -> anyhow::Result<idp::IdpKeys> {
    let folder = crate::catalogue::IdpKeyFolder::new(args.keys_dir.as_deref())?;
    let mut keys = idp::IdpKeys::load(folder.path())
        .with_context(|| format!("loading the test IdP keys from {}", folder.path().display()))?;
    if let (Some(key), Some(cert)) = (&args.key, &args.cert) {
        let own = saml::SigningKeys::from_pem_files(key, cert).with_context(|| {
            format!(
                "reading --key {} and --cert {}",
                key.display(),
                cert.display()
            )
        })?;
        keys.entra = own.clone();
        keys.okta = own.clone();
        keys.rfc = own;
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_parse_with_units_and_bad_ones_say_why() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("40m"), Ok(Duration::from_secs(2400)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("0s").unwrap_err().contains("more than zero"));
        assert!(parse_duration("5 parsecs")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_duration("soon")
            .unwrap_err()
            .contains("expected a number"));
    }
}
