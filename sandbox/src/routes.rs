//! The route table: every operation of the DeepAffex Cloud API the sandbox
//! answers, one row each, written from `endpoints.json` with the corrections
//! of the API notes (NOTES.md §7, §9, §11):
//!
//! - `auths.requestLoginCode` is `PATCH auths/users/code` (the JS client's
//!   `POST auths/renew` is a copy-paste defect);
//! - `organizations.unregisterLicense` needs the **device** token (JS sends
//!   the user token);
//! - `auths.renew` ignores the Authorization header (JS sends the device
//!   token, the Python demo the token being renewed);
//! - `users.createTwoFactorAuthSecret` and `users.sendAccountActivationCode`
//!   are answered for both GET (JS) and POST (Python), as the sources
//!   disagree and neither is confirmed;
//! - `profiles.create` accepts a device or a user token (JS sends the device
//!   token, every other profile call the user token);
//! - the three `PATCH auths/users/*` calls keep the sandbox's leniency: no
//!   Authorization at all is fine, one that is present must be a device token.
//!
//! A row names either a handler (stateful, in `measurements.rs`,
//! `profiles.rs`, `studies.rs`, `users.rs`, `orgs.rs`, `auths.rs`,
//! `general.rs`) or a fixed JSON body (`fixed.rs`).

use crate::api::Call;
use crate::reply::Reply;
use crate::{auths, fixed, general, measurements, orgs, profiles, studies, users, State};

/// Which bearer token a route needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bearer {
    /// No Authorization needed; one that is sent is ignored.
    None,
    /// A live device token.
    Device,
    /// A live user token.
    User,
    /// A live device or user token.
    Either,
    /// A live token of any type, child tokens included (`GET auth`).
    Any,
    /// Optional; when present, a live device token (401 `INVALID_TOKEN` otherwise).
    DeviceOptional,
    /// Optional; when present, a live token of any type.
    AnyOptional,
    /// Not looked at (`auths/renew`).
    Ignored,
}

/// What the request body must be.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Body {
    /// No body is read (GET, most DELETEs).
    NoBody,
    /// A JSON object with these fields present and not null.
    Fields(&'static [&'static str]),
}

/// How a route answers once the checks passed.
#[derive(Clone, Copy)]
pub(crate) enum Answer {
    Handler(fn(&State, &Call) -> Reply),
    /// A JSON text answered with 200 as it is.
    Fixed(&'static str),
}

pub(crate) struct Route {
    /// The JavaScript client's `group.method`.
    pub op: &'static str,
    pub method: &'static str,
    /// Segments separated by `/`; `{name}` matches one segment.
    pub path: &'static str,
    pub bearer: Bearer,
    pub body: Body,
    pub answer: Answer,
}

const fn row(op: &'static str, method: &'static str, path: &'static str, bearer: Bearer, body: Body, answer: Answer) -> Route {
    Route { op, method, path, bearer, body, answer }
}

const GET: &str = "GET";
const POST: &str = "POST";
const PATCH: &str = "PATCH";
const DELETE: &str = "DELETE";

use Answer::{Fixed, Handler};
use Bearer::*;
use Body::{Fields, NoBody};

/// Every operation, in `endpoints.json` order.
#[rustfmt::skip]
pub(crate) static ROUTES: &[Route] = &[
    row("general.status", GET, "status", None, NoBody, Handler(general::status)),
    row("general.listAcceptedMimeTypes", GET, "mimes", None, NoBody, Fixed(fixed::GENERAL_LIST_ACCEPTED_MIME_TYPES)),
    row("general.listAvailableUserRoles", GET, "roles", Device, NoBody, Fixed(fixed::GENERAL_LIST_AVAILABLE_USER_ROLES)),
    row("general.listAvailableStatuses", GET, "statuses", User, NoBody, Fixed(fixed::GENERAL_LIST_AVAILABLE_STATUSES)),
    row("general.verifyToken", GET, "auth", Any, NoBody, Handler(general::verify_token)),
    row("general.regions", GET, "regions", None, NoBody, Fixed(fixed::GENERAL_REGIONS)),
    row("general.retrieveConsent", GET, "consents", User, NoBody, Fixed(fixed::GENERAL_RETRIEVE_CONSENT)),
    row("general.createConsent", POST, "consents", User, Fields(&["description", "data_controller", "purposes", "policy_url", "policy_version", "collection_mode"]), Fixed(fixed::GENERAL_CREATE_CONSENT)),
    row("general.updateConsent", PATCH, "consents", User, Fields(&["description", "data_controller", "purposes", "policy_url", "policy_version", "collection_mode"]), Fixed(fixed::GENERAL_UPDATE_CONSENT)),
    row("general.getRolesInteractionTree", GET, "roles-interaction-tree", User, NoBody, Fixed(fixed::GENERAL_GET_ROLES_INTERACTION_TREE)),
    row("general.getPrescription", GET, "prescription/{prescriptionId}", None, NoBody, Fixed(fixed::GENERAL_GET_PRESCRIPTION)),
    row("users.create", POST, "users", Either, Fields(&["Password"]), Handler(users::create)),
    row("users.login", POST, "users/auth", Device, Fields(&["Email", "Password"]), Handler(users::login)),
    row("users.retrieve", GET, "users", User, NoBody, Handler(users::retrieve)),
    row("users.remove", DELETE, "users", User, NoBody, Handler(users::remove)),
    row("users.update", PATCH, "users", User, Fields(&["Email", "Password", "PhoneNumber"]), Handler(users::update)),
    row("users.sendReset", PATCH, "users/sendreset", User, Fields(&["Email", "Identifier"]), Fixed(fixed::USERS_SEND_RESET)),
    row("users.resetPassword", PATCH, "users/reset", User, Fields(&["ResetToken", "Password"]), Fixed(fixed::USERS_RESET_PASSWORD)),
    row("users.retrieveUserRole", GET, "users/role", User, NoBody, Fixed(fixed::USERS_RETRIEVE_USER_ROLE)),
    row("users.verifyUserAccount", POST, "users/verify", User, Fields(&["VerificationCode", "ID"]), Fixed(fixed::USERS_VERIFY_USER_ACCOUNT)),
    row("users.sendAccountActivationCode", GET, "users/verificationCode/{userId}/{orgKey}", User, NoBody, Fixed(fixed::USERS_SEND_ACCOUNT_ACTIVATION_CODE)),
    row("users.sendAccountActivationCode", POST, "users/verificationCode/{userId}/{orgKey}", User, NoBody, Fixed(fixed::USERS_SEND_ACCOUNT_ACTIVATION_CODE)),
    row("users.signup", POST, "users/signup", User, Fields(&["Email", "FirstName", "LastName", "Password", "Industry", "Region"]), Fixed(fixed::USERS_SIGNUP)),
    row("users.requestLoginCode", GET, "users/auth/code/{orgKey}/{phoneNumber}", User, NoBody, Handler(users::request_login_code)),
    row("users.loginWithPhoneCode", POST, "users/auth/code", None, Fields(&["LoginCode", "PhoneNumber", "OrgKey"]), Handler(users::login_with_phone_code)),
    row("users.delete", DELETE, "users/{userId}/measurements", User, NoBody, Handler(measurements::delete_by_user)),
    row("users.changePassword", POST, "users/changepassword", User, Fields(&["Identifier", "Email", "Password", "NewPassword"]), Fixed(fixed::USERS_CHANGE_PASSWORD)),
    row("users.createTwoFactorAuthSecret", GET, "users/mfa/secret", User, NoBody, Fixed(fixed::USERS_CREATE_TWO_FACTOR_AUTH_SECRET)),
    row("users.createTwoFactorAuthSecret", POST, "users/mfa/secret", User, NoBody, Fixed(fixed::USERS_CREATE_TWO_FACTOR_AUTH_SECRET)),
    row("users.enableTwoFactorAuthForLoggedInUser", POST, "users/mfa", User, Fields(&["MFASecret", "MFAToken"]), Fixed(fixed::USERS_ENABLE_TWO_FACTOR_AUTH_FOR_LOGGED_IN_USER)),
    row("users.disableTwoFactorAuthForLoggedInUser", DELETE, "users/mfa", User, NoBody, Fixed(fixed::USERS_DISABLE_TWO_FACTOR_AUTH_FOR_LOGGED_IN_USER)),
    row("users.disableTwoFactorAuthForSpecifiedUser", DELETE, "users/{userId}/mfa", User, NoBody, Fixed(fixed::USERS_DISABLE_TWO_FACTOR_AUTH_FOR_SPECIFIED_USER)),
    row("users.logout", DELETE, "users/auth", User, NoBody, Handler(users::logout)),
    row("users.recoveryVerificationCode", GET, "users/recoveryVerificationCode/{userId}", User, NoBody, Fixed(fixed::USERS_RECOVERY_VERIFICATION_CODE)),
    row("users.getUserPrescription", GET, "users/{userId}/prescription", User, NoBody, Fixed(fixed::USERS_GET_USER_PRESCRIPTION)),
    row("users.deletePrescription", DELETE, "users/{id}/prescription", User, NoBody, Fixed(fixed::USERS_DELETE_PRESCRIPTION)),
    row("users.createPrescription", POST, "users/{userId}/prescription", User, Fields(&["organizationConfigLinkID"]), Fixed(fixed::USERS_CREATE_PRESCRIPTION)),
    row("users.resendPrescription", GET, "users/{userId}/resend/prescription", User, NoBody, Fixed(fixed::USERS_RESEND_PRESCRIPTION)),
    row("users.updatePrescription", PATCH, "users/{userId}/prescription", User, Fields(&["organizationConfigLinkID"]), Fixed(fixed::USERS_UPDATE_PRESCRIPTION)),
    row("users.getMyPrescription", GET, "users/prescription", User, NoBody, Fixed(fixed::USERS_GET_MY_PRESCRIPTION)),
    row("profiles.create", POST, "users/profiles", Either, Fields(&["Name", "Email"]), Handler(profiles::create)),
    row("profiles.retrieve", GET, "users/profiles/{profileId}", User, NoBody, Handler(profiles::retrieve)),
    row("profiles.list", GET, "users/profiles", User, NoBody, Handler(profiles::list)),
    row("profiles.listByUser", GET, "users/{userId}/profiles", User, NoBody, Handler(profiles::list_by_user)),
    row("profiles.remove", DELETE, "users/profiles/{profileId}", User, NoBody, Handler(profiles::remove)),
    row("profiles.update", PATCH, "users/profiles/{profileId}", User, Fields(&["Name", "Email", "Status"]), Handler(profiles::update)),
    row("measurements.retrieve", GET, "measurements/{id}", Either, NoBody, Handler(measurements::retrieve)),
    row("measurements.list", GET, "measurements", User, NoBody, Handler(measurements::list)),
    row("measurements.create", POST, "measurements", User, Fields(&["StudyID", "Resolution"]), Handler(measurements::create)),
    row("measurements.data", POST, "measurements/{id}/data", User, Fields(&["Action", "Payload"]), Handler(measurements::data)),
    row("measurements.delete", DELETE, "measurements/{id}", User, NoBody, Handler(measurements::delete)),
    row("organizations.retrieve", GET, "organizations", Either, NoBody, Handler(orgs::retrieve)),
    row("organizations.users", GET, "organizations/users", User, NoBody, Handler(users::list)),
    row("organizations.listMeasurements", GET, "organizations/measurements", User, NoBody, Handler(measurements::list)),
    row("organizations.retrieveMeasurement", GET, "organizations/measurements/{measurementId}", User, NoBody, Handler(measurements::retrieve)),
    row("organizations.registerLicense", POST, "organizations/licenses", None, Fields(&["DeviceTypeID", "Key", "Name", "Identifier", "Version"]), Handler(orgs::register_license)),
    row("organizations.unregisterLicense", DELETE, "organizations/licenses", Device, NoBody, Handler(orgs::unregister_license)),
    row("organizations.retrieveLogo", GET, "organizations/{orgId}/logo", User, NoBody, Fixed(fixed::ORGANIZATIONS_RETRIEVE_LOGO)),
    row("organizations.listProfiles", GET, "organizations/profiles", User, NoBody, Handler(profiles::list)),
    row("organizations.retrieveProfile", GET, "organizations/profiles/{profileId}", User, NoBody, Handler(profiles::retrieve)),
    row("organizations.retrieveUser", GET, "organizations/users/{userId}", User, NoBody, Handler(users::retrieve_by_id)),
    row("organizations.createUser", POST, "organizations/users", User, Fields(&["FirstName", "LastName", "Email", "Gender", "DateOfBirth", "RoleID", "Password"]), Handler(users::create)),
    row("organizations.updateUser", PATCH, "organizations/users/{userId}", User, Fields(&["FirstName", "LastName", "Gender", "DateOfBirth", "HeightCm", "WeightKg"]), Handler(users::update_by_id)),
    row("organizations.removeUser", DELETE, "organizations/users/{userId}", User, NoBody, Handler(users::remove_by_id)),
    row("organizations.updateProfile", PATCH, "organizations/profiles/{profileId}", User, Fields(&["Name", "Email", "Status"]), Handler(profiles::update)),
    row("organizations.login", POST, "organizations/auth", None, Fields(&["Email", "Password", "Identifier"]), Handler(orgs::login)),
    row("organizations.contactUser", POST, "organizations/users/contact", User, Fields(&["Email", "Type"]), Fixed(fixed::ORGANIZATIONS_CONTACT_USER)),
    row("organizations.deleteOrgMeasurement", DELETE, "organizations/{orgId}/measurements", User, NoBody, Fixed(fixed::ORGANIZATIONS_DELETE_ORG_MEASUREMENT)),
    row("organizations.deletePartnerMeasurement", DELETE, "organizations/{orgId}/partners/{partnerId}/measurements", User, NoBody, Fixed(fixed::ORGANIZATIONS_DELETE_PARTNER_MEASUREMENT)),
    row("organizations.getPasswordPolicy", GET, "organizations/policy/password", None, NoBody, Fixed(fixed::ORGANIZATIONS_GET_PASSWORD_POLICY)),
    row("studies.types", GET, "studies/types", User, NoBody, Handler(studies::types)),
    row("studies.templates", GET, "studies/templates", User, NoBody, Fixed(fixed::STUDIES_TEMPLATES)),
    row("studies.retrieve", GET, "studies/{studyId}", User, NoBody, Handler(studies::retrieve)),
    row("studies.list", GET, "studies", User, NoBody, Handler(studies::list)),
    row("studies.retrieveSdkConfigData", POST, "studies/sdkconfig", User, Fields(&["StudyID"]), Handler(studies::sdk_config)),
    row("studies.create", POST, "studies", User, Fields(&["Name", "Description", "StudyTemplateID", "Config"]), Handler(studies::create)),
    row("studies.update", PATCH, "studies/{studyId}", User, Fields(&["Name", "Description", "StatusID", "Config"]), Handler(studies::update)),
    row("studies.remove", DELETE, "studies/{studyId}", User, NoBody, Handler(studies::remove)),
    row("studies.deleteStudyMeasurement", DELETE, "studies/{studyId}/measurements", User, NoBody, Handler(measurements::delete_by_study)),
    row("devices.types", GET, "devices/types", User, NoBody, Fixed(fixed::DEVICES_TYPES)),
    row("devices.retrieve", GET, "devices/{id}", User, NoBody, Fixed(fixed::DEVICES_RETRIEVE)),
    row("devices.create", POST, "devices", User, Fields(&["Name", "DeviceTypeID", "Identifier", "Version"]), Fixed(fixed::DEVICES_CREATE)),
    row("devices.update", PATCH, "devices/{id}", User, Fields(&["Name", "DeviceTypeID", "Status", "Identifier", "Version"]), Fixed(fixed::DEVICES_UPDATE)),
    row("devices.remove", DELETE, "devices/{id}", User, NoBody, Fixed(fixed::DEVICES_REMOVE)),
    row("devices.list", GET, "devices", User, NoBody, Fixed(fixed::DEVICES_LIST)),
    row("devices.deleteDeviceMeasurement", DELETE, "devices/{id}/measurements", User, NoBody, Fixed(fixed::DEVICES_DELETE_DEVICE_MEASUREMENT)),
    row("devices.retrieveLicenseId", GET, "devices/license", User, NoBody, Fixed(fixed::DEVICES_RETRIEVE_LICENSE_ID)),
    row("licenses.retrieveLicense", GET, "licenses/{id}", User, NoBody, Fixed(fixed::LICENSES_RETRIEVE_LICENSE)),
    row("licenses.listLicenses", GET, "licenses", User, NoBody, Fixed(fixed::LICENSES_LIST_LICENSES)),
    row("licenses.listOrgLicenses", GET, "licenses/organization", User, NoBody, Fixed(fixed::LICENSES_LIST_ORG_LICENSES)),
    row("licenses.createLicense", POST, "licenses", User, Fields(&["OrganizationID", "LicenseType", "MaxDevices", "Expiration", "SDKPlatforms"]), Fixed(fixed::LICENSES_CREATE_LICENSE)),
    row("licenses.updateLicense", PATCH, "licenses/{licenseId}", User, Fields(&["StatusID", "LicenseTypeID", "MaxDevices", "Expiration", "SDKPlatforms"]), Fixed(fixed::LICENSES_UPDATE_LICENSE)),
    row("licenses.removeLicense", DELETE, "licenses/{licenseId}", User, NoBody, Fixed(fixed::LICENSES_REMOVE_LICENSE)),
    row("licenses.retrieveOrgLicense", GET, "licenses/organization/{id}", User, NoBody, Fixed(fixed::LICENSES_RETRIEVE_ORG_LICENSE)),
    row("licenses.listLicenseTypes", GET, "licenses/types", User, NoBody, Fixed(fixed::LICENSES_LIST_LICENSE_TYPES)),
    row("auths.requestResetPasswordLink", PATCH, "auths/users/reset", DeviceOptional, Fields(&["Email", "Identifier"]), Handler(auths::request_reset_link)),
    row("auths.sendResetMobile", PATCH, "auths/users/reset/mobile", DeviceOptional, Fields(&[]), Handler(auths::send_reset_mobile)),
    row("auths.requestLoginCode", PATCH, "auths/users/code", DeviceOptional, Fields(&["PhoneNumber", "Identifier"]), Handler(auths::request_login_code)),
    row("auths.renew", POST, "auths/renew", Ignored, Fields(&["Token", "RefreshToken"]), Handler(auths::renew)),
    row("auths.generateToken", POST, "auths/generateToken", AnyOptional, Fields(&["Token", "RefreshToken"]), Handler(auths::generate_token)),
    row("auths.getOrgClientCredentials", GET, "auths/organization/credentials/{orgId}", User, NoBody, Handler(auths::org_credentials)),
    row("auths.authenticate", GET, "auth/v1/authenticate", Device, NoBody, Handler(auths::authenticate)),
    row("auths.validate", GET, "auth/v1/validate", Device, NoBody, Handler(auths::authenticate)),
    row("auths.ssoToken", POST, "auth/v1/sso/token", Device, Fields(&["redirectURL", "orgIdentifier", "code"]), Fixed(fixed::AUTHS_SSO_TOKEN)),
    row("reports.reportCount", POST, "reports/count", User, Fields(&["Format"]), Fixed(fixed::REPORTS_REPORT_COUNT)),
    row("reports.makeReport", POST, "reports", User, Fields(&["Format"]), Fixed(fixed::REPORTS_MAKE_REPORT)),
    row("organizationsPrivate.list", GET, "org-private", User, NoBody, Fixed(fixed::ORGANIZATIONS_PRIVATE_LIST)),
    row("organizationsPrivate.create", POST, "org-private", User, Fields(&["OrgAddresses", "OrgAdminRegion", "Identifier", "Name", "Contact", "Email", "OrgAdminFirstName", "OrgAdminLastName", "OrgAdminEmail"]), Fixed(fixed::ORGANIZATIONS_PRIVATE_CREATE)),
    row("organizationsPrivate.update", PATCH, "org-private/{orgId}", User, Fields(&["Created", "Updated", "ID", "Name", "Identifier", "StatusID", "Logo", "BrandID", "Contact", "Email", "ConsentId", "OrgAddresses", "LivenessConfig"]), Fixed(fixed::ORGANIZATIONS_PRIVATE_UPDATE)),
    row("organizationsPrivate.templateAdd", POST, "org-private/{orgId}/templates", User, Fields(&["StudyTemplateID", "SavePayloads", "SavePayloadImages", "SaveResults"]), Fixed(fixed::ORGANIZATIONS_PRIVATE_TEMPLATE_ADD)),
    row("organizationsPrivate.templateRemove", DELETE, "org-private/{orgId}/templates/{templateId}", User, NoBody, Fixed(fixed::ORGANIZATIONS_PRIVATE_TEMPLATE_REMOVE)),
    row("organizationsPrivate.retrieve", GET, "org-private/{id}", User, NoBody, Fixed(fixed::ORGANIZATIONS_PRIVATE_RETRIEVE)),
    row("organizationsPrivate.templateList", GET, "org-private/{orgId}/templates", User, NoBody, Fixed(fixed::ORGANIZATIONS_PRIVATE_TEMPLATE_LIST)),
    row("organizationsPrivate.listAdmins", GET, "org-private/{orgId}/admins", User, NoBody, Fixed(fixed::ORGANIZATIONS_PRIVATE_LIST_ADMINS)),
    row("organizationsPrivate.createAdmin", POST, "org-private/{orgId}/admins", User, Fields(&["Email", "OrgAdminRegion", "Password"]), Fixed(fixed::ORGANIZATIONS_PRIVATE_CREATE_ADMIN)),
    row("organizationsPrivate.removeAdmin", DELETE, "org-private/{orgId}/admins/{userId}", User, NoBody, Fixed(fixed::ORGANIZATIONS_PRIVATE_REMOVE_ADMIN)),
    row("organizationsPrivate.listUsers", GET, "org-private/{orgId}/users", User, NoBody, Fixed(fixed::ORGANIZATIONS_PRIVATE_LIST_USERS)),
    row("organizationsPrivate.updateLogo", POST, "org-private/{orgId}/logo", User, Fields(&["Logo"]), Fixed(fixed::ORGANIZATIONS_PRIVATE_UPDATE_LOGO)),
    row("organizationsPrivate.templateUpdate", PATCH, "org-private/{orgId}/templates", User, Fields(&["StudyTemplateID"]), Fixed(fixed::ORGANIZATIONS_PRIVATE_TEMPLATE_UPDATE)),
    row("organizationsPrivate.updateIdentityProviders", PATCH, "org-private/{orgId}/identity-providers", User, Fields(&["cognitoName", "cognitoType", "displayName", "details"]), Fixed(fixed::ORGANIZATIONS_PRIVATE_UPDATE_IDENTITY_PROVIDERS)),
    row("templates.listTemplates", GET, "templates", User, NoBody, Fixed(fixed::TEMPLATES_LIST_TEMPLATES)),
    row("templates.listTypes", GET, "templates/types", User, NoBody, Fixed(fixed::TEMPLATES_LIST_TYPES)),
    row("templates.listSignals", GET, "templates/signals", User, NoBody, Fixed(fixed::TEMPLATES_LIST_SIGNALS)),
    row("templates.retrieveTemplate", GET, "templates/{templateId}", User, NoBody, Fixed(fixed::TEMPLATES_RETRIEVE_TEMPLATE)),
    row("templates.deleteTemplate", DELETE, "templates/{templateId}", User, NoBody, Fixed(fixed::TEMPLATES_DELETE_TEMPLATE)),
    row("templates.updateTemplate", PATCH, "templates/{templateId}", User, Fields(&["ID", "StatusID", "StudyTypeID", "Name", "Description", "Config", "Created", "Updated", "StudySignals"]), Fixed(fixed::TEMPLATES_UPDATE_TEMPLATE)),
    row("templates.createTemplate", POST, "templates", User, Fields(&["StudyTypeID", "Name", "Description"]), Fixed(fixed::TEMPLATES_CREATE_TEMPLATE)),
    row("templates.updateSignals", PATCH, "templates/{templateId}/signals", User, Fields(&["StudySignals"]), Fixed(fixed::TEMPLATES_UPDATE_SIGNALS)),
    row("templates.listConfigFiles", GET, "sdkconfig", User, NoBody, Fixed(fixed::TEMPLATES_LIST_CONFIG_FILES)),
    row("templates.createConfigFile", POST, "sdkconfig", User, Fields(&["StudyTemplateID", "SDKID", "File"]), Fixed(fixed::TEMPLATES_CREATE_CONFIG_FILE)),
    row("templates.deleteConfigFile", DELETE, "sdkconfig", User, Fields(&["StudyTemplateID", "SDKID"]), Fixed(fixed::TEMPLATES_DELETE_CONFIG_FILE)),
    row("organizationConfigLink.createConfigLink", POST, "v1/console/config/link", User, Fields(&[]), Fixed(fixed::ORGANIZATION_CONFIG_LINK_CREATE_CONFIG_LINK)),
    row("organizationConfigLink.listConfigLink", GET, "v1/console/config/link", User, NoBody, Fixed(fixed::ORGANIZATION_CONFIG_LINK_LIST_CONFIG_LINK)),
    row("organizationConfigLink.updateConfigLink", PATCH, "v1/console/config/link/{id}", User, Fields(&[]), Fixed(fixed::ORGANIZATION_CONFIG_LINK_UPDATE_CONFIG_LINK)),
    row("organizationConfigLink.deleteConfigLink", DELETE, "v1/console/config/link/{id}", User, NoBody, Fixed(fixed::ORGANIZATION_CONFIG_LINK_DELETE_CONFIG_LINK)),
];

/// The routes whose template matches `segments` (already percent-decoded),
/// keeping only the most specific template shape: at the first segment where
/// two templates differ, a literal beats a `{param}`. All returned routes
/// share one shape (they differ by method).
pub(crate) fn lookup(segments: &[String]) -> Vec<&'static Route> {
    let mut best: Vec<&'static Route> = Vec::new();
    let mut best_key = 0u64;
    for route in ROUTES {
        let Some(key) = specificity(route.path, segments) else { continue };
        if best.is_empty() || key > best_key {
            best.clear();
            best.push(route);
            best_key = key;
        } else if key == best_key {
            best.push(route);
        }
    }
    best
}

/// `None` when `template` does not match; else a bit per segment, the first
/// segment the most significant, set where the template has a literal (so a
/// larger key is more specific). No allocation: this runs for every row on
/// every request, renews included.
fn specificity(template: &str, segments: &[String]) -> Option<u64> {
    if segments.len() > 63 || template.split('/').count() != segments.len() {
        return Option::None;
    }
    let mut key = 0u64;
    for (i, (part, seg)) in template.split('/').zip(segments).enumerate() {
        if is_param(part) {
            if seg.is_empty() {
                return Option::None;
            }
        } else if part == seg {
            key |= 1 << (62 - i);
        } else {
            return Option::None;
        }
    }
    Some(key)
}

pub(crate) fn is_param(part: &str) -> bool {
    part.starts_with('{') && part.ends_with('}')
}

/// `(name, value)` of each `{param}` of `route` in `segments`.
pub(crate) fn params(route: &Route, segments: &[String]) -> Vec<(&'static str, String)> {
    route
        .path
        .split('/')
        .zip(segments)
        .filter(|(part, _)| is_param(part))
        .map(|(part, seg)| (&part[1..part.len() - 1], seg.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        p.split('/').map(str::to_owned).collect()
    }

    #[test]
    fn literal_beats_param() {
        let found = lookup(&segs("users/profiles/abc"));
        assert!(found.iter().all(|r| r.path == "users/profiles/{profileId}"), "{:?}", found.iter().map(|r| r.op).collect::<Vec<_>>());
        assert_eq!(found.len(), 3);
        let found = lookup(&segs("users/u1/profiles"));
        assert_eq!(found.iter().map(|r| r.op).collect::<Vec<_>>(), ["profiles.listByUser"]);
        assert!(lookup(&segs("users/profiles/")).is_empty());
        assert!(lookup(&segs("nope")).is_empty());
    }

    #[test]
    fn table_is_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            let shape: Vec<&str> = r.path.split('/').map(|p| if is_param(p) { "{}" } else { p }).collect();
            assert!(seen.insert((r.method, shape.join("/"))), "{} {} twice", r.method, r.path);
            assert!(!r.path.starts_with('/') && !r.path.ends_with('/'), "{}", r.path);
            if let Answer::Fixed(text) = r.answer {
                serde_json::from_str::<serde_json::Value>(text).unwrap_or_else(|e| panic!("{}: {e}", r.op));
            }
        }
        let ops: std::collections::HashSet<&str> = ROUTES.iter().map(|r| r.op).collect();
        assert_eq!(ops.len(), 133);
    }
}
