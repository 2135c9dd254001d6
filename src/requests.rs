//! Non-blocking calls: each runs as a task on the internal runtime, is
//! known by an id until its completion handler has returned, and can be
//! cancelled. A client waits for all of them when it is closed.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use tokio::sync::oneshot;

use crate::client::Client;
use crate::error::{Cancel, Error};
use crate::runtime;

/// Identifies a non-blocking call until its completion handler has run.
pub type RequestId = u64;

/// How many non-blocking calls of one client are on the wire at once; the
/// rest wait their turn inside dfx (cheaply: a queued call holds only its
/// arguments).
pub const MAX_CONCURRENT_REQUESTS: usize = 256;

/// What a cancelled call does with its request.
#[derive(Clone)]
pub enum OnCancel {
    /// Drop it (abort the exchange).
    Abort,
    /// Let it finish in the background, so its effect on the session (a
    /// renewed pair, a login) is stored and announced, never lost. Only the
    /// completion is reported as cancelled.
    Finish,
    /// A renew of an explicit pair: [`OnCancel::Finish`] if, when it is
    /// cancelled, the session holds the pair whose token this is (its new
    /// pair would be stored); else [`OnCancel::Abort`] — nothing would keep
    /// the new pair, so waiting for it protects nothing.
    FinishIfSessionHolds(SharedToken),
}

/// A token a call and its cancel rule share (one copy, not two: a queued
/// renew holds its request already); wiped when the last holder drops it.
/// Its `Debug` never shows the token.
#[derive(Clone)]
pub struct SharedToken(Arc<crate::secret::Zeroizing<String>>);

impl SharedToken {
    /// A copy of `token`, to share.
    pub fn new(token: &str) -> SharedToken {
        SharedToken(Arc::new(crate::secret::Zeroizing::new(token.to_owned())))
    }

    /// The token, for comparing with the session's pair.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SharedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedToken(..)")
    }
}

impl OnCancel {
    /// [`OnCancel::FinishIfSessionHolds`] for a renew of `token`'s pair.
    pub(crate) fn renew_of(token: &SharedToken) -> OnCancel {
        OnCancel::FinishIfSessionHolds(token.clone())
    }

    /// Whether a call cancelled now is carried through in the background.
    fn finishes(&self, client: &Client) -> bool {
        match self {
            OnCancel::Abort => false,
            OnCancel::Finish => true,
            OnCancel::FinishIfSessionHolds(token) => client.session().holds_token(token.as_str()),
        }
    }
}

tokio::task_local! {
    /// Set by the transport when a non-blocking call's request starts to
    /// leave, so a cancellation can say whether the server may have seen it.
    /// (Held by the call's own future: no allocation of its own.)
    static REQUEST_LEFT: Cell<bool>;
}

/// Note that the current non-blocking call's request is being written.
/// Outside a tracked call (blocking calls, Rust callers' own tasks) it
/// does nothing.
pub(crate) fn note_request_leaving() {
    let _ = REQUEST_LEFT.try_with(|left| left.set(true));
}

/// A queued call: everything it needs, boxed once. It is called exactly
/// once, to go on the wire or to complete as cancelled; dropped uncalled,
/// it still counts as finished.
type Job = Box<dyn FnOnce(Start) + Send>;

enum Start {
    /// Go on the wire, with this cancel switch.
    Wire(oneshot::Receiver<()>),
    /// Cancelled while queued: only report it.
    Cancelled,
}

/// A call whose completion has not been reported, and not cancelled.
enum Slot {
    /// Waiting for a place on the wire. No task exists for it yet: a queued
    /// call costs its arguments and this entry.
    Queued(Job),
    /// On the wire (a task runs it): its cancel switch.
    OnWire(oneshot::Sender<()>),
}

/// Hashes a request id (unique, handed out in order) with one multiply
/// instead of SipHash, which protects tables keyed by outsiders' data and
/// cost two ~300-instruction hashes per call here.
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by the u64 keys (write_u64 below); any other key still
        // hashes by every byte.
        for &b in bytes {
            self.write_u64(self.0 ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, id: u64) {
        // Fibonacci hashing: spreads consecutive ids over the high bits,
        // which hashbrown uses for its control bytes.
        self.0 = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

#[derive(Default)]
struct Tracker {
    calls: HashMap<RequestId, Slot, std::hash::BuildHasherDefault<IdHasher>>,
    /// Queued calls, first come first served. An id that is no longer
    /// `Queued` in `calls` was cancelled meanwhile and is skipped.
    queue: VecDeque<RequestId>,
    /// Places on the wire taken (at most [`MAX_CONCURRENT_REQUESTS`]).
    on_wire: usize,
    /// Set once the client is closing: new calls are refused.
    closing: bool,
}

impl Tracker {
    /// The next queued call, if a place on the wire is free: the place is
    /// taken and its cancel switch put in the call's slot. The caller starts
    /// it (after unlocking).
    fn next_to_start(&mut self) -> Option<(Job, oneshot::Receiver<()>)> {
        while self.on_wire < MAX_CONCURRENT_REQUESTS {
            let id = self.queue.pop_front()?;
            let Some(slot) = self.calls.get_mut(&id) else {
                continue; // cancelled while queued
            };
            if !matches!(slot, Slot::Queued(_)) {
                continue;
            }
            let (cancel_tx, cancel_rx) = oneshot::channel();
            if let Slot::Queued(job) = std::mem::replace(slot, Slot::OnWire(cancel_tx)) {
                self.on_wire += 1;
                return Some((job, cancel_rx));
            }
        }
        None
    }
}

/// The non-blocking calls of one client.
pub(crate) struct Requests {
    next_id: AtomicU64,
    tracker: Mutex<Tracker>,
    /// Calls not yet finished: queued, completion not yet returned, or a
    /// cancelled call still finishing in the background. Counted outside
    /// the lock: a call that finishes takes no lock (unless the client is
    /// closing), so an application thread woken by its callback never
    /// waits for the thread that ran it (issue 15: on one CPU that cost two
    /// context switches per call).
    running: AtomicUsize,
    /// Set (also under the lock) when the client starts closing: the last
    /// call to finish then wakes [`Requests::wait_idle`].
    closing: AtomicBool,
    idle: Condvar,
}

impl Default for Requests {
    fn default() -> Requests {
        Requests {
            next_id: AtomicU64::new(1),
            tracker: Mutex::default(),
            running: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            idle: Condvar::new(),
        }
    }
}

impl Requests {
    fn lock(&self) -> MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn finished(&self) {
        // SeqCst with `close_and_cancel_all`'s store and `wait_idle`'s load:
        // either this sees `closing`, or the closer sees no call running.
        if self.running.fetch_sub(1, Ordering::SeqCst) == 1 && self.closing.load(Ordering::SeqCst) {
            // Under the lock: a closer between its check and its wait
            // cannot miss this.
            let _t = self.lock();
            self.idle.notify_all();
        }
    }

    /// Start the next queued call if there is room on the wire.
    fn start_next(&self) {
        let next = self.lock().next_to_start();
        if let Some((job, cancel_rx)) = next {
            job(Start::Wire(cancel_rx));
        }
    }

    /// Cancel one call. Unknown or finished ids are ignored. Returns whether
    /// a pending call was found.
    pub(crate) fn cancel(&self, id: RequestId) -> bool {
        let slot = self.lock().calls.remove(&id);
        slot.map(Slot::cancel).is_some()
    }

    /// Refuse new calls from now on, and cancel every pending one.
    pub(crate) fn close_and_cancel_all(&self) {
        let slots: Vec<Slot> = {
            let mut t = self.lock();
            t.closing = true;
            self.closing.store(true, Ordering::SeqCst);
            t.queue.clear();
            t.calls.drain().map(|(_, s)| s).collect()
        };
        slots.into_iter().for_each(Slot::cancel);
    }

    /// Block until no call of this client is running any more.
    pub(crate) fn wait_idle(&self) {
        let mut t = self.lock();
        while self.running.load(Ordering::SeqCst) > 0 {
            t = self.idle.wait(t).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// How many calls are running.
    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }
}

impl Slot {
    /// Cancel a call taken out of the tracker (not under its lock).
    fn cancel(self) {
        match self {
            Slot::Queued(job) => job(Start::Cancelled),
            Slot::OnWire(switch) => {
                let _ = switch.send(());
            }
        }
    }
}

/// Decrements the running count when dropped: after a completion handler
/// returned, or when a task or a queued call is dropped without running
/// (runtime shutdown).
struct Running(Arc<crate::client::Shared>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.requests.finished();
    }
}

/// A place on the wire; given back when dropped, which starts the next
/// queued call. (The runtime is never shut down, so a task is not dropped
/// unpolled and this does not recurse through the queue.)
struct Wire(Arc<crate::client::Shared>);

impl Drop for Wire {
    fn drop(&mut self) {
        let requests = &self.0.requests;
        requests.lock().on_wire -= 1;
        requests.start_next();
    }
}

impl Client {
    /// Start `call` without blocking and return its id at once.
    /// `publish` receives the id before the call can complete;
    /// `complete` is then called exactly once, on an internal thread, with
    /// the call's result, or [`Error::Cancelled`] if [`Client::cancel`]
    /// came first. After [`Client::close`] it fails at once with
    /// [`Cancel::ClientClosing`] and `complete` is never called.
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
        let running = Running(shared.clone());
        let client = self.clone();
        // No task until the call may go on the wire: a queued call is this
        // one box (its arguments are inside `call`).
        let job: Job = Box::new(move |start| match start {
            Start::Cancelled => {
                rt.spawn(async move {
                    // A panicking handler must not skip the bookkeeping below.
                    let cancelled = Err(Error::Cancelled(Cancel::BeforeSent));
                    let _ = catch_unwind(AssertUnwindSafe(move || complete(cancelled)));
                    drop(running);
                });
            }
            Start::Wire(mut cancel_rx) => {
                let wire = Wire(running.0.clone());
                runtime::start(rt, async move {
                    let running = running;
                    let mut wire = Some(wire);
                    // Inside this task, not boxed apart: a call carried
                    // through after a cancel goes on being polled here.
                    let call = CatchPanic(REQUEST_LEFT.scope(Cell::new(false), call(client.clone())));
                    let mut call = std::pin::pin!(call);
                    let mut carry_on = false;
                    let result = if !matches!(cancel_rx.try_recv(), Err(oneshot::error::TryRecvError::Empty)) {
                        // Cancelled before it started: nothing was sent.
                        Err(Error::Cancelled(Cancel::BeforeSent))
                    } else {
                        tokio::select! {
                            biased;
                            result = call.as_mut() => result,
                            _ = &mut cancel_rx => {
                                if on_cancel.finishes(&client) {
                                    // Carried through below, after the completion.
                                    carry_on = true;
                                    Err(Error::Cancelled(Cancel::FinishingInBackground))
                                } else if call.as_mut().inner().take_value().is_some_and(|left| left.get()) {
                                    Err(Error::Cancelled(Cancel::AfterSent))
                                } else {
                                    Err(Error::Cancelled(Cancel::BeforeSent))
                                }
                            }
                        }
                    };
                    // The place on the wire is given back before the
                    // completion runs, unless the call is carried on.
                    if !carry_on {
                        drop(wire.take());
                    }
                    running.0.requests.lock().calls.remove(&id);
                    // Completions run on dfx's threads, never inside the call
                    // that started this one (it may have failed at once).
                    runtime::to_runtime().await;
                    // A panicking handler must not skip the bookkeeping below.
                    let _ = catch_unwind(AssertUnwindSafe(move || complete(result)));
                    if carry_on {
                        // Its effect on the session is stored; the client
                        // (`running`) stays open until it is done.
                        let _ = call.await;
                    }
                    drop(wire);
                    drop(running);
                });
            }
        });
        {
            let mut t = requests.lock();
            requests.running.fetch_add(1, Ordering::SeqCst);
            if t.closing {
                drop(t);
                // Dropping the job uncalled counts it as finished.
                drop(job);
                return Err(Error::Cancelled(Cancel::ClientClosing));
            }
            t.calls.insert(id, Slot::Queued(job));
        }
        publish(id);
        // Only now may it start (and so complete).
        let next = {
            let mut t = requests.lock();
            t.queue.push_back(id);
            t.next_to_start()
        };
        if let Some((job, cancel_rx)) = next {
            job(Start::Wire(cancel_rx));
        }
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

    /// Refuse new non-blocking calls (they fail at once with
    /// [`Cancel::ClientClosing`]), cancel every pending one and, unless
    /// called from an internal thread (a completion handler), wait until all
    /// of them have finished. Returns whether it waited.
    pub fn close(&self) -> bool {
        let requests = &self.shared().requests;
        requests.close_and_cancel_all();
        if runtime::on_runtime_thread() {
            return false;
        }
        requests.wait_idle();
        true
    }
}

/// A call's future whose panic becomes [`Error::Internal`], so its
/// completion still runs exactly once.
struct CatchPanic<F>(F);

impl<F> CatchPanic<F> {
    fn inner(self: Pin<&mut Self>) -> Pin<&mut F> {
        // SAFETY: structural pinning: the field is never moved out of a
        // pinned CatchPanic (no method hands it out unpinned, no Drop).
        unsafe { self.map_unchecked_mut(|c| &mut c.0) }
    }
}

impl<T, F: Future<Output = Result<T, Error>>> Future for CatchPanic<F> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(poll) => poll,
            Err(_) => Poll::Ready(Err(Error::Internal("a panic was caught in a request".into()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

    use super::IdHasher;

    #[test]
    fn id_hashes_differ_and_spread_over_the_high_bits() {
        let build = BuildHasherDefault::<IdHasher>::default();
        let hashes: Vec<u64> = (1..=4096u64).map(|id| build.hash_one(id)).collect();
        let mut distinct = hashes.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), hashes.len(), "one hash per id");
        // hashbrown takes its control byte from the top 7 bits.
        let mut top: Vec<u64> = hashes.iter().map(|h| h >> 57).collect();
        top.sort_unstable();
        top.dedup();
        assert!(top.len() > 100, "consecutive ids fill the control bytes: {}", top.len());
        // Bytes (no key of this map is) still hash by content.
        let by_bytes = |bytes: &[u8]| {
            let mut h = IdHasher::default();
            h.write(bytes);
            h.finish()
        };
        assert_ne!(by_bytes(b"ab"), by_bytes(b"ba"));
        assert_ne!(by_bytes(b"a"), by_bytes(b"b"));
    }
}
