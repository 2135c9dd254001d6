//! The Users calls (`dfx_user_*`).

use std::ffi::{c_char, c_void};

use super::args;
use super::callback::{optional, required, spawn_call, DfxCallback};
use super::client::DfxClient;
use super::response::{run, DfxResponse};
use super::status::DfxStatus;
use crate::requests::OnCancel;

/// Log a user in on this device: POST users/auth with {"Email","Password"}
/// and "MFAToken" when given. The user pair can take measurements.
///
/// Bearer: the session's device token (register a license first).
/// Session: on DFX_OK stores DFX_SESSION_USER_TOKEN and
/// DFX_SESSION_USER_REFRESH_TOKEN (listener called) before returning.
///
/// `mfa_token`: NULL or "" unless the account uses two-factor
/// authentication. Ownership of `*out_response` and the statuses returned
/// as for dfx_organization_register_license().
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_user_login(
    client: *mut DfxClient,
    email: *const c_char,
    password: *const c_char,
    mfa_token: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let email = args::string(email, "email")?;
        let password = args::string(password, "password")?;
        let mfa_token = args::optional_string(mfa_token, "mfa_token")?;
        run(client.users().login(email, password, mfa_token), out)
    })
}

/// The non-blocking form of dfx_user_login() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`. A cancelled call still completes in the
/// background so its effect on the session is never lost.
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_user_login_async(
    client: *mut DfxClient,
    email: *const c_char,
    password: *const c_char,
    mfa_token: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let email = required(email, "email")?;
        let password = required(password, "password")?;
        let mfa_token = optional(mfa_token, "mfa_token")?;
        spawn_call(client, OnCancel::Finish, callback, user_data, out_request_id, move |c| async move {
            c.users().login(&email, &password, mfa_token.as_deref().map(|s| s.as_str())).await
        })
    })
}

/// Log in with the code dfx_auth_request_login_code() had sent by SMS:
/// POST users/auth/code with {"LoginCode","PhoneNumber","OrgKey"}
/// (LoginCode sent as a JSON string, which keeps leading zeros).
///
/// Bearer: none. Session: on DFX_OK stores DFX_SESSION_USER_TOKEN and
/// DFX_SESSION_USER_REFRESH_TOKEN (listener called) before returning.
///
/// `org_identifier`: the organization's identifier (sent as "OrgKey"). All arguments non-empty UTF-8.
/// Ownership of `*out_response` and the statuses returned as for
/// dfx_organization_register_license() (e.g. 401 INVALID_LOGIN_CODE as
/// DFX_ERR_API).
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_user_login_with_phone_code(
    client: *mut DfxClient,
    login_code: *const c_char,
    phone_number: *const c_char,
    org_identifier: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let login_code = args::string(login_code, "login_code")?;
        let phone_number = args::string(phone_number, "phone_number")?;
        let org_identifier = args::string(org_identifier, "org_identifier")?;
        run(client.users().login_with_phone_code(login_code, phone_number, org_identifier), out)
    })
}

/// The non-blocking form of dfx_user_login_with_phone_code() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`. A cancelled call still completes in the
/// background so its effect on the session is never lost.
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_user_login_with_phone_code_async(
    client: *mut DfxClient,
    login_code: *const c_char,
    phone_number: *const c_char,
    org_identifier: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let login_code = required(login_code, "login_code")?;
        let phone_number = required(phone_number, "phone_number")?;
        let org_identifier = required(org_identifier, "org_identifier")?;
        spawn_call(client, OnCancel::Finish, callback, user_data, out_request_id, move |c| async move {
            c.users().login_with_phone_code(&login_code, &phone_number, &org_identifier).await
        })
    })
}
