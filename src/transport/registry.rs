//! The blocking connections of each transport, whichever threads keep
//! them, so that they close when they should even if the thread that keeps
//! one makes no more calls:
//! * when the transport is dropped (its client is freed): [`Registry::close`]
//!   shuts them all down at once;
//! * when one has been idle for its idle limit (30 s): a reaper thread,
//!   `dfx-reaper`, shuts it down. It runs only while some blocking
//!   connection is idle and sleeps until the next one's time is up.
//!
//! Each entry holds a copy of the connection's socket (`try_clone`): a
//! shut-down socket shows as closed to the server at once; the thread that
//! keeps the connection drops what is left of it (its file descriptor) at
//! its next call or when it exits. A connection is never shut down while a
//! call uses it: taking it for a call and reaping it are one atomic swap
//! each on its idle mark, and only one of them wins.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::runtime::{fork_generation, lock, ForkSafeGuard};

/// An idle mark: a call uses the connection.
const IN_USE: u64 = 0;
/// An idle mark: the reaper shut the connection down.
const REAPED: u64 = u64::MAX;

/// Now as an idle mark: milliseconds since the first mark, plus 1.
fn now_mark() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    u64::try_from(EPOCH.get_or_init(Instant::now).elapsed().as_millis()).unwrap_or(REAPED - 1) + 1
}

/// The blocking connections of one transport.
pub(crate) struct Registry {
    /// Set when the transport is dropped.
    closed: AtomicBool,
    sockets: Mutex<Sockets>,
}

#[derive(Default)]
struct Sockets {
    next: u64,
    open: Vec<Open>,
}

struct Open {
    id: u64,
    /// `runtime::fork_generation()` when it was opened.
    generation: u64,
    /// A copy of the connection's socket.
    copy: TcpStream,
    mark: Arc<AtomicU64>,
    idle_limit: Duration,
}

impl Registry {
    /// A registry, known to the reaper.
    pub(crate) fn new() -> Arc<Registry> {
        let registry = Arc::new(Registry { closed: AtomicBool::new(false), sockets: Mutex::default() });
        let mut all = lock(&REAPER.registries);
        all.retain(|r| r.strong_count() > 0);
        all.push(Arc::downgrade(&registry));
        registry
    }

    fn sockets(&self) -> ForkSafeGuard<'_, Sockets> {
        lock(&self.sockets)
    }

    /// Note a new connection (in use). Without a copy of its socket (out
    /// of file descriptors) it still works, and closes when its thread
    /// drops it.
    pub(super) fn register(self: &Arc<Self>, tcp: &TcpStream, idle_limit: Duration) -> Registered {
        let mark = Arc::new(AtomicU64::new(IN_USE));
        let id = tcp.try_clone().ok().map(|copy| {
            let mut sockets = self.sockets();
            sockets.next += 1;
            let id = sockets.next;
            sockets.open.push(Open { id, generation: fork_generation(), copy, mark: mark.clone(), idle_limit });
            id
        });
        Registered { registry: self.clone(), id, mark, idle_limit }
    }

    /// Shut down every connection of the transport (it is being dropped,
    /// so no call uses one). Those inherited through fork() belong to the
    /// parent: untouched.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        let open = std::mem::take(&mut self.sockets().open);
        let generation = fork_generation();
        for entry in open {
            if entry.generation == generation {
                let _ = entry.copy.shutdown(Shutdown::Both);
            } else {
                std::mem::forget(entry.copy);
            }
        }
    }

    /// Shut down the connections idle for their limit; how long until the
    /// next idle one's is up.
    fn reap(&self) -> Option<Duration> {
        let now = now_mark();
        let generation = fork_generation();
        let mut next: Option<Duration> = None;
        for entry in self.sockets().open.iter().filter(|e| e.generation == generation) {
            let mark = entry.mark.load(Ordering::SeqCst);
            if mark == IN_USE || mark == REAPED {
                continue;
            }
            let idle = Duration::from_millis(now.saturating_sub(mark));
            if idle < entry.idle_limit {
                next = Some(next.map_or(entry.idle_limit - idle, |n| n.min(entry.idle_limit - idle)));
            } else if entry.mark.compare_exchange(mark, REAPED, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                let _ = entry.copy.shutdown(Shutdown::Both);
            }
        }
        next
    }
}

/// A connection's entry in its [`Registry`]: removed (the copy of its
/// socket closed) when the connection is dropped.
pub(super) struct Registered {
    registry: Arc<Registry>,
    id: Option<u64>,
    mark: Arc<AtomicU64>,
    idle_limit: Duration,
}

impl Registered {
    /// The connection goes idle (kept for a later call): the reaper may
    /// shut it down once its idle limit is up.
    pub(super) fn idle(&self) {
        if self.id.is_some() {
            let now = now_mark();
            self.mark.store(now, Ordering::SeqCst);
            REAPER.wake_for(now, self.idle_limit);
        }
    }

    /// Take the connection for a call: false when the reaper shut it down.
    pub(super) fn in_use(&self) -> bool {
        self.mark.swap(IN_USE, Ordering::SeqCst) != REAPED
    }

    /// Whether its transport was dropped.
    pub(super) fn transport_gone(&self) -> bool {
        self.registry.closed.load(Ordering::Relaxed)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let mut sockets = self.registry.sockets();
        if let Some(at) = sockets.open.iter().position(|e| e.id == id) {
            let entry = sockets.open.swap_remove(at);
            if entry.generation != fork_generation() {
                std::mem::forget(entry.copy);
            }
        }
    }
}

/// The reaper thread's state.
struct Reaper {
    /// Every live registry.
    registries: Mutex<Vec<Weak<Registry>>>,
    /// The fork generation whose reaper thread runs (`u64::MAX`: none).
    running: AtomicU64,
    /// When it wakes next, as an idle mark (`u64::MAX`: not before told).
    wakes_at: AtomicU64,
    thread: Mutex<Option<std::thread::Thread>>,
}

static REAPER: Reaper = Reaper {
    registries: Mutex::new(Vec::new()),
    running: AtomicU64::new(u64::MAX),
    wakes_at: AtomicU64::new(u64::MAX),
    thread: Mutex::new(None),
};

impl Reaper {
    /// A connection of `registry` went idle: make sure the reaper looks at
    /// it in time. Costs two atomic loads when it will anyway.
    fn wake_for(&'static self, now: u64, idle_limit: Duration) {
        let generation = fork_generation();
        if self.running.load(Ordering::SeqCst) != generation {
            self.start(generation);
            return;
        }
        let due = now.saturating_add(u64::try_from(idle_limit.as_millis()).unwrap_or(u64::MAX));
        if due < self.wakes_at.load(Ordering::SeqCst) {
            if let Some(thread) = lock(&self.thread).as_ref() {
                thread.unpark();
            }
        }
    }

    fn start(&'static self, generation: u64) {
        let previous = self.running.load(Ordering::SeqCst);
        if previous == generation
            || self.running.compare_exchange(previous, generation, Ordering::SeqCst, Ordering::SeqCst).is_err()
        {
            return;
        }
        self.wakes_at.store(u64::MAX, Ordering::SeqCst);
        let spawned = std::thread::Builder::new().name("dfx-reaper".into()).spawn(move || self.run(generation));
        match spawned {
            Ok(handle) => *lock(&self.thread) = Some(handle.thread().clone()),
            // No reaper: idle connections are still never reused past their
            // limit; try again on the next one.
            Err(_) => self.running.store(u64::MAX, Ordering::SeqCst),
        }
    }

    /// The reaper thread: reap, sleep until the next idle limit is up,
    /// until nothing is idle; then end (the next idle connection starts
    /// another).
    fn run(&self, generation: u64) {
        loop {
            let next = self.reap_all();
            match next {
                Some(wait) => {
                    let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
                    self.wakes_at.store(now_mark().saturating_add(wait_ms), Ordering::SeqCst);
                    std::thread::park_timeout(wait);
                }
                None => {
                    // Nothing idle: end, unless a connection went idle
                    // meanwhile (it saw this thread running and relied on it).
                    self.running.store(u64::MAX, Ordering::SeqCst);
                    if self.reap_all().is_none()
                        || self.running.compare_exchange(u64::MAX, generation, Ordering::SeqCst, Ordering::SeqCst).is_err()
                    {
                        return;
                    }
                }
            }
        }
    }

    fn reap_all(&self) -> Option<Duration> {
        let registries: Vec<Arc<Registry>> = {
            let mut all = lock(&self.registries);
            all.retain(|r| r.strong_count() > 0);
            all.iter().filter_map(Weak::upgrade).collect()
        };
        registries.iter().filter_map(|r| r.reap()).min()
    }
}
