//! Non-blocking calls: `DfxCallback`, starting a call on the internal
//! runtime, cancelling it.

use std::ffi::{c_char, c_void, CString};
use std::future::Future;
use std::pin::Pin;

use zeroize::Zeroize;

use crate::secret::Zeroizing;

use super::args;
use super::boundary::{clear_last_error, set_last_error, Failure};
use super::client::DfxClient;
use super::response::{outcome, DfxResponse};
use super::status::{DfxStatus, DFX_ERR_INVALID_ARGUMENT, DFX_ERR_NULL_ARGUMENT};
use crate::client::Client;
use crate::endpoints::Prepared;
use crate::error::Error;
use crate::requests::OnCancel;
use crate::response::Response;

/// The completion of a non-blocking (`_async`) call.
///
/// Every call has an `_async` form taking the same arguments, with
/// `DfxCallback callback, void *user_data, uint64_t *out_request_id` in
/// place of `DfxResponse **out_response`. Its arguments are checked (and
/// copied) at once: an argument error is returned by the `_async` call and
/// the callback never runs. On DFX_OK the request is accepted and
/// `*out_request_id` (if not NULL) holds its id for dfx_client_cancel(),
/// written before the callback can run. The request's first steps run on
/// the calling thread before the `_async` call returns, without blocking:
/// taking a kept connection (or starting to open one, TLS's first message
/// included) and writing the request as far as the socket takes it; dfx's
/// internal thread reads the answer. (A client keeps at most 256 calls on
/// the wire; a call queued behind them starts on the internal thread.)
/// `user_data` is passed to the
/// callback untouched; it must stay valid, and be usable from another
/// thread, until the callback has run. Session changes and the session
/// listener (on the internal thread) happen before the callback. The
/// `_async` calls may be made from any thread, including inside a callback.
///
/// The callback is called exactly once per accepted request, on one of dfx's internal
/// threads, never from inside the `_async` call itself; callbacks of
/// different requests may run at the same time on different threads.
/// SIGPIPE is blocked on those threads (a write to a closed pipe or socket
/// there fails with EPIPE instead of raising it).
/// `status` and `response` are what the blocking form would have returned:
/// `response` is non-NULL for DFX_OK and DFX_ERR_API, NULL otherwise, and
/// the callback owns it (free it with dfx_response_free(), now or later,
/// from any thread). DFX_ERR_CANCELLED if dfx_client_cancel() or
/// dfx_client_free() came first. dfx_last_error_message() on the callback's
/// thread describes a failure while the callback runs.
///
/// Inside a callback: `_async` calls, dfx_client_cancel(), accessors and
/// session reads work; a blocking call returns DFX_ERR_WOULD_DEADLOCK
/// (it would stall the thread that drives the requests); dfx_client_free()
/// is allowed (see there). Keep callbacks short: hand the result to your
/// own thread or event loop. A callback must return normally: a C++
/// exception or longjmp() out of it into dfx is undefined behaviour (catch
/// everything inside it).
pub type DfxCallback = Option<unsafe extern "C" fn(user_data: *mut c_void, status: DfxStatus, response: *mut DfxResponse)>;

/// A caller's pointer, carried to whatever thread runs its callback or
/// listener: the caller promises (in the header) that this is allowed.
pub(crate) struct SendPtr(*mut c_void);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    pub(crate) fn new(ptr: *mut c_void) -> SendPtr {
        SendPtr(ptr)
    }

    // A method, so closures capture the whole (Send + Sync) wrapper.
    pub(crate) fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Copy a required string argument of an `_async` call: not NULL, UTF-8,
/// not empty (argument errors are reported synchronously).
///
/// # Safety
/// As for [`args::string`].
pub(crate) unsafe fn required(ptr: *const c_char, name: &str) -> Result<Zeroizing<String>, Failure> {
    Ok(Zeroizing::new(required_str(ptr, name)?.to_owned()))
}

/// [`required`] without the copy, for a call whose request is built before
/// it returns.
///
/// # Safety
/// As for [`args::string`].
pub(crate) unsafe fn required_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    let text = args::string(ptr, name)?;
    if text.is_empty() {
        return Err(Failure::new(DFX_ERR_INVALID_ARGUMENT, format!("`{name}` must not be empty")));
    }
    Ok(text)
}

/// Copy an optional string argument of an `_async` call (NULL is `None`).
///
/// # Safety
/// As for [`args::string`].
pub(crate) unsafe fn optional(ptr: *const c_char, name: &str) -> Result<Option<Zeroizing<String>>, Failure> {
    Ok(args::optional_string(ptr, name)?.map(|s| Zeroizing::new(s.to_owned())))
}

/// Start `call` on the internal runtime; `callback` gets its result.
/// `on_cancel`: calls that change the session finish in the background
/// when cancelled ([`OnCancel::Finish`]), so no pair is ever lost.
///
/// The callback holds a reference to the client's handle until it has
/// returned, so the handle outlives every callback (see dfx_client_free).
///
/// # Safety
/// `out_request_id` is NULL or writable; `client` was reached through a
/// live handle (as [`DfxClient::retain`] requires).
pub(crate) unsafe fn spawn_call<F, Fut>(
    client: &DfxClient,
    on_cancel: OnCancel,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
    call: F,
) -> Result<(), Failure>
where
    F: FnOnce(Client) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Response, Error>> + Send + 'static,
{
    // Boxed, so the task machinery is compiled once, not once per call.
    let call: BoxedCall = Box::new(move |c| Box::pin(call(c)));
    spawn_with(client, on_cancel, callback, user_data, out_request_id, call)
}

/// [`spawn_call`] for a call whose request is built ([`Prepared`]): its
/// task carries the request and the sending inline, with no box for the
/// call or its future (the other instance of the task machinery: the
/// `_async` calls that build their request first, `dfx_call_async` and
/// `dfx_auth_renew_async`; issue 15).
///
/// # Safety
/// As for [`spawn_call`].
pub(crate) unsafe fn spawn_prepared(
    client: &DfxClient,
    prepared: Prepared,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> Result<(), Failure> {
    // A session-changing call is carried through when cancelled (a renew
    // only if the session holds the pair it spends); others are aborted.
    let on_cancel = prepared.on_cancel();
    let call = move |c: Client| async move { c.send_prepared(prepared).await };
    spawn_with(client, on_cancel, callback, user_data, out_request_id, call)
}

type BoxedCall = Box<dyn FnOnce(Client) -> Pin<Box<dyn Future<Output = Result<Response, Error>> + Send>> + Send>;

unsafe fn spawn_with<F, Fut>(
    client: &DfxClient,
    on_cancel: OnCancel,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
    call: F,
) -> Result<(), Failure>
where
    F: FnOnce(Client) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Response, Error>> + Send + 'static,
{
    let callback =
        callback.ok_or_else(|| Failure::new(DFX_ERR_NULL_ARGUMENT, "argument `callback` is NULL"))?;
    let user_data = SendPtr::new(user_data);
    let handle = client.retain();
    let publish = |id: u64| {
        if let Some(out) = out_request_id.as_mut() {
            *out = id;
        }
    };
    let complete = move |result: Result<Response, Error>| {
        let (response, status) = outcome(result);
        let status = match status {
            Ok(()) => {
                clear_last_error();
                super::status::DFX_OK
            }
            Err(failure) => {
                set_last_error(&failure.message);
                failure.status
            }
        };
        unsafe { callback(user_data.get(), status, response) };
        // The handle may be released only now that the callback is over.
        drop(handle);
    };
    client.inner.spawn(on_cancel, call, publish, complete)?;
    Ok(())
}

/// Cancel a non-blocking call. If it has not completed, its callback runs
/// (exactly once, soon, on an internal thread) with DFX_ERR_CANCELLED; a
/// call that changes the session (renew, register, logins, unregister) is
/// still carried through in the background so its effect on the session
/// is stored and announced — only the callback reports the cancellation.
/// Cancelling a finished, unknown or already cancelled id does nothing.
///
/// Returns DFX_OK (also for unknown ids); DFX_ERR_NULL_ARGUMENT.
/// Thread safety: any thread, including inside a callback. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_client_cancel(client: *mut DfxClient, request_id: u64) -> DfxStatus {
    ffi_status!({
        let client = args::handle(client, "client")?;
        client.inner.cancel(request_id);
        Ok(())
    })
}

/// Wipe a C string made for a callback or listener.
pub(crate) fn wipe(text: CString) {
    text.into_bytes().zeroize();
}
