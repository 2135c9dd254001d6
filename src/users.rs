//! The Users endpoints of the token lifecycle: the measuring user login and
//! the login with a phone code.

use crate::transport::Method;
use serde::Serialize;

use crate::client::{Bearer, Client};
use crate::error::Error;
use crate::organizations::LoginBody;
use crate::response::Response;
use crate::session::TokenKind;
use crate::wire::required;

/// The Users calls of a [`Client`].
pub struct Users<'a> {
    pub(crate) client: &'a Client,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PhoneCodeBody<'a> {
    login_code: &'a str,
    phone_number: &'a str,
    #[serde(rename = "OrgKey")]
    org_identifier: &'a str,
}

impl Users<'_> {
    /// Log a user in on this device (`POST users/auth`, Action 201): a
    /// measurement-capable user pair. Bearer: the session's device token
    /// (register a license first). On success the session stores
    /// `userToken` and `userRefreshToken`.
    pub async fn login(&self, email: &str, password: &str, mfa_token: Option<&str>) -> Result<Response, Error> {
        required("email", email)?;
        required("password", password)?;
        self.client.session().check_not_notifying()?;
        let body = LoginBody { email, password, identifier: None, mfa_token: mfa_token.filter(|s| !s.is_empty()) };
        let response = self
            .client
            .call(Method::Post, "users/auth", Bearer::Session(TokenKind::Device), Some(&body))
            .await?;
        self.client.session().store_answer(&response, TokenKind::User, &[])?;
        Ok(response)
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
        self.client.session().check_not_notifying()?;
        let body = PhoneCodeBody { login_code, phone_number, org_identifier };
        let response = self.client.call(Method::Post, "users/auth/code", Bearer::None, Some(&body)).await?;
        self.client.session().store_answer(&response, TokenKind::User, &[])?;
        Ok(response)
    }
}
