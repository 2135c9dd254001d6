//! The client: where requests go, and how long they may take.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::transport::Method;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::auths::Auths;
use crate::error::Error;
use crate::general::General;
use crate::organizations::Organizations;
use crate::requests::Requests;
use crate::response::Response;
use crate::secret::WipedBytes;
use crate::session::{SessionField, SessionStore, TokenKind};
use crate::token::{now_unix, token_expiry};
use crate::transport::{Auth, Transport};
use crate::users::Users;

/// The production DeepAffex Cloud.
pub const DEFAULT_BASE_URL: &str = "https://api.deepaffex.ai";

/// The whole-request timeout a new client starts with.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A DeepAffex API client. Cheap to clone (clones share connections and
/// settings); safe to use from many threads at once.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Shared>,
}

/// What every clone of a client shares.
pub(crate) struct Shared {
    transport: Transport,
    session: SessionStore,
    pub(crate) requests: Requests,
    /// Renew a stored pair this many seconds before its token expires; 0 = never.
    auto_renew_secs: AtomicU64,
}

/// Which bearer token a request carries.
#[derive(Clone, Copy)]
pub(crate) enum Bearer<'a> {
    /// No `Authorization` header.
    None,
    /// This token (an empty one sends no header).
    Explicit(&'a str),
    /// The session's token of this kind (none when unset).
    Session(TokenKind),
    /// The session's user token if set, else its device token.
    SessionUserElseDevice,
}

impl Client {
    /// A client for `base_url`, or for [`DEFAULT_BASE_URL`] when `None`.
    ///
    /// The URL must be `https://host[:port][/prefix]`; plain `http://` is
    /// accepted only for loopback hosts (the sandbox, tests), because every
    /// request carries tokens or passwords. No user info, query or fragment.
    pub fn new(base_url: Option<&str>) -> Result<Client, Error> {
        let base = parse_base_url(base_url.unwrap_or(DEFAULT_BASE_URL))?;
        let transport = Transport::new(base, Some(DEFAULT_TIMEOUT))?;
        Ok(Client {
            inner: Arc::new(Shared {
                transport,
                session: SessionStore::default(),
                requests: Requests::default(),
                auto_renew_secs: AtomicU64::new(0),
            }),
        })
    }

    /// Set the whole-request timeout (connect, send, and read the whole
    /// answer); `None` (or zero) for no timeout. Kept in whole milliseconds,
    /// rounded up. Applies to calls started afterwards.
    pub fn set_timeout(&self, timeout: Option<Duration>) {
        self.inner.transport.set_timeout(timeout);
    }

    /// The whole-request timeout, `None` when there is none.
    pub fn timeout(&self) -> Option<Duration> {
        self.inner.transport.timeout()
    }

    /// The base URL requests are sent under.
    pub fn base_url(&self) -> &str {
        self.inner.transport.base().as_str()
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.inner
    }

    /// The session: token pairs and ids, its listener, its JSON form.
    pub fn session(&self) -> &SessionStore {
        &self.inner.session
    }

    /// Renew a stored pair automatically, before a call that sends its
    /// token, when the token expires within `margin` (`None`: never, the
    /// default). The renew is single flight like [`Auths::renew_stored`].
    pub fn set_auto_renew(&self, margin: Option<Duration>) {
        let secs = margin.map_or(0, |d| d.as_secs().max(1));
        self.inner.auto_renew_secs.store(secs, Ordering::Relaxed);
    }

    /// The Auths endpoint group.
    pub fn auths(&self) -> Auths<'_> {
        Auths { client: self }
    }

    /// The Organizations endpoint group.
    pub fn organizations(&self) -> Organizations<'_> {
        Organizations { client: self }
    }

    /// The Users endpoint group.
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }

    /// The General endpoint group.
    pub fn general(&self) -> General<'_> {
        General { client: self }
    }

    /// Send a request whose body is `body` serialized as JSON (or none).
    pub(crate) async fn call<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        bearer: Bearer<'_>,
        body: Option<&B>,
    ) -> Result<Response, Error> {
        let body = body
            .map(|b| serde_json::to_vec(b).map(WipedBytes))
            .transpose()
            .map_err(|e| Error::Internal(format!("could not encode the request body: {e}")))?;
        let token: Zeroizing<String>;
        let auth = match bearer {
            Bearer::None => Auth::None,
            Bearer::Explicit(t) => Auth::Bearer(t),
            Bearer::Session(kind) => {
                token = self.session_token(kind).await?;
                Auth::Bearer(&token)
            }
            Bearer::SessionUserElseDevice => {
                let user = self.session().get(SessionField::UserToken);
                let kind = if user.is_empty() { TokenKind::Device } else { TokenKind::User };
                token = self.session_token(kind).await?;
                Auth::Bearer(&token)
            }
        };
        self.inner.transport.send(method, path, auth, body).await
    }

    /// The session's token of `kind`, renewed first when auto-renew is on
    /// and it expires within the margin. Boxed with an explicit `Send`:
    /// the renew itself goes through [`Client::call`].
    fn session_token(&self, kind: TokenKind) -> Pin<Box<dyn Future<Output = Result<Zeroizing<String>, Error>> + Send + '_>> {
        Box::pin(async move {
            let (token_field, _) = kind.fields();
            let margin = self.inner.auto_renew_secs.load(Ordering::Relaxed);
            let token = self.session().get(token_field);
            if margin == 0 || self.session().snapshot().pair(kind).is_none() {
                return Ok(token);
            }
            match token_expiry(&token) {
                Ok(exp) if exp.saturating_sub(now_unix()) <= margin as i64 => {
                    self.auths().renew_stored(kind).await?;
                    Ok(self.session().get(token_field))
                }
                _ => Ok(token),
            }
        })
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("timeout", &self.timeout())
            .field("session", self.session())
            .finish()
    }
}

pub(crate) fn parse_base_url(text: &str) -> Result<Url, Error> {
    let bad = |why: &str| Err(Error::InvalidUrl(format!("{why}: {text:?}")));
    if text.trim().is_empty() {
        return Err(Error::InvalidUrl("the base URL is empty".into()));
    }
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(e) => return Err(Error::InvalidUrl(format!("{e}: {text:?}"))),
    };
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h,
        _ => return bad("the base URL has no host"),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::InvalidUrl("the base URL must not carry user info".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return bad("the base URL must not have a query or fragment");
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => return bad("plain http is only allowed for loopback hosts; use https"),
        _ => return bad("the base URL must start with https:// (or http:// for loopback)"),
    }
    Ok(url)
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        for ok in [
            "https://api.deepaffex.ai",
            "https://api.deepaffex.ai/",
            "https://example.com:9443/prefix",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:8080",
        ] {
            assert!(parse_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "  ",
            "api.deepaffex.ai",
            "ftp://api.deepaffex.ai",
            "http://api.deepaffex.ai",
            "http://10.0.0.1",
            "https://",
            "https://user:pw@api.deepaffex.ai",
            "https://api.deepaffex.ai/?x=1",
            "https://api.deepaffex.ai/#f",
            "https://exa mple.com",
        ] {
            assert!(matches!(parse_base_url(bad), Err(Error::InvalidUrl(_))), "{bad}");
        }
    }

    #[test]
    fn urls_join_paths() {
        let c = Client::new(Some("https://example.com/prefix/")).unwrap();
        assert_eq!(c.base_url(), "https://example.com/prefix/");
        let c = Client::new(None).unwrap();
        assert_eq!(c.timeout(), Some(DEFAULT_TIMEOUT));
        c.set_timeout(None);
        assert_eq!(c.timeout(), None);
    }
}
