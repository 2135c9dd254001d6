//! `DfxClient`: the handle every call goes through.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

use super::args;
use super::status::DfxStatus;
use crate::client::Client;

/// A DeepAffex API client: base URL, settings, pooled connections.
///
/// Opaque. Created by dfx_client_new(), freed by dfx_client_free().
/// Thread-safe: one client may be used from many threads at once, and
/// should be: its connections are kept alive and reused between calls.
///
/// Connections (HTTP/1.1, keep-alive, TLS by rustls): a blocking call runs
/// on the calling thread over a connection that thread keeps for the
/// client; the `_async` calls share a pool of connections on dfx's
/// internal threads. An idle connection is kept for up to 30 s, then
/// closed; freeing the client closes all its connections at once.
/// Connecting (name lookup, every address tried, TLS handshake) takes at
/// most 10 s in total; at most 4 name lookups run at once in the process.
///
/// Answers are limited: a head of at most 100 header lines and 64 KiB
/// (together with any 1xx heads before it); at most 8 informational (1xx)
/// heads; after a chunked body, at most 100 trailer lines and 64 KiB of
/// trailers; a body of at most 64 MiB. An answer over a limit fails with
/// DFX_ERR_TRANSPORT (no API answer comes near them; they keep a broken or
/// hostile server from exhausting the host's memory). An answer the server
/// sent before it stopped reading the request (e.g. a 413) is the call's
/// answer.
pub struct DfxClient {
    pub(crate) inner: Client,
}

// A `DfxClient *` is `Arc::into_raw` of an `Arc<DfxClient>`: the caller's
// handle is one strong reference, and every accepted `_async` call holds
// another until its callback has returned (see `callback::spawn_call`), so
// dfx_client_free() from inside a callback never frees memory that another
// callback of the same client may still use.
impl DfxClient {
    fn into_handle(self) -> *mut DfxClient {
        Arc::into_raw(Arc::new(self)).cast_mut()
    }

    /// Another strong reference to the handle `self` was reached through.
    ///
    /// # Safety
    /// `self` must have been reached through a live handle made by
    /// [`DfxClient::into_handle`] (every `&DfxClient` in src/ffi is).
    pub(crate) unsafe fn retain(&self) -> Arc<DfxClient> {
        let ptr: *const DfxClient = self;
        Arc::increment_strong_count(ptr);
        Arc::from_raw(ptr)
    }
}

/// Create a client for `base_url`.
///
/// `base_url`: "https://host[:port][/prefix]", or NULL for the production
/// cloud "https://api.deepaffex.ai". Plain "http://" is accepted only for
/// loopback hosts (127.0.0.0/8, ::1, localhost), such as the dfx-sandbox.
/// The whole-request timeout starts at 30 seconds (see
/// dfx_client_set_timeout_ms()). Nothing is connected until the first call.
///
/// Proxies: when the environment names one for the URL's scheme
/// (HTTPS_PROXY / https_proxy, HTTP_PROXY / http_proxy, ALL_PROXY /
/// all_proxy; NO_PROXY honoured; HTTP_PROXY ignored in a CGI program) at
/// the time the client is created, all its calls go through it, from any
/// thread, whatever the environment says later. Through a proxy, a renew
/// whose timeout runs out while still connecting is reported as
/// DFX_ERR_OUTCOME_UNKNOWN, not DFX_ERR_TIMEOUT (only the 10 s connect
/// limit is told apart there): the safe side. A library built without the
/// `proxy` feature (the size-tuned build) ignores these variables.
///
/// On DFX_OK, `*out_client` is a new client owned by the caller; free it
/// with dfx_client_free(). On any other status `*out_client` is set to NULL.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT (`out_client` NULL);
/// DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_URL (malformed, empty, query,
/// fragment, user info, plain http off loopback; or the proxy the
/// environment names is not a URL); DFX_ERR_INTERNAL.
/// Thread safety: safe from any thread. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_client_new(base_url: *const c_char, out_client: *mut *mut DfxClient) -> DfxStatus {
    ffi_status!({
        let out = args::out(out_client, "out_client")?;
        let base_url = args::optional_string(base_url, "base_url")?;
        let inner = Client::new(base_url)?;
        *out = DfxClient { inner }.into_handle();
        Ok(())
    })
}

/// Free a client. NULL is a no-op.
///
/// From the moment it is called, the client accepts no new non-blocking
/// calls: an `_async` call made meanwhile (from a callback or listener)
/// returns DFX_ERR_CANCELLED at once and its callback never runs. Calls
/// still in flight are cancelled: each callback runs once (with
/// DFX_ERR_CANCELLED unless it had already completed), and this function
/// returns only after every callback of this client has returned — no
/// callback of this client runs after it returns.
///
/// How long it can block: cancelled calls are dropped at once, except
/// those whose completion changes the session (a renew of a pair the
/// session holds, register, logins, unregister): they are carried through
/// so no pair is lost, and free waits for them, each bounded by the
/// client's timeout (30 s by default; unbounded with a timeout of 0). With
/// none of those in flight it returns as soon as the running callbacks
/// have returned.
///
/// Called from inside one of this client's callbacks, it cannot wait for
/// itself: it cancels everything and returns at once. The other callbacks
/// of this client may then still run (cancelled, or already running), and
/// may still use `client` (cancel, session reads, setters; `_async` calls
/// return DFX_ERR_CANCELLED): its memory is released when the last of
/// them has returned. Never call it from a session listener, or while
/// another thread is inside a blocking call on the same client, and never
/// twice. The caller must not use `client` after it returns (except from
/// the callbacks just described). Responses obtained from the client stay
/// valid and must still be freed with dfx_response_free().
/// Thread safety: any thread, including inside a callback of this client;
/// not concurrently with other calls on it (other than its callbacks).
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_client_free(client: *mut DfxClient) {
    ffi_value!((), {
        if !client.is_null() {
            (*client).inner.close();
            // The caller's reference; running callbacks hold their own.
            drop(Arc::from_raw(client.cast_const()));
        }
    })
}

/// Set the whole-request timeout in milliseconds: connecting, sending and
/// reading the entire answer must finish within it. 0 means no timeout.
/// The default is 30000 (30 s). Establishing a connection is also limited
/// to 10 s on its own. Applies to calls started after it returns.
///
/// A renew that times out after its request may have been sent returns
/// DFX_ERR_OUTCOME_UNKNOWN; other calls return DFX_ERR_TIMEOUT.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT (`client` NULL).
/// Thread safety: safe to call while other threads use the client.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_client_set_timeout_ms(client: *mut DfxClient, ms: u64) -> DfxStatus {
    ffi_status!({
        let client = args::handle(client, "client")?;
        client.inner.set_timeout((ms > 0).then(|| Duration::from_millis(ms)));
        Ok(())
    })
}
