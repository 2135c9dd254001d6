//! Buffers that hold secrets (tokens, refresh tokens, passwords, license
//! keys): wiped when dropped, never printed.

use std::fmt;

use zeroize::Zeroize;

/// Zero `bytes` with one call the compiler may not remove: `explicit_bzero`
/// where the C library has it (glibc, musl, the BSDs), a volatile loop
/// elsewhere. `zeroize`'s slice wipe writes one byte at a time through
/// volatile stores: ~1.7 k instructions for a 1.3 KB answer, where
/// `explicit_bzero` is a vectorised `memset` (issue 15's profile: wiping was
/// ~10% of an `_async` renew's instructions).
pub(crate) fn wipe(bytes: &mut [u8]) {
    // SAFETY: the slice is valid for writes of its length.
    unsafe { wipe_raw(bytes.as_mut_ptr(), bytes.len()) }
}

/// Wipe all of `v`'s allocation (its spare capacity too: earlier contents
/// may be there) and empty it.
pub(crate) fn wipe_vec(v: &mut Vec<u8>) {
    // SAFETY: the allocation holds `capacity` bytes; u8 has no invalid
    // values, so writing zeros to the spare part is sound.
    unsafe { wipe_raw(v.as_mut_ptr(), v.capacity()) };
    v.clear();
}

unsafe fn wipe_raw(ptr: *mut u8, len: usize) {
    if len == 0 {
        return;
    }
    #[cfg(any(
        all(target_os = "linux", any(target_env = "gnu", target_env = "musl")),
        target_os = "freebsd",
        target_os = "dragonfly"
    ))]
    libc::explicit_bzero(ptr.cast(), len);
    #[cfg(not(any(
        all(target_os = "linux", any(target_env = "gnu", target_env = "musl")),
        target_os = "freebsd",
        target_os = "dragonfly"
    )))]
    std::slice::from_raw_parts_mut(ptr, len).zeroize();
}

/// What [`Zeroizing`] can wipe.
pub(crate) trait Wipe {
    fn wipe(&mut self);
}

impl Wipe for String {
    fn wipe(&mut self) {
        // SAFETY: emptied right after, so no invalid UTF-8 is ever seen.
        wipe_vec(unsafe { self.as_mut_vec() });
    }
}

impl Wipe for Vec<u8> {
    fn wipe(&mut self) {
        wipe_vec(self);
    }
}

/// A secret that is wiped (with [`wipe`]) when dropped: dfx's own
/// `zeroize::Zeroizing` for the buffers every call makes (copies of
/// tokens, request bytes). The public Rust API keeps `zeroize::Zeroizing`.
#[derive(Clone, Default)]
pub(crate) struct Zeroizing<T: Wipe>(T);

impl<T: Wipe> Zeroizing<T> {
    pub(crate) fn new(value: T) -> Zeroizing<T> {
        Zeroizing(value)
    }
}

impl<T: Wipe> std::ops::Deref for Zeroizing<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Wipe> std::ops::DerefMut for Zeroizing<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Wipe> Drop for Zeroizing<T> {
    fn drop(&mut self) {
        self.0.wipe();
    }
}

impl<T: Wipe> fmt::Debug for Zeroizing<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

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
        wipe_vec(&mut self.0);
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
        Value::String(s) => s.wipe(),
        Value::Array(items) => items.iter_mut().for_each(wipe_json),
        Value::Object(map) => map.values_mut().for_each(wipe_json),
        _ => {}
    }
}

/// The request-body fields that carry secrets (tokens, refresh tokens,
/// passwords, license keys, MFA and login codes), at any depth.
const SECRET_FIELDS: &[&str] = &["Token", "RefreshToken", "Password", "Key", "MFAToken", "LoginCode"];

/// What a failure message must not show: every secret a call carried (its
/// body's secret fields, its bearer token) and every token its session held.
/// Built only when a call fails; wiped when dropped.
#[derive(Default)]
pub(crate) struct Secrets(Vec<zeroize::Zeroizing<String>>);

impl Secrets {
    /// Remember `secret` (empty strings are nothing to hide).
    pub(crate) fn add(&mut self, secret: &str) {
        if !secret.is_empty() && !self.0.iter().any(|s| s.as_str() == secret) {
            self.0.push(zeroize::Zeroizing::new(secret.to_owned()));
        }
    }

    /// Remember the secret fields of a request body.
    pub(crate) fn add_body(&mut self, body: &serde_json::Value) {
        use serde_json::Value;
        match body {
            Value::Object(map) => {
                for (key, value) in map {
                    match value {
                        Value::String(s) if SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(key)) => self.add(s),
                        _ => self.add_body(value),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.add_body(v)),
            _ => {}
        }
    }

    /// `text` with every secret replaced by `…`. Longer secrets first, so
    /// one that contains another is hidden whole. A secret shorter than
    /// [`SHORT`] characters is replaced where it stands alone (not inside
    /// a word or number): hiding every `t` of a message would leave
    /// nothing to read, and such a secret protects little anyway.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut order: Vec<&str> = self.0.iter().map(|s| s.as_str()).collect();
        order.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_owned();
        for secret in order {
            if !out.contains(secret) {
                continue;
            }
            let replaced = if secret.chars().count() >= SHORT { out.replace(secret, "…") } else { replace_alone(&out, secret) };
            out.zeroize();
            out = replaced;
        }
        out
    }
}

/// Secrets shorter than this are replaced only where they stand alone.
const SHORT: usize = 4;

/// `text` with each occurrence of `secret` that no letter or digit touches
/// replaced by `…`.
fn replace_alone(text: &str, secret: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(secret) {
        let (before, after) = (&rest[..at], &rest[at + secret.len()..]);
        out.push_str(before);
        let touched = word(before.chars().next_back().or_else(|| out[..out.len() - before.len()].chars().next_back()))
            || word(after.chars().next());
        out.push_str(if touched { secret } else { "…" });
        rest = after;
    }
    out.push_str(rest);
    out
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets(<{} redacted>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of `v`'s whole allocation (all of them written: by the
    /// test or by a wipe).
    fn allocation(v: &Vec<u8>) -> Vec<u8> {
        // SAFETY: every byte of the allocation was written before this is
        // called (filled to capacity, then wiped).
        unsafe { std::slice::from_raw_parts(v.as_ptr(), v.capacity()).to_vec() }
    }

    #[test]
    fn wipes_zero_every_byte_of_the_allocation() {
        let mut bytes = *b"token-bytes";
        wipe(&mut bytes[2..7]);
        assert_eq!(&bytes, b"to\0\0\0\0\0ytes");
        wipe(&mut []);

        let mut v = Vec::with_capacity(64);
        v.resize(64, 0xa5u8);
        v.truncate(10); // earlier contents linger past the length
        wipe_vec(&mut v);
        assert!(v.is_empty());
        assert_eq!(v.capacity(), 64);
        assert_eq!(allocation(&v), vec![0; 64]);

        let mut v = vec![7u8; 33];
        v.wipe();
        assert_eq!((v.len(), allocation(&v)), (0, vec![0; 33]));

        let mut s = String::with_capacity(40);
        s.push_str(&"x".repeat(40));
        s.truncate(3);
        s.wipe();
        assert!(s.is_empty());
        // SAFETY: as `allocation`.
        let bytes = unsafe { std::slice::from_raw_parts(s.as_ptr(), 40).to_vec() };
        assert_eq!(bytes, vec![0; 40]);
    }

    #[test]
    fn zeroizing_wipes_on_drop_and_never_prints() {
        struct Probe(std::rc::Rc<std::cell::Cell<u32>>);
        impl Wipe for Probe {
            fn wipe(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let wiped = std::rc::Rc::new(std::cell::Cell::new(0));
        drop(Zeroizing::new(Probe(wiped.clone())));
        assert_eq!(wiped.get(), 1, "wiped once, when dropped");
        let secret = Zeroizing::new("hunter2".to_owned());
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(secret.as_str(), "hunter2");
    }

    #[test]
    fn wipe_json_empties_every_string() {
        let mut v = serde_json::json!({"Token": "t", "a": ["x", {"RefreshToken": "r"}], "n": 1});
        wipe_json(&mut v);
        assert_eq!(v, serde_json::json!({"Token": "", "a": ["", {"RefreshToken": ""}], "n": 1}));
    }

    #[test]
    fn redacts_every_secret_field_and_longest_first() {
        let mut s = Secrets::default();
        s.add_body(&serde_json::json!({
            "Token": "tok-1", "RefreshToken": "tok-1-refresh", "Email": "a@b.c",
            "nested": [{"password": "pw"}], "MFAToken": "123456", "Key": "", "Identifier": "org"
        }));
        s.add("bearer");
        let text = s.redact("tok-1-refresh tok-1 a@b.c pw 123456 bearer org");
        assert_eq!(text, "… … a@b.c … … … org");
        assert_eq!(format!("{s:?}"), "Secrets(<5 redacted>)");
    }

    #[test]
    fn short_secrets_are_replaced_where_they_stand_alone() {
        let mut s = Secrets::default();
        s.add("t");
        s.add("ab1");
        assert_eq!(
            s.redact(r#"timed out: t, Bearer t {"Token":"t"} ab1 xab1 ab12 (ab1)"#),
            r#"timed out: …, Bearer … {"Token":"…"} … xab1 ab12 (…)"#
        );
        assert_eq!(s.redact("t"), "…");
        assert_eq!(s.redact("tt"), "tt");
    }
}
