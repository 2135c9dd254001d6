//! Fault injection through the library API.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dfx_sandbox::{Action, Config, Fault, Phase, Sandbox, TokenKind};

fn sandbox() -> Sandbox {
    Sandbox::start(Config::default()).unwrap()
}

fn renew_fault(action: Action) -> Fault {
    Fault { path: "auths/renew".into(), action, ..Fault::default() }
}

#[test]
fn status_fault_replaces_the_answer_once() {
    let sb = sandbox();
    let (t, r) = sb.create_pair(TokenKind::Device, 60);
    sb.push_fault(Fault {
        method: Some("post".into()),
        status: 503,
        body: "{\"Code\":\"DOWN\"}".into(),
        content_type: Some("application/json; charset=utf-8".into()),
        headers: vec![("Retry-After".into(), "1".into()), ("Content-Length".into(), "999".into())],
        ..renew_fault(Action::Status)
    });
    let resp = renew(sb.addr(), &t, &r).complete();
    assert_eq!(resp.status, 503);
    assert_eq!(resp.code(), "DOWN");
    assert_eq!(resp.header("retry-after"), Some("1"));
    // Before: the pair was not consumed; the fault is used up.
    assert_eq!(renew(sb.addr(), &t, &r).complete().status, 200);
    assert_eq!(sb.count("POST", "auths/renew"), 2);
}

#[test]
fn status_fault_without_content_type_and_redirect_headers() {
    let sb = sandbox();
    sb.push_fault(Fault {
        status: 302,
        headers: vec![("Location".into(), "http://example.invalid/x".into())],
        action: Action::Status,
        ..Fault::default()
    });
    let resp = send(sb.addr(), "PATCH", "/anything", &[], b"").complete();
    assert_eq!(resp.status, 302);
    assert_eq!(resp.header("location"), Some("http://example.invalid/x"));
    assert_eq!(resp.header("content-type"), None);
    assert!(resp.body.is_empty());
}

#[test]
fn matching_by_method_and_path_and_count() {
    let sb = sandbox();
    sb.push_fault(Fault { method: Some("PATCH".into()), status: 418, count: 2, ..renew_fault(Action::Status) });
    sb.push_fault(Fault { path: "nope".into(), status: 429, count: 0, action: Action::Status, ..Fault::default() });
    // Wrong method: not matched.
    assert_eq!(send(sb.addr(), "POST", "/auths/renew", &[], b"{}").complete().status, 400);
    assert_eq!(send(sb.addr(), "PATCH", "/auths/renew", &[], b"").complete().status, 418);
    assert_eq!(send(sb.addr(), "PATCH", "/auths/renew", &[], b"").complete().status, 418);
    assert_eq!(send(sb.addr(), "PATCH", "/auths/renew", &[], b"").complete().status, 405);
    for _ in 0..3 {
        assert_eq!(send(sb.addr(), "GET", "/nope", &[], b"").complete().status, 429);
    }
    sb.clear_faults();
    assert_eq!(send(sb.addr(), "GET", "/nope", &[], b"").complete().status, 404);
}

#[test]
fn drop_closes_before_any_byte() {
    let sb = sandbox();
    let (t, r) = sb.create_pair(TokenKind::Device, 60);
    sb.push_fault(renew_fault(Action::Drop));
    assert!(matches!(renew(sb.addr(), &t, &r), Outcome::ClosedBeforeResponse));
    // Before: nothing was consumed.
    assert_eq!(renew(sb.addr(), &t, &r).complete().status, 200);
}

#[test]
fn drop_on_a_keep_alive_connection_after_a_good_answer() {
    let sb = sandbox();
    let mut c = Conn::new(sb.addr());
    assert_eq!(c.request("GET", "/x", b"").status, 404);
    sb.push_fault(Fault { action: Action::Drop, ..Fault::default() });
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(sb.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(buf.is_empty());
    // The earlier keep-alive connection is unaffected.
    assert_eq!(c.request("GET", "/x", b"").status, 404);
}

#[test]
fn after_drop_consumes_the_pair() {
    let sb = sandbox();
    let (t, r) = sb.create_pair(TokenKind::Device, 60);
    sb.push_fault(Fault { phase: Phase::After, ..renew_fault(Action::Drop) });
    assert!(matches!(renew(sb.addr(), &t, &r), Outcome::ClosedBeforeResponse));
    let resp = renew(sb.addr(), &t, &r).complete();
    assert_eq!((resp.status, resp.code()), (401, "INVALID_REFRESH_TOKEN".into()));
}

#[test]
fn truncate_before_and_after() {
    let sb = sandbox();
    let (t, r) = sb.create_pair(TokenKind::Device, 60);
    sb.push_fault(Fault {
        status: 200,
        body: "{\"Token\":\"aaaaaaaaaaaaaaaa\",\"RefreshToken\":\"bbbbbbbbbbbbbbbb\"}".into(),
        content_type: Some("application/json; charset=utf-8".into()),
        ..renew_fault(Action::Truncate)
    });
    match renew(sb.addr(), &t, &r) {
        Outcome::Truncated { response, expected } => {
            assert_eq!(response.status, 200);
            let full = "{\"Token\":\"aaaaaaaaaaaaaaaa\",\"RefreshToken\":\"bbbbbbbbbbbbbbbb\"}";
            assert_eq!(expected, full.len());
            assert_eq!(response.body, full.as_bytes()[..full.len() / 2].to_vec());
        }
        other => panic!("expected a truncated body, got {other:?}"),
    }
    // Before did not consume; After does, and truncates the real answer.
    sb.push_fault(Fault { phase: Phase::After, ..renew_fault(Action::Truncate) });
    match renew(sb.addr(), &t, &r) {
        Outcome::Truncated { response, expected } => {
            assert_eq!(response.status, 200);
            assert!(response.body.len() < expected);
            assert!(!response.body.is_empty());
        }
        other => panic!("expected a truncated body, got {other:?}"),
    }
    assert_eq!(renew(sb.addr(), &t, &r).complete().status, 401);
    // Empty fake body: a default body is cut instead.
    sb.push_fault(Fault { action: Action::Truncate, ..Fault::default() });
    match send(sb.addr(), "GET", "/x", &[], b"") {
        Outcome::Truncated { response, expected } => {
            assert_eq!(response.status, 500);
            assert!(expected > 0 && response.body.len() < expected);
        }
        other => panic!("expected a truncated body, got {other:?}"),
    }
}

#[test]
fn delay_before_and_after() {
    let sb = sandbox();
    let (t, r) = sb.create_pair(TokenKind::Device, 60);
    sb.push_fault(Fault { delay_ms: 300, ..renew_fault(Action::None) });
    let start = Instant::now();
    let resp = renew(sb.addr(), &t, &r).complete();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(resp.status, 200);
    let body = resp.json();
    let (t2, r2) = (body["Token"].as_str().unwrap(), body["RefreshToken"].as_str().unwrap());

    // After + delay: the pair is consumed at once, the answer comes late.
    sb.push_fault(Fault { delay_ms: 400, phase: Phase::After, ..renew_fault(Action::None) });
    let addr = sb.addr();
    let (t2c, r2c) = (t2.to_owned(), r2.to_owned());
    let slow = std::thread::spawn(move || renew(addr, &t2c, &r2c).complete().status);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(renew(sb.addr(), t2, r2).complete().status, 401, "already consumed while delaying");
    assert_eq!(slow.join().unwrap(), 200);
}

#[test]
fn after_status_replaces_the_real_answer() {
    let sb = sandbox();
    let (t, r) = sb.create_pair(TokenKind::Device, 60);
    sb.push_fault(Fault { phase: Phase::After, status: 502, ..renew_fault(Action::Status) });
    assert_eq!(renew(sb.addr(), &t, &r).complete().status, 502);
    assert_eq!(renew(sb.addr(), &t, &r).complete().status, 401);
}

#[test]
fn control_plane_is_never_faulted_or_recorded() {
    let sb = sandbox();
    sb.push_fault(Fault { action: Action::Drop, count: 0, ..Fault::default() });
    let resp = send(sb.addr(), "GET", "/_sandbox/stats", &[], b"").complete();
    assert_eq!(resp.status, 200);
    assert!(sb.requests().is_empty());
}

#[test]
fn fault_json_defaults() {
    let f: Fault = serde_json::from_str("{}").unwrap();
    assert_eq!(f, Fault::default());
    assert_eq!((f.count, f.status, f.phase, f.action), (1, 500, Phase::Before, Action::None));
    let f: Fault = serde_json::from_str(
        r#"{"Method":"POST","Path":"auths/renew","Count":0,"Phase":"After","DelayMs":5,
            "Action":"truncate","Status":401,"Body":{"Code":"X"},"ContentType":"text/plain",
            "Headers":{"Location":"/y"}}"#,
    )
    .unwrap();
    assert_eq!(f.method.as_deref(), Some("POST"));
    assert_eq!((f.count, f.phase, f.delay_ms, f.action, f.status), (0, Phase::After, 5, Action::Truncate, 401));
    assert_eq!(f.body, r#"{"Code":"X"}"#);
    assert_eq!(f.headers, vec![("Location".to_owned(), "/y".to_owned())]);
    assert!(serde_json::from_str::<Fault>(r#"{"Action":"Explode"}"#).is_err());
    assert!(serde_json::from_str::<Fault>(r#"{"Delay":5}"#).is_err());
}
