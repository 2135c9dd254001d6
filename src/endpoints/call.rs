//! Sending a prepared call and applying its row's effect on the session,
//! with the rules every session change follows (listener before return,
//! nothing stored on failure, a renew's lost answer is outcome-unknown).

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;
use crate::secret::Zeroizing;

use super::prepare::Fields;
use super::{Effect, Operation};
use crate::client::{Bearer, Client};
use crate::error::Error;
use crate::requests::{OnCancel, SharedToken};
use crate::response::Response;
use crate::secret::WipedBytes;
use crate::session::{SessionField, TokenKind};

/// A call checked against its row, its request built: ready to send.
pub(crate) struct Prepared {
    pub(crate) op: &'static Operation,
    /// The path with its values and query, encoded (the row's own path
    /// when it has neither).
    pub(crate) target: Cow<'static, str>,
    pub(crate) bearer: Token,
    pub(crate) body: Option<WipedBytes>,
    /// Send `x-nura-session: true`.
    pub(crate) session_header: bool,
    /// For a renew: the pair it spends. The token is shared with the
    /// call's cancel rule ([`OnCancel::renew_of`]), not copied for it.
    pub(crate) renewing: Option<(SharedToken, Zeroizing<String>)>,
}

/// The bearer a prepared call sends.
pub(crate) enum Token {
    None,
    Session(TokenKind),
    UserElseDevice,
    Explicit(Zeroizing<String>),
    /// The token of the pair a renew spends (`Prepared::renewing`).
    Renewing,
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the body or a token.
        f.debug_struct("Prepared").field("operation", &self.op.name).field("target", &self.target).finish()
    }
}

impl Prepared {
    /// A typed call's request: `params` built by its wrapper, only fields
    /// the row knows. The parameters are wiped and freed here, before any
    /// await: on the thread that made them (freed on dfx's thread instead,
    /// each of their allocations was glibc's slow path, issue 15).
    pub(crate) fn typed(operation: &str, mut params: Value) -> Result<Prepared, Error> {
        let prepared = Prepared::for_row(super::row(operation), &params, Fields::Known);
        crate::secret::wipe_json(&mut params);
        prepared
    }

    /// What a cancelled `_async` call of this operation does: one that
    /// changes the session is carried through, so its effect is stored —
    /// a renew only if the session holds the pair it spends (else nothing
    /// would keep the new pair); any other is aborted.
    pub(crate) fn on_cancel(&self) -> OnCancel {
        match (&self.renewing, self.op.effect) {
            (Some((token, _)), _) => OnCancel::renew_of(token),
            (None, Some(_)) => OnCancel::Finish,
            (None, None) => OnCancel::Abort,
        }
    }
}

impl Client {
    /// Call any operation of the API by its JavaScript name
    /// (`"measurements.create"`, `"auths.renew"`, ...) with `params`, a
    /// JSON object keyed by the JavaScript method's own argument names
    /// (`null` or `{}` when it has none): `{"id": "…", "data": {…}}`.
    ///
    /// The parameters are checked against the endpoint table first: an
    /// unknown operation (the message names the nearest real ones), an
    /// unknown parameter, a missing required parameter or body field, or a
    /// value of the wrong JSON type is [`Error::InvalidArgument`] and nothing
    /// is sent. Body objects are sent as given (fields the table does not
    /// list included). The session is read for the bearer and changed as
    /// the typed calls change it (register, logins, renew, unregister,
    /// logout).
    pub async fn call_operation(&self, operation: &str, params: &Value) -> Result<Response, Error> {
        let prepared = Prepared::new(operation, params, Fields::PassThrough)?;
        self.send_prepared(prepared).await
    }

    /// The typed calls: `params` built by a wrapper, only fields the row
    /// knows; the parameters are wiped once the request is built.
    pub(crate) async fn call_row(&self, operation: &str, params: Value) -> Result<Response, Error> {
        let prepared = Prepared::typed(operation, params)?;
        self.send_prepared(prepared).await
    }

    /// The typed calls whose one argument is a `data` body of text fields
    /// (see [`Prepared::text_body`]).
    pub(crate) async fn call_text_body(&self, operation: &str, fields: &[(&str, &str)]) -> Result<Response, Error> {
        let prepared = Prepared::text_body(operation, fields)?;
        self.send_prepared(prepared).await
    }

    /// Send a prepared call; on success apply its row's session effect
    /// (the listener runs before this returns).
    pub(crate) async fn send_prepared(&self, prepared: Prepared) -> Result<Response, Error> {
        let Prepared { op, target, bearer, body, session_header, renewing } = prepared;
        if op.effect.is_some() {
            // Storing the result must be possible before anything is spent.
            self.session().check_not_notifying()?;
        }
        let bearer = match &bearer {
            Token::None => Bearer::None,
            Token::Session(kind) => Bearer::Session(*kind),
            Token::UserElseDevice => Bearer::SessionUserElseDevice,
            Token::Explicit(token) => Bearer::Explicit(token),
            Token::Renewing => match &renewing {
                Some((token, _)) => Bearer::Explicit(token.as_str()),
                None => Bearer::None,
            },
        };
        let result = self.send(op.method, &target, bearer, body, session_header).await;
        let Some(effect) = op.effect else { return result };
        let session = self.session();
        match effect {
            Effect::Renew => {
                let response =
                    result.map_err(|e| if e.may_have_been_sent() { Error::OutcomeUnknown(Box::new(e)) } else { e })?;
                let (Some(token), Some(refresh)) = (response.get_str("Token"), response.get_str("RefreshToken"))
                else {
                    return Err(Error::Decode(
                        "the renew answer carries no Token and RefreshToken; the old pair is likely consumed".into(),
                    ));
                };
                if let Some((old_token, old_refresh)) = &renewing {
                    session.pair_renewed((old_token.as_str(), old_refresh), (token, refresh))?;
                }
                Ok(response)
            }
            Effect::RegisterLicense => {
                let response = result?;
                let ids = [
                    (SessionField::DeviceId, "DeviceID"),
                    (SessionField::RoleId, "RoleID"),
                    (SessionField::UserId, "UserID"),
                ];
                session.store_answer(&response, TokenKind::Device, &ids)?;
                Ok(response)
            }
            Effect::UserLogin => {
                let response = result?;
                session.store_answer(&response, TokenKind::User, &[])?;
                Ok(response)
            }
            Effect::UnregisterLicense => {
                let response = result?;
                session.clear(&[
                    SessionField::DeviceToken,
                    SessionField::DeviceRefreshToken,
                    SessionField::DeviceId,
                    SessionField::RoleId,
                    SessionField::UserId,
                ])?;
                Ok(response)
            }
            Effect::UserLogout => {
                let response = result?;
                session.clear(&[SessionField::UserToken, SessionField::UserRefreshToken])?;
                Ok(response)
            }
        }
    }
}
