//! `DfxStatus`: what every fallible call returns.
//!
//! Values are explicit and append-only: a value, once released, never changes
//! meaning. The core's [`Error`] becomes a status in [`status_of`], the only
//! place that decides it.

use std::ffi::c_char;

use crate::error::{Error, Refusal};

/// The result of every fallible dfx call: `DFX_OK` (0) or one of the
/// `DFX_ERR_*` constants. A fixed-width integer, not a C enum, so that new
/// values can be appended without changing the ABI. Name a value with
/// dfx_status_name(); the thread's dfx_last_error_message() says what
/// happened in words.
pub type DfxStatus = i32;

/// Success: a 2xx answer with a decodable JSON body.
pub const DFX_OK: DfxStatus = 0;
/// A required pointer argument was NULL. Nothing was sent.
pub const DFX_ERR_NULL_ARGUMENT: DfxStatus = 1;
/// An argument is unusable: empty where a value is required, or a value the API cannot carry. Nothing was sent.
pub const DFX_ERR_INVALID_ARGUMENT: DfxStatus = 2;
/// A string argument is not valid UTF-8. Nothing was sent.
pub const DFX_ERR_INVALID_UTF8: DfxStatus = 3;
/// The base URL is malformed, has a query, fragment or user info, or is plain http:// to a host that is not loopback.
pub const DFX_ERR_INVALID_URL: DfxStatus = 4;
/// The API answered with a non-2xx status. The response is handed out: read dfx_response_status(), dfx_response_error_code() and dfx_response_error_message(), then free it.
pub const DFX_ERR_API: DfxStatus = 5;
/// No connection could be made (refused, unreachable, name not resolved). Nothing was sent.
pub const DFX_ERR_CONNECT: DfxStatus = 6;
/// The call did not complete within the client's timeout (see dfx_client_set_timeout_ms()), or no connection was established within the 10 s connect limit. A renew that timed out while connecting was not processed by the server (nothing was sent, or only a redirect came back): its pair is still good.
pub const DFX_ERR_TIMEOUT: DfxStatus = 7;
/// The TLS handshake failed: bad or untrusted certificate, protocol error, or the server does not speak TLS; the message says which. Also: dfx_client_set_trust() found no certificate in the system store.
pub const DFX_ERR_TLS: DfxStatus = 8;
/// A 2xx answer arrived whose body is not JSON.
pub const DFX_ERR_DECODE: DfxStatus = 9;
/// The response headers arrived but the connection ended before the whole body.
pub const DFX_ERR_TRUNCATED: DfxStatus = 10;
/// The connection closed after the request was (or may have been) sent and before any response arrived.
pub const DFX_ERR_CONNECTION_LOST: DfxStatus = 11;
/// A redirect was refused: to another origin, one that would drop the request body (301/302/303), or more than 5.
pub const DFX_ERR_REDIRECT: DfxStatus = 12;
/// A token renewal may have reached the server but no complete answer came
/// back (timeout, connection lost, body cut short). The one-time pair may
/// already be consumed by the server; the new pair, if any, is lost. Keep the
/// old pair, try it once more, and be ready to register or log in again.
/// dfx never retries a renew by itself.
pub const DFX_ERR_OUTCOME_UNKNOWN: DfxStatus = 13;
/// The request was cancelled before it completed.
pub const DFX_ERR_CANCELLED: DfxStatus = 14;
/// A blocking call was made from a thread that drives an async runtime (a dfx callback or an internal thread); it would have deadlocked.
pub const DFX_ERR_WOULD_DEADLOCK: DfxStatus = 15;
/// Any other transport failure: a malformed answer, or one whose body is larger than 64 MiB.
pub const DFX_ERR_TRANSPORT: DfxStatus = 16;
/// A bug in dfx, such as a caught panic. The client is still usable.
pub const DFX_ERR_INTERNAL: DfxStatus = 17;
/// A measurement stream already holds as many chunks not yet acknowledged as it may (DFX_STREAM_MAX_UNACKED): nothing was taken; send again after an acknowledgement.
pub const DFX_ERR_STREAM_FULL: DfxStatus = 18;
/// The server refused a measurement chunk with RATE_LIMIT (or HTTP 429): chunks came faster than it allows.
pub const DFX_ERR_RATE_LIMITED: DfxStatus = 19;
/// The server refused a measurement chunk with MEASUREMENT_CLOSED: the measurement already received its last chunk.
pub const DFX_ERR_MEASUREMENT_CLOSED: DfxStatus = 20;
/// The server refused a measurement chunk with MISALIGNED_CHUNK: out of order (the first chunk must be DFX_CHUNK_FIRST, the last DFX_CHUNK_LAST).
pub const DFX_ERR_MISALIGNED_CHUNK: DfxStatus = 21;
/// The server refused a measurement stream or chunk with INVALID_MEASUREMENT: no such measurement for this token.
pub const DFX_ERR_INVALID_MEASUREMENT: DfxStatus = 22;
/// The measurement stream has ended, or its last chunk was already sent: it takes no more chunks.
pub const DFX_ERR_STREAM_ENDED: DfxStatus = 23;

/// Every status with its name and a description, in value order.
const TABLE: &[(DfxStatus, &str, &str)] = &[
    (DFX_OK, "DFX_OK\0", "success\0"),
    (DFX_ERR_NULL_ARGUMENT, "DFX_ERR_NULL_ARGUMENT\0", "a required pointer argument was NULL\0"),
    (DFX_ERR_INVALID_ARGUMENT, "DFX_ERR_INVALID_ARGUMENT\0", "an argument is invalid\0"),
    (DFX_ERR_INVALID_UTF8, "DFX_ERR_INVALID_UTF8\0", "a string argument is not valid UTF-8\0"),
    (DFX_ERR_INVALID_URL, "DFX_ERR_INVALID_URL\0", "the base URL is malformed or not allowed\0"),
    (DFX_ERR_API, "DFX_ERR_API\0", "the API answered with a non-2xx status\0"),
    (DFX_ERR_CONNECT, "DFX_ERR_CONNECT\0", "could not connect to the server\0"),
    (DFX_ERR_TIMEOUT, "DFX_ERR_TIMEOUT\0", "the call timed out\0"),
    (DFX_ERR_TLS, "DFX_ERR_TLS\0", "the TLS handshake failed\0"),
    (DFX_ERR_DECODE, "DFX_ERR_DECODE\0", "the response body is not JSON\0"),
    (DFX_ERR_TRUNCATED, "DFX_ERR_TRUNCATED\0", "the response body was cut short\0"),
    (DFX_ERR_CONNECTION_LOST, "DFX_ERR_CONNECTION_LOST\0", "the connection closed before a response arrived\0"),
    (DFX_ERR_REDIRECT, "DFX_ERR_REDIRECT\0", "a redirect was refused\0"),
    (DFX_ERR_OUTCOME_UNKNOWN, "DFX_ERR_OUTCOME_UNKNOWN\0", "the renew may have reached the server but its answer was lost\0"),
    (DFX_ERR_CANCELLED, "DFX_ERR_CANCELLED\0", "the request was cancelled\0"),
    (DFX_ERR_WOULD_DEADLOCK, "DFX_ERR_WOULD_DEADLOCK\0", "a blocking call from an async runtime thread would deadlock\0"),
    (DFX_ERR_TRANSPORT, "DFX_ERR_TRANSPORT\0", "transport error\0"),
    (DFX_ERR_INTERNAL, "DFX_ERR_INTERNAL\0", "internal error in dfx\0"),
    (DFX_ERR_STREAM_FULL, "DFX_ERR_STREAM_FULL\0", "the stream holds as many unacknowledged chunks as it may\0"),
    (DFX_ERR_RATE_LIMITED, "DFX_ERR_RATE_LIMITED\0", "the server rate limited the measurement's chunks\0"),
    (DFX_ERR_MEASUREMENT_CLOSED, "DFX_ERR_MEASUREMENT_CLOSED\0", "the measurement already received its last chunk\0"),
    (DFX_ERR_MISALIGNED_CHUNK, "DFX_ERR_MISALIGNED_CHUNK\0", "the chunk is out of order for its measurement\0"),
    (DFX_ERR_INVALID_MEASUREMENT, "DFX_ERR_INVALID_MEASUREMENT\0", "no such measurement for this token\0"),
    (DFX_ERR_STREAM_ENDED, "DFX_ERR_STREAM_ENDED\0", "the stream ended or already sent its last chunk\0"),
];

const UNRECOGNIZED_NAME: &str = "DFX_UNRECOGNIZED_STATUS\0";
const UNRECOGNIZED_TEXT: &str = "not a dfx status value\0";

fn entry(status: DfxStatus) -> Option<&'static (DfxStatus, &'static str, &'static str)> {
    usize::try_from(status).ok().and_then(|i| TABLE.get(i)).filter(|e| e.0 == status)
}

/// The constant's name without the trailing NUL (Rust callers, tests).
pub fn status_name(status: DfxStatus) -> &'static str {
    entry(status).map_or(UNRECOGNIZED_NAME, |e| e.1).trim_end_matches('\0')
}

/// The status a core error is reported as. The one place that decides it.
pub(crate) fn status_of(error: &Error) -> DfxStatus {
    match error {
        Error::InvalidArgument(_) => DFX_ERR_INVALID_ARGUMENT,
        Error::InvalidUrl(_) => DFX_ERR_INVALID_URL,
        Error::Api(_) => DFX_ERR_API,
        Error::Connect(_) => DFX_ERR_CONNECT,
        Error::Timeout(_) | Error::ConnectTimeout(_) => DFX_ERR_TIMEOUT,
        Error::Tls(_) => DFX_ERR_TLS,
        Error::Decode(_) => DFX_ERR_DECODE,
        Error::Truncated(_) => DFX_ERR_TRUNCATED,
        Error::ConnectionLost(_) => DFX_ERR_CONNECTION_LOST,
        Error::Redirect(_) => DFX_ERR_REDIRECT,
        Error::OutcomeUnknown(_) => DFX_ERR_OUTCOME_UNKNOWN,
        Error::WouldDeadlock => DFX_ERR_WOULD_DEADLOCK,
        Error::Cancelled(_) => DFX_ERR_CANCELLED,
        Error::Measurement(refusal, _) => match refusal {
            Refusal::RateLimited => DFX_ERR_RATE_LIMITED,
            Refusal::MeasurementClosed => DFX_ERR_MEASUREMENT_CLOSED,
            Refusal::MisalignedChunk => DFX_ERR_MISALIGNED_CHUNK,
            Refusal::InvalidMeasurement => DFX_ERR_INVALID_MEASUREMENT,
        },
        Error::StreamFull(_) => DFX_ERR_STREAM_FULL,
        Error::StreamEnded(_) => DFX_ERR_STREAM_ENDED,
        Error::Transport(_) => DFX_ERR_TRANSPORT,
        Error::Internal(_) => DFX_ERR_INTERNAL,
    }
}

/// The name of a status constant, e.g. "DFX_OK" or "DFX_ERR_API";
/// "DFX_UNRECOGNIZED_STATUS" for a value that is not a dfx status.
///
/// Returns a static string: never NULL, never freed by the caller.
/// Thread safety: safe from any thread. Since 0.1.0.
#[no_mangle]
pub extern "C" fn dfx_status_name(status: DfxStatus) -> *const c_char {
    ffi_value!(UNRECOGNIZED_NAME.as_ptr().cast(), {
        entry(status).map_or(UNRECOGNIZED_NAME, |e| e.1).as_ptr().cast()
    })
}

/// A short English description of a status, e.g. "could not connect to the
/// server"; "not a dfx status value" for an unknown value. For what exactly
/// went wrong in a failed call, read dfx_last_error_message().
///
/// Returns a static string: never NULL, never freed by the caller.
/// Thread safety: safe from any thread. Since 0.1.0.
#[no_mangle]
pub extern "C" fn dfx_status_description(status: DfxStatus) -> *const c_char {
    ffi_value!(UNRECOGNIZED_TEXT.as_ptr().cast(), {
        entry(status).map_or(UNRECOGNIZED_TEXT, |e| e.2).as_ptr().cast()
    })
}

/// A description of the last failed dfx call on the calling thread, or ""
/// when the last fallible call on this thread succeeded (or none was made).
///
/// Every function returning DfxStatus sets it: cleared on DFX_OK, set on any
/// other status. Accessors and free functions leave it alone. Messages never
/// contain tokens, refresh tokens, passwords, license keys, MFA or login
/// codes, or a URL's user info, path or query — not even when the server
/// echoes them back (each is replaced by "…"); the body of a DFX_ERR_API
/// response stays the server's bytes.
///
/// Returns a pointer owned by dfx, never NULL, valid until the next dfx call
/// on the same thread; copy it to keep it. Do not free it.
/// Thread safety: each thread has its own message. Since 0.1.0.
#[no_mangle]
pub extern "C" fn dfx_last_error_message() -> *const c_char {
    ffi_value!(c"".as_ptr(), {
        super::boundary::last_error_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_dense_and_named_after_constants() {
        for (i, (value, name, text)) in TABLE.iter().enumerate() {
            assert_eq!(*value as usize, i);
            assert!(name.ends_with('\0') && text.ends_with('\0'));
            assert!(name.starts_with("DFX_"));
        }
        assert_eq!(status_name(DFX_ERR_API), "DFX_ERR_API");
        assert_eq!(status_name(-1), "DFX_UNRECOGNIZED_STATUS");
        assert_eq!(status_name(TABLE.len() as i32), "DFX_UNRECOGNIZED_STATUS");
        assert_eq!(status_name(i32::MIN), "DFX_UNRECOGNIZED_STATUS");
    }
}
