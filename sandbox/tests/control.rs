//! The /_sandbox control plane over HTTP.

mod common;

use common::*;
use dfx_sandbox::{Config, Sandbox};
use serde_json::json;

fn sandbox() -> Sandbox {
    Sandbox::start(Config::default()).unwrap()
}

#[test]
fn pairs() {
    let sb = sandbox();
    let a = sb.addr();
    let resp = post_json(a, "/_sandbox/pairs", &json!({"Type": "User", "TokenExpiresIn": 5})).complete();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json; charset=utf-8"));
    let body = resp.json();
    let (t, r) = (body["Token"].as_str().unwrap(), body["RefreshToken"].as_str().unwrap());
    assert_eq!(renew(a, t, r).complete().status, 200);
    // Empty body = a Device pair with the default lifetime.
    let resp = send(a, "POST", "/_sandbox/pairs", &[], b"").complete();
    assert_eq!(resp.status, 200);
    assert_eq!(post_json(a, "/_sandbox/pairs", &json!({"Type": "Robot"})).complete().status, 400);
    assert_eq!(send(a, "POST", "/_sandbox/pairs", &[], b"{").complete().status, 400);
    assert_eq!(send(a, "GET", "/_sandbox/pairs", &[], b"").complete().status, 405);
    assert_eq!(send(a, "GET", "/_sandbox/nope", &[], b"").complete().status, 404);
    // Control requests are not API requests.
    assert_eq!(sb.requests().len(), 1);
}

#[test]
fn faults() {
    let sb = sandbox();
    let a = sb.addr();
    let resp = post_json(
        a,
        "/_sandbox/faults",
        &json!({"Path": "auths/renew", "Action": "Status", "Status": 429, "Count": 2,
                "Body": {"Code": "TOO_MANY_REQUESTS"}, "ContentType": "application/json; charset=utf-8",
                "Headers": {"Retry-After": "3"}}),
    )
    .complete();
    assert_eq!((resp.status, resp.json()), (200, json!({"ok": true})));
    let resp = renew(a, "x", "y").complete();
    assert_eq!((resp.status, resp.code()), (429, "TOO_MANY_REQUESTS".into()));
    assert_eq!(resp.header("retry-after"), Some("3"));

    assert_eq!(send(a, "POST", "/_sandbox/faults", &[], b"nope").complete().status, 400);
    let resp = post_json(a, "/_sandbox/faults", &json!({"Action": "Boom"})).complete();
    assert_eq!((resp.status, resp.code()), (400, "INVALID_REQUEST_BODY".into()));
    assert!(resp.json()["Message"].as_str().unwrap().contains("Boom"));
    assert_eq!(post_json(a, "/_sandbox/faults", &json!({"Status": 42})).complete().status, 400);
    assert_eq!(post_json(a, "/_sandbox/faults", &json!({"Headers": {"Bad Name": "x"}})).complete().status, 400);

    assert_eq!(send(a, "DELETE", "/_sandbox/faults", &[], b"").complete().status, 200);
    assert_eq!(renew(a, "x", "y").complete().status, 401);

    post_json(a, "/_sandbox/faults", &json!({"Action": "Drop", "Phase": "After"})).complete();
    assert!(matches!(send(a, "GET", "/x", &[], b""), Outcome::ClosedBeforeResponse));
}

#[test]
fn requests_stats_reset_and_login_code() {
    let sb = sandbox();
    let a = sb.addr();
    send(a, "PATCH", "/auths/users/code?lang=en", &[("X-Test", "1")], br#"{"PhoneNumber":"+15550001111","Identifier":"dfxdemo"}"#)
        .complete();
    renew(a, "x", "y").complete();
    renew(a, "x", "y").complete();

    let list = send(a, "GET", "/_sandbox/requests", &[], b"").complete().json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["Method"], "PATCH");
    assert_eq!(list[0]["Path"], "auths/users/code");
    assert_eq!(list[0]["Query"], "lang=en");
    assert_eq!(list[0]["Headers"]["x-test"], "1");
    assert_eq!(list[0]["Body"], r#"{"PhoneNumber":"+15550001111","Identifier":"dfxdemo"}"#);
    assert_eq!(list[1]["Query"], serde_json::Value::Null);

    let stats = send(a, "GET", "/_sandbox/stats", &[], b"").complete().json();
    assert_eq!(stats, json!({"Requests": {"PATCH auths/users/code": 1, "POST auths/renew": 2}}));

    let code = sb.login_code("+15550001111").unwrap();
    for q in ["phone=%2B15550001111", "phone=+15550001111"] {
        let resp = send(a, "GET", &format!("/_sandbox/login-code?{q}"), &[], b"").complete();
        assert_eq!((resp.status, resp.json()), (200, json!({"LoginCode": code})));
    }
    assert_eq!(send(a, "GET", "/_sandbox/login-code?phone=123", &[], b"").complete().status, 404);

    assert_eq!(send(a, "DELETE", "/_sandbox/requests", &[], b"").complete().status, 200);
    assert!(sb.requests().is_empty());
    assert_eq!(sb.count("POST", "auths/renew"), 2, "clearing the list keeps the counts");

    post_json(a, "/_sandbox/faults", &json!({"Action": "Status", "Count": 0})).complete();
    renew(a, "x", "y").complete();
    assert_eq!(send(a, "POST", "/_sandbox/reset", &[], b"").complete().status, 200);
    assert_eq!(sb.count("POST", "auths/renew"), 0);
    assert!(sb.requests().is_empty());
    assert_eq!(renew(a, "x", "y").complete().status, 401, "faults cleared by reset");
    assert_eq!(sb.login_code("+15550001111").as_deref(), Some(code.as_str()));
}
