//! The blocking path: one HTTP/1.1 exchange done with plain blocking
//! socket calls on the calling thread — `write` the request, `read` the
//! answer — over a connection this thread keeps alive between its calls.
//!
//! A blocking call needs none of an async stack's machinery (an event loop,
//! wakers, connection tasks, a shared pool behind locks); measured, that
//! machinery cost more than the whole exchange (see bench/README.md).
//!
//! Timeouts are socket timeouts (`SO_RCVTIMEO`/`SO_SNDTIMEO`) held at or
//! below the time left until the call's deadline; they are only lowered
//! when needed, so a steady stream of calls costs no extra system call.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::buffer::ReadBuf;
use super::endpoint::Endpoint;
use super::failure::{self, early_answer, NoSigPipe, Phase};
use super::http1::{self, Answer, Reader};
use super::lookup;
use super::registry::{Registered, Registry};
use super::{redirect, Request};
use crate::error::Error;
use crate::response::Response;

/// An open connection, plain or TLS, with its read buffer.
struct Conn {
    io: Io,
    buf: ReadBuf,
    /// The socket timeout currently set (`None`: none).
    timeout: Option<Duration>,
    /// Its place in its transport's [`Registry`].
    registered: Registered,
}

enum Io {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, NoSigPipe<TcpStream>>>),
}

impl Io {
    fn tcp(&self) -> &TcpStream {
        match self {
            Io::Plain(s) => s,
            Io::Tls(s) => &s.sock.0,
        }
    }

    /// Whether nothing is left buffered below the HTTP layer.
    fn drained(&mut self) -> bool {
        match self {
            Io::Plain(_) => true,
            Io::Tls(s) => failure::tls_drained(&mut s.conn),
        }
    }

    /// Read, and never write: after a failed write. (A TLS stream's own
    /// `read` first writes what it still holds to send — failing again —
    /// before it reads what the server sent.)
    fn read_only(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let s = match self {
            Io::Plain(s) => return s.read(buf),
            Io::Tls(s) => s,
        };
        let mut ended = false;
        loop {
            match s.conn.reader().read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && ended => return Ok(0),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                done => return done,
            }
            ended = s.conn.read_tls(&mut s.sock)? == 0;
            s.conn.process_new_packets().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
    }
}

impl Read for Io {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.read(buf),
            Io::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Io {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.write(buf),
            Io::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Io::Plain(s) => s.flush(),
            Io::Tls(s) => s.flush(),
        }
    }
}


/// An idle connection this thread keeps for one transport.
struct Idle {
    transport: usize,
    /// `runtime::fork_generation()` when it was opened: a forked child must
    /// not talk on its parent's sockets.
    generation: u64,
    since: Instant,
    conn: Conn,
}

thread_local! {
    /// This thread's idle connections, at most one per transport; closed
    /// when the thread exits.
    static IDLE: RefCell<Vec<Idle>> = const { RefCell::new(Vec::new()) };
}

/// What a blocking exchange needs from its transport.
#[derive(Clone, Copy)]
pub(crate) struct Call<'a> {
    pub(crate) endpoint: &'a Endpoint,
    /// The transport's id, for this thread's idle list, and its connections.
    pub(crate) transport: usize,
    pub(crate) registry: &'a Arc<Registry>,
    pub(crate) deadline: Option<Instant>,
}

impl Call<'_> {
    /// Send `request` and decode the answer, following allowed redirects.
    pub(crate) fn send(&self, request: Request<'_>) -> Result<Response, Error> {
        let ep = self.endpoint;
        let mut target = ep.target(request.path);
        let mut redirects = redirect::Redirects::new(&ep.base);
        loop {
            let bytes = http1::request(&request, &target.pieces(), &ep.host_header);
            let (head, raw) = self.exchange(&bytes)?;
            match redirects.next(&target, head.status, head.location.as_deref()).map_err(Error::Redirect)? {
                Some(next) => target = next,
                None => return Response::decode(head.status, raw),
            }
        }
    }

    /// One request and its answer on a pooled or new connection.
    fn exchange(&self, request: &[u8]) -> Result<Answer, Error> {
        let mut conn = match self.take_idle() {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let answer = self.exchange_on(&mut conn, request)?;
        if answer.0.keep_alive && conn.buf.is_empty() && conn.io.drained() {
            self.put_idle(conn);
        }
        Ok(answer)
    }

    fn exchange_on(&self, conn: &mut Conn, request: &[u8]) -> Result<Answer, Error> {
        if let Err(e) = self.write_request(conn, request) {
            return early_answer(e, self.read_answer(conn, Io::read_only));
        }
        self.read_answer(conn, Io::read)
    }

    fn write_request(&self, conn: &mut Conn, request: &[u8]) -> Result<(), Error> {
        // Write by hand, not with write_all: a write interrupted by a socket
        // timeout is retried from where it stopped, never from the start.
        let mut sent = 0;
        while sent < request.len() {
            match self.io(conn, Phase::Send, |io| io.write(&request[sent..]))? {
                0 => return Err(failure::closed(Phase::Send)),
                n => sent += n,
            }
        }
        self.io(conn, Phase::Send, |io| io.flush())
    }

    /// Read one answer, each read done by `read`.
    fn read_answer(&self, conn: &mut Conn, mut read: impl FnMut(&mut Io, &mut [u8]) -> io::Result<usize>) -> Result<Answer, Error> {
        let mut reader = Reader::new();
        loop {
            let (used, answer) = reader.advance(conn.buf.data()).map_err(Error::Transport)?;
            conn.buf.consume(used);
            if let Some(answer) = answer {
                return Ok(answer);
            }
            let phase = Phase::from(reader.stage());
            let Conn { io, buf, timeout, .. } = conn;
            let spare = buf.spare();
            let n = self.io_inner(io, timeout, phase, |io| read(io, spare))?;
            if n == 0 {
                return reader.end_of_stream().map_err(|stage| failure::closed(stage.into()));
            }
            buf.filled(n);
        }
    }

    /// Run one I/O operation under the call's deadline and sort its failure.
    fn io<T>(&self, conn: &mut Conn, phase: Phase, op: impl FnMut(&mut Io) -> io::Result<T>) -> Result<T, Error> {
        self.io_inner(&mut conn.io, &mut conn.timeout, phase, op)
    }

    fn io_inner<T>(
        &self,
        io: &mut Io,
        timeout: &mut Option<Duration>,
        phase: Phase,
        mut op: impl FnMut(&mut Io) -> io::Result<T>,
    ) -> Result<T, Error> {
        loop {
            self.arm(io, timeout, phase)?;
            match op(io) {
                Ok(v) => return Ok(v),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // The socket timeout ran out: the deadline may not have (the
                // timeout may have been set for an earlier, shorter call).
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    *timeout = Some(Duration::ZERO);
                }
                Err(e) => return Err(failure::io_failure(&e, phase)),
            }
        }
    }

    /// Make the socket timeout no longer than the time left (and fail when
    /// none is left).
    fn arm(&self, io: &Io, current: &mut Option<Duration>, phase: Phase) -> Result<(), Error> {
        let wanted = match self.deadline {
            None => None,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left < Duration::from_millis(1) {
                    return Err(failure::timed_out(phase));
                }
                Some(left)
            }
        };
        let lower = match (wanted, *current) {
            (None, None) => false,
            (None, Some(_)) => true,
            (Some(_), None) => true,
            (Some(w), Some(c)) => c > w || c.is_zero(),
        };
        if lower {
            let tcp = io.tcp();
            tcp.set_read_timeout(wanted)
                .and_then(|()| tcp.set_write_timeout(wanted))
                .map_err(|e| Error::Transport(format!("could not set the socket timeout: {e}")))?;
            *current = wanted;
        }
        Ok(())
    }

    /// This thread's idle connection for this transport, if it is still good.
    fn take_idle(&self) -> Option<Conn> {
        let idle = IDLE.with(|idle| {
            let mut idle = idle.borrow_mut();
            let at = idle.iter().position(|i| i.transport == self.transport)?;
            Some(idle.swap_remove(at))
        })?;
        // Taken back from the reaper first: it shuts no connection in use.
        let not_reaped = idle.conn.registered.in_use();
        let fresh = idle.since.elapsed() < self.endpoint.idle_limit && idle.generation == crate::runtime::fork_generation();
        (not_reaped && fresh && failure::still_open(idle.conn.io.tcp())).then_some(idle.conn)
    }

    fn put_idle(&self, conn: Conn) {
        let entry = Idle {
            transport: self.transport,
            generation: crate::runtime::fork_generation(),
            since: Instant::now(),
            conn,
        };
        entry.conn.registered.idle();
        // Dropped outside the borrow: dropping a connection takes its
        // registry's lock, keep the borrow short.
        let stale: Vec<Idle> = IDLE.with(|idle| {
            let mut idle = idle.borrow_mut();
            let (keep, stale) = std::mem::take(&mut *idle)
                .into_iter()
                .partition(|i| i.transport != self.transport && !i.conn.registered.transport_gone());
            *idle = keep;
            idle.push(entry);
            stale
        });
        drop(stale);
    }

    /// A new connection (and TLS session) to the endpoint. Connecting has
    /// one budget, `connect_limit` (and no more than the call has left):
    /// the name lookup, every address tried and the TLS handshake share it.
    fn connect(&self) -> Result<Conn, Error> {
        let ep = self.endpoint;
        let budget = Instant::now().checked_add(ep.connect_limit);
        let deadline = match (self.deadline, budget) {
            (Some(d), Some(b)) => d.min(b),
            (d, b) => d.or(b).unwrap_or_else(|| Instant::now() + super::CONNECT_TIMEOUT),
        };
        let within = Call { deadline: Some(deadline), ..*self };
        let addrs: Vec<SocketAddr> = match ep.ip {
            Some(ip) => vec![SocketAddr::new(ip, ep.port)],
            None => ep.lookups.resolve_blocking(&ep.host, ep.port, deadline)?,
        };
        let mut last = None;
        let mut tcp = None;
        for (i, addr) in addrs.iter().enumerate() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left < Duration::from_millis(1) {
                return Err(failure::timed_out(Phase::Connect));
            }
            match TcpStream::connect_timeout(addr, lookup::share(left, addrs.len() - i)) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = Some((addr, e)),
            }
        }
        let tcp = match (tcp, last) {
            (Some(tcp), _) => tcp,
            (None, Some((addr, e))) => return Err(failure::connect_failure(&e, &ep.host, *addr)),
            (None, None) => return Err(Error::Connect(format!("{} resolved to no address", ep.host))),
        };
        tcp.set_nodelay(true).map_err(|e| Error::Connect(e.to_string()))?;
        let registered = self.registry.register(&tcp, ep.idle_limit);
        let (io, timeout) = if ep.https { within.handshake(tcp)? } else { (Io::Plain(tcp), None) };
        Ok(Conn { io, buf: ReadBuf::new(), timeout, registered })
    }

    /// The TLS handshake, done now so its failures are TLS failures. Returns
    /// the stream and the socket timeout it left set.
    fn handshake(&self, tcp: TcpStream) -> Result<(Io, Option<Duration>), Error> {
        let ep = self.endpoint;
        let tls = rustls::ClientConnection::new(ep.tls(), ep.server_name()?)
            .map_err(|e| Error::Tls(e.to_string()))?;
        let mut io = Io::Tls(Box::new(rustls::StreamOwned::new(tls, NoSigPipe(tcp))));
        let mut timeout = None;
        // Within the connect budget (`self.deadline`, set by `connect`).
        self.io_inner(&mut io, &mut timeout, Phase::Connect, |io| match io {
            Io::Tls(s) => {
                while s.conn.is_handshaking() {
                    s.conn.complete_io(&mut s.sock)?;
                }
                Ok(())
            }
            Io::Plain(_) => Ok(()),
        })?;
        Ok((io, timeout))
    }
}
