//! hyper's HTTP/1.1 client as an oracle for dfx's response reader: the same
//! bytes, served from memory, read by both; the verdicts must agree (same
//! status and body, or both refuse; dfx reuses a connection only where
//! hyper would) unless dfx's refusal is one of the deliberate, stricter
//! choices in [`DELIBERATE`].
//!
//! Shared by tests/http1_oracle.rs, tests/fuzz_replay.rs and the
//! `http1_oracle` cargo-fuzz target.
#![allow(dead_code)]

use std::cell::Cell;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use dfx::fuzzing::{read_response, Verdict};
use hyper::body::{Body, Bytes, Frame};

/// Where dfx refuses what hyper takes, on purpose: (words of dfx's refusal, why).
pub const DELIBERATE: &[(&str, &str)] = &[
    ("response head is larger than", "dfx's 64 KiB head limit is below hyper's 400 KiB buffer: no API answer comes near it"),
    ("larger than", "dfx refuses bodies over its body limit (hyper has none): a hostile server must not exhaust the host's memory"),
    (
        "informational (1xx) heads before the answer",
        "dfx takes at most 8 informational heads before the answer (hyper has no count): a server must not keep a \
         call waiting with an endless stream of 1xx heads (found by the long http1_oracle run on the final code)",
    ),
    (
        "trailer line not ended by CRLF",
        "a bare LF in the trailer section: hyper reads trailers up to the next CRLF CRLF and ignores whatever follows \
         a blank line inside them; dfx refuses (RFC 9112 2.2 lets a recipient refuse a bare LF; dfx uses no trailer)",
    ),
];

/// Where hyper refuses at a limit of its own what dfx takes: (words of
/// hyper's refusal, why dfx may take it).
/// (None now: dfx takes at most 100 trailer lines, as hyper does.)
pub const HYPER_LIMITS: &[(&str, &str)] = &[];

/// Why `stream` makes dfx refuse on purpose where hyper answers, if it does.
pub fn deliberate(dfx_refusal: &str) -> Option<&'static str> {
    DELIBERATE.iter().find(|(words, _)| dfx_refusal.contains(words)).map(|(_, why)| *why)
}

/// Whether the final head carries both Transfer-Encoding and
/// Content-Length: dfx then closes the connection after the answer, on
/// purpose (RFC 9112 6.3: such framing may be an attempt at response
/// splitting; a connection other parties may read differently is not
/// reused). hyper keeps it.
pub fn closes_after_ambiguous_framing(stream: &[u8]) -> bool {
    let mut rest = stream;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut head = httparse::Response::new(&mut headers);
        let Ok(httparse::Status::Complete(len)) = head.parse(rest) else { return false };
        if matches!(head.code, Some(100 | 102..=199)) {
            rest = &rest[len..];
            continue;
        }
        let has = |name: &str| head.headers.iter().any(|h| h.name.eq_ignore_ascii_case(name));
        return has("transfer-encoding") && has("content-length");
    }
}

/// Read `stream` with dfx and with hyper and compare. `Err` says how they
/// disagree.
pub fn compare(stream: &[u8]) -> Result<(), String> {
    let dfx = read_response(stream, 0);
    let hyper = hyper_reads(stream, AtEnd::Close);
    let shown = || String::from_utf8_lossy(stream).into_owned();
    match (&dfx, &hyper) {
        (Verdict::Refused(_), Verdict::Refused(_)) => Ok(()),
        (Verdict::Refused(e), Verdict::Answer { .. }) if deliberate(e).is_some() => Ok(()),
        (Verdict::Answer { .. }, Verdict::Refused(e)) if HYPER_LIMITS.iter().any(|(words, _)| e.contains(words)) => Ok(()),
        (Verdict::Answer { status, body, reuse }, Verdict::Answer { status: s, body: b, .. }) => {
            if (status, body) != (s, b) {
                return Err(format!("dfx {dfx:?}, hyper {hyper:?} on {:?}", shown()));
            }
            // Whether the connection could carry the next request: hyper
            // tells only while the server keeps it open.
            let hyper_reuse = matches!(hyper_reads(stream, AtEnd::StayOpen), Verdict::Answer { reuse: true, .. });
            if *reuse != hyper_reuse && !(hyper_reuse && closes_after_ambiguous_framing(stream)) {
                return Err(format!("dfx reuse {reuse}, hyper reuse {hyper_reuse} on {:?}", shown()));
            }
            Ok(())
        }
        _ => Err(format!("dfx {dfx:?}, hyper {hyper:?} on {:?}", shown())),
    }
}

/// The fuzz target: any disagreement is a failure.
pub fn http1_oracle(stream: &[u8]) {
    if let Err(e) = compare(stream) {
        panic!("dfx and hyper disagree: {e}");
    }
}

/// What the server does once its bytes are sent.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum AtEnd {
    Close,
    StayOpen,
}

/// A connection from memory: swallows the request, then serves `data`.
struct Script<'a> {
    data: &'a [u8],
    pos: usize,
    at_end: AtEnd,
    written: Vec<u8>,
    /// Counts reads and writes that moved bytes.
    progress: Rc<Cell<u64>>,
}

impl hyper::rt::Read for Script<'_> {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, mut buf: hyper::rt::ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        // The server answers once the whole request head is in.
        if !this.written.windows(4).any(|w| w == b"\r\n\r\n") {
            return Poll::Pending;
        }
        if this.pos == this.data.len() {
            return match this.at_end {
                AtEnd::Close => Poll::Ready(Ok(())),
                AtEnd::StayOpen => Poll::Pending,
            };
        }
        let n = buf.remaining().min(this.data.len() - this.pos);
        buf.put_slice(&this.data[this.pos..this.pos + n]);
        this.pos += n;
        this.progress.set(this.progress.get() + 1);
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for Script<'_> {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.written.extend_from_slice(buf);
        self.progress.set(self.progress.get() + 1);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A request without a body.
struct NoBody;

impl Body for NoBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(None)
    }
    fn is_end_stream(&self) -> bool {
        true
    }
}

/// Rounds of polling without a byte moving after which hyper is taken to
/// wait for bytes that will not come (the connection is in memory: it is
/// always ready until its bytes run out).
const IDLE_ROUNDS: u32 = 16;

/// Polls `step` until it is ready or nothing has moved for [`IDLE_ROUNDS`].
fn until_ready<T>(progress: &Cell<u64>, mut step: impl FnMut() -> Poll<T>) -> Option<T> {
    let (mut seen, mut idle) = (progress.get(), 0);
    while idle < IDLE_ROUNDS {
        if let Poll::Ready(v) = step() {
            return Some(v);
        }
        if progress.get() == seen {
            idle += 1;
        } else {
            (seen, idle) = (progress.get(), 0);
        }
    }
    None
}

/// An error and its sources, as one line.
fn chain(e: &hyper::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// hyper's verdict on `stream` as the answer to a GET. `reuse`: after the
/// answer, the connection is ready for another request.
pub fn hyper_reads(stream: &[u8], at_end: AtEnd) -> Verdict {
    let mut cx = Context::from_waker(Waker::noop());
    let progress = Rc::new(Cell::new(0));
    let io = Script { data: stream, pos: 0, at_end, written: Vec::new(), progress: progress.clone() };
    let Poll::Ready(Ok((mut sender, conn))) = pin!(hyper::client::conn::http1::handshake::<_, NoBody>(io)).poll(&mut cx)
    else {
        panic!("an in-memory handshake completes at once");
    };
    let mut conn = pin!(conn);
    let mut conn_done = false;
    let mut drive = |cx: &mut Context<'_>| {
        if !conn_done {
            conn_done = conn.as_mut().poll(cx).is_ready();
        }
    };
    let request = hyper::Request::get("/").header("host", "oracle").body(NoBody).unwrap();
    let mut response = pin!(sender.send_request(request));
    let answer = until_ready(&progress, || {
        drive(&mut cx);
        response.as_mut().poll(&mut cx)
    });
    let answer = match answer {
        Some(Ok(answer)) => answer,
        Some(Err(e)) => return Verdict::Refused(chain(&e)),
        None => return Verdict::Refused("no answer (waits for more bytes)".into()),
    };
    let status = answer.status().as_u16();
    let mut body = answer.into_body();
    let mut bytes = Vec::new();
    loop {
        let frame = until_ready(&progress, || {
            drive(&mut cx);
            Pin::new(&mut body).poll_frame(&mut cx)
        });
        match frame {
            Some(None) => break,
            Some(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    bytes.extend_from_slice(&data);
                }
            }
            Some(Some(Err(e))) => return Verdict::Refused(chain(&e)),
            None => return Verdict::Refused("body incomplete (waits for more bytes)".into()),
        }
    }
    for _ in 0..IDLE_ROUNDS {
        drive(&mut cx);
    }
    let reuse = matches!(sender.poll_ready(&mut cx), Poll::Ready(Ok(())));
    Verdict::Answer { status, body: bytes, reuse }
}
