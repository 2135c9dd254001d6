//! The session and the token lifecycle in the safe core, against the
//! sandbox: which token each call sends, what each call stores, the
//! listener, single flight, outcome unknown, export/import, auto-renew.

mod common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::*;
use dfx::{blocking, Client, Error, License, SessionField, TokenKind};
use dfx_sandbox::{SANDBOX_LICENSE_KEY, SANDBOX_ORG_ID, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD, SANDBOX_USER_PHONE};

const ORG: &str = "dfxdemo";

fn license() -> License<'static> {
    License { key: SANDBOX_LICENSE_KEY, device_type_id: "LINUX", name: "rust-test", org_identifier: ORG, version: "1.0" }
}

/// Records every JSON the listener is given.
fn listen(c: &Client) -> Arc<Mutex<Vec<String>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    c.session()
        .set_listener(Some(Arc::new(move |json: &str| sink.lock().unwrap().push(json.to_owned()))))
        .unwrap();
    log
}

fn last_json(log: &Mutex<Vec<String>>) -> serde_json::Value {
    serde_json::from_str(log.lock().unwrap().last().unwrap()).unwrap()
}

fn bearer(sb: &Sandbox, index: usize) -> Option<String> {
    sb.requests()[index].header("authorization").map(str::to_owned)
}

#[test]
fn the_whole_lifecycle_sends_the_right_tokens_and_stores_the_answers() {
    let sb = sandbox();
    let c = client(&sb);
    let log = listen(&c);

    let r = blocking(c.organizations().register_license(&license())).unwrap();
    assert_eq!(bearer(&sb, 0), None, "register sends no bearer");
    let s = c.session().snapshot();
    let device_token = s.get(SessionField::DeviceToken).to_owned();
    assert_eq!(device_token, r.get_str("Token").unwrap());
    assert_eq!(s.get(SessionField::DeviceRefreshToken), r.get_str("RefreshToken").unwrap());
    assert_eq!(s.get(SessionField::DeviceId), r.get_str("DeviceID").unwrap());
    assert_eq!(s.get(SessionField::RoleId), r.get_str("RoleID").unwrap());
    assert_eq!(s.get(SessionField::UserId), r.get_str("UserID").unwrap());
    assert_eq!(log.lock().unwrap().len(), 1);
    assert_eq!(last_json(&log)["deviceToken"], device_token.as_str());
    let body: serde_json::Value = serde_json::from_slice(&sb.requests()[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"Key": SANDBOX_LICENSE_KEY, "DeviceTypeID": "LINUX", "Name": "rust-test",
                           "Identifier": ORG, "Version": "1.0"})
    );

    // Verify with the session's device token (no user token yet).
    let r = blocking(c.general().verify_token(None)).unwrap();
    assert_eq!(r.json()["Type"], "Device");
    assert_eq!(bearer(&sb, 1), Some(format!("Bearer {device_token}")));
    let exp = dfx::token_expiry(&device_token).unwrap();
    assert_eq!(r.json()["exp"].as_i64(), Some(exp));

    // The device-token calls carry it now.
    blocking(c.auths().request_login_code(SANDBOX_USER_PHONE, ORG)).unwrap();
    assert_eq!(bearer(&sb, 2), Some(format!("Bearer {device_token}")));
    let code = sb.login_code(SANDBOX_USER_PHONE).unwrap();

    blocking(c.users().login(SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD, None)).unwrap();
    assert_eq!(bearer(&sb, 3), Some(format!("Bearer {device_token}")), "users.login sends the device token");
    let user_token = c.session().get(SessionField::UserToken).to_string();
    assert!(!user_token.is_empty());
    assert_eq!(last_json(&log)["userToken"], user_token.as_str());

    // Verify now prefers the user token; the credentials call needs it.
    blocking(c.general().verify_token(None)).unwrap();
    assert_eq!(bearer(&sb, 4), Some(format!("Bearer {user_token}")));
    let r = blocking(c.auths().get_org_client_credentials(SANDBOX_ORG_ID)).unwrap();
    assert!(r.json().get("userPoolId").is_some());
    assert_eq!(bearer(&sb, 5), Some(format!("Bearer {user_token}")));

    // Phone login: no bearer, stores a new user pair.
    blocking(c.users().login_with_phone_code(&code, SANDBOX_USER_PHONE, ORG)).unwrap();
    assert_eq!(bearer(&sb, 6), None);
    let body: serde_json::Value = serde_json::from_slice(&sb.requests()[6].body).unwrap();
    assert_eq!(body, serde_json::json!({"LoginCode": code, "PhoneNumber": SANDBOX_USER_PHONE, "OrgKey": ORG}));
    assert_ne!(c.session().get(SessionField::UserToken).as_str(), user_token);

    // Renew both stored pairs.
    for kind in [TokenKind::Device, TokenKind::User] {
        let before = c.session().snapshot();
        let r = blocking(c.auths().renew_stored(kind)).unwrap();
        let (t, _) = kind.fields();
        assert_eq!(c.session().get(t).as_str(), r.get_str("Token").unwrap());
        assert_ne!(before.get(t), r.get_str("Token").unwrap());
    }

    // Unregister with the device token; the device part goes, the user pair stays.
    let device_token = c.session().get(SessionField::DeviceToken).to_string();
    let user_token = c.session().get(SessionField::UserToken).to_string();
    blocking(c.organizations().unregister_license()).unwrap();
    let last = sb.requests().len() - 1;
    assert_eq!(sb.requests()[last].method, "DELETE");
    assert_eq!(bearer(&sb, last), Some(format!("Bearer {device_token}")), "never the user token");
    let s = c.session().snapshot();
    for f in [SessionField::DeviceToken, SessionField::DeviceRefreshToken, SessionField::DeviceId, SessionField::RoleId, SessionField::UserId] {
        assert_eq!(s.get(f), "", "{f:?} cleared");
    }
    assert_eq!(s.get(SessionField::UserToken), user_token);
    assert_eq!(last_json(&log)["deviceToken"], "");
    match blocking(c.general().verify_token(Some(&device_token))) {
        Err(Error::Api(r)) => assert_eq!(r.status(), 401),
        other => panic!("the unregistered device token must be dead: {other:?}"),
    }
}

#[test]
fn organization_login_and_generate_token_and_reset_mobile() {
    let sb = sandbox();
    let c = client(&sb);
    match blocking(c.organizations().login(SANDBOX_USER_EMAIL, "wrong", ORG, None)) {
        Err(Error::Api(r)) => assert_eq!(r.status(), 401),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.session().get(SessionField::UserToken).as_str(), "", "a refused login stores nothing");
    blocking(c.organizations().login(SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD, ORG, Some("123456"))).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sb.requests()[1].body).unwrap();
    assert_eq!(body["MFAToken"], "123456");
    assert_eq!(body["Identifier"], ORG);
    assert_eq!(bearer(&sb, 1), None);
    assert!(!c.session().get(SessionField::UserToken).is_empty());

    let (t, r) = pair(&sb);
    let child = blocking(c.auths().generate_token(&t, &r)).unwrap();
    assert!(child.get_str("Token").is_some());
    // The pair was not consumed.
    blocking(c.auths().renew(&t, &r)).unwrap();

    blocking(c.auths().send_reset_mobile(None, Some(SANDBOX_USER_PHONE))).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&sb.requests().last().unwrap().body).unwrap();
    assert_eq!(body, serde_json::json!({"PhoneNumber": SANDBOX_USER_PHONE}));
    assert!(matches!(blocking(c.auths().send_reset_mobile(None, Some(""))), Err(Error::InvalidArgument(_))));

    // A path parameter cannot change the URL's shape.
    let _ = blocking(c.auths().get_org_client_credentials("a/b?c"));
    let req = sb.requests().last().unwrap().clone();
    assert_eq!(req.path, "auths/organization/credentials/a%2Fb%3Fc");
    assert_eq!(req.query, None);
}

#[test]
fn explicit_renew_of_a_stored_pair_updates_the_session() {
    let sb = sandbox();
    let c = client(&sb);
    let (t, r) = pair(&sb);
    c.session().set(SessionField::DeviceToken, &t).unwrap();
    c.session().set(SessionField::DeviceRefreshToken, &r).unwrap();
    let log = listen(&c);
    let answer = blocking(c.auths().renew(&t, &r)).unwrap();
    assert_eq!(c.session().get(SessionField::DeviceToken).as_str(), answer.get_str("Token").unwrap());
    assert_eq!(log.lock().unwrap().len(), 1);
    // A pair the session does not hold leaves it alone.
    let (t2, r2) = pair(&sb);
    blocking(c.auths().renew(&t2, &r2)).unwrap();
    assert_eq!(c.session().get(SessionField::DeviceToken).as_str(), answer.get_str("Token").unwrap());
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[test]
fn thirty_two_threads_renewing_one_pair_send_one_request() {
    let sb = sandbox();
    let c = client(&sb);
    blocking(c.organizations().register_license(&license())).unwrap();
    let log = listen(&c);
    sb.push_fault(Fault { phase: Phase::After, delay_ms: 200, ..fault("auths/renew", Action::None) });
    let handles: Vec<_> = (0..32)
        .map(|_| {
            let c = c.clone();
            thread::spawn(move || blocking(c.auths().renew_stored(TokenKind::Device)).map(|r| r.get_str("Token").unwrap().to_owned()))
        })
        .collect();
    let tokens: Vec<String> = handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect();
    assert_eq!(sb.count("POST", "auths/renew"), 1);
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(c.session().get(SessionField::DeviceToken).as_str(), tokens[0]);
    assert_eq!(log.lock().unwrap().len(), 1, "the listener sees the new pair once");
}

#[test]
fn a_lost_renew_answer_is_outcome_unknown_and_keeps_the_old_pair() {
    let sb = sandbox();
    let c = client(&sb);
    blocking(c.organizations().register_license(&license())).unwrap();
    let before = c.session().snapshot();
    let log = listen(&c);
    for action in [Action::Drop, Action::Truncate] {
        sb.push_fault(Fault { phase: Phase::After, ..fault("auths/renew", action) });
        let e = blocking(c.auths().renew_stored(TokenKind::Device)).unwrap_err();
        assert!(matches!(e, Error::OutcomeUnknown(_)), "{e:?}");
        assert_eq!(c.session().snapshot(), before, "the session keeps the old pair");
        assert!(log.lock().unwrap().is_empty(), "no pair announced");
        if matches!(action, Action::Drop) {
            assert_eq!(sb.count("POST", "auths/renew"), 1, "never retried");
            // The server did consume it: the next renew is refused, and
            // that leaves the session unchanged too.
            assert!(matches!(blocking(c.auths().renew_stored(TokenKind::Device)), Err(Error::Api(_))));
            blocking(c.organizations().register_license(&license())).unwrap();
            log.lock().unwrap().clear();
            return;
        }
    }
}

#[test]
fn a_refused_connection_keeps_the_pair_intact() {
    let c = Client::new(Some(&format!("http://127.0.0.1:{}", closed_port()))).unwrap();
    c.session().set(SessionField::UserToken, "t").unwrap();
    c.session().set(SessionField::UserRefreshToken, "r").unwrap();
    let e = blocking(c.auths().renew_stored(TokenKind::User)).unwrap_err();
    assert!(matches!(e, Error::Connect(_)), "{e:?}");
    assert_eq!(c.session().get(SessionField::UserToken).as_str(), "t");
    assert!(matches!(blocking(c.auths().renew_stored(TokenKind::Device)), Err(Error::InvalidArgument(_))));
}

#[test]
fn a_session_exported_to_json_works_in_a_new_client() {
    let sb = sandbox();
    let c = client(&sb);
    blocking(c.organizations().register_license(&license())).unwrap();
    blocking(c.users().login(SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD, None)).unwrap();
    let json = c.session().to_json();
    drop(c);
    let c2 = client(&sb);
    c2.session().replace(dfx::Session::from_json(&json).unwrap()).unwrap();
    blocking(c2.general().verify_token(None)).unwrap();
    blocking(c2.auths().renew_stored(TokenKind::User)).unwrap();
    blocking(c2.auths().renew_stored(TokenKind::Device)).unwrap();
    blocking(c2.organizations().unregister_license()).unwrap();
}

#[test]
fn auto_renew_renews_a_stored_pair_about_to_expire() {
    let sb = sandbox();
    let c = client(&sb);
    let (t, r) = sb.create_pair(dfx_sandbox::TokenKind::Device, 30);
    c.session().set(SessionField::DeviceToken, &t).unwrap();
    c.session().set(SessionField::DeviceRefreshToken, &r).unwrap();
    // Off by default.
    blocking(c.general().verify_token(None)).unwrap();
    assert_eq!(sb.count("POST", "auths/renew"), 0);
    c.set_auto_renew(Some(Duration::from_secs(60)));
    blocking(c.general().verify_token(None)).unwrap();
    assert_eq!(sb.count("POST", "auths/renew"), 1);
    let new_token = c.session().get(SessionField::DeviceToken).to_string();
    assert_ne!(new_token, t);
    assert_eq!(bearer(&sb, 2), Some(format!("Bearer {new_token}")), "the call used the new token");
    // The sandbox gives the renewed token the same 30 s lifetime: with a
    // margin shorter than that, no further renew.
    c.set_auto_renew(Some(Duration::from_secs(10)));
    blocking(c.general().verify_token(None)).unwrap();
    assert_eq!(sb.count("POST", "auths/renew"), 1);
}

#[test]
fn session_json_and_listener_rules() {
    let sb = sandbox();
    let c = client(&sb);
    assert!(matches!(dfx::Session::from_json(r#"{"deviceToken":"a\u0000b"}"#), Err(Error::InvalidArgument(_))));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let (sink, c2) = (calls.clone(), c.clone());
    c.session()
        .set_listener(Some(Arc::new(move |_json: &str| {
            // Inside the listener: reading works, changing and renewing are refused,
            // and calls that do not touch the session work.
            let _ = c2.session().get(SessionField::DeviceId);
            sink.lock().unwrap().push((
                c2.session().set(SessionField::RoleId, "x").is_err(),
                matches!(blocking(c2.auths().renew("a", "b")), Err(Error::WouldDeadlock)),
                blocking(c2.general().status()).is_ok(),
            ));
        })))
        .unwrap();
    // A change made outside any call: the listener may even block.
    c.session().set(SessionField::DeviceId, "d").unwrap();
    assert_eq!(*calls.lock().unwrap(), vec![(true, true, true)]);
    assert_eq!(sb.count("POST", "auths/renew"), 0);
    // A change made by a blocking call: blocking from the listener is refused.
    calls.lock().unwrap().clear();
    blocking(c.organizations().register_license(&license())).unwrap();
    assert_eq!(*calls.lock().unwrap(), vec![(true, true, false)]);
    c.session().set_listener(None).unwrap();
}

#[test]
fn generate_token_sends_the_session_device_token() {
    let sb = sandbox();
    let c = client(&sb);
    blocking(c.organizations().register_license(&license())).unwrap();
    let device_token = c.session().get(SessionField::DeviceToken).to_string();
    let (t, r) = pair(&sb);
    blocking(c.auths().generate_token(&t, &r)).unwrap();
    let last = sb.requests().len() - 1;
    assert_eq!(sb.requests()[last].path, "auths/generateToken");
    assert_eq!(bearer(&sb, last), Some(format!("Bearer {device_token}")), "the device token, not the pair's");
}
