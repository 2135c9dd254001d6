//! The socket's frame layout (`websocket.json`): a request is 4 ASCII
//! digits of action id, a request id of exactly 10 characters, then UTF-8
//! JSON; an answer is the 10-character request id, 3 ASCII digits of
//! status, then UTF-8 JSON.

use serde_json::Value;

/// Length of every request id.
pub(crate) const ID_LEN: usize = 10;

/// Action ids the stream sends.
pub(crate) const LOGIN: u16 = 718;
pub(crate) const SUBSCRIBE: u16 = 510;
pub(crate) const DATA: u16 = 506;

/// A request id: exactly 10 ASCII characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct RequestId([u8; ID_LEN]);

/// The letters of generated ids (as the JavaScript client's).
const LETTERS: &[u8; 52] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl RequestId {
    /// The id of the `n`th request for `action` (mod 52^6 = 19.7 billion):
    /// the 4-digit action, then 6 letters (as the JavaScript client's ids,
    /// so an answer's first 4 characters name its action).
    pub(crate) fn new(action: u16, n: u64) -> RequestId {
        let mut id = [0u8; ID_LEN];
        id[..4].copy_from_slice(format!("{:04}", action % 10_000).as_bytes());
        let mut n = n;
        for slot in id[4..].iter_mut().rev() {
            *slot = LETTERS[(n % 52) as usize];
            n /= 52;
        }
        RequestId(id)
    }

    /// An id for result pushes: `tag` letters then digits of `n`, 10 in all.
    pub(crate) fn results(n: u64) -> RequestId {
        let text = format!("RES{:07}", n % 10_000_000);
        let mut id = [0u8; ID_LEN];
        id.copy_from_slice(text.as_bytes());
        RequestId(id)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ever built from ASCII.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// A request frame: action, id, then the JSON of `payload`.
pub(crate) fn request(action: u16, id: &RequestId, payload: &Value) -> Vec<u8> {
    let json = payload.to_string();
    let mut frame = Vec::with_capacity(4 + ID_LEN + json.len());
    frame.extend_from_slice(format!("{:04}", action % 10_000).as_bytes());
    frame.extend_from_slice(&id.0);
    frame.extend_from_slice(json.as_bytes());
    frame
}

/// An answer frame, parsed.
#[derive(Debug, PartialEq)]
pub(crate) struct Answer {
    pub(crate) id: RequestId,
    pub(crate) status: u16,
    /// The payload's JSON text (UTF-8 checked; parsed by whoever needs it).
    pub(crate) json: String,
}

/// Why an answer frame could not be read.
#[derive(Debug, PartialEq)]
pub(crate) enum Malformed {
    /// Shorter than id + status, or the id is not 10 printable ASCII
    /// characters: nothing says whose answer it is.
    NoId,
    /// The id is readable but the status or payload is not.
    Payload(RequestId, &'static str),
}

/// Parse an answer frame.
pub(crate) fn answer(frame: &[u8]) -> Result<Answer, Malformed> {
    if frame.len() < ID_LEN + 3 {
        return Err(Malformed::NoId);
    }
    let (id, rest) = frame.split_at(ID_LEN);
    if !id.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return Err(Malformed::NoId);
    }
    let mut raw = [0u8; ID_LEN];
    raw.copy_from_slice(id);
    let id = RequestId(raw);
    let (status, payload) = rest.split_at(3);
    if !status.iter().all(u8::is_ascii_digit) {
        return Err(Malformed::Payload(id, "its status is not 3 digits"));
    }
    let status = status.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let json = std::str::from_utf8(payload).map_err(|_| Malformed::Payload(id, "its payload is not UTF-8"))?;
    Ok(Answer { id, status, json: json.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_ids_are_ten_characters_and_distinct() {
        let a = RequestId::new(506, 0);
        assert_eq!(a.as_str(), "0506AAAAAA");
        assert_eq!(RequestId::new(506, 1).as_str(), "0506AAAAAB");
        assert_eq!(RequestId::new(506, 52).as_str(), "0506AAAABA");
        assert_eq!(RequestId::new(718, 52u64.pow(6) - 1).as_str(), "0718zzzzzz");
        assert_eq!(RequestId::results(42).as_str(), "RES0000042");
        let ids: std::collections::HashSet<_> = (0..10_000).map(|n| RequestId::new(506, n)).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.as_str().len() == ID_LEN));
    }

    #[test]
    fn request_layout_is_action_id_then_utf8_json() {
        let id = RequestId::new(510, 3);
        let frame = request(510, &id, &json!({"Params": {"ID": "é✓"}, "RequestID": "RES0000001"}));
        assert_eq!(&frame[..4], b"0510");
        assert_eq!(&frame[4..14], b"0510AAAAAD");
        let payload: Value = serde_json::from_slice(&frame[14..]).unwrap();
        assert_eq!(payload["Params"]["ID"], "é✓");
        // UTF-8, not the JavaScript client's one byte per UTF-16 unit.
        assert!(frame.windows(2).any(|w| w == "é".as_bytes()));
        assert_eq!(&request(7, &id, &json!({}))[..4], b"0007");
    }

    #[test]
    fn answers_parse_id_status_and_utf8_json() {
        let a = answer("0506AAAAAB200{\"ChunkOrder\":1,\"N\":\"日本\"}".as_bytes()).unwrap();
        assert_eq!(a.id.as_str(), "0506AAAAAB");
        assert_eq!(a.status, 200);
        assert_eq!(a.json, "{\"ChunkOrder\":1,\"N\":\"日本\"}");
        assert_eq!(answer(b"RES0000001404").unwrap().json, "");
        assert_eq!(answer(b"RES0000001404").unwrap().status, 404);
    }

    #[test]
    fn malformed_answers_are_told_apart() {
        assert_eq!(answer(b""), Err(Malformed::NoId));
        assert_eq!(answer(b"0506AAAAAB20"), Err(Malformed::NoId));
        assert_eq!(answer(b"0506AA\nAAB200{}"), Err(Malformed::NoId));
        assert_eq!(answer(b"0506AA\xffAAB200{}"), Err(Malformed::NoId));
        let id = RequestId::new(506, 1);
        assert_eq!(answer(b"0506AAAAAB2x0{}"), Err(Malformed::Payload(id, "its status is not 3 digits")));
        assert_eq!(answer(b"0506AAAAAB200{\xff}"), Err(Malformed::Payload(id, "its payload is not UTF-8")));
    }
}
