//! The Auths group: renew, child tokens, login codes, reset requests and an
//! organization's SSO credentials.

use std::time::Duration;

use serde_json::{json, Value};

use crate::api::{
    answer, bearer_error, bearer_token, optional_str,
    org_not_found, required_str, validation_error,
};
use crate::api::Call;
use crate::reply::Reply;
use crate::tokens::RenewError;
use crate::State;

/// Lifetime of child tokens from `auths/generateToken`, unless `expiryInSec`
/// asks for less.
pub(crate) const CHILD_TOKEN_TTL: Duration = Duration::from_secs(3600);

fn invalid_refresh(e: RenewError) -> Reply {
    Reply::error(401, "INVALID_REFRESH_TOKEN", e.message())
}

use crate::api::success;

/// `POST auths/renew` `{Token, RefreshToken, RefreshTokenExpiresIn?}`.
/// The Authorization header is ignored.
pub(crate) fn renew(state: &State, call: &Call) -> Reply {
    answer(|| {
        let body = &call.body;
        let token = required_str(body, "Token")?;
        let refresh = required_str(body, "RefreshToken")?;
        // Honoured only when it is a positive integer; it can only shorten.
        let refresh_ttl = body
            .get("RefreshTokenExpiresIn")
            .and_then(Value::as_u64)
            .filter(|&s| s > 0)
            .map(Duration::from_secs);
        let (t, r) = state.tokens.renew(token, refresh, refresh_ttl).map_err(invalid_refresh)?;
        Ok(Reply::json(200, &json!({ "Token": t, "RefreshToken": r })))
    })
}

/// `POST auths/generateToken` `{Token, RefreshToken, expiryInSec?}` → a
/// child token with the pair's claims; the pair is not consumed. (An
/// Authorization header, when present, must carry a live token: the route
/// table's `AnyOptional`.)
pub(crate) fn generate_token(state: &State, call: &Call) -> Reply {
    answer(|| {
        let body = &call.body;
        let token = required_str(body, "Token")?;
        let refresh = required_str(body, "RefreshToken")?;
        // The Python client's `expiryInSec`; it can only shorten.
        let ttl = body
            .get("expiryInSec")
            .and_then(Value::as_u64)
            .filter(|&s| s > 0)
            .map_or(CHILD_TOKEN_TTL, |s| Duration::from_secs(s).min(CHILD_TOKEN_TTL));
        let child = state.tokens.child(token, refresh, ttl).map_err(invalid_refresh)?;
        Ok(Reply::json(200, &json!({ "Token": child })))
    })
}

/// `PATCH auths/users/code` `{PhoneNumber, Identifier}`.
pub(crate) fn request_login_code(state: &State, call: &Call) -> Reply {
    answer(|| {
        let body = &call.body;
        let phone = required_str(body, "PhoneNumber")?;
        let org = required_str(body, "Identifier")?;
        if !state.has_org(org) {
            return Err(org_not_found());
        }
        state.issue_login_code(phone, org);
        Ok(success())
    })
}

/// `PATCH auths/users/reset` `{Email, Identifier}`.
pub(crate) fn request_reset_link(state: &State, call: &Call) -> Reply {
    answer(|| {
        let body = &call.body;
        required_str(body, "Email")?;
        let org = required_str(body, "Identifier")?;
        if !state.has_org(org) {
            return Err(org_not_found());
        }
        Ok(success())
    })
}

/// `PATCH auths/users/reset/mobile` `{Email?, PhoneNumber?}`: at least one
/// must be a non-empty string.
pub(crate) fn send_reset_mobile(_: &State, call: &Call) -> Reply {
    answer(|| {
        let body = &call.body;
        let email = optional_str(body, "Email")?.unwrap_or_default();
        let phone = optional_str(body, "PhoneNumber")?.unwrap_or_default();
        if email.is_empty() && phone.is_empty() {
            return Err(validation_error("Email or PhoneNumber is required"));
        }
        Ok(success())
    })
}

/// `GET auths/organization/credentials/{orgId}`, user token required.
pub(crate) fn org_credentials(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = state.directory.org_by_id(call.param("orgId")).ok_or_else(|| {
            Reply::error(404, "ORGANIZATION_NOT_FOUND", "No organization has this OrganizationID")
        })?;
        Ok(Reply::json(
            200,
            &json!({
                "orgName": org.identifier,
                "logoURL": "",
                "userPoolId": format!("sandbox_{}", org.identifier),
                "nativeAuthEnabled": false,
                "cognitoDomainUrl": "",
                "identityProviders": [],
            }),
        ))
    })
}

/// `GET auth/v1/authenticate` and `GET auth/v1/validate`: the bearer's
/// claims (without DeviceID) plus `Policies` and `Permissions`.
pub(crate) fn authenticate(state: &State, call: &Call) -> Reply {
    answer(|| {
        let token = bearer_token(call.req)?.unwrap_or_default();
        let mut claims = state.tokens.claims(token).map_err(bearer_error)?;
        if let Some(c) = claims.as_object_mut() {
            for k in ["ActiveLicense", "DeviceID", "RemainingMeasurement"] {
                c.remove(k);
            }
            c.insert("Policies".into(), json!({ "LoginUser": true }));
            c.insert("Permissions".into(), json!({}));
        }
        Ok(Reply::json(200, &claims))
    })
}
