//! The C ABI called from Rust exactly as C calls it: bad input of every
//! kind, ownership, statuses and messages, concurrency.

mod common;

use std::collections::HashSet;
use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::thread;

use common::*;
use dfx::ffi::*;

fn text(p: *const c_char) -> Option<String> {
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
}

fn last_error() -> String {
    text(dfx_last_error_message()).unwrap()
}

fn new_client(url: &str) -> *mut DfxClient {
    let url = CString::new(url).unwrap();
    let mut client = ptr::null_mut();
    assert_eq!(unsafe { dfx_client_new(url.as_ptr(), &mut client) }, DFX_OK);
    assert!(!client.is_null());
    client
}

#[test]
fn status_names_and_descriptions() {
    let expected = [
        (DFX_OK, "DFX_OK"),
        (DFX_ERR_NULL_ARGUMENT, "DFX_ERR_NULL_ARGUMENT"),
        (DFX_ERR_INVALID_ARGUMENT, "DFX_ERR_INVALID_ARGUMENT"),
        (DFX_ERR_INVALID_UTF8, "DFX_ERR_INVALID_UTF8"),
        (DFX_ERR_INVALID_URL, "DFX_ERR_INVALID_URL"),
        (DFX_ERR_API, "DFX_ERR_API"),
        (DFX_ERR_CONNECT, "DFX_ERR_CONNECT"),
        (DFX_ERR_TIMEOUT, "DFX_ERR_TIMEOUT"),
        (DFX_ERR_TLS, "DFX_ERR_TLS"),
        (DFX_ERR_DECODE, "DFX_ERR_DECODE"),
        (DFX_ERR_TRUNCATED, "DFX_ERR_TRUNCATED"),
        (DFX_ERR_CONNECTION_LOST, "DFX_ERR_CONNECTION_LOST"),
        (DFX_ERR_REDIRECT, "DFX_ERR_REDIRECT"),
        (DFX_ERR_OUTCOME_UNKNOWN, "DFX_ERR_OUTCOME_UNKNOWN"),
        (DFX_ERR_CANCELLED, "DFX_ERR_CANCELLED"),
        (DFX_ERR_WOULD_DEADLOCK, "DFX_ERR_WOULD_DEADLOCK"),
        (DFX_ERR_TRANSPORT, "DFX_ERR_TRANSPORT"),
        (DFX_ERR_INTERNAL, "DFX_ERR_INTERNAL"),
        (DFX_ERR_STREAM_FULL, "DFX_ERR_STREAM_FULL"),
        (DFX_ERR_RATE_LIMITED, "DFX_ERR_RATE_LIMITED"),
        (DFX_ERR_MEASUREMENT_CLOSED, "DFX_ERR_MEASUREMENT_CLOSED"),
        (DFX_ERR_MISALIGNED_CHUNK, "DFX_ERR_MISALIGNED_CHUNK"),
        (DFX_ERR_INVALID_MEASUREMENT, "DFX_ERR_INVALID_MEASUREMENT"),
        (DFX_ERR_STREAM_ENDED, "DFX_ERR_STREAM_ENDED"),
    ];
    let mut seen = HashSet::new();
    for (value, name) in expected {
        assert_eq!(text(dfx_status_name(value)).unwrap(), name);
        assert!(seen.insert(value), "values are distinct");
        assert!(!text(dfx_status_description(value)).unwrap().is_empty());
    }
    for bad in [-1, 24, 1000, i32::MAX, i32::MIN] {
        assert_eq!(text(dfx_status_name(bad)).unwrap(), "DFX_UNRECOGNIZED_STATUS");
        assert_eq!(text(dfx_status_description(bad)).unwrap(), "not a dfx status value");
    }
    assert_eq!(text(dfx_version()).unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn client_new_checks_everything() {
    unsafe {
        assert_eq!(dfx_client_new(ptr::null(), ptr::null_mut()), DFX_ERR_NULL_ARGUMENT);
        assert!(last_error().contains("out_client"));

        let mut client = 0x1 as *mut DfxClient; // garbage in, NULL out on failure
        let bad = b"http://127.0.0.1:\xff\0";
        assert_eq!(dfx_client_new(bad.as_ptr().cast(), &mut client), DFX_ERR_INVALID_UTF8);
        assert!(client.is_null());
        assert!(last_error().contains("base_url"));

        for url in ["", "not a url", "http://example.com", "ftp://x", "https://a/?q=1"] {
            let url = CString::new(url).unwrap();
            assert_eq!(dfx_client_new(url.as_ptr(), &mut client), DFX_ERR_INVALID_URL, "{url:?}");
            assert!(client.is_null());
            assert!(!last_error().is_empty());
        }

        // NULL means the production default.
        assert_eq!(dfx_client_new(ptr::null(), &mut client), DFX_OK);
        assert_eq!(last_error(), "", "success clears the message");
        assert_eq!(dfx_client_set_timeout_ms(client, 0), DFX_OK);
        assert_eq!(dfx_client_set_timeout_ms(ptr::null_mut(), 5), DFX_ERR_NULL_ARGUMENT);
        dfx_client_free(client);
        dfx_client_free(ptr::null_mut());
        dfx_response_free(ptr::null_mut());
    }
}

#[test]
fn calls_check_every_argument_and_send_nothing() {
    let sb = sandbox();
    let client = new_client(&sb.url());
    let s = c"x".as_ptr();
    let empty = c"".as_ptr();
    let bad = b"\xc3\x28\0".as_ptr().cast::<c_char>();
    type Call = unsafe extern "C" fn(*mut DfxClient, *const c_char, *const c_char, *mut *mut DfxResponse) -> DfxStatus;
    let calls: [Call; 3] = [dfx_auth_renew, dfx_auth_request_login_code, dfx_auth_request_reset_password_link];
    unsafe {
        for call in calls {
            let mut out = 0x1 as *mut DfxResponse;
            assert_eq!(call(client, s, s, ptr::null_mut()), DFX_ERR_NULL_ARGUMENT);
            assert_eq!(call(ptr::null_mut(), s, s, &mut out), DFX_ERR_NULL_ARGUMENT);
            assert!(out.is_null());
            assert!(last_error().contains("client"));
            assert_eq!(call(client, ptr::null(), s, &mut out), DFX_ERR_NULL_ARGUMENT);
            assert_eq!(call(client, s, ptr::null(), &mut out), DFX_ERR_NULL_ARGUMENT);
            assert_eq!(call(client, bad, s, &mut out), DFX_ERR_INVALID_UTF8);
            assert_eq!(call(client, s, bad, &mut out), DFX_ERR_INVALID_UTF8);
            assert_eq!(call(client, empty, s, &mut out), DFX_ERR_INVALID_ARGUMENT);
            assert_eq!(call(client, s, empty, &mut out), DFX_ERR_INVALID_ARGUMENT);
            assert!(out.is_null());
        }
        dfx_client_free(client);
    }
    assert!(sb.requests().is_empty(), "bad input never reaches the wire");
}

#[test]
fn renew_through_the_abi() {
    let sb = sandbox();
    let client = new_client(&sb.url());
    let (token, refresh) = pair(&sb);
    let (t, r) = (CString::new(token.clone()).unwrap(), CString::new(refresh).unwrap());
    unsafe {
        let mut resp = ptr::null_mut();
        assert_eq!(dfx_auth_renew(client, t.as_ptr(), r.as_ptr(), &mut resp), DFX_OK);
        assert_eq!(dfx_response_status(resp), 200);
        let new_token = text(dfx_response_get_string(resp, c"Token".as_ptr())).unwrap();
        assert_ne!(new_token, token);
        assert!(text(dfx_response_get_string(resp, c"RefreshToken".as_ptr())).is_some());
        assert!(dfx_response_get_string(resp, c"Nope".as_ptr()).is_null());
        assert!(dfx_response_get_string(resp, ptr::null()).is_null());
        assert!(dfx_response_get_string(resp, b"\xff\0".as_ptr().cast()).is_null());
        assert!(dfx_response_error_code(resp).is_null());
        assert!(dfx_response_error_message(resp).is_null());
        let body: serde_json::Value = serde_json::from_str(&text(dfx_response_body(resp)).unwrap()).unwrap();
        assert_eq!(body["Token"], new_token.as_str());
        dfx_response_free(resp);

        // The old pair again: DFX_ERR_API, and the answer is handed out.
        assert_eq!(dfx_auth_renew(client, t.as_ptr(), r.as_ptr(), &mut resp), DFX_ERR_API);
        assert!(!resp.is_null());
        assert_eq!(dfx_response_status(resp), 401);
        assert_eq!(text(dfx_response_error_code(resp)).unwrap(), "INVALID_REFRESH_TOKEN");
        assert!(text(dfx_response_error_message(resp)).is_some());
        let msg = last_error();
        assert!(msg.contains("401") && msg.contains("INVALID_REFRESH_TOKEN"), "{msg}");
        assert!(!msg.contains(&token));
        dfx_response_free(resp);

        // Accessors on NULL are harmless.
        assert_eq!(dfx_response_status(ptr::null()), 0);
        assert!(dfx_response_body(ptr::null()).is_null());
        assert!(dfx_response_get_string(ptr::null(), c"Token".as_ptr()).is_null());
        assert!(dfx_response_error_code(ptr::null()).is_null());
        assert!(dfx_response_error_message(ptr::null()).is_null());
        dfx_client_free(client);
    }
}

#[test]
fn transport_failures_map_to_their_statuses() {
    let sb = sandbox();
    let client = new_client(&sb.url());
    let phone = c"+15555550100".as_ptr();
    let org = c"dfxdemo".as_ptr();
    unsafe {
        dfx_client_set_timeout_ms(client, 300);
        let mut resp = 0x1 as *mut DfxResponse;
        let mut check = |f: Fault, expected: DfxStatus| {
            sb.push_fault(f);
            let st = dfx_auth_request_login_code(client, phone, org, &mut resp);
            assert_eq!(st, expected, "{} instead of {}", text(dfx_status_name(st)).unwrap(), text(dfx_status_name(expected)).unwrap());
            assert!(resp.is_null(), "no response on transport errors");
            assert!(!last_error().is_empty());
        };
        check(fault("auths/users/code", Action::Drop), DFX_ERR_CONNECTION_LOST);
        check(Fault { phase: Phase::After, ..fault("auths/users/code", Action::Truncate) }, DFX_ERR_TRUNCATED);
        check(Fault { delay_ms: 2000, ..fault("auths/users/code", Action::None) }, DFX_ERR_TIMEOUT);
        check(status_fault("auths/users/code", 200, "not json", Some("text/plain")), DFX_ERR_DECODE);

        let (token, refresh) = pair(&sb);
        let (t, r) = (CString::new(token).unwrap(), CString::new(refresh).unwrap());
        sb.push_fault(Fault { phase: Phase::After, ..fault("auths/renew", Action::Drop) });
        assert_eq!(dfx_auth_renew(client, t.as_ptr(), r.as_ptr(), &mut resp), DFX_ERR_OUTCOME_UNKNOWN);
        assert!(resp.is_null());
        assert!(text(dfx_status_name(DFX_ERR_OUTCOME_UNKNOWN)).unwrap().contains("UNKNOWN"));
        dfx_client_free(client);

        let refused = new_client(&format!("http://127.0.0.1:{}", closed_port()));
        assert_eq!(dfx_auth_renew(refused, t.as_ptr(), r.as_ptr(), &mut resp), DFX_ERR_CONNECT);
        assert!(last_error().to_lowercase().contains("connect"));
        dfx_client_free(refused);

        let tls = new_client(&format!("https://127.0.0.1:{}", sb.addr().port()));
        assert_eq!(dfx_auth_request_login_code(tls, phone, org, &mut resp), DFX_ERR_TLS);
        dfx_client_free(tls);
    }
}

/// One client, 8 threads, hundreds of renews of distinct pairs: all
/// succeed and every new pair is distinct.
#[test]
fn eight_threads_renew_hundreds_of_distinct_pairs() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 50;
    let sb = sandbox();
    let client = new_client(&sb.url()) as usize;
    let pairs: Vec<Vec<(String, String)>> =
        (0..THREADS).map(|_| (0..PER_THREAD).map(|_| pair(&sb)).collect()).collect();
    let handles: Vec<_> = pairs
        .into_iter()
        .map(|mine| {
            thread::spawn(move || {
                let client = client as *mut DfxClient;
                mine.into_iter()
                    .map(|(token, refresh)| unsafe {
                        let (t, r) = (CString::new(token).unwrap(), CString::new(refresh).unwrap());
                        let mut resp = ptr::null_mut();
                        assert_eq!(dfx_auth_renew(client, t.as_ptr(), r.as_ptr(), &mut resp), DFX_OK);
                        let pair = (
                            text(dfx_response_get_string(resp, c"Token".as_ptr())).unwrap(),
                            text(dfx_response_get_string(resp, c"RefreshToken".as_ptr())).unwrap(),
                        );
                        dfx_response_free(resp);
                        pair
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut tokens = HashSet::new();
    let mut refreshes = HashSet::new();
    for h in handles {
        for (t, r) in h.join().unwrap() {
            assert!(tokens.insert(t));
            assert!(refreshes.insert(r));
        }
    }
    assert_eq!(tokens.len(), THREADS * PER_THREAD);
    assert_eq!(sb.count("POST", "auths/renew"), THREADS * PER_THREAD);
    unsafe { dfx_client_free(client as *mut DfxClient) };
}
