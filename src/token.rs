//! Reading a JWT-shaped token's `exp` claim, without checking its signature
//! (a client has no key to check it with; the server decides validity).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;

/// The `exp` claim (Unix seconds) of a JWT-shaped token.
pub fn token_expiry(token: &str) -> Result<i64, Error> {
    let not_jwt = || Error::InvalidArgument("the token is not JWT-shaped (header.payload.signature)".into());
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(not_jwt());
    };
    // Some encoders pad; the JWT spec does not.
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| not_jwt())?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| not_jwt())?;
    let exp = claims
        .get("exp")
        .ok_or_else(|| Error::InvalidArgument("the token has no `exp` claim".into()))?;
    exp.as_i64()
        .or_else(|| exp.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
        .ok_or_else(|| Error::InvalidArgument("the token's `exp` claim is not a number".into()))
}

/// Seconds since the Unix epoch.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!("eyJhbGciOiJIUzI1NiJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn reads_exp() {
        assert_eq!(token_expiry(&jwt(r#"{"exp":1700000000,"ID":"x"}"#)).unwrap(), 1700000000);
        assert_eq!(token_expiry(&jwt(r#"{"exp":1700000000.5}"#)).unwrap(), 1700000000);
    }

    #[test]
    fn rejects_what_is_not_a_jwt_with_exp() {
        for bad in [
            String::new(),
            "opaque".into(),
            "a.b".into(),
            "a.b.c.d".into(),
            "a.!!!.c".into(),
            jwt("not json"),
            jwt(r#"{"iat":1}"#),
            jwt(r#"{"exp":"soon"}"#),
        ] {
            assert!(matches!(token_expiry(&bad), Err(Error::InvalidArgument(_))), "{bad}");
        }
    }
}
