//! The seed data every sandbox starts with, and the config types that
//! describe licences and users.

/// Identifier of the seed organization (the `Identifier` / `OrgKey` fields).
pub const SANDBOX_ORG_IDENTIFIER: &str = "dfxdemo";

/// `OrganizationID` of the seed organization, fixed so tests can compare it.
pub const SANDBOX_ORG_ID: &str = "6c0d7a2e-4b1f-4e3a-9d5c-3f8e2a1b0dfd";

/// A licence key of the seed organization, for `POST organizations/licenses`.
pub const SANDBOX_LICENSE_KEY: &str = "DFX-SANDBOX-LICENSE";

/// Seats of [`SANDBOX_LICENSE_KEY`]: registering takes one, unregistering frees it.
pub const SANDBOX_LICENSE_SEATS: u32 = 1000;

/// E-mail of the seed user of the seed organization.
pub const SANDBOX_USER_EMAIL: &str = "developer@example.com";

/// Password of the seed user.
pub const SANDBOX_USER_PASSWORD: &str = "sandbox-password";

/// Phone number of the seed user (for the login-code flow).
pub const SANDBOX_USER_PHONE: &str = "+15555550100";

/// `RoleID` of tokens issued by `POST organizations/licenses`.
pub(crate) const DEVICE_ROLE_ID: &str = "0d3f1b8a-6e2c-4a57-8b90-1c2d3e4f5a60";

/// `RoleID` of the tokens of configured users.
pub(crate) const USER_ROLE_ID: &str = "7a9e2c41-3b5d-4f68-a1c0-2e4f6a8b0c1d";

/// A licence key the API accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseConfig {
    /// The key (`Key` in `POST organizations/licenses`).
    pub key: String,
    /// Identifier of the organization it belongs to.
    pub organization: String,
    /// How many devices may be registered with it at once.
    pub seats: u32,
}

impl Default for LicenseConfig {
    /// The seed licence: [`SANDBOX_LICENSE_KEY`] for `dfxdemo`, 1000 seats.
    fn default() -> Self {
        LicenseConfig {
            key: SANDBOX_LICENSE_KEY.to_owned(),
            organization: SANDBOX_ORG_IDENTIFIER.to_owned(),
            seats: SANDBOX_LICENSE_SEATS,
        }
    }
}

/// A user who can log in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserConfig {
    /// Login e-mail (compared ASCII case-insensitively).
    pub email: String,
    /// Password (compared exactly).
    pub password: String,
    /// Phone number for the login-code flow (compared exactly); `None` = none.
    pub phone_number: Option<String>,
    /// Identifier of the organization the user belongs to.
    pub organization: String,
}

impl Default for UserConfig {
    /// The seed user: `developer@example.com` / `sandbox-password` in `dfxdemo`.
    fn default() -> Self {
        UserConfig {
            email: SANDBOX_USER_EMAIL.to_owned(),
            password: SANDBOX_USER_PASSWORD.to_owned(),
            phone_number: Some(SANDBOX_USER_PHONE.to_owned()),
            organization: SANDBOX_ORG_IDENTIFIER.to_owned(),
        }
    }
}

/// `ID` of the seed study every organization has (`StatusID` `ACTIVE`): the
/// `StudyID` for `POST measurements`.
pub const SANDBOX_STUDY_ID: &str = "5b0e8d3c-2f4a-4e61-9c7d-1a2b3c4d5e60";

/// `ID` of the second seed study (`StatusID` `INACTIVE`), for status filters.
pub const SANDBOX_ARCHIVED_STUDY_ID: &str = "8e1f2a3b-4c5d-4e6f-a718-293a4b5c6d70";

/// `StudyTemplateID` of both seed studies.
pub(crate) const SANDBOX_TEMPLATE_ID: &str = "c2d4e6f8-0a1b-4c3d-8e5f-6a7b8c9d0e1f";

/// The SDK study config `POST studies/sdkconfig` answers (base64 of the
/// text `dfx-sandbox SDK study config v1\n`) and its MD5.
pub(crate) const SDK_CONFIG_FILE: &str = "ZGZ4LXNhbmRib3ggU0RLIHN0dWR5IGNvbmZpZyB2MQo=";
pub(crate) const SDK_CONFIG_MD5: &str = "ea20f943b42548b1d0cea4ff1f7bc865";
