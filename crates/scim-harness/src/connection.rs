//! The flags `run` and `idp sync` share for reaching a target: its namespace, trust
//! (`--ca-cert`, `--insecure`) and client certificate, merged with the profile's `[tls]`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use conformance::Profile;

/// How to reach the target (`run`, `idp sync`).
#[derive(Args, Debug, Clone)]
pub struct ConnectionArgs {
    /// The namespace `{namespace}` stands for in the profile's paths (Grafana Cloud:
    /// `stacks-<id>`).
    #[arg(long, env = "SCIM_HARNESS_NAMESPACE", default_value = conformance::DEFAULT_NAMESPACE)]
    pub namespace: String,
    /// Trust the CA certificates in this PEM file too (repeatable); the bundled web roots
    /// and the system trust store are trusted anyway.
    #[arg(long = "ca-cert", value_name = "PEM")]
    pub ca_certs: Vec<PathBuf>,
    /// Do not check the target's certificate (printed on stderr and recorded in reports).
    #[arg(long)]
    pub insecure: bool,
    /// Client certificate (PEM chain) for mutual TLS; needs --client-key.
    #[arg(long, value_name = "PEM", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Where a shipped profile named by `--target NAME` is written for the run.
    #[arg(skip)]
    pub shipped: crate::profiles::ShippedFolder,
}

impl ConnectionArgs {
    /// Whether any TLS flag was given.
    pub fn names_tls(&self) -> bool {
        !self.ca_certs.is_empty() || self.insecure || self.client_cert.is_some()
    }

    /// Load the target profile at `path` (a file, or the name of a shipped profile) and
    /// [`ConnectionArgs::apply`] the flags to it.
    pub fn load_profile(
        &self,
        path: &std::path::Path,
        connect_timeout: Duration,
    ) -> anyhow::Result<(Profile, idp::Connector)> {
        let path = self.shipped.resolve(path)?;
        let mut profile = Profile::load(&path).context("loading the target profile")?;
        let connector = self.apply(&mut profile, connect_timeout)?;
        Ok((profile, connector))
    }

    /// Fill the profile's `{namespace}` and build the client from the flags and the
    /// profile's `[tls]` (a flag's client certificate replaces the profile's).
    pub fn apply(
        &self,
        profile: &mut Profile,
        connect_timeout: Duration,
    ) -> anyhow::Result<idp::Connector> {
        profile.set_namespace(&self.namespace)?;
        let mut files = profile.tls_files();
        files.ca_certs.extend(self.ca_certs.iter().cloned());
        if let (Some(cert), Some(key)) = (&self.client_cert, &self.client_key) {
            files.client_identity = Some((cert.clone(), key.clone()));
        }
        files.insecure = self.insecure;
        if self.insecure {
            eprintln!(
                "WARNING: --insecure: the target's TLS certificate is NOT checked; anyone on the \
                 path can read and change this run's traffic. The reports record it."
            );
        }
        idp::Connector::new(&files, connect_timeout).context("setting up the http client")
    }
}
