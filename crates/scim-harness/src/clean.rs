//! `scim-harness clean`: remove what an earlier `run --seed N` left on a target (a run
//! with `--keep`, or one that was killed), found by the case tags of that seed.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use conformance::RunOptions;

use crate::exit;
use crate::run::Failure;

/// Arguments of `clean`.
#[derive(Args, Debug)]
pub struct CleanArgs {
    /// Target profile: a TOML file, or the name of a shipped one (`target profiles`).
    #[arg(long)]
    target: PathBuf,
    /// Override the profile's base_url.
    #[arg(long, env = "SCIM_HARNESS_TARGET_URL")]
    target_url: Option<String>,
    /// The seed of the run whose objects to remove.
    #[arg(long)]
    seed: u64,
    /// The catalogue whose case ids make the tags: the run's own catalogue flags.
    #[command(flatten)]
    catalogue: crate::catalogue::CatalogueArgs,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    #[command(flatten)]
    connection: crate::connection::ConnectionArgs,
}

fn usage(error: anyhow::Error) -> Failure {
    Failure {
        code: exit::USAGE,
        error,
    }
}

/// `scim-harness clean`: prints the counts; exit 0, or 1 when something stayed (each
/// named with why), 3 when the target does not answer.
pub fn clean(args: CleanArgs) -> Result<u8, Failure> {
    let catalogue = args.catalogue.load().map_err(usage)?;
    let tags: Vec<String> = catalogue
        .cases()
        .iter()
        .map(|c| conformance::case_tag(args.seed, &c.id))
        .collect();
    let request_timeout = Duration::from_secs(args.timeout.max(1));
    let (profile, connector) = args
        .connection
        .load_profile(&args.target, request_timeout)
        .map_err(usage)?;
    let credential = profile
        .credential()
        .context("resolving the scim credential")
        .map_err(usage)?;
    let admin = conformance::AdminCredentials::from_env()
        .context("reading the server-admin credentials")
        .map_err(usage)?;
    let opts = RunOptions {
        base_url: args
            .target_url
            .clone()
            .unwrap_or_else(|| profile.base_url.clone()),
        profile,
        credential,
        connector: Some(connector),
        admin,
        seed: args.seed,
        jobs: 1,
        request_timeout,
        case_timeout: request_timeout,
        idp_keys: PathBuf::new(),
        baseline: None,
        default_config: String::new(),
        keep: false,
        interrupt: conformance::Interrupt::default(),
        max_fail: None,
        running: Default::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .map_err(usage)?;
    runtime.block_on(async {
        conformance::check_reachable(&opts)
            .await
            .map_err(|e| Failure {
                code: exit::UNREACHABLE,
                error: anyhow::Error::new(e),
            })?;
        let done = conformance::clean(opts, &tags)
            .await
            .map_err(|e| usage(anyhow::Error::new(e)))?;
        println!(
            "clean seed {}: removed {}, left behind {}",
            args.seed,
            done.removed,
            done.left_behind.len()
        );
        for l in &done.left_behind {
            println!("  left: {}: {}", l.what, l.why);
        }
        Ok(if done.left_behind.is_empty() {
            exit::SUCCESS
        } else {
            exit::FAILED
        })
    })
}
