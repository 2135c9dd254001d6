//! Routing of the DeepAffex Cloud endpoints, and the request helpers they
//! share. The handlers live in `auths.rs`, `orgs.rs`, `users.rs` and
//! `general.rs`, one file per endpoint group.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::record::RecordedRequest;
use crate::reply::Reply;
use crate::tokens::{BearerError, Identity};
use crate::{auths, general, orgs, users, State};

/// Default (and longest) lifetime of tokens from register and login.
pub(crate) const TOKEN_TTL: Duration = Duration::from_secs(86400);

const CREDENTIALS_PREFIX: &str = "auths/organization/credentials/";

/// Answers one API request. `req.path` has no leading slash.
pub(crate) fn handle(state: &State, req: &RecordedRequest) -> Reply {
    let path = req.path.as_str();
    let org_id = path
        .strip_prefix(CREDENTIALS_PREFIX)
        .filter(|id| !id.is_empty() && !id.contains('/'));
    let allowed: &[&str] = match path {
        "auths/renew" | "auths/generateToken" => &["POST"],
        "auths/users/code" | "auths/users/reset" | "auths/users/reset/mobile" => &["PATCH"],
        "organizations/licenses" => &["POST", "DELETE"],
        "organizations/auth" | "users/auth" | "users/auth/code" => &["POST"],
        "auth" | "status" => &["GET"],
        _ if org_id.is_some() => &["GET"],
        _ => return Reply::error(404, "NOT_FOUND", "No such endpoint"),
    };
    if !allowed.contains(&req.method.as_str()) {
        return Reply::error(405, "METHOD_NOT_ALLOWED", "Method not allowed for this endpoint")
            .with_header("Allow", &allowed.join(", "));
    }
    match (req.method.as_str(), path) {
        (_, "auths/renew") => auths::renew(state, req),
        (_, "auths/generateToken") => auths::generate_token(state, req),
        (_, "auths/users/code") => auths::request_login_code(state, req),
        (_, "auths/users/reset") => auths::request_reset_link(state, req),
        (_, "auths/users/reset/mobile") => auths::send_reset_mobile(state, req),
        ("POST", "organizations/licenses") => orgs::register_license(state, req),
        (_, "organizations/licenses") => orgs::unregister_license(state, req),
        (_, "organizations/auth") => orgs::login(state, req),
        (_, "users/auth") => users::login(state, req),
        (_, "users/auth/code") => users::login_with_phone_code(state, req),
        (_, "auth") => general::verify_token(state, req),
        (_, "status") => general::status(),
        _ => auths::org_credentials(state, req, org_id.unwrap_or_default()),
    }
}

pub(crate) fn org_not_found() -> Reply {
    Reply::error(404, "ORGANIZATION_NOT_FOUND", "No organization has this Identifier")
}

pub(crate) fn forbidden(message: &str) -> Reply {
    Reply::error(403, "FORBIDDEN", message)
}

fn invalid_token(message: &str) -> Reply {
    Reply::error(401, "INVALID_TOKEN", message)
}

/// 401 `INVALID_TOKEN`, 401 `TOKEN_EXPIRED` or 403 `FORBIDDEN`.
pub(crate) fn bearer_error(e: BearerError) -> Reply {
    match e {
        BearerError::Unknown => invalid_token(e.message()),
        BearerError::Expired => Reply::error(401, "TOKEN_EXPIRED", e.message()),
        BearerError::NotDevice => forbidden(e.message()),
    }
}

/// The token of an `Authorization: Bearer <token>` header; `Ok(None)` when
/// there is no such header, 401 `INVALID_TOKEN` when it has another shape.
pub(crate) fn bearer_token(req: &RecordedRequest) -> Result<Option<&str>, Reply> {
    let Some(value) = req.header("authorization") else {
        return Ok(None);
    };
    match value.trim().split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() => {
            Ok(Some(rest.trim()))
        }
        _ => Err(invalid_token("The Authorization header must be \"Bearer <token>\"")),
    }
}

/// A live, unexpired bearer token of any type is required.
pub(crate) fn require_bearer(state: &State, req: &RecordedRequest) -> Result<Identity, Reply> {
    let Some(token) = bearer_token(req)? else {
        return Err(invalid_token("This endpoint needs an Authorization: Bearer <token> header"));
    };
    state.tokens.bearer(token).map_err(bearer_error)
}

/// Leniency of the PATCH endpoints: no Authorization header at all is
/// accepted. One that is present must be `Bearer <live device token issued
/// by this sandbox>`: expired → 401 `TOKEN_EXPIRED`, anything else → 401
/// `INVALID_TOKEN`.
pub(crate) fn check_device_auth(state: &State, req: &RecordedRequest) -> Result<(), Reply> {
    let Some(token) = bearer_token(req)? else {
        return Ok(());
    };
    state.tokens.check_device_bearer(token).map_err(|e| match e {
        BearerError::Expired => bearer_error(e),
        _ => invalid_token(e.message()),
    })
}

pub(crate) fn object_body(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Reply::error(
            400,
            "INVALID_REQUEST_BODY",
            "The request body must be a JSON object",
        )),
    }
}

pub(crate) fn validation_error(message: &str) -> Reply {
    Reply::error(400, "VALIDATION_ERROR", message)
}

pub(crate) fn required_str<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str, Reply> {
    match body.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(validation_error(&format!("{name} is required and must be a non-empty string"))),
    }
}

/// Absent or `null` → `None`; a string (possibly empty) → `Some`; else 400.
pub(crate) fn optional_str<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(validation_error(&format!("{name} must be a string"))),
    }
}

/// `MFAToken`: optional, a string or a number (the reference clients
/// disagree); the sandbox has no two-factor authentication and ignores it.
pub(crate) fn check_mfa_token(body: &Map<String, Value>) -> Result<(), Reply> {
    match body.get("MFAToken") {
        None | Some(Value::Null | Value::String(_) | Value::Number(_)) => Ok(()),
        Some(_) => Err(validation_error("MFAToken must be a string or a number")),
    }
}

/// An optional lifetime field in seconds: a positive integer (or a string of
/// digits, as the TS types have it) shortens `default`; anything else is
/// ignored. It can only shorten.
pub(crate) fn lifetime(body: &Map<String, Value>, name: &str, default: Duration) -> Duration {
    let secs = match body.get(name) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    };
    match secs.filter(|&s| s > 0) {
        Some(s) => Duration::from_secs(s).min(default),
        None => default,
    }
}

/// Issues a pair for `identity` with the body's `TokenExpiresIn` and
/// `RefreshTokenExpiresIn`, answering `{Token, RefreshToken}`.
pub(crate) fn issue_pair(state: &State, identity: Identity, body: &Map<String, Value>) -> (String, String) {
    let ttl = lifetime(body, "TokenExpiresIn", TOKEN_TTL);
    let refresh_ttl = lifetime(body, "RefreshTokenExpiresIn", crate::REFRESH_TOKEN_TTL);
    state.tokens.issue_pair(identity, ttl, refresh_ttl)
}

pub(crate) fn pair_reply(token: String, refresh: String) -> Reply {
    Reply::json(200, &json!({ "Token": token, "RefreshToken": refresh }))
}

/// Runs `f` and turns its `Err(reply)` into the answer.
pub(crate) fn answer(f: impl FnOnce() -> Result<Reply, Reply>) -> Reply {
    f().unwrap_or_else(|r| r)
}
