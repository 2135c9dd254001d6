//! The General group: API status and token verification.

use serde_json::json;

use crate::api::{answer, bearer_error, bearer_token};
use crate::api::Call;
use crate::reply::Reply;
use crate::State;

/// `GET status`, no auth.
pub(crate) fn status(_: &State, _: &Call) -> Reply {
    Reply::json(
        200,
        &json!({
            "StatusID": "ACTIVE",
            "Version": env!("CARGO_PKG_VERSION"),
            "Region": "sandbox",
            "AllowAnonymous": false,
        }),
    )
}

/// `GET auth`, `Bearer <token>` of any type → its decoded claims.
pub(crate) fn verify_token(state: &State, call: &Call) -> Reply {
    answer(|| {
        let Some(token) = bearer_token(call.req)? else {
            return Err(Reply::error(
                401,
                "INVALID_TOKEN",
                "This endpoint needs an Authorization: Bearer <token> header",
            ));
        };
        let claims = state.tokens.claims(token).map_err(bearer_error)?;
        Ok(Reply::json(200, &claims))
    })
}
