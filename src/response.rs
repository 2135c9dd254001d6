//! A completed HTTP exchange, decoded.

use std::ffi::CStr;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use crate::secret::{Wipe, Zeroizing};

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
///
/// Layout: one buffer holds the body, a NUL, then the decoded text of every
/// top-level string field and of the error code and message, each followed
/// by a NUL. So the C accessors hand out pointers into it with no copy of
/// their own, and a token is held twice (raw in the body, decoded after
/// it) in one allocation. The full [`Value`] tree is built only if
/// [`Response::json`] is asked for.
#[derive(Clone)]
pub struct Response {
    status: u16,
    /// Body, NUL, then the texts the spans below point at, each NUL-ended.
    text: String,
    body_len: usize,
    /// The top-level fields of an object body, in order (the last of
    /// duplicate keys wins, as in [`Value`]).
    fields: Box<[Field]>,
    error_code: Option<Span>,
    error_message: Option<Span>,
    /// The error code and message as messages may show them: set (redacted)
    /// by `Error::redacted`; until then messages show the status alone.
    shown_error: Option<Box<str>>,
    json: OnceLock<Value>,
}

/// A range of [`Response::text`].
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    len: usize,
}

/// A top-level field: its key (in the body, or decoded after it when the
/// key has escapes) and, for a string, its decoded value (after the body,
/// NUL-terminated).
#[derive(Clone, Copy)]
struct Field {
    key: Span,
    value: Option<Span>,
}

impl Response {
    /// Decode an exchange. `Ok` for a 2xx with a JSON (or empty) body,
    /// `Err(Error::Api)` for any non-2xx, `Err(Error::Decode)` for a 2xx whose
    /// body is not JSON.
    pub(crate) fn decode(status: u16, raw: Vec<u8>) -> Result<Response, Error> {
        let success = (200..300).contains(&status);
        let raw = Zeroizing::new(raw);
        let response = if raw.iter().all(u8::is_ascii_whitespace) {
            success.then(|| Response::new(status, "null", Vec::new()))
        } else {
            std::str::from_utf8(&raw)
                .ok()
                .and_then(|body| Some(Response::new(status, body, top_level(body)?)))
        };
        let response = match response {
            Some(response) => response,
            None if success => {
                return Err(Error::Decode(format!("HTTP {status} answer whose body is not JSON")));
            }
            None => {
                let (code, message) = synthetic_error(status);
                let body = serde_json::json!({ "Code": code, "Message": message }).to_string();
                let entries = top_level(&body).unwrap_or_default();
                Response::new(status, &body, entries)
            }
        };
        if success {
            Ok(response)
        } else {
            Err(Error::Api(Box::new(response)))
        }
    }

    /// Lay out `body` (valid JSON) and its top-level `entries` in one buffer.
    fn new(status: u16, body: &str, entries: Vec<(Text<'_>, Option<Text<'_>>)>) -> Response {
        let json = OnceLock::new();
        let (code, message) = if (200..300).contains(&status) {
            (None, None)
        } else {
            // Error answers are rare and small: parse them whole.
            let value = json.get_or_init(|| parse(body));
            (text_field(value, &["Code", "errorCode"]), text_field(value, &["Message", "message"]))
        };
        let extra: usize = entries
            .iter()
            .map(|(k, v)| k.decoded_len() + v.as_ref().map_or(0, |v| v.as_str().len() + 1))
            .sum::<usize>()
            + [&code, &message].iter().map(|t| t.as_ref().map_or(0, |t| t.len() + 1)).sum::<usize>();
        let mut text = String::with_capacity(body.len() + 1 + extra);
        text.push_str(body);
        text.push('\0');
        let base = body.as_ptr() as usize;
        let fields = entries
            .iter()
            .map(|(key, value)| Field {
                key: match key {
                    // Unescaped: the body's own bytes.
                    Text::Body(k) => {
                        let start = k.as_ptr() as usize - base;
                        debug_assert!(start + k.len() <= body.len());
                        Span { start, len: k.len() }
                    }
                    Text::Decoded(k) => append(&mut text, k),
                },
                value: value.as_ref().map(|v| append(&mut text, v.as_str())),
            })
            .collect();
        let error_code = code.as_deref().map(|c| append(&mut text, c));
        let error_message = message.as_deref().map(|m| append(&mut text, m));
        // Sized exactly: no reallocation left an unwiped copy behind.
        debug_assert_eq!(text.len(), body.len() + 1 + extra);
        Response {
            status,
            text,
            body_len: body.len(),
            fields,
            error_code,
            error_message,
            shown_error: None,
            json,
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body as JSON text.
    pub fn body(&self) -> &str {
        &self.text[..self.body_len]
    }

    /// The body, parsed (once, on first use).
    pub fn json(&self) -> &Value {
        self.json.get_or_init(|| parse(self.body()))
    }

    /// A top-level string field of the body (`"Token"`, `"RefreshToken"`, …).
    pub fn get_str(&self, field: &str) -> Option<&str> {
        let found = self.fields.iter().rev().find(|f| self.span(f.key) == field)?;
        found.value.map(|v| self.span(v))
    }

    /// The API's error code (`Code`, or `errorCode` in the older shape) of a
    /// non-2xx answer; `None` for 2xx answers or when the body has none.
    pub fn error_code(&self) -> Option<&str> {
        self.error_code.map(|s| self.span(s))
    }

    /// The API's error message (`Message`, or `message`) of a non-2xx answer.
    pub fn error_message(&self) -> Option<&str> {
        self.error_message.map(|s| self.span(s))
    }

    /// The body, NUL-terminated (JSON text holds no NUL).
    /// The redacted " CODE: message" messages show (see `Error::redacted`).
    pub(crate) fn shown_error(&self) -> Option<&str> {
        self.shown_error.as_deref()
    }

    pub(crate) fn set_shown_error(&mut self, words: String) {
        self.shown_error = Some(words.into_boxed_str());
    }

    pub(crate) fn body_c(&self) -> &CStr {
        CStr::from_bytes_until_nul(self.text.as_bytes()).unwrap_or_default()
    }

    /// [`Response::get_str`], NUL-terminated; `None` also when the text
    /// holds a NUL (`\u0000`).
    pub(crate) fn get_c(&self, field: &str) -> Option<&CStr> {
        let found = self.fields.iter().rev().find(|f| self.span(f.key) == field)?;
        self.c_span(found.value?)
    }

    /// [`Response::error_code`], NUL-terminated (`None` if it holds a NUL).
    pub(crate) fn error_code_c(&self) -> Option<&CStr> {
        self.c_span(self.error_code?)
    }

    /// [`Response::error_message`], NUL-terminated (`None` if it holds a NUL).
    pub(crate) fn error_message_c(&self) -> Option<&CStr> {
        self.c_span(self.error_message?)
    }

    fn span(&self, s: Span) -> &str {
        &self.text[s.start..s.start + s.len]
    }

    /// A span that was appended with its NUL, as a C string.
    fn c_span(&self, s: Span) -> Option<&CStr> {
        CStr::from_bytes_with_nul(&self.text.as_bytes()[s.start..=s.start + s.len]).ok()
    }
}

/// Append `s` and a NUL to `text`; the span of `s`.
fn append(text: &mut String, s: &str) -> Span {
    let span = Span { start: text.len(), len: s.len() };
    text.push_str(s);
    text.push('\0');
    span
}

/// Parse a body [`top_level`] accepted.
fn parse(body: &str) -> Value {
    // `top_level` goes through the same parser with the same rules (and
    // recursion limit), so this cannot fail.
    serde_json::from_str(body).unwrap_or_default()
}

/// A string as the parser saw it: a slice of the body when it has no
/// escapes (JSON text without a backslash is its own value), else decoded.
enum Text<'a> {
    Body(&'a str),
    Decoded(Zeroizing<String>),
}

impl Text<'_> {
    fn as_str(&self) -> &str {
        match self {
            Text::Body(s) => s,
            Text::Decoded(s) => s,
        }
    }

    /// Bytes it needs after the body (a decoded key, with its NUL).
    fn decoded_len(&self) -> usize {
        match self {
            Text::Body(_) => 0,
            Text::Decoded(s) => s.len() + 1,
        }
    }
}

/// Check that `body` is JSON (the same rules as parsing a [`Value`]) and
/// list its top-level fields with their string values (`None` for other
/// values); no fields unless it is an object. `None` if it is not JSON.
fn top_level(body: &str) -> Option<Vec<(Text<'_>, Option<Text<'_>>)>> {
    serde_json::from_str::<TopLevel>(body).ok().map(|t| t.0)
}

struct TopLevel<'a>(Vec<(Text<'a>, Option<Text<'a>>)>);

/// A JSON value read and dropped; a string is kept (the caller decides).
/// Goes through `deserialize_any`, as [`Value`] does, so that what is
/// accepted is exactly what [`Value`] accepts.
struct Any<'a>(Option<Text<'a>>);

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TopLevel<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some(Any(key)) = map.next_key()? {
                    let Any(value) = map.next_value()?;
                    fields.push((key.ok_or_else(|| de::Error::custom("key is not a string"))?, value));
                }
                Ok(TopLevel(fields))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq).map(|()| TopLevel(Vec::new()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(TopLevel(Vec::new()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(TopLevel(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(TopLevel(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(TopLevel(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(TopLevel(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(TopLevel(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Any<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Any<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Any(Some(Text::Body(s))))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Any(Some(Text::Decoded(Zeroizing::new(s.to_owned())))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<Any, Any>()?.is_some() {}
                Ok(Any(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq).map(|()| Any(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Any(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Any(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Any(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Any(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Any(None))
            }
        }
        d.deserialize_any(V)
    }
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Any>()?.is_some() {}
    Ok(())
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
        self.text.wipe();
        if let Some(json) = self.json.get_mut() {
            wipe_json(json);
        }
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body", &format_args!("<{} bytes redacted>", self.body_len))
            .field("error", &self.shown_error.as_deref().unwrap_or("<redacted>"))
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

    #[test]
    fn escapes_are_decoded() {
        let raw = br#"{"Token":"a\n\u00e9\"b\\","T\u006fken2":"x","N":"a\u0000b"}"#.to_vec();
        let r = Response::decode(200, raw.clone()).unwrap();
        assert_eq!(r.body().as_bytes(), &raw[..]);
        assert_eq!(r.get_str("Token"), Some("a\n\u{e9}\"b\\"));
        assert_eq!(r.get_c("Token").unwrap().to_str(), Ok("a\n\u{e9}\"b\\"));
        assert_eq!(r.get_str("Token2"), Some("x"));
        // A NUL inside: the Rust text has it, C gets none.
        assert_eq!(r.get_str("N"), Some("a\0b"));
        assert!(r.get_c("N").is_none());
        assert_eq!(r.body_c().to_bytes(), &raw[..]);
        assert_eq!(r.json(), &serde_json::from_slice::<Value>(&raw).unwrap());
    }

    #[test]
    fn only_top_level_strings() {
        let raw = br#"{"A":1,"B":{"C":"d"},"E":["f"],"G":null,"H":true,"I":"","A":"last"}"#;
        let r = Response::decode(200, raw.to_vec()).unwrap();
        for missing in ["B", "C", "E", "G", "H", "Missing"] {
            assert_eq!(r.get_str(missing), None, "{missing}");
            assert!(r.get_c(missing).is_none());
        }
        assert_eq!(r.get_str("I"), Some(""));
        // Duplicate keys: the last wins, as in the parsed `Value`.
        assert_eq!(r.get_str("A"), Some("last"));
        assert_eq!(r.json()["A"], "last");
        let r = Response::decode(200, br#"{"A":"first","A":2}"#.to_vec()).unwrap();
        assert_eq!((r.get_str("A"), &r.json()["A"]), (None, &Value::from(2)));
        for body in [&br#"["a"]"#[..], b"\"a\"", b"1", b"true", b"null"] {
            let r = Response::decode(200, body.to_vec()).unwrap();
            assert_eq!(r.get_str("a"), None);
            assert_eq!(r.body().as_bytes(), body);
        }
    }

    #[test]
    fn accepts_what_value_accepts() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for body in [
            deep.as_str(),
            r#"{"a":"\ud800"}"#,
            r#"{"a":1e400}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":1} x"#,
            r#"{"a":[1,]}"#,
            r#"{"a":"ok","b":[{"c":[1.5,-2,"\u00e9"]}]}"#,
            "\u{feff}{}",
        ] {
            let value = serde_json::from_str::<Value>(body).ok();
            let ours = Response::decode(200, body.as_bytes().to_vec()).ok();
            assert_eq!(ours.as_ref().map(Response::json), value.as_ref(), "{body}");
        }
        assert!(Response::decode(200, vec![b'"', 0xff, b'"']).is_err());
    }

    #[test]
    fn error_fields_for_c() {
        let e = Response::decode(400, br#"{"Code":1234,"Message":"a\u0000b"}"#.to_vec()).unwrap_err();
        let r = e.response().unwrap();
        assert_eq!(r.error_code(), Some("1234"));
        assert_eq!(r.error_code_c().unwrap().to_str(), Ok("1234"));
        assert_eq!(r.error_message(), Some("a\0b"));
        assert!(r.error_message_c().is_none());
        let r = Response::decode(200, br#"{"Code":"X"}"#.to_vec()).unwrap();
        assert!(r.error_code().is_none() && r.error_code_c().is_none());
    }

    #[test]
    fn clone_and_threads() {
        let r = Response::decode(200, br#"{"Token":"t"}"#.to_vec()).unwrap();
        let c = r.clone();
        drop(r);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| assert_eq!(c.json()["Token"], "t"));
            }
        });
        assert_eq!(c.get_str("Token"), Some("t"));
    }
}
