//! The one error type of the safe core.
//!
//! Messages never contain secrets, by construction: every failed request
//! passes through [`Error::redacted`] (in `Client::call`), which replaces
//! each secret the request and the session carried with `…` — including
//! in what the server echoed back. An API error shows the server's code
//! and message only in that redacted form.

use std::fmt;

use crate::response::Response;
use crate::secret::Secrets;

/// Everything that can go wrong with a call.
///
/// The C ABI maps each variant to one `DfxStatus` (see `ffi::status`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// An argument is unusable (for example empty where a value is required).
    /// Nothing was sent.
    InvalidArgument(String),
    /// The base URL is malformed or not allowed (plain `http` off loopback).
    InvalidUrl(String),
    /// The API answered with a non-2xx status. The response is kept so the
    /// caller can read the status, body and the API's error code and message.
    Api(Box<Response>),
    /// No connection could be made (refused, unreachable, DNS failure).
    /// Nothing was sent.
    Connect(String),
    /// The call did not complete within the configured timeout, after its
    /// request was (or may have been) sent.
    Timeout(String),
    /// No connection (or TLS session) was established within the connect
    /// limit or the configured timeout. The request was not sent (at most
    /// an earlier hop of it, which the server answered with a redirect).
    /// Reported to C as `DFX_ERR_TIMEOUT`, like [`Error::Timeout`].
    ConnectTimeout(String),
    /// The TLS handshake failed (certificate, protocol, or not a TLS server).
    Tls(String),
    /// A 2xx answer arrived whose body is not JSON.
    Decode(String),
    /// The response headers arrived but the body was cut short.
    Truncated(String),
    /// The connection closed after the request was (or may have been) sent
    /// and before any response arrived.
    ConnectionLost(String),
    /// A redirect was refused: to another origin, a method-changing one, or
    /// too many of them.
    Redirect(String),
    /// A token renewal may have reached the server, but no complete answer
    /// came back: the one-time pair may already be consumed. `cause` is the
    /// underlying timeout or transport error.
    OutcomeUnknown(Box<Error>),
    /// A blocking call was made from a thread that drives an async runtime
    /// (one of dfx's own, or the caller's tokio runtime); it would deadlock.
    WouldDeadlock,
    /// The request was cancelled before it completed; [`Cancel`] says at
    /// which point, so a caller knows whether the server may have seen it.
    Cancelled(Cancel),
    /// The server refused a measurement chunk, or the measurement itself:
    /// [`Refusal`] says why; the response holds the server's answer (its
    /// status and body, code and message).
    Measurement(Refusal, Box<Response>),
    /// A measurement stream already holds as many chunks not yet
    /// acknowledged as it may: send again after an acknowledgement.
    /// Nothing was taken.
    StreamFull(String),
    /// The measurement stream has ended, or its last chunk was already
    /// sent: it takes no more chunks.
    StreamEnded(String),
    /// Any other transport failure.
    Transport(String),
    /// A bug in dfx (for example a caught panic).
    Internal(String),
}

impl Error {
    /// The response of an [`Error::Api`] error.
    pub fn response(&self) -> Option<&Response> {
        match self {
            Error::Api(r) | Error::Measurement(_, r) => Some(r),
            _ => None,
        }
    }

    /// Whether the request of a failed call may have reached the server.
    /// False only when it certainly did not (bad arguments, refused
    /// connection, TLS failure during the handshake, no connection in time).
    pub(crate) fn may_have_been_sent(&self) -> bool {
        matches!(
            self,
            Error::Timeout(_)
                | Error::ConnectionLost(_)
                | Error::Truncated(_)
                | Error::Transport(_)
        )
    }
}

impl Error {
    /// The same error with every one of `secrets` replaced by `…` in its
    /// text; an API error gets its (redacted) code and message to show.
    /// The response body stays the server's bytes.
    pub(crate) fn redacted(self, secrets: &Secrets) -> Error {
        let r = |mut m: String| {
            let text = secrets.redact(&m);
            zeroize::Zeroize::zeroize(&mut m);
            text
        };
        match self {
            Error::InvalidArgument(m) => Error::InvalidArgument(r(m)),
            Error::InvalidUrl(m) => Error::InvalidUrl(r(m)),
            Error::Api(mut response) => {
                let shown = r(server_words(&response));
                response.set_shown_error(shown);
                Error::Api(response)
            }
            Error::Connect(m) => Error::Connect(r(m)),
            Error::Timeout(m) => Error::Timeout(r(m)),
            Error::ConnectTimeout(m) => Error::ConnectTimeout(r(m)),
            Error::Tls(m) => Error::Tls(r(m)),
            Error::Decode(m) => Error::Decode(r(m)),
            Error::Truncated(m) => Error::Truncated(r(m)),
            Error::ConnectionLost(m) => Error::ConnectionLost(r(m)),
            Error::Redirect(m) => Error::Redirect(r(m)),
            Error::OutcomeUnknown(cause) => Error::OutcomeUnknown(Box::new(cause.redacted(secrets))),
            Error::Measurement(kind, mut response) => {
                let shown = r(server_words(&response));
                response.set_shown_error(shown);
                Error::Measurement(kind, response)
            }
            Error::StreamFull(m) => Error::StreamFull(r(m)),
            Error::StreamEnded(m) => Error::StreamEnded(r(m)),
            Error::Transport(m) => Error::Transport(r(m)),
            Error::Internal(m) => Error::Internal(r(m)),
            e @ (Error::WouldDeadlock | Error::Cancelled(_)) => e,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Error::InvalidUrl(m) => write!(f, "invalid URL: {m}"),
            Error::Api(r) => f.write_str(&api_message(r)),
            Error::Connect(m) => write!(f, "could not connect: {m}"),
            Error::Timeout(m) | Error::ConnectTimeout(m) => write!(f, "timed out: {m}"),
            Error::Tls(m) => write!(f, "TLS failure: {m}"),
            Error::Decode(m) => write!(f, "undecodable response: {m}"),
            Error::Truncated(m) => write!(f, "truncated response: {m}"),
            Error::ConnectionLost(m) => write!(f, "connection lost: {m}"),
            Error::Redirect(m) => write!(f, "redirect refused: {m}"),
            Error::OutcomeUnknown(cause) => write!(
                f,
                "outcome unknown: the renew request may have reached the server but no \
                 complete answer came back ({cause}); the token pair may already be consumed"
            ),
            Error::WouldDeadlock => f.write_str(
                "a blocking dfx call was made from a thread that drives an async runtime \
                 (a dfx callback or a tokio task); it would deadlock",
            ),
            Error::Cancelled(point) => f.write_str(point.describe()),
            Error::Measurement(kind, r) => write!(f, "{}: {}", kind.describe(), api_message(r)),
            Error::StreamFull(m) => write!(f, "stream full: {m}"),
            Error::StreamEnded(m) => write!(f, "stream ended: {m}"),
            Error::Transport(m) => write!(f, "transport error: {m}"),
            Error::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Why the server refused a measurement chunk (its error `Code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// `RATE_LIMIT` (or HTTP 429): chunks came faster than allowed.
    RateLimited,
    /// `MEASUREMENT_CLOSED`: the measurement already has its last chunk.
    MeasurementClosed,
    /// `MISALIGNED_CHUNK`: out of order (e.g. not FIRST first).
    MisalignedChunk,
    /// `INVALID_MEASUREMENT`: no such measurement (for this bearer).
    InvalidMeasurement,
}

impl Refusal {
    /// The refusal an error answer's code (or status) names, if any.
    pub(crate) fn of(response: &Response) -> Option<Refusal> {
        match response.error_code() {
            Some("RATE_LIMIT") => Some(Refusal::RateLimited),
            Some("MEASUREMENT_CLOSED") => Some(Refusal::MeasurementClosed),
            Some("MISALIGNED_CHUNK") => Some(Refusal::MisalignedChunk),
            Some("INVALID_MEASUREMENT") => Some(Refusal::InvalidMeasurement),
            _ if response.status() == 429 => Some(Refusal::RateLimited),
            _ => None,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Refusal::RateLimited => "the server is rate limiting this measurement's chunks",
            Refusal::MeasurementClosed => "the measurement is closed: it already received its last chunk",
            Refusal::MisalignedChunk => "the chunk is out of order for its measurement",
            Refusal::InvalidMeasurement => "the measurement does not exist for this token",
        }
    }
}

/// Where a cancelled call was when it was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cancel {
    /// Nothing had been written to the server.
    BeforeSent,
    /// Its request had begun to leave: the server may have processed it
    /// (for a renew: the pair may be spent).
    AfterSent,
    /// It changes the session, so it goes on in the background and its
    /// effect (a new pair, a login) is stored and announced; only this
    /// completion is cancelled.
    FinishingInBackground,
    /// The client is being freed: no new calls are accepted.
    ClientClosing,
    /// The single-flight renew this call was waiting for was cancelled.
    SharedRenewCancelled,
}

impl Cancel {
    fn describe(self) -> &'static str {
        match self {
            Cancel::BeforeSent => "the request was cancelled before it was sent",
            Cancel::AfterSent => {
                "the request was cancelled after it was sent: the server may have processed it \
                 (a renewed pair may be spent)"
            }
            Cancel::FinishingInBackground => {
                "the request was cancelled; it changes the session, so it is carried through in \
                 the background and its result is stored in the session"
            }
            Cancel::ClientClosing => "the client is being freed: it accepts no new calls",
            Cancel::SharedRenewCancelled => "the renew this call was waiting for was cancelled",
        }
    }
}

/// How an [`Error::Api`] reads: "the API answered HTTP 401 CODE: message".
/// The server's code and message appear only once redacted
/// ([`Error::redacted`]); an answer that was not is shown by its status.
pub(crate) fn api_message(r: &Response) -> String {
    let mut text = format!("the API answered HTTP {}", r.status());
    if let Some(words) = r.shown_error() {
        text.push_str(words);
    }
    text
}

/// The server's own words of an error answer: " CODE: message".
fn server_words(r: &Response) -> String {
    let mut text = String::new();
    if let Some(code) = r.error_code() {
        text.push(' ');
        text.push_str(code);
    }
    if let Some(message) = r.error_message() {
        text.push_str(": ");
        text.push_str(message);
    }
    text
}
