//! Name lookups for both direct paths, bounded.
//!
//! The system resolver (`getaddrinfo`) blocks and cannot be interrupted,
//! so each lookup runs on a thread of its own and its callers wait for it
//! only as long as their connect budget allows. Threads are bounded:
//! callers that look up the same name and port at once share one lookup,
//! and at most [`MAX_LOOKUPS`] lookups run at a time in the process; a
//! caller beyond that waits for one to end, within its budget. A lookup
//! that outlives its callers ends on its own (the resolver's own timeouts
//! end it) and its answer is dropped.
//!
//! The lock is held only briefly and in fork-safe sections; waiting callers
//! park (blocking) or sleep as tasks, and each ending lookup wakes them all.

use std::future::poll_fn;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Poll, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use super::failure::{self, Phase};
use crate::error::Error;
use crate::runtime::{fork_generation, ForkSafeGuard};

/// Most lookups running at once in the process (each on its own thread).
pub(crate) const MAX_LOOKUPS: usize = 4;

/// A resolver: the system's, or a test's.
type Resolve = dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync;

/// The process's lookups, with the system resolver.
pub(crate) static SYSTEM: Lookups = Lookups::new(MAX_LOOKUPS, None);

/// A set of bounded lookups.
pub(crate) struct Lookups {
    state: Mutex<State>,
    max: usize,
    /// `None`: the system resolver.
    resolve: Option<Box<Resolve>>,
}

struct State {
    running: Vec<Arc<Running>>,
    /// Callers to wake when a lookup ends (its answer is in, its place free).
    waiting: Vec<Waiter>,
}

enum Waiter {
    Thread(Thread),
    Task(Waker),
}

/// One lookup under way.
struct Running {
    host: String,
    port: u16,
    /// `runtime::fork_generation()` when it started: a forked child has
    /// no thread behind its parent's lookups.
    generation: u64,
    answer: OnceLock<Result<Vec<SocketAddr>, String>>,
}

type Answer = Result<Vec<SocketAddr>, Error>;

impl Lookups {
    pub(crate) const fn new(max: usize, resolve: Option<Box<Resolve>>) -> Lookups {
        Lookups { state: Mutex::new(State { running: Vec::new(), waiting: Vec::new() }), max, resolve }
    }

    fn lock(&self) -> ForkSafeGuard<'_, State> {
        crate::runtime::lock(&self.state)
    }

    /// The addresses of `host:port`, waiting until `deadline` at most.
    pub(crate) fn resolve_blocking(&'static self, host: &str, port: u16, deadline: Instant) -> Answer {
        let mut mine = None;
        loop {
            {
                let mut state = self.lock();
                if let Some(answer) = self.poll(&mut state, &mut mine, host, port)? {
                    return answer;
                }
                let me = std::thread::current();
                if !state.waiting.iter().any(|w| matches!(w, Waiter::Thread(t) if t.id() == me.id())) {
                    state.waiting.push(Waiter::Thread(me));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let me = std::thread::current().id();
                self.lock().waiting.retain(|w| !matches!(w, Waiter::Thread(t) if t.id() == me));
                return Err(failure::timed_out(Phase::Connect));
            }
            // An end between the unlock and here leaves the token: no wait.
            std::thread::park_timeout(left);
        }
    }

    /// [`Lookups::resolve_blocking`] for the `_async` path.
    pub(crate) async fn resolve(&'static self, host: &str, port: u16, deadline: Instant) -> Answer {
        let mut mine = None;
        let answer = poll_fn(|cx| {
            let mut state = self.lock();
            match self.poll(&mut state, &mut mine, host, port) {
                Err(e) => Poll::Ready(Err(e)),
                Ok(Some(answer)) => Poll::Ready(answer),
                Ok(None) => {
                    if !state.waiting.iter().any(|w| matches!(w, Waiter::Task(t) if t.will_wake(cx.waker()))) {
                        state.waiting.push(Waiter::Task(cx.waker().clone()));
                    }
                    Poll::Pending
                }
            }
        });
        tokio::time::timeout_at(deadline.into(), answer).await.unwrap_or_else(|_| Err(failure::timed_out(Phase::Connect)))
    }

    /// The answer of the caller's lookup (`mine`) if it is in; else join
    /// a running lookup of the same name or start one, if there is room.
    fn poll(&'static self, state: &mut State, mine: &mut Option<Arc<Running>>, host: &str, port: u16) -> Result<Option<Answer>, Error> {
        if mine.is_none() {
            let generation = fork_generation();
            // Inherited through fork(): no thread will answer them.
            state.running.retain(|r| r.generation == generation);
            *mine = match state.running.iter().find(|r| r.host == host && r.port == port) {
                Some(r) => Some(r.clone()),
                None if state.running.len() < self.max => Some(self.start(state, host, port, generation)?),
                None => None,
            };
        }
        Ok(mine.as_ref().and_then(|r| r.answer.get()).map(|answer| match answer {
            Ok(addrs) => Ok(addrs.clone()),
            Err(e) => Err(Error::Connect(format!("could not resolve {host}: {e}"))),
        }))
    }

    fn start(&'static self, state: &mut State, host: &str, port: u16, generation: u64) -> Result<Arc<Running>, Error> {
        let lookup = Arc::new(Running { host: host.to_owned(), port, generation, answer: OnceLock::new() });
        let theirs = lookup.clone();
        std::thread::Builder::new()
            .name("dfx-resolve".into())
            .spawn(move || self.run(&theirs))
            .map_err(|e| Error::Internal(format!("could not start a name lookup: {e}")))?;
        state.running.push(lookup.clone());
        Ok(lookup)
    }

    /// A lookup's thread.
    fn run(&self, lookup: &Arc<Running>) {
        let answer = match &self.resolve {
            Some(resolve) => resolve(&lookup.host, lookup.port),
            None => (lookup.host.as_str(), lookup.port).to_socket_addrs().map(Iterator::collect),
        };
        let waiting = {
            // Off the running list before the answer is published: a caller
            // that has its answer never sees its lookup still running.
            let mut state = self.lock();
            state.running.retain(|r| !Arc::ptr_eq(r, lookup));
            let _ = lookup.answer.set(answer.map_err(|e| e.to_string()));
            std::mem::take(&mut state.waiting)
        };
        for waiter in waiting {
            match waiter {
                Waiter::Thread(t) => t.unpark(),
                Waiter::Task(w) => w.wake(),
            }
        }
    }

    /// How many lookups are running (for tests).
    #[cfg(test)]
    pub(crate) fn running(&self) -> usize {
        self.lock().running.len()
    }
}

/// The part of what is `left` of a budget that one of `remaining`
/// addresses may take to connect: an equal share, so that an address that
/// never answers leaves time for the others (the last one takes the rest).
pub(crate) fn share(left: Duration, remaining: usize) -> Duration {
    left / u32::try_from(remaining.max(1)).unwrap_or(u32::MAX)
}
