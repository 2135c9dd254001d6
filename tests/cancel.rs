//! Cancelling `_async` calls in flight through the C ABI: a call that
//! changes the session is carried through in the background (its effect is
//! stored and the listener hears of it; only the callback says cancelled),
//! every other call is abandoned at once, and the cancellation message says
//! whether the request had already left.

mod common;

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use dfx::ffi::*;
use dfx_sandbox::{SANDBOX_LICENSE_KEY, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD};

fn text(p: *const c_char) -> String {
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// What a callback reports: its status and the message it saw.
type Done = (DfxStatus, String);

unsafe extern "C" fn on_done(user_data: *mut c_void, status: DfxStatus, response: *mut DfxResponse) {
    dfx_response_free(response);
    let tx = &*(user_data as *const Mutex<Sender<Done>>);
    let _ = tx.lock().unwrap().send((status, text(dfx_last_error_message())));
}

unsafe extern "C" fn on_session(user_data: *mut c_void, json: *const c_char) {
    let tx = &*(user_data as *const Mutex<Sender<String>>);
    let _ = tx.lock().unwrap().send(text(json));
}

struct Harness {
    sb: dfx_sandbox::Sandbox,
    client: *mut DfxClient,
    done_tx: Box<Mutex<Sender<Done>>>,
    done: Receiver<Done>,
    heard: Receiver<String>,
    _session_tx: Box<Mutex<Sender<String>>>,
}

impl Harness {
    fn new() -> Harness {
        let sb = sandbox();
        let url = CString::new(sb.url()).unwrap();
        let mut client = ptr::null_mut();
        assert_eq!(unsafe { dfx_client_new(url.as_ptr(), &mut client) }, DFX_OK);
        let (done_tx, done) = channel();
        let (session_tx, heard) = channel();
        let done_tx = Box::new(Mutex::new(done_tx));
        let session_tx = Box::new(Mutex::new(session_tx));
        let listener_data = &*session_tx as *const _ as *mut c_void;
        assert_eq!(unsafe { dfx_client_set_session_listener(client, Some(on_session), listener_data) }, DFX_OK);
        Harness { sb, client, done_tx, done, heard, _session_tx: session_tx }
    }

    fn user_data(&self) -> *mut c_void {
        &*self.done_tx as *const _ as *mut c_void
    }

    /// Hold answers on `path` for `ms`, start a call, cancel it once its
    /// request has reached the server, and return what its callback said.
    fn cancel_in_flight(&self, path: &str, ms: u64, start: impl FnOnce(*mut c_void, *mut u64) -> DfxStatus) -> Done {
        self.sb.clear_requests();
        self.sb.push_fault(Fault { delay_ms: ms, phase: Phase::After, ..fault(path, Action::None) });
        let mut id = 0u64;
        assert_eq!(start(self.user_data(), &mut id), DFX_OK, "{path}");
        let waited = Instant::now();
        while !self.sb.requests().iter().any(|r| r.path == path) {
            assert!(waited.elapsed() < Duration::from_secs(5), "{path} never reached the sandbox");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(unsafe { dfx_client_cancel(self.client, id) }, DFX_OK);
        self.done.recv_timeout(Duration::from_secs(5)).expect("the callback ran")
    }

    fn heard_within(&self, ms: u64) -> Option<serde_json::Value> {
        let json = self.heard.recv_timeout(Duration::from_millis(ms)).ok()?;
        Some(serde_json::from_str(&json).unwrap())
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        unsafe { dfx_client_free(self.client) };
    }
}

#[test]
fn session_changing_calls_cancelled_in_flight_still_store_their_result() {
    let h = Harness::new();
    let c = h.client;
    let (key, device_type, name, org, version) =
        (CString::new(SANDBOX_LICENSE_KEY).unwrap(), c"LINUX", c"cancel-test", c"dfxdemo", c"1.0");
    let (email, password) = (CString::new(SANDBOX_USER_EMAIL).unwrap(), CString::new(SANDBOX_USER_PASSWORD).unwrap());
    let background = |(status, message): Done, what: &str| {
        assert_eq!(status, DFX_ERR_CANCELLED, "{what}: {message}");
        assert!(message.contains("background"), "{what}: {message}");
    };

    // Register: the device pair arrives although the caller cancelled.
    let said = h.cancel_in_flight("organizations/licenses", 300, |ud, id| unsafe {
        dfx_organization_register_license_async(
            c, key.as_ptr(), device_type.as_ptr(), name.as_ptr(), org.as_ptr(), version.as_ptr(), Some(on_done), ud, id,
        )
    });
    background(said, "register");
    let session = h.heard_within(3000).expect("the listener heard of the register");
    assert!(!session["deviceToken"].as_str().unwrap().is_empty());

    // Measuring-user login.
    let said = h.cancel_in_flight("users/auth", 300, |ud, id| unsafe {
        dfx_user_login_async(c, email.as_ptr(), password.as_ptr(), ptr::null(), Some(on_done), ud, id)
    });
    background(said, "user login");
    let session = h.heard_within(3000).expect("the listener heard of the login");
    let user_token = session["userToken"].as_str().unwrap().to_owned();
    assert!(!user_token.is_empty());

    // View-only login.
    let said = h.cancel_in_flight("organizations/auth", 300, |ud, id| unsafe {
        dfx_organization_login_async(c, email.as_ptr(), password.as_ptr(), org.as_ptr(), ptr::null(), Some(on_done), ud, id)
    });
    background(said, "organization login");
    let session = h.heard_within(3000).expect("the listener heard of the org login");
    assert_ne!(session["userToken"].as_str().unwrap(), user_token);

    // An explicit renew of the pair the session holds: its new pair would be
    // stored, so it is carried through too.
    let stored = |field| unsafe {
        let mut out = ptr::null_mut();
        assert_eq!(dfx_session_get(c, field, &mut out), DFX_OK);
        let value = CString::from(CStr::from_ptr(out));
        dfx_string_free(out);
        value
    };
    let (t, r) = (stored(DFX_SESSION_USER_TOKEN), stored(DFX_SESSION_USER_REFRESH_TOKEN));
    let said = h.cancel_in_flight("auths/renew", 300, |ud, id| unsafe {
        dfx_auth_renew_async(c, t.as_ptr(), r.as_ptr(), Some(on_done), ud, id)
    });
    background(said, "explicit renew of the stored pair");
    let session = h.heard_within(3000).expect("the listener heard of the explicit renew");
    assert_ne!(session["userToken"].as_str().unwrap(), t.to_str().unwrap());

    // A renew of the stored user pair.
    let said = h.cancel_in_flight("auths/renew", 300, |ud, id| unsafe {
        dfx_session_renew_async(c, DFX_TOKEN_USER, Some(on_done), ud, id)
    });
    background(said, "stored renew");
    let renewed = h.heard_within(3000).expect("the listener heard of the renew");
    assert_ne!(renewed["userToken"], session["userToken"]);

    // Unregister: the device pair is cleared.
    let said = h.cancel_in_flight("organizations/licenses", 300, |ud, id| unsafe {
        dfx_organization_unregister_license_async(c, Some(on_done), ud, id)
    });
    background(said, "unregister");
    let session = h.heard_within(3000).expect("the listener heard of the unregister");
    assert_eq!(session["deviceToken"], "");
}

#[test]
fn other_calls_cancelled_in_flight_are_abandoned_and_say_so() {
    let h = Harness::new();
    // An explicit pair the session does not hold (it holds another one):
    // nothing would keep its new pair, so it is not waited for.
    let (held, held_refresh) = pair(&h.sb);
    let (held, held_refresh) = (CString::new(held).unwrap(), CString::new(held_refresh).unwrap());
    unsafe {
        assert_eq!(dfx_session_set(h.client, DFX_SESSION_DEVICE_TOKEN, held.as_ptr()), DFX_OK);
        assert_eq!(dfx_session_set(h.client, DFX_SESSION_DEVICE_REFRESH_TOKEN, held_refresh.as_ptr()), DFX_OK);
    }
    while h.heard_within(100).is_some() {}
    let (token, refresh) = pair(&h.sb);
    let (t, r) = (CString::new(token).unwrap(), CString::new(refresh).unwrap());
    let started = Instant::now();
    let (status, message) = h.cancel_in_flight("auths/renew", 2000, |ud, id| unsafe {
        dfx_auth_renew_async(h.client, t.as_ptr(), r.as_ptr(), Some(on_done), ud, id)
    });
    assert_eq!(status, DFX_ERR_CANCELLED);
    assert!(message.contains("after it was sent"), "{message}");
    assert!(started.elapsed() < Duration::from_millis(1500), "not waited for: {:?}", started.elapsed());
    assert!(h.heard_within(300).is_none(), "the session did not change");

    let (status, message) = h.cancel_in_flight("status", 2000, |ud, id| unsafe {
        dfx_general_status_async(h.client, Some(on_done), ud, id)
    });
    assert_eq!(status, DFX_ERR_CANCELLED);
    assert!(message.contains("after it was sent"), "{message}");

    // Cancelled while still queued behind the limit would say "before it
    // was sent"; a call cancelled before it starts does too.
    h.sb.push_fault(Fault { delay_ms: 300, ..fault("status", Action::None) });
    let mut id = 0u64;
    unsafe {
        assert_eq!(dfx_general_status_async(h.client, Some(on_done), h.user_data(), &mut id), DFX_OK);
        assert_eq!(dfx_client_cancel(h.client, id), DFX_OK);
    }
    let (status, message) = h.done.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(status, DFX_ERR_CANCELLED);
    assert!(message.contains("cancelled"), "{message}");
}
