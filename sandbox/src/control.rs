//! The `/_sandbox/*` control plane: JSON over HTTP for C and Python tests.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::Fault;
use crate::stream_faults::{DelayRequest, DropRequest, RateLimitRequest, RefuseRequest};
use crate::reply::Reply;
use crate::tokens::TokenKind;
use crate::State;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PairRequest {
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(default)]
    token_expires_in: Option<u64>,
    /// Make this many pairs at once: the answer is then {"Pairs": [...]}.
    #[serde(default)]
    count: Option<usize>,
}

/// Most pairs one control-plane request may make.
const MAX_PAIRS_PER_REQUEST: usize = 100_000;

/// `rest` is the path after `_sandbox/`.
pub(crate) fn handle(
    state: &State,
    method: &str,
    rest: &str,
    query: Option<&str>,
    body: &[u8],
) -> Reply {
    match (method, rest) {
        ("POST", "pairs") => pairs(state, body),
        ("POST", "faults") => push_fault(state, body),
        ("DELETE", "faults") => {
            state.clear_faults();
            ok()
        }
        ("POST", "ws/drop") => parsed(body, |r: DropRequest| state.stream_faults.push_drop(r.after_frames, r.count)),
        ("POST", "ws/refuse") => parsed(body, |r: RefuseRequest| {
            let body = match r.body {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s,
                Some(v) => v.to_string(),
            };
            state.stream_faults.push_refusal(r.status, body, r.count)
        }),
        ("POST", "results-delay") => parsed(body, |r: DelayRequest| {
            state.stream_faults.set_results_delay(Duration::from_millis(r.delay_ms));
            Ok(())
        }),
        ("POST", "rate-limit") => parsed(body, |r: RateLimitRequest| {
            state.stream_faults.set_rate_limit(r.chunks);
            Ok(())
        }),
        ("GET", "ws/stats") => Reply::json(200, &state.sockets.snapshot().to_json()),
        ("GET", "requests") => {
            let list: Vec<Value> = state.recorder.requests().iter().map(|r| r.to_json()).collect();
            Reply::json(200, &Value::Array(list))
        }
        ("DELETE", "requests") => {
            state.recorder.clear_requests();
            ok()
        }
        ("GET", "stats") => Reply::json(200, &json!({ "Requests": state.recorder.counts() })),
        ("GET", "login-code") => login_code(state, query),
        ("GET", "seed") => Reply::json(200, &state.directory.seed_json()),
        ("POST", "reset") => {
            state.reset();
            ok()
        }
        (_, "pairs" | "faults" | "requests" | "stats" | "login-code" | "seed" | "reset" | "ws/drop" | "ws/refuse"
            | "results-delay" | "rate-limit" | "ws/stats") => {
            Reply::error(405, "METHOD_NOT_ALLOWED", "Method not allowed for this control endpoint")
        }
        (_, path) if path.starts_with("measurements/") => measurement(state, method, path),
        _ => Reply::error(404, "NOT_FOUND", "No such control endpoint"),
    }
}

/// `GET measurements/{id}` (stats) and `GET measurements/{id}/results`.
fn measurement(state: &State, method: &str, path: &str) -> Reply {
    let rest = path.strip_prefix("measurements/").unwrap_or("");
    let (id, results) = match rest.strip_suffix("/results") {
        Some(id) => (id, true),
        None => (rest, false),
    };
    if id.is_empty() || id.contains('/') {
        return Reply::error(404, "NOT_FOUND", "No such control endpoint");
    }
    if method != "GET" {
        return Reply::error(405, "METHOD_NOT_ALLOWED", "Method not allowed for this control endpoint");
    }
    let id = percent_decode(id);
    let not_found = || Reply::error(404, "NOT_FOUND", "No measurement has this ID");
    if results {
        state.measurements.chunk_results(&id).map_or_else(not_found, |r| Reply::json(200, &Value::Array(r)))
    } else {
        state.measurements.stats(&id).map_or_else(not_found, |s| Reply::json(200, &s.to_json()))
    }
}

/// Parses the body as `T` and applies it: `{"ok":true}`, or 400 with serde's
/// or `apply`'s message.
fn parsed<T: serde::de::DeserializeOwned>(body: &[u8], apply: impl FnOnce(T) -> Result<(), String>) -> Reply {
    match serde_json::from_slice::<T>(body) {
        Ok(r) => match apply(r) {
            Ok(()) => ok(),
            Err(msg) => bad_request(&msg),
        },
        Err(e) => bad_request(&e.to_string()),
    }
}

fn ok() -> Reply {
    Reply::json(200, &json!({ "ok": true }))
}

fn bad_request(message: &str) -> Reply {
    Reply::error(400, "INVALID_REQUEST_BODY", message)
}

fn pairs(state: &State, body: &[u8]) -> Reply {
    let req: PairRequest = if body.iter().all(u8::is_ascii_whitespace) {
        PairRequest { kind: None, token_expires_in: None, count: None }
    } else {
        match serde_json::from_slice(body) {
            Ok(r) => r,
            Err(e) => return bad_request(&e.to_string()),
        }
    };
    let kind = match req.kind.as_deref() {
        None => TokenKind::Device,
        Some(s) => match TokenKind::parse(s) {
            Some(k) => k,
            None => return bad_request("Type must be \"Device\" or \"User\""),
        },
    };
    let ttl = Duration::from_secs(req.token_expires_in.unwrap_or(86400));
    match req.count {
        None => {
            let (token, refresh) = state.create_pair(kind, ttl);
            Reply::json(200, &json!({ "Token": token, "RefreshToken": refresh }))
        }
        Some(n) if n > MAX_PAIRS_PER_REQUEST => bad_request("Count is at most 100000"),
        Some(n) => {
            let pairs: Vec<_> = (0..n)
                .map(|_| {
                    let (token, refresh) = state.create_pair(kind, ttl);
                    json!({ "Token": token, "RefreshToken": refresh })
                })
                .collect();
            Reply::json(200, &json!({ "Pairs": pairs }))
        }
    }
}

fn push_fault(state: &State, body: &[u8]) -> Reply {
    let fault: Fault = match serde_json::from_slice(body) {
        Ok(f) => f,
        Err(e) => return bad_request(&e.to_string()),
    };
    if let Err(msg) = fault.validate() {
        return bad_request(&msg);
    }
    state.faults.push(fault);
    ok()
}

fn login_code(state: &State, query: Option<&str>) -> Reply {
    let phone = query.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "phone")
            .map(|(_, v)| percent_decode(v))
    });
    let Some(phone) = phone else {
        return Reply::error(400, "VALIDATION_ERROR", "query parameter phone is required");
    };
    match state.login_code(&phone) {
        Some(code) => Reply::json(200, &json!({ "LoginCode": code })),
        None => Reply::error(404, "NOT_FOUND", "No login code was issued for this phone number"),
    }
}

/// Decodes `%XX` escapes. A literal `+` stays `+` (phone numbers), so both
/// `phone=+15551234567` and `phone=%2B15551234567` work.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("%2B1555"), "+1555");
        assert_eq!(percent_decode("+1555"), "+1555");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%zz"), "a%zz");
        assert_eq!(percent_decode("%41"), "A");
    }
}
