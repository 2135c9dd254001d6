//! What dfx's messages say, and what they never say.
//!
//! Secrets: every secret-carrying call is sent with recognisable secrets
//! (all containing `S3CR3T`) to a sandbox that echoes the whole request
//! into the answer's `Code` and `Message` (fault action `Echo`); no message
//! (Rust `Display` and `Debug`, `dfx_last_error_message`) may contain one,
//! while the response body handed out stays the server's bytes. The same
//! for every malformed base URL and bad argument. And the messages that
//! help: the address a refused connection tried, the scheme hint, the
//! first NULL argument.

mod common;

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::mpsc;

use common::*;
use dfx::ffi::*;
use dfx::{Error, License, SessionField};

const MARK: &str = "S3CR3T";

/// Recognisable secrets, one per kind the API carries.
const DEVICE_TOKEN: &str = "S3CR3T-device-token";
const DEVICE_REFRESH: &str = "S3CR3T-device-refresh";
const USER_TOKEN: &str = "S3CR3T-user-token";
const USER_REFRESH: &str = "S3CR3T-user-refresh";
const TOKEN: &str = "S3CR3T-explicit-token";
const REFRESH: &str = "S3CR3T-explicit-refresh";
const PASSWORD: &str = "S3CR3T-password";
const LICENSE_KEY: &str = "S3CR3T-license-key";
const MFA: &str = "S3CR3T-mfa-123456";
const LOGIN_CODE: &str = "S3CR3T-login-code-0042";

fn echo_everything(sb: &Sandbox) {
    sb.push_fault(Fault { action: Action::Echo, status: 500, count: 0, ..Fault::default() });
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(dfx_last_error_message()) }.to_str().unwrap().to_owned()
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(MARK), "{what}: a secret leaked into {text:?}");
}

fn with_secret_session(client: &dfx::Client) {
    let s = client.session();
    for (field, value) in [
        (SessionField::DeviceToken, DEVICE_TOKEN),
        (SessionField::DeviceRefreshToken, DEVICE_REFRESH),
        (SessionField::UserToken, USER_TOKEN),
        (SessionField::UserRefreshToken, USER_REFRESH),
    ] {
        s.set(field, value).unwrap();
    }
}

/// An API error whose answer echoed the request: the message is clean,
/// shows that the echo was redacted, and the body still holds the echo.
fn assert_echo_redacted(what: &str, result: Result<dfx::Response, Error>, expect_in_body: &[&str]) {
    let error = result.expect_err(what);
    let text = error.to_string();
    assert_clean(what, &text);
    assert_clean(what, &format!("{error:?}"));
    assert!(text.contains("the API answered HTTP 500") && text.contains('…'), "{what}: {text}");
    let body = error.response().expect("an API error").body();
    for secret in expect_in_body {
        assert!(body.contains(secret), "{what}: the body is the server's bytes, with {secret}");
    }
}

#[test]
fn every_secret_carrying_call_is_redacted_in_rust_messages() {
    let sb = sandbox();
    echo_everything(&sb);
    let client = client(&sb);
    with_secret_session(&client);
    let license = License {
        key: LICENSE_KEY,
        device_type_id: "LINUX",
        name: "kiosk",
        org_identifier: "dfxdemo",
        version: "1.0",
    };
    assert_clean("License Debug", &format!("{license:?}"));
    assert_echo_redacted("renew", dfx::blocking(client.auths().renew(TOKEN, REFRESH)), &[TOKEN, REFRESH]);
    assert_echo_redacted("register", dfx::blocking(client.organizations().register_license(&license)), &[LICENSE_KEY]);
    assert_echo_redacted(
        "organization login",
        dfx::blocking(client.organizations().login("a@example.com", PASSWORD, "dfxdemo", Some(MFA))),
        &[PASSWORD, MFA],
    );
    assert_echo_redacted(
        "user login",
        dfx::blocking(client.users().login("a@example.com", PASSWORD, Some(MFA))),
        &[PASSWORD, MFA, DEVICE_TOKEN],
    );
    assert_echo_redacted(
        "generate token",
        dfx::blocking(client.auths().generate_token(TOKEN, REFRESH)),
        &[TOKEN, REFRESH, DEVICE_TOKEN],
    );
    assert_echo_redacted(
        "phone login",
        dfx::blocking(client.users().login_with_phone_code(LOGIN_CODE, "+15555550100", "dfxdemo")),
        &[LOGIN_CODE],
    );
    assert_echo_redacted(
        "reset link",
        dfx::blocking(client.auths().request_reset_password_link("a@example.com", "dfxdemo")),
        &[DEVICE_TOKEN],
    );
    assert_echo_redacted("reset mobile", dfx::blocking(client.auths().send_reset_mobile(Some("a@example.com"), None)), &[DEVICE_TOKEN]);
    assert_echo_redacted("login code", dfx::blocking(client.auths().request_login_code("+15555550100", "dfxdemo")), &[DEVICE_TOKEN]);
    assert_echo_redacted("verify", dfx::blocking(client.general().verify_token(Some(TOKEN))), &[TOKEN]);
    assert_echo_redacted("verify stored", dfx::blocking(client.general().verify_token(None)), &[USER_TOKEN]);
    assert_echo_redacted("credentials", dfx::blocking(client.auths().get_org_client_credentials("org-1")), &[USER_TOKEN]);
    assert_echo_redacted("unregister", dfx::blocking(client.organizations().unregister_license()), &[DEVICE_TOKEN]);
    for kind in [dfx::TokenKind::Device, dfx::TokenKind::User] {
        assert_echo_redacted("session renew", dfx::blocking(client.auths().renew_stored(kind)), &[]);
    }
    assert!(sb.requests().len() >= 15, "every call reached the echoing server");
}

/// The C ABI: every blocking call's `dfx_last_error_message`, and an async
/// one's on its callback thread.
#[test]
fn every_secret_carrying_call_is_redacted_in_last_error_messages() {
    let sb = sandbox();
    echo_everything(&sb);
    let url = c(&sb.url());
    let mut client = ptr::null_mut();
    unsafe {
        assert_eq!(dfx_client_new(url.as_ptr(), &mut client), DFX_OK);
        for (field, value) in [
            (DFX_SESSION_DEVICE_TOKEN, DEVICE_TOKEN),
            (DFX_SESSION_DEVICE_REFRESH_TOKEN, DEVICE_REFRESH),
            (DFX_SESSION_USER_TOKEN, USER_TOKEN),
            (DFX_SESSION_USER_REFRESH_TOKEN, USER_REFRESH),
        ] {
            assert_eq!(dfx_session_set(client, field, c(value).as_ptr()), DFX_OK);
        }
    }
    let (t, r, pw, key, mfa, code) = (c(TOKEN), c(REFRESH), c(PASSWORD), c(LICENSE_KEY), c(MFA), c(LOGIN_CODE));
    let (email, org, phone, linux, name, version) =
        (c("a@example.com"), c("dfxdemo"), c("+15555550100"), c("LINUX"), c("kiosk"), c("1.0"));
    type Call<'a> = Box<dyn Fn(*mut *mut DfxResponse) -> DfxStatus + 'a>;
    let calls: Vec<(&str, Call)> = vec![
        ("renew", Box::new(|out| unsafe { dfx_auth_renew(client, t.as_ptr(), r.as_ptr(), out) })),
        ("register", Box::new(|out| unsafe {
            dfx_organization_register_license(client, key.as_ptr(), linux.as_ptr(), name.as_ptr(), org.as_ptr(), version.as_ptr(), out)
        })),
        ("org login", Box::new(|out| unsafe {
            dfx_organization_login(client, email.as_ptr(), pw.as_ptr(), org.as_ptr(), mfa.as_ptr(), out)
        })),
        ("user login", Box::new(|out| unsafe { dfx_user_login(client, email.as_ptr(), pw.as_ptr(), mfa.as_ptr(), out) })),
        ("generate token", Box::new(|out| unsafe { dfx_auth_generate_token(client, t.as_ptr(), r.as_ptr(), out) })),
        ("phone login", Box::new(|out| unsafe {
            dfx_user_login_with_phone_code(client, code.as_ptr(), phone.as_ptr(), org.as_ptr(), out)
        })),
        ("reset link", Box::new(|out| unsafe { dfx_auth_request_reset_password_link(client, email.as_ptr(), org.as_ptr(), out) })),
        ("reset mobile", Box::new(|out| unsafe { dfx_auth_send_reset_mobile(client, email.as_ptr(), ptr::null(), out) })),
        ("login code", Box::new(|out| unsafe { dfx_auth_request_login_code(client, phone.as_ptr(), org.as_ptr(), out) })),
        ("verify", Box::new(|out| unsafe { dfx_general_verify_token(client, t.as_ptr(), out) })),
        ("session renew", Box::new(|out| unsafe { dfx_session_renew(client, DFX_TOKEN_DEVICE, out) })),
        ("session renew user", Box::new(|out| unsafe { dfx_session_renew(client, DFX_TOKEN_USER, out) })),
        ("unregister", Box::new(|out| unsafe { dfx_organization_unregister_license(client, out) })),
    ];
    for (what, call) in &calls {
        let mut response = ptr::null_mut();
        assert_eq!(call(&mut response), DFX_ERR_API, "{what}");
        let message = last_error();
        assert_clean(what, &message);
        assert!(message.contains('…'), "{what}: the echo was redacted: {message}");
        let body = unsafe { CStr::from_ptr(dfx_response_body(response)) }.to_str().unwrap();
        assert!(body.contains(MARK), "{what}: the body stays the server's bytes");
        unsafe { dfx_response_free(response) };
    }

    // The same through a callback.
    unsafe extern "C" fn done(user_data: *mut c_void, status: DfxStatus, response: *mut DfxResponse) {
        let tx = &*(user_data as *const mpsc::Sender<(DfxStatus, String)>);
        tx.send((status, last_error())).unwrap();
        dfx_response_free(response);
    }
    let (tx, rx) = mpsc::channel::<(DfxStatus, String)>();
    let mut id = 0;
    let tx_ptr = &tx as *const _ as *mut c_void;
    unsafe {
        assert_eq!(dfx_auth_renew_async(client, t.as_ptr(), r.as_ptr(), Some(done), tx_ptr, &mut id), DFX_OK);
        assert_eq!(dfx_user_login_async(client, email.as_ptr(), pw.as_ptr(), mfa.as_ptr(), Some(done), tx_ptr, &mut id), DFX_OK);
    }
    for _ in 0..2 {
        let (status, message) = rx.recv().unwrap();
        assert_eq!(status, DFX_ERR_API);
        assert_clean("async", &message);
        assert!(message.contains('…'), "{message}");
    }
    unsafe { dfx_client_free(client) };
}

#[test]
fn malformed_base_urls_never_echo_their_secrets() {
    for url in [
        "http://user:S3CR3T@[::1",
        "https://user:S3CR3T@api.deepaffex.ai",
        "https://S3CR3T@api.deepaffex.ai/",
        "https://api.deepaffex.ai/?token=S3CR3T",
        "https://api.deepaffex.ai/#S3CR3T",
        "https://api.deepaffex.ai/S3CR3T?x",
        "http://example.com/S3CR3T",
        "ftp://user:S3CR3T@example.com",
        "user:S3CR3T@example.com",
        "https://user:S3CR3T@:99999",
        "https://exa mple.com/S3CR3T",
        "S3CR3T",
    ] {
        let e = dfx::Client::new(Some(url)).unwrap_err();
        assert!(matches!(e, Error::InvalidUrl(_)), "{url}: {e}");
        assert_clean(url, &e.to_string());
        assert_clean(url, &format!("{e:?}"));
        let mut client = ptr::null_mut();
        assert_eq!(unsafe { dfx_client_new(c(url).as_ptr(), &mut client) }, DFX_ERR_INVALID_URL, "{url}");
        assert!(client.is_null());
        assert_clean(url, &last_error());
    }
}

#[test]
fn a_url_without_a_scheme_is_told_to_start_with_https() {
    for url in ["127.0.0.1:8080", "localhost:8080", "api.deepaffex.ai"] {
        let mut client = ptr::null_mut();
        assert_eq!(unsafe { dfx_client_new(c(url).as_ptr(), &mut client) }, DFX_ERR_INVALID_URL, "{url}");
        let m = last_error();
        assert!(m.contains("must start with https://") && m.contains("http://127.0.0.1:8080"), "{url}: {m}");
    }
    let mut client = ptr::null_mut();
    assert_eq!(unsafe { dfx_client_new(c("https://x/?token=hunter2").as_ptr(), &mut client) }, DFX_ERR_INVALID_URL);
    let m = last_error();
    assert!(!m.contains("hunter2") && !m.contains("token") && m.contains("https://x"), "{m}");
}

#[test]
fn bad_arguments_never_echo_their_secrets() {
    let sb = sandbox();
    let client = client(&sb);
    // A token HTTP cannot carry, empty partners, a session that is not one.
    let results: Vec<(&str, Result<dfx::Response, Error>)> = vec![
        ("bad token bytes", dfx::blocking(client.auths().renew("S3CR3T\r\nX: y", REFRESH))),
        ("empty refresh", dfx::blocking(client.auths().renew(TOKEN, ""))),
        ("empty token", dfx::blocking(client.auths().generate_token("", REFRESH))),
        ("empty password", dfx::blocking(client.users().login("a@example.com", "", Some(MFA)))),
        ("empty code", dfx::blocking(client.users().login_with_phone_code("", "+1", "dfxdemo"))),
        ("bad verify token", dfx::blocking(client.general().verify_token(Some("S3CR3T\u{7f}")))),
    ];
    for (what, result) in results {
        let e = result.expect_err(what);
        assert!(matches!(e, Error::InvalidArgument(_)), "{what}: {e}");
        assert_clean(what, &e.to_string());
    }
    for json in [
        r#"{"deviceToken": "S3CR3T-a", "bogus": "S3CR3T-b"}"#,
        r#"{"deviceToken": "S3CR3T-a", "userToken": 5}"#,
        r#"{"deviceToken": "S3CR3T-a\u0000"}"#,
        r#"{"deviceToken": "S3CR3T-a""#,
        r#"["S3CR3T"]"#,
        r#"{"S3CR3T-a-token-where-a-key-belongs.eyJhbGciOiJIUzI1NiJ9": "x"}"#,
    ] {
        let e = dfx::Session::from_json(json).unwrap_err();
        assert_clean(json, &e.to_string());
        let cjson = c(json);
        let ptr = dfx::ffi::dfx_session_from_json;
        let mut h = ptr::null_mut();
        unsafe {
            assert_eq!(dfx_client_new(c(&sb.url()).as_ptr(), &mut h), DFX_OK);
            assert_eq!(ptr(h, cjson.as_ptr()), DFX_ERR_INVALID_ARGUMENT, "{json}");
            assert_clean(json, &last_error());
            dfx_client_free(h);
        }
    }
    for token in ["S3CR3T", "S3CR3T.S3CR3T.S3CR3T", "a.eyJleHAiOiJTM0NSM1QifQ.b"] {
        let e = dfx::token_expiry(token).unwrap_err();
        assert_clean(token, &e.to_string());
        let mut exp = 0i64;
        assert_eq!(unsafe { dfx_token_expiry(c(token).as_ptr(), &mut exp) }, DFX_ERR_INVALID_ARGUMENT);
        assert_clean(token, &last_error());
    }
    // Invalid UTF-8 after a secret prefix: the message names the argument only.
    let bytes = b"S3CR3T-\xff\0";
    let mut out = ptr::null_mut();
    let (url, t) = (c(&sb.url()), c(TOKEN));
    unsafe {
        let mut h = ptr::null_mut();
        assert_eq!(dfx_client_new(url.as_ptr(), &mut h), DFX_OK);
        let bad = bytes.as_ptr() as *const c_char;
        assert_eq!(dfx_auth_renew(h, t.as_ptr(), bad, &mut out), DFX_ERR_INVALID_UTF8);
        let m = last_error();
        assert!(m.contains("refresh_token"), "{m}");
        assert_clean("utf-8", &m);
        dfx_client_free(h);
    }
}

#[test]
fn a_refused_connection_names_the_address_it_tried() {
    let port = closed_port();
    for host in ["127.0.0.1", "localhost"] {
        let client = dfx::Client::new(Some(&format!("http://{host}:{port}"))).unwrap();
        // The blocking path (calling thread) and the async path (runtime).
        let blocking = dfx::blocking(client.general().status()).unwrap_err();
        let (tx, rx) = mpsc::channel();
        let c2 = client.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            tx.send(rt.block_on(c2.general().status()).unwrap_err()).unwrap();
        });
        let nonblocking = rx.recv().unwrap();
        for e in [blocking, nonblocking] {
            assert!(matches!(e, Error::Connect(_)), "{e}");
            let m = e.to_string();
            assert!(m.contains(&format!(":{port}")) && m.contains(host) || m.contains(&format!("[::1]:{port}")), "{m}");
        }
    }
}

#[test]
fn the_first_null_argument_is_the_one_named() {
    let sb = sandbox();
    let url = c(&sb.url());
    let t = c(TOKEN);
    let mut client = ptr::null_mut();
    unsafe {
        assert_eq!(dfx_client_new(url.as_ptr(), &mut client), DFX_OK);
        let mut out: *mut DfxResponse = 1 as *mut DfxResponse;
        // Each case names the first NULL argument in signature order.
        let check = |status: DfxStatus, name: &str| {
            assert_eq!(status, DFX_ERR_NULL_ARGUMENT, "{name}");
            assert_eq!(last_error(), format!("argument `{name}` is NULL"));
        };
        check(dfx_auth_renew(ptr::null_mut(), ptr::null(), ptr::null(), ptr::null_mut()), "client");
        check(dfx_auth_renew(client, ptr::null(), ptr::null(), ptr::null_mut()), "token");
        check(dfx_auth_renew(client, t.as_ptr(), ptr::null(), ptr::null_mut()), "refresh_token");
        check(dfx_auth_renew(client, t.as_ptr(), t.as_ptr(), ptr::null_mut()), "out_response");
        check(
            dfx_organization_register_license(ptr::null_mut(), ptr::null(), ptr::null(), ptr::null(), ptr::null(), ptr::null(), ptr::null_mut()),
            "client",
        );
        check(dfx_user_login_with_phone_code(client, t.as_ptr(), t.as_ptr(), ptr::null(), ptr::null_mut()), "org_identifier");
        check(dfx_organization_login(client, t.as_ptr(), t.as_ptr(), ptr::null(), ptr::null(), ptr::null_mut()), "org_identifier");
        check(dfx_general_status(ptr::null_mut(), ptr::null_mut()), "client");
        check(dfx_session_renew(ptr::null_mut(), DFX_TOKEN_DEVICE, ptr::null_mut()), "client");
        check(dfx_session_get(ptr::null_mut(), DFX_SESSION_DEVICE_ID, ptr::null_mut()), "client");
        check(dfx_session_to_json(ptr::null_mut(), ptr::null_mut()), "client");
        check(dfx_token_expiry(ptr::null(), ptr::null_mut()), "token");
        check(dfx_session_token_expiry(ptr::null_mut(), DFX_TOKEN_DEVICE, ptr::null_mut()), "client");
        check(dfx_auth_renew_async(ptr::null_mut(), ptr::null(), ptr::null(), None, ptr::null_mut(), ptr::null_mut()), "client");
        // The out-parameter is still NULL on a failure reported for an
        // earlier argument.
        assert_eq!(dfx_auth_renew(ptr::null_mut(), t.as_ptr(), t.as_ptr(), &mut out), DFX_ERR_NULL_ARGUMENT);
        assert!(out.is_null());
        dfx_client_free(client);
    }
}
