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
use zeroize::Zeroizing;

use crate::auths::Auths;
use crate::error::Error;
use crate::general::General;
use crate::organizations::Organizations;
use crate::requests::Requests;
use crate::response::Response;
use crate::secret::{wipe_json, Secrets, WipedBytes};
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

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
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

    /// Send one request: `target` is the API path (values encoded) with
    /// its query; `body` the JSON body, if any; `session_header` adds
    /// `x-nura-session: true`.
    pub(crate) async fn send(
        &self,
        method: Method,
        target: &str,
        bearer: Bearer<'_>,
        body: Option<WipedBytes>,
        session_header: bool,
    ) -> Result<Response, Error> {
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
        let bearer = match auth {
            Auth::Bearer(t) => Some(t),
            Auth::None => None,
        };
        // The one place every request's failure passes: its message loses
        // every secret before anyone can read it.
        let result = self.inner.transport.send(method, target, auth, body.as_ref(), session_header).await;
        result.map_err(|e| self.redact(e, body.as_ref(), bearer))
    }

    /// `error` without the secrets a call carried: its body's secret
    /// fields, its bearer token, and the session's tokens (a server may
    /// echo any of them). Only failures pay for this.
    pub(crate) fn redact(&self, error: Error, body: Option<&WipedBytes>, bearer: Option<&str>) -> Error {
        let mut secrets = Secrets::default();
        if let Some(mut value) = body.and_then(|b| serde_json::from_slice::<serde_json::Value>(&b.0).ok()) {
            secrets.add_body(&value);
            wipe_json(&mut value);
        }
        secrets.add(bearer.unwrap_or(""));
        let session = self.session().snapshot();
        for field in SessionField::ALL.into_iter().filter(|f| f.is_secret()) {
            secrets.add(session.get(field));
        }
        // A proxy's credentials (the proxied path's failures come from reqwest).
        for var in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
            if let Some(proxy) = std::env::var(var).ok().and_then(|v| Url::parse(&v).ok()) {
                secrets.add(proxy.username());
                secrets.add(proxy.password().unwrap_or(""));
            }
        }
        error.redacted(&secrets)
    }

    /// The token a request with the session's user-else-device bearer
    /// carries (renewed first under auto-renew); empty when neither is set.
    pub(crate) async fn user_else_device_token(&self) -> Result<Zeroizing<String>, Error> {
        let user = self.session().get(SessionField::UserToken);
        let kind = if user.is_empty() { TokenKind::Device } else { TokenKind::User };
        self.session_token(kind).await
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

/// What every scheme complaint says.
const SCHEME_HINT: &str = "the base URL must start with https:// (or http:// for a loopback host such as \
                           the sandbox), e.g. \"https://api.deepaffex.ai\" or \"http://127.0.0.1:8080\"";

/// Check a base URL. A rejected URL is never echoed beyond its scheme and
/// host: its user info, path, query or fragment may hold a secret.
pub(crate) fn parse_base_url(text: &str) -> Result<Url, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::InvalidUrl("the base URL is empty".into()));
    }
    // `127.0.0.1:8080`, `localhost:8080`, `api.deepaffex.ai`: no scheme.
    let Some((scheme, _)) = text.split_once("://") else {
        return Err(Error::InvalidUrl(SCHEME_HINT.into()));
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return Err(Error::InvalidUrl(SCHEME_HINT.into()));
    }
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(Error::InvalidUrl(format!("{SCHEME_HINT}, not {scheme}://")));
    }
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(e) => return Err(Error::InvalidUrl(format!("the base URL is malformed ({e}): {scheme}://…"))),
    };
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h,
        _ => return Err(Error::InvalidUrl(format!("the base URL has no host: {scheme}://…"))),
    };
    let shown = format!("{scheme}://{host}");
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::InvalidUrl(format!("the base URL must not carry user info: {shown}")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::InvalidUrl(format!("the base URL must not have a query or fragment: {shown}")));
    }
    if scheme == "http" && !is_loopback(host) {
        return Err(Error::InvalidUrl(format!(
            "plain http is only allowed for loopback hosts; use https: {shown}"
        )));
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

    fn message(url: &str) -> String {
        parse_base_url(url).unwrap_err().to_string()
    }

    #[test]
    fn a_url_without_a_scheme_gets_the_scheme_hint() {
        for url in ["127.0.0.1:8080", "localhost:8080", "api.deepaffex.ai", "[::1]:8080", "localhost"] {
            let m = message(url);
            assert!(m.contains("must start with https://"), "{url}: {m}");
            assert!(m.contains("http://127.0.0.1:8080"), "{url}: {m}");
        }
        assert!(message("ftp://example.com").contains("must start with https://"));
        assert!(message("ftp://example.com").contains("not ftp://"));
    }

    #[test]
    fn a_rejected_url_is_shown_by_scheme_and_host_only() {
        for (url, shown) in [
            ("https://x/?token=hunter2", "https://x"),
            ("https://x/#hunter2", "https://x"),
            ("https://user:hunter2@x/p", "https://x"),
            ("https://hunter2@x", "https://x"),
            ("http://example.com/hunter2?hunter2", "http://example.com"),
        ] {
            let m = message(url);
            assert!(!m.contains("hunter2"), "{url}: {m}");
            assert!(m.contains(shown), "{url}: {m}");
        }
        // Malformed: not even a host can be trusted, only the scheme.
        for url in ["http://user:hunter2@[::1", "https://hunter2:x@:99999/", "https://a b/hunter2", "https://:hunter2@"] {
            let m = message(url);
            assert!(!m.contains("hunter2"), "{url}: {m}");
            assert!(m.contains("invalid URL: the base URL"), "{url}: {m}");
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
