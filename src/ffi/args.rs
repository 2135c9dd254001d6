//! Argument checks shared by every export: NULL pointers, UTF-8, and
//! out-parameters. Each returns a [`Failure`] naming the argument.
//!
//! Arguments are checked in their order in the signature, so that the
//! first NULL one is the one reported: an out-parameter is set to NULL at
//! once ([`out_slot`]) but checked for NULL after the arguments before it
//! ([`Out::get`]).

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

/// The first checks of every API call: the out-parameter is set to NULL at
/// once, the client handle is checked. The out-parameter's own NULL check
/// comes last (`run` makes it, after the other arguments).
///
/// # Safety
/// As for [`out_slot`] and [`handle`].
pub(crate) unsafe fn call_target<'a>(
    client: *const DfxClient,
    out_response: *mut *mut DfxResponse,
) -> Result<(&'a Client, Out<'a, DfxResponse>), Failure> {
    let out = out_slot(out_response, "out_response");
    let client = handle(client, "client")?;
    Ok((&client.inner, out))
}

/// An out-parameter set to NULL (when it is not NULL itself), whose NULL
/// check is still to be made.
pub(crate) struct Out<'a, T> {
    slot: Option<&'a mut *mut T>,
    name: &'static str,
}

impl<'a, T> Out<'a, T> {
    /// The out-parameter, or the failure naming it when it is NULL.
    pub(crate) fn get(self) -> Result<&'a mut *mut T, Failure> {
        let name = self.name;
        self.slot
            .ok_or_else(|| Failure::new(DFX_ERR_NULL_ARGUMENT, format!("argument `{name}` is NULL")))
    }
}

/// Set an out-parameter to NULL at once, so that it is NULL on every
/// failure; check it for NULL later, in argument order, with [`Out::get`].
///
/// # Safety
/// `ptr` is NULL or points to writable storage for one pointer.
pub(crate) unsafe fn out_slot<'a, T>(ptr: *mut *mut T, name: &'static str) -> Out<'a, T> {
    let slot = ptr.as_mut().map(|slot| {
        *slot = std::ptr::null_mut();
        slot
    });
    Out { slot, name }
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
