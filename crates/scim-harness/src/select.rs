//! The case selection `run` and `list` share (one clap struct, so the two cannot drift):
//! personas, configurations, levels, case-id globs and the partition.

use clap::{Args, ValueEnum};
use conformance::{Catalogue, Level, Selection};
use idp::PersonaId;

/// A scenario level (`--level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    Must,
    Should,
    Info,
}

impl LevelArg {
    fn level(self) -> Level {
        match self {
            LevelArg::Must => Level::Must,
            LevelArg::Should => Level::Should,
            LevelArg::Info => Level::Info,
        }
    }
}

/// Which cases of the catalogue a command takes.
#[derive(Args, Debug, Clone)]
pub struct SelectionArgs {
    /// Only these personas (repeatable).
    #[arg(long = "persona", value_name = "ID")]
    personas: Vec<String>,
    /// Only these configurations (repeatable).
    #[arg(long = "config", value_name = "NAME")]
    configs: Vec<String>,
    /// Only scenarios of these levels (comma-separated or repeated: `--level must,should`).
    #[arg(long = "level", value_enum, value_delimiter = ',')]
    levels: Vec<LevelArg>,
    /// Only case ids matching a glob (repeatable; `*` and `?`).
    #[arg(long = "include", value_name = "GLOB")]
    include: Vec<String>,
    /// Leave out case ids matching a glob (repeatable).
    #[arg(long = "exclude", value_name = "GLOB")]
    exclude: Vec<String>,
    /// Take the K-th of N disjoint parts of the selected cases: `K/N` round robin over the
    /// selection, `hash:K/N` by a hash of the case id (a case keeps its part when the
    /// catalogue changes).
    #[arg(long, value_name = "K/N|hash:K/N")]
    partition: Option<String>,
}

impl SelectionArgs {
    /// The flags as given, for the reports (`report.json`'s `selection`).
    pub fn report(&self) -> report::RunSelection {
        report::RunSelection {
            personas: self.personas.clone(),
            configs: self.configs.clone(),
            levels: self
                .levels
                .iter()
                .map(|l| l.level().as_str().to_owned())
                .collect(),
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            partition: self.partition.clone(),
            ..report::RunSelection::default()
        }
    }

    /// The selection, its personas, configurations and partition checked against the
    /// catalogue; errors name the flag.
    pub fn selection(&self, catalogue: &Catalogue) -> anyhow::Result<Selection> {
        let personas = self
            .personas
            .iter()
            .map(|n| {
                n.parse::<PersonaId>()
                    .map_err(|e| anyhow::anyhow!("--persona {n}: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        for c in &self.configs {
            if !catalogue.configs.iter().any(|k| &k.name == c) {
                anyhow::bail!(
                    "--config {c}: not defined in the configs.yaml of {}",
                    catalogue.root.display()
                );
            }
        }
        let partition = self
            .partition
            .as_deref()
            .map(conformance::parse_partition)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--partition: {e}"))?;
        Ok(Selection {
            personas,
            configs: self.configs.clone(),
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            levels: self.levels.iter().map(|l| l.level()).collect(),
            partition,
        })
    }
}

/// What `run` and `list` print when the selection matched no case (exit 4).
pub fn none_matched(total: usize) -> String {
    format!(
        "error: the selection matched none of the catalogue's {total} cases; nothing was run \
         (check --persona, --config, --level, --include, --exclude and --partition; \
         `scim-harness list` shows every case id)"
    )
}
