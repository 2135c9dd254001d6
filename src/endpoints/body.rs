//! Request bodies as JSON text: byte for byte what `serde_json::to_vec`
//! writes for the same value (the tests hold it to that), written into one
//! buffer sized up front (a growing buffer would free unwiped copies of the
//! tokens it holds) with a string escape that copies clean runs whole.
//!
//! Why not `serde_json::to_vec`: issue 15's profile of an `_async` renew
//! put ~7 k of its ~50 k instructions there — its escape looks each byte of
//! the ~600 bytes of token text up in a table and writes it on its own, and
//! its buffer grows from 128 bytes by reallocation.

use serde_json::Value;

use crate::secret::WipedBytes;

/// `value` as JSON text.
pub(crate) fn encode(value: &Value) -> WipedBytes {
    let mut out = Vec::with_capacity(size(value));
    write(&mut out, value);
    WipedBytes(out)
}

/// A JSON object of text fields, `{"name":"value",...}` in the order
/// given: the bytes [`encode`] makes of the same object, without building
/// a JSON value first (the typed calls' text bodies, issue 15).
pub(crate) fn encode_text_fields(fields: &[(&str, &str)]) -> WipedBytes {
    let size = 2 + fields.iter().map(|(k, v)| string_size(k) + 1 + string_size(v) + 1).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.push(b'{');
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(&mut out, key);
        out.push(b':');
        write_str(&mut out, value);
    }
    out.push(b'}');
    WipedBytes(out)
}

/// An upper bound of the encoded size for ordinary text (each escaped
/// byte counts 6, a number 40).
fn size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 40,
        Value::String(s) => string_size(s),
        Value::Array(items) => 2 + items.iter().map(|v| size(v) + 1).sum::<usize>(),
        Value::Object(map) => 2 + map.iter().map(|(k, v)| string_size(k) + 1 + size(v) + 1).sum::<usize>(),
    }
}

fn string_size(s: &str) -> usize {
    let (mut escaped, mut rest) = (0, s.as_bytes());
    while let Some(clean) = Some(clean_prefix(rest)).filter(|&clean| clean < rest.len()) {
        escaped += 1;
        rest = &rest[clean + 1..];
    }
    2 + s.len() + 5 * escaped
}

fn write(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // serde_json's own digits (itoa, ryu): rare, and not worth a copy.
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, key);
                out.push(b':');
                write(out, item);
            }
            out.push(b'}');
        }
    }
}

/// The bytes JSON strings must escape: control characters, `"` and `\`.
fn needs_escape(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

/// How many bytes at the start of `bytes` need no escape: 16 at a time
/// with SSE2 on x86-64 (part of its baseline), one at a time elsewhere.
fn clean_prefix(bytes: &[u8]) -> usize {
    let mut at = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is always there on x86-64; each load reads 16 bytes
        // inside `bytes` (unaligned loads).
        unsafe {
            let (quote, backslash, below_space) = (_mm_set1_epi8(b'"' as i8), _mm_set1_epi8(b'\\' as i8), _mm_set1_epi8(0x1f));
            while at + 16 <= bytes.len() {
                let v = _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>());
                // A byte < 0x20 (unsigned) is its own minimum with 0x1f.
                let control = _mm_cmpeq_epi8(_mm_min_epu8(v, below_space), v);
                let hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), control);
                let mask = _mm_movemask_epi8(hits) as u32;
                if mask != 0 {
                    return at + mask.trailing_zeros() as usize;
                }
                at += 16;
            }
        }
    }
    at + bytes[at..].iter().position(|&b| needs_escape(b)).unwrap_or(bytes.len() - at)
}

/// `s` as a JSON string, escaped as serde_json escapes it: `\"`, `\\`,
/// `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx`
/// (lowercase hex); everything else (`/`, DEL, non-ASCII) as it is.
fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut rest = s.as_bytes();
    loop {
        let clean = clean_prefix(rest);
        out.extend_from_slice(&rest[..clean]);
        let Some(&b) = rest.get(clean) else { break };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]),
        }
        rest = &rest[clean + 1..];
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn same_as_serde(value: &Value) {
        let ours = encode(value);
        let theirs = serde_json::to_vec(value).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ours.0),
            String::from_utf8_lossy(&theirs),
            "for {value:?}"
        );
        assert!(ours.0.len() <= size(value), "the size bound holds for {value:?}");
    }

    #[test]
    fn every_byte_escapes_as_serde_json_escapes_it() {
        // Each ASCII byte alone, at the start, the end, a block boundary
        // (15, 16, 17) and inside a long clean run.
        for b in 0u8..0x80 {
            let c = char::from(b);
            for at in [0usize, 1, 15, 16, 17, 31, 32, 40] {
                let mut s: String = "a".repeat(at);
                s.push(c);
                s.push_str(&"z".repeat(at % 7));
                same_as_serde(&Value::String(s));
            }
        }
    }

    #[test]
    fn values_of_every_kind() {
        for value in [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-17),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.5),
            json!(-0.0),
            json!(1e300),
            json!(2.2250738585072014e-308),
            json!(""),
            json!("é ü 日本 🎉 \u{7f} \u{2028}"),
            json!([]),
            json!({}),
            json!([1, "two", [3], {"four": null}]),
            // Strings are sized exactly: the bound's commas are counted.
            json!(["a", "b", "c", "", "\"q\""]),
            json!({"a": "", "b": "x", "c": ["y", "z"]}),
            json!({"Token": "eyJhbGciOi.J9.x-_", "RefreshToken": "a\"b\\c\nd", "nested": {"k": [true, false]}}),
            json!({"z": 1, "a": 2, "m": {"y": 1, "b": 2}}),
        ] {
            same_as_serde(&value);
        }
    }

    /// Random strings and shapes against serde_json: a deterministic
    /// generator, so a failure is reproducible.
    #[test]
    fn random_values_match_serde_json() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        const ALPHABET: &[char] = &['a', 'Z', '0', '"', '\\', '/', '\n', '\u{1}', '\u{1f}', ' ', 'é', '🎉', '\u{7f}'];
        let text = |next: &mut dyn FnMut() -> u64| -> String {
            let len = (next() % 70) as usize;
            (0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]).collect()
        };
        for _ in 0..3000 {
            let mut map = serde_json::Map::new();
            for _ in 0..next() % 4 {
                let key = text(&mut next);
                let value = match next() % 4 {
                    0 => Value::String(text(&mut next)),
                    1 => json!([text(&mut next), next() % 1000, null]),
                    2 => json!((next() as f64) / 7.0),
                    _ => json!({ "inner": text(&mut next) }),
                };
                map.insert(key, value);
            }
            same_as_serde(&Value::Object(map));
        }
    }
}
