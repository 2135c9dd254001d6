//! Buffers that hold secrets (tokens, refresh tokens, passwords, license
//! keys): wiped when dropped, never printed.

use std::fmt;

use zeroize::Zeroize;

/// Bytes that are zeroed when dropped. Used as the owner of request bodies
/// handed to the HTTP stack (`bytes::Bytes::from_owner`), so the JSON text
/// carrying a token pair is wiped once the request is done with it.
pub(crate) struct WipedBytes(pub(crate) Vec<u8>);

impl AsRef<[u8]> for WipedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for WipedBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for WipedBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WipedBytes(<{} bytes redacted>)", self.0.len())
    }
}

/// Wipe every string inside a JSON value (keys are not secret and cannot be
/// changed in place).
pub(crate) fn wipe_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe_json),
        Value::Object(map) => map.values_mut().for_each(wipe_json),
        _ => {}
    }
}
