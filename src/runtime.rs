//! The runtimes: one runtime per process for the `_async` calls and the
//! measurement streams, and for blocking calls a single-threaded runtime
//! per calling thread, which that thread drives itself during the call.
//!
//! The process runtime is built lazily on first use (nothing happens at load
//! time): a single-threaded tokio runtime driven by one thread of its own,
//! `dfx-worker`. An `_async` call made from an application's thread takes
//! its first steps on that thread ([`start`]: prepare, write the request,
//! register for the answer) and `dfx-worker` reads the answer and runs the
//! callback. One thread, not a pool: at one call in flight a pool's
//! hand-offs (wake a worker, which wakes another to look for work) cost
//! more than the call, and on the two CPUs the library is measured on the
//! application's thread and `dfx-worker` already share the work (issue 15,
//! bench/README.md). The runtime is never dropped: dropping a runtime on
//! one of its own threads or during process exit panics or hangs, and a
//! library cannot know when its host is done with it.
//!
//! After `fork()` only the forking thread exists in the child, so the
//! inherited runtime has no workers. A runtime remembers the fork
//! generation it was built in (see [`fork_generation`]); a child builds (and
//! keeps) a fresh one and leaks the inherited one.
//!
//! A lock another thread held at the fork stays locked in the child for
//! ever. So dfx's short-held locks (connection pools, lookups) and the
//! building of a runtime are [`fork_safe`] sections: a `pthread_atfork`
//! handler makes `fork()` wait until no thread is inside one (and keeps
//! new ones out until it returns). No section waits for anything but
//! another section, so the wait is short.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::future::Future;
use std::pin::Pin;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

use once_cell::sync::OnceCell;
use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::JoinHandle;

use crate::error::Error;

struct Built {
    generation: u64,
    runtime: &'static Runtime,
}

/// How many `fork()`s this process descends from since dfx first made a
/// runtime: bumped in the child by a `pthread_atfork` handler. Reading it is
/// one atomic load (comparing PIDs would cost a system call per call).
static FORKS: AtomicU64 = AtomicU64::new(0);
static WATCH_FORKS: Once = Once::new();

/// Set while a fork() waits for the sections to empty and is under way.
static FORKING: AtomicBool = AtomicBool::new(false);
/// Threads inside a [`fork_safe`] section.
static INSIDE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// How deep this thread is in [`fork_safe`] sections.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

#[cfg(unix)]
extern "C" fn before_fork() {
    FORKING.store(true, Ordering::SeqCst);
    while INSIDE.load(Ordering::SeqCst) != 0 {
        std::thread::yield_now();
    }
}

#[cfg(unix)]
extern "C" fn forked_parent() {
    FORKING.store(false, Ordering::SeqCst);
}

#[cfg(unix)]
extern "C" fn forked_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
    FORKING.store(false, Ordering::SeqCst);
}

/// Inside a [`fork_safe`] section until dropped.
pub(crate) struct Section(std::marker::PhantomData<*const ()>);

impl Section {
    pub(crate) fn enter() -> Section {
        // The handlers are registered before any section is entered.
        fork_generation();
        DEPTH.with(|depth| {
            // A section inside a section of this thread's: already counted
            // (waiting here for a fork that waits for us would never end).
            if depth.get() == 0 {
                loop {
                    INSIDE.fetch_add(1, Ordering::SeqCst);
                    if !FORKING.load(Ordering::SeqCst) {
                        break;
                    }
                    INSIDE.fetch_sub(1, Ordering::SeqCst);
                    while FORKING.load(Ordering::SeqCst) {
                        std::thread::yield_now();
                    }
                }
            }
            depth.set(depth.get() + 1);
        });
        Section(std::marker::PhantomData)
    }
}

impl Drop for Section {
    fn drop(&mut self) {
        DEPTH.with(|depth| {
            depth.set(depth.get() - 1);
            if depth.get() == 0 {
                INSIDE.fetch_sub(1, Ordering::SeqCst);
            }
        });
    }
}

/// Run `f` where no fork() can happen: a child never inherits what it
/// does half-done (a lock held, a runtime half-built). `f` must hold
/// locks only briefly and wait for nothing but other sections.
pub(crate) fn fork_safe<T>(f: impl FnOnce() -> T) -> T {
    let _inside = Section::enter();
    f()
}

/// A lock taken in a [`fork_safe`] section (poisoning ignored: what the
/// locks guard is consistent between statements).
pub(crate) struct ForkSafeGuard<'a, T> {
    // Unlocked before the section is left (fields drop in order).
    guard: MutexGuard<'a, T>,
    _inside: Section,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> ForkSafeGuard<'_, T> {
    let inside = Section::enter();
    ForkSafeGuard { guard: mutex.lock().unwrap_or_else(|p| p.into_inner()), _inside: inside }
}

impl<T> std::ops::Deref for ForkSafeGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> std::ops::DerefMut for ForkSafeGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

/// The current fork generation (see [`FORKS`]). The handler is registered
/// the first time anyone asks, which is before any runtime or connection
/// exists: nothing is done at load time.
pub(crate) fn fork_generation() -> u64 {
    WATCH_FORKS.call_once(|| {
        #[cfg(unix)]
        // SAFETY: registers handlers that only use atomics and sched_yield
        // (async-signal-safe).
        unsafe {
            libc::pthread_atfork(Some(before_fork), Some(forked_parent), Some(forked_child));
        }
    });
    FORKS.load(Ordering::Relaxed)
}

static FIRST: OnceCell<Built> = OnceCell::new();
static AFTER_FORK: Mutex<Option<Built>> = Mutex::new(None);

fn build() -> Result<&'static Runtime, Error> {
    let runtime = Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::Internal(format!("could not start the runtime: {e}")))?;
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    std::thread::Builder::new()
        .name("dfx-worker".into())
        .spawn(move || {
            DFX_WORKER.with(|w| w.set(true));
            crate::transport::sigpipe::block_in_this_thread();
            runtime.block_on(std::future::pending::<()>())
        })
        .map_err(|e| Error::Internal(format!("could not start the runtime's thread: {e}")))?;
    Ok(runtime)
}

/// The process's runtime, built on first use (in a fork-safe section: a
/// child never inherits one half-built).
pub(crate) fn get() -> Result<&'static Runtime, Error> {
    let generation = fork_generation();
    if let Some(first) = FIRST.get().filter(|first| first.generation == generation) {
        return Ok(first.runtime);
    }
    fork_safe(|| get_or_build(generation))
}

fn get_or_build(generation: u64) -> Result<&'static Runtime, Error> {
    let first = FIRST.get_or_try_init(|| build().map(|runtime| Built { generation, runtime }))?;
    if first.generation == generation {
        return Ok(first.runtime);
    }
    // In a forked child.
    let mut slot = AFTER_FORK.lock().unwrap_or_else(|p| p.into_inner());
    match slot.as_ref() {
        Some(b) if b.generation == generation => Ok(b.runtime),
        _ => {
            let runtime = build()?;
            *slot = Some(Built { generation, runtime });
            Ok(runtime)
        }
    }
}

/// Whether the calling thread is driving a tokio runtime (a dfx worker, a
/// dfx callback, or a task of the caller's own runtime).
pub(crate) fn on_runtime_thread() -> bool {
    Handle::try_current().is_ok()
}

thread_local! {
    /// This thread's own single-threaded runtime for blocking calls.
    /// (fork generation that built it, runtime): a forked child builds its own.
    static LOCAL: RefCell<Option<(u64, Rc<Runtime>)>> = const { RefCell::new(None) };
    /// Whether this thread is inside a blocking call.
    static IN_BLOCKING: Cell<bool> = const { Cell::new(false) };
    /// Whether this thread is a worker of dfx's process runtime.
    static DFX_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is one of dfx's runtime workers (where the
/// `_async` calls' pooled sockets are registered).
pub(crate) fn on_dfx_worker() -> bool {
    DFX_WORKER.with(Cell::get)
}

/// Run `work` on dfx's runtime and await it from anywhere (a caller's own
/// runtime included): sockets and their pools then only ever belong to
/// dfx's runtime, which outlives every caller's. Dropping the returned
/// future aborts the task.
pub(crate) async fn on_dfx_runtime<T, F>(work: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: Future<Output = Result<T, Error>> + Send + 'static,
{
    AbortOnDrop(get()?.spawn(work)).await
}

thread_local! {
    /// Set while a caller's thread polls a new `_async` call for the first
    /// time (see [`start`]).
    static INLINE: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is making the first poll of an `_async` call on
/// behalf of dfx's runtime (see [`start`]): code that must run on dfx's
/// threads (completions, session changes, reading answers) waits for the
/// runtime instead.
pub(crate) fn polling_inline() -> bool {
    INLINE.with(Cell::get)
}

/// Run `task` on dfx's runtime `rt`. From a thread that drives no runtime
/// (an application's thread making an `_async` call) its first poll runs
/// right here, inside `rt`'s context: the call prepares and writes its
/// request and registers for its answer, and the runtime's thread is not
/// woken for it — epoll wakes it when the answer arrives, and only then
/// does the task exist on the runtime. Issue 15's profile: at one call in
/// flight the hand-off to a worker and back cost more than the call (7.4
/// context switches per renew against libcurl multi's 1).
///
/// The task must not finish its work during that poll: it checks
/// [`polling_inline`] and yields ([`to_runtime`]) before anything that must
/// run on dfx's threads.
pub(crate) fn start<F>(rt: &'static Runtime, task: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    if on_runtime_thread() {
        rt.spawn(task);
        return;
    }
    let parked = Arc::new(Parked { rt, state: Mutex::new(Stage::Polling) });
    let waker = Waker::from(parked.clone());
    let mut task: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(task);
    let done = {
        let _context = rt.enter();
        INLINE.with(|inline| inline.set(true));
        let _reset = ResetInline;
        catch_unwind(AssertUnwindSafe(|| task.as_mut().poll(&mut Context::from_waker(&waker))))
    };
    match done {
        // Done, or panicked outside the call's own CatchPanic (dfx's
        // bookkeeping): dropped, as tokio drops a task that panicked (its
        // guards still count it finished). Never polled again.
        Ok(Poll::Ready(())) | Err(_) => {}
        Ok(Poll::Pending) => {
            let mut state = parked.state.lock().unwrap_or_else(|p| p.into_inner());
            if matches!(*state, Stage::Woken) {
                *state = Stage::Spawned;
                drop(state);
                rt.spawn(task);
            } else {
                *state = Stage::Waiting(task);
            }
        }
    }
}

struct ResetInline;

impl Drop for ResetInline {
    fn drop(&mut self) {
        INLINE.with(|inline| inline.set(false));
    }
}

/// Where a task started by [`start`] is.
enum Stage {
    /// Its first poll is under way.
    Polling,
    /// Woken during its first poll: spawn it when that poll returns.
    Woken,
    /// Polled once, waiting for its first wake-up.
    Waiting(Pin<Box<dyn Future<Output = ()> + Send>>),
    /// Handed to the runtime (which polls it with the task's own waker).
    Spawned,
}

/// The waker of a task's first poll: its first wake-up hands the task to
/// the runtime — on the runtime's own thread when epoll or a timer woke it,
/// which queues it there without waking anyone.
struct Parked {
    rt: &'static Runtime,
    state: Mutex<Stage>,
}

impl Wake for Parked {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let task = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            match std::mem::replace(&mut *state, Stage::Spawned) {
                Stage::Polling => {
                    *state = Stage::Woken;
                    None
                }
                Stage::Waiting(task) => Some(task),
                other => {
                    *state = other;
                    None
                }
            }
        };
        if let Some(task) = task {
            self.rt.spawn(task);
        }
    }
}

/// Yield once if this is a first poll on a caller's thread ([`start`]):
/// the rest runs on dfx's runtime.
pub(crate) async fn to_runtime() {
    std::future::poll_fn(|cx| {
        if !polling_inline() {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// A task's handle that aborts the task when dropped.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<Result<T, Error>> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|joined| joined.unwrap_or_else(|e| Err(Error::Internal(format!("the request task failed: {e}")))))
    }
}

/// Whether the calling thread is inside a blocking dfx call (so its
/// requests use this thread's own connection pool).
pub(crate) fn in_blocking_call() -> bool {
    IN_BLOCKING.with(Cell::get)
}

struct BlockingGuard;

impl Drop for BlockingGuard {
    fn drop(&mut self) {
        IN_BLOCKING.with(|b| b.set(false));
    }
}

/// Run `fut` to completion on the calling thread. The thread drives the
/// I/O of its own requests itself, on a single-threaded runtime of its own
/// (built on its first blocking call, dropped when the thread exits), so a
/// blocking call costs no hand-off to another thread and back. Refuses
/// (instead of panicking or hanging) when called from a thread that already
/// drives a runtime.
pub(crate) fn block_on<F: Future>(fut: F) -> Result<F::Output, Error> {
    if on_runtime_thread() {
        return Err(Error::WouldDeadlock);
    }
    let generation = fork_generation();
    let rt = LOCAL.with(|local| -> Result<Rc<Runtime>, Error> {
        let mut local = local.borrow_mut();
        match local.as_ref() {
            Some((built_in, rt)) if *built_in == generation => return Ok(rt.clone()),
            // Inherited through fork(): its I/O driver is shared with the
            // parent. Leak it (never drop a runtime we cannot shut down).
            Some(_) => std::mem::forget(local.take()),
            None => {}
        }
        let rt = Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| Error::Internal(format!("could not start this thread's runtime: {e}")))?;
        let rt = Rc::new(rt);
        *local = Some((generation, rt.clone()));
        Ok(rt)
    })?;
    // hyper's connections (proxied calls) may write on this thread while
    // its runtime runs, whatever the call: no SIGPIPE meanwhile.
    let _quiet = crate::transport::sigpipe::Suppressed::for_blocking_call();
    IN_BLOCKING.with(|b| b.set(true));
    let _guard = BlockingGuard;
    Ok(rt.block_on(fut))
}
