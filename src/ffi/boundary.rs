//! The panic boundary every export runs inside, and the per-thread last
//! error message.
//!
//! Every `extern "C"` function's body is one `ffi_status!` or `ffi_value!`
//! call (a test checks this): a panic inside becomes `DFX_ERR_INTERNAL` (or
//! the accessor's NULL/0 default) with a message, and never unwinds into C.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::{status_of, DfxStatus, DFX_ERR_INTERNAL, DFX_OK};
use crate::error::Error;

/// Why an export failed: the status to return and the message to leave in
/// `dfx_last_error_message`.
pub(crate) struct Failure {
    pub(crate) status: DfxStatus,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(status: DfxStatus, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::new(status_of(&error), error.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

pub(crate) fn set_last_error(message: &str) {
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = text);
}

pub(crate) fn clear_last_error() {
    LAST_ERROR.with(|slot| {
        let mut slot = slot.borrow_mut();
        if !slot.as_bytes().is_empty() {
            *slot = CString::default();
        }
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal error: a panic was caught at the C boundary: {what}")
}

/// Run a fallible export. `Ok` clears the thread's last error and returns
/// `DFX_OK`; a failure or a panic sets it and returns the failure's status.
pub(crate) fn status_boundary(f: impl FnOnce() -> Result<(), Failure>) -> DfxStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            clear_last_error();
            DFX_OK
        }
        Ok(Err(failure)) => {
            set_last_error(&failure.message);
            failure.status
        }
        Err(payload) => {
            set_last_error(&panic_message(payload.as_ref()));
            DFX_ERR_INTERNAL
        }
    }
}

/// Run an infallible export (accessor, free). It leaves the last error alone
/// unless it panics, in which case it returns `default`.
pub(crate) fn value_boundary<T>(default: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => value,
        Err(payload) => {
            set_last_error(&panic_message(payload.as_ref()));
            default
        }
    }
}

/// The body of a fallible export: a block evaluating to `Result<(), Failure>`.
macro_rules! ffi_status {
    ($body:block) => {
        $crate::ffi::boundary::status_boundary(|| -> Result<(), $crate::ffi::boundary::Failure> {
            $body
        })
    };
}

/// The body of an infallible export, with the value to return if it panics.
macro_rules! ffi_value {
    ($default:expr, $body:block) => {
        $crate::ffi::boundary::value_boundary($default, || $body)
    };
}

/// The calling thread's last error message (see `dfx_last_error_message`).
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|slot| slot.borrow().as_ptr())
}
