//! The Organizations calls (`dfx_organization_*`).

use std::ffi::{c_char, c_void};

use super::args;
use super::callback::{optional, required, spawn_call, DfxCallback};
use super::client::DfxClient;
use super::response::{run, DfxResponse};
use super::status::DfxStatus;
use crate::organizations::License;
use crate::requests::OnCancel;

/// Register a license: POST organizations/licenses with {"Key",
/// "DeviceTypeID","Name","Identifier","Version"}; the answer carries
/// "DeviceID", "Token", "RefreshToken", "RoleID", "UserID". Consumes a
/// license seat.
///
/// Bearer: none. Session: on DFX_OK stores DFX_SESSION_DEVICE_TOKEN,
/// DFX_SESSION_DEVICE_REFRESH_TOKEN, DFX_SESSION_DEVICE_ID,
/// DFX_SESSION_ROLE_ID and DFX_SESSION_USER_ID (listener called) before
/// returning; the user pair is left as it is.
///
/// `license_key`: the organization's license key (the sandbox's is
/// "DFX-SANDBOX-LICENSE"). `device_type_id`: "IPHONE", "IPAD", "DARWIN",
/// "ANDROID_PHONE", "WINDOWS", "WIN32", "WINDOWS_TABLET", "LINUX" or
/// "DEBIAN". `name`: a name for this device, your choice, shown in the
/// organization's device list (e.g. "lobby-kiosk-3"). `org_identifier`: the
/// organization's identifier, its short key, the same value every other
/// call calls `org_identifier` (the sandbox's is "dfxdemo"). `version`: your
/// app's version, recorded with the device (e.g. "1.0.0"). All arguments
/// non-empty UTF-8. Ownership of `*out_response` as for dfx_auth_renew().
///
/// Returns DFX_OK; DFX_ERR_API (e.g. 404 LICENSE_NOT_FOUND); DFX_ERR_DECODE
/// (2xx without a token pair; the session is unchanged); DFX_ERR_CONNECT;
/// DFX_ERR_TIMEOUT; DFX_ERR_TLS; DFX_ERR_TRUNCATED; DFX_ERR_CONNECTION_LOST;
/// DFX_ERR_REDIRECT; DFX_ERR_TRANSPORT; DFX_ERR_NULL_ARGUMENT;
/// DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_WOULD_DEADLOCK
/// (internal thread or this client's session listener); DFX_ERR_INTERNAL.
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_organization_register_license(
    client: *mut DfxClient,
    license_key: *const c_char,
    device_type_id: *const c_char,
    name: *const c_char,
    org_identifier: *const c_char,
    version: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let license = License {
            key: args::string(license_key, "license_key")?,
            device_type_id: args::string(device_type_id, "device_type_id")?,
            name: args::string(name, "name")?,
            org_identifier: args::string(org_identifier, "org_identifier")?,
            version: args::string(version, "version")?,
        };
        run(client.organizations().register_license(&license), out)
    })
}

/// The non-blocking form of dfx_organization_register_license() (see DfxCallback): the same
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
pub unsafe extern "C" fn dfx_organization_register_license_async(
    client: *mut DfxClient,
    license_key: *const c_char,
    device_type_id: *const c_char,
    name: *const c_char,
    org_identifier: *const c_char,
    version: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let license_key = required(license_key, "license_key")?;
        let device_type_id = required(device_type_id, "device_type_id")?;
        let name = required(name, "name")?;
        let org_identifier = required(org_identifier, "org_identifier")?;
        let version = required(version, "version")?;
        spawn_call(client, OnCancel::Finish, callback, user_data, out_request_id, move |c| async move {
            let license = License { key: &license_key, device_type_id: &device_type_id, name: &name, org_identifier: &org_identifier, version: &version };
            c.organizations().register_license(&license).await
        })
    })
}

/// Unregister this device's license: DELETE organizations/licenses. Frees
/// the seat; the device's tokens stop working.
///
/// Bearer: the session's **device** token (the JavaScript client sends the
/// user token, a defect). Session: on DFX_OK clears
/// DFX_SESSION_DEVICE_TOKEN, DFX_SESSION_DEVICE_REFRESH_TOKEN,
/// DFX_SESSION_DEVICE_ID, DFX_SESSION_ROLE_ID and DFX_SESSION_USER_ID
/// (listener called); the user pair is left as it is.
///
/// Ownership of `*out_response` as for dfx_auth_renew().
/// Returns DFX_OK; DFX_ERR_API; DFX_ERR_CONNECT; DFX_ERR_TIMEOUT;
/// DFX_ERR_TLS; DFX_ERR_DECODE; DFX_ERR_TRUNCATED; DFX_ERR_CONNECTION_LOST;
/// DFX_ERR_REDIRECT; DFX_ERR_TRANSPORT; DFX_ERR_NULL_ARGUMENT;
/// DFX_ERR_WOULD_DEADLOCK; DFX_ERR_INTERNAL.
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_organization_unregister_license(
    client: *mut DfxClient,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        run(client.organizations().unregister_license(), out)
    })
}

/// The non-blocking form of dfx_organization_unregister_license() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`. A cancelled call still completes in the
/// background so its effect on the session is never lost.
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_organization_unregister_license_async(
    client: *mut DfxClient,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        spawn_call(client, OnCancel::Finish, callback, user_data, out_request_id, move |c| async move {
            c.organizations().unregister_license().await
        })
    })
}

/// Log a user in to an organization: POST organizations/auth with
/// {"Email","Password","Identifier"} and "MFAToken" when given. The user
/// pair it returns is view-only (it cannot take measurements; use
/// dfx_user_login() for that).
///
/// Bearer: none. Session: on DFX_OK stores DFX_SESSION_USER_TOKEN and
/// DFX_SESSION_USER_REFRESH_TOKEN (listener called) before returning.
///
/// `mfa_token`: NULL or "" unless the account uses two-factor
/// authentication. Ownership of `*out_response` and the statuses returned
/// as for dfx_organization_register_license() (e.g. 401
/// INVALID_CREDENTIALS as DFX_ERR_API).
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_organization_login(
    client: *mut DfxClient,
    email: *const c_char,
    password: *const c_char,
    org_identifier: *const c_char,
    mfa_token: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let email = args::string(email, "email")?;
        let password = args::string(password, "password")?;
        let org_identifier = args::string(org_identifier, "org_identifier")?;
        let mfa_token = args::optional_string(mfa_token, "mfa_token")?;
        run(client.organizations().login(email, password, org_identifier, mfa_token), out)
    })
}

/// The non-blocking form of dfx_organization_login() (see DfxCallback): the same
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
pub unsafe extern "C" fn dfx_organization_login_async(
    client: *mut DfxClient,
    email: *const c_char,
    password: *const c_char,
    org_identifier: *const c_char,
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
        let org_identifier = required(org_identifier, "org_identifier")?;
        let mfa_token = optional(mfa_token, "mfa_token")?;
        spawn_call(client, OnCancel::Finish, callback, user_data, out_request_id, move |c| async move {
            c.organizations().login(&email, &password, &org_identifier, mfa_token.as_deref().map(|s| s.as_str())).await
        })
    })
}
