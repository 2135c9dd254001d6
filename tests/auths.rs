//! The Auths calls of the safe core against the sandbox over real HTTP:
//! the wire, the answers, and every failure path.

mod common;

use std::time::Duration;

use common::*;
use dfx::Error;
use serde_json::Value;

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("request body is JSON")
}

#[test]
fn renew_returns_a_new_pair_and_kills_the_old_one() {
    let sb = sandbox();
    let c = client(&sb);
    let (token, refresh) = pair(&sb);
    let r = dfx::blocking(c.auths().renew(&token, &refresh)).unwrap();
    assert_eq!(r.status(), 200);
    let new_token = r.get_str("Token").unwrap().to_owned();
    let new_refresh = r.get_str("RefreshToken").unwrap().to_owned();
    assert_ne!(new_token, token);
    assert_ne!(new_refresh, refresh);
    assert_eq!(new_token.split('.').count(), 3, "JWT-shaped");

    match dfx::blocking(c.auths().renew(&token, &refresh)) {
        Err(Error::Api(r)) => {
            assert_eq!(r.status(), 401);
            assert_eq!(r.error_code(), Some("INVALID_REFRESH_TOKEN"));
            assert!(r.error_message().is_some());
        }
        other => panic!("old pair must be dead: {other:?}"),
    }
    // The new pair works.
    dfx::blocking(c.auths().renew(&new_token, &new_refresh)).unwrap();
}

#[test]
fn renew_is_exact_on_the_wire() {
    let sb = sandbox();
    let c = client(&sb);
    let (token, refresh) = pair(&sb);
    dfx::blocking(c.auths().renew(&token, &refresh)).unwrap();
    let reqs = sb.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "auths/renew"));
    assert_eq!(req.query, None);
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("user-agent"), Some(concat!("dfx/", env!("CARGO_PKG_VERSION"))));
    assert_eq!(req.header("authorization"), Some(format!("Bearer {token}").as_str()));
    let body = json(&req.body);
    assert_eq!(body, serde_json::json!({"Token": token, "RefreshToken": refresh}));
}

#[test]
fn login_code_and_reset_link_are_exact_on_the_wire() {
    let sb = sandbox();
    let c = client(&sb);
    let r = dfx::blocking(c.auths().request_login_code("+15555550100", "dfxdemo")).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json()["success"], true);
    assert!(sb.login_code("+15555550100").is_some());
    let r = dfx::blocking(c.auths().request_reset_password_link("a+b@example.com", "dfxdemo")).unwrap();
    assert_eq!(r.json()["success"], true);

    let reqs = sb.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!((reqs[0].method.as_str(), reqs[0].path.as_str()), ("PATCH", "auths/users/code"));
    assert_eq!(json(&reqs[0].body), serde_json::json!({"PhoneNumber": "+15555550100", "Identifier": "dfxdemo"}));
    assert_eq!((reqs[1].method.as_str(), reqs[1].path.as_str()), ("PATCH", "auths/users/reset"));
    assert_eq!(json(&reqs[1].body), serde_json::json!({"Email": "a+b@example.com", "Identifier": "dfxdemo"}));
    for req in &reqs {
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert!(req.header("user-agent").unwrap().starts_with("dfx/"));
        assert_eq!(req.header("authorization"), None, "no empty bearer is sent");
    }
    // Never the JS client's defect: nothing went to auths/renew.
    assert_eq!(sb.count("POST", "auths/renew"), 0);
}

#[test]
fn unknown_organization_is_an_api_error_with_its_code() {
    let sb = sandbox();
    let c = client(&sb);
    for result in [
        dfx::blocking(c.auths().request_login_code("+15555550100", "no-such-org")),
        dfx::blocking(c.auths().request_reset_password_link("a@example.com", "no-such-org")),
    ] {
        match result {
            Err(Error::Api(r)) => {
                assert_eq!(r.status(), 404);
                assert_eq!(r.error_code(), Some("ORGANIZATION_NOT_FOUND"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn empty_arguments_send_nothing() {
    let sb = sandbox();
    let c = client(&sb);
    for result in [
        dfx::blocking(c.auths().renew("", "x")),
        dfx::blocking(c.auths().renew("x", "")),
        dfx::blocking(c.auths().request_login_code("", "dfxdemo")),
        dfx::blocking(c.auths().request_login_code("+1", "")),
        dfx::blocking(c.auths().request_reset_password_link("", "dfxdemo")),
        dfx::blocking(c.auths().request_reset_password_link("a@b", "")),
    ] {
        assert!(matches!(result, Err(Error::InvalidArgument(_))), "{result:?}");
    }
    assert!(sb.requests().is_empty());
}

#[test]
fn refused_connection_is_connect_even_for_renew() {
    let c = dfx::Client::new(Some(&format!("http://127.0.0.1:{}", closed_port()))).unwrap();
    let e = dfx::blocking(c.auths().renew("t", "r")).unwrap_err();
    assert!(matches!(e, Error::Connect(_)), "{e:?}");
    let e = dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")).unwrap_err();
    assert!(matches!(e, Error::Connect(_)), "{e:?}");
}

#[test]
fn timeout_is_timeout_but_outcome_unknown_for_renew() {
    let sb = sandbox();
    let c = client(&sb);
    c.set_timeout(Some(Duration::from_millis(200)));
    sb.push_fault(Fault { delay_ms: 2000, ..fault("auths/users/code", Action::None) });
    let e = dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")).unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e:?}");

    let (token, refresh) = pair(&sb);
    sb.push_fault(Fault { delay_ms: 2000, phase: Phase::After, ..fault("auths/renew", Action::None) });
    let e = dfx::blocking(c.auths().renew(&token, &refresh)).unwrap_err();
    match &e {
        Error::OutcomeUnknown(cause) => assert!(matches!(**cause, Error::Timeout(_))),
        other => panic!("{other:?}"),
    }
    assert_eq!(sb.count("POST", "auths/renew"), 1, "never retried");
}

#[test]
fn dropped_connection_is_connection_lost_or_outcome_unknown() {
    let sb = sandbox();
    let c = client(&sb);
    sb.push_fault(fault("auths/users/reset", Action::Drop));
    let e = dfx::blocking(c.auths().request_reset_password_link("a@b.c", "dfxdemo")).unwrap_err();
    assert!(matches!(e, Error::ConnectionLost(_)), "{e:?}");

    // The server consumes the pair, then the answer is lost.
    let (token, refresh) = pair(&sb);
    sb.push_fault(Fault { phase: Phase::After, ..fault("auths/renew", Action::Drop) });
    let e = dfx::blocking(c.auths().renew(&token, &refresh)).unwrap_err();
    assert!(matches!(e, Error::OutcomeUnknown(_)), "{e:?}");
    assert_eq!(sb.count("POST", "auths/renew"), 1, "a renew is never retried");
    // ... and the pair really is gone, which is why the status matters.
    assert!(matches!(dfx::blocking(c.auths().renew(&token, &refresh)), Err(Error::Api(_))));
}

#[test]
fn truncated_body_is_truncated_or_outcome_unknown() {
    let sb = sandbox();
    let c = client(&sb);
    sb.push_fault(Fault { phase: Phase::After, ..fault("auths/users/code", Action::Truncate) });
    let e = dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")).unwrap_err();
    assert!(matches!(e, Error::Truncated(_)), "{e:?}");

    let (token, refresh) = pair(&sb);
    sb.push_fault(Fault { phase: Phase::After, ..fault("auths/renew", Action::Truncate) });
    match dfx::blocking(c.auths().renew(&token, &refresh)).unwrap_err() {
        Error::OutcomeUnknown(cause) => assert!(matches!(*cause, Error::Truncated(_))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_json_2xx_is_decode_error() {
    let sb = sandbox();
    let c = client(&sb);
    sb.push_fault(status_fault("auths/users/code", 200, "<html>ok</html>", Some("text/html")));
    let e = dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")).unwrap_err();
    assert!(matches!(e, Error::Decode(_)), "{e:?}");
}

#[test]
fn error_bodies_of_every_shape() {
    let sb = sandbox();
    let c = client(&sb);
    let cases: [(u16, &str, Option<&str>, &str, Option<&str>); 5] = [
        (429, "slow down", Some("text/plain"), "TOO_MANY_REQUESTS", Some("Too many requests")),
        (503, "", None, "SERVICE_UNAVAILABLE", Some("Service unavailable")),
        (500, r#"{"errorCode":"BOOM","message":"it broke"}"#, Some("application/json"), "BOOM", Some("it broke")),
        // A bare application/json (no charset) is still JSON to us.
        (400, r#"{"Code":"VALIDATION_ERROR","Message":"bad"}"#, Some("application/json"), "VALIDATION_ERROR", Some("bad")),
        (502, "<html>bad gateway</html>", Some("text/html"), "UNSUPPORTED_RESPONSE_CONTENT_TYPE", None),
    ];
    for (status, body, ctype, code, message) in cases {
        sb.push_fault(status_fault("auths/users/code", status, body, ctype));
        match dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")) {
            Err(Error::Api(r)) => {
                assert_eq!(r.status(), status);
                assert_eq!(r.error_code(), Some(code));
                if let Some(m) = message {
                    assert_eq!(r.error_message(), Some(m));
                }
                let parsed: Value = serde_json::from_str(r.body()).expect("body is always JSON");
                assert!(parsed.is_object());
            }
            other => panic!("{status}: {other:?}"),
        }
    }
}

#[test]
fn https_to_a_plain_http_server_is_a_tls_failure() {
    let sb = sandbox();
    let c = dfx::Client::new(Some(&format!("https://127.0.0.1:{}", sb.addr().port()))).unwrap();
    c.set_timeout(Some(Duration::from_secs(5)));
    let e = dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")).unwrap_err();
    assert!(matches!(e, Error::Tls(_)), "{e:?}");
    let e = dfx::blocking(c.auths().renew("t", "r")).unwrap_err();
    assert!(matches!(e, Error::Tls(_)), "a failed handshake sent nothing: {e:?}");
}

#[test]
fn redirects_stay_on_origin_and_keep_the_body() {
    let sb = sandbox();
    let c = client(&sb);
    let redirect = |status: u16, location: String| Fault {
        headers: vec![("Location".into(), location)],
        ..status_fault("auths/users/code", status, "", None)
    };
    // Same origin, 307: followed, method and body kept.
    sb.push_fault(redirect(307, format!("{}/auths/users/code", sb.url())));
    let r = dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")).unwrap();
    assert_eq!(r.status(), 200);
    let reqs = sb.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].method, "PATCH");
    assert_eq!(reqs[0].body, reqs[1].body);

    // Another origin (another port): refused.
    let other = sandbox();
    sb.push_fault(redirect(307, format!("{}/auths/users/code", other.url())));
    let e = dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")).unwrap_err();
    assert!(matches!(e, Error::Redirect(_)), "{e:?}");
    assert!(other.requests().is_empty());

    // 302 would turn PATCH into GET: refused.
    sb.push_fault(redirect(302, format!("{}/auths/users/code", sb.url())));
    let e = dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")).unwrap_err();
    assert!(matches!(e, Error::Redirect(_)), "{e:?}");

    // A loop ends.
    sb.push_fault(Fault { count: 0, ..redirect(307, format!("{}/auths/users/code", sb.url())) });
    let e = dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")).unwrap_err();
    assert!(matches!(e, Error::Redirect(_)), "{e:?}");

    // A relative Location resolves against the target sent, on both paths
    // (a new sandbox: the loop's fault above never runs out).
    let sb = sandbox();
    let c = client(&sb);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for location in ["code", "../users/code", "/auths/users/code?a=b"] {
        for on_runtime in [false, true] {
            let before = sb.requests().len();
            sb.push_fault(redirect(307, location.into()));
            let auths = c.auths();
            let call = auths.request_login_code("+1", "dfxdemo");
            let r = if on_runtime { rt.block_on(call) } else { dfx::blocking(call) };
            assert_eq!(r.unwrap().status(), 200, "{location}");
            let reqs = sb.requests();
            assert_eq!(reqs.len(), before + 2, "{location}");
            let query = if location.contains('?') { Some("a=b") } else { None };
            assert_eq!((reqs[before + 1].path.as_str(), reqs[before + 1].query.as_deref()), ("auths/users/code", query), "{location}");
        }
    }
}

#[test]
fn messages_never_carry_secrets() {
    let sb = sandbox();
    let c = client(&sb);
    let (token, refresh) = pair(&sb);
    c.set_timeout(Some(Duration::from_millis(100)));
    sb.push_fault(Fault { delay_ms: 1000, ..fault("auths/renew", Action::None) });
    let errors = [
        dfx::blocking(c.auths().renew(&token, &refresh)).unwrap_err(),
        dfx::blocking(c.auths().renew(&token, "not-the-refresh-token")).unwrap_err(),
    ];
    for e in errors {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(&token) && !text.contains(&refresh), "{text}");
    }
    assert!(!format!("{c:?}").contains(&token));
}

#[test]
fn blocking_from_inside_a_runtime_is_refused() {
    let sb = sandbox();
    let c = client(&sb);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let e = rt.block_on(async { dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")) }).unwrap_err();
    assert!(matches!(e, Error::WouldDeadlock), "{e:?}");
    // The async form works there.
    let r = rt.block_on(c.auths().request_login_code("+1", "dfxdemo")).unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn connections_are_kept_alive() {
    let sb = sandbox();
    let c = client(&sb);
    for _ in 0..20 {
        dfx::blocking(c.auths().request_login_code("+1", "dfxdemo")).unwrap();
    }
    // The connection goes back to the pool on a worker thread just after the
    // answer is read, so a call that follows at once may open a second one.
    let n = sb.connections();
    assert!(n <= 3, "20 sequential calls must reuse pooled connections; opened {n}");
}

/// A 304 (the API sends one for an unchanged study config) is an answer, not
/// a failure: DFX_ERR_API with its status and the stand-in error body, on
/// both paths, and the connection stays usable for the next call.
#[test]
fn not_modified_is_an_api_answer_on_both_paths() {
    let sb = sandbox();
    let c = client(&sb);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let auths = c.auths();
    for path in ["blocking", "async"] {
        sb.push_fault(status_fault("auths/users/code", 304, "", None));
        let call = auths.request_login_code("+15555550100", "dfxdemo");
        let result = if path == "blocking" { dfx::blocking(call) } else { rt.block_on(call) };
        match result {
            Err(Error::Api(r)) => {
                assert_eq!(r.status(), 304, "{path}");
                assert_eq!(r.error_code(), Some("UNSUPPORTED_RESPONSE_CONTENT_TYPE"), "{path}");
            }
            other => panic!("{path}: {other:?}"),
        }
        let next = auths.request_login_code("+15555550100", "dfxdemo");
        let next = if path == "blocking" { dfx::blocking(next) } else { rt.block_on(next) };
        assert_eq!(next.expect("the next call on the connection").status(), 200, "{path}");
    }
}
