//! The Auths calls (`dfx_auth_*`).

use std::ffi::{c_char, c_void};

use super::args;
use super::callback::{optional, required, required_str, spawn_call, spawn_prepared, DfxCallback};
use super::client::DfxClient;
use super::response::{run, DfxResponse};
use super::boundary::Failure;
use super::status::{DfxStatus, DFX_ERR_INVALID_ARGUMENT};
use crate::requests::OnCancel;

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
/// sent; the pair is intact); DFX_ERR_TIMEOUT (the time ran out while still
/// connecting: nothing was sent; the pair is intact); DFX_ERR_TLS; DFX_ERR_DECODE (2xx, body not
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
        run(client.auths().renew(token, refresh_token), out)
    })
}

/// The non-blocking form of dfx_auth_renew() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`. Cancelled (or cancelled by
/// dfx_client_free()) while the session holds the pair, it still completes
/// in the background so the new pair is stored and announced, never lost;
/// a pair the session does not hold is abandoned at once, and the
/// callback's DFX_ERR_CANCELLED message says whether the request had
/// already been sent (then the pair may be spent).
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_renew_async(
    client: *mut DfxClient,
    token: *const c_char,
    refresh_token: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let token = required_str(token, "token")?;
        let refresh_token = required_str(refresh_token, "refresh_token")?;
        // The request is built here, as dfx_call_async builds its own: the
        // task carries it, not the arguments and their copies (issue 15).
        let prepared = crate::auths::prepare_renew(token, refresh_token)?;
        // Carried through when cancelled only if the session holds the pair
        // (its new pair would be stored); otherwise aborted at once.
        spawn_prepared(client, prepared, callback, user_data, out_request_id)
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
        run(client.auths().request_login_code(phone_number, org_identifier), out)
    })
}

/// The non-blocking form of dfx_auth_request_login_code() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`.
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_request_login_code_async(
    client: *mut DfxClient,
    phone_number: *const c_char,
    org_identifier: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let phone_number = required(phone_number, "phone_number")?;
        let org_identifier = required(org_identifier, "org_identifier")?;
        spawn_call(client, OnCancel::Abort, callback, user_data, out_request_id, move |c| async move {
            c.auths().request_login_code(&phone_number, &org_identifier).await
        })
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
        run(client.auths().request_reset_password_link(email, org_identifier), out)
    })
}

/// The non-blocking form of dfx_auth_request_reset_password_link() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`.
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_request_reset_password_link_async(
    client: *mut DfxClient,
    email: *const c_char,
    org_identifier: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let email = required(email, "email")?;
        let org_identifier = required(org_identifier, "org_identifier")?;
        spawn_call(client, OnCancel::Abort, callback, user_data, out_request_id, move |c| async move {
            c.auths().request_reset_password_link(&email, &org_identifier).await
        })
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
        run(client.auths().send_reset_mobile(email, phone_number), out)
    })
}

/// The non-blocking form of dfx_auth_send_reset_mobile() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`.
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_send_reset_mobile_async(
    client: *mut DfxClient,
    email: *const c_char,
    phone_number: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let email = optional(email, "email")?;
        let phone_number = optional(phone_number, "phone_number")?;
        if email.as_deref().is_none_or(|s| s.is_empty()) && phone_number.as_deref().is_none_or(|s| s.is_empty()) {
            return Err(Failure::new(DFX_ERR_INVALID_ARGUMENT, "give `email`, `phone_number` or both"));
        }
        spawn_call(client, OnCancel::Abort, callback, user_data, out_request_id, move |c| async move {
            c.auths().send_reset_mobile(email.as_deref().map(|s| s.as_str()), phone_number.as_deref().map(|s| s.as_str())).await
        })
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
        run(client.auths().generate_token(token, refresh_token), out)
    })
}

/// The non-blocking form of dfx_auth_generate_token() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`.
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_generate_token_async(
    client: *mut DfxClient,
    token: *const c_char,
    refresh_token: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let token = required(token, "token")?;
        let refresh_token = required(refresh_token, "refresh_token")?;
        spawn_call(client, OnCancel::Abort, callback, user_data, out_request_id, move |c| async move {
            c.auths().generate_token(&token, &refresh_token).await
        })
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
        run(client.auths().get_org_client_credentials(org_id), out)
    })
}

/// The non-blocking form of dfx_auth_get_org_client_credentials() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`.
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_auth_get_org_client_credentials_async(
    client: *mut DfxClient,
    org_id: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let org_id = required(org_id, "org_id")?;
        spawn_call(client, OnCancel::Abort, callback, user_data, out_request_id, move |c| async move {
            c.auths().get_org_client_credentials(&org_id).await
        })
    })
}
