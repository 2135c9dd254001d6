//! Argument checks shared by every export: NULL pointers, UTF-8, and
//! out-parameters. Each returns a [`Failure`] naming the argument.

use std::ffi::{c_char, CStr};

use super::boundary::Failure;
use super::client::DfxClient;
use super::response::DfxResponse;
use crate::client::Client;
use super::status::{DFX_ERR_NULL_ARGUMENT, DFX_ERR_INVALID_UTF8};

/// A handle argument, NULL-checked.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` created by dfx.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    ptr.as_ref()
        .ok_or_else(|| Failure::new(DFX_ERR_NULL_ARGUMENT, format!("argument `{name}` is NULL")))
}

/// A required string argument: not NULL, valid UTF-8. Borrowed for the call.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays unchanged
/// for the duration of the call.
pub(crate) unsafe fn string<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    optional_string(ptr, name)?
        .ok_or_else(|| Failure::new(DFX_ERR_NULL_ARGUMENT, format!("argument `{name}` is NULL")))
}

/// An optional string argument: NULL is `None`; otherwise valid UTF-8.
///
/// # Safety
/// As for [`string`].
pub(crate) unsafe fn optional_string<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        return Ok(None);
    }
    CStr::from_ptr(ptr).to_str().map(Some).map_err(|e| {
        Failure::new(
            DFX_ERR_INVALID_UTF8,
            format!("argument `{name}` is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()),
        )
    })
}

/// The first two checks of every API call: the out-parameter (set to NULL
/// at once) and the client handle.
///
/// # Safety
/// As for [`out`] and [`handle`].
pub(crate) unsafe fn call_target<'a>(
    client: *const DfxClient,
    out_response: *mut *mut DfxResponse,
) -> Result<(&'a Client, &'a mut *mut DfxResponse), Failure> {
    let out = out(out_response, "out_response")?;
    let client = handle(client, "client")?;
    Ok((&client.inner, out))
}

/// An out-parameter: not NULL. It is set to NULL at once, so that it is NULL
/// on every failure; the caller writes the result on success.
///
/// # Safety
/// `ptr` is NULL or points to writable storage for one pointer.
pub(crate) unsafe fn out<'a, T>(ptr: *mut *mut T, name: &str) -> Result<&'a mut *mut T, Failure> {
    let slot = ptr
        .as_mut()
        .ok_or_else(|| Failure::new(DFX_ERR_NULL_ARGUMENT, format!("argument `{name}` is NULL")))?;
    *slot = std::ptr::null_mut();
    Ok(slot)
}

/// An optional integer out-parameter (NULL allowed): set to zero at once,
/// so it holds 0 on every failure.
///
/// # Safety
/// `ptr` is NULL or points to writable storage for one `T`.
pub(crate) unsafe fn clear<T: Default>(ptr: *mut T) {
    if let Some(slot) = ptr.as_mut() {
        *slot = T::default();
    }
}

/// A required integer out-parameter: not NULL, set to zero at once.
///
/// # Safety
/// `ptr` is NULL or points to writable storage for one `T`.
pub(crate) unsafe fn value_out<'a, T: Default>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    let slot = ptr
        .as_mut()
        .ok_or_else(|| Failure::new(DFX_ERR_NULL_ARGUMENT, format!("argument `{name}` is NULL")))?;
    *slot = T::default();
    Ok(slot)
}
