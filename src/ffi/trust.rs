//! Which certificate authorities a client trusts for https
//! (`dfx_client_set_trust`, `dfx_client_add_ca_pem`, `dfx_client_add_ca_file`).

use std::ffi::c_char;

use super::args;
use super::boundary::Failure;
use super::client::DfxClient;
use super::status::{DfxStatus, DFX_ERR_INVALID_ARGUMENT, DFX_ERR_INVALID_UTF8, DFX_ERR_NULL_ARGUMENT};
use crate::transport::TrustSources;

/// Trust source for dfx_client_set_trust(): the Mozilla root certificates
/// built into dfx (webpki-roots). A client starts with this one alone.
pub const DFX_TRUST_BUILTIN: u32 = 1;
/// Trust source for dfx_client_set_trust(): the operating system's trust
/// store — the certificate stores on Windows and macOS, the system CA
/// directory on Android, the system's CA bundle files on Linux (or the
/// files SSL_CERT_FILE / SSL_CERT_DIR name, when set).
pub const DFX_TRUST_SYSTEM: u32 = 2;

/// Choose where the client's trusted certificate authorities come from:
/// `sources` is DFX_TRUST_BUILTIN, DFX_TRUST_SYSTEM, both ORed, or 0 for
/// neither. CAs added with dfx_client_add_ca_pem() / dfx_client_add_ca_file()
/// are trusted in every case: `sources` 0 plus an added CA trusts that CA
/// alone (an enterprise kiosk). With 0 and no CA added, every https call
/// fails with DFX_ERR_TLS. Certificate checks are never turned off.
///
/// The system store is read during this call (it can take some
/// milliseconds); call it again to pick up changes to the store. Where no
/// certificate can be read from it (e.g. iOS, a minimal Linux image
/// without a CA bundle) this returns DFX_ERR_TLS and nothing changes.
///
/// Applies to connections made after it returns, for blocking and
/// `_async` calls and through a proxy; a kept-alive connection made before
/// (reused for up to 30 s) is not checked again, so set the trust before
/// the first call. Calls in flight are not affected.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT (`client` NULL);
/// DFX_ERR_INVALID_ARGUMENT (`sources` has a bit other than
/// DFX_TRUST_BUILTIN | DFX_TRUST_SYSTEM); DFX_ERR_TLS (DFX_TRUST_SYSTEM
/// and the system store yields no certificate); DFX_ERR_INTERNAL.
/// Thread safety: safe to call while other threads use the client;
/// concurrent changes are applied one after the other. Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_client_set_trust(client: *mut DfxClient, sources: u32) -> DfxStatus {
    ffi_status!({
        let client = args::handle(client, "client")?;
        let known = DFX_TRUST_BUILTIN | DFX_TRUST_SYSTEM;
        if sources & !known != 0 {
            return Err(Failure::new(
                DFX_ERR_INVALID_ARGUMENT,
                format!("argument `sources` ({sources:#x}) has bits other than DFX_TRUST_BUILTIN | DFX_TRUST_SYSTEM"),
            ));
        }
        let sources =
            TrustSources { builtin: sources & DFX_TRUST_BUILTIN != 0, system: sources & DFX_TRUST_SYSTEM != 0 };
        client.inner.set_trust(sources)?;
        Ok(())
    })
}

/// Also trust the CA certificates in `pem`: `len` bytes of PEM text (no
/// NUL terminator needed) holding one or more "-----BEGIN CERTIFICATE-----"
/// blocks — a root or intermediate CA, or a server's own self-signed
/// certificate. Other blocks (a private key, …) are ignored. All or
/// nothing: if any certificate block is malformed, none is added.
///
/// `pem` is only read during the call; the client keeps its own copy.
/// Added CAs stay trusted for the client's lifetime, whatever the
/// sources of dfx_client_set_trust(). Applies to connections made after
/// it returns (see dfx_client_set_trust()).
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT (`client` or `pem` NULL);
/// DFX_ERR_INVALID_UTF8 (`pem` is not text); DFX_ERR_INVALID_ARGUMENT (`len`
/// 0, no certificate block, a malformed block or certificate; the message
/// says which, never quoting the text); DFX_ERR_INTERNAL.
/// Thread safety: safe to call while other threads use the client.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_client_add_ca_pem(client: *mut DfxClient, pem: *const c_char, len: usize) -> DfxStatus {
    ffi_status!({
        let client = args::handle(client, "client")?;
        if pem.is_null() {
            return Err(Failure::new(DFX_ERR_NULL_ARGUMENT, "argument `pem` is NULL"));
        }
        if len == 0 || len > isize::MAX as usize {
            return Err(Failure::new(DFX_ERR_INVALID_ARGUMENT, format!("argument `len` ({len}) is not a PEM length")));
        }
        // SAFETY: the caller passes `len` readable bytes at `pem` (documented).
        let bytes = std::slice::from_raw_parts(pem.cast::<u8>(), len);
        if let Err(e) = std::str::from_utf8(bytes) {
            return Err(Failure::new(
                DFX_ERR_INVALID_UTF8,
                format!("argument `pem` is not text (invalid UTF-8 at offset {})", e.valid_up_to()),
            ));
        }
        client.inner.add_ca_pem(bytes)?;
        Ok(())
    })
}

/// Also trust the CA certificates of the PEM file at `path` (a UTF-8 path;
/// at most 16 MiB; as dfx_client_add_ca_pem() for its contents). The file
/// is read during the call and not again.
///
/// Returns DFX_OK; DFX_ERR_NULL_ARGUMENT (`client` or `path` NULL);
/// DFX_ERR_INVALID_UTF8 (`path`); DFX_ERR_INVALID_ARGUMENT (the file cannot
/// be read, is too large, or holds no or a malformed certificate; the
/// message names the file and says which); DFX_ERR_INTERNAL.
/// Thread safety: safe to call while other threads use the client.
/// Since 0.1.0.
#[no_mangle]
pub unsafe extern "C" fn dfx_client_add_ca_file(client: *mut DfxClient, path: *const c_char) -> DfxStatus {
    ffi_status!({
        let client = args::handle(client, "client")?;
        let path = args::string(path, "path")?;
        client.inner.add_ca_file(path)?;
        Ok(())
    })
}
