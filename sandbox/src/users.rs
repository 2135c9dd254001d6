//! The Users group: login on a device, login with a phone code, logout, and
//! the user records (create, retrieve, update, remove; the organization's
//! list and per-ID calls).

use serde_json::{json, Map, Value};

use crate::api::{
    answer, check_mfa_token, issue_pair, org_not_found, pair_reply,
    required_str, validation_error, contains_ci, empty_object, list_reply, not_found,
    optional_nonempty, success,
};
use crate::orgs::invalid_credentials;
use crate::api::Call;
use crate::reply::Reply;
use crate::directory::{UserError, USER_ATTRS};
use crate::tokens::{Class, Identity};
use crate::State;

/// `POST users/auth`, `Bearer <device token>`, `{Email, Password, MFAToken?,
/// TokenExpiresIn?, RefreshTokenExpiresIn?}`: a user token bound to the
/// device (its DeviceID claim), for a user of the device's organization.
pub(crate) fn login(state: &State, call: &Call) -> Reply {
    answer(|| {
        // The route table requires a device token.
        let device = call.who()?.clone();
        let body = &call.body;
        let email = required_str(body, "Email")?;
        let password = required_str(body, "Password")?;
        check_mfa_token(body)?;
        let user = state
            .directory
            .login(&device.organization_id, email, password)
            .ok_or_else(invalid_credentials)?;
        let identity = Identity::user(&user, device.organization_id, device.device_id);
        let (token, refresh) = issue_pair(state, identity, body);
        Ok(pair_reply(token, refresh))
    })
}

/// `POST users/auth/code` `{LoginCode, PhoneNumber, OrgKey, TokenExpiresIn?,
/// RefreshTokenExpiresIn?}`: the code must be the last one issued for the
/// phone by `PATCH auths/users/code` for that organization; it is used up.
pub(crate) fn login_with_phone_code(state: &State, call: &Call) -> Reply {
    answer(|| {
        let body = &call.body;
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
        let phone = required_str(body, "PhoneNumber")?;
        let ident = required_str(body, "OrgKey")?;
        let org = state.directory.org(ident).ok_or_else(org_not_found)?;
        let invalid_code = || Reply::error(401, "INVALID_LOGIN_CODE", "The login code is wrong, used or expired");
        let user = state.directory.user_by_phone(&org.id, phone).ok_or_else(invalid_code)?;
        if !state.take_login_code(phone, ident, &code) {
            return Err(invalid_code());
        }
        let identity = Identity::user(&user, org.id.clone(), None);
        let (token, refresh) = issue_pair(state, identity, body);
        Ok(pair_reply(token, refresh))
    })
}

fn user_error(e: UserError) -> Reply {
    match e {
        UserError::EmailTaken => Reply::error(409, "USER_ALREADY_EXISTS", "Another user of the organization has this Email"),
        UserError::NotFound => not_found("user"),
    }
}

/// The attributes of `USER_ATTRS` present in `body`: strings, numbers or null.
fn attrs(body: &Map<String, Value>) -> Result<Map<String, Value>, Reply> {
    let mut out = Map::new();
    for k in USER_ATTRS {
        match body.get(k) {
            None => {}
            Some(v @ (Value::String(_) | Value::Number(_) | Value::Null)) => {
                out.insert(k.to_owned(), v.clone());
            }
            Some(_) => return Err(validation_error(&format!("{k} must be a string, a number or null"))),
        }
    }
    Ok(out)
}

/// `POST users` (device or user token) `{Password, Email?, PhoneNumber?,
/// FirstName?, ...}` → `{ID}`, and `POST organizations/users` (the TS
/// request type's required fields) → `{ID, ResetToken}`: a user of the
/// bearer's organization, who can then log in with Email and Password.
pub(crate) fn create(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let password = required_str(&call.body, "Password")?;
        let email = optional_nonempty(&call.body, "Email")?.unwrap_or_default();
        let phone = optional_nonempty(&call.body, "PhoneNumber")?.map(str::to_owned);
        let id = state
            .directory
            .create_user(&org, email, password, phone, attrs(&call.body)?)
            .map_err(user_error)?;
        if call.route.op == "organizations.createUser" {
            return Ok(Reply::json(200, &json!({ "ID": id, "ResetToken": crate::tokens::random_b64(18) })));
        }
        Ok(Reply::json(200, &json!({ "ID": id })))
    })
}

/// `GET users`: the bearer's own record.
pub(crate) fn retrieve(state: &State, call: &Call) -> Reply {
    answer(|| {
        let who = call.who()?;
        let user = state.directory.user(&who.organization_id, &who.id).ok_or_else(|| not_found("user"))?;
        let mut v = user.to_json();
        v["DeviceID"] = json!(who.device_id);
        Ok(Reply::json(200, &v))
    })
}

/// `PATCH users` `{Email, Password, PhoneNumber, FirstName?, ...}`: changes
/// the bearer's own record (its login e-mail and password too).
pub(crate) fn update(state: &State, call: &Call) -> Reply {
    answer(|| {
        let who = call.who()?;
        let email = required_str(&call.body, "Email")?.to_owned();
        let password = required_str(&call.body, "Password")?.to_owned();
        let phone = optional_nonempty(&call.body, "PhoneNumber")?.map(str::to_owned);
        let attrs = attrs(&call.body)?;
        state
            .directory
            .update_user(&who.organization_id, &who.id, |u| {
                u.email = email;
                u.password = password;
                u.phone_number = phone;
                u.attrs.extend(attrs);
            })
            .map_err(user_error)?;
        Ok(empty_object())
    })
}

/// `DELETE users`: removes the bearer's own record; its tokens die.
pub(crate) fn remove(state: &State, call: &Call) -> Reply {
    answer(|| {
        let who = call.who()?;
        state.directory.remove_user(&who.organization_id, &who.id).map_err(user_error)?;
        state.tokens.revoke_subject(&who.id, &[Class::User, Class::Child]);
        Ok(empty_object())
    })
}

/// `DELETE users/auth`: ends every session of the bearer's user (all its
/// user and child tokens die).
pub(crate) fn logout(state: &State, call: &Call) -> Reply {
    answer(|| {
        let who = call.who()?;
        state.tokens.revoke_subject(&who.id, &[Class::User, Class::Child]);
        Ok(success())
    })
}

/// `GET organizations/users` `?UserName&Gender&StatusID&Limit&Offset`: the
/// organization's users, oldest first.
pub(crate) fn list(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = &call.who()?.organization_id;
        let name = call.query("UserName").or_else(|| call.query("Username"));
        let gender = call.query("Gender");
        let status = call.query("StatusID");
        let items = state
            .directory
            .users_of(org)
            .iter()
            .filter(|u| name.as_deref().is_none_or(|n| contains_ci(&u.email, n)))
            .filter(|u| gender.as_deref().is_none_or(|g| u.attrs.get("Gender").and_then(Value::as_str) == Some(g)))
            .filter(|_| status.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE")))
            .map(|u| u.to_json())
            .collect();
        list_reply(call, items)
    })
}

/// `GET organizations/users/{userId}`.
pub(crate) fn retrieve_by_id(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = &call.who()?.organization_id;
        let user = state.directory.user(org, call.param("userId")).ok_or_else(|| not_found("user"))?;
        let mut v = user.to_json();
        if let Some(o) = v.as_object_mut() {
            o.remove("MFAEnabled");
        }
        Ok(Reply::json(200, &v))
    })
}

/// `PATCH organizations/users/{userId}` `{FirstName, LastName, Gender,
/// DateOfBirth, HeightCm, WeightKg}`.
pub(crate) fn update_by_id(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let attrs = attrs(&call.body)?;
        state.directory.update_user(&org, call.param("userId"), |u| u.attrs.extend(attrs)).map_err(user_error)?;
        Ok(success())
    })
}

/// `DELETE organizations/users/{userId}`: the user is removed; its tokens die.
pub(crate) fn remove_by_id(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.who()?.organization_id.clone();
        let id = call.param("userId");
        state.directory.remove_user(&org, id).map_err(user_error)?;
        state.tokens.revoke_subject(id, &[Class::User, Class::Child]);
        Ok(success())
    })
}

/// `GET users/auth/code/{orgKey}/{phoneNumber}` (the older form of
/// `auths.requestLoginCode`): issues a login code for the phone, as `PATCH
/// auths/users/code` does.
pub(crate) fn request_login_code(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org = call.param("orgKey");
        if !state.has_org(org) {
            return Err(org_not_found());
        }
        state.issue_login_code(call.param("phoneNumber"), org);
        Ok(success())
    })
}
