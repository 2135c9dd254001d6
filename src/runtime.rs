//! The one internal tokio runtime of the process.
//!
//! Built lazily on first use (nothing happens at load time), with two worker
//! threads named `dfx-worker`. It is never dropped: dropping a runtime on one
//! of its own threads or during process exit panics or hangs, and a library
//! cannot know when its host is done with it.
//!
//! After `fork()` only the forking thread exists in the child, so the
//! inherited runtime has no workers. The runtime remembers the PID that built
//! it; a child builds (and keeps) a fresh one and leaks the inherited one.

use std::future::Future;
use std::sync::Mutex;

use once_cell::sync::OnceCell;
use tokio::runtime::{Builder, Handle, Runtime};

use crate::error::Error;

const WORKER_THREADS: usize = 2;

struct Built {
    pid: u32,
    runtime: &'static Runtime,
}

static FIRST: OnceCell<Built> = OnceCell::new();
static AFTER_FORK: Mutex<Option<Built>> = Mutex::new(None);

fn build() -> Result<&'static Runtime, Error> {
    let runtime = Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .thread_name("dfx-worker")
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::Internal(format!("could not start the runtime: {e}")))?;
    Ok(Box::leak(Box::new(runtime)))
}

/// The process's runtime, built on first use.
pub(crate) fn get() -> Result<&'static Runtime, Error> {
    let pid = std::process::id();
    let first = FIRST.get_or_try_init(|| build().map(|runtime| Built { pid, runtime }))?;
    if first.pid == pid {
        return Ok(first.runtime);
    }
    // In a forked child.
    let mut slot = AFTER_FORK.lock().unwrap_or_else(|p| p.into_inner());
    match slot.as_ref() {
        Some(b) if b.pid == pid => Ok(b.runtime),
        _ => {
            let runtime = build()?;
            *slot = Some(Built { pid, runtime });
            Ok(runtime)
        }
    }
}

/// Whether the calling thread is driving a tokio runtime (a dfx worker, a
/// dfx callback, or a task of the caller's own runtime).
pub(crate) fn on_runtime_thread() -> bool {
    Handle::try_current().is_ok()
}

/// Run `fut` to completion on the calling thread, with the internal
/// runtime's I/O and timers. Refuses (instead of panicking or hanging) when
/// called from a thread that already drives a runtime.
pub(crate) fn block_on<F: Future>(fut: F) -> Result<F::Output, Error> {
    if on_runtime_thread() {
        return Err(Error::WouldDeadlock);
    }
    Ok(get()?.block_on(fut))
}
