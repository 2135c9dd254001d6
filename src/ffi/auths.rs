//! The Auths calls (`dfx_auth_*`).

use std::ffi::c_char;

use super::args;
use super::client::DfxClient;
use super::response::{deliver, DfxResponse};
use super::status::DfxStatus;

/// Exchange a token pair for a new one: POST auths/renew with
/// {"Token","RefreshToken"} and `Authorization: Bearer <token>`.
/// The old pair is dead once the server has answered; store the new pair
/// (dfx_response_get_string(r, "Token") and "RefreshToken") before using it.
///
/// Session: if the pair equals the session's stored device or user pair,
/// the session stores the new pair (listener called) before this returns;
/// on any failure it keeps the old pair. For single-flight renewal of a
/// stored pair use dfx_session_renew().
///
/// `token`, `refresh_token`: the pair, non-empty UTF-8; copied before
/// anything is sent. On DFX_OK or DFX_ERR_API, `*out_response` is a new
/// response owned by the caller (free with dfx_response_free()); on any
/// other status it is NULL.
///
/// Returns DFX_OK (2xx, new pair in the body); DFX_ERR_API (non-2xx, e.g.
/// 401 INVALID_REFRESH_TOKEN for a used or unknown pair);
/// DFX_ERR_OUTCOME_UNKNOWN (the request may have reached the server but the
/// answer was lost: timeout, connection dropped, body cut short — the pair
/// may be consumed; dfx never retries a renew); DFX_ERR_CONNECT (nothing was
/// sent; the pair is intact); DFX_ERR_TLS; DFX_ERR_DECODE (2xx, body not
/// JSON); DFX_ERR_REDIRECT; DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8;
/// DFX_ERR_INVALID_ARGUMENT (empty string); DFX_ERR_WOULD_DEADLOCK (called
/// from a dfx internal thread or this client's session listener);
/// DFX_ERR_INTERNAL.
/// Thread safety: safe to call concurrently on one client. Blocks the
/// calling thread until the answer or the timeout. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_renew(
    client: *mut DfxClient,
    token: *const c_char,
    refresh_token: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let token = args::string(token, "token")?;
        let refresh_token = args::string(refresh_token, "refresh_token")?;
        deliver(crate::blocking(client.auths().renew(token, refresh_token)), out)
    })
}

/// Ask the API to send a one-time login code by SMS: PATCH auths/users/code
/// with {"PhoneNumber","Identifier"}. (The JavaScript client sends this to
/// auths/renew by mistake; dfx does not.)
/// Bearer: the session's device token (none if unset). Session: unchanged.
///
/// `phone_number`: e.g. "+15555550100"; `org_identifier`: the
/// organization's identifier; both non-empty UTF-8. Ownership of
/// `*out_response` as for dfx_auth_renew().
///
/// Returns DFX_OK (body {"success":true}); DFX_ERR_API (e.g. 404
/// ORGANIZATION_NOT_FOUND); DFX_ERR_CONNECT; DFX_ERR_TIMEOUT; DFX_ERR_TLS;
/// DFX_ERR_DECODE; DFX_ERR_TRUNCATED; DFX_ERR_CONNECTION_LOST;
/// DFX_ERR_REDIRECT; DFX_ERR_TRANSPORT; DFX_ERR_NULL_ARGUMENT;
/// DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_WOULD_DEADLOCK;
/// DFX_ERR_INTERNAL.
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_request_login_code(
    client: *mut DfxClient,
    phone_number: *const c_char,
    org_identifier: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let phone_number = args::string(phone_number, "phone_number")?;
        let org_identifier = args::string(org_identifier, "org_identifier")?;
        deliver(crate::blocking(client.auths().request_login_code(phone_number, org_identifier)), out)
    })
}

/// Ask the API to e-mail a password-reset link: PATCH auths/users/reset
/// with {"Email","Identifier"}.
/// Bearer: the session's device token (none if unset). Session: unchanged.
///
/// `email`, `org_identifier`: non-empty UTF-8. Ownership of
/// `*out_response` and the statuses returned as for
/// dfx_auth_request_login_code().
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_request_reset_password_link(
    client: *mut DfxClient,
    email: *const c_char,
    org_identifier: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let email = args::string(email, "email")?;
        let org_identifier = args::string(org_identifier, "org_identifier")?;
        deliver(
            crate::blocking(client.auths().request_reset_password_link(email, org_identifier)),
            out,
        )
    })
}

/// Send a password reset to a mobile phone: PATCH auths/users/reset/mobile
/// with {"Email"} and/or {"PhoneNumber"} (each sent only when given).
/// Bearer: the session's device token (none if unset). Session: unchanged.
///
/// `email`, `phone_number`: UTF-8 or NULL; at least one non-empty.
/// Ownership of `*out_response` and the statuses returned as for
/// dfx_auth_request_login_code().
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_send_reset_mobile(
    client: *mut DfxClient,
    email: *const c_char,
    phone_number: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let email = args::optional_string(email, "email")?;
        let phone_number = args::optional_string(phone_number, "phone_number")?;
        deliver(crate::blocking(client.auths().send_reset_mobile(email, phone_number)), out)
    })
}

/// Generate a child token from a live pair: POST auths/generateToken with
/// {"Token","RefreshToken"}; the answer's "Token" is the child token. The
/// pair is not consumed.
/// Bearer: the session's device token (none if unset). Session: unchanged.
///
/// Ownership of `*out_response` and the statuses returned as for
/// dfx_auth_request_login_code().
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_generate_token(
    client: *mut DfxClient,
    token: *const c_char,
    refresh_token: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let token = args::string(token, "token")?;
        let refresh_token = args::string(refresh_token, "refresh_token")?;
        deliver(crate::blocking(client.auths().generate_token(token, refresh_token)), out)
    })
}

/// An organization's SSO client credentials: GET
/// auths/organization/credentials/{org_id} (`org_id` percent-encoded), answer
/// {"orgName","logoURL","userPoolId","nativeAuthEnabled","cognitoDomainUrl",
/// "identityProviders"}.
/// Bearer: the session's user token. Session: unchanged.
///
/// Ownership of `*out_response` and the statuses returned as for
/// dfx_auth_request_login_code().
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_get_org_client_credentials(
    client: *mut DfxClient,
    org_id: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let org_id = args::string(org_id, "org_id")?;
        deliver(crate::blocking(client.auths().get_org_client_credentials(org_id)), out)
    })
}
