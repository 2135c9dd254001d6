//! The General calls (`dfx_general_*`).

use std::ffi::{c_char, c_void};

use super::args;
use super::callback::{optional, spawn_call, DfxCallback};
use super::client::DfxClient;
use super::response::{run, DfxResponse};
use super::boundary::Failure;
use super::status::{DfxStatus, DFX_ERR_INVALID_ARGUMENT};
use crate::requests::OnCancel;

/// Verify a token and read its claims: GET auth. The answer carries
/// "ActiveLicense", "DeviceID", "ID", "OrganizationID", "Region",
/// "RoleID", "Type", "exp", … (ActiveLicense false: register again).
///
/// Bearer: `token`; if `token` is NULL, the session's user token when set,
/// else its device token. Session: unchanged.
///
/// Ownership of `*out_response` as for dfx_auth_renew(). DFX_ERR_API for
/// e.g. 401 TOKEN_EXPIRED or INVALID_TOKEN; DFX_ERR_INVALID_ARGUMENT if
/// `token` is ""; otherwise the statuses returned as for
/// dfx_auth_request_login_code().
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_general_verify_token(
    client: *mut DfxClient,
    token: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let token = args::optional_string(token, "token")?;
        run(client.general().verify_token(token), out)
    })
}

/// The non-blocking form of dfx_general_verify_token() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`.
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_general_verify_token_async(
    client: *mut DfxClient,
    token: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let token = optional(token, "token")?;
        if token.as_deref().is_some_and(|s| s.is_empty()) {
            return Err(Failure::new(DFX_ERR_INVALID_ARGUMENT, "`token` must not be empty"));
        }
        spawn_call(client, OnCancel::Abort, callback, user_data, out_request_id, move |c| async move {
            c.general().verify_token(token.as_deref().map(|s| s.as_str())).await
        })
    })
}

/// The API's status: GET status. The answer carries "StatusID" ("ACTIVE"
/// when usable, or "MAINTENANCE", "ERROR", "LATENCY"), "Version",
/// "Region".
///
/// Bearer: none. Session: unchanged. Ownership of `*out_response` as for
/// dfx_auth_renew().
/// Returns DFX_OK; DFX_ERR_API; DFX_ERR_CONNECT; DFX_ERR_TIMEOUT;
/// DFX_ERR_TLS; DFX_ERR_DECODE; DFX_ERR_TRUNCATED; DFX_ERR_CONNECTION_LOST;
/// DFX_ERR_REDIRECT; DFX_ERR_TRANSPORT; DFX_ERR_NULL_ARGUMENT;
/// DFX_ERR_WOULD_DEADLOCK; DFX_ERR_INTERNAL.
/// Thread safety: safe to call concurrently on one client, and from a
/// session listener; blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_general_status(client: *mut DfxClient, out_response: *mut *mut DfxResponse) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        run(client.general().status(), out)
    })
}

/// The non-blocking form of dfx_general_status() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`.
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_general_status_async(
    client: *mut DfxClient,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        spawn_call(client, OnCancel::Abort, callback, user_data, out_request_id, move |c| async move {
            c.general().status().await
        })
    })
}
