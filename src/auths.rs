//! The Auths endpoint group (`api/endpoints.json`, group `auths`).

use reqwest::Method;
use serde::Serialize;

use crate::client::Client;
use crate::error::Error;
use crate::response::Response;
use crate::runtime;
use crate::secret::WipedBytes;
use crate::transport::Auth;

/// The Auths calls of a [`Client`]: `client.auths().renew(..)`.
pub struct Auths<'a> {
    pub(crate) client: &'a Client,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RenewBody<'a> {
    token: &'a str,
    refresh_token: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LoginCodeBody<'a> {
    phone_number: &'a str,
    identifier: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ResetLinkBody<'a> {
    email: &'a str,
    identifier: &'a str,
}

fn required(name: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        Err(Error::InvalidArgument(format!("`{name}` must not be empty")))
    } else {
        Ok(())
    }
}

fn json_body<T: Serialize>(body: &T) -> Result<WipedBytes, Error> {
    serde_json::to_vec(body)
        .map(WipedBytes)
        .map_err(|e| Error::Internal(format!("could not encode the request body: {e}")))
}

impl Auths<'_> {
    /// Exchange a `Token`/`RefreshToken` pair for a new pair
    /// (`POST auths/renew`, Action 2304). The old pair is dead once the
    /// server has answered.
    ///
    /// Sends `Authorization: Bearer <token>` (the token being renewed, as the
    /// reference demo does). If the request may have reached the server but
    /// no complete answer came back (timeout, connection lost, body cut
    /// short), the error is [`Error::OutcomeUnknown`]: the pair may already
    /// be consumed. A renew is never retried.
    pub async fn renew(&self, token: &str, refresh_token: &str) -> Result<Response, Error> {
        required("token", token)?;
        required("refresh_token", refresh_token)?;
        let body = json_body(&RenewBody { token, refresh_token })?;
        self.client
            .transport
            .send(Method::POST, "auths/renew", Auth::Bearer(token), Some(body))
            .await
            .map_err(|e| {
                if e.may_have_been_sent() {
                    Error::OutcomeUnknown(Box::new(e))
                } else {
                    e
                }
            })
    }

    /// Ask the API to send a login code by SMS to `phone_number`, for the
    /// organization `org_identifier` (`PATCH auths/users/code`, Action 2303).
    ///
    /// The JavaScript client posts this to `auths/renew` (a copy-paste
    /// defect); dfx uses the endpoint the API means.
    pub async fn request_login_code(
        &self,
        phone_number: &str,
        org_identifier: &str,
    ) -> Result<Response, Error> {
        required("phone_number", phone_number)?;
        required("org_identifier", org_identifier)?;
        let body = json_body(&LoginCodeBody {
            phone_number,
            identifier: org_identifier,
        })?;
        self.client
            .transport
            .send(Method::PATCH, "auths/users/code", Auth::None, Some(body))
            .await
    }

    /// Ask the API to e-mail a password-reset link to `email`, for the
    /// organization `org_identifier` (`PATCH auths/users/reset`, Action 2300).
    pub async fn request_reset_password_link(
        &self,
        email: &str,
        org_identifier: &str,
    ) -> Result<Response, Error> {
        required("email", email)?;
        required("org_identifier", org_identifier)?;
        let body = json_body(&ResetLinkBody {
            email,
            identifier: org_identifier,
        })?;
        self.client
            .transport
            .send(Method::PATCH, "auths/users/reset", Auth::None, Some(body))
            .await
    }

    /// [`Auths::renew`], blocking the calling thread.
    pub fn renew_blocking(&self, token: &str, refresh_token: &str) -> Result<Response, Error> {
        runtime::block_on(self.renew(token, refresh_token))?
    }

    /// [`Auths::request_login_code`], blocking the calling thread.
    pub fn request_login_code_blocking(
        &self,
        phone_number: &str,
        org_identifier: &str,
    ) -> Result<Response, Error> {
        runtime::block_on(self.request_login_code(phone_number, org_identifier))?
    }

    /// [`Auths::request_reset_password_link`], blocking the calling thread.
    pub fn request_reset_password_link_blocking(
        &self,
        email: &str,
        org_identifier: &str,
    ) -> Result<Response, Error> {
        runtime::block_on(self.request_reset_password_link(email, org_identifier))?
    }
}
