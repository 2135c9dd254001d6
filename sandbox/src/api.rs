//! The DeepAffex Cloud endpoints the sandbox implements (the Auths group).

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::record::RecordedRequest;
use crate::reply::Reply;
use crate::tokens::RenewError;
use crate::State;

/// Answers one API request. `req.path` has no leading slash.
pub(crate) fn handle(state: &State, req: &RecordedRequest) -> Reply {
    let allowed = match req.path.as_str() {
        "auths/renew" => "POST",
        "auths/users/code" | "auths/users/reset" => "PATCH",
        _ => return Reply::error(404, "NOT_FOUND", "No such endpoint"),
    };
    if req.method != allowed {
        return Reply::error(405, "METHOD_NOT_ALLOWED", "Method not allowed for this endpoint")
            .with_header("Allow", allowed);
    }
    match req.path.as_str() {
        "auths/renew" => renew(state, req),
        "auths/users/code" => request_login_code(state, req),
        _ => request_reset_link(state, req),
    }
}

/// `POST auths/renew` `{Token, RefreshToken, RefreshTokenExpiresIn?}`.
/// The Authorization header is ignored.
fn renew(state: &State, req: &RecordedRequest) -> Reply {
    let body = match object_body(&req.body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let token = match required_str(&body, "Token") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let refresh = match required_str(&body, "RefreshToken") {
        Ok(s) => s,
        Err(r) => return r,
    };
    // Honoured only when it is a positive integer; it can only shorten.
    let refresh_ttl = body
        .get("RefreshTokenExpiresIn")
        .and_then(Value::as_u64)
        .filter(|&s| s > 0)
        .map(Duration::from_secs);
    match state.tokens.renew(token, refresh, refresh_ttl) {
        Ok((t, r)) => Reply::json(200, &json!({ "Token": t, "RefreshToken": r })),
        Err(e) => invalid_refresh(e),
    }
}

fn invalid_refresh(e: RenewError) -> Reply {
    Reply::error(401, "INVALID_REFRESH_TOKEN", e.message())
}

/// `PATCH auths/users/code` `{PhoneNumber, Identifier}`.
fn request_login_code(state: &State, req: &RecordedRequest) -> Reply {
    if let Err(r) = check_device_auth(state, req) {
        return r;
    }
    let body = match object_body(&req.body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let phone = match required_str(&body, "PhoneNumber") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let org = match required_str(&body, "Identifier") {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !state.has_org(org) {
        return org_not_found();
    }
    state.issue_login_code(phone);
    Reply::json(200, &json!({ "success": true }))
}

/// `PATCH auths/users/reset` `{Email, Identifier}`.
fn request_reset_link(state: &State, req: &RecordedRequest) -> Reply {
    if let Err(r) = check_device_auth(state, req) {
        return r;
    }
    let body = match object_body(&req.body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(r) = required_str(&body, "Email") {
        return r;
    }
    let org = match required_str(&body, "Identifier") {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !state.has_org(org) {
        return org_not_found();
    }
    Reply::json(200, &json!({ "success": true }))
}

fn org_not_found() -> Reply {
    Reply::error(404, "ORGANIZATION_NOT_FOUND", "No organization has this Identifier")
}

/// Leniency: no Authorization header at all is accepted. One that is present
/// must be `Bearer <live device token issued by this sandbox>`.
fn check_device_auth(state: &State, req: &RecordedRequest) -> Result<(), Reply> {
    let Some(value) = req.header("authorization") else {
        return Ok(());
    };
    let value = value.trim();
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => {
            return Err(Reply::error(
                401,
                "INVALID_TOKEN",
                "The Authorization header must be \"Bearer <token>\"",
            ))
        }
    };
    state
        .tokens
        .check_device_bearer(token)
        .map_err(|e| Reply::error(401, "INVALID_TOKEN", e.message()))
}

fn object_body(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Reply::error(
            400,
            "INVALID_REQUEST_BODY",
            "The request body must be a JSON object",
        )),
    }
}

fn required_str<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str, Reply> {
    match body.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(Reply::error(
            400,
            "VALIDATION_ERROR",
            &format!("{name} is required and must be a non-empty string"),
        )),
    }
}
