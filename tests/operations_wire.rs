//! Issue 12's proof: every operation of the endpoint table goes through the
//! C ABI's `dfx_call` (a sample through `dfx_call_async`) to the sandbox,
//! and what reached the wire — method, path, query, Authorization,
//! Content-Type, User-Agent, x-nura-session, body — is compared with
//! `tests/fixtures/expected_requests.json`.
//!
//! That fixture was written from `endpoints.json` and NOTES.md, not from
//! the client's table, so a row and its expectation are never one value
//! read twice. Each case runs against a fresh sandbox, after registering
//! the seed licence and logging the seed user in, so the device and user
//! tokens are distinct and known; an operation with a lasting effect
//! (logout, unregister, remove) cannot disturb the next case.

#[allow(unused_imports)] // Phase: the shared set-up's, unused here
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use dfx::ffi::*;
use dfx_sandbox::{RecordedRequest, SANDBOX_LICENSE_KEY, SANDBOX_ORG_IDENTIFIER, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD};
use serde_json::Value;

const FIXTURE: &str = include_str!("fixtures/expected_requests.json");
/// endpoints.json's count (issue 12: "all 133 calls").
const OPERATIONS: usize = 133;

// -- the fixture ---------------------------------------------------------------

#[derive(Clone, Debug)]
struct Expect {
    method: String,
    path: String,
    query: Option<String>,
    /// `none`, `device`, `user` or `explicit:<token>`.
    authorization: String,
    headers: BTreeMap<String, String>,
    body: Option<Value>,
}

#[derive(Clone, Debug)]
struct Case {
    operation: String,
    params: Option<Value>,
    expect: Expect,
}

impl Case {
    fn label(&self) -> String {
        let params = self.params.as_ref().map_or("NULL".to_owned(), Value::to_string);
        format!("{} {}", self.operation, params)
    }
}

fn string(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("fixture: `{key}` must be a string in {v}")).to_owned()
}

fn cases() -> Vec<Case> {
    let doc: Value = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
    doc["cases"]
        .as_array()
        .expect("fixture: `cases` is an array")
        .iter()
        .map(|c| {
            let e = &c["expect"];
            let keys: BTreeSet<&str> = e.as_object().expect("fixture: `expect` object").keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                BTreeSet::from(["method", "path", "query", "authorization", "headers", "body"]),
                "fixture: every expectation spells out every part ({c})"
            );
            let params = match &c["params"] {
                Value::Null => None,
                p @ Value::Object(_) => Some(p.clone()),
                other => panic!("fixture: params must be an object or null, not {other}"),
            };
            Case {
                operation: string(c, "operation"),
                params,
                expect: Expect {
                    method: string(e, "method"),
                    path: string(e, "path"),
                    query: e["query"].as_str().map(str::to_owned),
                    authorization: string(e, "authorization"),
                    headers: e["headers"]
                        .as_object()
                        .expect("fixture: headers object")
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().expect("fixture: header values are strings").to_owned()))
                        .collect(),
                    body: (!e["body"].is_null()).then(|| e["body"].clone()),
                },
            }
        })
        .collect()
}

// -- the session's tokens and the fixture's placeholders -----------------------

#[derive(Clone, Debug)]
struct Tokens {
    device: String,
    device_refresh: String,
    user: String,
    user_refresh: String,
}

impl Tokens {
    fn placeholder(&self, text: &str) -> Option<&str> {
        match text {
            "$deviceToken" => Some(&self.device),
            "$deviceRefreshToken" => Some(&self.device_refresh),
            "$userToken" => Some(&self.user),
            "$userRefreshToken" => Some(&self.user_refresh),
            _ => None,
        }
    }

    fn fill(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.placeholder(s).unwrap_or(s).to_owned()),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.fill(x)).collect()),
            Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), self.fill(x))).collect()),
            other => other.clone(),
        }
    }

    fn fill_expect(&self, e: &Expect) -> Expect {
        let mut e = e.clone();
        if let Some(token) = e.authorization.strip_prefix("explicit:") {
            e.authorization = format!("explicit:{}", self.placeholder(token).unwrap_or(token));
        }
        e.body = e.body.map(|b| self.fill(&b));
        e
    }

    /// What an Authorization value is, in words that never show a token.
    fn describe(&self, header: Option<&str>) -> String {
        match header {
            None => "no Authorization header".into(),
            Some(h) if h == format!("Bearer {}", self.device) => "the session's device token".into(),
            Some(h) if h == format!("Bearer {}", self.user) => "the session's user token".into(),
            Some(h) if h.starts_with("Bearer ") => format!("another bearer ({} characters)", h.len() - 7),
            Some(_) => "a value that is not `Bearer <token>`".into(),
        }
    }
}

// -- the comparison ---------------------------------------------------------------

/// Every difference between the expectation (placeholders filled) and the
/// recorded request; empty when they agree. Messages never hold tokens.
fn mismatches(expect: &Expect, got: &RecordedRequest, tokens: &Tokens, user_agent: &str) -> Vec<String> {
    let mut out = Vec::new();
    if got.method != expect.method {
        out.push(format!("method: expected {}, sent {}", expect.method, got.method));
    }
    if got.path != expect.path {
        out.push(format!("path: expected {:?}, sent {:?}", expect.path, got.path));
    }
    if got.query != expect.query {
        out.push(format!("query: expected {:?}, sent {:?}", expect.query, got.query));
    }
    let auth = got.header("authorization");
    let wanted = match expect.authorization.as_str() {
        "none" => None,
        "device" => Some(format!("Bearer {}", tokens.device)),
        "user" => Some(format!("Bearer {}", tokens.user)),
        other => match other.strip_prefix("explicit:") {
            Some(token) => Some(format!("Bearer {token}")),
            None => panic!("fixture: unknown authorization kind {other:?}"),
        },
    };
    if auth != wanted.as_deref() {
        out.push(format!(
            "authorization: expected {} ({}), sent {}",
            tokens.describe(wanted.as_deref()),
            expect.authorization.split(':').next().unwrap_or_default(),
            tokens.describe(auth)
        ));
    }
    if got.headers.iter().filter(|(n, _)| n == "authorization").count() > 1 {
        out.push("authorization: sent more than once".into());
    }
    for (name, value) in &expect.headers {
        if got.header(name) != Some(value.as_str()) {
            out.push(format!("header {name}: expected {value:?}, sent {:?}", got.header(name)));
        }
    }
    if !expect.headers.contains_key("x-nura-session") && got.header("x-nura-session").is_some() {
        out.push("header x-nura-session: sent, but enableSession was not given".into());
    }
    if got.header("user-agent") != Some(user_agent) {
        out.push(format!("header user-agent: expected {user_agent:?}, sent {:?}", got.header("user-agent")));
    }
    match (&expect.body, got.body.is_empty()) {
        (None, true) => {}
        (None, false) => out.push(format!("body: expected none, sent {} bytes", got.body.len())),
        (Some(_), true) => out.push("body: expected JSON, sent none".into()),
        (Some(want), false) => match serde_json::from_slice::<Value>(&got.body) {
            Ok(sent) if &sent == want => {}
            Ok(sent) => out.push(format!("body: expected {want}, sent {}", tokens_hidden(&sent, tokens))),
            Err(e) => out.push(format!("body: not JSON ({e})")),
        },
    }
    out
}

/// A JSON value with the session's tokens replaced by their placeholder names.
fn tokens_hidden(v: &Value, t: &Tokens) -> Value {
    match v {
        Value::String(s) => {
            let named = [
                (&t.device, "$deviceToken"),
                (&t.device_refresh, "$deviceRefreshToken"),
                (&t.user, "$userToken"),
                (&t.user_refresh, "$userRefreshToken"),
            ];
            let name = named.iter().find(|(value, _)| *value == s).map(|(_, n)| *n);
            Value::String(name.map_or_else(|| s.clone(), str::to_owned))
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| tokens_hidden(x, t)).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), tokens_hidden(x, t))).collect()),
        other => other.clone(),
    }
}

// -- the C ABI, called as C calls it -----------------------------------------------

fn text(p: *const c_char) -> Option<String> {
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
}

fn last_error() -> String {
    text(dfx_last_error_message()).unwrap_or_default()
}

fn status_name(status: DfxStatus) -> String {
    text(dfx_status_name(status)).unwrap()
}

fn user_agent() -> String {
    format!("dfx/{}", text(dfx_version()).unwrap())
}

fn operations_json() -> String {
    #[allow(unused_unsafe)]
    let p = unsafe { dfx_operations_json() };
    text(p).expect("dfx_operations_json() is not NULL")
}

/// A client on a fresh sandbox with the seed licence registered and the seed
/// user logged in (the typed calls, not dfx_call), and that session's tokens.
struct Session {
    sb: Sandbox,
    client: *mut DfxClient,
    tokens: Tokens,
}

impl Drop for Session {
    fn drop(&mut self) {
        unsafe { dfx_client_free(self.client) };
    }
}

fn session_field(client: *mut DfxClient, field: DfxSessionField) -> String {
    let mut out = ptr::null_mut();
    unsafe {
        assert_eq!(dfx_session_get(client, field, &mut out), DFX_OK);
        let value = text(out).unwrap();
        dfx_string_free(out);
        value
    }
}

fn session() -> Session {
    let sb = sandbox();
    let url = CString::new(sb.url()).unwrap();
    let mut client = ptr::null_mut();
    let c = |s: &str| CString::new(s).unwrap();
    unsafe {
        assert_eq!(dfx_client_new(url.as_ptr(), &mut client), DFX_OK);
        dfx_client_set_timeout_ms(client, 10_000);
        let mut resp = ptr::null_mut();
        let (key, org) = (c(SANDBOX_LICENSE_KEY), c(SANDBOX_ORG_IDENTIFIER));
        let st = dfx_organization_register_license(
            client, key.as_ptr(), c"LINUX".as_ptr(), c"walk".as_ptr(), org.as_ptr(), c"1.0".as_ptr(), &mut resp,
        );
        assert_eq!(st, DFX_OK, "set-up: register the seed licence: {}", last_error());
        dfx_response_free(resp);
        let (email, password) = (c(SANDBOX_USER_EMAIL), c(SANDBOX_USER_PASSWORD));
        let st = dfx_user_login(client, email.as_ptr(), password.as_ptr(), ptr::null(), &mut resp);
        assert_eq!(st, DFX_OK, "set-up: log the seed user in: {}", last_error());
        dfx_response_free(resp);
    }
    let tokens = Tokens {
        device: session_field(client, DFX_SESSION_DEVICE_TOKEN),
        device_refresh: session_field(client, DFX_SESSION_DEVICE_REFRESH_TOKEN),
        user: session_field(client, DFX_SESSION_USER_TOKEN),
        user_refresh: session_field(client, DFX_SESSION_USER_REFRESH_TOKEN),
    };
    let all = [&tokens.device, &tokens.device_refresh, &tokens.user, &tokens.user_refresh];
    assert!(all.iter().all(|t| !t.is_empty()), "set-up: both pairs stored");
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 4, "set-up: four distinct tokens, so kinds can be told apart");
    sb.clear_requests();
    Session { sb, client, tokens }
}

/// The params JSON of a case with the session's tokens filled in (None: NULL).
fn params_json(case: &Case, tokens: &Tokens) -> Option<CString> {
    case.params.as_ref().map(|p| CString::new(tokens.fill(p).to_string()).unwrap())
}

/// dfx_call; the HTTP status of the answer, or the failure.
fn call(s: &Session, case: &Case) -> Result<u16, String> {
    let op = CString::new(case.operation.as_str()).unwrap();
    let params = params_json(case, &s.tokens);
    let mut resp = ptr::dangling_mut::<DfxResponse>(); // garbage in: dfx_call must set it
    let status = unsafe {
        dfx_call(s.client, op.as_ptr(), params.as_ref().map_or(ptr::null(), |p| p.as_ptr()), &mut resp)
    };
    finish(status, resp)
}

/// A dfx_call(_async) outcome: DFX_OK and DFX_ERR_API hand out a response
/// (freed here); anything else means the call did not get an answer.
fn finish(status: DfxStatus, resp: *mut DfxResponse) -> Result<u16, String> {
    if status != DFX_OK && status != DFX_ERR_API {
        return Err(format!("{}: {}", status_name(status), last_error()));
    }
    if resp.is_null() {
        return Err(format!("{} without a response", status_name(status)));
    }
    let http = unsafe { dfx_response_status(resp) };
    unsafe { dfx_response_free(resp) };
    let two_xx = (200..300).contains(&http);
    if (status == DFX_OK) != two_xx {
        return Err(format!("{} with HTTP {http}", status_name(status)));
    }
    Ok(http)
}

/// Compare the one request the call sent; a list of problems.
fn check_wire(s: &Session, case: &Case) -> Vec<String> {
    let sent = s.sb.requests();
    if sent.len() != 1 {
        let lines: Vec<String> = sent.iter().map(|r| format!("{} {}", r.method, r.path)).collect();
        return vec![format!("expected exactly one request on the wire, got {}: {lines:?}", sent.len())];
    }
    mismatches(&s.tokens.fill_expect(&case.expect), &sent[0], &s.tokens, &user_agent())
}

// -- (a) the fixture covers the table and the table covers the fixture -----------

#[test]
fn the_fixture_and_the_table_list_the_same_133_operations() {
    let table: Value = serde_json::from_str(&operations_json()).expect("dfx_operations_json() is JSON");
    let rows = table.as_array().expect("dfx_operations_json() is an array");
    let names: Vec<&str> = rows.iter().map(|r| r["operation"].as_str().expect("each row names its operation")).collect();
    let table_ops: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(names.len(), table_ops.len(), "no operation listed twice");
    assert_eq!(table_ops.len(), OPERATIONS);

    let cases = cases();
    let fixture_ops: BTreeSet<&str> = cases.iter().map(|c| c.operation.as_str()).collect();
    assert_eq!(fixture_ops.len(), OPERATIONS);
    let untested: Vec<_> = table_ops.difference(&fixture_ops).collect();
    let unknown: Vec<_> = fixture_ops.difference(&table_ops).collect();
    assert!(untested.is_empty() && unknown.is_empty(), "in the table only: {untested:?}; in the fixture only: {unknown:?}");

    // A static string: the same pointer every time, never freed by the caller.
    #[allow(unused_unsafe)]
    let (a, b) = unsafe { (dfx_operations_json(), dfx_operations_json()) };
    assert_eq!(a, b);
}

// -- (b) every case through dfx_call ---------------------------------------------

#[test]
fn every_operation_reaches_the_wire_as_the_fixture_expects() {
    let cases = cases();
    let mut failures = Vec::new();
    let mut answered = BTreeMap::<u16, usize>::new();
    for case in &cases {
        let s = session();
        let mut problems = Vec::new();
        match call(&s, case) {
            Ok(http) => *answered.entry(http).or_default() += 1,
            Err(e) => problems.push(format!("call: {e}")),
        }
        problems.extend(check_wire(&s, case));
        if !problems.is_empty() {
            failures.push(format!("{}\n    {}", case.label(), problems.join("\n    ")));
        }
    }
    eprintln!("{} cases through dfx_call; HTTP statuses of the sandbox's answers: {answered:?}", cases.len());
    assert!(failures.is_empty(), "{} of {} cases differ from the fixture:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

// -- (c) a sample through dfx_call_async --------------------------------------------

/// The operations sent through dfx_call_async: one of each bearer kind,
/// corrections, the session flag, encodings, bodies, no body.
const ASYNC_SAMPLE: [(&str, usize); 12] = [
    ("general.status", 0),
    ("general.verifyToken", 0),
    ("auths.renew", 1),
    ("auths.requestLoginCode", 0),
    ("organizations.registerLicense", 1),
    ("organizations.unregisterLicense", 0),
    ("users.createTwoFactorAuthSecret", 0),
    ("measurements.create", 0),
    ("measurements.data", 1),
    ("measurements.list", 1),
    ("measurements.retrieve", 2),
    ("templates.deleteConfigFile", 0),
];

/// What a callback saw: the status, the response (as an address, to cross
/// threads) and dfx_last_error_message() on the callback's thread.
type Done = mpsc::Sender<(DfxStatus, usize, String)>;

unsafe extern "C" fn on_done(user_data: *mut c_void, status: DfxStatus, response: *mut DfxResponse) {
    let tx = &*(user_data as *const Done);
    tx.send((status, response as usize, last_error())).expect("the test waits for every callback");
}

fn pick<'a>(cases: &'a [Case], operation: &str, nth: usize) -> &'a Case {
    cases
        .iter()
        .filter(|c| c.operation == operation)
        .nth(nth)
        .unwrap_or_else(|| panic!("the fixture has no case #{nth} of {operation}"))
}

#[test]
fn a_sample_through_dfx_call_async_reaches_the_wire_as_expected() {
    let cases = cases();
    let mut failures = Vec::new();
    for (operation, nth) in ASYNC_SAMPLE {
        let case = pick(&cases, operation, nth);
        let s = session();
        let op = CString::new(case.operation.as_str()).unwrap();
        let params = params_json(case, &s.tokens);
        let (tx, rx) = mpsc::channel();
        let done: Box<Done> = Box::new(tx);
        let mut id = u64::MAX;
        let st = unsafe {
            dfx_call_async(
                s.client,
                op.as_ptr(),
                params.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
                Some(on_done),
                (&*done as *const Done).cast_mut().cast(),
                &mut id,
            )
        };
        assert_eq!(st, DFX_OK, "{}: dfx_call_async refused it: {}", case.label(), last_error());
        assert_ne!(id, u64::MAX, "{}: the request id is written", case.label());
        let (status, resp, message) = rx.recv_timeout(Duration::from_secs(20)).expect("the callback runs");
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err(), "the callback runs exactly once");
        drop(done);
        let mut problems = Vec::new();
        if let Err(e) = finish(status, resp as *mut DfxResponse) {
            problems.push(format!("callback: {e} {message}"));
        }
        problems.extend(check_wire(&s, case));
        if !problems.is_empty() {
            failures.push(format!("{} (async)\n    {}", case.label(), problems.join("\n    ")));
        }
    }
    assert!(failures.is_empty(), "async sample differs from the fixture:\n{}", failures.join("\n"));
}

// -- (d) the comparison is not vacuous ---------------------------------------------

/// Real requests sent by dfx_call, compared with deliberately wrong
/// expectations, and wrong requests (the JavaScript client's own wire
/// forms among them) compared with the right expectations: each must be
/// caught, naming the part that differs.
#[test]
fn the_comparison_catches_a_wrong_row() {
    let cases = cases();
    let ua = user_agent();

    // One real request per interesting case, with the session it ran in.
    let sent = |operation: &str, nth: usize| {
        let case = pick(&cases, operation, nth).clone();
        let s = session();
        call(&s, &case).unwrap_or_else(|e| panic!("{}: {e}", case.label()));
        let req = s.sb.requests().pop().expect("the call reached the wire");
        let expect = s.tokens.fill_expect(&case.expect);
        (expect, req, s)
    };
    let caught = |what: &str, expect: &Expect, req: &RecordedRequest, s: &Session, part: &str| {
        let found = mismatches(expect, req, &s.tokens, &ua);
        assert!(
            found.iter().any(|m| m.starts_with(part)),
            "{what}: a difference in `{part}` went unnoticed (found {found:?})"
        );
        for m in &found {
            for t in [&s.tokens.device, &s.tokens.user, &s.tokens.device_refresh, &s.tokens.user_refresh] {
                assert!(!m.contains(t.as_str()), "{what}: a message shows a token");
            }
        }
    };

    // measurements.data: path value, body, user bearer.
    let (expect, req, s) = sent("measurements.data", 1);
    assert_eq!(mismatches(&expect, &req, &s.tokens, &ua), Vec::<String>::new(), "the right expectation matches");
    let altered = |f: &dyn Fn(&mut Expect)| {
        let mut e = expect.clone();
        f(&mut e);
        e
    };
    caught("method", &altered(&|e| e.method = "PUT".into()), &req, &s, "method");
    caught("path", &altered(&|e| e.path = "measurements/m 1/2/data".into()), &req, &s, "path");
    caught("query", &altered(&|e| e.query = Some(String::new())), &req, &s, "query");
    caught("bearer kind", &altered(&|e| e.authorization = "device".into()), &req, &s, "authorization");
    caught("no bearer", &altered(&|e| e.authorization = "none".into()), &req, &s, "authorization");
    caught("explicit bearer", &altered(&|e| e.authorization = "explicit:other".into()), &req, &s, "authorization");
    caught("body value", &altered(&|e| e.body.as_mut().unwrap()["Action"] = "LAST::PROCESS".into()), &req, &s, "body");
    caught("body field", &altered(&|e| { e.body.as_mut().unwrap().as_object_mut().unwrap().remove("Payload"); }), &req, &s, "body");
    caught("no body", &altered(&|e| e.body = None), &req, &s, "body");
    caught("content-type", &altered(&|e| { e.headers.insert("content-type".into(), "text/plain".into()); }), &req, &s, "header content-type");
    caught("session flag", &altered(&|e| { e.headers.insert("x-nura-session".into(), "true".into()); }), &req, &s, "header x-nura-session");
    let wrong = |f: &dyn Fn(&mut RecordedRequest)| {
        let mut r = req.clone();
        f(&mut r);
        r
    };
    caught("sent body not JSON", &expect, &wrong(&|r| r.body = b"Action=FIRST".to_vec()), &s, "body");
    caught("no user-agent", &expect, &wrong(&|r| r.headers.retain(|(n, _)| n != "user-agent")), &s, "header user-agent");
    caught("flag sent", &expect, &wrong(&|r| r.headers.push(("x-nura-session".into(), "true".into()))), &s, "header x-nura-session");
    caught("two bearers", &expect, &wrong(&|r| r.headers.push(("authorization".into(), "Bearer x".into()))), &s, "authorization");

    // The JavaScript client's wire forms of the corrected rows are refused.
    let (expect, req, s) = sent("auths.requestLoginCode", 0);
    let js = RecordedRequest { method: "POST".into(), path: "auths/renew".into(), ..req.clone() };
    caught("JS requestLoginCode", &expect, &js, &s, "method");
    caught("JS requestLoginCode", &expect, &js, &s, "path");

    let (expect, req, s) = sent("organizations.unregisterLicense", 0);
    let mut js = req.clone();
    js.headers.retain(|(n, _)| n != "authorization");
    js.headers.push(("authorization".into(), format!("Bearer {}", s.tokens.user)));
    caught("JS unregisterLicense (user token)", &expect, &js, &s, "authorization");

    let (expect, req, s) = sent("auths.renew", 1); // the user pair
    let mut js = req.clone();
    js.headers.retain(|(n, _)| n != "authorization");
    js.headers.push(("authorization".into(), format!("Bearer {}", s.tokens.device)));
    caught("JS renew (device token for a user renewal)", &expect, &js, &s, "authorization");

    let (expect, req, s) = sent("measurements.list", 1); // '&', '=', '+', '#' in values
    let raw = "PartnerID=a&b=c&Date=2024-01-01T00:00:00+01:00&Limit=10&SortBy=#Created&UserName=x+y@example.com";
    caught("JS query, unencoded", &expect, &RecordedRequest { query: Some(raw.into()), ..req.clone() }, &s, "query");
    let trailing = format!("{}&", expect.query.clone().unwrap());
    caught("trailing &", &expect, &RecordedRequest { query: Some(trailing), ..req.clone() }, &s, "query");

    let (expect, req, s) = sent("measurements.list", 0); // no query argument
    caught("bare ?", &expect, &RecordedRequest { query: Some(String::new()), ..req.clone() }, &s, "query");

    let (expect, req, s) = sent("devices.list", 1);
    let js = expect.query.clone().unwrap().replace("DeviceTypeID", "deviceTypeID");
    caught("JS deviceTypeID", &expect, &RecordedRequest { query: Some(js), ..req.clone() }, &s, "query");

    let (expect, req, s) = sent("measurements.retrieve", 2); // '/', '?', ' ', '#', 'é', '%' in the id
    caught("path unencoded", &expect, &RecordedRequest { path: "measurements/a/b".into(), ..req.clone() }, &s, "path");

    // The session flag: present where enableSession was given, and only there.
    let (expect, req, s) = sent("organizations.registerLicense", 1);
    assert_eq!(req.header("x-nura-session"), Some("true"));
    assert!(mismatches(&expect, &req, &s.tokens, &ua).is_empty());
    let mut without = expect.clone();
    without.headers.remove("x-nura-session");
    caught("flag not expected", &without, &req, &s, "header x-nura-session");
    caught("a bearer on a public call", &expect, &wrong_auth(&req, &s.tokens.device), &s, "authorization");
}

fn wrong_auth(req: &RecordedRequest, token: &str) -> RecordedRequest {
    let mut r = req.clone();
    r.headers.push(("authorization".into(), format!("Bearer {token}")));
    r
}
