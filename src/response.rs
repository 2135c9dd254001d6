//! A completed HTTP exchange, decoded.

use std::fmt;

use serde_json::Value;
use zeroize::Zeroize;

use crate::error::Error;
use crate::secret::wipe_json;

/// An answer from the API: HTTP status and JSON body.
///
/// The body text is the server's JSON byte for byte when it sent JSON. When a
/// non-2xx answer has no JSON body, a JSON error body is made up the way the
/// JavaScript client does (`{"Code":"TOO_MANY_REQUESTS",...}` for 429,
/// `SERVICE_UNAVAILABLE` for 503, `UNSUPPORTED_RESPONSE_CONTENT_TYPE`
/// otherwise). An empty 2xx body is the JSON `null`.
///
/// Bodies carry tokens: they are wiped on drop and never shown by `Debug`.
#[derive(Clone)]
pub struct Response {
    status: u16,
    body: String,
    json: Value,
    error_code: Option<String>,
    error_message: Option<String>,
}

impl Response {
    /// Decode an exchange. `Ok` for a 2xx with a JSON (or empty) body,
    /// `Err(Error::Api)` for any non-2xx, `Err(Error::Decode)` for a 2xx whose
    /// body is not JSON.
    pub(crate) fn decode(status: u16, raw: Vec<u8>) -> Result<Response, Error> {
        let success = (200..300).contains(&status);
        let blank = raw.iter().all(u8::is_ascii_whitespace);
        let parsed = if blank {
            success.then_some(Value::Null)
        } else {
            serde_json::from_slice::<Value>(&raw).ok()
        };
        let mut raw = raw;
        let response = match parsed {
            Some(json) => {
                let body = if blank {
                    "null".to_owned()
                } else {
                    // serde_json accepted it, so it is UTF-8.
                    String::from_utf8(std::mem::take(&mut raw)).unwrap_or_default()
                };
                Response::from_json(status, body, json)
            }
            None if success => {
                raw.zeroize();
                return Err(Error::Decode(format!(
                    "HTTP {status} answer whose body is not JSON"
                )));
            }
            None => {
                raw.zeroize();
                let (code, message) = synthetic_error(status);
                let json = serde_json::json!({ "Code": code, "Message": message });
                Response::from_json(status, json.to_string(), json)
            }
        };
        if success {
            Ok(response)
        } else {
            Err(Error::Api(Box::new(response)))
        }
    }

    fn from_json(status: u16, body: String, json: Value) -> Response {
        let (error_code, error_message) = if (200..300).contains(&status) {
            (None, None)
        } else {
            (
                text_field(&json, &["Code", "errorCode"]),
                text_field(&json, &["Message", "message"]),
            )
        };
        Response {
            status,
            body,
            json,
            error_code,
            error_message,
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body as JSON text.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body, parsed.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// A top-level string field of the body (`"Token"`, `"RefreshToken"`, …).
    pub fn get_str(&self, field: &str) -> Option<&str> {
        self.json.get(field).and_then(Value::as_str)
    }

    /// The API's error code (`Code`, or `errorCode` in the older shape) of a
    /// non-2xx answer; `None` for 2xx answers or when the body has none.
    pub fn error_code(&self) -> Option<&str> {
        self.error_code.as_deref()
    }

    /// The API's error message (`Message`, or `message`) of a non-2xx answer.
    pub fn error_message(&self) -> Option<&str> {
        self.error_message.as_deref()
    }
}

/// Codes for a non-2xx answer without a JSON body, as the JS client makes them.
fn synthetic_error(status: u16) -> (&'static str, String) {
    match status {
        429 => ("TOO_MANY_REQUESTS", "Too many requests".to_owned()),
        503 => ("SERVICE_UNAVAILABLE", "Service unavailable".to_owned()),
        _ => (
            "UNSUPPORTED_RESPONSE_CONTENT_TYPE",
            format!("HTTP {status} answer without a JSON body"),
        ),
    }
}

/// The first of `keys` that holds a string (or a number, printed) at the top level.
fn text_field(json: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match json.get(*k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

impl Drop for Response {
    fn drop(&mut self) {
        self.body.zeroize();
        wipe_json(&mut self.json);
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body", &format_args!("<{} bytes redacted>", self.body.len()))
            .field("error_code", &self.error_code)
            .field("error_message", &self.error_message)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_2xx_is_ok_and_byte_exact() {
        let raw = br#"{ "Token" : "a", "RefreshToken":"b" }"#.to_vec();
        let r = Response::decode(200, raw.clone()).unwrap();
        assert_eq!(r.body().as_bytes(), &raw[..]);
        assert_eq!(r.get_str("Token"), Some("a"));
        assert_eq!(r.get_str("Missing"), None);
        assert_eq!(r.error_code(), None);
    }

    #[test]
    fn empty_2xx_is_null() {
        let r = Response::decode(204, Vec::new()).unwrap();
        assert_eq!(r.body(), "null");
        assert!(r.json().is_null());
    }

    #[test]
    fn non_json_2xx_is_decode_error() {
        match Response::decode(200, b"<html>".to_vec()) {
            Err(Error::Decode(m)) => assert!(m.contains("200")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn both_error_shapes() {
        let e = Response::decode(401, br#"{"Code":"TOKEN_EXPIRED","Message":"expired"}"#.to_vec())
            .unwrap_err();
        let r = e.response().unwrap();
        assert_eq!((r.error_code(), r.error_message()), (Some("TOKEN_EXPIRED"), Some("expired")));
        let e = Response::decode(404, br#"{"errorCode":"NOT_FOUND","message":"nope"}"#.to_vec())
            .unwrap_err();
        let r = e.response().unwrap();
        assert_eq!((r.error_code(), r.error_message()), (Some("NOT_FOUND"), Some("nope")));
    }

    #[test]
    fn synthesized_bodies() {
        for (status, code) in [
            (429, "TOO_MANY_REQUESTS"),
            (503, "SERVICE_UNAVAILABLE"),
            (502, "UNSUPPORTED_RESPONSE_CONTENT_TYPE"),
        ] {
            let e = Response::decode(status, b"busy".to_vec()).unwrap_err();
            let r = e.response().unwrap();
            assert_eq!(r.error_code(), Some(code));
            let v: Value = serde_json::from_str(r.body()).unwrap();
            assert_eq!(v["Code"], code);
        }
        // A JSON body wins over the stand-in.
        let e = Response::decode(429, br#"{"Code":"RATE_LIMIT"}"#.to_vec()).unwrap_err();
        assert_eq!(e.response().unwrap().error_code(), Some("RATE_LIMIT"));
    }

    #[test]
    fn debug_redacts_body() {
        let r = Response::decode(200, br#"{"Token":"secret-token"}"#.to_vec()).unwrap();
        assert!(!format!("{r:?}").contains("secret-token"));
    }
}
