//! Routing of the DeepAffex Cloud endpoints through the route table
//! (`routes.rs`), the checks every route shares (method, path, bearer,
//! required body fields), and the request helpers the handlers share.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::control::percent_decode;
use crate::record::RecordedRequest;
use crate::reply::Reply;
use crate::routes::{self, Answer, Bearer, Body, Route};
use crate::tokens::{BearerError, Class, Identity};
use crate::State;

/// Default (and longest) lifetime of tokens from register and login.
pub(crate) const TOKEN_TTL: Duration = Duration::from_secs(86400);

/// One request matched to its route, with its checks passed.
pub(crate) struct Call<'a> {
    pub req: &'a RecordedRequest,
    pub route: &'static Route,
    /// The `{param}` values of the path, percent-decoded.
    pub params: Vec<(&'static str, String)>,
    /// Whose bearer token it carried (`None` when the route needs none and
    /// none was checked).
    pub who: Option<Identity>,
    /// The JSON object body (empty for routes without a body).
    pub body: Map<String, Value>,
}

impl Call<'_> {
    /// The decoded value of path parameter `name` (empty if the route has none).
    pub(crate) fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| v.as_str())
    }

    /// The first path parameter (most routes have at most one).
    pub(crate) fn id(&self) -> &str {
        self.params.first().map_or("", |(_, v)| v.as_str())
    }

    /// The decoded value of query key `name` (ASCII case-insensitive, so the
    /// JS `deviceTypeID` and the Python `DeviceTypeID` both work); an empty
    /// value counts as absent (the Python client sends every key).
    pub(crate) fn query(&self, name: &str) -> Option<String> {
        let q = self.req.query.as_deref()?;
        q.split('&')
            .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
            .find(|(k, _)| percent_decode(k).eq_ignore_ascii_case(name))
            .map(|(_, v)| percent_decode(&v.replace('+', " ")))
            .filter(|v| !v.is_empty())
    }

    /// The bearer's identity; routes that call this require a bearer.
    pub(crate) fn who(&self) -> Result<&Identity, Reply> {
        self.who.as_ref().ok_or_else(|| invalid_token("This endpoint needs an Authorization: Bearer <token> header"))
    }
}

/// Answers one API request. `req.path` has no leading slash.
pub(crate) fn handle(state: &State, req: &RecordedRequest) -> Reply {
    let segments: Vec<String> = req.path.split('/').map(percent_decode).collect();
    let found = routes::lookup(&segments);
    if found.is_empty() {
        return Reply::error(404, "NOT_FOUND", "No such endpoint");
    }
    let Some(route) = found.iter().copied().find(|r| r.method == req.method) else {
        let mut allowed: Vec<&str> = found.iter().map(|r| r.method).collect();
        allowed.dedup();
        return Reply::error(405, "METHOD_NOT_ALLOWED", "Method not allowed for this endpoint")
            .with_header("Allow", &allowed.join(", "));
    };
    answer(|| {
        let who = check_bearer(state, req, route.bearer)?;
        let body = match route.body {
            Body::NoBody => Map::new(),
            Body::Fields(required) => {
                let body = object_body(&req.body)?;
                if let Some(missing) = required.iter().find(|f| body.get(**f).is_none_or(Value::is_null)) {
                    return Err(validation_error(&format!("{missing} is required")));
                }
                body
            }
        };
        let call = Call { req, route, params: routes::params(route, &segments), who, body };
        Ok(match route.answer {
            Answer::Handler(h) => h(state, &call),
            Answer::Fixed(text) => Reply::json_text(200, text),
        })
    })
}

/// The bearer check of `kind`: 401 `INVALID_TOKEN` / `TOKEN_EXPIRED` for a
/// missing, malformed, unknown or expired token, 403 `FORBIDDEN` for a live
/// token of the wrong type.
fn check_bearer(state: &State, req: &RecordedRequest, kind: Bearer) -> Result<Option<Identity>, Reply> {
    let allowed: &[Class] = match kind {
        Bearer::None | Bearer::Ignored => return Ok(None),
        Bearer::DeviceOptional => {
            check_device_auth(state, req)?;
            return match bearer_token(req)? {
                Some(t) => Ok(state.tokens.bearer(t).ok()),
                None => Ok(None),
            };
        }
        Bearer::AnyOptional => {
            return match bearer_token(req)? {
                Some(t) => state.tokens.bearer(t).map(Some).map_err(bearer_error),
                None => Ok(None),
            };
        }
        Bearer::Device => &[Class::Device],
        Bearer::User => &[Class::User],
        Bearer::Either => &[Class::Device, Class::User],
        Bearer::Any => &[Class::Device, Class::User, Class::Child],
    };
    let who = require_bearer(state, req)?;
    if !allowed.contains(&who.class) {
        return Err(forbidden(match kind {
            Bearer::Device => "This endpoint needs a device token",
            Bearer::User => "This endpoint needs a user token",
            _ => "This endpoint needs a device or user token",
        }));
    }
    Ok(Some(who))
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

/// A list answer: `items` filtered already, then `Offset` and `Limit` from
/// the query applied; each element gets `TotalCount` (the count before
/// paging), as the API's list answers carry it. `Limit`/`Offset` that are
/// not non-negative integers → 400 `VALIDATION_ERROR`.
pub(crate) fn list_reply(call: &Call, items: Vec<Value>) -> Result<Reply, Reply> {
    let number = |name: &str| -> Result<Option<usize>, Reply> {
        match call.query(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<usize>()
                .map(Some)
                .map_err(|_| validation_error(&format!("{name} must be a non-negative integer"))),
        }
    };
    let offset = number("Offset")?.unwrap_or(0);
    let limit = number("Limit")?.unwrap_or(usize::MAX);
    let total = items.len();
    let page: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|mut v| {
            if let Value::Object(m) = &mut v {
                m.insert("TotalCount".into(), json!(total));
            }
            v
        })
        .collect();
    Ok(Reply::json(200, &Value::Array(page)))
}

/// An optional string field: absent, null or `""` → `None` (the Python
/// client sends empty strings for unset fields); a non-string → 400.
pub(crate) fn optional_nonempty<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Reply> {
    Ok(optional_str(body, name)?.filter(|s| !s.is_empty()))
}

pub(crate) fn not_found(what: &str) -> Reply {
    Reply::error(404, "NOT_FOUND", &format!("No {what} has this ID"))
}

pub(crate) fn success() -> Reply {
    Reply::json(200, &json!({ "success": true }))
}

/// The answer of operations the API documents no body for.
pub(crate) fn empty_object() -> Reply {
    Reply::json(200, &json!({}))
}

/// `true` when `haystack` contains `needle`, ASCII case-insensitively.
pub(crate) fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
}
