//! The table's own consistency, and how a call's parameters become a
//! request (no network here: see tests/call.rs for the wire).

use serde_json::{json, Value};

use super::call::Token;
use super::prepare::{edit_distance, Fields};
use super::{all, find, ParamIn, Prepared};
use crate::error::Error;
use crate::requests::OnCancel;
use crate::session::TokenKind;

fn prepare(op: &str, params: Value) -> Result<Prepared, Error> {
    Prepared::new(op, &params, Fields::PassThrough)
}

fn refused(op: &str, params: Value) -> String {
    match prepare(op, params) {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("{op}: expected InvalidArgument, got {other:?}"),
    }
}

fn body(p: &Prepared) -> Value {
    serde_json::from_slice(&p.body.as_ref().expect("a body").0).unwrap()
}

#[test]
fn rows_are_consistent() {
    assert_eq!(all().len(), 133);
    let mut names: Vec<&str> = all().iter().map(|op| op.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 133, "names are unique");
    for op in all() {
        assert_eq!(find(op.name).map(|o| o.name), Some(op.name));
        assert!(!op.path.starts_with('/') && !op.path.contains('?'), "{}", op.name);
        let holes: Vec<&str> = op.path.split('{').skip(1).map(|s| s.split('}').next().unwrap()).collect();
        let paths: Vec<&str> = op.params.iter().filter(|p| p.kind == ParamIn::Path).map(|p| p.name).collect();
        assert_eq!(holes, paths, "{}: path template and path arguments", op.name);
        let mut params: Vec<&str> = op.params.iter().map(|p| p.name).collect();
        params.dedup();
        assert_eq!(params.len(), op.params.len(), "{}: parameter names are unique", op.name);
        assert!(op.params.iter().filter(|p| matches!(p.kind, ParamIn::Body | ParamIn::BodyField)).count() <= 2);
    }
    assert!(find("measurements.creat").is_none());
}

#[test]
fn the_json_form_lists_every_row() {
    let text = super::operations_json().to_str().unwrap();
    let ops: Vec<Value> = serde_json::from_str(text).unwrap();
    assert_eq!(ops.len(), 133);
    assert_eq!(ops[0]["operation"], "general.status");
    let data = ops.iter().find(|o| o["operation"] == "measurements.data").unwrap();
    assert_eq!(
        data,
        &json!({"operation": "measurements.data", "group": "measurements", "method": "data",
            "http_method": "POST", "path": "measurements/{id}/data", "bearer": "user",
            "session_effect": null, "action_id": "506",
            "params": [
                {"name": "id", "in": "path", "type": "string", "required": true},
                {"name": "data", "in": "body", "type": "object", "required": true,
                 "fields": [{"name": "Action", "type": "string", "required": true},
                            {"name": "Payload", "type": "string", "required": true}]}],
            "correction": null})
    );
    let list = ops.iter().find(|o| o["operation"] == "measurements.list").unwrap();
    assert_eq!(list["params"][0]["fields"][0], json!({"name": "statusId", "type": "string", "required": false,
        "nullable": true, "wire": "StatusID"}));
    let code = ops.iter().find(|o| o["operation"] == "auths.requestLoginCode").unwrap();
    assert_eq!((code["http_method"].as_str(), code["path"].as_str()), (Some("PATCH"), Some("auths/users/code")));
    assert!(code["correction"].as_str().unwrap().contains("auths/renew"));
    assert!(std::ptr::eq(super::operations_json(), super::operations_json()), "built once");
}

#[test]
fn paths_and_queries_are_encoded() {
    let p = prepare("measurements.data", json!({"id": "a/b?c#d %", "data": {"Action": "x", "Payload": "y"}})).unwrap();
    assert_eq!(p.target, "measurements/a%2Fb%3Fc%23d%20%25/data");
    let p = prepare("measurements.list", json!({"data": {"statusId": "A&B=C", "limit": 10, "offset": null}})).unwrap();
    assert_eq!(p.target, "measurements?StatusID=A%26B%3DC&Limit=10");
    let p = prepare("measurements.list", json!({"data": {}})).unwrap();
    assert_eq!(p.target, "measurements", "no bare ?");
    let p = prepare("measurements.list", Value::Null).unwrap();
    assert_eq!((&*p.target, p.body.is_none()), ("measurements", true));
    let p = prepare("licenses.listOrgLicenses", json!({"data": {"limit": "5", "offset": 10}})).unwrap();
    assert_eq!(p.target, "licenses/organization?Limit=5&Offset=10", "a string or a number for either");
    let p = prepare("studies.types", json!({"statusId": 3})).unwrap();
    assert_eq!(p.target, "studies/types?StatusID=3");
    let m = refused("organizations.retrieveMeasurement", json!({"measurementId": "m", "expandResults": "yes"}));
    assert!(m.contains("`expandResults` must be a boolean, not a string"), "{m}");
    let p = prepare("studies.types", json!({"statusId": "ACTIVE +1"})).unwrap();
    assert_eq!(p.target, "studies/types?StatusID=ACTIVE%20%2B1");
    let p = prepare("organizations.retrieveMeasurement", json!({"measurementId": "m1", "expandResults": true})).unwrap();
    assert_eq!(p.target, "organizations/measurements/m1?ExpandResults=true");
    let p = prepare("organizations.retrieveMeasurement", json!({"measurementId": "m1", "expandResults": false})).unwrap();
    assert_eq!(p.target, "organizations/measurements/m1");
    let p = prepare("devices.list", json!({"data": {"deviceTypeID": "LINUX"}})).unwrap();
    assert_eq!(p.target, "devices?DeviceTypeID=LINUX", "the corrected key");
}

#[test]
fn bodies_pass_through_and_body_fields_are_built() {
    let data = json!({"StudyID": "s", "Resolution": 100, "Extra": [1, 2]});
    let p = prepare("measurements.create", json!({ "data": data })).unwrap();
    assert_eq!(body(&p), data);
    assert_eq!(std::str::from_utf8(&p.body.as_ref().unwrap().0).unwrap(), r#"{"StudyID":"s","Resolution":100,"Extra":[1,2]}"#);
    let p = prepare("users.sendReset", json!({"identifier": "org", "email": "a@b"})).unwrap();
    assert_eq!(std::str::from_utf8(&p.body.as_ref().unwrap().0).unwrap(), r#"{"Email":"a@b","Identifier":"org"}"#);
    let p = prepare("templates.deleteConfigFile", json!({"StudyTemplateID": "t", "SDKID": "s"})).unwrap();
    assert_eq!(body(&p), json!({"StudyTemplateID": "t", "SDKID": "s"}));
    assert_eq!(p.op.method, crate::transport::Method::Delete);
    let p = prepare("organizationConfigLink.createConfigLink", json!({"data": [1, "x"]})).unwrap();
    assert_eq!(body(&p), json!([1, "x"]), "an untyped body is sent as given");
    let p = prepare("licenses.createLicense", json!({"data": {"OrganizationID": null, "LicenseType": "t",
        "MaxDevices": 1, "Expiration": null, "SDKPlatforms": null}}));
    assert!(p.is_ok(), "nullable required fields take null");
    assert!(prepare("general.status", json!({})).unwrap().body.is_none());
}

#[test]
fn bearers_follow_the_row() {
    let bearer = |op: &str, params: Value| {
        let p = prepare(op, params).unwrap();
        match p.bearer {
            Token::None => "none".to_owned(),
            Token::Session(TokenKind::Device) => "device".to_owned(),
            Token::Session(TokenKind::User) => "user".to_owned(),
            Token::UserElseDevice => "user_else_device".to_owned(),
            Token::Explicit(t) => format!("explicit {}", t.as_str()),
            Token::Renewing => format!("renewing {}", p.renewing.as_ref().unwrap().0.as_str()),
        }
    };
    assert_eq!(bearer("general.status", Value::Null), "none");
    assert_eq!(bearer("general.verifyToken", json!({"token": "t1"})), "explicit t1");
    assert_eq!(bearer("general.verifyToken", Value::Null), "user_else_device");
    assert_eq!(bearer("organizations.unregisterLicense", Value::Null), "device", "corrected");
    assert_eq!(bearer("measurements.retrieve", json!({"id": "m"})), "user");
    assert_eq!(bearer("measurements.retrieve", json!({"id": "m", "tokenType": "device"})), "device");
    assert_eq!(bearer("organizations.retrieve", Value::Null), "device");
    let renew = json!({"data": {"Token": "old", "RefreshToken": "r"}, "tokenType": "user"});
    assert_eq!(bearer("auths.renew", renew), "renewing old", "the token being renewed");
    let p = prepare("organizations.login", json!({"data": {"Email": "e", "Password": "p", "Identifier": "i"},
        "enableSession": true})).unwrap();
    assert!(p.session_header && matches!(p.on_cancel(), OnCancel::Finish), "a login is carried through");
    let renew = json!({"data": {"Token": "old", "RefreshToken": "r"}});
    let p = prepare("auths.renew", renew).unwrap();
    assert!(matches!(p.on_cancel(),
        OnCancel::FinishIfSessionHolds(t) if t.as_str() == "old"), "a renew only if the session holds its pair");
    // The rule shares the request's copy of the token; neither shows it.
    let OnCancel::FinishIfSessionHolds(t) = p.on_cancel() else { unreachable!() };
    let request_copy = &p.renewing.as_ref().unwrap().0;
    assert!(std::ptr::eq(t.as_str(), request_copy.as_str()), "one copy, shared");
    assert_eq!(format!("{t:?} {request_copy:?}"), "SharedToken(..) SharedToken(..)");
    assert!(matches!(prepare("general.status", Value::Null).unwrap().on_cancel(), OnCancel::Abort));
    let p = prepare("organizations.login", json!({"data": {"Email": "e", "Password": "p", "Identifier": "i"}}));
    assert!(!p.unwrap().session_header);
}

#[test]
fn argument_errors_name_the_problem() {
    let m = refused("measurement.create", json!({}));
    assert!(m.contains("unknown operation `measurement.create`") && m.contains("measurements.create"), "{m}");
    let m = refused("renew", json!({}));
    assert!(m.contains("auths.renew"), "{m}");
    let m = refused("measurements.data", json!({"ID": "x", "data": {}}));
    assert!(m.contains("no parameter `ID`; did you mean `id`?") && m.contains("id, data"), "{m}");
    let m = refused("measurements.data", json!({"data": {"Action": "a", "Payload": "p"}}));
    assert!(m.contains("missing required parameter `id`"), "{m}");
    let m = refused("measurements.data", json!({"id": "x", "data": {"Action": "a"}}));
    assert!(m.contains("`data` is missing its required field `Payload`"), "{m}");
    let m = refused("measurements.data", json!({"id": "x", "data": {"Action": 5, "Payload": "p"}}));
    assert!(m.contains("`data.Action` must be a string, not a number"), "{m}");
    let m = refused("measurements.data", json!({"id": 7, "data": {"Action": "a", "Payload": "p"}}));
    assert!(m.contains("`id` must be a string, not a number"), "{m}");
    let m = refused("measurements.data", json!({"id": "", "data": {"Action": "a", "Payload": "p"}}));
    assert!(m.contains("`id` must not be empty"), "{m}");
    let m = refused("measurements.data", json!(["x"]));
    assert!(m.contains("must be a JSON object"), "{m}");
    let m = refused("measurements.list", json!({"data": {"statusID": "x"}}));
    assert!(m.contains("no option `statusID`; did you mean `statusId`?"), "{m}");
    let m = refused("measurements.list", json!({"data": {"limit": [1]}}));
    assert!(m.contains("`data.limit` must be a string or a number, not an array"), "{m}");
    let m = refused("auths.renew", json!({"data": {"Token": "t", "RefreshToken": "r"}, "tokenType": "admin"}));
    assert!(m.contains("`tokenType` must be \"device\" or \"user\""), "{m}");
    let m = refused("auths.renew", json!({"data": {"Token": "", "RefreshToken": "r"}}));
    assert!(m.contains("`data.Token` must not be empty"), "{m}");
    let license = json!({"Key": "k", "DeviceTypeID": "LINUX", "Name": "n", "Identifier": "i", "Version": "1"});
    let m = refused("organizations.registerLicense", json!({"data": license, "enableSession": "yes"}));
    assert!(m.contains("`enableSession` must be a boolean, not a string"), "{m}");
    // Values never reach a message: they may be secrets.
    let m = refused("auths.renew", json!({"data": {"Token": "secret-token", "RefreshToken": 1}}));
    assert!(!m.contains("secret-token") && m.contains("`data.RefreshToken` must be a string"), "{m}");
    let m = refused("general.status", json!({"x\u{1}y": 1}));
    assert!(m.contains("x?y") && m.contains("its parameters: none"), "{m}");
}

#[test]
fn typed_calls_may_send_only_known_fields() {
    let params = json!({"data": {"Token": "t", "RefreshToken": "r", "Tokn": "x"}});
    assert!(matches!(Prepared::new("auths.renew", &params, Fields::Known), Err(Error::Internal(_))));
    assert!(Prepared::new("auths.renew", &params, Fields::PassThrough).is_ok());
}

#[test]
fn edit_distances() {
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("", "abc"), 3);
    assert_eq!(edit_distance("same", "same"), 0);
}

#[test]
fn a_row_can_ask_for_one_of_its_optional_fields() {
    let e = prepare("auths.sendResetMobile", json!({"data": {}})).unwrap_err();
    assert!(e.to_string().contains("`data` needs at least one of `Email`, `PhoneNumber`"), "{e}");
    let e = prepare("auths.sendResetMobile", json!({"data": {"Email": "", "PhoneNumber": null}})).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    assert!(prepare("auths.sendResetMobile", json!({"data": {"PhoneNumber": "+1"}})).is_ok());
    assert!(prepare("auths.sendResetMobile", json!({"data": {"Email": "a@b.c"}})).is_ok());
}

/// What a prepared call sends and keeps, in words (Token and OnCancel have
/// no equality; the bytes are compared as they are).
fn request_of(p: &Prepared) -> String {
    let bearer = match &p.bearer {
        Token::None => "none".to_owned(),
        Token::Session(kind) => format!("session {kind:?}"),
        Token::UserElseDevice => "user else device".to_owned(),
        Token::Explicit(t) => format!("explicit {}", t.as_str()),
        Token::Renewing => "renewing".to_owned(),
    };
    let renewing = p.renewing.as_ref().map(|(t, r)| format!("{} / {}", t.as_str(), r.as_str()));
    let on_cancel = match p.on_cancel() {
        OnCancel::Abort => "abort".to_owned(),
        OnCancel::Finish => "finish".to_owned(),
        OnCancel::FinishIfSessionHolds(t) => format!("finish if the session holds {}", t.as_str()),
    };
    let body = p.body.as_ref().map(|b| String::from_utf8(b.0.clone()).unwrap());
    format!(
        "{} {} bearer={bearer} body={body:?} session_header={} renewing={renewing:?} on_cancel={on_cancel}",
        p.op.name, p.target, p.session_header
    )
}

/// The generic path's answer for the same fields: a `data` object of them,
/// in their order.
fn typed_text(operation: &str, fields: &[(&str, &str)]) -> Result<Prepared, Error> {
    let data: serde_json::Map<String, Value> = fields.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
    Prepared::typed(operation, json!({ "data": data }))
}

fn outcome(prepared: Result<Prepared, Error>) -> String {
    match prepared {
        Ok(p) => request_of(&p),
        Err(e) => format!("error: {e:?}"),
    }
}

#[test]
fn text_bodies_are_the_typed_requests_byte_for_byte() {
    // The edges of the escaper's 16-byte steps, every escape and non-ASCII.
    let long = format!("{}\"{}\\{}\u{1f}", "a".repeat(15), "b".repeat(16), "c".repeat(600));
    let texts = [
        "t", "", "ey.J0.k-_", "q\"b\\s/", "\u{0}\u{8}\u{c}\n\r\t\u{1f}\u{7f}", "é😀\u{2028}", long.as_str(),
    ];
    let shapes: [(&str, &[&str]); 6] = [
        ("auths.renew", &["Token", "RefreshToken"]),
        ("auths.generateToken", &["Token", "RefreshToken"]),
        ("auths.requestLoginCode", &["PhoneNumber", "Identifier"]),
        ("auths.requestResetPasswordLink", &["Email", "Identifier"]),
        ("users.loginWithPhoneCode", &["LoginCode", "PhoneNumber", "OrgKey"]),
        ("auths.sendResetMobile", &["Email", "PhoneNumber"]),
    ];
    let mut compared = 0;
    for (operation, names) in shapes {
        for (i, a) in texts.iter().enumerate() {
            for b in &texts[i..] {
                // Each field in turn takes `a`, the others `b`; then none.
                for n in 0..=names.len() {
                    let fields: Vec<(&str, &str)> =
                        names.iter().enumerate().map(|(k, name)| (*name, if k == n { *a } else { *b })).collect();
                    let direct = outcome(Prepared::text_body(operation, &fields));
                    assert_eq!(direct, outcome(typed_text(operation, &fields)), "{operation} {fields:?}");
                    compared += 1;
                }
            }
        }
        // Fewer fields than the row requires, or than it needs one of.
        let direct = outcome(Prepared::text_body(operation, &[]));
        assert!(direct.starts_with("error: InvalidArgument"), "{operation}: {direct}");
        assert_eq!(direct, outcome(typed_text(operation, &[])), "{operation}");
    }
    assert!(compared > 500);
    // A renew keeps its pair for the session and the cancel rule.
    let renew = request_of(&Prepared::text_body("auths.renew", &[("Token", "t1"), ("RefreshToken", "r1")]).unwrap());
    assert!(renew.contains("bearer=renewing") && renew.contains("renewing=Some(\"t1 / r1\")"), "{renew}");
    assert!(renew.ends_with("on_cancel=finish if the session holds t1"), "{renew}");
    assert!(renew.contains(r#"body=Some("{\"Token\":\"t1\",\"RefreshToken\":\"r1\"}")"#), "{renew}");
}

#[test]
fn text_bodies_only_for_rows_that_take_them() {
    let internal = |operation: &str, fields: &[(&str, &str)]| match Prepared::text_body(operation, fields) {
        Err(Error::Internal(m)) => m,
        other => panic!("{operation}: expected Internal, got {:?}", other.map(|p| request_of(&p))),
    };
    // A field the row lacks; one it types as a number.
    let m = internal("auths.renew", &[("Token", "t"), ("RefreshToken", "r"), ("Tokn", "x")]);
    assert_eq!(m, "auths.renew: the typed call sends a text field the table lacks: Tokn");
    internal("auths.renew", &[("Token", "t"), ("RefreshToken", "r"), ("RefreshTokenExpiresIn", "9")]);
    // Rows needing more than a body (a path value), or no body at all.
    let m = internal("auths.getOrgClientCredentials", &[]);
    assert_eq!(m, "auths.getOrgClientCredentials: its row does not take a body of text fields alone");
    internal("general.status", &[]);
    // An optional argument besides the body is fine (auths.renew's tokenType).
    assert!(find("auths.renew").unwrap().params.iter().any(|p| p.kind == ParamIn::TokenType && !p.required));
}

#[test]
fn text_bodies_refuse_rows_whose_data_is_query_options() {
    let no_path_value = |op: &&super::Operation| !op.path.contains('{');
    // `data` holding query options (a GET's), nothing required.
    let query = all().iter().filter(no_path_value).find(|op| {
        op.params.iter().any(|p| p.name == "data" && p.kind == ParamIn::Query)
            && !op.params.iter().any(|p| p.required || p.kind == ParamIn::Body)
    });
    let query = query.expect("a row whose `data` is its query options");
    assert!(matches!(Prepared::text_body(query.name, &[]), Err(Error::Internal(_))), "{}", query.name);
    // (No row needs a body and another argument without a path value: a
    // row with one has both checks refuse it.)
}
