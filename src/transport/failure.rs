//! How a failed exchange of the direct (non-reqwest) paths is reported:
//! the same kinds and words `proxied.rs` gives reqwest's failures.

use std::io;

use super::http1::{Answer, Stage};
use crate::error::Error;

/// Which part of the exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// TCP connect and TLS handshake.
    Connect,
    /// Writing the request.
    Send,
    /// Waiting for the response head.
    Head,
    /// Reading the body.
    Body,
}

impl Phase {
    /// The phase stored as `phase as u8`.
    pub(crate) fn from_u8(value: u8) -> Phase {
        [Phase::Connect, Phase::Send, Phase::Head, Phase::Body].get(usize::from(value)).copied().unwrap_or(Phase::Head)
    }
}

impl From<Stage> for Phase {
    fn from(stage: Stage) -> Phase {
        match stage {
            Stage::Head => Phase::Head,
            Stage::Body => Phase::Body,
        }
    }
}

/// Time ran out in `phase`. While connecting the request was not sent (at
/// most an earlier hop of it, answered with a redirect): a renew that times
/// out there is a plain timeout, not an unknown outcome.
pub(crate) fn timed_out(phase: Phase) -> Error {
    let during = match phase {
        Phase::Connect => return Error::ConnectTimeout("no connection in time (the request was not sent)".into()),
        Phase::Send | Phase::Head => "while waiting for the response",
        Phase::Body => "while reading the response body",
    };
    Error::Timeout(format!("no complete answer in time ({during})"))
}

/// The stream ended (or broke, `cause`) before the answer was complete.
pub(crate) fn ended(phase: Phase, cause: &str) -> Error {
    match phase {
        // The peer closed, reset, or answered with something that is not TLS.
        Phase::Connect => Error::Tls(format!("the TLS handshake failed ({cause})")),
        Phase::Body => Error::Truncated(format!("the connection ended before the whole body arrived ({cause})")),
        Phase::Send | Phase::Head => {
            Error::ConnectionLost(format!("the connection closed before a response arrived ({cause})"))
        }
    }
}

/// The server closed the connection early.
pub(crate) fn closed(phase: Phase) -> Error {
    ended(phase, "the server closed the connection")
}

/// Sort a failed read or write (a socket timeout is handled by the caller).
/// A TLS error is a TLS failure only during the handshake: once the request
/// may have been sent it is a lost connection or a cut body, so that a
/// renew is reported as outcome unknown, never as "nothing was sent".
pub(crate) fn io_failure(e: &io::Error, phase: Phase) -> Error {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(tls) if phase == Phase::Connect => Error::Tls(super::tls::describe(tls)),
        Some(tls) => ended(phase, &format!("TLS: {tls}")),
        None => ended(phase, &e.to_string()),
    }
}

/// Whether a TLS session can carry another request: no decrypted bytes
/// waiting (a stray answer after the one read would be handed to the
/// next request) and no close_notify from the server (it will send no
/// more, `Connection: close` or not: the next request would find the
/// connection ended). A session that cannot tell is not clean.
pub(crate) fn tls_drained(conn: &mut rustls::ClientConnection) -> bool {
    conn.process_new_packets().is_ok_and(|state| state.plaintext_bytes_to_read() == 0 && !state.peer_has_closed())
}

/// Writing the request failed with `failed`; `read` is what reading the
/// connection then gave. A server may answer before it has read the whole
/// request and close (`413` while a large body is still being written),
/// which makes the write fail: a complete answer it sent is the call's
/// answer. Never reused: the request was cut short. Anything else (no
/// answer, part of one, a timeout) leaves the write's failure.
pub(crate) fn early_answer(failed: Error, read: Result<Answer, Error>) -> Result<Answer, Error> {
    match read {
        Ok((mut head, body)) => {
            head.keep_alive = false;
            Ok((head, body))
        }
        Err(_) => Err(failed),
    }
}

/// Sort a failed TCP connect to `addr` (the last address `host` resolved
/// to that was tried): the message names both, as a lookup failure names
/// the host.
pub(crate) fn connect_failure(e: &io::Error, host: &str, addr: std::net::SocketAddr) -> Error {
    if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) {
        return timed_out(Phase::Connect);
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip == addr.ip()) {
        Error::Connect(format!("{addr}: {e}"))
    } else {
        Error::Connect(format!("{host} ({addr}): {e}"))
    }
}

/// A socket that never writes with `writev`. std and tokio write a single
/// buffer with `send(MSG_NOSIGNAL)`, but scattered buffers with `writev`,
/// which raises SIGPIPE when the peer has gone — and a library must not
/// kill a host process that did not ignore that signal. rustls and
/// tokio-rustls write TLS records as scattered buffers: under them, every
/// write goes out as one `send` per buffer (the traits' default vectored
/// write takes the first non-empty buffer).
pub(crate) struct NoSigPipe<S>(pub(crate) S);

impl<S: std::io::Read> std::io::Read for NoSigPipe<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<S: std::io::Write> std::io::Write for NoSigPipe<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for NoSigPipe<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for NoSigPipe<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }

    // `poll_write_vectored` and `is_write_vectored` keep their defaults:
    // one buffer at a time, through `poll_write`.
}

/// Whether an idle connection is still open: the server has neither closed
/// it nor sent anything (which it should not between answers). One
/// non-blocking peek at the socket.
#[cfg(unix)]
pub(crate) fn still_open(socket: &impl std::os::fd::AsRawFd) -> bool {
    matches!(peek(socket), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

/// [`still_open`] for a socket of dfx's runtime, which watches every pooled
/// socket: a close, a reset or stray bytes mark it readable. The peek is
/// made only when the runtime has seen that since the last answer's read
/// came up short: a healthy kept connection costs no system call (issue 15:
/// the peek was one in three of the `_async` path's per-call system calls).
/// What it cannot see is a close the runtime has not yet taken from epoll —
/// a window as long as the runtime's current run of work (it reads epoll
/// when idle), against the peek's microsecond; both are short of the time a
/// server's close takes to cross a real network, which neither sees.
#[cfg(unix)]
pub(crate) fn still_open_watched(socket: &tokio::net::TcpStream) -> bool {
    let peeked = socket.try_io(tokio::io::Interest::READABLE, || peek(socket));
    matches!(peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

/// Peek at one byte without waiting: `WouldBlock` when nothing is there.
#[cfg(unix)]
fn peek(socket: &impl std::os::fd::AsRawFd) -> io::Result<usize> {
    let mut byte = 0u8;
    // SAFETY: reads at most one byte into `byte`, which outlives the call.
    let n = unsafe {
        libc::recv(socket.as_raw_fd(), (&mut byte as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT)
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Elsewhere (Windows) no peek is made — a known limit: a kept connection
/// the server closed while it was idle is written to on its next use, and
/// that call fails as a lost connection (`DFX_ERR_CONNECTION_LOST`; for a
/// renew, `DFX_ERR_OUTCOME_UNKNOWN`, though the server never read it).
/// The idle limit (30 s, below servers' usual 60-75 s) keeps that rare.
/// tests/http1.rs `a_pooled_connection_the_server_closed_is_not_used` is
/// what checks the peek on Unix; the library is built and tested on Unix
/// only.
#[cfg(not(unix))]
pub(crate) fn still_open<T>(_socket: &T) -> bool {
    true
}

#[cfg(not(unix))]
pub(crate) fn still_open_watched<T>(_socket: &T) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_peek_tells_idle_from_closed_and_from_bytes_waiting() {
        use std::io::{Read, Write};
        use std::net::{TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (ours, wrote) = (TcpStream::connect(addr).unwrap(), TcpStream::connect(addr).unwrap());
        let (theirs, _) = listener.accept().unwrap();
        let (mut writer, _) = listener.accept().unwrap();
        assert!(matches!(peek(&ours), Err(e) if e.kind() == io::ErrorKind::WouldBlock), "idle");
        assert!(still_open(&ours));
        writer.write_all(b"x").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(peek(&wrote).unwrap(), 1, "bytes waiting");
        assert!(!still_open(&wrote));
        drop(theirs);
        std::thread::sleep(std::time::Duration::from_millis(50));
        // errno is EAGAIN from an empty read elsewhere: a closed socket's 0
        // must not be read as that.
        let mut idle = TcpStream::connect(addr).unwrap();
        idle.set_nonblocking(true).unwrap();
        assert_eq!(idle.read(&mut [0u8; 1]).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        assert_eq!(peek(&ours).unwrap(), 0, "closed");
        assert!(!still_open(&ours));
    }

    #[test]
    fn a_refused_connection_names_the_address_it_tried() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let addr: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
        let m = connect_failure(&refused, "127.0.0.1", addr).to_string();
        assert!(m.starts_with("could not connect: 127.0.0.1:9: "), "{m}");
        let m = connect_failure(&refused, "localhost", addr).to_string();
        assert!(m.starts_with("could not connect: localhost (127.0.0.1:9): "), "{m}");
        let v6: std::net::SocketAddr = "[::1]:9".parse().unwrap();
        let m = connect_failure(&refused, "[::1]", v6).to_string();
        assert!(m.starts_with("could not connect: [::1]:9: "), "{m}");
    }
}
