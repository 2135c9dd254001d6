//! `DfxResponse`: an API answer handed to C, and its accessors.

use std::ffi::{c_char, CStr};
use std::future::Future;
use std::pin::Pin;
use std::ptr;

use super::boundary::Failure;
use crate::error::Error;
use crate::response::Response;

/// An answer from the API: HTTP status, JSON body, and for non-2xx answers
/// the API's error code and message.
///
/// Opaque and immutable; owned by the caller, freed with
/// dfx_response_free(). Accessors may be called from several threads at
/// once. Every pointer an accessor returns lives exactly as long as the
/// response: copy what you keep. Bodies carry tokens and are wiped when the
/// response is freed.
pub struct DfxResponse {
    // The response keeps its body and string fields NUL-terminated in one
    // buffer (see `Response`): the accessors copy nothing.
    inner: Response,
}

impl DfxResponse {
    pub(crate) fn new(inner: Response) -> DfxResponse {
        DfxResponse { inner }
    }

    fn into_raw(self) -> *mut DfxResponse {
        Box::into_raw(Box::new(self))
    }
}

/// Split a call's result for C: the response to hand out (2xx, or
/// non-2xx with DFX_ERR_API) and the status with its message.
pub(crate) fn outcome(result: Result<Response, Error>) -> (*mut DfxResponse, Result<(), Failure>) {
    match result {
        Ok(response) => (DfxResponse::new(response).into_raw(), Ok(())),
        Err(Error::Api(response)) => {
            let failure = Failure::new(super::status::DFX_ERR_API, crate::error::api_message(&response));
            (DfxResponse::new(*response).into_raw(), Err(failure))
        }
        Err(error) => (ptr::null_mut(), Err(Failure::from(error))),
    }
}

/// Run a blocking call on the calling thread and hand its result to C
/// through `*out`. The call is boxed, so the runtime's machinery is
/// compiled once rather than once per call (a smaller library).
pub(crate) fn run<'a>(
    call: impl Future<Output = Result<Response, Error>> + 'a,
    out: super::args::Out<'_, DfxResponse>,
) -> Result<(), Failure> {
    // The out-parameter is the last argument: checked after the others.
    let out = out.get()?;
    let call: Pin<Box<dyn Future<Output = Result<Response, Error>> + 'a>> = Box::pin(call);
    let (response, status) = outcome(crate::blocking(call));
    *out = response;
    status
}

fn opt_ptr(s: Option<&CStr>) -> *const c_char {
    s.map_or(ptr::null(), CStr::as_ptr)
}

/// The HTTP status code of the answer (200, 401, …); 0 if `response` is NULL.
/// Thread safety: any thread; accessors of one response may run concurrently
/// (it is immutable).
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_response_status(response: *const DfxResponse) -> u16 {
    ffi_value!(0, {
        response.as_ref().map_or(0, |r| r.inner.status())
    })
}

/// The body as NUL-terminated UTF-8 JSON text: the server's bytes exactly
/// when it sent JSON. A non-2xx answer without a JSON body gets a made-up
/// error body, as the JavaScript client does:
/// {"Code":"TOO_MANY_REQUESTS",…} for 429, {"Code":"SERVICE_UNAVAILABLE",…}
/// for 503, {"Code":"UNSUPPORTED_RESPONSE_CONTENT_TYPE",…} otherwise.
/// An empty 2xx body is "null".
///
/// Returns NULL only if `response` is NULL. The text is owned by the
/// response and lives exactly as long as it.
/// Thread safety: any thread; accessors of one response may run concurrently
/// (it is immutable).
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_response_body(response: *const DfxResponse) -> *const c_char {
    ffi_value!(ptr::null(), {
        response.as_ref().map_or(ptr::null(), |r| r.inner.body_c().as_ptr())
    })
}

/// A top-level string field of the JSON body, e.g. "Token" or
/// "RefreshToken" of a renew answer.
///
/// Returns NULL if `response` or `field` is NULL, `field` is not UTF-8, the
/// body is not a JSON object, the field is missing or not a string (or
/// holds a NUL character). The text is owned by the response and lives
/// exactly as long as it.
/// Thread safety: any thread; accessors of one response may run concurrently
/// (it is immutable).
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_response_get_string(
    response: *const DfxResponse,
    field: *const c_char,
) -> *const c_char {
    ffi_value!(ptr::null(), {
        let (Some(r), false) = (response.as_ref(), field.is_null()) else {
            return ptr::null();
        };
        let Ok(field) = CStr::from_ptr(field).to_str() else {
            return ptr::null();
        };
        opt_ptr(r.inner.get_c(field))
    })
}

/// The API's error code of a non-2xx answer: the body's "Code" (or
/// "errorCode" in the older error shape), e.g. "INVALID_REFRESH_TOKEN",
/// "TOKEN_EXPIRED", "TOO_MANY_REQUESTS".
///
/// Returns NULL for a 2xx answer, when the body has no code, or if
/// `response` is NULL. Lives as long as the response.
/// Thread safety: any thread; accessors of one response may run concurrently
/// (it is immutable).
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_response_error_code(response: *const DfxResponse) -> *const c_char {
    ffi_value!(ptr::null(), {
        response.as_ref().map_or(ptr::null(), |r| opt_ptr(r.inner.error_code_c()))
    })
}

/// The API's error message of a non-2xx answer: the body's "Message" (or
/// "message").
///
/// Returns NULL for a 2xx answer, when the body has no message, or if
/// `response` is NULL. Lives as long as the response.
/// Thread safety: any thread; accessors of one response may run concurrently
/// (it is immutable).
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_response_error_message(response: *const DfxResponse) -> *const c_char {
    ffi_value!(ptr::null(), {
        response.as_ref().map_or(ptr::null(), |r| opt_ptr(r.inner.error_message_c()))
    })
}

/// Free a response and wipe its body. NULL is a no-op. Every pointer
/// obtained from its accessors becomes invalid.
/// Thread safety: any thread, but not while another thread still uses the
/// response or a pointer from its accessors. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_response_free(response: *mut DfxResponse) {
    ffi_value!((), {
        if !response.is_null() {
            drop(Box::from_raw(response));
        }
    })
}
