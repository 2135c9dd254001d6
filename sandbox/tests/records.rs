//! Profiles, users and studies: create, retrieve, list, update, remove.

mod common;

use common::*;
use dfx_sandbox::{
    Config, Sandbox, TokenKind, SANDBOX_ARCHIVED_STUDY_ID, SANDBOX_LICENSE_KEY, SANDBOX_ORG_ID, SANDBOX_ORG_IDENTIFIER,
    SANDBOX_STUDY_ID, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD,
};
use serde_json::{json, Value};

fn req(sb: &Sandbox, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send(sb.addr(), method, path, &headers, body.as_bytes()).complete()
}

fn ok(resp: Response) -> Value {
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()
}

fn err(resp: Response, status: u16, code: &str) {
    assert_eq!((resp.status, resp.code()), (status, code.to_owned()), "{}", String::from_utf8_lossy(&resp.body));
}

fn id_of(v: Value) -> String {
    v["ID"].as_str().unwrap().to_owned()
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|x| x["ID"].as_str().unwrap()).collect()
}

/// A device of dfxdemo and `email` logged in on it.
fn login(sb: &Sandbox, email: &str, password: &str) -> Response {
    let reg = json!({"Key": SANDBOX_LICENSE_KEY, "DeviceTypeID": "LINUX", "Name": "n", "Identifier": SANDBOX_ORG_IDENTIFIER, "Version": "1"});
    let device = ok(req(sb, "POST", "/organizations/licenses", None, Some(reg)))["Token"].as_str().unwrap().to_owned();
    req(sb, "POST", "/users/auth", Some(&device), Some(json!({"Email": email, "Password": password})))
}

#[test]
fn profiles_crud() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let (other, _) = sb.create_pair(TokenKind::User, 600);
    let (device, _) = sb.create_pair(TokenKind::Device, 600);
    let a = id_of(ok(req(&sb, "POST", "/users/profiles", Some(&user), Some(json!({"Name": "Ann Ames", "Email": "ann@x.y"})))));
    let b = id_of(ok(req(&sb, "POST", "/users/profiles", Some(&user), Some(json!({"Name": "Bob Bell", "Email": "bob@x.y"})))));
    // profiles.create takes the device token too (the JS client sends it).
    let d = id_of(ok(req(&sb, "POST", "/users/profiles", Some(&device), Some(json!({"Name": "Dee", "Email": "d@x.y"})))));
    let o = id_of(ok(req(&sb, "POST", "/users/profiles", Some(&other), Some(json!({"Name": "Oz", "Email": "o@x.y"})))));
    err(req(&sb, "POST", "/users/profiles", Some(&user), Some(json!({"Name": 5, "Email": "x"}))), 400, "VALIDATION_ERROR");

    let got = ok(req(&sb, "GET", &format!("/users/profiles/{a}"), Some(&user), None));
    assert_eq!((got["Name"].as_str(), got["Email"].as_str(), got["Status"].as_str()), (Some("Ann Ames"), Some("ann@x.y"), Some("ACTIVE")));
    assert_eq!(got["MeasurementCount"], 0);
    err(req(&sb, "GET", "/users/profiles/nope", Some(&user), None), 404, "NOT_FOUND");

    // The bearer's own, oldest first; TotalCount is a string here (as typed).
    let mine = ok(req(&sb, "GET", "/users/profiles", Some(&user), None));
    assert_eq!(ids(&mine), [a.as_str(), b.as_str()]);
    assert_eq!(mine[0]["TotalCount"], "2");
    assert_eq!(ids(&ok(req(&sb, "GET", "/users/profiles?UserProfileName=bell", Some(&user), None))), [b.as_str()]);
    assert_eq!(ids(&ok(req(&sb, "GET", "/users/profiles?Limit=1&Offset=1", Some(&user), None))), [b.as_str()]);
    // The organization's view has them all.
    let org = ok(req(&sb, "GET", "/organizations/profiles", Some(&user), None));
    assert_eq!(ids(&org), [a.as_str(), b.as_str(), d.as_str(), o.as_str()]);
    assert_eq!(org[0]["MeasurementCount"], "0");
    let other_id = ok(req(&sb, "GET", "/auth", Some(&other), None))["ID"].as_str().unwrap().to_owned();
    assert_eq!(ids(&ok(req(&sb, "GET", &format!("/users/{other_id}/profiles"), Some(&user), None))), [o.as_str()]);
    err(req(&sb, "GET", "/users/nobody/profiles", Some(&user), None), 404, "NOT_FOUND");
    assert_eq!(ok(req(&sb, "GET", &format!("/organizations/profiles/{o}"), Some(&user), None))["Name"], "Oz");

    // Update (and the status filter), remove.
    let change = json!({"Name": "Ann B. Ames", "Email": "ann@y.z", "Status": "INACTIVE"});
    ok(req(&sb, "PATCH", &format!("/users/profiles/{a}"), Some(&user), Some(change)));
    let got = ok(req(&sb, "GET", &format!("/users/profiles/{a}"), Some(&user), None));
    assert_eq!((got["Name"].as_str(), got["Status"].as_str()), (Some("Ann B. Ames"), Some("INACTIVE")));
    assert!(got["Updated"].as_u64() >= got["Created"].as_u64());
    assert_eq!(ids(&ok(req(&sb, "GET", "/users/profiles?Status=INACTIVE", Some(&user), None))), [a.as_str()]);
    let change = json!({"Name": "Bee", "Email": "b@x.y", "Status": "ACTIVE"});
    ok(req(&sb, "PATCH", &format!("/organizations/profiles/{b}"), Some(&user), Some(change.clone())));
    assert_eq!(ok(req(&sb, "GET", &format!("/users/profiles/{b}"), Some(&user), None))["Name"], "Bee");
    err(req(&sb, "PATCH", "/users/profiles/nope", Some(&user), Some(change)), 404, "NOT_FOUND");
    ok(req(&sb, "DELETE", &format!("/users/profiles/{a}"), Some(&user), None));
    err(req(&sb, "GET", &format!("/users/profiles/{a}"), Some(&user), None), 404, "NOT_FOUND");
    err(req(&sb, "DELETE", &format!("/users/profiles/{a}"), Some(&user), None), 404, "NOT_FOUND");
    assert_eq!(ids(&ok(req(&sb, "GET", "/users/profiles", Some(&user), None))), [b.as_str()]);

    // Another organization sees none of them.
    let acme = Sandbox::start(Config { orgs: vec!["acme".into()], ..Config::default() }).unwrap();
    let (acme_user, _) = acme.create_pair(TokenKind::User, 600);
    let x = id_of(ok(req(&acme, "POST", "/users/profiles", Some(&acme_user), Some(json!({"Name": "X", "Email": "x@x.x"})))));
    let dfx = ok(login(&acme, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD))["Token"].as_str().unwrap().to_owned();
    err(req(&acme, "GET", &format!("/users/profiles/{x}"), Some(&dfx), None), 404, "NOT_FOUND");
    assert_eq!(ok(req(&acme, "GET", "/organizations/profiles", Some(&dfx), None)), json!([]));
}

#[test]
fn users_crud_and_login() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (device, _) = sb.create_pair(TokenKind::Device, 600);
    // users.create with a device token (tokenType 'device'): the new user can log in.
    let body = json!({"Email": "new@example.com", "Password": "pw-1", "FirstName": "New", "HeightCm": "180"});
    let id = id_of(ok(req(&sb, "POST", "/users", Some(&device), Some(body.clone()))));
    err(req(&sb, "POST", "/users", Some(&device), Some(body)), 409, "USER_ALREADY_EXISTS");
    err(req(&sb, "POST", "/users", Some(&device), Some(json!({"Password": 7}))), 400, "VALIDATION_ERROR");
    err(req(&sb, "POST", "/users", Some(&device), Some(json!({"Password": "p", "FirstName": []}))), 400, "VALIDATION_ERROR");
    err(login(&sb, "new@example.com", "wrong"), 401, "INVALID_CREDENTIALS");
    let token = ok(login(&sb, "NEW@example.com", "pw-1"))["Token"].as_str().unwrap().to_owned();

    let me = ok(req(&sb, "GET", "/users", Some(&token), None));
    assert_eq!((me["ID"].as_str(), me["Email"].as_str()), (Some(id.as_str()), Some("new@example.com")));
    assert_eq!((me["FirstName"].as_str(), me["HeightCm"].as_str()), (Some("New"), Some("180")));
    assert_eq!((me["OrganizationID"].as_str(), me["Password"].as_str()), (Some(SANDBOX_ORG_ID), Some("")));
    assert!(me["DeviceID"].is_string());

    // users.update changes the login too.
    let change = json!({"Email": "renamed@example.com", "Password": "pw-2", "PhoneNumber": "+15550001", "LastName": "Person"});
    ok(req(&sb, "PATCH", "/users", Some(&token), Some(change)));
    let me = ok(req(&sb, "GET", "/users", Some(&token), None));
    assert_eq!((me["Email"].as_str(), me["LastName"].as_str(), me["FirstName"].as_str()), (Some("renamed@example.com"), Some("Person"), Some("New")));
    assert_eq!(me["PhoneNumber"], "+15550001");
    err(login(&sb, "new@example.com", "pw-1"), 401, "INVALID_CREDENTIALS");
    ok(login(&sb, "renamed@example.com", "pw-2"));
    // An e-mail another user has is refused.
    let clash = json!({"Email": SANDBOX_USER_EMAIL, "Password": "x", "PhoneNumber": "1"});
    err(req(&sb, "PATCH", "/users", Some(&token), Some(clash)), 409, "USER_ALREADY_EXISTS");

    // The organization's list and per-ID calls.
    let seed = ok(login(&sb, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD))["Token"].as_str().unwrap().to_owned();
    let all = ok(req(&sb, "GET", "/organizations/users", Some(&seed), None));
    let emails: Vec<&str> = all.as_array().unwrap().iter().map(|u| u["Email"].as_str().unwrap()).collect();
    assert_eq!(emails, [SANDBOX_USER_EMAIL, "renamed@example.com"]);
    assert!(all.as_array().unwrap().iter().all(|u| u["TotalCount"] == 2));
    assert_eq!(ids(&ok(req(&sb, "GET", "/organizations/users?UserName=renamed", Some(&seed), None))), [id.as_str()]);
    let org_new = json!({"FirstName": "Org", "LastName": "Made", "Email": "org@example.com", "Gender": "F",
                         "DateOfBirth": "1990-01-01", "RoleID": "r", "Password": "pw-3"});
    let made = ok(req(&sb, "POST", "/organizations/users", Some(&seed), Some(org_new)));
    assert!(made["ResetToken"].as_str().is_some_and(|t| !t.is_empty()));
    let made = id_of(made);
    assert_eq!(ids(&ok(req(&sb, "GET", "/organizations/users?Gender=F", Some(&seed), None))), [made.as_str()]);
    let attrs = json!({"FirstName": "Orla", "LastName": "Made", "Gender": "F", "DateOfBirth": "1990-01-02", "HeightCm": 170, "WeightKg": 60});
    ok(req(&sb, "PATCH", &format!("/organizations/users/{made}"), Some(&seed), Some(attrs.clone())));
    let got = ok(req(&sb, "GET", &format!("/organizations/users/{made}"), Some(&seed), None));
    assert_eq!((got["FirstName"].as_str(), got["HeightCm"].as_u64()), (Some("Orla"), Some(170)));
    err(req(&sb, "GET", "/organizations/users/nope", Some(&seed), None), 404, "NOT_FOUND");
    err(req(&sb, "PATCH", "/organizations/users/nope", Some(&seed), Some(attrs)), 404, "NOT_FOUND");
    let made_token = ok(login(&sb, "org@example.com", "pw-3"))["Token"].as_str().unwrap().to_owned();
    ok(req(&sb, "DELETE", &format!("/organizations/users/{made}"), Some(&seed), None));
    err(req(&sb, "GET", &format!("/organizations/users/{made}"), Some(&seed), None), 404, "NOT_FOUND");
    err(req(&sb, "GET", "/users", Some(&made_token), None), 401, "INVALID_TOKEN");
    err(req(&sb, "DELETE", &format!("/organizations/users/{made}"), Some(&seed), None), 404, "NOT_FOUND");

    // users.remove: the bearer is gone, its tokens die, it cannot log in.
    ok(req(&sb, "DELETE", "/users", Some(&token), None));
    err(req(&sb, "GET", "/users", Some(&token), None), 401, "INVALID_TOKEN");
    err(login(&sb, "renamed@example.com", "pw-2"), 401, "INVALID_CREDENTIALS");
    err(req(&sb, "GET", &format!("/organizations/users/{id}"), Some(&seed), None), 404, "NOT_FOUND");
    // The device that created it is untouched.
    assert_eq!(ok(req(&sb, "GET", "/auth", Some(&device), None))["Type"], "Device");
}

#[test]
fn logout_ends_every_session_of_the_user() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let a = ok(login(&sb, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD));
    let b = ok(login(&sb, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD));
    let (a, b) = (a["Token"].as_str().unwrap(), b["Token"].as_str().unwrap());
    let (stranger, _) = sb.create_pair(TokenKind::User, 600);
    assert_eq!(ok(req(&sb, "DELETE", "/users/auth", Some(a), None)), json!({"success": true}));
    err(req(&sb, "GET", "/auth", Some(a), None), 401, "INVALID_TOKEN");
    err(req(&sb, "GET", "/auth", Some(b), None), 401, "INVALID_TOKEN");
    ok(req(&sb, "GET", "/auth", Some(&stranger), None));
    // The user can log in again.
    ok(login(&sb, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD));
}

#[test]
fn older_login_code_request_issues_a_code() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let phone = dfx_sandbox::SANDBOX_USER_PHONE;
    // The phone's "+" arrives percent-encoded and is decoded.
    let path = format!("/users/auth/code/{SANDBOX_ORG_IDENTIFIER}/{}", phone.replace('+', "%2B"));
    assert_eq!(ok(req(&sb, "GET", &path, Some(&user), None)), json!({"success": true}));
    let code = sb.login_code(phone).unwrap();
    let body = json!({"LoginCode": code, "PhoneNumber": phone, "OrgKey": SANDBOX_ORG_IDENTIFIER});
    assert!(ok(req(&sb, "POST", "/users/auth/code", None, Some(body)))["Token"].is_string());
    err(req(&sb, "GET", "/users/auth/code/nope/123", Some(&user), None), 404, "ORGANIZATION_NOT_FOUND");
}

#[test]
fn studies_list_retrieve_types_and_changes() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let list = |q: &str| ok(req(&sb, "GET", &format!("/studies{q}"), Some(&user), None));
    assert_eq!(ids(&list("")), [SANDBOX_STUDY_ID, SANDBOX_ARCHIVED_STUDY_ID]);
    assert_eq!(ids(&list("?StatusID=ACTIVE")), [SANDBOX_STUDY_ID]);
    assert_eq!(ids(&list("?StatusID=INACTIVE")), [SANDBOX_ARCHIVED_STUDY_ID]);
    assert_eq!(ids(&list("?Name=archived")), [SANDBOX_ARCHIVED_STUDY_ID]);
    assert_eq!(ids(&list("?Limit=1&Offset=1")), [SANDBOX_ARCHIVED_STUDY_ID]);
    let s = ok(req(&sb, "GET", &format!("/studies/{SANDBOX_STUDY_ID}"), Some(&user), None));
    assert_eq!((s["Name"].as_str(), s["StatusID"].as_str(), s["OrganizationID"].as_str()), (Some("Sandbox Health Study"), Some("ACTIVE"), Some(SANDBOX_ORG_ID)));
    assert_eq!(s["Signals"], json!(["HR_BPM", "MSI", "BP_SYSTOLIC", "BP_DIASTOLIC"]));
    err(req(&sb, "GET", "/studies/nope", Some(&user), None), 404, "NOT_FOUND");

    let types = |q: &str| ok(req(&sb, "GET", &format!("/studies/types{q}"), Some(&user), None));
    assert_eq!(ids(&types("")), ["HEALTH", "RESEARCH"]);
    assert_eq!(ids(&types("?StatusID=ACTIVE")), ["HEALTH"]);
    assert_eq!(ids(&types("?StatusID=GONE")), Vec::<&str>::new());

    // The SDK config, and 304 once the caller has its MD5.
    let cfg = ok(req(&sb, "POST", "/studies/sdkconfig", Some(&user), Some(json!({"StudyID": SANDBOX_STUDY_ID}))));
    let md5 = cfg["MD5Hash"].as_str().unwrap().to_owned();
    assert_eq!(md5.len(), 32);
    assert!(cfg["ConfigFile"].as_str().is_some_and(|c| !c.is_empty()));
    let again = req(&sb, "POST", "/studies/sdkconfig", Some(&user), Some(json!({"StudyID": SANDBOX_STUDY_ID, "MD5Hash": md5})));
    assert_eq!((again.status, again.body.len(), again.header("content-type")), (304, 0, None));
    let stale = json!({"StudyID": SANDBOX_STUDY_ID, "MD5Hash": "0".repeat(32), "SDKID": "x"});
    assert_eq!(ok(req(&sb, "POST", "/studies/sdkconfig", Some(&user), Some(stale)))["MD5Hash"], md5.as_str());
    err(req(&sb, "POST", "/studies/sdkconfig", Some(&user), Some(json!({"StudyID": "nope"}))), 404, "NOT_FOUND");

    // Create, update, remove.
    let new = json!({"Name": "Mine", "Description": "d", "StudyTemplateID": "t", "Config": {"a": 1}});
    let id = id_of(ok(req(&sb, "POST", "/studies", Some(&user), Some(new))));
    err(req(&sb, "POST", "/studies", Some(&user), Some(json!({"Name": "M", "Description": "d", "StudyTemplateID": "t", "Config": 1}))), 400, "VALIDATION_ERROR");
    assert_eq!(ids(&list("")).len(), 3);
    let change = json!({"Name": "Ours", "Description": "d2", "StatusID": "INACTIVE", "Config": {}});
    ok(req(&sb, "PATCH", &format!("/studies/{id}"), Some(&user), Some(change.clone())));
    assert_eq!(ids(&list("?StatusID=INACTIVE")), [SANDBOX_ARCHIVED_STUDY_ID, id.as_str()]);
    assert_eq!(ok(req(&sb, "GET", &format!("/studies/{id}"), Some(&user), None))["Name"], "Ours");
    err(req(&sb, "PATCH", "/studies/nope", Some(&user), Some(change)), 404, "NOT_FOUND");
    ok(req(&sb, "DELETE", &format!("/studies/{id}"), Some(&user), None));
    err(req(&sb, "GET", &format!("/studies/{id}"), Some(&user), None), 404, "NOT_FOUND");
    err(req(&sb, "DELETE", &format!("/studies/{id}"), Some(&user), None), 404, "NOT_FOUND");
    assert_eq!(ids(&list("")), [SANDBOX_STUDY_ID, SANDBOX_ARCHIVED_STUDY_ID]);
}

#[test]
fn organization_and_token_claims_are_the_bearers() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (device, _) = sb.create_pair(TokenKind::Device, 600);
    let org = ok(req(&sb, "GET", "/organizations", Some(&device), None));
    assert_eq!((org["ID"].as_str(), org["Identifier"].as_str()), (Some(SANDBOX_ORG_ID), Some(SANDBOX_ORG_IDENTIFIER)));
    let claims = ok(req(&sb, "GET", "/auth", Some(&device), None));
    for path in ["/auth/v1/authenticate", "/auth/v1/validate"] {
        let a = ok(req(&sb, "GET", path, Some(&device), None));
        assert_eq!((&a["ID"], &a["Type"], &a["exp"]), (&claims["ID"], &claims["Type"], &claims["exp"]));
        assert_eq!(a["Policies"], json!({"LoginUser": true}));
    }
}
