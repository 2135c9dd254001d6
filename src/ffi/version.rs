//! The library's version.

use std::ffi::c_char;

const VERSION_C: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library's version as "MAJOR.MINOR.PATCH", e.g. "0.1.0". It equals
/// the DFX_VERSION_MAJOR/MINOR/PATCH macros of the header the library was
/// built with; compare them to detect a header/library mismatch.
///
/// Returns a static string: never NULL, never freed by the caller.
/// Thread safety: safe from any thread. Since 0.1.0.
#[no_mangle]
pub extern "C" fn dfx_version() -> *const c_char {
    ffi_value!(VERSION_C.as_ptr().cast(), { VERSION_C.as_ptr().cast() })
}
