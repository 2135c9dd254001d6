//! The Organizations endpoints of the token lifecycle: register and
//! unregister a license (the device pair), and the view-only user login.

use serde_json::{json, Value};

use crate::client::Client;
use crate::error::Error;
use crate::response::Response;
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
        let data = json!({
            "Key": license.key,
            "DeviceTypeID": license.device_type_id,
            "Name": license.name,
            "Identifier": license.org_identifier,
            "Version": license.version,
        });
        self.client.call_row("organizations.registerLicense", crate::wire::data_params(data)).await
    }

    /// Unregister the license (`DELETE organizations/licenses`, Action 706)
    /// with the session's **device** token (the JavaScript client sends the
    /// user token, a defect). On success the session's device part
    /// (`deviceToken`, `deviceRefreshToken`, `deviceId`, `roleId`, `userId`)
    /// is cleared (listener called); the user pair is left as it is.
    pub async fn unregister_license(&self) -> Result<Response, Error> {
        self.client.call_row("organizations.unregisterLicense", Value::Null).await
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
        let mut data = json!({"Email": email, "Password": password, "Identifier": org_identifier});
        if let Some(mfa_token) = mfa_token.filter(|s| !s.is_empty()) {
            data["MFAToken"] = mfa_token.into();
        }
        self.client.call_row("organizations.login", crate::wire::data_params(data)).await
    }
}
