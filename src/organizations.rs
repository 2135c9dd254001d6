//! The Organizations endpoints of the token lifecycle: register and
//! unregister a license (the device pair), and the view-only user login.

use crate::transport::Method;
use serde::Serialize;

use crate::client::{Bearer, Client};
use crate::error::Error;
use crate::response::Response;
use crate::session::{SessionField, TokenKind};
use crate::wire::required;

/// The Organizations calls of a [`Client`].
pub struct Organizations<'a> {
    pub(crate) client: &'a Client,
}

/// What a device registers with.
#[derive(Clone, Copy)]
pub struct License<'a> {
    /// The license key.
    pub key: &'a str,
    /// `IPHONE`, `IPAD`, `DARWIN`, `ANDROID_PHONE`, `WINDOWS`, `WIN32`,
    /// `WINDOWS_TABLET`, `LINUX` or `DEBIAN`.
    pub device_type_id: &'a str,
    /// The device's name.
    pub name: &'a str,
    /// The organization's identifier (its short key, e.g. `dfxdemo`).
    pub org_identifier: &'a str,
    /// The app's version.
    pub version: &'a str,
}

impl std::fmt::Debug for License<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("License")
            .field("key", &"<redacted>")
            .field("device_type_id", &self.device_type_id)
            .field("name", &self.name)
            .field("org_identifier", &self.org_identifier)
            .field("version", &self.version)
            .finish()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RegisterBody<'a> {
    key: &'a str,
    #[serde(rename = "DeviceTypeID")]
    device_type_id: &'a str,
    name: &'a str,
    identifier: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct LoginBody<'a> {
    pub(crate) email: &'a str,
    pub(crate) password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) identifier: Option<&'a str>,
    #[serde(rename = "MFAToken", skip_serializing_if = "Option::is_none")]
    pub(crate) mfa_token: Option<&'a str>,
}

impl Organizations<'_> {
    /// Register a license (`POST organizations/licenses`, Action 705): the
    /// device's token pair. No bearer. On success the session stores
    /// `deviceToken`, `deviceRefreshToken`, `deviceId`, `roleId` and `userId`
    /// (listener called) before this returns.
    pub async fn register_license(&self, license: &License<'_>) -> Result<Response, Error> {
        required("license_key", license.key)?;
        required("device_type_id", license.device_type_id)?;
        required("name", license.name)?;
        required("org_identifier", license.org_identifier)?;
        required("version", license.version)?;
        self.client.session().check_not_notifying()?;
        let body = RegisterBody {
            key: license.key,
            device_type_id: license.device_type_id,
            name: license.name,
            identifier: license.org_identifier,
            version: license.version,
        };
        let response = self
            .client
            .call(Method::Post, "organizations/licenses", Bearer::None, Some(&body))
            .await?;
        self.client.session().store_answer(
            &response,
            TokenKind::Device,
            &[
                (SessionField::DeviceId, "DeviceID"),
                (SessionField::RoleId, "RoleID"),
                (SessionField::UserId, "UserID"),
            ],
        )?;
        Ok(response)
    }

    /// Unregister the license (`DELETE organizations/licenses`, Action 706)
    /// with the session's **device** token (the JavaScript client sends the
    /// user token, a defect). On success the session's device part
    /// (`deviceToken`, `deviceRefreshToken`, `deviceId`, `roleId`, `userId`)
    /// is cleared (listener called); the user pair is left as it is.
    pub async fn unregister_license(&self) -> Result<Response, Error> {
        self.client.session().check_not_notifying()?;
        let response = self
            .client
            .call::<()>(Method::Delete, "organizations/licenses", Bearer::Session(TokenKind::Device), None)
            .await?;
        self.client.session().clear(&[
            SessionField::DeviceToken,
            SessionField::DeviceRefreshToken,
            SessionField::DeviceId,
            SessionField::RoleId,
            SessionField::UserId,
        ])?;
        Ok(response)
    }

    /// Log a user in to an organization (`POST organizations/auth`,
    /// Action 717): a view-only user pair (it cannot take measurements).
    /// No bearer. `mfa_token` only with two-factor authentication. On
    /// success the session stores `userToken` and `userRefreshToken`.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        org_identifier: &str,
        mfa_token: Option<&str>,
    ) -> Result<Response, Error> {
        required("email", email)?;
        required("password", password)?;
        required("org_identifier", org_identifier)?;
        self.client.session().check_not_notifying()?;
        let body = LoginBody { email, password, identifier: Some(org_identifier), mfa_token: mfa_token.filter(|s| !s.is_empty()) };
        let response = self.client.call(Method::Post, "organizations/auth", Bearer::None, Some(&body)).await?;
        self.client.session().store_answer(&response, TokenKind::User, &[])?;
        Ok(response)
    }
}
