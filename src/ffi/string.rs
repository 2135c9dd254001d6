//! Strings dfx hands out for the caller to keep, and their one free function.

use std::ffi::{c_char, CString};

use zeroize::Zeroize;

use super::boundary::Failure;
use super::status::DFX_ERR_INTERNAL;

/// Hand `text` out as a new C string (freed with `dfx_string_free`).
pub(crate) fn hand_out(text: &str, out: &mut *mut c_char) -> Result<(), Failure> {
    let c = CString::new(text).map_err(|_| Failure::new(DFX_ERR_INTERNAL, "a value holds a NUL character"))?;
    *out = c.into_raw();
    Ok(())
}

/// Wipe and free a string dfx handed out (dfx_session_get(),
/// dfx_session_to_json()). NULL is a no-op. Never pass a string from any
/// other source, and never free one twice.
/// Thread safety: any thread (not the one string from two threads at once).
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_string_free(string: *mut c_char) {
    ffi_value!((), {
        if !string.is_null() {
            CString::from_raw(string).into_bytes().zeroize();
        }
    })
}
