//! The General endpoints of the token lifecycle: verify a token, server status.

use serde_json::json;

use crate::client::Client;
use crate::error::Error;
use crate::response::Response;

/// The General calls of a [`Client`].
pub struct General<'a> {
    pub(crate) client: &'a Client,
}

impl General<'_> {
    /// Verify a token and read its claims (`GET auth`, Action 104):
    /// `ActiveLicense`, `DeviceID`, `OrganizationID`, `exp`, … Bearer:
    /// `token`, or when `None` the session's user token if set, else its
    /// device token.
    pub async fn verify_token(&self, token: Option<&str>) -> Result<Response, Error> {
        let params = match token {
            Some("") => return Err(Error::InvalidArgument("`token` must not be empty".into())),
            Some(t) => json!({ "token": t }),
            None => json!({}),
        };
        self.client.call_row("general.verifyToken", params).await
    }

    /// The API's status (`GET status`, Action 100): `StatusID` is `ACTIVE`
    /// when usable. No bearer.
    pub async fn status(&self) -> Result<Response, Error> {
        self.client.call_row("general.status", json!({})).await
    }
}
