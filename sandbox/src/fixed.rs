//! Fixed answers of the operations the sandbox does not model: realistic
//! bodies carrying the response fields `endpoints.json` documents, with the
//! right JSON types (lists as arrays of one element). Each is answered with
//! 200 as written.

/// `general.listAcceptedMimeTypes`.
pub(crate) const GENERAL_LIST_ACCEPTED_MIME_TYPES: &str = r#"[{"ID":"00000000-0000-4000-8000-000000000001","Mime":"image/png","Name":"sandbox-name"}]"#;

/// `general.listAvailableUserRoles`.
pub(crate) const GENERAL_LIST_AVAILABLE_USER_ROLES: &str = r#"[{"Description":"sandbox-description","ID":"00000000-0000-4000-8000-000000000001","Name":"sandbox-name"}]"#;

/// `general.listAvailableStatuses`.
pub(crate) const GENERAL_LIST_AVAILABLE_STATUSES: &str = r#"[{"Description":"sandbox-description","ID":"00000000-0000-4000-8000-000000000001","Name":"sandbox-name"}]"#;

/// `general.regions`.
pub(crate) const GENERAL_REGIONS: &str = r#"{"as-east":"AS East","as-hk":"AS Hong Kong","cn-north":"cn-north-1","cn-west":"cn-northwest-1","eu-central":"EU Central","na-east":"NA East","sa-east":"SA East"}"#;

/// `general.retrieveConsent`.
pub(crate) const GENERAL_RETRIEVE_CONSENT: &str = r#"{"description":"sandbox-description","data_controller":{},"purposes":[],"policy_url":"https://sandbox.invalid/policy_url","policy_version":"sandbox-policy_version","collection_mode":"sandbox-collection_mode"}"#;

/// `general.createConsent`.
pub(crate) const GENERAL_CREATE_CONSENT: &str = r#"{"success":true}"#;

/// `general.updateConsent`.
pub(crate) const GENERAL_UPDATE_CONSENT: &str = r#"{"success":true}"#;

/// `general.getRolesInteractionTree`.
pub(crate) const GENERAL_GET_ROLES_INTERACTION_TREE: &str = r#"{"rolesKeysArray":[],"roleNames":{},"rolesNamesAsSelectInput":[],"rolesCanChangeSelfRole":{},"rolesCanCreate":{},"rolesCanDelete":{},"rolesCanInterchangeOtherRoles":{},"rolesCanList":{},"rolesCanRead":{},"rolesCanUpdate":{}}"#;

/// `general.getPrescription`.
pub(crate) const GENERAL_GET_PRESCRIPTION: &str = r#"{"config":"sandbox-config"}"#;

/// `users.sendReset`.
pub(crate) const USERS_SEND_RESET: &str = r#"{"success":true}"#;

/// `users.resetPassword`.
pub(crate) const USERS_RESET_PASSWORD: &str = r#"{"success":true}"#;

/// `users.retrieveUserRole`.
pub(crate) const USERS_RETRIEVE_USER_ROLE: &str = r#"{"ID":"00000000-0000-4000-8000-000000000001","Name":"sandbox-name","Description":"sandbox-description","Organization":"sandbox-organization"}"#;

/// `users.verifyUserAccount`.
pub(crate) const USERS_VERIFY_USER_ACCOUNT: &str = r#"{"success":true}"#;

/// `users.sendAccountActivationCode`.
pub(crate) const USERS_SEND_ACCOUNT_ACTIVATION_CODE: &str = r#"{"success":true,"Message":"sandbox-message"}"#;

/// `users.signup`.
pub(crate) const USERS_SIGNUP: &str = r#"{"success":true}"#;

/// `users.changePassword`.
pub(crate) const USERS_CHANGE_PASSWORD: &str = r#"{"success":true}"#;

/// `users.createTwoFactorAuthSecret`.
pub(crate) const USERS_CREATE_TWO_FACTOR_AUTH_SECRET: &str = r#"{"secretBase32Encoded":"sandbox-secretBase32Encoded","url":"https://sandbox.invalid/url","qrcode":"sandbox-qrcode"}"#;

/// `users.enableTwoFactorAuthForLoggedInUser`.
pub(crate) const USERS_ENABLE_TWO_FACTOR_AUTH_FOR_LOGGED_IN_USER: &str = r#"{"success":true}"#;

/// `users.disableTwoFactorAuthForLoggedInUser`.
pub(crate) const USERS_DISABLE_TWO_FACTOR_AUTH_FOR_LOGGED_IN_USER: &str = r#"{"success":true}"#;

/// `users.disableTwoFactorAuthForSpecifiedUser`.
pub(crate) const USERS_DISABLE_TWO_FACTOR_AUTH_FOR_SPECIFIED_USER: &str = r#"{"success":true}"#;

/// `users.recoveryVerificationCode`.
pub(crate) const USERS_RECOVERY_VERIFICATION_CODE: &str = r#"{"success":true,"message":"sandbox-message"}"#;

/// `users.getUserPrescription`.
pub(crate) const USERS_GET_USER_PRESCRIPTION: &str = r#"[{"id":"00000000-0000-4000-8000-000000000001","organizationConfigLinkID":"00000000-0000-4000-8000-000000000001","studyName":"sandbox-studyName","studyID":"00000000-0000-4000-8000-000000000001","creator":{},"expireAt":"2026-01-01T00:00:00.000Z","deletedAt":"2026-01-01T00:00:00.000Z"}]"#;

/// `users.deletePrescription`.
pub(crate) const USERS_DELETE_PRESCRIPTION: &str = r#"{"success":true}"#;

/// `users.createPrescription`.
pub(crate) const USERS_CREATE_PRESCRIPTION: &str = r#"{"Created":1767225600,"Updated":1767225600,"ID":"00000000-0000-4000-8000-000000000001","UserID":"00000000-0000-4000-8000-000000000001","OrganizationConfigLinkID":"00000000-0000-4000-8000-000000000001","ExpireAt":"2026-01-01T00:00:00.000Z","DeletedAt":"2026-01-01T00:00:00.000Z"}"#;

/// `users.resendPrescription`.
pub(crate) const USERS_RESEND_PRESCRIPTION: &str = r#"{"success":true}"#;

/// `users.updatePrescription`.
pub(crate) const USERS_UPDATE_PRESCRIPTION: &str = r#"{"Created":1767225600,"Updated":1767225600,"ID":"00000000-0000-4000-8000-000000000001","UserID":"00000000-0000-4000-8000-000000000001","OrganizationConfigLinkID":"00000000-0000-4000-8000-000000000001","ExpireAt":"2026-01-01T00:00:00.000Z","DeletedAt":"2026-01-01T00:00:00.000Z"}"#;

/// `users.getMyPrescription`.
pub(crate) const USERS_GET_MY_PRESCRIPTION: &str = r#"[{"id":"00000000-0000-4000-8000-000000000001","organizationConfigLinkID":"00000000-0000-4000-8000-000000000001","studyName":"sandbox-studyName","studyID":"00000000-0000-4000-8000-000000000001","creator":{},"expireAt":"2026-01-01T00:00:00.000Z","deletedAt":"2026-01-01T00:00:00.000Z"}]"#;

/// `organizations.retrieveLogo`.
pub(crate) const ORGANIZATIONS_RETRIEVE_LOGO: &str = r#"{"data":"sandbox-data"}"#;

/// `organizations.contactUser`.
pub(crate) const ORGANIZATIONS_CONTACT_USER: &str = r#"{"success":true}"#;

/// `organizations.deleteOrgMeasurement`.
pub(crate) const ORGANIZATIONS_DELETE_ORG_MEASUREMENT: &str = r#"{}"#;

/// `organizations.deletePartnerMeasurement`.
pub(crate) const ORGANIZATIONS_DELETE_PARTNER_MEASUREMENT: &str = r#"{}"#;

/// `organizations.getPasswordPolicy`.
pub(crate) const ORGANIZATIONS_GET_PASSWORD_POLICY: &str = r#"{"PasswordMinLength":8,"AdminPasswordMinLength":12,"PasswordMaxLength":128,"PasswordRequireUppercase":false,"PasswordRequireLowercase":false,"PasswordRequireDigits":false,"PasswordRequireSpecial":false,"PasswordSpecialCharacters":"!@#$%^&*","PasswordRotateDays":0,"RequireUniquePasswordsCount":0,"LimitLoginAttemptsCountPerWindow":0,"LimitLoginAttemptsWindowDurationSeconds":0,"LoginAttemptsLockoutDurationSeconds":0,"SessionMaxDurationSeconds":0,"SessionIdleDurationSeconds":0,"LimitVerificationAttemptsCountPerWindow":0,"LimitVerificationAttemptsWindowDurationSeconds":0}"#;

/// `studies.templates`.
pub(crate) const STUDIES_TEMPLATES: &str = r#"[{"ID":"00000000-0000-4000-8000-000000000001","StatusID":"ACTIVE","Name":"sandbox-name","Description":"sandbox-description","BundleID":"00000000-0000-4000-8000-000000000001","Config":{},"StudyTypeID":"00000000-0000-4000-8000-000000000001","Signals":[],"Created":1767225600}]"#;

/// `devices.types`.
pub(crate) const DEVICES_TYPES: &str = r#"[{"ID":"00000000-0000-4000-8000-000000000001","Name":"sandbox-name","Description":"sandbox-description","IsMobile":false,"IsTablet":false,"IsDesktop":false}]"#;

/// `devices.retrieve`.
pub(crate) const DEVICES_RETRIEVE: &str = r#"{"Name":"sandbox-name","DeviceTypeID":"IPHONE","StatusID":"ACTIVE","Identifier":"sandbox-identifier","Version":"1.0.0","Created":1767225600,"Updated":1767225600,"count":"1","Region":"sandbox"}"#;

/// `devices.create`.
pub(crate) const DEVICES_CREATE: &str = r#"{"ID":"00000000-0000-4000-8000-000000000001"}"#;

/// `devices.update`.
pub(crate) const DEVICES_UPDATE: &str = r#"{}"#;

/// `devices.remove`.
pub(crate) const DEVICES_REMOVE: &str = r#"{}"#;

/// `devices.list`.
pub(crate) const DEVICES_LIST: &str = r#"[{"ID":"00000000-0000-4000-8000-000000000001","Name":"sandbox-name","DeviceTypeID":"IPHONE","StatusID":"ACTIVE","Identifier":"sandbox-identifier","Version":"1.0.0","Measurements":0,"LicenseID":"00000000-0000-4000-8000-000000000001","Region":"sandbox","Created":1767225600,"Updated":1767225600,"TotalCount":1}]"#;

/// `devices.deleteDeviceMeasurement`.
pub(crate) const DEVICES_DELETE_DEVICE_MEASUREMENT: &str = r#"{}"#;

/// `devices.retrieveLicenseId`.
pub(crate) const DEVICES_RETRIEVE_LICENSE_ID: &str = r#"{"ID":"00000000-0000-4000-8000-000000000001","LicenseType":"DEVELOPER","StatusID":"ACTIVE","Expiration":1767225600,"MaxDevices":1000}"#;

/// `licenses.retrieveLicense`.
pub(crate) const LICENSES_RETRIEVE_LICENSE: &str = r#"{"Created":1767225600,"ID":"00000000-0000-4000-8000-000000000001","StatusID":"ACTIVE","Expiration":"2027-01-01T00:00:00.000Z","MaxDevices":1000,"OrganizationID":"00000000-0000-4000-8000-000000000001","DeviceRegistrations":0,"LicenseTypeID":"00000000-0000-4000-8000-000000000001","LicenseType":"DEVELOPER","SDKPlatforms":[],"Username":"sandbox-username","TotalCount":1}"#;

/// `licenses.listLicenses`.
pub(crate) const LICENSES_LIST_LICENSES: &str = r#"[{"Created":1767225600,"ID":"00000000-0000-4000-8000-000000000001","StatusID":"ACTIVE","Expiration":"2027-01-01T00:00:00.000Z","MaxDevices":1000,"OrganizationID":"00000000-0000-4000-8000-000000000001","DeviceRegistrations":0,"LicenseTypeID":"00000000-0000-4000-8000-000000000001","LicenseType":"DEVELOPER","SDKPlatforms":[],"Username":"sandbox-username","TotalCount":1}]"#;

/// `licenses.listOrgLicenses`.
pub(crate) const LICENSES_LIST_ORG_LICENSES: &str = r#"[{"ID":"00000000-0000-4000-8000-000000000001","LicenseType":"DEVELOPER","StatusID":"ACTIVE","Expiration":1767225600,"Key":"sandbox-key","MaxDevices":1000,"Created":1767225600,"DeviceRegistrations":0,"TotalCount":1}]"#;

/// `licenses.createLicense`.
pub(crate) const LICENSES_CREATE_LICENSE: &str = r#"{"ID":"00000000-0000-4000-8000-000000000001"}"#;

/// `licenses.updateLicense`.
pub(crate) const LICENSES_UPDATE_LICENSE: &str = r#"{"success":true}"#;

/// `licenses.removeLicense`.
pub(crate) const LICENSES_REMOVE_LICENSE: &str = r#"{"success":true}"#;

/// `licenses.retrieveOrgLicense`.
pub(crate) const LICENSES_RETRIEVE_ORG_LICENSE: &str = r#"{"Created":1767225600,"ID":"00000000-0000-4000-8000-000000000001","StatusID":"ACTIVE","Expiration":"2027-01-01T00:00:00.000Z","Key":"sandbox-key","MaxDevices":1000,"LicenseType":"DEVELOPER","LicenseTypeID":"00000000-0000-4000-8000-000000000001","DeviceRegistrations":0,"SDKPlatforms":[]}"#;

/// `licenses.listLicenseTypes`.
pub(crate) const LICENSES_LIST_LICENSE_TYPES: &str = r#"[{"ID":"00000000-0000-4000-8000-000000000001","RoleID":"00000000-0000-4000-8000-000000000001"}]"#;

/// `auths.ssoToken`.
pub(crate) const AUTHS_SSO_TOKEN: &str = r#"{"idToken":"sandbox-idToken","accessToken":"sandbox-accessToken","refreshToken":"sandbox-refreshToken","expiresIn":3600,"tokenType":"Bearer"}"#;

/// `reports.reportCount`.
pub(crate) const REPORTS_REPORT_COUNT: &str = r#"{"MeasurementCount":0}"#;

/// `reports.makeReport`.
pub(crate) const REPORTS_MAKE_REPORT: &str = r#"{"url":"https://sandbox.invalid/url","resultsFound":true}"#;

/// `organizationsPrivate.list`.
pub(crate) const ORGANIZATIONS_PRIVATE_LIST: &str = r#"{"BrandID":"00000000-0000-4000-8000-000000000001","ConsentId":"00000000-0000-4000-8000-000000000001","Contact":"sandbox-contact","Created":1767225600,"Email":"developer@example.com","ID":"00000000-0000-4000-8000-000000000001","Identifier":"sandbox-identifier","LivenessConfig":{},"Logo":"sandbox-logo","Name":"sandbox-name","OrgAddresses":[],"PublicKey":"sandbox-publicKey","StatusID":"ACTIVE","TotalCount":1,"Updated":1767225600,"LogoURL":"https://sandbox.invalid/logourl"}"#;

/// `organizationsPrivate.create`.
pub(crate) const ORGANIZATIONS_PRIVATE_CREATE: &str = r#"{"success":true,"ID":"00000000-0000-4000-8000-000000000001"}"#;

/// `organizationsPrivate.update`.
pub(crate) const ORGANIZATIONS_PRIVATE_UPDATE: &str = r#"{"success":true}"#;

/// `organizationsPrivate.templateAdd`.
pub(crate) const ORGANIZATIONS_PRIVATE_TEMPLATE_ADD: &str = r#"{"ID":"00000000-0000-4000-8000-000000000001"}"#;

/// `organizationsPrivate.templateRemove`.
pub(crate) const ORGANIZATIONS_PRIVATE_TEMPLATE_REMOVE: &str = r#"{"success":true}"#;

/// `organizationsPrivate.retrieve`.
pub(crate) const ORGANIZATIONS_PRIVATE_RETRIEVE: &str = r#"{"Created":"2026-01-01T00:00:00.000Z","Updated":1767225600,"ID":"00000000-0000-4000-8000-000000000001","Name":"sandbox-name","Identifier":"sandbox-identifier","StatusID":"ACTIVE","Logo":"sandbox-logo","BrandID":"00000000-0000-4000-8000-000000000001","Contact":"sandbox-contact","Email":"developer@example.com","ConsentId":"00000000-0000-4000-8000-000000000001","OrgAddresses":[],"LivenessConfig":{},"LogoURL":"https://sandbox.invalid/logourl"}"#;

/// `organizationsPrivate.templateList`.
pub(crate) const ORGANIZATIONS_PRIVATE_TEMPLATE_LIST: &str = r#"[{"ID":"00000000-0000-4000-8000-000000000001","OrganizationID":"00000000-0000-4000-8000-000000000001","StudyTemplateID":"00000000-0000-4000-8000-000000000001","SavePayloads":false,"SavePayloadImages":false,"SaveResults":false,"RemainingMeasurement":0,"NotificationSent":false,"IsHardLimit":false,"StartDate":"2026-01-01T00:00:00.000Z","EndDate":"2026-01-01T00:00:00.000Z"}]"#;

/// `organizationsPrivate.listAdmins`.
pub(crate) const ORGANIZATIONS_PRIVATE_LIST_ADMINS: &str = r#"[{"ID":"00000000-0000-4000-8000-000000000001","Email":"developer@example.com","Created":"2026-01-01T00:00:00.000Z","RoleID":"00000000-0000-4000-8000-000000000001"}]"#;

/// `organizationsPrivate.createAdmin`.
pub(crate) const ORGANIZATIONS_PRIVATE_CREATE_ADMIN: &str = r#"{"UserID":"00000000-0000-4000-8000-000000000001"}"#;

/// `organizationsPrivate.removeAdmin`.
pub(crate) const ORGANIZATIONS_PRIVATE_REMOVE_ADMIN: &str = r#"{"success":true}"#;

/// `organizationsPrivate.listUsers`.
pub(crate) const ORGANIZATIONS_PRIVATE_LIST_USERS: &str = r#"{"Created":1767225600,"DateOfBirth":"2026-01-01T00:00:00.000Z","Email":"developer@example.com","FirstName":"sandbox-firstName","Gender":"unspecified","ID":"00000000-0000-4000-8000-000000000001","LastName":"sandbox-lastName","MFAEnabled":false,"PasswordSetDate":"2026-01-01T00:00:00.000Z","PhoneNumber":"+15555550100","Region":"sandbox","RoleID":"00000000-0000-4000-8000-000000000001","TotalCount":1}"#;

/// `organizationsPrivate.updateLogo`.
pub(crate) const ORGANIZATIONS_PRIVATE_UPDATE_LOGO: &str = r#"{"success":true}"#;

/// `organizationsPrivate.templateUpdate`.
pub(crate) const ORGANIZATIONS_PRIVATE_TEMPLATE_UPDATE: &str = r#"{"success":true}"#;

/// `organizationsPrivate.updateIdentityProviders`.
pub(crate) const ORGANIZATIONS_PRIVATE_UPDATE_IDENTITY_PROVIDERS: &str = r#"{"success":true}"#;

/// `templates.listTemplates`.
pub(crate) const TEMPLATES_LIST_TEMPLATES: &str = r#"[{"Config":{},"Created":"2026-01-01T00:00:00.000Z","Description":"sandbox-description","ID":"00000000-0000-4000-8000-000000000001","Name":"sandbox-name","StatusID":"ACTIVE","StudyTypeID":"00000000-0000-4000-8000-000000000001","Updated":"2026-01-01T00:00:00.000Z","TotalCount":1}]"#;

/// `templates.listTypes`.
pub(crate) const TEMPLATES_LIST_TYPES: &str = r#"[{"Description":"sandbox-description","ID":"00000000-0000-4000-8000-000000000001","Name":"sandbox-name","StatusID":"ACTIVE"}]"#;

/// `templates.listSignals`.
pub(crate) const TEMPLATES_LIST_SIGNALS: &str = r#"[{"CaptureTimeMinimum":0,"Config":{},"Created":"2026-01-01T00:00:00.000Z","DefaultUpdateRateSec":0,"Description":"sandbox-description","ID":"00000000-0000-4000-8000-000000000001","Name":"sandbox-name","ResultTimeMinimum":0,"Unit":"sandbox-unit","Version":"1.0.0","id":"00000000-0000-4000-8000-000000000001"}]"#;

/// `templates.retrieveTemplate`.
pub(crate) const TEMPLATES_RETRIEVE_TEMPLATE: &str = r#"{"Config":{},"Created":"2026-01-01T00:00:00.000Z","Description":"sandbox-description","ID":"00000000-0000-4000-8000-000000000001","Name":"sandbox-name","StatusID":"ACTIVE","StudyTypeID":"00000000-0000-4000-8000-000000000001","Updated":"2026-01-01T00:00:00.000Z","TotalCount":1}"#;

/// `templates.deleteTemplate`.
pub(crate) const TEMPLATES_DELETE_TEMPLATE: &str = r#"{"success":true}"#;

/// `templates.updateTemplate`.
pub(crate) const TEMPLATES_UPDATE_TEMPLATE: &str = r#"{"success":true}"#;

/// `templates.createTemplate`.
pub(crate) const TEMPLATES_CREATE_TEMPLATE: &str = r#"{"ID":"00000000-0000-4000-8000-000000000001"}"#;

/// `templates.updateSignals`.
pub(crate) const TEMPLATES_UPDATE_SIGNALS: &str = r#"{"success":true}"#;

/// `templates.listConfigFiles`.
pub(crate) const TEMPLATES_LIST_CONFIG_FILES: &str = r#"[{"StudyTemplateID":"00000000-0000-4000-8000-000000000001","SDKID":"00000000-0000-4000-8000-000000000001","Created":"2026-01-01T00:00:00.000Z","MD5Hash":"ea20f943b42548b1d0cea4ff1f7bc865","TotalCount":1}]"#;

/// `templates.createConfigFile`.
pub(crate) const TEMPLATES_CREATE_CONFIG_FILE: &str = r#"{"success":true}"#;

/// `templates.deleteConfigFile`.
pub(crate) const TEMPLATES_DELETE_CONFIG_FILE: &str = r#"{"success":true}"#;

/// `organizationConfigLink.createConfigLink`.
pub(crate) const ORGANIZATION_CONFIG_LINK_CREATE_CONFIG_LINK: &str = r#"{"success":true}"#;

/// `organizationConfigLink.listConfigLink`.
pub(crate) const ORGANIZATION_CONFIG_LINK_LIST_CONFIG_LINK: &str = r#"[]"#;

/// `organizationConfigLink.updateConfigLink`.
pub(crate) const ORGANIZATION_CONFIG_LINK_UPDATE_CONFIG_LINK: &str = r#"{"success":true}"#;

/// `organizationConfigLink.deleteConfigLink`.
pub(crate) const ORGANIZATION_CONFIG_LINK_DELETE_CONFIG_LINK: &str = r#"{"success":true}"#;
