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

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::failure::{self, Phase};
use crate::error::Error;

/// Most lookups running at once in the process (each on its own thread).
pub(crate) const MAX_LOOKUPS: usize = 4;

/// A resolver: the system's, or a test's.
type Resolve = dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync;

/// The process's lookups, with the system resolver.
pub(crate) static SYSTEM: Lookups = Lookups::new(MAX_LOOKUPS, None);

/// A set of bounded lookups.
pub(crate) struct Lookups {
    running: Mutex<Vec<Arc<Running>>>,
    /// Told whenever a lookup ends (its answer is in, its place is free).
    ended: Condvar,
    ended_async: Notify,
    max: usize,
    /// `None`: the system resolver.
    resolve: Option<Box<Resolve>>,
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

impl Lookups {
    pub(crate) const fn new(max: usize, resolve: Option<Box<Resolve>>) -> Lookups {
        Lookups { running: Mutex::new(Vec::new()), ended: Condvar::new(), ended_async: Notify::const_new(), max, resolve }
    }

    /// The addresses of `host:port`, waiting until `deadline` at most.
    pub(crate) fn resolve_blocking(&'static self, host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, Error> {
        let mut running = self.lock();
        let mut mine = None;
        loop {
            if let Some(answer) = self.poll(&mut running, &mut mine, host, port)? {
                return answer;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(failure::timed_out(Phase::Connect));
            }
            running = self.ended.wait_timeout(running, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// [`Lookups::resolve_blocking`] for the `_async` path.
    pub(crate) async fn resolve(&'static self, host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, Error> {
        let mut mine = None;
        loop {
            // Registered before looking, so an end between the two is not missed.
            let ended = self.ended_async.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            let answer = self.poll(&mut self.lock(), &mut mine, host, port)?;
            if let Some(answer) = answer {
                return answer;
            }
            if tokio::time::timeout_at(deadline.into(), ended).await.is_err() {
                return Err(failure::timed_out(Phase::Connect));
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Arc<Running>>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The answer of the caller's lookup (`mine`) if it is in; else join
    /// a running lookup of the same name or start one, if there is room.
    fn poll(
        &'static self,
        running: &mut Vec<Arc<Running>>,
        mine: &mut Option<Arc<Running>>,
        host: &str,
        port: u16,
    ) -> Result<Option<Result<Vec<SocketAddr>, Error>>, Error> {
        if mine.is_none() {
            let generation = crate::runtime::fork_generation();
            // Inherited through fork(): no thread will answer them.
            running.retain(|r| r.generation == generation);
            *mine = match running.iter().find(|r| r.host == host && r.port == port) {
                Some(r) => Some(r.clone()),
                None if running.len() < self.max => Some(self.start(running, host, port, generation)?),
                None => None,
            };
        }
        Ok(mine.as_ref().and_then(|r| r.answer.get()).map(|answer| match answer {
            Ok(addrs) => Ok(addrs.clone()),
            Err(e) => Err(Error::Connect(format!("could not resolve {host}: {e}"))),
        }))
    }

    fn start(&'static self, running: &mut Vec<Arc<Running>>, host: &str, port: u16, generation: u64) -> Result<Arc<Running>, Error> {
        let lookup = Arc::new(Running { host: host.to_owned(), port, generation, answer: OnceLock::new() });
        let theirs = lookup.clone();
        std::thread::Builder::new()
            .name("dfx-resolve".into())
            .spawn(move || self.run(&theirs))
            .map_err(|e| Error::Internal(format!("could not start a name lookup: {e}")))?;
        running.push(lookup.clone());
        Ok(lookup)
    }

    /// A lookup's thread.
    fn run(&self, lookup: &Arc<Running>) {
        let answer = match &self.resolve {
            Some(resolve) => resolve(&lookup.host, lookup.port),
            None => (lookup.host.as_str(), lookup.port).to_socket_addrs().map(Iterator::collect),
        };
        let _ = lookup.answer.set(answer.map_err(|e| e.to_string()));
        self.lock().retain(|r| !Arc::ptr_eq(r, lookup));
        self.ended.notify_all();
        self.ended_async.notify_waiters();
    }

    /// How many lookups are running (for tests).
    #[cfg(test)]
    pub(crate) fn running(&self) -> usize {
        self.lock().len()
    }
}

/// The part of what is `left` of a budget that one of `remaining`
/// addresses may take to connect: an equal share, so that an address that
/// never answers leaves time for the others (the last one takes the rest).
pub(crate) fn share(left: Duration, remaining: usize) -> Duration {
    left / u32::try_from(remaining.max(1)).unwrap_or(u32::MAX)
}
