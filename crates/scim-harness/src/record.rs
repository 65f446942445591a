//! `scim-harness record`: the recording reverse proxy (`idp::record`) with a status line
//! per exchange and the transcript as JSON lines; SIGINT or SIGTERM flushes and ends it.

use std::fs::File;
use std::io::BufWriter;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

/// Arguments of `record`.
#[derive(Args)]
pub struct RecordArgs {
    /// Address to listen on (the IdP's "Tenant URL" points here); port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The SCIM service every request is passed to: its origin (`https://app.example`),
    /// to which each request's path and query are appended.
    #[arg(long, value_name = "URL")]
    upstream: String,
    /// Write every exchange as one JSON object per line (secrets redacted), the format
    /// `idp sync --transcript` writes.
    #[arg(long, value_name = "FILE")]
    transcript: Option<PathBuf>,
    /// Per-request timeout in seconds (to the upstream's answer).
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    #[command(flatten)]
    connection: crate::connection::ConnectionArgs,
}

/// Prints each exchange's status line and writes it to the transcript.
struct Lines {
    file: Option<idp::JsonLinesSink<BufWriter<File>>>,
}

impl idp::TranscriptSink for Lines {
    fn exchange(&mut self, exchange: idp::Exchange) {
        let status = exchange
            .status
            .map_or_else(|| "---".to_string(), |s| s.to_string());
        println!(
            "{status:>3} {:<6} {}",
            exchange.method,
            exchange.path_and_query()
        );
        if let Some(note) = &exchange.error {
            println!("    {note}");
        }
        if let Some(file) = &mut self.file {
            file.exchange(exchange);
        }
    }
}

/// Runs the proxy until SIGINT or SIGTERM.
pub fn record(args: RecordArgs) -> anyhow::Result<()> {
    let upstream = args.upstream.trim_end_matches('/').to_owned();
    if !(upstream.starts_with("http://") || upstream.starts_with("https://")) {
        anyhow::bail!("--upstream {upstream}: not an http:// or https:// URL");
    }
    let timeout = std::time::Duration::from_secs(args.timeout.max(1));
    let c = &args.connection;
    let files = idp::TlsFiles {
        ca_certs: c.ca_certs.clone(),
        insecure: c.insecure,
        client_identity: c.client_cert.clone().zip(c.client_key.clone()),
    };
    if c.insecure {
        eprintln!(
            "WARNING: --insecure: the upstream's TLS certificate is NOT checked; anyone on the \
             path can read and change the recorded traffic."
        );
    }
    let connector =
        idp::Connector::new(&files, timeout).context("setting up the upstream http client")?;
    let file = crate::idp_sync::transcript_file(args.transcript.as_deref())?;
    let config = idp::record::RecordConfig {
        upstream: upstream.clone(),
        connector,
        timeout,
        max_body_bytes: idp::record::RECORD_BODY_LIMIT,
        persona: "record".to_owned(),
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let lines = runtime.block_on(async {
        // The handlers are in place before the listen line, so a signal right after it
        // is not lost.
        let shutdown = crate::shutdown_signal()?;
        let bound = idp::record::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        println!("listening on http://{}", bound.addr);
        println!("upstream {upstream}");
        idp::record::record(bound, config, Lines { file }, shutdown)
            .await
            .context("serving the recording proxy")
    })?;
    if let (Some(path), Some(file)) = (&args.transcript, lines.file) {
        let written = file.written();
        file.finish()
            .with_context(|| format!("writing transcript {}", path.display()))?;
        println!("transcript: {} ({written} exchanges)", path.display());
    }
    Ok(())
}
