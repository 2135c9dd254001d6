//! Non-blocking calls: each runs as a task on the internal runtime, is
//! known by an id until its completion handler has returned, and can be
//! cancelled. A client waits for all of them when it is closed.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use tokio::sync::{oneshot, Semaphore};

use crate::client::Client;
use crate::error::Error;
use crate::runtime;

/// Identifies a non-blocking call until its completion handler has run.
pub type RequestId = u64;

/// How many non-blocking calls of one client are on the wire at once; the
/// rest wait their turn inside dfx (cheaply: a queued call holds only its
/// arguments).
pub const MAX_CONCURRENT_REQUESTS: usize = 256;

/// What a cancelled call does with its request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum OnCancel {
    /// Drop it (abort the exchange).
    Abort,
    /// Let it finish in the background, so its effect on the session (a
    /// renewed pair, a login) is stored and announced, never lost. Only the
    /// completion is reported as cancelled.
    Finish,
}

#[derive(Default)]
struct Tracker {
    /// Cancel switches of calls whose completion has not been reported.
    cancels: HashMap<RequestId, oneshot::Sender<()>>,
    /// Tasks not yet finished: completion not yet returned, or a cancelled
    /// call still finishing in the background.
    running: usize,
}

/// The non-blocking calls of one client.
pub(crate) struct Requests {
    next_id: AtomicU64,
    tracker: Mutex<Tracker>,
    idle: Condvar,
    wire: Arc<Semaphore>,
}

impl Default for Requests {
    fn default() -> Requests {
        Requests {
            next_id: AtomicU64::new(1),
            tracker: Mutex::default(),
            idle: Condvar::new(),
            wire: Arc::new(Semaphore::new(MAX_CONCURRENT_REQUESTS)),
        }
    }
}

impl Requests {
    fn lock(&self) -> MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn finished(&self) {
        let mut t = self.lock();
        t.running -= 1;
        if t.running == 0 {
            self.idle.notify_all();
        }
    }

    /// Cancel one call. Unknown or finished ids are ignored. Returns whether
    /// a pending call was found.
    pub(crate) fn cancel(&self, id: RequestId) -> bool {
        let switch = self.lock().cancels.remove(&id);
        switch.map(|s| s.send(())).is_some()
    }

    /// Cancel every pending call.
    pub(crate) fn cancel_all(&self) {
        let switches: Vec<_> = self.lock().cancels.drain().map(|(_, s)| s).collect();
        for s in switches {
            let _ = s.send(());
        }
    }

    /// Block until no call of this client is running any more.
    pub(crate) fn wait_idle(&self) {
        let mut t = self.lock();
        while t.running > 0 {
            t = self.idle.wait(t).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// How many calls are running.
    pub(crate) fn running(&self) -> usize {
        self.lock().running
    }
}

/// Decrements the running count when dropped: after a completion handler
/// returned, or when a task is dropped without running (runtime shutdown).
struct Running(Arc<crate::client::Shared>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.requests.finished();
    }
}

impl Client {
    /// Start `call` without blocking and return its id at once.
    /// `publish` receives the id before the call can complete;
    /// `complete` is then called exactly once, on an internal thread, with
    /// the call's result, or [`Error::Cancelled`] if [`Client::cancel`]
    /// came first.
    pub fn spawn<T, F, Fut>(
        &self,
        on_cancel: OnCancel,
        call: F,
        publish: impl FnOnce(RequestId),
        complete: impl FnOnce(Result<T, Error>) + Send + 'static,
    ) -> Result<RequestId, Error>
    where
        T: Send + 'static,
        F: FnOnce(Client) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let rt = runtime::get()?;
        let shared = self.shared();
        let requests = &shared.requests;
        let id = requests.next_id.fetch_add(1, Ordering::Relaxed);
        let (cancel_tx, mut cancel_rx) = oneshot::channel::<()>();
        {
            let mut t = requests.lock();
            t.cancels.insert(id, cancel_tx);
            t.running += 1;
        }
        publish(id);
        let running = Running(shared.clone());
        let wire = requests.wire.clone();
        let client = self.clone();
        rt.spawn(async move {
            let running = running;
            // Queued calls hold only their arguments: the call's future is
            // made (and boxed) once it may go on the wire.
            let result = tokio::select! {
                biased;
                _ = &mut cancel_rx => Err(Error::Cancelled),
                permit = wire.acquire_owned() => match permit {
                    Err(_) => Err(Error::Cancelled),
                    Ok(permit) => {
                        let mut call = CatchPanic(Box::pin(call(client)));
                        tokio::select! {
                            biased;
                            result = &mut call => result,
                            _ = &mut cancel_rx => {
                                if on_cancel == OnCancel::Finish {
                                    // Carry it through; keep the client open until done.
                                    running.0.requests.lock().running += 1;
                                    let still = Running(running.0.clone());
                                    tokio::spawn(async move {
                                        let _ = call.await;
                                        drop((permit, still));
                                    });
                                }
                                Err(Error::Cancelled)
                            }
                        }
                    }
                },
            };
            running.0.requests.lock().cancels.remove(&id);
            // A panicking handler must not skip the bookkeeping below.
            let _ = catch_unwind(AssertUnwindSafe(move || complete(result)));
            drop(running);
        });
        Ok(id)
    }

    /// Cancel a non-blocking call: its completion runs (once) with
    /// [`Error::Cancelled`] unless it had already completed. Unknown ids
    /// are ignored.
    pub fn cancel(&self, id: RequestId) -> bool {
        self.shared().requests.cancel(id)
    }

    /// How many non-blocking calls have not finished.
    pub fn requests_running(&self) -> usize {
        self.shared().requests.running()
    }

    /// Cancel every non-blocking call and, unless called from an internal
    /// thread (a completion handler), wait until all of them have finished.
    /// Returns whether it waited.
    pub fn close(&self) -> bool {
        let requests = &self.shared().requests;
        requests.cancel_all();
        if runtime::on_runtime_thread() {
            return false;
        }
        requests.wait_idle();
        true
    }
}

/// A call's future whose panic becomes [`Error::Internal`], so its
/// completion still runs exactly once.
struct CatchPanic<F>(Pin<Box<F>>);

impl<T, F: Future<Output = Result<T, Error>>> Future for CatchPanic<F> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(_) => Poll::Ready(Err(Error::Internal("a panic was caught in a request".into()))),
        }
    }
}
