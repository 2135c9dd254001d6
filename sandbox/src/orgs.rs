//! The Organizations group: licence registration (device tokens),
//! unregistration and the view-only organization login.

use serde_json::json;

use crate::api::{
    answer, bearer_error, bearer_token, check_mfa_token, issue_pair, optional_str,
    org_not_found, pair_reply, required_str, validation_error,
};
use crate::directory::SeatError;
use crate::api::Call;
use crate::reply::Reply;
use crate::seed::DEVICE_ROLE_ID;
use crate::tokens::{random_uuid, Class, Identity};
use crate::State;

/// Values `DeviceTypeID` may take.
pub(crate) const DEVICE_TYPES: [&str; 9] = [
    "IPHONE",
    "IPAD",
    "DARWIN",
    "ANDROID_PHONE",
    "WINDOWS",
    "WIN32",
    "WINDOWS_TABLET",
    "LINUX",
    "DEBIAN",
];

/// `POST organizations/licenses` `{Key, DeviceTypeID, Name, Identifier,
/// Version, TokenExpiresIn?, TokenSubject?, RefreshTokenExpiresIn?}`: a new
/// device, its token pair; one seat of the licence.
pub(crate) fn register_license(state: &State, call: &Call) -> Reply {
    answer(|| {
        let body = &call.body;
        let key = required_str(body, "Key")?;
        let device_type = required_str(body, "DeviceTypeID")?;
        if !DEVICE_TYPES.contains(&device_type) {
            return Err(validation_error(&format!("DeviceTypeID must be one of {}", DEVICE_TYPES.join(", "))));
        }
        required_str(body, "Name")?;
        let ident = required_str(body, "Identifier")?;
        required_str(body, "Version")?;
        // Pins the token to a Referer host in the cloud; accepted and ignored here.
        optional_str(body, "TokenSubject")?;
        let org = state.directory.org(ident).ok_or_else(org_not_found)?;
        let device_id = random_uuid();
        state.directory.claim_seat(key, ident, &device_id).map_err(|e| match e {
            SeatError::NotFound => Reply::error(
                404,
                "LICENSE_NOT_FOUND",
                "No licence with this Key belongs to this organization",
            ),
            SeatError::Exhausted => {
                Reply::error(403, "LICENSE_SEATS_EXHAUSTED", "Every seat of this licence is in use")
            }
        })?;
        let user_id = random_uuid();
        let identity = Identity {
            id: user_id.clone(),
            organization_id: org.id.clone(),
            class: Class::Device,
            device_id: Some(device_id.clone()),
            role_id: DEVICE_ROLE_ID.to_owned(),
            session_gen: 1,
        };
        let (token, refresh) = issue_pair(state, identity, body);
        Ok(Reply::json(
            200,
            &json!({
                "DeviceID": device_id,
                "Token": token,
                "RefreshToken": refresh,
                "RoleID": DEVICE_ROLE_ID,
                "UserID": user_id,
            }),
        ))
    })
}

/// `DELETE organizations/licenses`, `Bearer <device token>`: decommissions
/// the device. Every token carrying its DeviceID dies; its seat is freed.
pub(crate) fn unregister_license(state: &State, call: &Call) -> Reply {
    answer(|| {
        let Some(token) = bearer_token(call.req)? else {
            return Err(Reply::error(
                401,
                "INVALID_TOKEN",
                "This endpoint needs an Authorization: Bearer <device token> header",
            ));
        };
        let device_id = state.tokens.decommission(token).map_err(bearer_error)?;
        state.directory.free_seat(&device_id);
        Ok(Reply::json(200, &json!({})))
    })
}

/// `POST organizations/auth` `{Email, Password, Identifier, MFAToken?,
/// TokenExpiresIn?, RefreshTokenExpiresIn?}`: a view-only user token (no
/// DeviceID claim).
pub(crate) fn login(state: &State, call: &Call) -> Reply {
    answer(|| {
        let body = &call.body;
        let email = required_str(body, "Email")?;
        let password = required_str(body, "Password")?;
        let ident = required_str(body, "Identifier")?;
        check_mfa_token(body)?;
        let org = state.directory.org(ident).ok_or_else(org_not_found)?;
        let user = state
            .directory
            .login(&org.id, email, password)
            .ok_or_else(invalid_credentials)?;
        let identity = Identity::user(&user, org.id.clone(), None);
        let (token, refresh) = issue_pair(state, identity, body);
        Ok(pair_reply(token, refresh))
    })
}

pub(crate) fn invalid_credentials() -> Reply {
    Reply::error(401, "INVALID_CREDENTIALS", "Wrong e-mail or password")
}

/// `GET organizations`: the bearer's organization, with the sandbox's
/// (fixed) password and session policy.
pub(crate) fn retrieve(state: &State, call: &Call) -> Reply {
    answer(|| {
        let org_id = &call.who()?.organization_id;
        let org = state.directory.org_by_id(org_id).ok_or_else(org_not_found)?;
        Ok(Reply::json(
            200,
            &json!({
                "ID": org.id,
                "Name": org.identifier,
                "Identifier": org.identifier,
                "StatusID": "ACTIVE",
                "Contact": "dfx-sandbox",
                "Email": "developer@example.com",
                "PasswordMinLength": 8,
                "AdminPasswordMinLength": 12,
                "PasswordRequireCharacterClasses": 0,
                "PasswordRequireUppercase": false,
                "PasswordRequireLowercase": false,
                "PasswordRequireDigits": false,
                "PasswordRequireSpecial": false,
                "PasswordRotateDays": 0,
                "RequireUniquePasswordsCount": 0,
                "SessionMaxDurationSeconds": 86400,
                "SessionIdleDurationSeconds": 3600,
                "OrgAddresses": [],
                "LivenessConfig": { "VisageLiveness": false },
                "Created": 1767225600,
                "Updated": 1767225600,
            }),
        ))
    })
}
