//! The Users group: login on a device, login with a phone code.

use serde_json::Value;

use crate::api::{
    answer, check_mfa_token, forbidden, issue_pair, object_body, org_not_found, pair_reply,
    require_bearer, required_str, validation_error,
};
use crate::orgs::invalid_credentials;
use crate::record::RecordedRequest;
use crate::reply::Reply;
use crate::tokens::{Class, Identity};
use crate::State;

/// `POST users/auth`, `Bearer <device token>`, `{Email, Password, MFAToken?,
/// TokenExpiresIn?, RefreshTokenExpiresIn?}`: a user token bound to the
/// device (its DeviceID claim), for a user of the device's organization.
pub(crate) fn login(state: &State, req: &RecordedRequest) -> Reply {
    answer(|| {
        let device = require_bearer(state, req)?;
        if device.class != Class::Device {
            return Err(forbidden("This endpoint needs a device token"));
        }
        let body = object_body(&req.body)?;
        let email = required_str(&body, "Email")?;
        let password = required_str(&body, "Password")?;
        check_mfa_token(&body)?;
        let user = state
            .directory
            .login(&device.organization_id, email, password)
            .ok_or_else(invalid_credentials)?;
        let identity = Identity::user(user, device.organization_id, device.device_id);
        let (token, refresh) = issue_pair(state, identity, &body);
        Ok(pair_reply(token, refresh))
    })
}

/// `POST users/auth/code` `{LoginCode, PhoneNumber, OrgKey, TokenExpiresIn?,
/// RefreshTokenExpiresIn?}`: the code must be the last one issued for the
/// phone by `PATCH auths/users/code` for that organization; it is used up.
pub(crate) fn login_with_phone_code(state: &State, req: &RecordedRequest) -> Reply {
    answer(|| {
        let body = object_body(&req.body)?;
        // JS sends a number, Python a string. A number loses leading zeros,
        // so it is padded back to the six digits codes have.
        let code = match body.get("LoginCode") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) if n.is_u64() => format!("{:06}", n.as_u64().unwrap_or_default()),
            _ => {
                return Err(validation_error(
                    "LoginCode is required and must be a non-empty string or a non-negative integer",
                ))
            }
        };
        let phone = required_str(&body, "PhoneNumber")?;
        let ident = required_str(&body, "OrgKey")?;
        let org = state.directory.org(ident).ok_or_else(org_not_found)?;
        let invalid_code = || Reply::error(401, "INVALID_LOGIN_CODE", "The login code is wrong, used or expired");
        let user = state.directory.user_by_phone(&org.id, phone).ok_or_else(invalid_code)?;
        if !state.take_login_code(phone, ident, &code) {
            return Err(invalid_code());
        }
        let identity = Identity::user(user, org.id.clone(), None);
        let (token, refresh) = issue_pair(state, identity, &body);
        Ok(pair_reply(token, refresh))
    })
}
