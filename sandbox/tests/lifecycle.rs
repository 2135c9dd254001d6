//! Register / login / verify / unregister, child tokens, phone login, status,
//! SSO credentials and the seed data.

mod common;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::*;
use dfx_sandbox::{
    Action, Config, Fault, LicenseConfig, Sandbox, TokenKind, UserConfig, SANDBOX_LICENSE_KEY,
    SANDBOX_LICENSE_SEATS, SANDBOX_ORG_ID, SANDBOX_ORG_IDENTIFIER, SANDBOX_USER_EMAIL,
    SANDBOX_USER_PASSWORD, SANDBOX_USER_PHONE,
};
use serde_json::{json, Value};

fn sandbox() -> Sandbox {
    Sandbox::start(Config::default()).unwrap()
}

/// One request; `bearer` becomes `Authorization: Bearer <bearer>`.
fn call(sb: &Sandbox, method: &str, path: &str, bearer: Option<&str>, body: Option<Value>) -> Response {
    let auth = bearer.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send(sb.addr(), method, path, &headers, body.as_bytes()).complete()
}

fn status_code(resp: &Response) -> (u16, String) {
    (resp.status, if resp.status == 200 { String::new() } else { resp.code() })
}

fn expect_err(resp: Response, status: u16, code: &str) {
    assert_eq!(resp.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(status_code(&resp), (status, code.to_owned()), "{:?}", String::from_utf8_lossy(&resp.body));
    assert!(resp.json()["Message"].is_string());
}

fn register_body() -> Value {
    json!({"Key": SANDBOX_LICENSE_KEY, "DeviceTypeID": "LINUX", "Name": "ci box",
           "Identifier": SANDBOX_ORG_IDENTIFIER, "Version": "1.0"})
}

struct Device {
    id: String,
    token: String,
    refresh: String,
}

fn register(sb: &Sandbox) -> Device {
    let resp = call(sb, "POST", "/organizations/licenses", None, Some(register_body()));
    assert_eq!(resp.status, 200, "{:?}", String::from_utf8_lossy(&resp.body));
    let b = resp.json();
    Device {
        id: b["DeviceID"].as_str().unwrap().to_owned(),
        token: b["Token"].as_str().unwrap().to_owned(),
        refresh: b["RefreshToken"].as_str().unwrap().to_owned(),
    }
}

fn pair_of(resp: Response) -> (String, String) {
    assert_eq!(resp.status, 200, "{:?}", String::from_utf8_lossy(&resp.body));
    let b = resp.json();
    assert_eq!(b.as_object().unwrap().len(), 2, "{b}");
    (b["Token"].as_str().unwrap().to_owned(), b["RefreshToken"].as_str().unwrap().to_owned())
}

fn user_login(sb: &Sandbox, device_token: &str) -> (String, String) {
    let body = json!({"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD});
    pair_of(call(sb, "POST", "/users/auth", Some(device_token), Some(body)))
}

fn org_login(sb: &Sandbox) -> (String, String) {
    let body = json!({"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD,
                      "Identifier": SANDBOX_ORG_IDENTIFIER});
    pair_of(call(sb, "POST", "/organizations/auth", None, Some(body)))
}

fn verify(sb: &Sandbox, token: &str) -> Response {
    call(sb, "GET", "/auth", Some(token), None)
}

fn payload(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap()
}

#[test]
fn seed_and_status() {
    let sb = sandbox();
    let resp = send(sb.addr(), "GET", "/_sandbox/seed", &[], b"").complete();
    assert_eq!(
        resp.json(),
        json!({"LicenseKey": "DFX-SANDBOX-LICENSE", "Organization": "dfxdemo", "OrganizationID": SANDBOX_ORG_ID,
               "Email": "developer@example.com", "Password": "sandbox-password", "PhoneNumber": "+15555550100",
               "StudyID": dfx_sandbox::SANDBOX_STUDY_ID, "ArchivedStudyID": dfx_sandbox::SANDBOX_ARCHIVED_STUDY_ID})
    );
    assert_eq!(send(sb.addr(), "POST", "/_sandbox/seed", &[], b"").complete().status, 405);
    assert_eq!(sb.seats_used(SANDBOX_LICENSE_KEY), Some(0));
    assert_eq!(SANDBOX_LICENSE_SEATS, 1000);

    let resp = call(&sb, "GET", "/status", None, None);
    assert_eq!(resp.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(
        resp.json(),
        json!({"StatusID": "ACTIVE", "Version": env!("CARGO_PKG_VERSION"), "Region": "sandbox", "AllowAnonymous": false})
    );
    let resp = call(&sb, "POST", "/status", None, None);
    assert_eq!((resp.status, resp.header("allow")), (405, Some("GET")));
    // API requests, not control requests, are counted.
    assert_eq!((sb.count("GET", "status"), sb.count("POST", "status")), (1, 1));
    assert_eq!(sb.requests().len(), 2);
}

#[test]
fn register_license_success() {
    let sb = sandbox();
    // An Authorization header is ignored.
    let resp = send(
        sb.addr(),
        "POST",
        "/organizations/licenses",
        &[("Authorization", "Bearer whatever")],
        register_body().to_string().as_bytes(),
    )
    .complete();
    assert_eq!(resp.status, 200);
    let b = resp.json();
    // The answer's keys, whatever order serde_json keeps them in (the
    // workspace may build it with `preserve_order`).
    let mut keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["DeviceID", "RefreshToken", "RoleID", "Token", "UserID"]);
    let c = payload(b["Token"].as_str().unwrap());
    assert_eq!(c["Type"], "Device");
    assert_eq!(c["DeviceID"], b["DeviceID"]);
    assert_eq!(c["RoleID"], b["RoleID"]);
    assert_eq!(c["ID"], b["UserID"]);
    assert_eq!(c["OrganizationID"], SANDBOX_ORG_ID);
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 86400);
    assert_eq!(sb.seats_used(SANDBOX_LICENSE_KEY), Some(1));

    let d2 = register(&sb);
    assert_ne!(d2.id, b["DeviceID"].as_str().unwrap(), "a fresh device each time");
    assert_eq!(sb.seats_used(SANDBOX_LICENSE_KEY), Some(2));
    // The device pair renews like any other; the renewed token keeps the DeviceID.
    let (t2, _) = pair_of(renew(sb.addr(), &d2.token, &d2.refresh).complete());
    assert_eq!(payload(&t2)["DeviceID"], d2.id.as_str());

    // TokenExpiresIn only shortens; optional fields of either client are accepted.
    for (asked, got) in [(json!(60), 60), (json!("120"), 120), (json!(10_000_000), 86400), (json!(0), 86400)] {
        let mut body = register_body();
        body["TokenExpiresIn"] = asked;
        body["TokenSubject"] = json!("");
        body["RefreshTokenExpiresIn"] = json!(2592000);
        body["DeviceTypeID"] = json!("DEBIAN");
        let t = call(&sb, "POST", "/organizations/licenses", None, Some(body)).json()["Token"].clone();
        let c = payload(t.as_str().unwrap());
        assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), got);
    }
}

#[test]
fn register_license_errors() {
    let sb = Sandbox::start(Config {
        orgs: vec!["acme".into()],
        licenses: vec![
            LicenseConfig::default(),
            LicenseConfig { key: "ONE-SEAT".into(), organization: "acme".into(), seats: 1 },
        ],
        ..Config::default()
    })
    .unwrap();
    let post = |body: Value| call(&sb, "POST", "/organizations/licenses", None, Some(body));
    for raw in [&b""[..], b"{", b"[]", b"null"] {
        let resp = send(sb.addr(), "POST", "/organizations/licenses", &[], raw).complete();
        expect_err(resp, 400, "INVALID_REQUEST_BODY");
    }
    for field in ["Key", "DeviceTypeID", "Name", "Identifier", "Version"] {
        for bad in [Value::Null, json!(""), json!(7)] {
            let mut body = register_body();
            body[field] = bad.clone();
            expect_err(post(body), 400, "VALIDATION_ERROR");
        }
        let mut body = register_body();
        body.as_object_mut().unwrap().remove(field);
        expect_err(post(body), 400, "VALIDATION_ERROR");
    }
    for bad in ["linux", "TOASTER"] {
        let mut body = register_body();
        body["DeviceTypeID"] = json!(bad);
        expect_err(post(body), 400, "VALIDATION_ERROR");
    }
    let mut body = register_body();
    body["TokenSubject"] = json!(5);
    expect_err(post(body), 400, "VALIDATION_ERROR");

    let mut body = register_body();
    body["Identifier"] = json!("nope");
    expect_err(post(body), 404, "ORGANIZATION_NOT_FOUND");
    let mut body = register_body();
    body["Key"] = json!("WRONG-KEY");
    expect_err(post(body), 404, "LICENSE_NOT_FOUND");
    // dfxdemo's key with acme, acme's key with dfxdemo.
    let mut body = register_body();
    body["Identifier"] = json!("acme");
    expect_err(post(body), 404, "LICENSE_NOT_FOUND");
    let mut body = register_body();
    body["Key"] = json!("ONE-SEAT");
    expect_err(post(body), 404, "LICENSE_NOT_FOUND");
    assert_eq!(sb.seats_used(SANDBOX_LICENSE_KEY), Some(0), "failures take no seat");

    // Seats: one, then exhausted, then freed by unregistering.
    let mut one = register_body();
    one["Key"] = json!("ONE-SEAT");
    one["Identifier"] = json!("acme");
    let first = post(one.clone());
    assert_eq!(first.status, 200);
    expect_err(post(one.clone()), 403, "LICENSE_SEATS_EXHAUSTED");
    assert_eq!(sb.seats_used("ONE-SEAT"), Some(1));
    let token = first.json()["Token"].as_str().unwrap().to_owned();
    assert_eq!(call(&sb, "DELETE", "/organizations/licenses", Some(&token), None).status, 200);
    assert_eq!(sb.seats_used("ONE-SEAT"), Some(0));
    assert_eq!(post(one).status, 200);
    assert_eq!(sb.count("POST", "organizations/licenses"), 34);
}

#[test]
fn unregister_revokes_everything_of_the_device() {
    let sb = sandbox();
    let d = register(&sb);
    let other = register(&sb);
    assert_eq!(sb.seats_used(SANDBOX_LICENSE_KEY), Some(2));
    let (t1, r1) = pair_of(renew(sb.addr(), &d.token, &d.refresh).complete());
    let (u, ur) = user_login(&sb, &t1);
    let (u2, _) = user_login(&sb, &other.token);
    let (view, _) = org_login(&sb);
    let child = call(&sb, "POST", "/auths/generateToken", None, Some(json!({"Token": t1, "RefreshToken": r1})))
        .json()["Token"]
        .as_str()
        .unwrap()
        .to_owned();
    for t in [&t1, &u, &child] {
        assert_eq!(verify(&sb, t).status, 200);
    }

    // Wrong or missing credentials first.
    expect_err(call(&sb, "DELETE", "/organizations/licenses", None, None), 401, "INVALID_TOKEN");
    expect_err(call(&sb, "DELETE", "/organizations/licenses", Some("nope"), None), 401, "INVALID_TOKEN");
    let resp = send(sb.addr(), "DELETE", "/organizations/licenses", &[("Authorization", &t1)], b"").complete();
    expect_err(resp, 401, "INVALID_TOKEN");
    expect_err(call(&sb, "DELETE", "/organizations/licenses", Some(&u), None), 403, "FORBIDDEN");
    expect_err(call(&sb, "DELETE", "/organizations/licenses", Some(&view), None), 403, "FORBIDDEN");
    expect_err(call(&sb, "DELETE", "/organizations/licenses", Some(&child), None), 403, "FORBIDDEN");
    let (expired, _) = sb.create_pair(TokenKind::Device, 0);
    expect_err(call(&sb, "DELETE", "/organizations/licenses", Some(&expired), None), 401, "TOKEN_EXPIRED");
    // The original token was renewed away.
    expect_err(call(&sb, "DELETE", "/organizations/licenses", Some(&d.token), None), 401, "INVALID_TOKEN");

    let resp = call(&sb, "DELETE", "/organizations/licenses", Some(&t1), None);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(resp.json(), json!({}));
    assert_eq!(sb.seats_used(SANDBOX_LICENSE_KEY), Some(1), "the seat is freed");

    for t in [&t1, &u, &child] {
        expect_err(verify(&sb, t), 401, "INVALID_TOKEN");
    }
    expect_err(renew(sb.addr(), &t1, &r1).complete(), 401, "INVALID_REFRESH_TOKEN");
    expect_err(renew(sb.addr(), &u, &ur).complete(), 401, "INVALID_REFRESH_TOKEN");
    let gen = call(&sb, "POST", "/auths/generateToken", None, Some(json!({"Token": t1, "RefreshToken": r1})));
    expect_err(gen, 401, "INVALID_REFRESH_TOKEN");
    expect_err(call(&sb, "DELETE", "/organizations/licenses", Some(&t1), None), 401, "INVALID_TOKEN");
    let body = json!({"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD});
    expect_err(call(&sb, "POST", "/users/auth", Some(&t1), Some(body)), 401, "INVALID_TOKEN");

    // Other devices and view-only user tokens are untouched.
    for t in [&other.token, &u2, &view] {
        assert_eq!(verify(&sb, t).status, 200);
    }
    // A control-plane device can be unregistered too (it held no seat).
    let (cp, _) = sb.create_pair(TokenKind::Device, 60);
    assert_eq!(call(&sb, "DELETE", "/organizations/licenses", Some(&cp), None).status, 200);
    assert_eq!(sb.seats_used(SANDBOX_LICENSE_KEY), Some(1));
}

#[test]
fn organization_login() {
    let sb = sandbox();
    let (t, r) = org_login(&sb);
    let c = payload(&t);
    assert_eq!(c["Type"], "User");
    assert_eq!(c["OrganizationID"], SANDBOX_ORG_ID);
    assert!(c.get("DeviceID").is_none(), "view-only: no DeviceID claim");
    assert_eq!(verify(&sb, &t).json()["DeviceID"], "");
    assert_eq!(renew(sb.addr(), &t, &r).complete().status, 200);

    let post = |body: Value| call(&sb, "POST", "/organizations/auth", None, Some(body));
    let ok = json!({"Email": "Developer@Example.com", "Password": SANDBOX_USER_PASSWORD, "Identifier": "dfxdemo",
                    "MFAToken": 123456, "TokenExpiresIn": 30, "RefreshTokenExpiresIn": 60});
    let (t, _) = pair_of(post(ok.clone()));
    let c = payload(&t);
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 30);
    let mut b = ok.clone();
    b["MFAToken"] = json!("");
    assert_eq!(post(b).status, 200);

    let mut b = ok.clone();
    b["MFAToken"] = json!({"x": 1});
    expect_err(post(b), 400, "VALIDATION_ERROR");
    for field in ["Email", "Password", "Identifier"] {
        let mut b = ok.clone();
        b.as_object_mut().unwrap().remove(field);
        expect_err(post(b), 400, "VALIDATION_ERROR");
    }
    expect_err(send(sb.addr(), "POST", "/organizations/auth", &[], b"x").complete(), 400, "INVALID_REQUEST_BODY");
    let mut b = ok.clone();
    b["Identifier"] = json!("nope");
    expect_err(post(b), 404, "ORGANIZATION_NOT_FOUND");
    let mut b = ok.clone();
    b["Password"] = json!("wrong");
    expect_err(post(b), 401, "INVALID_CREDENTIALS");
    let mut b = ok.clone();
    b["Email"] = json!("nobody@example.com");
    expect_err(post(b), 401, "INVALID_CREDENTIALS");
}

#[test]
fn organization_login_other_org_users() {
    let sb = Sandbox::start(Config {
        users: vec![
            UserConfig::default(),
            UserConfig {
                email: "ops@acme.test".into(),
                password: "pw".into(),
                phone_number: None,
                organization: "acme".into(),
            },
        ],
        ..Config::default()
    })
    .unwrap();
    let login = |email: &str, pw: &str, org: &str| {
        call(&sb, "POST", "/organizations/auth", None, Some(json!({"Email": email, "Password": pw, "Identifier": org})))
    };
    let (t, _) = pair_of(login("ops@acme.test", "pw", "acme"));
    assert_ne!(payload(&t)["OrganizationID"], SANDBOX_ORG_ID);
    expect_err(login("ops@acme.test", "pw", "dfxdemo"), 401, "INVALID_CREDENTIALS");
    expect_err(login(SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD, "acme"), 401, "INVALID_CREDENTIALS");
}

#[test]
fn user_login_on_a_device() {
    let sb = sandbox();
    let d = register(&sb);
    let (u, ur) = user_login(&sb, &d.token);
    let c = payload(&u);
    assert_eq!(c["Type"], "User");
    assert_eq!(c["DeviceID"], d.id.as_str());
    assert_eq!(verify(&sb, &u).json()["DeviceID"], d.id.as_str());
    // Renewed user tokens stay bound to the device.
    let (u2, _) = pair_of(renew(sb.addr(), &u, &ur).complete());
    assert_eq!(payload(&u2)["DeviceID"], d.id.as_str());

    let body = json!({"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD, "MFAToken": "",
                      "TokenExpiresIn": 86400, "RefreshTokenExpiresIn": 2592000});
    let login = |bearer: Option<&str>, body: Value| call(&sb, "POST", "/users/auth", bearer, Some(body));
    assert_eq!(login(Some(&d.token), body.clone()).status, 200);
    expect_err(login(None, body.clone()), 401, "INVALID_TOKEN");
    expect_err(login(Some("garbage"), body.clone()), 401, "INVALID_TOKEN");
    let resp = send(sb.addr(), "POST", "/users/auth", &[("Authorization", "Bearer")], body.to_string().as_bytes());
    expect_err(resp.complete(), 401, "INVALID_TOKEN");
    let (expired, _) = sb.create_pair(TokenKind::Device, 0);
    expect_err(login(Some(&expired), body.clone()), 401, "TOKEN_EXPIRED");
    expect_err(login(Some(&u2), body.clone()), 403, "FORBIDDEN");
    expect_err(login(Some(&u), body.clone()), 401, "INVALID_TOKEN"); // renewed away
    // A control-plane device of dfxdemo works too.
    let (cp, _) = sb.create_pair(TokenKind::Device, 60);
    assert_eq!(login(Some(&cp), body.clone()).status, 200);

    let mut b = body.clone();
    b["Password"] = json!("nope");
    expect_err(login(Some(&d.token), b), 401, "INVALID_CREDENTIALS");
    let mut b = body.clone();
    b.as_object_mut().unwrap().remove("Email");
    expect_err(login(Some(&d.token), b), 400, "VALIDATION_ERROR");
    let resp = send(sb.addr(), "POST", "/users/auth", &[("Authorization", &format!("Bearer {}", d.token))], b"[")
        .complete();
    expect_err(resp, 400, "INVALID_REQUEST_BODY");
    // DELETE users/auth is users.logout since issue 12.
    let resp = call(&sb, "PUT", "/users/auth", Some(&u), None);
    assert_eq!((resp.status, resp.header("allow")), (405, Some("POST, DELETE")));
}

#[test]
fn phone_code_login_is_single_use() {
    let sb = sandbox();
    let request_code = || {
        let body = json!({"PhoneNumber": SANDBOX_USER_PHONE, "Identifier": "dfxdemo"});
        assert_eq!(call(&sb, "PATCH", "/auths/users/code", None, Some(body)).status, 200);
        sb.login_code(SANDBOX_USER_PHONE).unwrap()
    };
    let login = |code: Value, phone: &str, org: &str| {
        let body = json!({"LoginCode": code, "PhoneNumber": phone, "OrgKey": org,
                          "TokenExpiresIn": 600, "RefreshTokenExpiresIn": 600});
        call(&sb, "POST", "/users/auth/code", None, Some(body))
    };
    expect_err(login(json!("123456"), SANDBOX_USER_PHONE, "dfxdemo"), 401, "INVALID_LOGIN_CODE");

    // As a string (Python); wrong codes do not use it up.
    let code = request_code();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    expect_err(login(json!(wrong), SANDBOX_USER_PHONE, "dfxdemo"), 401, "INVALID_LOGIN_CODE");
    expect_err(login(json!(code), SANDBOX_USER_PHONE, "nope"), 404, "ORGANIZATION_NOT_FOUND");
    let (t, _) = pair_of(login(json!(code), SANDBOX_USER_PHONE, "dfxdemo"));
    let c = payload(&t);
    assert_eq!((c["Type"].as_str(), c.get("DeviceID")), (Some("User"), None));
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 600);
    expect_err(login(json!(code), SANDBOX_USER_PHONE, "dfxdemo"), 401, "INVALID_LOGIN_CODE");
    assert_eq!(sb.login_code(SANDBOX_USER_PHONE), None);

    // As a number (JS); a newer code replaces the older one.
    let old = request_code();
    let code = request_code();
    if old != code {
        expect_err(login(json!(old), SANDBOX_USER_PHONE, "dfxdemo"), 401, "INVALID_LOGIN_CODE");
    }
    let n: u64 = code.parse().unwrap();
    assert_eq!(login(json!(n), SANDBOX_USER_PHONE, "dfxdemo").status, 200);
    expect_err(login(json!(n), SANDBOX_USER_PHONE, "dfxdemo"), 401, "INVALID_LOGIN_CODE");

    // A phone no user has.
    let body = json!({"PhoneNumber": "+15550009999", "Identifier": "dfxdemo"});
    assert_eq!(call(&sb, "PATCH", "/auths/users/code", None, Some(body)).status, 200);
    let other = sb.login_code("+15550009999").unwrap();
    expect_err(login(json!(other), "+15550009999", "dfxdemo"), 401, "INVALID_LOGIN_CODE");

    for bad in [Value::Null, json!(""), json!(-1), json!(1.5), json!([1])] {
        expect_err(login(bad, SANDBOX_USER_PHONE, "dfxdemo"), 400, "VALIDATION_ERROR");
    }
    expect_err(login(json!("1"), "", "dfxdemo"), 400, "VALIDATION_ERROR");
    expect_err(login(json!("1"), SANDBOX_USER_PHONE, ""), 400, "VALIDATION_ERROR");
    expect_err(send(sb.addr(), "POST", "/users/auth/code", &[], b"{").complete(), 400, "INVALID_REQUEST_BODY");
}

#[test]
fn phone_code_is_bound_to_its_organization() {
    let sb = Sandbox::start(Config { orgs: vec!["dfxdemo".into(), "acme".into()], ..Config::default() }).unwrap();
    let body = json!({"PhoneNumber": SANDBOX_USER_PHONE, "Identifier": "acme"});
    assert_eq!(call(&sb, "PATCH", "/auths/users/code", None, Some(body)).status, 200);
    let code = sb.login_code(SANDBOX_USER_PHONE).unwrap();
    let body = json!({"LoginCode": code, "PhoneNumber": SANDBOX_USER_PHONE, "OrgKey": "dfxdemo"});
    expect_err(call(&sb, "POST", "/users/auth/code", None, Some(body)), 401, "INVALID_LOGIN_CODE");
}

#[test]
fn verify_token_claims_and_errors() {
    let sb = sandbox();
    let d = register(&sb);
    let resp = verify(&sb, &d.token);
    assert_eq!(resp.status, 200);
    let claims = resp.json();
    let jwt = payload(&d.token);
    let mut keys: Vec<&str> = claims.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["ActiveLicense", "DeviceID", "ID", "OrganizationID", "Region", "RemainingMeasurement", "RoleID",
         "SessionGen", "Type", "exp", "iat", "iss"]
    );
    assert_eq!(claims["ActiveLicense"], true);
    assert_eq!(claims["RemainingMeasurement"], Value::Null);
    for k in ["DeviceID", "ID", "OrganizationID", "Region", "RoleID", "SessionGen", "Type", "exp", "iat", "iss"] {
        assert_eq!(claims[k], jwt[k], "{k}");
    }

    expect_err(call(&sb, "GET", "/auth", None, None), 401, "INVALID_TOKEN");
    expect_err(verify(&sb, "not-a-token"), 401, "INVALID_TOKEN");
    expect_err(verify(&sb, "a.b.c"), 401, "INVALID_TOKEN");
    let resp = send(sb.addr(), "GET", "/auth", &[("Authorization", "Basic abc")], b"").complete();
    expect_err(resp, 401, "INVALID_TOKEN");
    let (expired, refresh) = sb.create_pair(TokenKind::User, 0);
    expect_err(verify(&sb, &expired), 401, "TOKEN_EXPIRED");
    // ... and renew still takes it (the new token has the old lifetime, 0 s);
    // the old token is then unknown.
    let (fresh, _) = pair_of(renew(sb.addr(), &expired, &refresh).complete());
    expect_err(verify(&sb, &fresh), 401, "TOKEN_EXPIRED");
    expect_err(verify(&sb, &expired), 401, "INVALID_TOKEN");
    let resp = call(&sb, "POST", "/auth", Some(&d.token), None);
    assert_eq!((resp.status, resp.header("allow")), (405, Some("GET")));
}

#[test]
fn one_second_tokens_expire() {
    let sb = sandbox();
    let b = post_json(sb.addr(), "/_sandbox/pairs", &json!({"TokenExpiresIn": 1})).complete().json();
    let (t, r) = (b["Token"].as_str().unwrap(), b["RefreshToken"].as_str().unwrap());
    let c = payload(t);
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 1);
    let mut reg = register_body();
    reg["TokenExpiresIn"] = json!(1);
    let d = call(&sb, "POST", "/organizations/licenses", None, Some(reg)).json();
    let dt = d["Token"].as_str().unwrap();
    assert_eq!(verify(&sb, t).status, 200);
    assert_eq!(verify(&sb, dt).status, 200);
    std::thread::sleep(Duration::from_millis(1100));
    expect_err(verify(&sb, t), 401, "TOKEN_EXPIRED");
    expect_err(verify(&sb, dt), 401, "TOKEN_EXPIRED");
    let body = json!({"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD});
    expect_err(call(&sb, "POST", "/users/auth", Some(dt), Some(body)), 401, "TOKEN_EXPIRED");
    expect_err(call(&sb, "DELETE", "/organizations/licenses", Some(dt), None), 401, "TOKEN_EXPIRED");
    let body = json!({"PhoneNumber": "1", "Identifier": "dfxdemo"});
    expect_err(call(&sb, "PATCH", "/auths/users/code", Some(dt), Some(body)), 401, "TOKEN_EXPIRED");
    // Renewing an expired token works, and the new one lives as long (1 s).
    let (t2, _) = pair_of(renew(sb.addr(), t, r).complete());
    assert_eq!(verify(&sb, &t2).status, 200);
}

#[test]
fn generate_token_does_not_consume_the_pair() {
    let sb = sandbox();
    let d = register(&sb);
    let gen = |bearer: Option<&str>, body: Value| call(&sb, "POST", "/auths/generateToken", bearer, Some(body));
    let pair = json!({"Token": d.token, "RefreshToken": d.refresh});
    let resp = gen(Some(&d.token), pair.clone());
    assert_eq!(resp.status, 200);
    let b = resp.json();
    assert_eq!(b.as_object().unwrap().len(), 1);
    let child = b["Token"].as_str().unwrap();
    let (c, p) = (payload(child), payload(&d.token));
    assert_eq!(c["Type"], "Child");
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 3600);
    for k in ["ID", "OrganizationID", "DeviceID", "RoleID"] {
        assert_eq!(c[k], p[k], "{k}");
    }
    let v = verify(&sb, child);
    assert_eq!((v.status, v.json()["Type"].as_str()), (200, Some("Child")));
    // A child token cannot be renewed or make children.
    expect_err(renew(sb.addr(), child, &d.refresh).complete(), 401, "INVALID_REFRESH_TOKEN");
    expect_err(gen(None, json!({"Token": child, "RefreshToken": d.refresh})), 401, "INVALID_REFRESH_TOKEN");

    // Again without Authorization, with the Python client's expiryInSec.
    let mut b = pair.clone();
    b["expiryInSec"] = json!(60);
    let c = payload(gen(None, b).json()["Token"].as_str().unwrap());
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 60);

    // The pair is still live: renew takes it; afterwards it is dead for generateToken too.
    let (t2, r2) = pair_of(renew(sb.addr(), &d.token, &d.refresh).complete());
    expect_err(gen(None, pair.clone()), 401, "INVALID_REFRESH_TOKEN");
    assert_eq!(gen(None, json!({"Token": t2, "RefreshToken": r2})).status, 200);
    expect_err(gen(None, json!({"Token": t2, "RefreshToken": d.refresh})), 401, "INVALID_REFRESH_TOKEN");
    // A user pair works as well.
    let (u, ur) = org_login(&sb);
    assert_eq!(payload(gen(None, json!({"Token": u, "RefreshToken": ur})).json()["Token"].as_str().unwrap())["Type"], "Child");

    // Authorization, when present, must be live.
    let good = json!({"Token": t2, "RefreshToken": r2});
    expect_err(gen(Some("garbage"), good.clone()), 401, "INVALID_TOKEN");
    let (expired, _) = sb.create_pair(TokenKind::Device, 0);
    expect_err(gen(Some(&expired), good.clone()), 401, "TOKEN_EXPIRED");
    assert_eq!(gen(Some(&u), good.clone()).status, 200);

    expect_err(gen(None, json!({"Token": t2})), 400, "VALIDATION_ERROR");
    expect_err(send(sb.addr(), "POST", "/auths/generateToken", &[], b"nope").complete(), 400, "INVALID_REQUEST_BODY");
    assert!(!pair_of(renew(sb.addr(), &t2, &r2).complete()).0.is_empty(), "still renewable after all that");
}

#[test]
fn reset_mobile() {
    let sb = sandbox();
    let patch = |bearer: Option<&str>, body: Value| call(&sb, "PATCH", "/auths/users/reset/mobile", bearer, Some(body));
    for ok in [json!({"Email": "a@b.c"}), json!({"PhoneNumber": "+1555"}), json!({"Email": "", "PhoneNumber": "+1"}),
               json!({"Email": "a@b.c", "PhoneNumber": null})] {
        let resp = patch(None, ok.clone());
        assert_eq!((resp.status, resp.json()), (200, json!({"success": true})), "{ok}");
    }
    for bad in [json!({}), json!({"Email": ""}), json!({"Email": "", "PhoneNumber": ""}), json!({"Email": 5}),
                json!({"PhoneNumber": ["+1"], "Email": "a@b.c"})] {
        expect_err(patch(None, bad), 400, "VALIDATION_ERROR");
    }
    let resp = send(sb.addr(), "PATCH", "/auths/users/reset/mobile", &[], b"").complete();
    expect_err(resp, 400, "INVALID_REQUEST_BODY");
    let (device, _) = sb.create_pair(TokenKind::Device, 60);
    let (user, _) = sb.create_pair(TokenKind::User, 60);
    let (expired, _) = sb.create_pair(TokenKind::Device, 0);
    let body = json!({"Email": "a@b.c"});
    assert_eq!(patch(Some(&device), body.clone()).status, 200);
    expect_err(patch(Some(&user), body.clone()), 401, "INVALID_TOKEN");
    expect_err(patch(Some("nope"), body.clone()), 401, "INVALID_TOKEN");
    expect_err(patch(Some(&expired), body.clone()), 401, "TOKEN_EXPIRED");
    let resp = call(&sb, "POST", "/auths/users/reset/mobile", None, Some(body));
    assert_eq!((resp.status, resp.header("allow")), (405, Some("PATCH")));
}

#[test]
fn org_client_credentials() {
    let sb = sandbox();
    let (user, _) = org_login(&sb);
    let d = register(&sb);
    let (bound, _) = user_login(&sb, &d.token);
    let path = format!("/auths/organization/credentials/{SANDBOX_ORG_ID}");
    let want = json!({"orgName": "dfxdemo", "logoURL": "", "userPoolId": "sandbox_dfxdemo",
                      "nativeAuthEnabled": false, "cognitoDomainUrl": "", "identityProviders": []});
    for t in [&user, &bound] {
        let resp = call(&sb, "GET", &path, Some(t), None);
        assert_eq!((resp.status, resp.json()), (200, want.clone()));
    }
    // Percent-encoded path segments are decoded.
    let encoded = format!("/auths/organization/credentials/{}", SANDBOX_ORG_ID.replace('-', "%2D"));
    assert_eq!(call(&sb, "GET", &encoded, Some(&user), None).status, 200);

    expect_err(call(&sb, "GET", &path, None, None), 401, "INVALID_TOKEN");
    expect_err(call(&sb, "GET", &path, Some("nope"), None), 401, "INVALID_TOKEN");
    let (expired, _) = sb.create_pair(TokenKind::User, 0);
    expect_err(call(&sb, "GET", &path, Some(&expired), None), 401, "TOKEN_EXPIRED");
    expect_err(call(&sb, "GET", &path, Some(&d.token), None), 403, "FORBIDDEN");
    let unknown = "/auths/organization/credentials/00000000-0000-4000-8000-000000000000";
    expect_err(call(&sb, "GET", unknown, Some(&user), None), 404, "ORGANIZATION_NOT_FOUND");
    expect_err(call(&sb, "GET", "/auths/organization/credentials/dfxdemo", Some(&user), None), 404, "ORGANIZATION_NOT_FOUND");
    expect_err(call(&sb, "GET", "/auths/organization/credentials/", Some(&user), None), 404, "NOT_FOUND");
    expect_err(call(&sb, "GET", &format!("{path}/x"), Some(&user), None), 404, "NOT_FOUND");
    let resp = call(&sb, "POST", &path, Some(&user), None);
    assert_eq!((resp.status, resp.header("allow")), (405, Some("GET")));
    assert_eq!(sb.count("GET", &path), 6);
}

#[test]
fn routing_recording_and_faults_on_new_endpoints() {
    let sb = sandbox();
    let resp = call(&sb, "PUT", "/organizations/licenses", None, None);
    assert_eq!((resp.status, resp.code(), resp.header("allow")), (405, "METHOD_NOT_ALLOWED".into(), Some("POST, DELETE")));
    // `organizations` and `users` are endpoints of their own since issue 12.
    for p in ["/organisations", "/user", "/auth/x", "/users/auth/code/x", "/Status"] {
        expect_err(call(&sb, "GET", p, None, None), 404, "NOT_FOUND");
    }

    // A Before fault replaces handling: no seat is taken.
    sb.push_fault(Fault { path: "organizations/licenses".into(), method: Some("POST".into()), action: Action::Status,
                          status: 503, ..Fault::default() });
    assert_eq!(call(&sb, "POST", "/organizations/licenses", None, Some(register_body())).status, 503);
    assert_eq!(sb.seats_used(SANDBOX_LICENSE_KEY), Some(0));
    // An After drop: the device exists, the answer is lost.
    sb.push_fault(Fault { path: "organizations/licenses".into(), phase: dfx_sandbox::Phase::After,
                          action: Action::Drop, ..Fault::default() });
    let out = send(sb.addr(), "POST", "/organizations/licenses", &[], register_body().to_string().as_bytes());
    assert!(matches!(out, Outcome::ClosedBeforeResponse));
    assert_eq!(sb.seats_used(SANDBOX_LICENSE_KEY), Some(1));

    let d = register(&sb);
    let reqs = sb.requests();
    let last = reqs.last().unwrap();
    assert_eq!((last.method.as_str(), last.path.as_str()), ("POST", "organizations/licenses"));
    assert_eq!(sb.count("POST", "organizations/licenses"), 3);
    let stats = send(sb.addr(), "GET", "/_sandbox/stats", &[], b"").complete().json();
    assert_eq!(stats["Requests"]["POST organizations/licenses"], 3);
    assert_eq!(stats["Requests"]["PUT organizations/licenses"], 1);
    drop(d);
}
