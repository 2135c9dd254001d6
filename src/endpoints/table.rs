//! The rows: all 133 operations of the JavaScript client
//! (`../shared/api/endpoints.json`, in its order), with the defects of the
//! reference clients corrected where `../shared/api/NOTES.md` finds them
//! (`.corrects(..)` says which).
//!
//! `op(name, method, path, bearer, action_id, params)`; params in the
//! JavaScript order: `path(name)`, `body(fields)` / `body_any()` (the `data`
//! object sent as the JSON body), `query(options)` (the optional `data`
//! object of query options: `q(js_name, wire_key, type)`),
//! `query_value(name, wire_key, type)`, `body_field(name, wire_field, type)`,
//! `bearer(name)`, `token_type(default)`, `session_flag()`. Body fields:
//! `f` required, `o` optional, `.null()` accepts `null`.
//! Where the TypeScript type says `number` but the Python client sends a
//! string (`LoginCode`, `MFAToken`, `TokenExpiresIn`) the field is `ANY`.

use super::BearerKind::{Device as DEVICE, Explicit as EXPLICIT, None as NONE, Renewed as RENEWED};
use super::BearerKind::{TokenType as TOKEN_TYPE, User as USER};
use super::Effect::{RegisterLicense as REGISTER_LICENSE, Renew as RENEW, UnregisterLicense as UNREGISTER_LICENSE};
use super::Effect::{UserLogin as USER_LOGIN, UserLogout as USER_LOGOUT};
use super::JsonType::{Any as ANY, Array as ARR, Boolean as BOOL, Number as NUM, Object as OBJ, String as STR};
use super::{body, body_any, body_field, bearer, f, o, op, path, q, query, query_value, session_flag, token_type};
use super::Operation;
use crate::session::TokenKind;
use crate::transport::Method::{Delete as DELETE, Get as GET, Patch as PATCH, Post as POST};

// A `const`: the library carries it packed (`packed.rs`), and rebuilds
// these rows from that on first use.
pub(super) const TABLE: &[Operation] = &[
    op("general.status", GET, "status", NONE, "100", &[]),
    op("general.listAcceptedMimeTypes", GET, "mimes", NONE, "101", &[]),
    op("general.listAvailableUserRoles", GET, "roles", DEVICE, "102", &[]),
    op("general.listAvailableStatuses", GET, "statuses", USER, "104", &[]),
    op("general.verifyToken", GET, "auth", EXPLICIT, "107", &[bearer("token")]),
    op("general.regions", GET, "regions", NONE, "108", &[]),
    op("general.retrieveConsent", GET, "consents", USER, "109", &[]),
    op("general.createConsent", POST, "consents", USER, "110", &[
        body(&[
            f("description", STR), f("data_controller", OBJ), f("purposes", ARR), f("policy_url", STR),
            f("policy_version", STR), f("collection_mode", STR),
        ]),
    ]),
    op("general.updateConsent", PATCH, "consents", USER, "111", &[
        body(&[
            f("description", STR), f("data_controller", OBJ), f("purposes", ARR), f("policy_url", STR),
            f("policy_version", STR), f("collection_mode", STR),
        ]),
    ]),
    op("general.getRolesInteractionTree", GET, "roles-interaction-tree", USER, "113", &[]),
    op("general.getPrescription", GET, "prescription/{prescriptionId}", NONE, "114", &[path("prescriptionId")]),
    op("users.create", POST, "users", TOKEN_TYPE, "200", &[
        body(&[
            o("FirstName", STR), o("LastName", STR), o("Email", STR), f("Password", STR),
            o("PhoneNumber", STR), o("Gender", STR), o("DateOfBirth", STR), o("HeightCm", STR),
            o("WeightKg", STR),
        ]),
        token_type(Some(TokenKind::Device)),
    ]),
    op("users.login", POST, "users/auth", DEVICE, "201", &[
        body(&[
            f("Email", STR), f("Password", STR), o("MFAToken", ANY), o("TokenExpiresIn", ANY),
            o("RefreshTokenExpiresIn", NUM),
        ]),
    ]).effect(USER_LOGIN),
    op("users.retrieve", GET, "users", USER, "202", &[]),
    op("users.remove", DELETE, "users", USER, "206", &[]),
    op("users.update", PATCH, "users", USER, "208", &[
        body(&[
            o("FirstName", STR), o("LastName", STR), f("Email", STR), f("Password", STR),
            f("PhoneNumber", STR), o("Gender", STR), o("DateOfBirth", STR), o("HeightCm", STR),
            o("WeightKg", STR),
        ]),
    ]),
    op("users.sendReset", PATCH, "users/sendreset", USER, "209", &[
        body_field("email", "Email", STR),
        body_field("identifier", "Identifier", STR),
    ]),
    op("users.resetPassword", PATCH, "users/reset", USER, "210", &[
        body(&[f("ResetToken", STR), f("Password", STR), o("OTP", STR)]),
    ]),
    op("users.retrieveUserRole", GET, "users/role", USER, "211", &[]),
    op("users.verifyUserAccount", POST, "users/verify", USER, "212", &[
        body(&[f("VerificationCode", STR), f("ID", STR)]),
    ]),
    op("users.sendAccountActivationCode", GET, "users/verificationCode/{userId}/{orgKey}", USER, "213", &[
        path("userId"),
        path("orgKey"),
    ]),
    op("users.signup", POST, "users/signup", USER, "215", &[
        body(&[
            f("Email", STR), f("FirstName", STR), f("LastName", STR), f("Password", STR), f("Industry", STR),
            f("Region", STR),
        ]),
    ]),
    op("users.requestLoginCode", GET, "users/auth/code/{orgKey}/{phoneNumber}", USER, "216", &[
        path("orgKey"),
        path("phoneNumber"),
    ]),
    op("users.loginWithPhoneCode", POST, "users/auth/code", NONE, "217", &[
        body(&[
            f("LoginCode", ANY), f("PhoneNumber", STR), f("OrgKey", STR), o("TokenExpiresIn", ANY),
            o("RefreshTokenExpiresIn", NUM),
        ]),
        session_flag(),
    ]).effect(USER_LOGIN),
    op("users.delete", DELETE, "users/{userId}/measurements", USER, "219", &[path("userId")]),
    op("users.changePassword", POST, "users/changepassword", USER, "220", &[
        body(&[f("Identifier", STR), f("Email", STR), f("Password", STR), f("NewPassword", STR)]),
    ]),
    op("users.createTwoFactorAuthSecret", POST, "users/mfa/secret", USER, "221", &[])
        .corrects("the JavaScript client sends GET; creating a secret is a POST, as the Python client sends it (NOTES.md §9.2; uncertain)"),
    op("users.enableTwoFactorAuthForLoggedInUser", POST, "users/mfa", USER, "222", &[
        body(&[f("MFASecret", STR), f("MFAToken", ANY)]),
    ]),
    op("users.disableTwoFactorAuthForLoggedInUser", DELETE, "users/mfa", USER, "223", &[]),
    op("users.disableTwoFactorAuthForSpecifiedUser", DELETE, "users/{userId}/mfa", USER, "224", &[path("userId")]),
    op("users.logout", DELETE, "users/auth", USER, "226", &[]).effect(USER_LOGOUT)
        .corrects(
            "The session's user pair is cleared (the JS client leaves the dead pair in its session; \
             Python clears it).",
        ),
    op("users.recoveryVerificationCode", GET, "users/recoveryVerificationCode/{userId}", USER, "228", &[
        path("userId"),
    ]),
    op("users.getUserPrescription", GET, "users/{userId}/prescription", USER, "229", &[path("userId")]),
    op("users.deletePrescription", DELETE, "users/{id}/prescription", USER, "230", &[path("id")]),
    op("users.createPrescription", POST, "users/{userId}/prescription", USER, "231", &[
        path("userId"),
        body(&[f("organizationConfigLinkID", STR), o("expireAt", STR)]),
    ]),
    op("users.resendPrescription", GET, "users/{userId}/resend/prescription", USER, "231", &[path("userId")]),
    op("users.updatePrescription", PATCH, "users/{userId}/prescription", USER, "232", &[
        path("userId"),
        body(&[f("organizationConfigLinkID", STR), o("expireAt", STR)]),
    ]),
    op("users.getMyPrescription", GET, "users/prescription", USER, "233", &[]),
    op("profiles.create", POST, "users/profiles", DEVICE, "400", &[body(&[f("Name", STR), f("Email", STR)])]),
    op("profiles.retrieve", GET, "users/profiles/{profileId}", USER, "401", &[path("profileId")]),
    op("profiles.list", GET, "users/profiles", USER, "402", &[
        query(&[
            q("userProfileName", "UserProfileName", STR), q("status", "Status", STR),
            q("limit", "Limit", NUM), q("offset", "Offset", NUM), q("endDate", "EndDate", STR),
            q("date", "Date", STR), q("sortBy", "SortBy", STR), q("sortOrder", "SortOrder", STR),
            q("ownerUser", "OwnerUser", STR),
        ]),
    ]),
    op("profiles.listByUser", GET, "users/{userId}/profiles", USER, "403", &[
        path("userId"),
        query(&[
            q("userProfileName", "UserProfileName", STR), q("status", "Status", STR),
            q("limit", "Limit", NUM), q("offset", "Offset", NUM),
        ]),
    ]),
    op("profiles.remove", DELETE, "users/profiles/{profileId}", USER, "404", &[path("profileId")]),
    op("profiles.update", PATCH, "users/profiles/{profileId}", USER, "405", &[
        path("profileId"),
        body(&[f("Name", STR), f("Email", STR), f("Status", STR)]),
    ]),
    op("measurements.retrieve", GET, "measurements/{id}", TOKEN_TYPE, "500", &[
        path("id"),
        token_type(Some(TokenKind::User)),
    ]),
    op("measurements.list", GET, "measurements", USER, "501", &[
        query(&[
            q("statusId", "StatusID", STR), q("userProfileId", "UserProfileID", STR),
            q("userProfileName", "UserProfileName", STR), q("studyId", "StudyID", STR),
            q("partnerId", "PartnerID", STR), q("date", "Date", STR), q("endDate", "EndDate", STR),
            q("limit", "Limit", STR), q("offset", "Offset", STR), q("deviceID", "DeviceID", STR),
            q("mode", "Mode", STR), q("sortBy", "SortBy", STR), q("sortOrder", "SortOrder", STR),
            q("userName", "UserName", STR),
        ]),
    ]),
    op("measurements.create", POST, "measurements", USER, "504", &[
        body(&[f("StudyID", STR), f("Resolution", NUM), o("UserProfileID", STR), o("PartnerID", STR)]),
    ]),
    op("measurements.data", POST, "measurements/{id}/data", USER, "506", &[
        path("id"),
        body(&[f("Action", STR), f("Payload", STR)]),
    ]),
    op("measurements.delete", DELETE, "measurements/{id}", USER, "507", &[path("id")]),
    op("organizations.retrieve", GET, "organizations", TOKEN_TYPE, "700", &[token_type(Some(TokenKind::Device))]),
    op("organizations.users", GET, "organizations/users", USER, "702", &[
        query(&[
            q("statusId", "StatusID", STR), q("userName", "UserName", STR), q("roleId", "RoleID", STR),
            q("gender", "Gender", STR), q("date", "Date", STR), q("endDate", "EndDate", STR),
            q("limit", "Limit", STR), q("offset", "Offset", STR),
        ]),
    ]),
    op("organizations.listMeasurements", GET, "organizations/measurements", USER, "703", &[
        query(&[
            q("statusId", "StatusID", STR), q("userProfileID", "UserProfileID", STR),
            q("userProfileName", "UserProfileName", STR), q("studyID", "StudyID", STR),
            q("userName", "UserName", STR), q("date", "Date", STR), q("endDate", "EndDate", STR),
            q("limit", "Limit", STR), q("offset", "Offset", STR), q("deviceID", "DeviceID", STR),
            q("partnerId", "PartnerID", STR), q("mode", "Mode", STR), q("sortBy", "SortBy", STR),
            q("sortOrder", "SortOrder", STR), q("region", "Region", STR),
        ]),
    ]),
    op("organizations.retrieveMeasurement", GET, "organizations/measurements/{measurementId}", USER, "704", &[
        path("measurementId"),
        query_value("expandResults", "ExpandResults", BOOL),
    ]),
    op("organizations.registerLicense", POST, "organizations/licenses", NONE, "705", &[
        body(&[
            f("DeviceTypeID", STR), f("Key", STR), f("Name", STR), f("Identifier", STR), f("Version", STR),
            o("TokenExpiresIn", ANY), o("TokenSubject", STR), o("RefreshTokenExpiresIn", NUM),
        ]),
        session_flag(),
    ]).effect(REGISTER_LICENSE),
    op("organizations.unregisterLicense", DELETE, "organizations/licenses", DEVICE, "706", &[]).effect(UNREGISTER_LICENSE)
        .corrects(
            "Bearer: the session's device token (the JS client sends the user token); the device \
             refresh token is cleared too.",
        ),
    op("organizations.retrieveLogo", GET, "organizations/{orgId}/logo", USER, "708", &[path("orgId")]),
    op("organizations.listProfiles", GET, "organizations/profiles", USER, "710", &[
        query(&[
            q("statusId", "StatusID", STR), q("ownerUser", "OwnerUser", STR),
            q("userProfileName", "UserProfileName", STR), q("created", "Created", STR),
            q("date", "Date", STR), q("endDate", "EndDate", STR), q("limit", "Limit", STR),
            q("offset", "Offset", STR),
        ]),
    ]),
    op("organizations.retrieveProfile", GET, "organizations/profiles/{profileId}", USER, "711", &[path("profileId")]),
    op("organizations.retrieveUser", GET, "organizations/users/{userId}", USER, "712", &[path("userId")]),
    op("organizations.createUser", POST, "organizations/users", USER, "713", &[
        body(&[
            f("FirstName", STR), f("LastName", STR), f("Email", STR), f("Gender", STR),
            f("DateOfBirth", STR), f("RoleID", STR), f("Password", STR), o("organizationConfigLinkID", STR),
            o("expireAt", STR),
        ]),
    ]),
    op("organizations.updateUser", PATCH, "organizations/users/{userId}", USER, "714", &[
        path("userId"),
        body(&[
            f("FirstName", STR), f("LastName", STR), f("Gender", STR), f("DateOfBirth", STR),
            f("HeightCm", STR), f("WeightKg", STR),
        ]),
    ]),
    op("organizations.removeUser", DELETE, "organizations/users/{userId}", USER, "715", &[path("userId")]),
    op("organizations.updateProfile", PATCH, "organizations/profiles/{profileId}", USER, "716", &[
        path("profileId"),
        body(&[f("Name", STR), f("Email", STR), f("Status", STR)]),
    ]),
    op("organizations.login", POST, "organizations/auth", NONE, "717", &[
        body(&[
            f("Email", STR), f("Password", STR), f("Identifier", STR), o("MFAToken", ANY),
            o("TokenExpiresIn", ANY), o("RefreshTokenExpiresIn", NUM),
        ]),
        session_flag(),
    ]).effect(USER_LOGIN),
    op("organizations.contactUser", POST, "organizations/users/contact", USER, "719", &[
        body(&[f("Email", STR), f("Type", STR)]),
    ]),
    op("organizations.deleteOrgMeasurement", DELETE, "organizations/{orgId}/measurements", USER, "721", &[
        path("orgId"),
    ]),
    op("organizations.deletePartnerMeasurement", DELETE, "organizations/{orgId}/partners/{partnerId}/measurements", USER, "722", &[
        path("orgId"),
        path("partnerId"),
    ]),
    op("organizations.getPasswordPolicy", GET, "organizations/policy/password", NONE, "723", &[]),
    op("studies.types", GET, "studies/types", USER, "800", &[query_value("statusId", "StatusID", STR)]),
    op("studies.templates", GET, "studies/templates", USER, "801", &[
        query(&[
            q("status", "Status", STR), q("type", "Type", STR), q("limit", "Limit", NUM),
            q("offset", "Offset", NUM), q("sortBy", "SortBy", STR), q("sortOrder", "SortOrder", STR),
        ]),
    ]),
    op("studies.retrieve", GET, "studies/{studyId}", USER, "804", &[path("studyId")]),
    op("studies.list", GET, "studies", USER, "805", &[
        query(&[
            q("statusId", "StatusID", STR), q("limit", "Limit", NUM), q("offset", "Offset", NUM),
            q("sortBy", "SortBy", STR), q("sortOrder", "SortOrder", STR), q("date", "Date", STR),
            q("endDate", "EndDate", STR), q("name", "Name", STR),
        ]),
    ]),
    op("studies.retrieveSdkConfigData", POST, "studies/sdkconfig", USER, "806", &[
        body(&[f("StudyID", STR), o("SDKID", STR), o("MD5Hash", STR)]),
    ]),
    op("studies.create", POST, "studies", USER, "80x", &[
        body(&[f("Name", STR), f("Description", STR), f("StudyTemplateID", STR), f("Config", OBJ)]),
    ]),
    op("studies.update", PATCH, "studies/{studyId}", USER, "807", &[
        path("studyId"),
        body(&[f("Name", STR), f("Description", STR), f("StatusID", STR), f("Config", OBJ)]),
    ]),
    op("studies.remove", DELETE, "studies/{studyId}", USER, "808", &[path("studyId")]),
    op("studies.deleteStudyMeasurement", DELETE, "studies/{studyId}/measurements", USER, "811", &[path("studyId")]),
    op("devices.types", GET, "devices/types", USER, "900", &[]),
    op("devices.retrieve", GET, "devices/{id}", USER, "902", &[path("id")]),
    op("devices.create", POST, "devices", USER, "903", &[
        body(&[f("Name", STR), f("DeviceTypeID", STR), f("Identifier", STR), f("Version", STR)]),
    ]),
    op("devices.update", PATCH, "devices/{id}", USER, "904", &[
        path("id"),
        body(&[
            f("Name", STR), f("DeviceTypeID", STR), f("Status", STR), f("Identifier", STR),
            f("Version", STR),
        ]),
    ]),
    op("devices.remove", DELETE, "devices/{id}", USER, "905", &[path("id")]),
    op("devices.list", GET, "devices", USER, "906", &[
        query(&[
            q("statusId", "StatusID", STR), q("unique", "Unique", STR),
            q("deviceTypeID", "DeviceTypeID", STR), q("name", "Name", STR), q("version", "Version", STR),
            q("date", "Date", STR), q("endDate", "EndDate", STR), q("limit", "Limit", STR),
            q("offset", "Offset", STR), q("licenseID", "LicenseID", STR),
        ]),
    ])
        .corrects(
            "Query key DeviceTypeID (the JS client writes deviceTypeID, unlike every other key; \
             Python sends DeviceTypeID).",
        ),
    op("devices.deleteDeviceMeasurement", DELETE, "devices/{id}/measurements", USER, "907", &[path("id")]),
    op("devices.retrieveLicenseId", GET, "devices/license", USER, "908", &[]),
    op("licenses.retrieveLicense", GET, "licenses/{id}", USER, "1404", &[path("id")]),
    op("licenses.listLicenses", GET, "licenses", USER, "1405", &[
        query(&[
            q("date", "Date", STR), q("endDate", "EndDate", STR), q("licenseType", "LicenseType", STR),
            q("limit", "Limit", NUM), q("offset", "Offset", NUM), q("orgId", "OrganizationID", STR),
            q("sortBy", "SortBy", STR), q("sortOrder", "SortOrder", STR), q("statusId", "StatusID", STR),
            q("userName", "UserName", STR),
        ]),
    ]),
    op("licenses.listOrgLicenses", GET, "licenses/organization", USER, "1406", &[
        query(&[
            q("limit", "Limit", NUM), q("offset", "Offset", NUM), q("date", "Date", STR),
            q("endDate", "EndDate", STR), q("sortBy", "SortBy", STR), q("sortOrder", "SortOrder", STR),
            q("statusId", "StatusID", STR), q("licenseType", "LicenseType", STR),
        ]),
    ]),
    op("licenses.createLicense", POST, "licenses", USER, "1407", &[
        body(&[
            f("OrganizationID", STR).null(), f("LicenseType", STR).null(), f("MaxDevices", NUM).null(),
            f("Expiration", STR).null(), f("SDKPlatforms", ARR).null(),
        ]),
    ]),
    op("licenses.updateLicense", PATCH, "licenses/{licenseId}", USER, "1408", &[
        path("licenseId"),
        body(&[
            f("StatusID", STR).null(), f("LicenseTypeID", STR).null(), f("MaxDevices", NUM).null(),
            f("Expiration", STR).null(), f("SDKPlatforms", ARR).null(),
        ]),
    ]),
    op("licenses.removeLicense", DELETE, "licenses/{licenseId}", USER, "1409", &[path("licenseId")]),
    op("licenses.retrieveOrgLicense", GET, "licenses/organization/{id}", USER, "1411", &[path("id")]),
    op("licenses.listLicenseTypes", GET, "licenses/types", USER, "1412", &[]),
    op("auths.requestResetPasswordLink", PATCH, "auths/users/reset", DEVICE, "2300", &[
        body(&[f("Email", STR), f("Identifier", STR)]),
    ]),
    op("auths.sendResetMobile", PATCH, "auths/users/reset/mobile", DEVICE, "2302", &[
        body(&[o("Email", STR), o("PhoneNumber", STR)]),
    ])
    .one_of(&["Email", "PhoneNumber"]),
    op("auths.requestLoginCode", PATCH, "auths/users/code", DEVICE, "2303", &[
        body(&[f("PhoneNumber", STR), f("Identifier", STR)]),
    ])
        .corrects(
            "The JS client sends POST auths/renew (a copy of renew); PATCH auths/users/code as the \
             Python client.",
        ),
    op("auths.renew", POST, "auths/renew", RENEWED, "2304", &[
        body(&[f("Token", STR), f("RefreshToken", STR), o("RefreshTokenExpiresIn", NUM)]),
        token_type(None),
    ]).effect(RENEW)
        .corrects(
            "Bearer: the Token being renewed (data.Token), as the Python demo; the JS client sends \
             the session's device token, also for a user pair. The new pair replaces whichever stored \
             pair was renewed (tokenType is only checked).",
        ),
    op("auths.generateToken", POST, "auths/generateToken", DEVICE, "2305", &[
        body(&[f("Token", STR), f("RefreshToken", STR)]),
    ]),
    op("auths.getOrgClientCredentials", GET, "auths/organization/credentials/{orgId}", USER, "2306", &[path("orgId")]),
    op("auths.authenticate", GET, "auth/v1/authenticate", DEVICE, "", &[]),
    op("auths.validate", GET, "auth/v1/validate", DEVICE, "", &[]),
    op("auths.ssoToken", POST, "auth/v1/sso/token", DEVICE, "", &[
        body(&[f("redirectURL", STR), f("orgIdentifier", STR), f("code", STR)]),
    ]),
    op("reports.reportCount", POST, "reports/count", USER, "1301", &[
        body(&[
            o("FileName", STR), o("StudyID", STR), o("UserID", STR), o("MeasurementID", STR),
            o("OrganizationID", STR), o("Email", STR), o("StartDate", STR), o("EndDate", STR),
            o("Page", NUM), f("Format", STR),
        ]),
    ]),
    op("reports.makeReport", POST, "reports", USER, "1302", &[
        body(&[
            o("FileName", STR), o("StudyID", STR), o("UserID", STR), o("MeasurementID", STR),
            o("OrganizationID", STR), o("Email", STR), o("StartDate", STR), o("EndDate", STR),
            o("Page", NUM), f("Format", STR),
        ]),
    ]),
    op("organizationsPrivate.list", GET, "org-private", USER, "1200", &[
        query(&[
            q("limit", "Limit", NUM), q("offset", "Offset", NUM), q("date", "Date", STR),
            q("endDate", "EndDate", STR), q("sortBy", "SortBy", STR), q("sortOrder", "SortOrder", STR),
            q("statusId", "StatusID", STR), q("name", "Name", STR),
        ]),
    ]),
    op("organizationsPrivate.create", POST, "org-private", USER, "1201", &[
        body(&[
            f("OrgAddresses", ARR), f("OrgAdminRegion", STR).null(), f("Identifier", STR).null(),
            f("Name", STR).null(), f("Contact", STR).null(), f("Email", STR).null(),
            f("OrgAdminFirstName", STR).null(), f("OrgAdminLastName", STR).null(),
            f("OrgAdminEmail", STR).null(), o("NotifyAdmin", BOOL), o("Logo", STR), o("LivenessConfig", OBJ),
            o("LogoURL", STR),
        ]),
    ]),
    op("organizationsPrivate.update", PATCH, "org-private/{orgId}", USER, "1202", &[
        path("orgId"),
        body(&[
            f("Created", STR).null(), f("Updated", NUM).null(), f("ID", STR).null(), f("Name", STR).null(),
            f("Identifier", STR).null(), f("StatusID", STR).null(), f("Logo", STR).null(),
            f("BrandID", STR).null(), f("Contact", STR).null(), f("Email", STR).null(),
            f("ConsentId", STR).null(), f("OrgAddresses", ARR), f("LivenessConfig", OBJ), o("LogoURL", STR),
        ]),
    ]),
    op("organizationsPrivate.templateAdd", POST, "org-private/{orgId}/templates", USER, "1203", &[
        path("orgId"),
        body(&[
            f("StudyTemplateID", STR).null(), f("SavePayloads", BOOL).null(),
            f("SavePayloadImages", BOOL).null(), f("SaveResults", BOOL).null(),
            o("RemainingMeasurement", NUM).null(), o("IsHardLimit", BOOL).null(),
        ]),
    ]),
    op("organizationsPrivate.templateRemove", DELETE, "org-private/{orgId}/templates/{templateId}", USER, "1204", &[
        path("orgId"),
        path("templateId"),
    ]),
    op("organizationsPrivate.retrieve", GET, "org-private/{id}", USER, "1205", &[path("id")]),
    op("organizationsPrivate.templateList", GET, "org-private/{orgId}/templates", USER, "1206", &[path("orgId")]),
    op("organizationsPrivate.listAdmins", GET, "org-private/{orgId}/admins", USER, "1207", &[path("orgId")]),
    op("organizationsPrivate.createAdmin", POST, "org-private/{orgId}/admins", USER, "1208", &[
        path("orgId"),
        body(&[f("Email", STR), f("OrgAdminRegion", STR), f("Password", STR)]),
    ]),
    op("organizationsPrivate.removeAdmin", DELETE, "org-private/{orgId}/admins/{userId}", USER, "1209", &[
        path("orgId"),
        path("userId"),
    ]),
    op("organizationsPrivate.listUsers", GET, "org-private/{orgId}/users", USER, "1210", &[path("orgId")]),
    op("organizationsPrivate.updateLogo", POST, "org-private/{orgId}/logo", USER, "1212", &[
        path("orgId"),
        body(&[f("Logo", STR)]),
    ]),
    op("organizationsPrivate.templateUpdate", PATCH, "org-private/{orgId}/templates", USER, "1213", &[
        path("orgId"),
        body(&[
            f("StudyTemplateID", STR).null(), o("SavePayloads", BOOL).null(),
            o("SavePayloadImages", BOOL).null(), o("SaveResults", BOOL).null(),
            o("RemainingMeasurement", NUM).null(), o("IsHardLimit", BOOL).null(),
        ]),
    ]),
    op("organizationsPrivate.updateIdentityProviders", PATCH, "org-private/{orgId}/identity-providers", USER, "1218", &[
        path("orgId"),
        body(&[f("cognitoName", STR), f("cognitoType", STR), f("displayName", STR), f("details", OBJ)]),
    ]),
    op("templates.listTemplates", GET, "templates", USER, "1100", &[
        query(&[
            q("limit", "Limit", STR), q("offset", "Offset", STR), q("sortBy", "SortBy", STR),
            q("sortOrder", "SortOrder", STR), q("date", "Date", STR), q("endDate", "EndDate", STR),
            q("name", "Name", STR), q("statusId", "StatusID", STR), q("studyTypeId", "StudyTypeID", STR),
        ]),
    ]),
    op("templates.listTypes", GET, "templates/types", USER, "1101", &[]),
    op("templates.listSignals", GET, "templates/signals", USER, "1102", &[]),
    op("templates.retrieveTemplate", GET, "templates/{templateId}", USER, "1104", &[path("templateId")]),
    op("templates.deleteTemplate", DELETE, "templates/{templateId}", USER, "1106", &[path("templateId")]),
    op("templates.updateTemplate", PATCH, "templates/{templateId}", USER, "1107", &[
        path("templateId"),
        body(&[
            f("ID", STR).null(), f("StatusID", STR).null(), f("StudyTypeID", STR).null(),
            f("Name", STR).null(), f("Description", STR).null(), f("Config", OBJ), f("Created", STR).null(),
            f("Updated", STR).null(), f("StudySignals", ANY),
        ]),
    ]),
    op("templates.createTemplate", POST, "templates", USER, "1105", &[
        body(&[
            f("StudyTypeID", STR).null(), f("Name", STR).null(), f("Description", STR).null(),
            o("Config", OBJ),
        ]),
    ]),
    op("templates.updateSignals", PATCH, "templates/{templateId}/signals", USER, "1108", &[
        path("templateId"),
        body(&[f("StudySignals", ANY).null()]),
    ]),
    op("templates.listConfigFiles", GET, "sdkconfig", USER, "1110", &[
        query(&[
            q("date", "Date", STR), q("endDate", "EndDate", STR), q("sdkId", "SDKID", STR),
            q("studyTemplateId", "StudyTemplateID", STR), q("limit", "Limit", NUM),
            q("offset", "Offset", NUM),
        ]),
    ]),
    op("templates.createConfigFile", POST, "sdkconfig", USER, "1111", &[
        body(&[f("StudyTemplateID", STR), f("SDKID", STR), f("File", STR)]),
    ]),
    op("templates.deleteConfigFile", DELETE, "sdkconfig", USER, "1112", &[
        body_field("StudyTemplateID", "StudyTemplateID", STR),
        body_field("SDKID", "SDKID", STR),
    ]),
    op("organizationConfigLink.createConfigLink", POST, "v1/console/config/link", USER, "2401", &[body_any()]),
    op("organizationConfigLink.listConfigLink", GET, "v1/console/config/link", USER, "2403", &[]),
    op("organizationConfigLink.updateConfigLink", PATCH, "v1/console/config/link/{id}", USER, "2404", &[
        path("id"),
        body_any(),
    ]),
    op("organizationConfigLink.deleteConfigLink", DELETE, "v1/console/config/link/{id}", USER, "2405", &[path("id")]),
];
