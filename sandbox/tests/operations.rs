//! Every operation of the DeepAffex API against the sandbox, driven by
//! `operations.json`: a fixture written from endpoints.json and NOTES.md,
//! independently of the sandbox's own route table (src/routes.rs).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use dfx_sandbox::{
    Config, Sandbox, TokenKind, SANDBOX_LICENSE_KEY, SANDBOX_ORG_ID, SANDBOX_ORG_IDENTIFIER, SANDBOX_STUDY_ID,
    SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD, SANDBOX_USER_PHONE,
};
use serde_json::{json, Value};

struct Op {
    name: String,
    method: String,
    path: String,
    bearer: String,
    body: Option<Value>,
    answer: String,
    fields: Vec<(String, String, bool)>,
}

fn operations() -> Vec<Op> {
    let text = include_str!("operations.json");
    let v: Value = serde_json::from_str(text).unwrap();
    v["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| Op {
            name: o["operation"].as_str().unwrap().to_owned(),
            method: o["method"].as_str().unwrap().to_owned(),
            path: o["path"].as_str().unwrap().to_owned(),
            bearer: o["bearer"].as_str().unwrap().to_owned(),
            body: (!o["body"].is_null()).then(|| o["body"].clone()),
            answer: o["answer"].as_str().unwrap().to_owned(),
            fields: o["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f[0].as_str().unwrap().to_owned(), f[1].as_str().unwrap().to_owned(), f[2].as_bool().unwrap()))
                .collect(),
        })
        .collect()
}

fn request(sb: &Sandbox, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send(sb.addr(), method, &format!("/{path}"), &headers, body.as_bytes()).complete()
}

fn ok_json(resp: Response) -> Value {
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()
}

/// A fresh sandbox with a registered device, the seed user logged in on it,
/// one profile and one measurement of that user.
struct Ctx {
    sb: Sandbox,
    device: String,
    user: String,
    user_id: String,
    profile: String,
    measurement: String,
}

fn register_body() -> Value {
    json!({"Key": SANDBOX_LICENSE_KEY, "DeviceTypeID": "LINUX", "Name": "ci", "Identifier": SANDBOX_ORG_IDENTIFIER, "Version": "1"})
}

fn ctx() -> Ctx {
    let sb = Sandbox::start(Config::default()).unwrap();
    let reg = ok_json(request(&sb, "POST", "organizations/licenses", None, Some(&register_body())));
    let device = reg["Token"].as_str().unwrap().to_owned();
    let login = json!({"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD});
    let user = ok_json(request(&sb, "POST", "users/auth", Some(&device), Some(&login)))["Token"].as_str().unwrap().to_owned();
    let user_id = ok_json(request(&sb, "GET", "auth", Some(&user), None))["ID"].as_str().unwrap().to_owned();
    let p = json!({"Name": "Pat", "Email": "pat@example.com"});
    let profile = ok_json(request(&sb, "POST", "users/profiles", Some(&user), Some(&p)))["ID"].as_str().unwrap().to_owned();
    let m = json!({"StudyID": SANDBOX_STUDY_ID, "Resolution": 100, "UserProfileID": profile});
    let measurement = ok_json(request(&sb, "POST", "measurements", Some(&user), Some(&m)))["ID"].as_str().unwrap().to_owned();
    Ctx { sb, device, user, user_id, profile, measurement }
}

impl Ctx {
    /// The path with each `{param}` replaced by a value that exists.
    fn path(&self, op: &Op) -> String {
        op.path
            .split('/')
            .map(|seg| match seg {
                "{id}" if op.name.starts_with("measurements.") => self.measurement.clone(),
                "{measurementId}" => self.measurement.clone(),
                "{studyId}" => SANDBOX_STUDY_ID.to_owned(),
                "{profileId}" => self.profile.clone(),
                "{userId}" => self.user_id.clone(),
                "{orgId}" => SANDBOX_ORG_ID.to_owned(),
                "{orgKey}" => SANDBOX_ORG_IDENTIFIER.to_owned(),
                s if s.starts_with('{') => "sample-id".to_owned(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The token the operation is meant to be called with.
    fn token(&self, op: &Op) -> Option<String> {
        match op.bearer.as_str() {
            "none" => None,
            "device" | "device_optional" => Some(self.device.clone()),
            "user" | "either" | "any" | "any_optional" => Some(self.user.clone()),
            "ignored" => Some("not-a-token".to_owned()),
            other => panic!("unknown bearer {other}"),
        }
    }

    /// The fixture's sample body, with values the stateful operations accept.
    fn body(&self, op: &Op) -> Option<Value> {
        let mut body = op.body.clone()?;
        let b = body.as_object_mut().unwrap();
        let pair = || self.sb.create_pair(TokenKind::User, 600);
        match op.name.as_str() {
            "measurements.create" => {
                b.insert("StudyID".into(), json!(SANDBOX_STUDY_ID));
                b.insert("Resolution".into(), json!(0));
            }
            "measurements.data" => {
                b.insert("Action".into(), json!("FIRST::PROCESS"));
                b.insert("Payload".into(), json!("AAEC"));
            }
            "organizations.registerLicense" => body = register_body(),
            "users.login" => body = json!({"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD}),
            "organizations.login" => {
                body = json!({"Email": SANDBOX_USER_EMAIL, "Password": SANDBOX_USER_PASSWORD, "Identifier": SANDBOX_ORG_IDENTIFIER})
            }
            "users.loginWithPhoneCode" => {
                let req = json!({"PhoneNumber": SANDBOX_USER_PHONE, "Identifier": SANDBOX_ORG_IDENTIFIER});
                ok_json(request(&self.sb, "PATCH", "auths/users/code", None, Some(&req)));
                let code = self.sb.login_code(SANDBOX_USER_PHONE).unwrap();
                body = json!({"LoginCode": code, "PhoneNumber": SANDBOX_USER_PHONE, "OrgKey": SANDBOX_ORG_IDENTIFIER});
            }
            "auths.requestLoginCode" => {
                body = json!({"PhoneNumber": SANDBOX_USER_PHONE, "Identifier": SANDBOX_ORG_IDENTIFIER})
            }
            "auths.requestResetPasswordLink" => {
                body = json!({"Email": SANDBOX_USER_EMAIL, "Identifier": SANDBOX_ORG_IDENTIFIER})
            }
            "auths.sendResetMobile" => body = json!({"PhoneNumber": SANDBOX_USER_PHONE}),
            "auths.renew" | "auths.generateToken" => {
                let (t, r) = pair();
                body = json!({"Token": t, "RefreshToken": r});
            }
            "studies.retrieveSdkConfigData" => {
                b.insert("StudyID".into(), json!(SANDBOX_STUDY_ID));
            }
            "users.create" | "organizations.createUser" | "users.update" => {
                b.insert("Email".into(), json!("new.person@example.com"));
                b.insert("Password".into(), json!("new-password"));
            }
            _ => {}
        }
        Some(body)
    }
}

fn type_ok(v: &Value, ty: &str, nullable: bool) -> bool {
    if v.is_null() {
        return nullable || ty == "any";
    }
    match ty {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

fn check_fields(op: &Op, v: &Value) {
    for (name, ty, nullable) in &op.fields {
        let got = v.get(name).unwrap_or_else(|| panic!("{}: field {name} missing in {v}", op.name));
        assert!(type_ok(got, ty, *nullable), "{}: {name} should be {ty} (nullable {nullable}), got {got}", op.name);
    }
}

#[test]
fn every_operation_answers_with_its_documented_fields() {
    let ops = operations();
    assert_eq!(ops.iter().map(|o| &o.name).collect::<BTreeSet<_>>().len(), 133);
    for op in &ops {
        let c = ctx();
        let path = c.path(op);
        let resp = request(&c.sb, &op.method, &path, c.token(op).as_deref(), c.body(op).as_ref());
        assert!(
            (200..300).contains(&resp.status),
            "{} {} {path}: {} {}",
            op.name,
            op.method,
            resp.status,
            String::from_utf8_lossy(&resp.body)
        );
        assert_eq!(resp.header("content-type"), Some("application/json; charset=utf-8"), "{}", op.name);
        let body = resp.json();
        match op.answer.as_str() {
            "object" => {
                assert!(body.is_object(), "{}: {body}", op.name);
                check_fields(op, &body);
            }
            "array" => {
                let items = body.as_array().unwrap_or_else(|| panic!("{}: not an array: {body}", op.name));
                if !op.fields.is_empty() {
                    assert!(!items.is_empty(), "{}: an empty list proves no fields", op.name);
                    items.iter().for_each(|item| check_fields(op, item));
                }
            }
            _ => assert!(body.is_object() || body.is_array(), "{}: {body}", op.name),
        }
        // Every request is recorded under its literal method and path.
        let last = c.sb.requests().pop().unwrap();
        assert_eq!((last.method.as_str(), last.path.as_str()), (op.method.as_str(), path.as_str()));
    }
}

fn expect(resp: Response, status: u16, code: &str, what: &str) {
    assert_eq!(
        (resp.status, resp.code().as_str()),
        (status, code),
        "{what}: {}",
        String::from_utf8_lossy(&resp.body)
    );
    assert!(resp.json()["Message"].is_string(), "{what}");
}

#[test]
fn every_operation_checks_its_bearer() {
    let c = ctx();
    let (child, _) = {
        let (t, r) = c.sb.create_pair(TokenKind::User, 600);
        let resp = ok_json(request(&c.sb, "POST", "auths/generateToken", None, Some(&json!({"Token": t, "RefreshToken": r}))));
        (resp["Token"].as_str().unwrap().to_owned(), ())
    };
    let (expired_user, _) = c.sb.create_pair(TokenKind::User, 0);
    let (expired_device, _) = c.sb.create_pair(TokenKind::Device, 0);
    let mut checked = 0;
    for op in operations() {
        // Placeholder IDs: the bearer is checked before anything else.
        let path = op.path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
        let body = op.body.clone();
        let send = |token: Option<&str>| request(&c.sb, &op.method, &path, token, body.as_ref());
        let what = |how: &str| format!("{} {} with {how}", op.method, op.name);
        let wrong: &[&str] = match op.bearer.as_str() {
            "device" => &[c.user.as_str(), child.as_str()],
            "user" => &[c.device.as_str(), child.as_str()],
            "either" => &[child.as_str()],
            "any" => &[],
            "device_optional" => {
                // Absent is fine; a present one must be a live device token.
                expect(send(Some(&c.user)), 401, "INVALID_TOKEN", &what("a user token"));
                expect(send(Some("nope")), 401, "INVALID_TOKEN", &what("garbage"));
                checked += 1;
                continue;
            }
            _ => continue,
        };
        expect(send(None), 401, "INVALID_TOKEN", &what("no Authorization"));
        expect(send(Some("nope")), 401, "INVALID_TOKEN", &what("an unknown token"));
        let expired = if op.bearer == "device" { &expired_device } else { &expired_user };
        expect(send(Some(expired)), 401, "TOKEN_EXPIRED", &what("an expired token"));
        for token in wrong {
            expect(send(Some(token)), 403, "FORBIDDEN", &what("the wrong kind of token"));
        }
        checked += 1;
    }
    assert!(checked > 110, "only {checked} operations need a bearer?");
}

#[test]
fn either_operations_take_device_and_user_tokens() {
    for op in operations().iter().filter(|o| o.bearer == "either") {
        for kind in ["device", "user"] {
            let c = ctx();
            let token = if kind == "device" { &c.device } else { &c.user };
            let resp = request(&c.sb, &op.method, &c.path(op), Some(token), c.body(op).as_ref());
            assert_eq!(resp.status, 200, "{} with a {kind} token: {}", op.name, String::from_utf8_lossy(&resp.body));
        }
    }
}

#[test]
fn every_path_refuses_other_methods() {
    // Template shape ("users/{}/mfa") → the methods the fixture lists for it.
    let mut shapes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for op in operations() {
        let shape = op.path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
        shapes.entry(shape).or_default().insert(op.method.clone());
    }
    let sb = Sandbox::start(Config::default()).unwrap();
    for (path, allowed) in &shapes {
        for method in ["GET", "POST", "PATCH", "DELETE", "PUT"] {
            if allowed.contains(method) {
                continue;
            }
            let resp = request(&sb, method, path, None, None);
            expect(resp.clone(), 405, "METHOD_NOT_ALLOWED", &format!("{method} {path}"));
            let allow: BTreeSet<String> = resp.header("allow").unwrap().split(", ").map(str::to_owned).collect();
            assert_eq!(&allow, allowed, "Allow of {path}");
        }
    }
    assert!(shapes.len() > 90, "{} paths", shapes.len());
}

#[test]
fn every_required_body_field_is_checked() {
    let c = ctx();
    let mut checked = 0;
    for op in operations() {
        let Some(body) = &op.body else { continue };
        let path = op.path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
        let token = c.token(&op);
        let what = format!("{} {}", op.method, op.name);
        for field in body.as_object().unwrap().keys() {
            let mut partial = body.clone();
            partial.as_object_mut().unwrap().remove(field);
            let resp = request(&c.sb, &op.method, &path, token.as_deref(), Some(&partial));
            expect(resp, 400, "VALIDATION_ERROR", &format!("{what} without {field}"));
            checked += 1;
        }
        let auth = token.as_ref().map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let resp = send(c.sb.addr(), &op.method, &format!("/{path}"), &headers, b"[1]").complete();
        expect(resp, 400, "INVALID_REQUEST_BODY", &format!("{what} with an array body"));
    }
    assert!(checked > 150, "only {checked} required fields");
}

#[test]
fn path_parameters_are_percent_decoded() {
    let c = ctx();
    // "%2D" is "-": the profile ID arrives encoded and is found.
    let encoded = c.profile.replace('-', "%2D");
    let got = ok_json(request(&c.sb, "GET", &format!("users/profiles/{encoded}"), Some(&c.user), None));
    assert_eq!(got["ID"], c.profile.as_str());
    // An encoded "/" stays inside its segment: no such profile, not another route.
    let resp = request(&c.sb, "GET", &format!("users/profiles/{}%2Fx", c.profile), Some(&c.user), None);
    expect(resp, 404, "NOT_FOUND", "an encoded slash");
    let org = SANDBOX_ORG_ID.replacen('6', "%36", 1);
    let resp = ok_json(request(&c.sb, "GET", &format!("auths/organization/credentials/{org}"), Some(&c.user), None));
    assert_eq!(resp["orgName"], SANDBOX_ORG_IDENTIFIER);
    // The recording keeps the literal path.
    assert!(c.sb.requests().iter().any(|r| r.path.ends_with("%36c0d7a2e-4b1f-4e3a-9d5c-3f8e2a1b0dfd")));
}

#[test]
fn a_fault_and_the_recording_apply_to_every_route() {
    let c = ctx();
    for op in operations() {
        let path = c.path(&op);
        let before = c.sb.count(&op.method, &path);
        c.sb.push_fault(dfx_sandbox::Fault {
            method: Some(op.method.clone()),
            path: path.clone(),
            action: dfx_sandbox::Action::Status,
            status: 503,
            body: format!(r#"{{"Code":"SANDBOX_FAULT","Message":"{}"}}"#, op.name),
            content_type: Some("application/json; charset=utf-8".into()),
            ..Default::default()
        });
        // Even without a bearer: a Before fault replaces all handling.
        let resp = request(&c.sb, &op.method, &path, None, op.body.as_ref());
        assert_eq!((resp.status, resp.json()["Message"].as_str()), (503, Some(op.name.as_str())));
        assert_eq!(c.sb.count(&op.method, &path), before + 1, "{}", op.name);
    }
}
