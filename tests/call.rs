//! `dfx_call`, `dfx_call_async` and `dfx_operations_json` through the C
//! ABI, exactly as C calls them, against the sandbox: every argument error
//! (nothing sent), what reaches the wire (method, path, query, headers,
//! body, bearer), and the session effects of the token lifecycle.
//!
//! The sandbox answers the token lifecycle; for other operations these
//! tests check the recorded request and accept its 404.

mod common;

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use common::*;
use dfx::ffi::*;
use dfx_sandbox::{RecordedRequest, SANDBOX_LICENSE_KEY, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD};
use serde_json::{json, Value};

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
    client
}

/// `dfx_call(client, op, params)`: the status and, when there is one, the
/// answer's HTTP status and body.
fn call(client: *mut DfxClient, op: &str, params: Option<&Value>) -> (DfxStatus, Option<(u16, Value)>) {
    let op = CString::new(op).unwrap();
    let params = params.map(|p| CString::new(p.to_string()).unwrap());
    let mut resp = 0x1 as *mut DfxResponse;
    unsafe {
        let st = dfx_call(client, op.as_ptr(), params.as_ref().map_or(ptr::null(), |p| p.as_ptr()), &mut resp);
        if resp.is_null() {
            return (st, None);
        }
        let body = serde_json::from_str(&text(dfx_response_body(resp)).unwrap()).unwrap();
        let answer = (dfx_response_status(resp), body);
        dfx_response_free(resp);
        (st, Some(answer))
    }
}

fn session_get(client: *mut DfxClient, field: DfxSessionField) -> String {
    let mut value = ptr::null_mut();
    unsafe {
        assert_eq!(dfx_session_get(client, field, &mut value), DFX_OK);
        let out = text(value).unwrap();
        dfx_string_free(value);
        out
    }
}

fn session_set(client: *mut DfxClient, field: DfxSessionField, value: &str) {
    let value = CString::new(value).unwrap();
    assert_eq!(unsafe { dfx_session_set(client, field, value.as_ptr()) }, DFX_OK);
}

fn last_request(sb: &dfx_sandbox::Sandbox) -> RecordedRequest {
    sb.requests().pop().expect("a request reached the sandbox")
}

fn body_of(r: &RecordedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

/// Asserts `dfx_call` refuses with `status`, sends nothing, and leaves a
/// message containing every one of `words`.
fn refused(sb: &dfx_sandbox::Sandbox, client: *mut DfxClient, op: &str, params: Value, words: &[&str]) {
    let (st, answer) = call(client, op, Some(&params));
    assert_eq!(st, DFX_ERR_INVALID_ARGUMENT, "{op} {params}");
    assert!(answer.is_none());
    let msg = last_error();
    for w in words {
        assert!(msg.contains(w), "{op}: {msg:?} lacks {w:?}");
    }
    assert!(sb.requests().is_empty(), "{op}: nothing is sent");
}

#[test]
fn every_argument_error_is_synchronous_and_sends_nothing() {
    let sb = sandbox();
    let client = new_client(&sb.url());
    let data = json!({"Action": "FIRST::PROCESS", "Payload": "cGF5"});
    refused(&sb, client, "measurement.create", json!({}), &["unknown operation `measurement.create`", "measurements.create"]);
    refused(&sb, client, "auths.renw", json!({}), &["auths.renew"]);
    refused(&sb, client, "measurements.data", json!({"Id": "m", "data": data}), &["no parameter `Id`", "did you mean `id`?"]);
    refused(&sb, client, "measurements.data", json!({"data": data}), &["missing required parameter `id`"]);
    refused(&sb, client, "measurements.data", json!({"id": "m"}), &["missing required parameter `data`"]);
    refused(&sb, client, "measurements.data", json!({"id": "m", "data": {"Action": "x"}}), &["required field `Payload`"]);
    refused(&sb, client, "measurements.data", json!({"id": "m", "data": "x"}), &["`data` must be an object, not a string"]);
    refused(&sb, client, "measurements.data", json!({"id": ["m"], "data": data}), &["`id` must be a string, not an array"]);
    refused(&sb, client, "measurements.create", json!({"data": {"StudyID": "s", "Resolution": "100"}}),
        &["`data.Resolution` must be a number, not a string"]);
    refused(&sb, client, "measurements.list", json!({"data": {"limt": 1}}), &["no option `limt`", "`limit`"]);
    refused(&sb, client, "measurements.retrieve", json!({"id": "m", "tokenType": "admin"}), &["\"device\" or \"user\""]);
    refused(&sb, client, "general.status", json!([]), &["must be a JSON object"]);
    let (token, _) = pair(&sb);
    refused(&sb, client, "auths.renew", json!({"data": {"Token": token, "RefreshToken": 5}}), &["`data.RefreshToken`"]);
    assert!(!last_error().contains(&token), "values never reach a message");

    unsafe {
        let op = c"general.status".as_ptr();
        let mut resp = 0x1 as *mut DfxResponse;
        assert_eq!(dfx_call(ptr::null_mut(), op, ptr::null(), &mut resp), DFX_ERR_NULL_ARGUMENT);
        assert!(resp.is_null() && last_error().contains("client"));
        assert_eq!(dfx_call(client, ptr::null(), ptr::null(), &mut resp), DFX_ERR_NULL_ARGUMENT);
        assert!(last_error().contains("operation"));
        assert_eq!(dfx_call(client, op, ptr::null(), ptr::null_mut()), DFX_ERR_NULL_ARGUMENT);
        assert!(last_error().contains("out_response"));
        let bad = b"general.st\xffatus\0".as_ptr().cast::<c_char>();
        assert_eq!(dfx_call(client, bad, ptr::null(), &mut resp), DFX_ERR_INVALID_UTF8);
        assert!(last_error().contains("operation"));
        let bad = b"{\"x\": \"\xc3\x28\"}\0".as_ptr().cast::<c_char>();
        assert_eq!(dfx_call(client, op, bad, &mut resp), DFX_ERR_INVALID_UTF8);
        assert!(last_error().contains("params_json"));
        for broken in [c"", c"{", c"{\"id\": secret-value}", c"nul"] {
            assert_eq!(dfx_call(client, op, broken.as_ptr(), &mut resp), DFX_ERR_INVALID_ARGUMENT);
            let msg = last_error();
            assert!(msg.contains("not valid JSON") && !msg.contains("secret"), "{msg}");
            assert!(resp.is_null());
        }

        // The async form checks the same, before accepting.
        let mut id = 0u64;
        extern "C" fn never(_: *mut c_void, _: DfxStatus, _: *mut DfxResponse) {
            panic!("the callback of a refused call ran");
        }
        let cb: DfxCallback = Some(never);
        assert_eq!(dfx_call_async(ptr::null_mut(), op, ptr::null(), cb, ptr::null_mut(), &mut id), DFX_ERR_NULL_ARGUMENT);
        assert_eq!(dfx_call_async(client, ptr::null(), ptr::null(), cb, ptr::null_mut(), &mut id), DFX_ERR_NULL_ARGUMENT);
        assert_eq!(dfx_call_async(client, op, ptr::null(), None, ptr::null_mut(), &mut id), DFX_ERR_NULL_ARGUMENT);
        assert!(last_error().contains("callback"));
        let misspelt = c"measurements.lst".as_ptr();
        assert_eq!(dfx_call_async(client, misspelt, ptr::null(), cb, ptr::null_mut(), &mut id), DFX_ERR_INVALID_ARGUMENT);
        assert!(last_error().contains("measurements.list"));
        let params = c"{\"id\": 1}".as_ptr();
        assert_eq!(dfx_call_async(client, c"measurements.delete".as_ptr(), params, cb, ptr::null_mut(), &mut id), DFX_ERR_INVALID_ARGUMENT);
        assert_eq!(dfx_call_async(client, bad_utf8(), ptr::null(), cb, ptr::null_mut(), &mut id), DFX_ERR_INVALID_UTF8);
        dfx_client_free(client);
    }
    assert!(sb.requests().is_empty(), "bad input never reaches the wire");
}

fn bad_utf8() -> *const c_char {
    b"\xc3\x28\0".as_ptr().cast()
}

#[test]
fn paths_queries_headers_and_bodies_reach_the_wire_as_the_row_says() {
    let sb = sandbox();
    let client = new_client(&sb.url());
    session_set(client, DFX_SESSION_DEVICE_TOKEN, "device-tok");
    session_set(client, DFX_SESSION_USER_TOKEN, "user-tok");

    // A path value with reserved characters, a body passed through as given.
    let data = json!({"Action": "FIRST::PROCESS", "Payload": "cGF5bG9hZA==", "ChunkOrder": 1});
    let (st, answer) = call(client, "measurements.data", Some(&json!({"id": "m/1 ?#%é", "data": data})));
    assert_eq!((st, answer.unwrap().0), (DFX_ERR_API, 404));
    let r = last_request(&sb);
    assert_eq!((r.method.as_str(), r.path.as_str(), r.query.as_deref()), ("POST", "measurements/m%2F1%20%3F%23%25%C3%A9/data", None));
    assert_eq!(r.body, data.to_string().as_bytes(), "the caller's object, in its order");
    assert_eq!(r.header("authorization"), Some("Bearer user-tok"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("user-agent"), Some(concat!("dfx/", env!("CARGO_PKG_VERSION"))));
    assert_eq!(r.header("x-nura-session"), None);

    // Query options: the API's keys, encoded, only those given, in the row's order.
    let params = json!({"data": {"limit": 10, "statusId": "A&B=C +", "studyId": null, "sortOrder": "DESC"}});
    call(client, "measurements.list", Some(&params));
    let r = last_request(&sb);
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "measurements"));
    assert_eq!(r.query.as_deref(), Some("StatusID=A%26B%3DC%20%2B&Limit=10&SortOrder=DESC"));
    assert!(r.body.is_empty(), "no body on a GET");
    call(client, "measurements.list", None);
    assert_eq!(last_request(&sb).query, None, "no bare ?");
    call(client, "studies.types", Some(&json!({"statusId": "ACTIVE"})));
    assert_eq!(last_request(&sb).query.as_deref(), Some("StatusID=ACTIVE"));
    call(client, "organizations.retrieveMeasurement", Some(&json!({"measurementId": "m2", "expandResults": true})));
    let r = last_request(&sb);
    assert_eq!((r.path.as_str(), r.query.as_deref()), ("organizations/measurements/m2", Some("ExpandResults=true")));

    // Body fields from plain arguments; DELETE with a body.
    call(client, "users.sendReset", Some(&json!({"email": "a+b@example.com", "identifier": "org"})));
    let r = last_request(&sb);
    assert_eq!((r.method.as_str(), r.path.as_str()), ("PATCH", "users/sendreset"));
    assert_eq!(body_of(&r), json!({"Email": "a+b@example.com", "Identifier": "org"}));
    call(client, "templates.deleteConfigFile", Some(&json!({"StudyTemplateID": "t1", "SDKID": "s1"})));
    let r = last_request(&sb);
    assert_eq!((r.method.as_str(), r.path.as_str()), ("DELETE", "sdkconfig"));
    assert_eq!(body_of(&r), json!({"StudyTemplateID": "t1", "SDKID": "s1"}));

    // Bearers: the row's kind; tokenType picks; its default; explicit; none.
    call(client, "measurements.retrieve", Some(&json!({"id": "m3", "tokenType": "device"})));
    assert_eq!(last_request(&sb).header("authorization"), Some("Bearer device-tok"));
    call(client, "measurements.retrieve", Some(&json!({"id": "m3"})));
    assert_eq!(last_request(&sb).header("authorization"), Some("Bearer user-tok"), "the row's default");
    call(client, "profiles.create", Some(&json!({"data": {"Name": "n", "Email": "e"}})));
    assert_eq!(last_request(&sb).header("authorization"), Some("Bearer device-tok"));
    call(client, "general.regions", None);
    assert_eq!(last_request(&sb).header("authorization"), None);
    let (st, answer) = call(client, "general.status", Some(&json!({})));
    assert_eq!((st, answer.unwrap().1["StatusID"].as_str()), (DFX_OK, Some("ACTIVE")));
    let (device, _) = sb.create_pair(TokenKind::Device, 3600);
    let (st, answer) = call(client, "general.verifyToken", Some(&json!({"token": device})));
    assert_eq!(st, DFX_OK);
    assert_eq!(last_request(&sb).header("authorization"), Some(format!("Bearer {device}").as_str()));
    assert!(answer.unwrap().1.get("exp").is_some());

    // The corrected rows.
    call(client, "auths.requestLoginCode", Some(&json!({"data": {"PhoneNumber": "+1", "Identifier": "nope"}})));
    let r = last_request(&sb);
    assert_eq!((r.method.as_str(), r.path.as_str()), ("PATCH", "auths/users/code"));
    assert_eq!(r.header("authorization"), Some("Bearer device-tok"));
    call(client, "devices.list", Some(&json!({"data": {"deviceTypeID": "LINUX"}})));
    assert_eq!(last_request(&sb).query.as_deref(), Some("DeviceTypeID=LINUX"));
    unsafe { dfx_client_free(client) };
}

type Log = Arc<Mutex<Vec<Value>>>;

unsafe extern "C" fn on_session(user_data: *mut c_void, json: *const c_char) {
    let log = &*(user_data as *const Mutex<Vec<Value>>);
    log.lock().unwrap().push(serde_json::from_str(&text(json).unwrap()).unwrap());
}

fn listened(client: *mut DfxClient) -> Log {
    let log: Log = Arc::default();
    let data = Arc::as_ptr(&log) as *mut c_void;
    assert_eq!(unsafe { dfx_client_set_session_listener(client, Some(on_session), data) }, DFX_OK);
    log
}

#[test]
fn session_effects_come_from_the_table() {
    let sb = sandbox();
    let client = new_client(&sb.url());
    let log = listened(client);
    let heard = |log: &Log| log.lock().unwrap().last().cloned().unwrap_or(Value::Null);

    // Register, with enableSession: the header, then the device part stored
    // (listener called) before dfx_call returns.
    let license = json!({"Key": SANDBOX_LICENSE_KEY, "DeviceTypeID": "LINUX", "Name": "kiosk",
        "Identifier": "dfxdemo", "Version": "1.0", "TokenExpiresIn": 3600});
    let (st, answer) = call(client, "organizations.registerLicense", Some(&json!({"data": license, "enableSession": true})));
    assert_eq!(st, DFX_OK, "{}", last_error());
    let answer = answer.unwrap().1;
    assert_eq!(last_request(&sb).header("x-nura-session"), Some("true"));
    assert_eq!(last_request(&sb).header("authorization"), None);
    assert_eq!(body_of(&last_request(&sb))["TokenExpiresIn"], 3600, "optional fields pass through");
    assert_eq!(session_get(client, DFX_SESSION_DEVICE_TOKEN), answer["Token"].as_str().unwrap());
    assert_eq!(session_get(client, DFX_SESSION_DEVICE_ID), answer["DeviceID"].as_str().unwrap());
    assert_eq!(heard(&log)["deviceRefreshToken"], answer["RefreshToken"]);

    // users.login: the device token as bearer; the user pair stored.
    let login = json!({"data": {"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD}});
    let (st, answer) = call(client, "users.login", Some(&login));
    assert_eq!(st, DFX_OK, "{}", last_error());
    let device_token = session_get(client, DFX_SESSION_DEVICE_TOKEN);
    assert_eq!(last_request(&sb).header("authorization"), Some(format!("Bearer {device_token}").as_str()));
    let user = answer.unwrap().1;
    assert_eq!(session_get(client, DFX_SESSION_USER_TOKEN), user["Token"].as_str().unwrap());
    assert_eq!(heard(&log)["userToken"], user["Token"]);

    // Renew the stored device pair: the bearer is the token renewed; the
    // new pair replaces the stored one, listener first.
    let old = (device_token.clone(), session_get(client, DFX_SESSION_DEVICE_REFRESH_TOKEN));
    let before = log.lock().unwrap().len();
    let params = json!({"data": {"Token": old.0, "RefreshToken": old.1}, "tokenType": "device"});
    let (st, answer) = call(client, "auths.renew", Some(&params));
    assert_eq!(st, DFX_OK, "{}", last_error());
    assert_eq!(last_request(&sb).header("authorization"), Some(format!("Bearer {}", old.0).as_str()));
    let renewed = answer.unwrap().1;
    assert_eq!(session_get(client, DFX_SESSION_DEVICE_TOKEN), renewed["Token"].as_str().unwrap());
    assert_eq!(session_get(client, DFX_SESSION_DEVICE_REFRESH_TOKEN), renewed["RefreshToken"].as_str().unwrap());
    assert_eq!(log.lock().unwrap().len(), before + 1, "heard once");
    assert_eq!(heard(&log)["deviceToken"], renewed["Token"]);

    // The spent pair again: the API refuses, the session keeps the new pair.
    let (st, answer) = call(client, "auths.renew", Some(&params));
    assert_eq!((st, answer.unwrap().0), (DFX_ERR_API, 401));
    assert_eq!(session_get(client, DFX_SESSION_DEVICE_TOKEN), renewed["Token"].as_str().unwrap());

    // A pair the session does not hold is renewed and not stored.
    let (t, r) = pair(&sb);
    let heard_before = log.lock().unwrap().len();
    let (st, _) = call(client, "auths.renew", Some(&json!({"data": {"Token": t, "RefreshToken": r}})));
    assert_eq!(st, DFX_OK);
    assert_eq!(log.lock().unwrap().len(), heard_before);

    // organizations.login: no bearer, the user pair replaced.
    let login = json!({"data": {"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD, "Identifier": "dfxdemo"}});
    let (st, answer) = call(client, "organizations.login", Some(&login));
    assert_eq!(st, DFX_OK, "{}", last_error());
    assert_eq!(last_request(&sb).header("authorization"), None);
    assert_eq!(session_get(client, DFX_SESSION_USER_TOKEN), answer.unwrap().1["Token"].as_str().unwrap());

    // users.logout (the sandbox does not know it: a stand-in 200) clears the user pair.
    sb.push_fault(status_fault("users/auth", 200, "{\"success\":true}", Some("application/json")));
    let (st, _) = call(client, "users.logout", None);
    assert_eq!(st, DFX_OK, "{}", last_error());
    assert_eq!(last_request(&sb).method, "DELETE");
    assert_eq!(session_get(client, DFX_SESSION_USER_TOKEN), "");
    assert_eq!(heard(&log)["userRefreshToken"], "");

    // Unregister: the device token as bearer (the corrected row); the device part cleared.
    let device_token = session_get(client, DFX_SESSION_DEVICE_TOKEN);
    let (st, _) = call(client, "organizations.unregisterLicense", Some(&json!({})));
    assert_eq!(st, DFX_OK, "{}", last_error());
    let r = last_request(&sb);
    assert_eq!((r.method.as_str(), r.path.as_str()), ("DELETE", "organizations/licenses"));
    assert_eq!(r.header("authorization"), Some(format!("Bearer {device_token}").as_str()));
    for field in [DFX_SESSION_DEVICE_TOKEN, DFX_SESSION_DEVICE_REFRESH_TOKEN, DFX_SESSION_DEVICE_ID, DFX_SESSION_USER_ID] {
        assert_eq!(session_get(client, field), "");
    }
    assert_eq!(heard(&log)["deviceToken"], "");

    // A failed login stores nothing.
    let calls = log.lock().unwrap().len();
    let bad = json!({"data": {"Email": SANDBOX_USER_EMAIL, "Password": "wrong", "Identifier": "dfxdemo"}});
    let (st, answer) = call(client, "organizations.login", Some(&bad));
    assert_eq!((st, answer.unwrap().0), (DFX_ERR_API, 401));
    assert_eq!(log.lock().unwrap().len(), calls);

    // A renew of a stored pair whose answer is lost: outcome unknown,
    // nothing stored, the listener not called.
    let (t, r) = sb.create_pair(TokenKind::User, 3600);
    session_set(client, DFX_SESSION_USER_TOKEN, &t);
    session_set(client, DFX_SESSION_USER_REFRESH_TOKEN, &r);
    let calls = log.lock().unwrap().len();
    sb.push_fault(Fault { phase: Phase::After, ..fault("auths/renew", Action::Drop) });
    let (st, answer) = call(client, "auths.renew", Some(&json!({"data": {"Token": t, "RefreshToken": r}})));
    assert_eq!((st, answer.is_none()), (DFX_ERR_OUTCOME_UNKNOWN, true));
    assert_eq!((session_get(client, DFX_SESSION_USER_TOKEN), log.lock().unwrap().len()), (t, calls));
    unsafe { dfx_client_free(client) };
    drop(log);
}

type Done = mpsc::Sender<(DfxStatus, Option<Value>)>;

unsafe extern "C" fn on_done(user_data: *mut c_void, status: DfxStatus, response: *mut DfxResponse) {
    let tx = Box::from_raw(user_data as *mut Done);
    let body = text(dfx_response_body(response)).map(|b| serde_json::from_str(&b).unwrap());
    dfx_response_free(response);
    tx.send((status, body)).unwrap();
}

fn call_async(client: *mut DfxClient, op: &CStr, params: &Value) -> (DfxStatus, Option<Value>) {
    let (tx, rx) = mpsc::channel();
    let params = CString::new(params.to_string()).unwrap();
    let data = Box::into_raw(Box::new(tx)) as *mut c_void;
    let mut id = 0;
    let st = unsafe { dfx_call_async(client, op.as_ptr(), params.as_ptr(), Some(on_done), data, &mut id) };
    assert_eq!(st, DFX_OK, "{}", last_error());
    assert_ne!(id, 0);
    rx.recv().unwrap()
}

#[test]
fn the_async_form_reaches_the_wire_and_stores_the_session() {
    let sb = sandbox();
    let client = new_client(&sb.url());
    let log = listened(client);
    let (t, r) = pair(&sb);
    session_set(client, DFX_SESSION_DEVICE_TOKEN, &t);
    session_set(client, DFX_SESSION_DEVICE_REFRESH_TOKEN, &r);
    let (st, body) = call_async(client, c"auths.renew", &json!({"data": {"Token": t, "RefreshToken": r}}));
    assert_eq!(st, DFX_OK);
    let body = body.unwrap();
    assert_eq!(session_get(client, DFX_SESSION_DEVICE_TOKEN), body["Token"].as_str().unwrap());
    assert_eq!(log.lock().unwrap().last().unwrap()["deviceToken"], body["Token"]);

    let (st, body) = call_async(client, c"studies.retrieve", &json!({"studyId": "s 1"}));
    assert_eq!((st, body.is_some()), (DFX_ERR_API, true));
    let r = last_request(&sb);
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "studies/s%201"));
    unsafe { dfx_client_free(client) };
}

#[test]
fn the_table_as_json_is_static_and_complete() {
    let p = dfx_operations_json();
    assert!(!p.is_null());
    assert_eq!(p, dfx_operations_json(), "the same pointer every time");
    let ops: Vec<Value> = serde_json::from_str(&text(p).unwrap()).unwrap();
    assert_eq!(ops.len(), 133);
    for op in &ops {
        let name = op["operation"].as_str().unwrap();
        assert_eq!(format!("{}.{}", op["group"].as_str().unwrap(), op["method"].as_str().unwrap()), name);
        assert!(["GET", "POST", "PATCH", "DELETE"].contains(&op["http_method"].as_str().unwrap()), "{name}");
        let bearer = op["bearer"].as_str().unwrap();
        assert!(["none", "device", "user", "user_else_device", "explicit", "token_type"].contains(&bearer), "{name}");
        for p in op["params"].as_array().unwrap() {
            let kind = p["in"].as_str().unwrap();
            assert!(["path", "body", "query", "query_value", "body_field", "bearer", "token_type", "session_flag"]
                .contains(&kind), "{name}");
        }
    }
    let renew = ops.iter().find(|o| o["operation"] == "auths.renew").unwrap();
    assert_eq!(renew["session_effect"], "renew");
    assert!(renew["correction"].as_str().unwrap().contains("token being renewed") || renew["correction"].as_str().unwrap().contains("Token being renewed"));
    let effects: Vec<&str> = ops.iter().filter_map(|o| o["session_effect"].as_str()).collect();
    assert_eq!(effects.len(), 7, "{effects:?}");
}
