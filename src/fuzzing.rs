//! Entry points for the fuzz targets (`fuzz/`, cargo-fuzz on nightly) and
//! their stable replay (`tests/fuzz_replay.rs`). Each takes any input, runs
//! one parser of what the network or the caller hands dfx, and panics when
//! one of the parser's promises breaks. Not API: hidden, may change.

use serde_json::Value;

use crate::error::Error;
use crate::response::Response;
use crate::session::{Session, SessionField};
use crate::transport::http1::{Framing, Reader, MAX_BODY_BYTES};

/// What dfx's response reader made of a byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A complete answer. `reuse`: the connection would go back to the
    /// pool (the head allows it and nothing follows the answer).
    Answer { status: u16, body: Vec<u8>, reuse: bool },
    /// Refused (malformed, over a limit) or cut short: the description.
    Refused(String),
}

/// Read one answer as the direct paths do: `stream` arrives in reads of
/// `piece` bytes (0: all in one read), then the server closes.
pub fn read_response(stream: &[u8], piece: usize) -> Verdict {
    read_limited(stream, piece, MAX_BODY_BYTES)
}

fn read_limited(stream: &[u8], piece: usize, limit: usize) -> Verdict {
    let mut reader = Reader::new();
    reader.limit = limit;
    let mut reads = stream.chunks(if piece == 0 { stream.len().max(1) } else { piece });
    // What the connection's buffer holds: read, not yet consumed.
    let mut buf = Vec::new();
    loop {
        match reader.advance(&buf) {
            Err(e) => return Verdict::Refused(e),
            Ok((used, answer)) => {
                assert!(used <= buf.len(), "consumed {used} of {} bytes", buf.len());
                buf.drain(..used);
                if let Some((head, body)) = answer {
                    assert!(body.len() <= limit, "a body over the limit was handed out");
                    let nothing_after = buf.is_empty() && reads.next().is_none();
                    return Verdict::Answer { status: head.status, body, reuse: head.keep_alive && nothing_after };
                }
            }
        }
        match reads.next() {
            Some(bytes) => buf.extend_from_slice(bytes),
            None => {
                return match reader.end_of_stream() {
                    Ok((head, body)) => {
                        assert_eq!(head.framing, Framing::UntilClose, "only a close-delimited body ends with the stream");
                        assert!(!head.keep_alive, "a close-delimited answer never leaves a reusable connection");
                        assert!(body.len() <= limit, "a body over the limit was handed out");
                        Verdict::Answer { status: head.status, body, reuse: false }
                    }
                    Err(stage) => Verdict::Refused(format!("the stream ended in the {stage:?} stage")),
                }
            }
        }
    }
}

/// The reader target: any bytes, whole and in small reads, with the real
/// body limit and a tiny one. The verdict must not depend on how the bytes
/// were cut into reads; a limit only ever turns an answer whose body is
/// over it into a refusal.
pub fn http1_reader(stream: &[u8]) {
    let whole = read_response(stream, 0);
    for piece in [1, 7] {
        let cut = read_response(stream, piece);
        match (&whole, &cut) {
            (Verdict::Refused(_), Verdict::Refused(_)) => {}
            _ => assert_eq!(whole, cut, "in reads of {piece} bytes"),
        }
    }
    const SMALL: usize = 16;
    match read_limited(stream, 0, SMALL) {
        small @ Verdict::Answer { .. } => assert_eq!(small, whole, "under a limit of {SMALL} bytes"),
        Verdict::Refused(e) if e.contains("larger than") => assert!(
            !matches!(&whole, Verdict::Answer { body, .. } if body.len() <= SMALL),
            "refused as too large, yet the body fits: {whole:?}"
        ),
        Verdict::Refused(e) => assert!(matches!(whole, Verdict::Refused(_)), "refused ({e}) only with the small limit"),
    }
}

/// The answer-decoding target: `body` as the body of a 200, a 400, a 429 and a 503.
/// What is handed out must be what a full JSON parse of the body says.
pub fn response_json(body: &[u8]) {
    for status in [200, 400, 429, 503] {
        let parsed = std::str::from_utf8(body).ok().and_then(|t| serde_json::from_str::<Value>(t).ok());
        let blank = body.iter().all(u8::is_ascii_whitespace);
        match Response::decode(status, body.to_vec()) {
            Ok(r) => {
                assert_eq!(status, 200);
                if blank {
                    assert_eq!((r.body(), r.json()), ("null", &Value::Null));
                } else {
                    let value = parsed.as_ref().expect("a 2xx body dfx took is JSON");
                    assert_eq!(r.body().as_bytes(), body, "the body is the server's bytes");
                    check_fields(&r, value);
                }
                assert_eq!((r.error_code(), r.error_message()), (None, None));
            }
            Err(Error::Decode(_)) => assert!(status == 200 && parsed.is_none() && !blank, "{status}: refused JSON"),
            Err(Error::Api(r)) => {
                assert_ne!(status, 200);
                assert_eq!(r.status(), status);
                match &parsed {
                    Some(value) if !blank => {
                        assert_eq!(r.body().as_bytes(), body);
                        check_fields(&r, value);
                        assert_eq!(r.error_code(), text_field(value, &["Code", "errorCode"]).as_deref());
                        assert_eq!(r.error_message(), text_field(value, &["Message", "message"]).as_deref());
                    }
                    // Made up, as the JS client does: still JSON, with a code.
                    _ => {
                        assert!(serde_json::from_str::<Value>(r.body()).is_ok());
                        assert!(r.error_code().is_some_and(|c| !c.is_empty()));
                    }
                }
            }
            Err(e) => panic!("unexpected error kind: {e:?}"),
        }
    }
}

/// Every top-level field of `value` reads back as `get_str` (strings only;
/// the last of duplicate keys, as in `Value`), also as a C string.
fn check_fields(r: &Response, value: &Value) {
    assert_eq!(r.json(), value);
    assert_eq!(r.body_c().to_bytes(), r.body().as_bytes(), "JSON text holds no NUL");
    let Value::Object(map) = value else { return };
    for (key, v) in map {
        let want = v.as_str();
        assert_eq!(r.get_str(key), want, "field {key:?}");
        match want {
            Some(s) if s.contains('\0') => assert!(r.get_c(key).is_none()),
            _ => assert_eq!(r.get_c(key).map(|c| c.to_str().unwrap()), want),
        }
    }
}

fn text_field(value: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match value.get(*k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// The session-JSON target: what `Session::from_json` takes, `to_json`
/// gives back field for field; what it refuses is refused with
/// `InvalidArgument`.
pub fn session_json(text: &[u8]) {
    let Ok(text) = std::str::from_utf8(text) else { return };
    match Session::from_json(text) {
        Ok(s) => {
            let json = s.to_json();
            let again = Session::from_json(&json).expect("to_json's output is taken back");
            assert!(again == s, "the session changed in a round trip");
            let value: Value = serde_json::from_str(&json).unwrap();
            for field in SessionField::ALL {
                assert_eq!(value[field.json_key()].as_str(), Some(s.get(field)));
            }
        }
        Err(Error::InvalidArgument(_)) => {}
        Err(e) => panic!("unexpected error kind: {e:?}"),
    }
}

/// The JWT target: `text` as a whole token, and as the payload of one.
/// An `exp` read must be the claim's number (whole part).
pub fn token_exp(text: &[u8]) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    if let Ok(token) = std::str::from_utf8(text) {
        match crate::token_expiry(token) {
            Ok(_) => assert_eq!(token.split('.').count(), 3),
            Err(Error::InvalidArgument(_)) => {}
            Err(e) => panic!("unexpected error kind: {e:?}"),
        }
    }
    let token = format!("eyJhbGciOiJIUzI1NiJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(text));
    let exp = serde_json::from_slice::<Value>(text).ok().and_then(|claims| claims.get("exp").cloned());
    match (crate::token_expiry(&token), exp) {
        (Ok(got), Some(exp)) => {
            let want = exp.as_i64().unwrap_or_else(|| exp.as_f64().unwrap() as i64);
            assert_eq!(got, want);
        }
        (Ok(got), None) => panic!("exp {got} read from claims without one"),
        (Err(Error::InvalidArgument(_)), exp) => {
            assert!(exp.as_ref().is_none_or(|e| !e.is_number()), "a numeric exp was not read: {exp:?}")
        }
        (Err(e), _) => panic!("unexpected error kind: {e:?}"),
    }
}

/// The base-URL target: what is accepted is `https://`, or `http://` to a
/// loopback host, with a host and no user info, query or fragment, and
/// parses again to itself.
pub fn base_url(text: &[u8]) {
    let Ok(text) = std::str::from_utf8(text) else { return };
    match crate::client::parse_base_url(text) {
        Ok(url) => {
            assert!(url.host_str().is_some_and(|h| !h.is_empty()));
            assert!(url.username().is_empty() && url.password().is_none());
            assert!(url.query().is_none() && url.fragment().is_none());
            match url.scheme() {
                "https" => {}
                "http" => assert!(
                    matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                        || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
                        || url.host_str().is_some_and(|h| h.eq_ignore_ascii_case("localhost")),
                    "plain http to {:?}",
                    url.host_str()
                ),
                other => panic!("scheme {other:?} accepted"),
            }
            let again = crate::client::parse_base_url(url.as_str()).expect("an accepted URL is accepted again");
            assert_eq!(again, url);
        }
        Err(Error::InvalidUrl(_)) => {}
        Err(e) => panic!("unexpected error kind: {e:?}"),
    }
}

/// The measurement socket's frame target: `frame` as an answer from the
/// server. Read, it must be exactly websocket.json's layout (10 printable
/// ASCII characters of id, 3 digits of status, the rest UTF-8); refused,
/// the reason must be the right one; a result it carries names its chunk
/// only by `ChunkOrder` or the last part of `MeasurementDataID`. And a
/// request frame built around the same text keeps the layout.
pub fn ws_frame(frame: &[u8]) {
    use crate::measurement::frame::{answer, request, Malformed, RequestId, ID_LEN};
    let id_ok = frame.len() >= ID_LEN + 3 && frame[..ID_LEN].iter().all(|b| b.is_ascii_graphic() || *b == b' ');
    match answer(frame) {
        Ok(a) => {
            assert!(id_ok);
            assert_eq!(a.id.as_str().as_bytes(), &frame[..ID_LEN]);
            assert!(frame[ID_LEN..ID_LEN + 3].iter().all(u8::is_ascii_digit));
            let digits = std::str::from_utf8(&frame[ID_LEN..ID_LEN + 3]).unwrap();
            assert_eq!(a.status, digits.parse::<u16>().unwrap());
            assert_eq!(a.json.as_bytes(), &frame[ID_LEN + 3..]);
            if let Some(chunk) = crate::measurement::run::result_chunk(&a.json) {
                let value: Value = serde_json::from_str(&a.json).expect("a result that names a chunk is JSON");
                let by_order = value.get("ChunkOrder").and_then(Value::as_u64);
                let by_id = value.get("MeasurementDataID").and_then(Value::as_str).and_then(|s| s.rsplit(':').next());
                let named = match by_order {
                    Some(n) => n == u64::from(chunk),
                    None => by_id.and_then(|s| s.parse::<u32>().ok()) == Some(chunk),
                };
                assert!(named, "chunk {chunk} from {}", a.json);
            }
        }
        Err(Malformed::NoId) => assert!(!id_ok),
        Err(Malformed::Payload(_, why)) => {
            assert!(id_ok);
            let status_ok = frame[ID_LEN..ID_LEN + 3].iter().all(u8::is_ascii_digit);
            assert_eq!(why == "its status is not 3 digits", !status_ok);
            if status_ok {
                assert!(std::str::from_utf8(&frame[ID_LEN + 3..]).is_err());
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(frame) {
        let id = RequestId::new(506, frame.len() as u64);
        let payload = Value::String(text.to_owned());
        let built = request(506, &id, &payload);
        assert_eq!(&built[..4], b"0506");
        assert_eq!(&built[4..14], id.as_str().as_bytes());
        let back: Value = serde_json::from_slice(&built[14..]).expect("the payload is JSON");
        assert_eq!(back, payload);
    }
}
