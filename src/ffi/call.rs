//! The generic call: any operation of the endpoint table by its
//! JavaScript name (`dfx_call`, `dfx_call_async`), and the table itself
//! (`dfx_operations_json`).

use std::ffi::{c_char, c_void};
use std::ptr;

use serde_json::Value;

use super::args;
use super::boundary::Failure;
use super::callback::{spawn_prepared, DfxCallback};
use super::client::DfxClient;
use super::response::{run, DfxResponse};
use super::status::{DfxStatus, DFX_ERR_INVALID_ARGUMENT};
use crate::endpoints::{Fields, Prepared};

/// Call any operation of the DeepAffex API by the JavaScript client's name
/// for it, with its arguments as JSON. All 133 operations are listed, with
/// their parameters, by dfx_operations_json().
///
/// `operation`: "group.method" as in the JavaScript client, e.g.
/// "measurements.create", "organizations.registerLicense", "auths.renew".
/// `params_json`: a JSON object keyed by the JavaScript method's own
/// parameter names, in any order; NULL or "{}" for a method without any:
///
///   JavaScript call                           params_json
///   auths.renew(data, tokenType)              {"data": {"Token": "…", "RefreshToken": "…"},
///                                              "tokenType": "device"}   (tokenType optional)
///   measurements.create(data)                 {"data": {"StudyID": "…", "Resolution": 100}}
///   measurements.data(id, data)               {"id": "…", "data": {"Action": "FIRST::PROCESS",
///                                              "Payload": "…"}}
///   measurements.list(data?)                  {"data": {"statusId": "COMPLETE", "limit": 10}}
///                                             -> GET measurements?StatusID=COMPLETE&Limit=10
///   studies.types(statusId)                   {"statusId": "ACTIVE"}  -> ?StatusID=ACTIVE
///   organizations.retrieveMeasurement(        {"measurementId": "…", "expandResults": true}
///     measurementId, expandResults?)
///   users.sendReset(email, identifier)        {"email": "…", "identifier": "…"}
///                                             -> body {"Email": "…", "Identifier": "…"}
///   general.verifyToken(token)                {"token": "…"}  (sent as the Bearer; without it
///                                              the session's user token, else device token)
///   organizations.login(data, enableSession)  {"data": {…}, "enableSession": true}
///                                             -> header x-nura-session: true
///   general.status()                          NULL or "{}"
///
/// Rules: path values are percent-encoded (every byte outside RFC 3986's
/// unreserved characters); query options become the API's keys
/// (statusId -> StatusID), percent-encoded, only those given (null = not
/// given), a string or a number for either, a boolean sent only when true;
/// the `data` body object is sent as given, in its order, with fields the
/// table does not list (TokenExpiresIn, TokenSubject, RefreshTokenExpiresIn,
/// MFAToken, ...). Every request carries Content-Type: application/json and
/// User-Agent: dfx/VERSION, and a body only when the operation takes one.
/// The bearer is the row's: none, the session's device or user token, the
/// `token` argument, or the session token `tokenType` names ("device" or
/// "user"; its default is the row's). Corrected against the JavaScript
/// client where NOTES.md finds a defect (the row's "correction" says so):
/// e.g. auths.requestLoginCode is PATCH auths/users/code,
/// organizations.unregisterLicense sends the device token, auths.renew
/// sends the token being renewed.
///
/// Session: the same changes, under the same rules, as the typed calls:
/// organizations.registerLicense, organizations.login, users.login,
/// users.loginWithPhoneCode, auths.renew (the stored pair it renewed, if
/// any; its lost answer is DFX_ERR_OUTCOME_UNKNOWN), unregisterLicense (see
/// the typed calls), and users.logout clears the user pair. Each is stored
/// (listener called) before this returns, and only on DFX_OK.
///
/// Checked before anything is sent: an unknown operation (the message names
/// the nearest real ones), an unknown or misspelt parameter or query
/// option, a missing required parameter or required body field, a value of
/// the wrong JSON type, an empty path value, or params_json that is not a
/// JSON object is DFX_ERR_INVALID_ARGUMENT with a message naming the
/// problem (never a value: values may be secrets).
///
/// `client`, `operation`, `out_response`: not NULL; `operation` and
/// `params_json` UTF-8, read during the call only. On DFX_OK or
/// DFX_ERR_API, `*out_response` is a new response owned by the caller (free
/// with dfx_response_free()); on any other status it is NULL.
///
/// Returns DFX_OK (2xx); DFX_ERR_API (non-2xx: status, code and message in
/// the response); DFX_ERR_DECODE (2xx whose body is not JSON, or a login,
/// register or renew answer without a token pair: the session is
/// unchanged); DFX_ERR_OUTCOME_UNKNOWN (auths.renew only: the request may
/// have reached the server, the answer was lost); DFX_ERR_CONNECT;
/// DFX_ERR_TIMEOUT; DFX_ERR_TLS; DFX_ERR_TRUNCATED; DFX_ERR_CONNECTION_LOST;
/// DFX_ERR_REDIRECT; DFX_ERR_TRANSPORT; DFX_ERR_NULL_ARGUMENT;
/// DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT; DFX_ERR_WOULD_DEADLOCK
/// (called from a dfx internal thread, or a session-changing operation from
/// this client's session listener); DFX_ERR_INTERNAL.
/// Thread safety: safe to call concurrently on one client; blocks.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_call(
    client: *mut DfxClient,
    operation: *const c_char,
    params_json: *const c_char,
    out_response: *mut *mut DfxResponse,
) -> DfxStatus {
    ffi_status!({
        let (client, out) = args::call_target(client, out_response)?;
        let prepared = prepare(operation, params_json)?;
        run(client.send_prepared(prepared), out)
    })
}

/// The non-blocking form of dfx_call() (see DfxCallback): the same
/// arguments, checked now (an argument error is returned here and the
/// callback never runs), with `callback`, `user_data` and `out_request_id`
/// in place of `out_response`. A cancelled call that changes the session
/// (register, logins, unregister, logout, and a renew of a pair the
/// session holds) still completes in the background so its effect on the
/// session is never lost; any other is aborted at once (the callback's
/// message says whether the request had already been sent).
/// Returns DFX_OK (accepted: the callback will run exactly once);
/// DFX_ERR_NULL_ARGUMENT; DFX_ERR_INVALID_UTF8; DFX_ERR_INVALID_ARGUMENT;
/// DFX_ERR_CANCELLED (dfx_client_free() has begun: not accepted);
/// DFX_ERR_INTERNAL. On any status but DFX_OK the callback never runs and
/// `*out_request_id` is 0.
/// Thread safety: any thread, including inside a callback or a session
/// listener; never blocks. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_call_async(
    client: *mut DfxClient,
    operation: *const c_char,
    params_json: *const c_char,
    callback: DfxCallback,
    user_data: *mut c_void,
    out_request_id: *mut u64,
) -> DfxStatus {
    ffi_status!({
        args::clear(out_request_id);
        let client = args::handle(client, "client")?;
        let prepared = prepare(operation, params_json)?;
        spawn_prepared(client, prepared, callback, user_data, out_request_id)
    })
}

/// The endpoint table as JSON text: an array with one object per operation
/// (all 133, in the order of the JavaScript client's endpoints.json), for
/// bindings and tools:
///
///   {"operation": "measurements.data", "group": "measurements",
///    "method": "data", "http_method": "POST",
///    "path": "measurements/{id}/data",
///    "bearer": "user",        none | device | user | user_else_device |
///                             explicit | token_type
///    "session_effect": null,  or register_license, unregister_license,
///                             user_login, user_logout, renew
///    "action_id": "506",      or null
///    "params": [              the JavaScript arguments, in order
///      {"name": "id", "in": "path", "type": "string", "required": true},
///      {"name": "data", "in": "body", "type": "object", "required": true,
///       "fields": [{"name": "Action", "type": "string", "required": true},
///                  {"name": "Payload", "type": "string", "required": true}]}],
///    "correction": null}      or which reference-client defect it corrects
///
/// "in": path, body (fields: its known fields), query (fields: the JS
/// option names, each with "wire", its key on the wire), query_value (one
/// value sent as the query key "wire"), body_field (one value sent as the
/// body field "wire"), bearer (the token to send), token_type ("values":
/// "device" and "user"; "default": the one used when absent), session_flag
/// (enableSession). "type":
/// string, number, integer, boolean, object, array or any; "nullable": true
/// where null is a valid value.
///
/// Returns a static string built on the first call: never NULL, never freed
/// by the caller, the same pointer every time.
/// Thread safety: safe from any thread. Since 0.1.0.
#[no_mangle]
pub extern "C" fn dfx_operations_json() -> *const c_char {
    ffi_value!(ptr::null(), { crate::endpoints::operations_json().as_ptr() })
}

/// Check a call's operation and parameters and build its request. The
/// parsed parameters are wiped once the request is built.
///
/// # Safety
/// As for [`args::string`].
unsafe fn prepare(operation: *const c_char, params_json: *const c_char) -> Result<Prepared, Failure> {
    let operation = args::string(operation, "operation")?;
    let mut params = match args::optional_string(params_json, "params_json")? {
        None => Value::Null,
        Some(text) => serde_json::from_str(text).map_err(|e| {
            // The parser's own words may quote the input: say only where.
            Failure::new(
                DFX_ERR_INVALID_ARGUMENT,
                format!("`params_json` is not valid JSON (line {}, column {})", e.line(), e.column()),
            )
        })?,
    };
    let prepared = Prepared::new(operation, &params, Fields::PassThrough);
    crate::secret::wipe_json(&mut params);
    Ok(prepared?)
}
