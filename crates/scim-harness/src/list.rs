//! `scim-harness list`: the cases `run` would take with the same selection flags, as
//! lines or as JSON, each with why a target profile would skip it.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::exit;
use crate::run::{load_catalogue, usage, Failure};

/// `list --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One line per case: id, level, title | spec references.
    Human,
    /// One JSON array, an object per case.
    Json,
}

/// Arguments of `list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    catalogue: crate::catalogue::CatalogueArgs,
    #[command(flatten)]
    select: crate::select::SelectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    format: ListFormat,
    /// Target profile (TOML): say which cases a run against it would skip, and why
    /// (the server-admin variables are read as `run` reads them). Without it, the
    /// embedded reference target, which runs every case.
    #[arg(long, value_name = "PROFILE")]
    target: Option<PathBuf>,
}

/// `scim-harness list`. A reader that stops early (`list | head`) ends the listing
/// quietly; a selection that matches nothing exits 4, as `run` does.
pub fn list(args: ListArgs) -> Result<u8, Failure> {
    let catalogue = load_catalogue(&args.catalogue)?;
    let selection = args.select.selection(&catalogue).map_err(usage)?;
    let cases = catalogue.select(&selection);
    if cases.is_empty() {
        eprintln!(
            "{}",
            crate::select::none_matched(catalogue.cases().len()).replace("was run", "is listed")
        );
        return Ok(exit::NO_CASES);
    }
    let skip = match &args.target {
        Some(path) => {
            let profile = conformance::Profile::load(path)
                .map_err(|e| usage(anyhow::Error::new(e).context("loading the target profile")))?;
            let has_admin = conformance::AdminCredentials::from_env()
                .map_err(|e| {
                    usage(anyhow::Error::new(e).context("reading the server-admin credentials"))
                })?
                .is_some();
            Some((profile, has_admin))
        }
        None => None,
    };
    let skip_reason = |case: &conformance::Case| {
        skip.as_ref()
            .and_then(|(p, admin)| conformance::skip_reason(case, p, *admin))
    };
    let text = match args.format {
        ListFormat::Json => {
            let items: Vec<serde_json::Value> = cases
                .iter()
                .map(|case| {
                    let s = &case.scenario.scenario;
                    serde_json::json!({
                        "id": case.id,
                        "scenario": s.id,
                        "title": s.title,
                        "level": s.level.as_str(),
                        "persona": case.persona.to_string(),
                        "config": case.config.name,
                        "area": case.scenario.area,
                        "spec": s.spec,
                        "exclusive": s.exclusive,
                        "skip": skip_reason(case),
                    })
                })
                .collect();
            let mut t = serde_json::to_string_pretty(&items).unwrap_or_default();
            t.push('\n');
            t
        }
        ListFormat::Human => cases
            .iter()
            .map(|case| {
                let s = &case.scenario.scenario;
                let skip = skip_reason(case)
                    .map(|r| format!(" [skip: {r}]"))
                    .unwrap_or_default();
                format!(
                    "{:<64} {:<6} {} | {}{skip}\n",
                    case.id,
                    s.level.as_str(),
                    s.title,
                    s.spec.join("; ")
                )
            })
            .collect(),
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(exit::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::SUCCESS),
        Err(e) => Err(Failure {
            code: exit::FAILED,
            error: anyhow::Error::new(e).context("writing the case list"),
        }),
    }
}
