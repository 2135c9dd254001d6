//! `DfxClient`: the handle every call goes through.

use std::ffi::c_char;
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
/// internal threads. An idle connection is reused for up to 30 s.
/// Establishing a connection (and its TLS session) may take at most 10 s.
/// An answer whose body is larger than 64 MiB is refused with
/// DFX_ERR_TRANSPORT (no API answer comes near it; the limit keeps a broken
/// server from exhausting the host's memory).
pub struct DfxClient {
    pub(crate) inner: Client,
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
        *out = Box::into_raw(Box::new(DfxClient { inner }));
        Ok(())
    })
}

/// Free a client. NULL is a no-op.
///
/// Non-blocking calls still in flight are cancelled: each callback runs
/// once (with DFX_ERR_CANCELLED unless it had already completed), and this
/// function returns only after every callback of this client has returned —
/// no callback of this client runs after it returns. Calls that change the
/// session and were cancelled mid-way are first carried through (bounded by
/// the timeout), so their session listener calls also happen before it
/// returns.
///
/// Called from inside one of this client's callbacks, it cannot wait for
/// itself: it cancels everything and returns at once; the remaining
/// callbacks (cancelled) may then still run, and the client's memory is
/// released when the last of them returns. Never call it from a session
/// listener, or while another thread is inside a blocking call on the same
/// client. The caller must not use `client` afterwards. Responses obtained
/// from the client stay valid and must still be freed with
/// dfx_response_free(). Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_client_free(client: *mut DfxClient) {
    ffi_value!((), {
        if !client.is_null() {
            let client = Box::from_raw(client);
            client.inner.close();
            drop(client);
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
