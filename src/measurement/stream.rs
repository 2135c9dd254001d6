//! The caller's side of a measurement stream: chunks in (bounded), events
//! out (on the stream's own task, one at a time), waiting, closing.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::client::Client;
use crate::error::Error;

/// At most this many chunks taken and not yet acknowledged by the server
/// per stream: a caller producing chunks faster than the server accepts
/// them gets [`Error::StreamFull`], not unbounded buffering.
pub const MAX_UNACKED: usize = 8;

/// Largest chunk taken, in bytes before base64 (a payload of the
/// DeepAffex extraction library is tens to hundreds of KiB per chunk).
pub const MAX_CHUNK_BYTES: usize = 8 << 20;

/// Where a chunk sits in its measurement: the server wants exactly one
/// `First`, any number of `Middle`, then one `Last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkPosition {
    First,
    Middle,
    Last,
}

impl ChunkPosition {
    /// The `Action` the API takes for it.
    pub(crate) fn action(self) -> &'static str {
        match self {
            ChunkPosition::First => "FIRST::PROCESS",
            ChunkPosition::Middle => "CHUNK::PROCESS",
            ChunkPosition::Last => "LAST::PROCESS",
        }
    }
}

/// What a stream tells its handler, in the order it happens.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A connection is ready: the socket (logged in and subscribed), or
    /// HTTP when no socket can be opened. `attempt` numbers the ready
    /// connections (a reconnect after a dropped socket is 2, 3, ...).
    Connected { websocket: bool, attempt: u32 },
    /// The server accepted chunk number `chunk` (0-based, in the order
    /// the chunks were taken). Once per chunk.
    Ack { chunk: u32 },
    /// The server's result for chunk `chunk`: its JSON object. Once per
    /// chunk (results the server sends again after a reconnect are
    /// dropped). Over HTTP there are no per-chunk results.
    Result { chunk: u32, json: &'a str },
    /// The server refused chunk `chunk` (or it failed in a way that may
    /// have reached the server): the stream ends next, with this error.
    ChunkError { chunk: u32, error: &'a Error },
    /// The last event: `Ok` with the measurement as `measurements.retrieve`
    /// returned it once complete, or why the stream ended early.
    End(Result<&'a str, &'a Error>),
}

/// Receives a stream's events, on one of dfx's internal threads, one at a
/// time, in order.
pub type Handler = Box<dyn FnMut(Event<'_>) + Send>;

/// A chunk taken and not yet acknowledged.
pub(crate) struct Chunk {
    pub(crate) order: u32,
    pub(crate) action: &'static str,
    /// Base64 of the caller's bytes.
    pub(crate) payload: String,
}

/// What the caller and the stream's task share under one lock.
#[derive(Default)]
pub(crate) struct Queue {
    /// Taken and not acknowledged, in order.
    pub(crate) unacked: VecDeque<Chunk>,
    /// The next chunk's number (= how many were taken).
    pub(crate) taken: u32,
    /// The `Last` chunk was taken.
    pub(crate) last_taken: bool,
    /// The stream ended (its `End` event is being or was delivered).
    pub(crate) ended: bool,
}

/// Counters a caller (or a test) can read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Connections made (sockets opened, including any that dropped
    /// before they were ready; 1 for HTTP).
    pub connections: u64,
    /// Chunks sent again on a new socket because their acknowledgement
    /// had not arrived when the previous one dropped.
    pub resent_chunks: u64,
    /// Frames from the server that could not be read or matched to a
    /// request, dropped.
    pub dropped_frames: u64,
    /// Whether the stream runs over the socket (false: HTTP, or not yet
    /// connected).
    pub websocket: bool,
}

#[derive(Default)]
pub(crate) struct Shared {
    queue: Mutex<Queue>,
    /// A chunk was taken (the task sends it).
    pub(crate) wake: Notify,
    done: Mutex<bool>,
    done_cv: Condvar,
    pub(crate) connections: AtomicU64,
    pub(crate) resent: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) websocket: AtomicBool,
}

impl Shared {
    pub(crate) fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `End` event has been delivered (or the stream was closed).
    pub(crate) fn set_done(&self) {
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.done_cv.notify_all();
    }
}

/// One measurement's stream. Dropping it closes it.
pub struct MeasurementStream {
    shared: Arc<Shared>,
    task: AbortHandle,
}

impl MeasurementStream {
    /// Open a stream for measurement `measurement_id` (made with
    /// `measurements.create`); `handler` gets its events. Connecting
    /// starts at once in the background: the socket URL is the base URL
    /// with a `ws`/`wss` scheme, authenticated with the session's user
    /// token (else its device token); through a proxy, or when the server
    /// refuses the upgrade or no upgrade succeeds in 5 tries (before any
    /// chunk went over a socket), the stream uses HTTP (`measurements.data`).
    pub fn open(client: &Client, measurement_id: &str, handler: Handler) -> Result<MeasurementStream, Error> {
        if measurement_id.is_empty() {
            return Err(Error::InvalidArgument("the measurement id must not be empty".into()));
        }
        let shared = Arc::new(Shared::default());
        let work = super::run::run(client.clone(), measurement_id.to_owned(), shared.clone(), handler);
        let task = crate::runtime::get()?.spawn(work).abort_handle();
        Ok(MeasurementStream { shared, task })
    }

    /// Take the next chunk: `data` is the extraction library's payload as
    /// it made it (dfx encodes it). Never blocks on the network. Returns
    /// the chunk's number (0, 1, ...), which its events carry.
    ///
    /// [`Error::StreamFull`] when [`MAX_UNACKED`] chunks await their
    /// acknowledgement (nothing taken: send it again after an `Ack`);
    /// [`Error::StreamEnded`] after the `Last` chunk or the end;
    /// [`Error::InvalidArgument`] for an empty chunk or one over
    /// [`MAX_CHUNK_BYTES`].
    pub fn send_chunk(&self, data: &[u8], position: ChunkPosition) -> Result<u32, Error> {
        if data.is_empty() || data.len() > MAX_CHUNK_BYTES {
            return Err(Error::InvalidArgument(format!(
                "a chunk must hold 1 to {MAX_CHUNK_BYTES} bytes, not {}",
                data.len()
            )));
        }
        let mut queue = self.shared.queue();
        if queue.ended {
            return Err(Error::StreamEnded("the stream has ended: it takes no more chunks".into()));
        }
        if queue.last_taken {
            return Err(Error::StreamEnded("the last chunk was already sent".into()));
        }
        if queue.unacked.len() >= MAX_UNACKED {
            return Err(Error::StreamFull(format!(
                "{MAX_UNACKED} chunks are waiting for their acknowledgement; send this one again after the next"
            )));
        }
        let order = queue.taken;
        queue.taken += 1;
        queue.last_taken = position == ChunkPosition::Last;
        queue.unacked.push_back(Chunk { order, action: position.action(), payload: STANDARD.encode(data) });
        drop(queue);
        self.shared.wake.notify_one();
        Ok(order)
    }

    /// Wait until the stream has ended and its `End` event has returned,
    /// at most `timeout` (`None`: no limit). True if it has ended.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut done = self.shared.done.lock().unwrap_or_else(|p| p.into_inner());
        while !*done {
            match deadline {
                None => done = self.shared.done_cv.wait(done).unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    done = self.shared.done_cv.wait_timeout(done, left).unwrap_or_else(|p| p.into_inner()).0;
                }
            }
        }
        true
    }

    /// The stream's counters.
    pub fn stats(&self) -> StreamStats {
        StreamStats {
            connections: self.shared.connections.load(Ordering::Relaxed),
            resent_chunks: self.shared.resent.load(Ordering::Relaxed),
            dropped_frames: self.shared.dropped.load(Ordering::Relaxed),
            websocket: self.shared.websocket.load(Ordering::Relaxed),
        }
    }

    /// Stop the stream: its socket closes and no event starts after the
    /// one running (if any) returns. Chunks not acknowledged are dropped.
    pub fn close(&self) {
        self.shared.queue().ended = true;
        self.task.abort();
        self.shared.set_done();
    }
}

impl Drop for MeasurementStream {
    fn drop(&mut self) {
        self.close();
    }
}

impl std::fmt::Debug for MeasurementStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeasurementStream").field("stats", &self.stats()).finish()
    }
}
