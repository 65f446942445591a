//! A reference target on a background task: started, waited for until it listens, and
//! stopped on request or when dropped. Tests and the embedded target start it this way.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use anyhow::Context;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::{serve_app, serve_with_faults, AppState, FaultSet, ServeOptions};

/// What `ready` hands a serve function, boxed so [`start`] can name it.
type Ready = Box<dyn FnOnce(SocketAddr) + Send>;
/// The shutdown signal a serve function waits for.
type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A reference target serving on a tokio task. Dropping it asks the server to stop
/// without waiting; [`RunningTarget::stop`] also waits and returns what serving
/// returned.
#[derive(Debug)]
pub struct RunningTarget {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl RunningTarget {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://` and the address.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Ask the server to stop, let in-flight requests drain, and return what serving
    /// returned. A panic in the server task is resumed here.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => joined(task.await),
            None => Ok(()),
        }
    }
}

impl Drop for RunningTarget {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// What the server task returned; a panic is resumed.
fn joined(result: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    match result {
        Ok(served) => served,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// Start [`serve_with_faults`] on a tokio task and wait until it listens (bind to
/// `127.0.0.1:0` for a free port). Fails with serving's error when it ends before
/// listening.
pub async fn spawn(opts: ServeOptions, faults: FaultSet) -> anyhow::Result<RunningTarget> {
    start(move |ready, shutdown| serve_with_faults(opts, faults, ready, shutdown)).await
}

/// [`spawn`] for a state the caller builds, once bound, for the bound address (a fixed
/// clock, trusted IdPs held in memory, a root URL from the address). `state` runs on a
/// blocking thread, as opening the database does.
pub async fn spawn_app<S>(listen: SocketAddr, state: S) -> anyhow::Result<RunningTarget>
where
    S: FnOnce(SocketAddr) -> anyhow::Result<AppState> + Send + 'static,
{
    start(move |ready, shutdown| async move {
        let (listener, local) = crate::bind(listen).await?;
        let state = tokio::task::spawn_blocking(move || state(local))
            .await
            .context("building the state on a blocking thread")??;
        ready(local);
        serve_app(listener, local, state, shutdown).await
    })
    .await
}

/// Run `serve` on a task with a `ready` that reports the address and a shutdown signal
/// of our own, and wait for the address.
async fn start<S, F>(serve: S) -> anyhow::Result<RunningTarget>
where
    S: FnOnce(Ready, Shutdown) -> F,
    F: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let (ready_tx, ready_rx) = oneshot::channel();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let ready: Ready = Box::new(move |addr| {
        let _ = ready_tx.send(addr);
    });
    let shutdown: Shutdown = Box::pin(async move {
        let _ = stop_rx.await;
    });
    let task = tokio::spawn(serve(ready, shutdown));
    match ready_rx.await {
        Ok(addr) => Ok(RunningTarget {
            addr,
            shutdown: Some(stop_tx),
            task: Some(task),
        }),
        Err(_) => match task.await {
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) => Err(anyhow::anyhow!("it stopped before listening")),
            Err(e) => Err(anyhow::anyhow!("{e}")),
        },
    }
}
