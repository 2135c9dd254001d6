//! Small helpers every endpoint group uses to build its requests.

use crate::error::Error;

/// A required string argument must not be empty.
pub(crate) fn required(name: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        Err(Error::InvalidArgument(format!("`{name}` must not be empty")))
    } else {
        Ok(())
    }
}

/// `{"data": data}`, the parameters of a call whose only argument is its
/// body. `json!({ "data": data })` would copy `data` through serde's
/// serializer (every token in it once more: issue 15's profile of a
/// renew); this moves it.
pub(crate) fn data_params(data: serde_json::Value) -> serde_json::Value {
    let mut params = serde_json::Map::with_capacity(1);
    params.insert("data".to_owned(), data);
    serde_json::Value::Object(params)
}

/// Percent-encode one path segment: everything but RFC 3986's unreserved
/// characters, so `/`, `?`, `#`, `%` in a value cannot change the URL's shape.
#[cfg(test)]
pub(crate) fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_encoded(&mut out, value);
    out
}

/// Append `value` to `out` percent-encoded: every byte outside RFC 3986's
/// unreserved characters (so a path segment or a query key or value
/// cannot change the URL's shape).
pub(crate) fn push_encoded(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 15)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("abc-1.2_~"), "abc-1.2_~");
        assert_eq!(path_segment("a/b?c#d%e f"), "a%2Fb%3Fc%23d%25e%20f");
        assert_eq!(path_segment("é"), "%C3%A9");
        assert_eq!(path_segment("+&=:@"), "%2B%26%3D%3A%40");
    }
}
