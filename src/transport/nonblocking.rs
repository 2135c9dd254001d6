//! The `_async` path: the same HTTP/1.1 exchange as `blocking.rs`, on the
//! internal runtime's sockets (tokio, tokio-rustls), over a pool of idle
//! connections the client's calls share.
//!
//! Each call owns one connection while it is on the wire (at most
//! `MAX_CONCURRENT_REQUESTS` per client) and gives it back after a complete
//! keep-alive answer. A call dropped half-way (cancelled, timed out) drops
//! its connection with it: a connection is never reused mid-answer.
//!
//! Pooled sockets are registered with dfx's runtime. A call awaited on
//! another runtime (the Rust API allows it) hands its exchange to dfx's
//! runtime and awaits it there — else a pooled socket could outlive the
//! runtime it belongs to — and dropping that call aborts the exchange.

use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf as TokioReadBuf};
use tokio::net::TcpStream;
use crate::secret::Zeroizing;

use super::buffer::ReadBuf;
use super::endpoint::{Endpoint, Target};
use super::failure::{self, early_answer, NoSigPipe, Phase};
use super::http1::{self, Answer, Reader};
use super::lookup;
use super::{redirect, Request};
use crate::error::Error;
use crate::requests::MAX_CONCURRENT_REQUESTS;
use crate::response::Response;

/// A connected socket (TLS or plain), readable and writable with tokio.
pub(crate) enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<NoSigPipe<TcpStream>>>),
}

impl Io {
    fn tcp(&self) -> &TcpStream {
        match self {
            Io::Plain(s) => s,
            Io::Tls(s) => &s.get_ref().0 .0,
        }
    }

    /// Whether nothing is left buffered below the HTTP layer.
    fn drained(&mut self) -> bool {
        match self {
            Io::Plain(_) => true,
            Io::Tls(s) => failure::tls_drained(s.get_mut().1),
        }
    }
}

impl AsyncRead for Io {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut TokioReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

struct Conn {
    io: Io,
    buf: ReadBuf,
    /// The request being written; wiped and emptied after each write (and
    /// wiped when dropped mid-write), its room kept for the next request.
    out: Zeroizing<Vec<u8>>,
}

struct Idle {
    since: Instant,
    /// `runtime::fork_generation()` when it was opened.
    generation: u64,
    conn: Conn,
}

/// The idle connections of one client's `_async` calls. An idle
/// connection is closed once it has been idle for the endpoint's
/// `idle_limit` (30 s): by a sweeper task on dfx's runtime, which runs
/// while the pool holds idle connections (it holds the pool weakly) — and
/// it is never reused past that limit.
#[derive(Default)]
pub(crate) struct Pool {
    state: Mutex<PoolState>,
}

#[derive(Default)]
pub(super) struct PoolState {
    idle: Vec<Idle>,
    /// The fork generation whose sweeper task is running, if any.
    sweeper: Option<u64>,
    /// Set when the transport is dropped: nothing is pooled any more.
    closed: bool,
}

impl Pool {
    pub(super) fn lock(&self) -> crate::runtime::ForkSafeGuard<'_, PoolState> {
        crate::runtime::lock(&self.state)
    }

    /// The most recently used idle connection that is still good.
    fn take(&self, idle_limit: Duration) -> Option<Conn> {
        let generation = crate::runtime::fork_generation();
        loop {
            let idle = self.lock().idle.pop()?;
            if idle.generation != generation {
                // Inherited through fork(): its socket and its registration
                // belong to the parent. Never touch them.
                std::mem::forget(idle);
                continue;
            }
            if idle.since.elapsed() < idle_limit && failure::still_open_watched(idle.conn.io.tcp()) {
                return Some(idle.conn);
            }
        }
    }

    /// Keep `conn` for a later call (on dfx's runtime, where its sweeper runs).
    fn put(self: &Arc<Self>, conn: Conn, idle_limit: Duration) {
        let generation = crate::runtime::fork_generation();
        let entry = Idle { since: Instant::now(), generation, conn };
        let mut state = self.lock();
        if state.closed || state.idle.len() >= MAX_CONCURRENT_REQUESTS {
            drop(state);
            drop(entry);
            return;
        }
        state.idle.push(entry);
        // (Always on a runtime here; without one, `take` still refuses stale ones.)
        if state.sweeper != Some(generation) {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                state.sweeper = Some(generation);
                drop(state);
                runtime.spawn(sweep(Arc::downgrade(self), idle_limit));
            }
        }
    }

    /// Drop the connections idle for `idle_limit`; how long until the next
    /// one is, or `None` (and the sweeper is done) when none is left.
    fn expire(&self, idle_limit: Duration) -> Option<Duration> {
        let mut state = self.lock();
        let (expired, kept): (Vec<Idle>, Vec<Idle>) =
            std::mem::take(&mut state.idle).into_iter().partition(|i| i.since.elapsed() >= idle_limit);
        state.idle = kept;
        let next = state.idle.iter().map(|i| idle_limit.saturating_sub(i.since.elapsed())).min();
        if next.is_none() {
            state.sweeper = None;
        }
        drop(state);
        forget_inherited(expired);
        next
    }

    /// The transport is dropped: close the idle connections now, and the
    /// ones calls still under way would give back as they end.
    pub(crate) fn close(&self) {
        let idle = {
            let mut state = self.lock();
            state.closed = true;
            std::mem::take(&mut state.idle)
        };
        forget_inherited(idle);
    }
}

/// The sweeper: closes idle connections as their time runs out.
async fn sweep(pool: std::sync::Weak<Pool>, idle_limit: Duration) {
    loop {
        let Some(next) = pool.upgrade().and_then(|pool| pool.expire(idle_limit)) else { return };
        tokio::time::sleep(next).await;
    }
}

/// Drop idle connections, but leave those inherited through fork() alone.
fn forget_inherited(idle: Vec<Idle>) {
    let generation = crate::runtime::fork_generation();
    for entry in idle {
        if entry.generation != generation {
            std::mem::forget(entry);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        forget_inherited(std::mem::take(&mut state.idle));
    }
}

/// Send `request` and decode the answer, following allowed redirects,
/// within `timeout`.
pub(crate) async fn send(
    ep: &Arc<Endpoint>,
    pool: &Arc<Pool>,
    request: Request<'_>,
    timeout: Option<Duration>,
) -> Result<Response, Error> {
    if crate::runtime::on_dfx_worker() || crate::runtime::polling_inline() {
        return send_here(ep, pool, request, timeout).await;
    }
    let (ep, pool) = (ep.clone(), pool.clone());
    let (method, path, session_header) = (request.method, request.path.to_owned(), request.session_header);
    let bearer = request.bearer.map(|b| Zeroizing::new(b.to_owned()));
    let body = request.body.map(|b| Zeroizing::new(b.to_vec()));
    crate::runtime::on_dfx_runtime(async move {
        let bearer = bearer.as_deref().map(String::as_str);
        let request = Request { method, path: &path, bearer, body: body.as_deref().map(Vec::as_slice), session_header };
        send_here(&ep, &pool, request, timeout).await
    })
    .await
}

/// [`send`] on the current (dfx) runtime.
async fn send_here(ep: &Endpoint, pool: &Arc<Pool>, request: Request<'_>, timeout: Option<Duration>) -> Result<Response, Error> {
    // Where the exchange is, for the words of a timeout.
    let phase = AtomicU8::new(Phase::Connect as u8);
    let work = async {
        let mut target = ep.target(request.path);
        let mut redirects = redirect::Redirects::new(&ep.base);
        loop {
            let (head, raw) = exchange(ep, pool, &request, &target, &phase).await?;
            match redirects.next(&target, head.status, head.location.as_deref()).map_err(Error::Redirect)? {
                Some(next) => target = next,
                None => return Response::decode(head.status, raw),
            }
        }
    };
    match timeout {
        None => work.await,
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(failure::timed_out(Phase::from_u8(phase.load(Ordering::Relaxed)))),
        },
    }
}

/// One request and its answer on a pooled or new connection.
async fn exchange(ep: &Endpoint, pool: &Arc<Pool>, request: &Request<'_>, target: &Target<'_>, phase: &AtomicU8) -> Result<Answer, Error> {
    let set = |p: Phase| phase.store(p as u8, Ordering::Relaxed);
    let mut conn = match pool.take(ep.idle_limit) {
        Some(conn) => conn,
        None => {
            set(Phase::Connect);
            // Boxed: connecting (lookup, TLS handshake, timers) is most of
            // this future's size, and every call's task would carry it —
            // 1.3 KiB of the ~3.3 KiB each `_async` renew allocated and
            // moved (issue 15). A kept connection needs none of it.
            Box::pin(connect(ep)).await?
        }
    };
    set(Phase::Send);
    http1::write_request(&mut conn.out, request, &target.pieces(), &ep.host_header);
    crate::requests::note_request_leaving();
    let sent = async { conn.io.write_all(&conn.out).await?; conn.io.flush().await };
    let sent = sent.await;
    crate::secret::wipe_vec(&mut conn.out);
    if let Err(e) = sent {
        let failed = failure::io_failure(&e, Phase::Send);
        return early_answer(failed, read_answer(&mut conn, phase).await);
    }
    answer_pending(&conn).await;
    let answer = read_answer(&mut conn, phase).await?;
    if answer.0.keep_alive && conn.buf.is_empty() && conn.io.drained() {
        pool.put(conn, ep.idle_limit);
    }
    Ok(answer)
}

/// On a caller's thread ([`crate::runtime::start`]): wait for the answer's
/// first bytes with the socket registered for them, so that dfx's runtime
/// thread takes over when they arrive and the answer is read there. A peek,
/// not the readiness tokio remembers: that may be left over from the last
/// answer on this connection, which was read without reaching WouldBlock.
/// Elsewhere it does nothing.
async fn answer_pending(conn: &Conn) {
    let mut byte = [0u8; 1];
    std::future::poll_fn(|cx| {
        if !crate::runtime::polling_inline() {
            return Poll::Ready(());
        }
        let mut peek = TokioReadBuf::new(&mut byte);
        match conn.io.tcp().poll_peek(cx, &mut peek) {
            Poll::Pending => Poll::Pending,
            // Bytes (or an error, or the end) are there already: read them
            // on the runtime.
            Poll::Ready(_) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    })
    .await
}

/// Read one answer from `conn`.
async fn read_answer(conn: &mut Conn, phase: &AtomicU8) -> Result<Answer, Error> {
    let mut reader = Reader::new();
    loop {
        let (used, answer) = reader.advance(conn.buf.data()).map_err(Error::Transport)?;
        conn.buf.consume(used);
        if let Some(answer) = answer {
            return Ok(answer);
        }
        let now = Phase::from(reader.stage());
        phase.store(now as u8, Ordering::Relaxed);
        let n = conn.io.read(conn.buf.spare()).await.map_err(|e| failure::io_failure(&e, now))?;
        if n == 0 {
            return reader.end_of_stream().map_err(|stage| failure::closed(stage.into()));
        }
        conn.buf.filled(n);
    }
}

/// A new connection for something other than HTTP (the measurement
/// socket): the same budget, addresses and TLS as [`connect`].
pub(crate) async fn connect_io(ep: &Endpoint) -> Result<Io, Error> {
    connect(ep).await.map(|conn| conn.io)
}

/// A new connection (and TLS session) to the endpoint. Connecting has one
/// budget, `connect_limit`: the name lookup, every address tried and the
/// TLS handshake share it (the call's own timeout bounds it too).
async fn connect(ep: &Endpoint) -> Result<Conn, Error> {
    let deadline = Instant::now() + ep.connect_limit;
    let addrs: Vec<std::net::SocketAddr> = match ep.ip {
        Some(ip) => vec![std::net::SocketAddr::new(ip, ep.port)],
        None => ep.lookups.resolve(&ep.host, ep.port, deadline).await?,
    };
    let mut last = None;
    let mut tcp = None;
    for (i, addr) in addrs.iter().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(failure::timed_out(Phase::Connect));
        }
        match tokio::time::timeout(lookup::share(left, addrs.len() - i), TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                tcp = Some(s);
                break;
            }
            Ok(Err(e)) => last = Some((addr, e)),
            Err(_) => last = Some((addr, std::io::ErrorKind::TimedOut.into())),
        }
    }
    let tcp = match (tcp, last) {
        (Some(tcp), _) => tcp,
        (None, Some((addr, e))) => return Err(failure::connect_failure(&e, &ep.host, *addr)),
        (None, None) => return Err(Error::Connect(format!("{} resolved to no address", ep.host))),
    };
    tcp.set_nodelay(true).map_err(|e| Error::Connect(e.to_string()))?;
    let io = if ep.https {
        let connector = tokio_rustls::TlsConnector::from(ep.tls());
        let handshake = connector.connect(ep.server_name()?, NoSigPipe(tcp));
        match tokio::time::timeout_at(deadline.into(), handshake).await {
            Ok(Ok(tls)) => Io::Tls(Box::new(tls)),
            Ok(Err(e)) => return Err(failure::io_failure(&e, Phase::Connect)),
            Err(_) => return Err(failure::timed_out(Phase::Connect)),
        }
    } else {
        Io::Plain(tcp)
    };
    Ok(Conn { io, buf: ReadBuf::new(), out: Zeroizing::new(Vec::new()) })
}
