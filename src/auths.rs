//! The Auths endpoints of the token lifecycle: renew a pair, login codes,
//! password resets, child tokens and SSO credentials.

use serde_json::json;

use crate::client::Client;
use crate::endpoints::Prepared;
use crate::error::Error;
use crate::response::Response;
use crate::session::TokenKind;
use crate::wire::required;

/// [`Auths::renew`]'s request, checked and built straight from the two
/// strings (no JSON value in between). `dfx_auth_renew_async` builds it on
/// the calling thread, so the call's task holds only the request.
pub(crate) fn prepare_renew(token: &str, refresh_token: &str) -> Result<Prepared, Error> {
    required("token", token)?;
    required("refresh_token", refresh_token)?;
    Prepared::text_body("auths.renew", &[("Token", token), ("RefreshToken", refresh_token)])
}

/// The Auths calls of a [`Client`]: `client.auths().renew(..)`.
pub struct Auths<'a> {
    pub(crate) client: &'a Client,
}

impl Auths<'_> {
    /// Exchange a `Token`/`RefreshToken` pair for a new pair
    /// (`POST auths/renew`, Action 2304). The old pair is dead once the
    /// server has answered.
    ///
    /// Sends `Authorization: Bearer <token>` (the token being renewed, as the
    /// reference demo does). If the pair is one the session holds, the
    /// session stores the new pair (and its listener hears of it) before
    /// this returns. If the request may have reached the server but no
    /// complete answer came back (timeout, connection lost, body cut short),
    /// the error is [`Error::OutcomeUnknown`]: the pair may already be
    /// consumed; the session keeps the old pair. A renew is never retried.
    pub async fn renew(&self, token: &str, refresh_token: &str) -> Result<Response, Error> {
        let prepared = prepare_renew(token, refresh_token)?;
        self.client.send_prepared(prepared).await
    }

    /// Renew the session's stored pair of `kind` and store the new one.
    ///
    /// Single flight: while one renew of `kind` is under way, other callers
    /// (any thread) wait for it and each get a copy of its result; exactly
    /// one request reaches the server and the listener hears of the new
    /// pair once. On [`Error::OutcomeUnknown`] the session keeps the old pair.
    pub async fn renew_stored(&self, kind: TokenKind) -> Result<Response, Error> {
        self.client
            .session()
            .renew_single_flight(kind, |token, refresh| async move { self.renew(&token, &refresh).await })
            .await
    }

    /// Ask the API to send a login code by SMS to `phone_number`, for the
    /// organization `org_identifier` (`PATCH auths/users/code`, Action 2303).
    /// Bearer: the session's device token, if any.
    ///
    /// The JavaScript client posts this to `auths/renew` (a copy-paste
    /// defect); dfx uses the endpoint the API means.
    pub async fn request_login_code(&self, phone_number: &str, org_identifier: &str) -> Result<Response, Error> {
        required("phone_number", phone_number)?;
        required("org_identifier", org_identifier)?;
        let fields = [("PhoneNumber", phone_number), ("Identifier", org_identifier)];
        self.client.call_text_body("auths.requestLoginCode", &fields).await
    }

    /// Ask the API to e-mail a password-reset link to `email`, for the
    /// organization `org_identifier` (`PATCH auths/users/reset`, Action 2300).
    /// Bearer: the session's device token, if any.
    pub async fn request_reset_password_link(&self, email: &str, org_identifier: &str) -> Result<Response, Error> {
        required("email", email)?;
        required("org_identifier", org_identifier)?;
        let fields = [("Email", email), ("Identifier", org_identifier)];
        self.client.call_text_body("auths.requestResetPasswordLink", &fields).await
    }

    /// Send a password reset to a mobile phone (`PATCH auths/users/reset/mobile`,
    /// Action 2302) for the account with `email` and/or `phone_number` (at
    /// least one). Bearer: the session's device token, if any.
    pub async fn send_reset_mobile(&self, email: Option<&str>, phone_number: Option<&str>) -> Result<Response, Error> {
        let email = email.filter(|s| !s.is_empty());
        let phone_number = phone_number.filter(|s| !s.is_empty());
        if email.is_none() && phone_number.is_none() {
            return Err(Error::InvalidArgument("give `email`, `phone_number` or both".into()));
        }
        let given = [("Email", email), ("PhoneNumber", phone_number)];
        let fields: Vec<(&str, &str)> = given.into_iter().filter_map(|(field, value)| Some((field, value?))).collect();
        self.client.call_text_body("auths.sendResetMobile", &fields).await
    }

    /// Generate a child token from a live pair (`POST auths/generateToken`,
    /// Action 2305). The pair is not consumed; the session is not changed.
    /// Bearer: the session's device token, if any.
    pub async fn generate_token(&self, token: &str, refresh_token: &str) -> Result<Response, Error> {
        required("token", token)?;
        required("refresh_token", refresh_token)?;
        let fields = [("Token", token), ("RefreshToken", refresh_token)];
        self.client.call_text_body("auths.generateToken", &fields).await
    }

    /// An organization's SSO client credentials
    /// (`GET auths/organization/credentials/{orgId}`, Action 2306).
    /// Bearer: the session's user token.
    pub async fn get_org_client_credentials(&self, org_id: &str) -> Result<Response, Error> {
        required("org_id", org_id)?;
        self.client.call_row("auths.getOrgClientCredentials", json!({ "orgId": org_id })).await
    }
}
