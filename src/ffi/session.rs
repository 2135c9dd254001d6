//! The session inside a `DfxClient`: fields, JSON, the listener, renew from
//! the session, token expiry.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use std::time::Duration;

use super::args;
use super::callback::{spawn_call, wipe, DfxCallback, SendPtr};
use super::boundary::Failure;
use super::client::DfxClient;
use super::response::{run, DfxResponse};
use super::status::{DfxStatus, DFX_ERR_INVALID_ARGUMENT};
use super::string::hand_out;
use crate::session::{Session, SessionField, TokenKind};
use crate::requests::OnCancel;

/// Names a field of the session: one of the DFX_SESSION_* constants.
/// An integer, validated on every call (another value is
/// DFX_ERR_INVALID_ARGUMENT).
pub type DfxSessionField = i32;

/// The device token (from registering a license). JSON key "deviceToken".
pub const DFX_SESSION_DEVICE_TOKEN: DfxSessionField = 0;
/// The device's one-time refresh token. JSON key "deviceRefreshToken".
pub const DFX_SESSION_DEVICE_REFRESH_TOKEN: DfxSessionField = 1;
/// The user token (from a login). JSON key "userToken".
pub const DFX_SESSION_USER_TOKEN: DfxSessionField = 2;
/// The user's one-time refresh token. JSON key "userRefreshToken".
pub const DFX_SESSION_USER_REFRESH_TOKEN: DfxSessionField = 3;
/// The device id (from registering a license). JSON key "deviceId".
pub const DFX_SESSION_DEVICE_ID: DfxSessionField = 4;
/// The user id (from registering a license). JSON key "userId".
pub const DFX_SESSION_USER_ID: DfxSessionField = 5;
/// The role id (from registering a license). JSON key "roleId".
pub const DFX_SESSION_ROLE_ID: DfxSessionField = 6;

/// Which token pair: DFX_TOKEN_DEVICE or DFX_TOKEN_USER. An integer,
/// validated on every call.
pub type DfxTokenKind = i32;

/// The device pair (DFX_SESSION_DEVICE_TOKEN + DFX_SESSION_DEVICE_REFRESH_TOKEN).
pub const DFX_TOKEN_DEVICE: DfxTokenKind = 0;
/// The user pair (DFX_SESSION_USER_TOKEN + DFX_SESSION_USER_REFRESH_TOKEN).
pub const DFX_TOKEN_USER: DfxTokenKind = 1;

/// Called with the whole new session as JSON (the keys of
/// dfx_session_to_json()) after every change of the session.
///
/// `session_json` is valid only during the call (copy it; it is wiped
/// afterwards). `user_data` is the pointer given to
/// dfx_client_set_session_listener().
pub type DfxSessionListener = Option<unsafe extern "C" fn(user_data: *mut c_void, session_json: *const c_char)>;

fn field(value: DfxSessionField) -> Result<SessionField, Failure> {
    usize::try_from(value)
        .ok()
        .and_then(|i| SessionField::ALL.get(i).copied())
        .ok_or_else(|| Failure::new(DFX_ERR_INVALID_ARGUMENT, format!("{value} is not a DfxSessionField")))
}

pub(crate) fn token_kind(value: DfxTokenKind) -> Result<TokenKind, Failure> {
    match value {
        DFX_TOKEN_DEVICE => Ok(TokenKind::Device),
        DFX_TOKEN_USER => Ok(TokenKind::User),
        _ => Err(Failure::new(DFX_ERR_INVALID_ARGUMENT, format!("{value} is not a DfxTokenKind"))),
    }
}

/// Read one session field. On DFX_OK `*out_value` is a new NUL-terminated
/// copy ("" when the field is unset), owned by the caller: free it with
/// dfx_string_free(), which wipes it. On failure `*out_value` is NULL.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_ARGUMENT (`field`
/// is not a DFX_SESSION_* value).
/// Thread safety: safe while other threads use the client; may be called
/// from a session listener. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_session_get(
    client: *mut DfxClient,
    field: DfxSessionField,
    out_value: *mut *mut c_char,
) -> DfxStatus {
    ffi_status!({
        let out = args::out_slot(out_value, "out_value");
        let client = args::handle(client, "client")?;
        let field = self::field(field)?;
        let out = out.get()?;
        hand_out(&client.inner.session().get(field), out)
    })
}

/// Set one session field; NULL or "" clears it. The value is copied. If
/// it changes the session, the listener is called before this returns.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT (`client`); DFX_ERR_INVALID_UTF8;
/// DFX_ERR_INVALID_ARGUMENT (`field` out of range);
/// DFX_ERR_WOULD_DEADLOCK (called from this client's session listener).
/// Thread safety: safe while other threads use the client. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_session_set(
    client: *mut DfxClient,
    field: DfxSessionField,
    value: *const c_char,
) -> DfxStatus {
    ffi_status!({
        let client = args::handle(client, "client")?;
        let field = self::field(field)?;
        let value = args::optional_string(value, "value")?.unwrap_or("");
        client.inner.session().set(field, value)?;
        Ok(())
    })
}

/// The whole session as a JSON object with the JavaScript client's keys,
/// every key present ("" when unset): {"deviceToken","deviceRefreshToken",
/// "userToken","userRefreshToken","deviceId","userId","roleId"}. It holds
/// secrets: store it as you would a password.
///
/// On DFX_OK `*out_json` is a new string owned by the caller; free it with
/// dfx_string_free(). On failure it is NULL.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT.
/// Thread safety: safe while other threads use the client; may be called
/// from a session listener. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_session_to_json(client: *mut DfxClient, out_json: *mut *mut c_char) -> DfxStatus {
    ffi_status!({
        let out = args::out_slot(out_json, "out_json");
        let client = args::handle(client, "client")?;
        let out = out.get()?;
        hand_out(&client.inner.session().to_json(), out)
    })
}

/// Replace the whole session with one exported by dfx_session_to_json()
/// (or by the JavaScript client: its study and measurement keys are
/// ignored). Missing keys and null clear their field. All or nothing: on
/// any error the session is unchanged. The listener is called if the
/// session changed.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8;
/// DFX_ERR_INVALID_ARGUMENT (not JSON, not an object, an unknown key, a
/// value that is not a string or null); DFX_ERR_WOULD_DEADLOCK (from this
/// client's session listener).
/// Thread safety: safe while other threads use the client. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_session_from_json(client: *mut DfxClient, json: *const c_char) -> DfxStatus {
    ffi_status!({
        let client = args::handle(client, "client")?;
        let json = args::string(json, "json")?;
        let session = Session::from_json(json)?;
        client.inner.session().replace(session)?;
        Ok(())
    })
}

/// Install the session listener (NULL `listener` removes it).
///
/// The listener is called after every change of the session — register,
/// logins, renews, unregister, dfx_session_set(), dfx_session_from_json()
/// — with the new session as JSON, **before the call that changed it
/// returns**, so the app can persist a new token pair before it uses it.
/// Changes are announced one at a time, in the order they happened, never
/// concurrently for one client.
///
/// Which thread: the thread whose call changed the session (an internal
/// thread for `_async` calls).
/// What it may call: dfx_session_get(), dfx_session_to_json(),
/// dfx_client_cancel(), and `_async` calls. It should not block: blocking
/// calls made from it return DFX_ERR_WOULD_DEADLOCK when it runs inside a
/// call (as it does for every change but dfx_session_set() and
/// dfx_session_from_json()), and changes of this client's session (set,
/// from_json, set_session_listener, and the calls that store tokens) always
/// do. It must not free the client. `user_data` must stay valid, and be usable
/// from any thread, until the listener is replaced or the client freed.
///
/// The listener must return normally: a C++ exception or longjmp() out of
/// it into dfx is undefined behaviour.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT (`client`);
/// DFX_ERR_WOULD_DEADLOCK (called from the listener).
/// Thread safety: any thread; it takes effect for changes that start after
/// it returns. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_client_set_session_listener(
    client: *mut DfxClient,
    listener: DfxSessionListener,
    user_data: *mut c_void,
) -> DfxStatus {
    ffi_status!({
        let client = args::handle(client, "client")?;
        let listener = listener.map(|f| {
            let user_data = SendPtr::new(user_data);
            Arc::new(move |json: &str| {
                let Ok(text) = CString::new(json) else { return };
                f(user_data.get(), text.as_ptr());
                wipe(text);
            }) as crate::session::Listener
        });
        client.inner.session().set_listener(listener)?;
        Ok(())
    })
}

/// Renew the session's stored pair of `kind` (DFX_TOKEN_DEVICE or
/// DFX_TOKEN_USER) — POST auths/renew with that pair, bearer the token
/// being renewed — and store the new pair (listener called) before
/// returning.
///
/// Single flight: while a renew of `kind` is under way on this client,
/// other callers on any thread wait for it and each get their own copy of
/// its response; exactly one request reaches the server and the listener
/// sees the new pair once.
///
/// Ownership of `*out_response` as for dfx_auth_renew().
/// Returns DFX_OK (new pair stored); DFX_ERR_API (refused: e.g. 401 for a
/// dead pair; the session is unchanged); DFX_ERR_OUTCOME_UNKNOWN (the
/// request may have reached the server but its answer was lost; the session
/// keeps the old pair, which may be dead, and the listener is not called;
/// never retried); DFX_ERR_INVALID_ARGUMENT (`kind` invalid, or no stored
/// pair of that kind); DFX_ERR_CONNECT; DFX_ERR_TIMEOUT (while
/// connecting: nothing was sent); DFX_ERR_TLS; DFX_ERR_DECODE;
/// DFX_ERR_REDIRECT; DFX_ERR_CANCELLED (the renew it waited for was
/// abandoned); DFX_ERR_NULL_ARGUMENT; DFX_ERR_WOULD_DEADLOCK (from a
/// listener or an internal thread); DFX_ERR_INTERNAL.
/// Thread safety: designed to be called from many threads at once.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_session_renew(
    client: *mut DfxClient,
    kind: DfxTokenKind,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let kind = token_kind(kind)?;
        run(client.auths().renew_stored(kind), out)
    })
}

/// The non-blocking form of dfx_session_renew() (see DfxCallback): the same
/// arguments, checked now, with `callback`, `user_data` and
/// `out_request_id` in place of `out_response`. A cancelled renew still completes in the
/// background so the new pair is stored and announced, never lost.
/// "No stored pair" is reported through the callback (DFX_ERR_INVALID_ARGUMENT).
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_CANCELLED
/// (dfx_client_free() has begun: not accepted); DFX_ERR_INTERNAL. On any
/// status but DFX_OK the callback never runs and `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_session_renew_async(
    client: *mut DfxClient,
    kind: DfxTokenKind,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let kind = token_kind(kind)?;
        spawn_call(client, OnCancel::Finish, callback, user_data, out_request_id, move |c| async move {
            c.auths().renew_stored(kind).await
        })
    })
}

/// When the session's stored token of `kind` expires: its JWT `exp` claim
/// in Unix seconds, written to `*out_exp` (0 on failure). The signature is
/// not checked (a client cannot); this only reads the claim.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_ARGUMENT (`kind`
/// invalid, no stored token, not JWT-shaped, no numeric `exp`).
/// Thread safety: safe from any thread. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_session_token_expiry(
    client: *mut DfxClient,
    kind: DfxTokenKind,
    out_exp: *mut i64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_exp);
        let client = args::handle(client, "client")?;
        let (token_field, _) = token_kind(kind)?.fields();
        let out = args::value_out(out_exp, "out_exp")?;
        let token = client.inner.session().get(token_field);
        if token.is_empty() {
            return Err(Failure::new(DFX_ERR_INVALID_ARGUMENT, "the session holds no such token"));
        }
        *out = crate::token_expiry(&token)?;
        Ok(())
    })
}

/// The `exp` claim (Unix seconds) of any JWT-shaped token, written to
/// `*out_exp` (0 on failure). No signature check.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8;
/// DFX_ERR_INVALID_ARGUMENT (not JWT-shaped, no numeric `exp`).
/// Thread safety: safe from any thread. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_token_expiry(token: *const c_char, out_exp: *mut i64) -> DfxStatus {
    ffi_status!({
        args::clear(out_exp);
        let token = args::string(token, "token")?;
        let out = args::value_out(out_exp, "out_exp")?;
        *out = crate::token_expiry(token)?;
        Ok(())
    })
}

/// Opt in to automatic renewal: before any call that sends a stored token
/// (device or user), if that token expires within `seconds_before_expiry`
/// seconds and its refresh token is stored, the pair is renewed first —
/// single flight, exactly as dfx_session_renew() — and the call uses the
/// new token. If that renew fails, the call fails with the renew's status
/// (e.g. DFX_ERR_OUTCOME_UNKNOWN) and sends nothing. 0 turns it off (the
/// default).
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT.
/// Thread safety: safe while other threads use the client. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_client_set_auto_renew(client: *mut DfxClient, seconds_before_expiry: u32) -> DfxStatus {
    ffi_status!({
        let client = args::handle(client, "client")?;
        let margin = (seconds_before_expiry > 0).then(|| Duration::from_secs(seconds_before_expiry.into()));
        client.inner.set_auto_renew(margin);
        Ok(())
    })
}
