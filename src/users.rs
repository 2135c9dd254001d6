//! The Users endpoints of the token lifecycle: the measuring user login and
//! the login with a phone code.

use serde_json::json;

use crate::client::Client;
use crate::error::Error;
use crate::response::Response;
use crate::wire::required;

/// The Users calls of a [`Client`].
pub struct Users<'a> {
    pub(crate) client: &'a Client,
}

impl Users<'_> {
    /// Log a user in on this device (`POST users/auth`, Action 201): a
    /// measurement-capable user pair. Bearer: the session's device token
    /// (register a license first). On success the session stores
    /// `userToken` and `userRefreshToken`.
    pub async fn login(&self, email: &str, password: &str, mfa_token: Option<&str>) -> Result<Response, Error> {
        required("email", email)?;
        required("password", password)?;
        let mut data = json!({"Email": email, "Password": password});
        if let Some(mfa_token) = mfa_token.filter(|s| !s.is_empty()) {
            data["MFAToken"] = mfa_token.into();
        }
        self.client.call_row("users.login", crate::wire::data_params(data)).await
    }

    /// Log in with the code a `request_login_code` sent by SMS
    /// (`POST users/auth/code`, Action 212). No bearer. `LoginCode` is sent
    /// as a JSON string, as the Python client does (keeps leading zeros).
    /// On success the session stores `userToken` and `userRefreshToken`.
    pub async fn login_with_phone_code(
        &self,
        login_code: &str,
        phone_number: &str,
        org_identifier: &str,
    ) -> Result<Response, Error> {
        required("login_code", login_code)?;
        required("phone_number", phone_number)?;
        required("org_identifier", org_identifier)?;
        let fields = [("LoginCode", login_code), ("PhoneNumber", phone_number), ("OrgKey", org_identifier)];
        self.client.call_text_body("users.loginWithPhoneCode", &fields).await
    }
}
