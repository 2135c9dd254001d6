//! `DfxStream`: a measurement stream (chunks in, acknowledgements and
//! results out on a callback).

use std::cell::Cell;
use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::args;
use super::boundary::Failure;
use super::callback::SendPtr;
use super::client::DfxClient;
use super::status::{status_of, DfxStatus, DFX_ERR_INVALID_ARGUMENT, DFX_ERR_NULL_ARGUMENT, DFX_ERR_TIMEOUT, DFX_OK};
use crate::error::Error;
use crate::measurement::{ChunkPosition, Event, MeasurementStream};

/// Where a chunk sits in its measurement (dfx_measurement_stream_send_chunk()).
pub type DfxChunkPosition = u32;
/// The measurement's first chunk (sent as `FIRST::PROCESS`).
pub const DFX_CHUNK_FIRST: DfxChunkPosition = 0;
/// A chunk between the first and the last (`CHUNK::PROCESS`).
pub const DFX_CHUNK_MIDDLE: DfxChunkPosition = 1;
/// The measurement's last chunk (`LAST::PROCESS`): the stream takes no more.
pub const DFX_CHUNK_LAST: DfxChunkPosition = 2;

/// At most this many chunks of one stream wait for their acknowledgement;
/// dfx_measurement_stream_send_chunk() returns DFX_ERR_STREAM_FULL beyond.
pub const DFX_STREAM_MAX_UNACKED: u32 = 8;
/// The largest chunk taken, in bytes (before dfx's base64).
pub const DFX_STREAM_MAX_CHUNK_BYTES: u32 = 8_388_608;

// The header's numbers are the core's.
const _: () = assert!(DFX_STREAM_MAX_UNACKED as usize == crate::measurement::MAX_UNACKED);
const _: () = assert!(DFX_STREAM_MAX_CHUNK_BYTES as usize == crate::measurement::MAX_CHUNK_BYTES);

/// What a DfxStreamEvent reports.
pub type DfxStreamEventKind = u32;
/// A connection is ready — the socket logged in and subscribed to the
/// results, or HTTP chosen: `websocket` says which (1 or 0); `chunk`
/// numbers the ready connections (2 and more: ready again after a dropped
/// socket).
pub const DFX_STREAM_CONNECTED: DfxStreamEventKind = 1;
/// The server accepted chunk `chunk`. Once per chunk.
pub const DFX_STREAM_ACK: DfxStreamEventKind = 2;
/// The result of chunk `chunk` (socket only): `json` is its JSON object
/// (`MeasurementDataID`, `Channels`, `Multiplier`, ...). Once per chunk.
pub const DFX_STREAM_RESULT: DfxStreamEventKind = 3;
/// The server refused chunk `chunk`, or it failed in a way that may have
/// reached the server: `status` says why, `json` is the server's answer
/// body (NULL if none), `message` the words. DFX_STREAM_END follows.
pub const DFX_STREAM_CHUNK_ERROR: DfxStreamEventKind = 4;
/// The last event. `status` DFX_OK: `json` is the measurement as
/// measurements.retrieve returned it once COMPLETE (its final `Results`).
/// Otherwise why the stream ended early (`message`; `json` the server's
/// answer body when it gave one).
pub const DFX_STREAM_END: DfxStreamEventKind = 5;

/// One event of a measurement stream, valid only during the callback
/// (copy what you keep).
#[repr(C)]
pub struct DfxStreamEvent {
    /// DFX_STREAM_CONNECTED, _ACK, _RESULT, _CHUNK_ERROR or _END.
    pub kind: DfxStreamEventKind,
    /// DFX_OK, or the failure of DFX_STREAM_CHUNK_ERROR / DFX_STREAM_END:
    /// DFX_ERR_RATE_LIMITED, DFX_ERR_MEASUREMENT_CLOSED,
    /// DFX_ERR_MISALIGNED_CHUNK, DFX_ERR_INVALID_MEASUREMENT, DFX_ERR_API
    /// (another refusal), or a transport status.
    pub status: DfxStatus,
    /// The chunk's number (0, 1, ... in the order they were sent) for
    /// ACK, RESULT and CHUNK_ERROR; the connection count for CONNECTED.
    pub chunk: u32,
    /// CONNECTED: 1 over the socket, 0 over HTTP. Otherwise 0.
    pub websocket: i32,
    /// NUL-terminated JSON text, or NULL (see each kind).
    pub json: *const c_char,
    /// Length of `json` in bytes (0 when NULL).
    pub json_len: usize,
    /// NUL-terminated words on a failure (no secret in them), or NULL.
    pub message: *const c_char,
}

/// Receives a stream's events, one at a time and in order, on one of dfx's
/// internal threads (SIGPIPE blocked there). `event` and everything it
/// points to are valid only until the callback returns. Inside it:
/// dfx_measurement_stream_send_chunk() and dfx_measurement_stream_free() of
/// this stream, `_async` calls and accessors work; blocking calls and
/// dfx_measurement_stream_wait() return DFX_ERR_WOULD_DEADLOCK. It must
/// return normally (no C++ exception or longjmp() out of it).
pub type DfxStreamCallback = Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const DfxStreamEvent)>;

/// A stream's counters (dfx_measurement_stream_stats()).
#[repr(C)]
#[derive(Default)]
pub struct DfxStreamStats {
    /// Connections made: sockets opened (more than 1 after reconnects,
    /// including any that dropped before they were ready), or 1 over HTTP.
    pub connections: u64,
    /// Chunks sent again on a new socket because their acknowledgement had
    /// not arrived when the previous socket dropped (the server counts each
    /// chunk once).
    pub resent_chunks: u64,
    /// Frames from the server that could not be read or matched to a
    /// request, dropped.
    pub dropped_frames: u64,
    /// 1 while the stream runs over the socket, 0 over HTTP (or before it
    /// connected).
    pub websocket: i32,
}

/// A measurement stream. Opaque: made by dfx_measurement_stream_open(),
/// freed by dfx_measurement_stream_free().
pub struct DfxStream {
    stream: MeasurementStream,
    gate: Arc<Gate>,
    /// The client's memory lives as long as the stream.
    _client: Arc<DfxClient>,
}

/// Lets dfx_measurement_stream_free() wait for a running callback and stop
/// the ones after it.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    running: Mutex<()>,
}

thread_local! {
    /// The gate of the stream whose callback this thread is running.
    static IN_CALLBACK: Cell<*const Gate> = const { Cell::new(ptr::null()) };
}

/// The C form of one event; the strings live as long as it.
struct CEvent {
    raw: DfxStreamEvent,
    _json: Option<CString>,
    _message: Option<CString>,
}

fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

impl CEvent {
    fn new(event: &Event<'_>) -> CEvent {
        let (kind, chunk, websocket, json, failure): (_, u32, i32, Option<&str>, Option<&Error>) = match event {
            Event::Connected { websocket, attempt } => (DFX_STREAM_CONNECTED, *attempt, i32::from(*websocket), None, None),
            Event::Ack { chunk } => (DFX_STREAM_ACK, *chunk, 0, None, None),
            Event::Result { chunk, json } => (DFX_STREAM_RESULT, *chunk, 0, Some(json), None),
            Event::ChunkError { chunk, error } => (DFX_STREAM_CHUNK_ERROR, *chunk, 0, None, Some(error)),
            Event::End(Ok(json)) => (DFX_STREAM_END, 0, 0, Some(json), None),
            Event::End(Err(error)) => (DFX_STREAM_END, 0, 0, None, Some(error)),
        };
        let json = json.or_else(|| failure.and_then(Error::response).map(|r| r.body())).map(c_text);
        let message = failure.map(|e| c_text(&e.to_string()));
        let raw = DfxStreamEvent {
            kind,
            status: failure.map_or(DFX_OK, status_of),
            chunk,
            websocket,
            json: json.as_ref().map_or(ptr::null(), |j| j.as_ptr()),
            json_len: json.as_ref().map_or(0, |j| j.as_bytes().len()),
            message: message.as_ref().map_or(ptr::null(), |m| m.as_ptr()),
        };
        CEvent { raw, _json: json, _message: message }
    }
}

/// Open a stream for the measurement `measurement_id` (made with
/// measurements.create, e.g. by dfx_call()). Never blocks: connecting
/// starts in the background, and `callback` gets every event of the
/// stream (see DfxStreamEvent): DFX_STREAM_CONNECTED, then per chunk
/// DFX_STREAM_ACK and DFX_STREAM_RESULT — in either order: after a
/// reconnect the server may send a result again before the chunk's
/// acknowledgement — and last DFX_STREAM_END (exactly once, also when the
/// stream fails; never after dfx_measurement_stream_free() returned).
///
/// A stream sends a whole measurement, from its DFX_CHUNK_FIRST chunk: open
/// it on a measurement no other stream or call has sent chunks to. Each
/// chunk carries its number in the stream (ChunkOrder, from 0), and the
/// server takes a chunk whose number and content it already has as a
/// resend (acknowledged, not applied again).
///
/// The socket: the base URL with a `wss` (or, for loopback, `ws`) scheme,
/// same host, port and path; the same TLS trust and 10 s connect limit as
/// every call; authenticated with the session's user token, else its
/// device token (the `Authorization` header on the upgrade, then the
/// `0718` login frame), then subscribed to the results (`0510`). A socket
/// that drops is opened again (up to 5 failed tries in a row), logged in,
/// subscribed, and every chunk not yet acknowledged is sent again; the
/// server counts a chunk once (by its ChunkOrder) and each result is
/// handed out once. When the server refuses the upgrade (an HTTP answer,
/// e.g. a proxy or network that blocks sockets), or no upgrade succeeds in
/// 5 tries (a network that breaks sockets), before any chunk went over a
/// socket, or when the client goes through a proxy, the stream uses HTTP
/// instead (measurements.data per chunk, then measurements.retrieve until
/// COMPLETE): the same calls and events, without per-chunk results.
///
/// `user_data` is passed to `callback` untouched; it must stay valid (and
/// usable from another thread) until dfx_measurement_stream_free() returns.
/// The stream keeps the client's memory alive, not its calls: free every
/// stream before its client, which must not be freed while a stream's
/// chunks are in flight.
///
/// On DFX_OK `*out_stream` is a new stream owned by the caller; free it with
/// dfx_measurement_stream_free(). On any other status it is NULL and the
/// callback never runs.
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT (`client`, `measurement_id`,
/// `callback` or `out_stream`); DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT
/// (empty `measurement_id`); DFX_ERR_INTERNAL.
/// Thread safety: any thread, including inside a callback. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_measurement_stream_open(
    client: *mut DfxClient,
    measurement_id: *const c_char,
    callback: DfxStreamCallback,
    user_data: *mut c_void,
    out_stream: *mut *mut DfxStream,
) -> DfxStatus {
    ffi_status!({
        let out = args::out_slot(out_stream, "out_stream");
        let client = args::handle(client, "client")?;
        let id = args::string(measurement_id, "measurement_id")?;
        let callback =
            callback.ok_or_else(|| Failure::new(DFX_ERR_NULL_ARGUMENT, "argument `callback` is NULL"))?;
        let out = out.get()?;
        let gate = Arc::new(Gate { open: AtomicBool::new(true), running: Mutex::new(()) });
        let user_data = SendPtr::new(user_data);
        let their_gate = gate.clone();
        let handler = Box::new(move |event: Event<'_>| {
            let _running = their_gate.running.lock().unwrap_or_else(|p| p.into_inner());
            if !their_gate.open.load(Ordering::Acquire) {
                return;
            }
            let event = CEvent::new(&event);
            IN_CALLBACK.with(|c| c.set(Arc::as_ptr(&their_gate)));
            unsafe { callback(user_data.get(), &event.raw) };
            IN_CALLBACK.with(|c| c.set(ptr::null()));
        });
        let stream = MeasurementStream::open(&client.inner, id, handler)?;
        *out = Box::into_raw(Box::new(DfxStream { stream, gate, _client: client.retain() }));
        Ok(())
    })
}

/// Hand the stream its next chunk: `data`/`len` is the payload exactly as
/// the DeepAffex extraction library made it (raw bytes: dfx does the base64
/// and the JSON), `position` DFX_CHUNK_FIRST for the first, DFX_CHUNK_LAST
/// for the last, DFX_CHUNK_MIDDLE between. Never blocks: the chunk is copied
/// and queued, and sent as soon as the connection allows. On DFX_OK
/// `*out_chunk` (if not NULL) is its number (0, 1, ...), which its events
/// carry. The server judges the order: a chunk out of order comes back as
/// DFX_STREAM_CHUNK_ERROR with DFX_ERR_MISALIGNED_CHUNK.
///
/// Returns DFX_OK; DFX_ERR_STREAM_FULL (DFX_STREAM_MAX_UNACKED chunks await
/// their acknowledgement: nothing was taken; send it again after the next
/// DFX_STREAM_ACK); DFX_ERR_STREAM_ENDED (the last chunk was already sent,
/// or the stream ended); DFX_ERR_NULL_ARGUMENT (`stream`, or `data` with
/// `len` > 0); DFX_ERR_INVALID_ARGUMENT (`len` 0 or over
/// DFX_STREAM_MAX_CHUNK_BYTES, or an unknown `position`); DFX_ERR_INTERNAL.
/// `*out_chunk` is 0 on any status but DFX_OK.
/// Thread safety: any thread, including inside this stream's callback;
/// calls on one stream are taken in the order they return. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_measurement_stream_send_chunk(
    stream: *mut DfxStream,
    data: *const u8,
    len: usize,
    position: DfxChunkPosition,
    out_chunk: *mut u32,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_chunk);
        let stream = args::handle(stream, "stream")?;
        if data.is_null() && len > 0 {
            return Err(Failure::new(DFX_ERR_NULL_ARGUMENT, "argument `data` is NULL"));
        }
        let position = match position {
            DFX_CHUNK_FIRST => ChunkPosition::First,
            DFX_CHUNK_MIDDLE => ChunkPosition::Middle,
            DFX_CHUNK_LAST => ChunkPosition::Last,
            other => {
                return Err(Failure::new(
                    DFX_ERR_INVALID_ARGUMENT,
                    format!("`position` must be DFX_CHUNK_FIRST, DFX_CHUNK_MIDDLE or DFX_CHUNK_LAST, not {other}"),
                ))
            }
        };
        let bytes: &[u8] = if len == 0 { &[] } else { std::slice::from_raw_parts(data, len) };
        let order = stream.stream.send_chunk(bytes, position)?;
        if let Some(out) = out_chunk.as_mut() {
            *out = order;
        }
        Ok(())
    })
}

/// Wait until the stream has ended and its DFX_STREAM_END callback has
/// returned, at most `timeout_ms` milliseconds (0: no limit).
/// Returns DFX_OK (ended); DFX_ERR_TIMEOUT (not yet); DFX_ERR_NULL_ARGUMENT;
/// DFX_ERR_WOULD_DEADLOCK (called from a callback or another dfx internal
/// thread); DFX_ERR_INTERNAL.
/// Thread safety: any thread but dfx's own; blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_measurement_stream_wait(stream: *mut DfxStream, timeout_ms: u32) -> DfxStatus {
    ffi_status!({
        let stream = args::handle(stream, "stream")?;
        if crate::runtime::on_runtime_thread() {
            return Err(Error::WouldDeadlock.into());
        }
        let limit = (timeout_ms > 0).then(|| Duration::from_millis(u64::from(timeout_ms)));
        if stream.stream.wait(limit) {
            Ok(())
        } else {
            Err(Failure::new(DFX_ERR_TIMEOUT, format!("the stream did not end within {timeout_ms} ms")))
        }
    })
}

/// Read a stream's counters into `*out_stats` (see DfxStreamStats).
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT (`stream` or `out_stats`);
/// DFX_ERR_INTERNAL.
/// Thread safety: any thread, including inside a callback. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_measurement_stream_stats(stream: *mut DfxStream, out_stats: *mut DfxStreamStats) -> DfxStatus {
    ffi_status!({
        args::clear(out_stats);
        let stream = args::handle(stream, "stream")?;
        let out = args::value_out(out_stats, "out_stats")?;
        let stats = stream.stream.stats();
        *out = DfxStreamStats {
            connections: stats.connections,
            resent_chunks: stats.resent_chunks,
            dropped_frames: stats.dropped_frames,
            websocket: i32::from(stats.websocket),
        };
        Ok(())
    })
}

/// Free a stream. NULL is a no-op. Its socket closes, chunks not yet
/// acknowledged are dropped (the measurement stays as the server has it),
/// and no callback of this stream starts after this returns: it waits for
/// a callback running on another thread to return first. Called from
/// inside this stream's own callback it returns at once, and no callback
/// follows the running one. Never call it twice, or from the callback of
/// another stream whose own free may wait for this one.
/// Thread safety: any thread, including inside this stream's callback; not
/// concurrently with other calls on the same stream. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_measurement_stream_free(stream: *mut DfxStream) {
    ffi_value!((), {
        if !stream.is_null() {
            let stream = Box::from_raw(stream);
            stream.gate.open.store(false, Ordering::Release);
            let inside_own_callback = IN_CALLBACK.with(|c| c.get() == Arc::as_ptr(&stream.gate));
            if !inside_own_callback {
                drop(stream.gate.running.lock().unwrap_or_else(|p| p.into_inner()));
            }
            stream.stream.close();
        }
    })
}
