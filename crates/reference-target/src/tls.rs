//! HTTPS for the reference target (`target serve --tls-cert --tls-key`): a rustls server
//! config from PEM files, optionally requiring client certificates from a CA
//! (`--tls-client-ca`), and an axum [`Listener`] that completes each TLS handshake off
//! the accept loop, so a slow or failing handshake never holds up other connections.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::Listener;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A handshake not finished in this time is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The files HTTPS is served with.
#[derive(Debug, Clone)]
pub struct ServeTls {
    /// The server certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// Require a client certificate issued by a CA in this PEM file (mutual TLS, as a
    /// proxy in front of Grafana may); `None` asks for none.
    pub client_ca: Option<PathBuf>,
}

/// The rustls server config for `tls`, on the ring provider (the one reqwest's rustls
/// uses, so the tree carries a single crypto provider).
pub(crate) fn server_config(tls: &ServeTls) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = certificates(&tls.cert, "tls certificate")?;
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .map_err(|e| anyhow::anyhow!("reading the tls key {}: {e}", tls.key.display()))?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("choosing tls protocol versions")?;
    let builder = match &tls.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in certificates(path, "tls client ca")? {
                roots.add(cert).with_context(|| {
                    format!(
                        "adding a certificate of the tls client ca {}",
                        path.display()
                    )
                })?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .with_context(|| format!("the tls client ca {}", path.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(certs, key).with_context(|| {
        format!(
            "the tls certificate {} and key {} do not form a usable pair",
            tls.cert.display(),
            tls.key.display()
        )
    })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn certificates(path: &Path, what: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("reading the {what} {}: {e}", path.display()))?;
    if certs.is_empty() {
        anyhow::bail!("the {what} {} holds no PEM certificate", path.display());
    }
    Ok(certs)
}

/// Accepts TCP connections and hands axum only those whose TLS handshake completed.
pub(crate) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> TlsListener {
        TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(config),
            handshakes: JoinSet::new(),
        }
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                accepted = self.tcp.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        if let Err(err) = tcp.set_nodelay(true) {
                            tracing::debug!("setting TCP_NODELAY on an accepted connection: {err}");
                        }
                        let acceptor = self.acceptor.clone();
                        self.handshakes.spawn(async move {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                                Ok(Ok(tls)) => Some((tls, peer)),
                                Ok(Err(err)) => {
                                    tracing::info!("tls handshake with {peer} failed: {err}");
                                    None
                                }
                                Err(_) => {
                                    tracing::info!("tls handshake with {peer} timed out");
                                    None
                                }
                            }
                        });
                    }
                    Err(err) => accept_error(err).await,
                },
                Some(done) = self.handshakes.join_next(), if !self.handshakes.is_empty() => {
                    if let Ok(Some(connection)) = done {
                        return connection;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// As axum's own listener does: a per-connection error is skipped, running out of
/// file descriptors waits a moment.
async fn accept_error(err: io::Error) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!("accepting a connection: {err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
