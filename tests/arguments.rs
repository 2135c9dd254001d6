//! Every typed call, blocking and `_async`, against every bad argument:
//! a NULL client, out-parameter or callback, each string argument NULL,
//! empty and not UTF-8. Each is refused with its status before anything is
//! sent, out-parameters come back NULL / 0, and no callback runs.

mod common;

use std::ffi::{c_char, c_void, CStr};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use dfx::ffi::*;

/// How a string argument is checked.
#[derive(Clone, Copy, PartialEq)]
enum Arg {
    /// NULL → DFX_ERR_NULL_ARGUMENT, "" → DFX_ERR_INVALID_ARGUMENT.
    Required,
    /// NULL is allowed (a default applies).
    Optional,
}
use Arg::*;

type S = *const c_char;
type Blocking = unsafe fn(*mut DfxClient, &[S], *mut *mut DfxResponse) -> DfxStatus;
type Async = unsafe fn(*mut DfxClient, &[S], DfxCallback, *mut c_void, *mut u64) -> DfxStatus;

struct Case {
    name: &'static str,
    args: &'static [Arg],
    blocking: Blocking,
    nonblocking: Async,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "auth_renew",
            args: &[Required, Required],
            blocking: |c, a, o| unsafe { dfx_auth_renew(c, a[0], a[1], o) },
            nonblocking: |c, a, f, u, i| unsafe { dfx_auth_renew_async(c, a[0], a[1], f, u, i) },
        },
        Case {
            name: "auth_request_login_code",
            args: &[Required, Required],
            blocking: |c, a, o| unsafe { dfx_auth_request_login_code(c, a[0], a[1], o) },
            nonblocking: |c, a, f, u, i| unsafe { dfx_auth_request_login_code_async(c, a[0], a[1], f, u, i) },
        },
        Case {
            name: "auth_request_reset_password_link",
            args: &[Required, Required],
            blocking: |c, a, o| unsafe { dfx_auth_request_reset_password_link(c, a[0], a[1], o) },
            nonblocking: |c, a, f, u, i| unsafe { dfx_auth_request_reset_password_link_async(c, a[0], a[1], f, u, i) },
        },
        Case {
            // Each of the two may be NULL (checked below: not both).
            name: "auth_send_reset_mobile",
            args: &[Optional, Optional],
            blocking: |c, a, o| unsafe { dfx_auth_send_reset_mobile(c, a[0], a[1], o) },
            nonblocking: |c, a, f, u, i| unsafe { dfx_auth_send_reset_mobile_async(c, a[0], a[1], f, u, i) },
        },
        Case {
            name: "auth_generate_token",
            args: &[Required, Required],
            blocking: |c, a, o| unsafe { dfx_auth_generate_token(c, a[0], a[1], o) },
            nonblocking: |c, a, f, u, i| unsafe { dfx_auth_generate_token_async(c, a[0], a[1], f, u, i) },
        },
        Case {
            name: "auth_get_org_client_credentials",
            args: &[Required],
            blocking: |c, a, o| unsafe { dfx_auth_get_org_client_credentials(c, a[0], o) },
            nonblocking: |c, a, f, u, i| unsafe { dfx_auth_get_org_client_credentials_async(c, a[0], f, u, i) },
        },
        Case {
            name: "organization_register_license",
            args: &[Required, Required, Required, Required, Required],
            blocking: |c, a, o| unsafe { dfx_organization_register_license(c, a[0], a[1], a[2], a[3], a[4], o) },
            nonblocking: |c, a, f, u, i| unsafe {
                dfx_organization_register_license_async(c, a[0], a[1], a[2], a[3], a[4], f, u, i)
            },
        },
        Case {
            name: "organization_unregister_license",
            args: &[],
            blocking: |c, _, o| unsafe { dfx_organization_unregister_license(c, o) },
            nonblocking: |c, _, f, u, i| unsafe { dfx_organization_unregister_license_async(c, f, u, i) },
        },
        Case {
            name: "organization_login",
            args: &[Required, Required, Required, Optional],
            blocking: |c, a, o| unsafe { dfx_organization_login(c, a[0], a[1], a[2], a[3], o) },
            nonblocking: |c, a, f, u, i| unsafe { dfx_organization_login_async(c, a[0], a[1], a[2], a[3], f, u, i) },
        },
        Case {
            name: "user_login",
            args: &[Required, Required, Optional],
            blocking: |c, a, o| unsafe { dfx_user_login(c, a[0], a[1], a[2], o) },
            nonblocking: |c, a, f, u, i| unsafe { dfx_user_login_async(c, a[0], a[1], a[2], f, u, i) },
        },
        Case {
            name: "user_login_with_phone_code",
            args: &[Required, Required, Required],
            blocking: |c, a, o| unsafe { dfx_user_login_with_phone_code(c, a[0], a[1], a[2], o) },
            nonblocking: |c, a, f, u, i| unsafe { dfx_user_login_with_phone_code_async(c, a[0], a[1], a[2], f, u, i) },
        },
        Case {
            name: "general_verify_token",
            args: &[Optional],
            blocking: |c, a, o| unsafe { dfx_general_verify_token(c, a[0], o) },
            nonblocking: |c, a, f, u, i| unsafe { dfx_general_verify_token_async(c, a[0], f, u, i) },
        },
        Case {
            name: "general_status",
            args: &[],
            blocking: |c, _, o| unsafe { dfx_general_status(c, o) },
            nonblocking: |c, _, f, u, i| unsafe { dfx_general_status_async(c, f, u, i) },
        },
        Case {
            name: "session_renew",
            args: &[],
            blocking: |c, _, o| unsafe { dfx_session_renew(c, DFX_TOKEN_DEVICE, o) },
            nonblocking: |c, _, f, u, i| unsafe { dfx_session_renew_async(c, DFX_TOKEN_DEVICE, f, u, i) },
        },
    ]
}

static CALLBACKS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn counted(_: *mut c_void, _: DfxStatus, response: *mut DfxResponse) {
    dfx_response_free(response);
    CALLBACKS.fetch_add(1, Ordering::SeqCst);
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(dfx_last_error_message()) }.to_string_lossy().into_owned()
}

const GOOD: S = c"x".as_ptr();
const EMPTY: S = c"".as_ptr();
const BAD_UTF8: S = b"ok\xc3\x28\0".as_ptr().cast();

/// What a call with `args` gives, blocking and `_async`: both statuses, and
/// whether the out-parameters were cleared. `garbage` pre-fills them.
fn both(case: &Case, client: *mut DfxClient, args: &[S]) -> (DfxStatus, DfxStatus) {
    unsafe {
        let mut out = 0x1 as *mut DfxResponse;
        let blocking = (case.blocking)(client, args, &mut out);
        if blocking != DFX_OK && blocking != DFX_ERR_API {
            assert!(out.is_null(), "{}: out_response not cleared", case.name);
        }
        dfx_response_free(out);
        let mut id = 77u64;
        let nonblocking = (case.nonblocking)(client, args, Some(counted), ptr::null_mut(), &mut id);
        if nonblocking != DFX_OK {
            assert_eq!(id, 0, "{}_async: out_request_id not cleared", case.name);
        }
        (blocking, nonblocking)
    }
}

#[test]
fn every_call_refuses_every_bad_argument_before_sending() {
    let sb = sandbox();
    let url = std::ffi::CString::new(sb.url()).unwrap();
    let mut client = ptr::null_mut();
    assert_eq!(unsafe { dfx_client_new(url.as_ptr(), &mut client) }, DFX_OK);
    let mut checked = 0;
    for case in cases() {
        let good: Vec<S> = case.args.iter().map(|_| GOOD).collect();
        unsafe {
            // NULL client: the first argument is the one named.
            let mut out = 0x1 as *mut DfxResponse;
            assert_eq!((case.blocking)(ptr::null_mut(), &good, &mut out), DFX_ERR_NULL_ARGUMENT, "{}", case.name);
            assert!(out.is_null(), "{}", case.name);
            assert!(last_error().contains("`client`"), "{}: {}", case.name, last_error());
            let mut id = 77u64;
            let st = (case.nonblocking)(ptr::null_mut(), &good, Some(counted), ptr::null_mut(), &mut id);
            assert_eq!((st, id), (DFX_ERR_NULL_ARGUMENT, 0), "{}_async", case.name);
            // NULL out_response, NULL callback.
            assert_eq!((case.blocking)(client, &good, ptr::null_mut()), DFX_ERR_NULL_ARGUMENT, "{}", case.name);
            assert!(last_error().contains("out_response"), "{}: {}", case.name, last_error());
            let st = (case.nonblocking)(client, &good, None, ptr::null_mut(), &mut id);
            assert_eq!((st, id), (DFX_ERR_NULL_ARGUMENT, 0), "{}_async", case.name);
            assert!(last_error().contains("callback"), "{}_async: {}", case.name, last_error());
        }
        for (i, kind) in case.args.iter().enumerate() {
            let with = |value: S| -> Vec<S> {
                let mut args = good.clone();
                args[i] = value;
                args
            };
            let what = format!("{} argument {i}", case.name);
            assert_eq!(both(&case, client, &with(BAD_UTF8)), (DFX_ERR_INVALID_UTF8, DFX_ERR_INVALID_UTF8), "{what}");
            assert!(last_error().contains("UTF-8"), "{what}: {}", last_error());
            if *kind == Required {
                let null = (DFX_ERR_NULL_ARGUMENT, DFX_ERR_NULL_ARGUMENT);
                assert_eq!(both(&case, client, &with(ptr::null())), null, "{what} NULL");
                let empty = (DFX_ERR_INVALID_ARGUMENT, DFX_ERR_INVALID_ARGUMENT);
                assert_eq!(both(&case, client, &with(EMPTY)), empty, "{what} empty");
                assert!(last_error().contains("empty"), "{what}: {}", last_error());
            }
            checked += 1;
        }
        if case.name == "auth_send_reset_mobile" {
            let neither = (DFX_ERR_INVALID_ARGUMENT, DFX_ERR_INVALID_ARGUMENT);
            assert_eq!(both(&case, client, &[ptr::null(), ptr::null()]), neither);
            assert_eq!(both(&case, client, &[EMPTY, EMPTY]), neither);
        }
    }
    assert_eq!(checked, 27, "every string argument was tried");
    assert!(sb.requests().is_empty(), "bad input never reaches the wire: {:?}", sb.requests());
    unsafe { dfx_client_free(client) };
    assert_eq!(CALLBACKS.load(Ordering::SeqCst), 0, "no callback runs for a refused call");
}

#[test]
fn integer_out_parameters_are_zero_on_failure() {
    unsafe {
        let mut exp = 12345i64;
        assert_eq!(dfx_token_expiry(c"not a jwt".as_ptr(), &mut exp), DFX_ERR_INVALID_ARGUMENT);
        assert_eq!(exp, 0);
        exp = 12345;
        assert_eq!(dfx_token_expiry(ptr::null(), &mut exp), DFX_ERR_NULL_ARGUMENT);
        assert_eq!(exp, 0);
        let mut client = ptr::null_mut();
        assert_eq!(dfx_client_new(c"http://127.0.0.1:1".as_ptr(), &mut client), DFX_OK);
        exp = 12345;
        assert_eq!(dfx_session_token_expiry(client, DFX_TOKEN_USER, &mut exp), DFX_ERR_INVALID_ARGUMENT);
        assert_eq!(exp, 0);
        exp = 12345;
        assert_eq!(dfx_session_token_expiry(client, 7, &mut exp), DFX_ERR_INVALID_ARGUMENT);
        assert_eq!(exp, 0);
        dfx_client_free(client);
    }
}
