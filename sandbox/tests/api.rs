//! The DeepAffex endpoints: renew, login code, reset link.

mod common;

use std::sync::{Arc, Barrier};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::*;
use dfx_sandbox::{Config, Sandbox, TokenKind};
use serde_json::json;

fn sandbox() -> Sandbox {
    Sandbox::start(Config::default()).unwrap()
}

#[test]
fn renew_success_then_old_pair_is_dead() {
    let sb = sandbox();
    let (t, r) = sb.create_pair(TokenKind::Device, 3600);
    let resp = renew(sb.addr(), &t, &r).complete();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json; charset=utf-8"));
    let body = resp.json();
    let (t2, r2) = (body["Token"].as_str().unwrap(), body["RefreshToken"].as_str().unwrap());
    assert_ne!(t2, t);
    assert_ne!(r2, r);

    let again = renew(sb.addr(), &t, &r).complete();
    assert_eq!(again.status, 401);
    assert_eq!(again.code(), "INVALID_REFRESH_TOKEN");
    assert!(again.json()["Message"].is_string());

    // Mixed halves are refused and do not consume the new pair.
    assert_eq!(renew(sb.addr(), t2, &r).complete().status, 401);
    assert_eq!(renew(sb.addr(), &t, r2).complete().status, 401);
    assert_eq!(renew(sb.addr(), t2, r2).complete().status, 200);
    assert_eq!(sb.count("POST", "auths/renew"), 5);
    assert_eq!(sb.count("post", "/auths/renew"), 5);
}

#[test]
fn renew_keeps_kind_and_claims_and_works_when_expired() {
    let sb = sandbox();
    let (t, r) = sb.create_pair(TokenKind::User, 0);
    let claims = decode(&t);
    let resp = renew(sb.addr(), &t, &r).complete();
    assert_eq!(resp.status, 200, "an expired access token can still be renewed");
    let t2 = resp.json()["Token"].as_str().unwrap().to_owned();
    let claims2 = decode(&t2);
    for key in ["ID", "OrganizationID", "Type", "DeviceID", "RoleID", "SessionGen", "Region", "iss"] {
        assert_eq!(claims[key], claims2[key], "{key}");
    }
    assert_eq!(claims2["Type"], "User");
    assert_ne!(claims["jti"], claims2["jti"]);
}

fn decode(token: &str) -> serde_json::Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 32);
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

#[test]
fn token_shape() {
    let sb = sandbox();
    let (t, r) = sb.create_pair(TokenKind::Device, 600);
    let c = decode(&t);
    assert_eq!(c["Type"], "Device");
    assert_eq!(c["Region"], "sandbox");
    assert_eq!(c["iss"], "dfx-sandbox");
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 600);
    for key in ["ID", "OrganizationID", "DeviceID", "RoleID", "jti"] {
        assert!(c[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    assert!(c["SessionGen"].is_number());
    assert!(URL_SAFE_NO_PAD.decode(&r).unwrap().len() >= 32);
    let (t2, _) = sb.create_pair(TokenKind::Device, 600);
    assert_ne!(t, t2);
}

#[test]
fn concurrent_renews_have_exactly_one_winner() {
    let sb = sandbox();
    let (t, r) = sb.create_pair(TokenKind::Device, 3600);
    let n = 16;
    let barrier = Arc::new(Barrier::new(n));
    let addr = sb.addr();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (t, r, barrier) = (t.clone(), r.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                renew(addr, &t, &r).complete().status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 401).count(), n - 1, "{statuses:?}");
    assert_eq!(sb.count("POST", "auths/renew"), n);
}

#[test]
fn renew_validation() {
    let sb = sandbox();
    let a = sb.addr();
    for body in [&b"not json"[..], b"", b"[1,2]", b"\"str\"", b"null"] {
        let resp = send(a, "POST", "/auths/renew", &[], body).complete();
        assert_eq!((resp.status, resp.code()), (400, "INVALID_REQUEST_BODY".into()), "{body:?}");
    }
    for body in [
        json!({"Token": "x"}),
        json!({"RefreshToken": "x"}),
        json!({"Token": "", "RefreshToken": "x"}),
        json!({"Token": 5, "RefreshToken": "x"}),
        json!({"Token": "x", "RefreshToken": null}),
    ] {
        let resp = post_json(a, "/auths/renew", &body).complete();
        assert_eq!((resp.status, resp.code()), (400, "VALIDATION_ERROR".into()), "{body}");
    }
    // Extra keys are tolerated; unknown tokens are 401.
    let resp = post_json(a, "/auths/renew", &json!({"Token": "x", "RefreshToken": "y", "RefreshTokenExpiresIn": null}))
        .complete();
    assert_eq!((resp.status, resp.code()), (401, "INVALID_REFRESH_TOKEN".into()));
    // The Authorization header is ignored on renew.
    let (t, r) = sb.create_pair(TokenKind::Device, 60);
    let body = json!({"Token": t, "RefreshToken": r, "RefreshTokenExpiresIn": 60}).to_string();
    let resp = send(a, "POST", "/auths/renew", &[("Authorization", "Bearer garbage")], body.as_bytes()).complete();
    assert_eq!(resp.status, 200);
}

#[test]
fn routing_404_405() {
    let sb = sandbox();
    let resp = send(sb.addr(), "GET", "/nope", &[], b"").complete();
    assert_eq!((resp.status, resp.code()), (404, "NOT_FOUND".into()));
    assert_eq!(resp.header("content-type"), Some("application/json; charset=utf-8"));
    let resp = send(sb.addr(), "GET", "/auths/renew", &[], b"").complete();
    assert_eq!((resp.status, resp.code()), (405, "METHOD_NOT_ALLOWED".into()));
    assert_eq!(resp.header("allow"), Some("POST"));
    let resp = send(sb.addr(), "POST", "/auths/users/code", &[], b"{}").complete();
    assert_eq!(resp.status, 405);
    // A path prefix is not supported.
    let resp = send(sb.addr(), "POST", "/api/auths/renew", &[], b"{}").complete();
    assert_eq!(resp.status, 404);
}

#[test]
fn login_code_and_reset_link() {
    let sb = Sandbox::start(Config { orgs: vec!["acme".into(), "dfxdemo".into()], ..Config::default() }).unwrap();
    let a = sb.addr();
    let patch = |path: &str, headers: &[(&str, &str)], body: serde_json::Value| {
        send(a, "PATCH", path, headers, body.to_string().as_bytes()).complete()
    };
    let resp = patch("/auths/users/code", &[], json!({"PhoneNumber": "+15551234567", "Identifier": "nope"}));
    assert_eq!((resp.status, resp.code()), (404, "ORGANIZATION_NOT_FOUND".into()));
    assert_eq!(sb.login_code("+15551234567"), None);

    let resp = patch("/auths/users/code", &[], json!({"PhoneNumber": "+15551234567", "Identifier": "acme"}));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json(), json!({"success": true}));
    let code = sb.login_code("+15551234567").unwrap();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));

    let resp = patch("/auths/users/code", &[], json!({"PhoneNumber": "", "Identifier": "acme"}));
    assert_eq!((resp.status, resp.code()), (400, "VALIDATION_ERROR".into()));
    let resp = send(a, "PATCH", "/auths/users/reset", &[], b"{").complete();
    assert_eq!((resp.status, resp.code()), (400, "INVALID_REQUEST_BODY".into()));
    let resp = patch("/auths/users/reset", &[], json!({"Email": "a@b.c"}));
    assert_eq!((resp.status, resp.code()), (400, "VALIDATION_ERROR".into()));
    let resp = patch("/auths/users/reset", &[], json!({"Email": "a@b.c", "Identifier": "zzz"}));
    assert_eq!((resp.status, resp.code()), (404, "ORGANIZATION_NOT_FOUND".into()));
    let resp = patch("/auths/users/reset", &[], json!({"Email": "a@b.c", "Identifier": "dfxdemo"}));
    assert_eq!((resp.status, resp.json()), (200, json!({"success": true})));

    // Authorization: absent is fine; present must be a live device token.
    let (device, _) = sb.create_pair(TokenKind::Device, 60);
    let (user, _) = sb.create_pair(TokenKind::User, 60);
    let (expired, _) = sb.create_pair(TokenKind::Device, 0);
    let body = json!({"Email": "a@b.c", "Identifier": "acme"});
    let ok = format!("Bearer {device}");
    assert_eq!(patch("/auths/users/reset", &[("Authorization", &ok)], body.clone()).status, 200);
    for bad in [format!("Bearer {user}"), "Bearer".into(), "Bearer nope".into(), device.clone()] {
        let resp = patch("/auths/users/reset", &[("Authorization", &bad)], body.clone());
        assert_eq!((resp.status, resp.code()), (401, "INVALID_TOKEN".into()));
    }
    let resp = patch("/auths/users/reset", &[("Authorization", &format!("Bearer {expired}"))], body.clone());
    assert_eq!((resp.status, resp.code()), (401, "TOKEN_EXPIRED".into()));
    assert_eq!(sb.count("PATCH", "auths/users/reset"), 10);
}

#[test]
fn keep_alive_and_recording() {
    let sb = sandbox();
    let mut c = Conn::new(sb.addr());
    for _ in 0..3 {
        let resp = c.request("POST", "/auths/renew?x=1", b"{\"Token\":\"a\",\"RefreshToken\":\"b\"}");
        assert_eq!(resp.status, 401);
    }
    let reqs = sb.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "auths/renew");
    assert_eq!(reqs[0].query.as_deref(), Some("x=1"));
    assert_eq!(reqs[0].header("HOST"), Some("sandbox"));
    assert_eq!(reqs[0].headers[0].0, "host");
    assert_eq!(reqs[0].body, b"{\"Token\":\"a\",\"RefreshToken\":\"b\"}");
}

#[test]
fn drop_stops_the_server() {
    let sb = sandbox();
    let addr = sb.addr();
    assert_eq!(sb.url(), format!("http://127.0.0.1:{}", addr.port()));
    drop(sb);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_and_drop_inside_a_runtime() {
    let sb = sandbox();
    let addr = sb.addr();
    let status = tokio::task::spawn_blocking(move || send(addr, "GET", "/x", &[], b"").complete().status)
        .await
        .unwrap();
    assert_eq!(status, 404);
    drop(sb);
}
