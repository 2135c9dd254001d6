//! The cloud's WebSocket frame layout (`websocket.json`), both directions.
//!
//! Request: 4 ASCII digits (action id) + 10-character request id + UTF-8
//! JSON payload. Response: the 10-character request id + 3 ASCII digits
//! (status) + UTF-8 JSON payload.

use serde_json::{Map, Value};

/// Length of the action id.
const ACTION_LEN: usize = 4;
/// Length of a request id, in requests and responses alike.
pub(crate) const ID_LEN: usize = 10;
/// Action id + request id: the shortest well-formed request frame.
const HEAD_LEN: usize = ACTION_LEN + ID_LEN;

/// A request frame whose action id and request id could be read.
#[derive(Debug, PartialEq)]
pub(crate) struct RequestFrame<'a> {
    /// The 4 digits, e.g. `"0506"`.
    pub action: &'a str,
    /// The 10-character request id (printable ASCII; spaces allowed, as the
    /// Python client pads with them).
    pub id: &'a str,
    /// What follows: should be a JSON object in UTF-8.
    pub payload: &'a [u8],
}

/// Why a frame is not even a request: it is dropped and counted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// Shorter than 14 bytes.
    Short,
    /// The first 4 bytes are not ASCII digits.
    Action,
    /// Bytes 4..14 are not printable ASCII.
    RequestId,
}

/// Splits a request frame into action id, request id and payload.
pub(crate) fn parse(frame: &[u8]) -> Result<RequestFrame<'_>, Malformed> {
    if frame.len() < HEAD_LEN {
        return Err(Malformed::Short);
    }
    let (action, rest) = frame.split_at(ACTION_LEN);
    let (id, payload) = rest.split_at(ID_LEN);
    if !action.iter().all(u8::is_ascii_digit) {
        return Err(Malformed::Action);
    }
    if !is_request_id(id) {
        return Err(Malformed::RequestId);
    }
    // Both are ASCII, checked above.
    let action = std::str::from_utf8(action).map_err(|_| Malformed::Action)?;
    let id = std::str::from_utf8(id).map_err(|_| Malformed::RequestId)?;
    Ok(RequestFrame { action, id, payload })
}

/// Exactly 10 printable ASCII characters (space included).
pub(crate) fn is_request_id(id: &[u8]) -> bool {
    id.len() == ID_LEN && id.iter().all(|b| (0x20..=0x7e).contains(b))
}

/// The payload as a JSON object; `None` when it is not UTF-8 or not an object.
pub(crate) fn payload_object(payload: &[u8]) -> Option<Map<String, Value>> {
    let text = std::str::from_utf8(payload).ok()?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// A response frame: `id` (10 printable ASCII characters, as checked by
/// [`parse`] or [`is_request_id`]), the status as 3 digits, then `json`
/// (UTF-8 JSON text).
pub(crate) fn response(id: &str, status: u16, json: &[u8]) -> Vec<u8> {
    debug_assert!(is_request_id(id.as_bytes()), "request id {id:?}");
    debug_assert!((100..=999).contains(&status));
    let mut out = Vec::with_capacity(ID_LEN + 3 + json.len());
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(format!("{status:03}").as_bytes());
    out.extend_from_slice(json);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_request() {
        let f = parse("0506ABCDEFGHIJ{\"A\":\"é\"}".as_bytes()).unwrap();
        assert_eq!((f.action, f.id), ("0506", "ABCDEFGHIJ"));
        assert_eq!(payload_object(f.payload).unwrap()["A"], "é");
        // Python pads short ids with spaces; an empty payload is still a request.
        let f = parse(b"0718abc       ").unwrap();
        assert_eq!((f.id, f.payload), ("abc       ", &b""[..]));
        assert!(payload_object(f.payload).is_none());
    }

    #[test]
    fn refuses_what_is_not_a_request() {
        assert_eq!(parse(b"0506ABCDEFGHI"), Err(Malformed::Short));
        assert_eq!(parse(b"05x6ABCDEFGHIJ{}"), Err(Malformed::Action));
        assert_eq!(parse(b"0506ABCDEFGHI\n{}"), Err(Malformed::RequestId));
        assert_eq!(parse("0506ABCDEFGHé{}".as_bytes()), Err(Malformed::RequestId));
        assert!(payload_object(b"[1]").is_none());
        assert!(payload_object(b"{\"a\":\"\xff\"}").is_none());
    }

    #[test]
    fn builds_a_response() {
        assert_eq!(response("ABCDEFGHIJ", 200, b"{}"), b"ABCDEFGHIJ200{}");
        assert_eq!(response("0506abcdef", 429, "{\"M\":\"ü\"}".as_bytes()), "0506abcdef429{\"M\":\"ü\"}".as_bytes());
    }
}
