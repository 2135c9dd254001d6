//! The measurement flow: create, FIRST / CHUNK×n / LAST, results, the order
//! and closed errors, list filters, delete.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::*;
use dfx_sandbox::{
    Config, Sandbox, TokenKind, SANDBOX_ARCHIVED_STUDY_ID, SANDBOX_ORG_IDENTIFIER, SANDBOX_STUDY_ID,
    SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD,
};
use serde_json::{json, Value};

fn req(sb: &Sandbox, method: &str, path: &str, token: &str, body: Option<Value>) -> Response {
    let auth = format!("Bearer {token}");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send(sb.addr(), method, path, &[("Authorization", &auth), ("Content-Type", "application/json")], body.as_bytes())
        .complete()
}

fn ok(resp: Response) -> Value {
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()
}

fn err(resp: Response, status: u16, code: &str) {
    assert_eq!((resp.status, resp.code()), (status, code.to_owned()), "{}", String::from_utf8_lossy(&resp.body));
}

fn create(sb: &Sandbox, user: &str, body: Value) -> String {
    ok(req(sb, "POST", "/measurements", user, Some(body)))["ID"].as_str().unwrap().to_owned()
}

fn chunk(sb: &Sandbox, user: &str, id: &str, action: &str, bytes: &[u8]) -> Response {
    let body = json!({"Action": action, "Payload": STANDARD.encode(bytes)});
    req(sb, "POST", &format!("/measurements/{id}/data"), user, Some(body))
}

fn study() -> Value {
    json!({"StudyID": SANDBOX_STUDY_ID, "Resolution": 100})
}

#[test]
fn full_flow_gives_deterministic_results() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let id = create(&sb, &user, study());

    let m = ok(req(&sb, "GET", &format!("/measurements/{id}"), &user, None));
    assert_eq!(m["StatusID"], "CAPTURING");
    assert_eq!(m["Results"], json!({}));
    assert_eq!(m["DataSizeBytes"], 0);

    let payloads: [&[u8]; 4] = [b"first-chunk", b"second", b"third!", b"last"];
    let actions = ["FIRST::PROCESS", "CHUNK::PROCESS", "CHUNK::IGNORE", "LAST::PROCESS"];
    for (n, (action, bytes)) in actions.iter().zip(payloads).enumerate() {
        let r = ok(chunk(&sb, &user, &id, action, bytes));
        assert_eq!(r, json!({"ID": id, "ChunkOrder": n}));
        let status = ok(req(&sb, "GET", &format!("/measurements/{id}"), &user, None))["StatusID"].clone();
        assert_eq!(status, if n == 3 { "COMPLETE" } else { "CAPTURING" }, "after chunk {n}");
    }

    let m = ok(req(&sb, "GET", &format!("/measurements/{id}"), &user, None));
    let total: u64 = payloads.iter().map(|p| p.len() as u64).sum();
    assert_eq!(m["DataSizeBytes"], total);
    assert_eq!(m["StudyID"], SANDBOX_STUDY_ID);
    assert_eq!(m["Resolution"], 100);
    // The documented synthetic results: 4 chunks, 27 bytes.
    assert_eq!(total, 27);
    assert_eq!(m["Results"]["HR_BPM"], json!([60.0 + 27.0]));
    assert_eq!(m["Results"]["MSI"], json!([1.0 + 4.0]));
    assert_eq!(m["Results"]["BP_SYSTOLIC"], json!([110.0 + 4.0]));
    assert_eq!(m["Results"]["BP_DIASTOLIC"], json!([70.0 + 12.0]));
    assert_eq!(m["SignalUnits"]["HR_BPM"], "bpm");
    assert!(m["SignalNames"]["MSI"].is_string());
    // A second sandbox with the same chunks gives the same results.
    let sb2 = Sandbox::start(Config::default()).unwrap();
    let (u2, _) = sb2.create_pair(TokenKind::User, 600);
    let id2 = create(&sb2, &u2, study());
    for (action, bytes) in actions.iter().zip(payloads) {
        ok(chunk(&sb2, &u2, &id2, action, bytes));
    }
    let m2 = ok(req(&sb2, "GET", &format!("/measurements/{id2}"), &u2, None));
    assert_eq!(m2["Results"], m["Results"]);

    // Closed: every further chunk is refused, the measurement is unchanged.
    for action in ["FIRST::PROCESS", "CHUNK::PROCESS", "LAST::PROCESS"] {
        err(chunk(&sb, &user, &id, action, b"x"), 400, "MEASUREMENT_CLOSED");
    }
    assert_eq!(ok(req(&sb, "GET", &format!("/measurements/{id}"), &user, None))["DataSizeBytes"], total);
}

#[test]
fn chunks_out_of_order_are_misaligned() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let id = create(&sb, &user, study());
    err(chunk(&sb, &user, &id, "CHUNK::PROCESS", b"x"), 400, "MISALIGNED_CHUNK");
    err(chunk(&sb, &user, &id, "LAST::PROCESS", b"x"), 400, "MISALIGNED_CHUNK");
    assert_eq!(ok(chunk(&sb, &user, &id, "FIRST::PROCESS", b"x"))["ChunkOrder"], 0);
    err(chunk(&sb, &user, &id, "FIRST::PROCESS", b"x"), 400, "MISALIGNED_CHUNK");
    // Refused chunks do not count.
    assert_eq!(ok(chunk(&sb, &user, &id, "CHUNK::PROCESS", b"x"))["ChunkOrder"], 1);
    assert_eq!(ok(chunk(&sb, &user, &id, "LAST::PROCESS", b"x"))["ChunkOrder"], 2);
    let m = ok(req(&sb, "GET", &format!("/measurements/{id}"), &user, None));
    assert_eq!((m["StatusID"].as_str(), m["DataSizeBytes"].as_u64()), (Some("COMPLETE"), Some(3)));
}

#[test]
fn data_errors() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let id = create(&sb, &user, study());
    err(chunk(&sb, &user, "no-such-id", "FIRST::PROCESS", b"x"), 404, "INVALID_MEASUREMENT");
    for action in ["FIRST", "first::PROCESS", "FIRST::", "MIDDLE::PROCESS", "FIRST::PROCESS::X"] {
        err(chunk(&sb, &user, &id, action, b"x"), 400, "VALIDATION_ERROR");
    }
    for payload in [json!("not base64!"), json!("QUJD="), json!(12), json!("")] {
        let body = json!({"Action": "FIRST::PROCESS", "Payload": payload});
        err(req(&sb, "POST", &format!("/measurements/{id}/data"), &user, Some(body)), 400, "VALIDATION_ERROR");
    }
    // None of that opened the measurement.
    err(chunk(&sb, &user, &id, "CHUNK::PROCESS", b"x"), 400, "MISALIGNED_CHUNK");
    // Another organization's user does not see it.
    let other = Sandbox::start(Config { orgs: vec!["acme".into()], ..Config::default() }).unwrap();
    let (acme_user, _) = other.create_pair(TokenKind::User, 600);
    let acme_id = create(&other, &acme_user, study());
    let dfx_user = {
        let reg = json!({"Key": dfx_sandbox::SANDBOX_LICENSE_KEY, "DeviceTypeID": "LINUX", "Name": "n",
                         "Identifier": SANDBOX_ORG_IDENTIFIER, "Version": "1"});
        let d = ok(send(other.addr(), "POST", "/organizations/licenses", &[], reg.to_string().as_bytes()).complete());
        let login = json!({"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD});
        ok(req(&other, "POST", "/users/auth", d["Token"].as_str().unwrap(), Some(login)))["Token"].as_str().unwrap().to_owned()
    };
    err(chunk(&other, &dfx_user, &acme_id, "FIRST::PROCESS", b"x"), 404, "INVALID_MEASUREMENT");
    err(req(&other, "GET", &format!("/measurements/{acme_id}"), &dfx_user, None), 404, "NOT_FOUND");
}

#[test]
fn create_checks() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    err(req(&sb, "POST", "/measurements", &user, Some(json!({"StudyID": "nope", "Resolution": 0}))), 404, "NOT_FOUND");
    for res in [json!(50), json!("100"), json!(-1)] {
        let body = json!({"StudyID": SANDBOX_STUDY_ID, "Resolution": res});
        err(req(&sb, "POST", "/measurements", &user, Some(body)), 400, "VALIDATION_ERROR");
    }
    let body = json!({"StudyID": SANDBOX_STUDY_ID, "Resolution": 0, "UserProfileID": "nope"});
    err(req(&sb, "POST", "/measurements", &user, Some(body)), 404, "NOT_FOUND");
    // The Python client's empty strings mean "unset".
    let id = create(&sb, &user, json!({"StudyID": SANDBOX_STUDY_ID, "Resolution": 0, "UserProfileID": "", "PartnerID": ""}));
    let m = ok(req(&sb, "GET", &format!("/measurements/{id}"), &user, None));
    assert_eq!((m["UserProfileID"].as_str(), m["PartnerID"].as_str()), (Some(""), Some("")));
    // A device token reads it (tokenType 'device'), but cannot create one.
    let (device, _) = sb.create_pair(TokenKind::Device, 600);
    assert_eq!(ok(req(&sb, "GET", &format!("/measurements/{id}"), &device, None))["ID"], id.as_str());
    err(req(&sb, "POST", "/measurements", &device, Some(study())), 403, "FORBIDDEN");
    // A view-only user token (organizations.login, no DeviceID) cannot measure.
    let login = json!({"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD, "Identifier": SANDBOX_ORG_IDENTIFIER});
    let view = ok(send(sb.addr(), "POST", "/organizations/auth", &[], login.to_string().as_bytes()).complete());
    let view = view["Token"].as_str().unwrap();
    err(req(&sb, "POST", "/measurements", view, Some(study())), 403, "FORBIDDEN");
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|m| m["ID"].as_str().unwrap()).collect()
}

#[test]
fn list_filters_and_delete() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let (other, _) = sb.create_pair(TokenKind::User, 600);
    let profile = ok(req(&sb, "POST", "/users/profiles", &user, Some(json!({"Name": "Kim Lee", "Email": "k@x.y"}))))["ID"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = create(&sb, &user, study());
    let b = create(&sb, &user, json!({"StudyID": SANDBOX_ARCHIVED_STUDY_ID, "Resolution": 0, "UserProfileID": profile}));
    let c = create(&sb, &user, study());
    let theirs = create(&sb, &other, study());
    ok(chunk(&sb, &user, &c, "FIRST::PROCESS", b"x"));
    ok(chunk(&sb, &user, &c, "LAST::PROCESS", b"y"));

    let list = |q: &str| ok(req(&sb, "GET", &format!("/measurements{q}"), &user, None));
    let all = list("");
    // Own measurements only, newest first, each with TotalCount.
    assert_eq!(ids(&all), [c.as_str(), b.as_str(), a.as_str()]);
    assert!(all.as_array().unwrap().iter().all(|m| m["TotalCount"] == 3));
    assert_eq!(ids(&list("?StatusID=COMPLETE")), [c.as_str()]);
    assert_eq!(ids(&list("?StatusID=CAPTURING")), [b.as_str(), a.as_str()]);
    assert_eq!(ids(&list(&format!("?StudyID={SANDBOX_ARCHIVED_STUDY_ID}"))), [b.as_str()]);
    assert_eq!(ids(&list(&format!("?UserProfileID={profile}"))), [b.as_str()]);
    assert_eq!(ids(&list("?UserProfileName=Kim%20Lee")), [b.as_str()]);
    assert_eq!(list("?UserProfileName=Kim%20Lee")[0]["UserProfileName"], "Kim Lee");
    let page = list("?Limit=1&Offset=1");
    assert_eq!(ids(&page), [b.as_str()]);
    assert_eq!(page[0]["TotalCount"], 3);
    assert_eq!(ids(&list("?StatusID=CAPTURING&Limit=1")), [b.as_str()]);
    assert_eq!(ids(&list("?Offset=9")), Vec::<&str>::new());
    // Python's empty values mean "no filter".
    assert_eq!(ids(&list("?StatusID=&Limit=&Offset=")).len(), 3);
    err(req(&sb, "GET", "/measurements?Limit=ten", &user, None), 400, "VALIDATION_ERROR");
    err(req(&sb, "GET", "/measurements?Offset=-1", &user, None), 400, "VALIDATION_ERROR");
    // The organization's view has everyone's.
    let org = ok(req(&sb, "GET", "/organizations/measurements", &user, None));
    assert_eq!(ids(&org), [theirs.as_str(), c.as_str(), b.as_str(), a.as_str()]);
    let one = ok(req(&sb, "GET", &format!("/organizations/measurements/{theirs}?ExpandResults=true"), &user, None));
    assert_eq!(one["UserID"], ok(req(&sb, "GET", "/auth", &other, None))["ID"]);
    // The study and the profile count them.
    let s = ok(req(&sb, "GET", &format!("/studies/{SANDBOX_STUDY_ID}"), &user, None));
    assert_eq!((s["Measurements"].as_u64(), s["Participants"].as_u64()), (Some(3), Some(2)));
    assert_eq!(ok(req(&sb, "GET", &format!("/users/profiles/{profile}"), &user, None))["MeasurementCount"], 1);

    // Delete: gone from retrieve, list and data; a second delete is 404.
    ok(req(&sb, "DELETE", &format!("/measurements/{a}"), &user, None));
    err(req(&sb, "GET", &format!("/measurements/{a}"), &user, None), 404, "NOT_FOUND");
    err(chunk(&sb, &user, &a, "FIRST::PROCESS", b"x"), 404, "INVALID_MEASUREMENT");
    err(req(&sb, "DELETE", &format!("/measurements/{a}"), &user, None), 404, "NOT_FOUND");
    assert_eq!(ids(&list("")), [c.as_str(), b.as_str()]);
    // Bulk deletes: by study, by user.
    ok(req(&sb, "DELETE", &format!("/studies/{SANDBOX_ARCHIVED_STUDY_ID}/measurements"), &user, None));
    assert_eq!(ids(&list("")), [c.as_str()]);
    let user_id = ok(req(&sb, "GET", "/auth", &user, None))["ID"].as_str().unwrap().to_owned();
    ok(req(&sb, "DELETE", &format!("/users/{user_id}/measurements"), &user, None));
    assert_eq!(ids(&list("")), Vec::<&str>::new());
    assert_eq!(ids(&ok(req(&sb, "GET", "/organizations/measurements", &user, None))), [theirs.as_str()]);
}

#[test]
fn faults_and_recording_apply_to_measurement_routes() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let id = create(&sb, &user, study());
    let path = format!("measurements/{id}/data");
    sb.push_fault(dfx_sandbox::Fault {
        path: path.clone(),
        action: dfx_sandbox::Action::Status,
        status: 429,
        body: r#"{"Code":"RATE_LIMIT","Message":"slow down"}"#.into(),
        content_type: Some("application/json; charset=utf-8".into()),
        ..Default::default()
    });
    err(chunk(&sb, &user, &id, "FIRST::PROCESS", b"x"), 429, "RATE_LIMIT");
    // The faulted chunk had no effect: FIRST is still expected.
    assert_eq!(ok(chunk(&sb, &user, &id, "FIRST::PROCESS", b"x"))["ChunkOrder"], 0);
    assert_eq!(sb.count("POST", &path), 2);
    let rec = sb.requests().pop().unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&rec.body).unwrap()["Action"], "FIRST::PROCESS");
}
