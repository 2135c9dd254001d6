//! The client: where requests go, and how long they may take.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use crate::auths::Auths;
use crate::error::Error;
use crate::transport::Transport;

/// The production DeepAffex Cloud.
pub const DEFAULT_BASE_URL: &str = "https://api.deepaffex.ai";

/// The whole-request timeout a new client starts with.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A DeepAffex API client. Cheap to clone (clones share connections and
/// settings); safe to use from many threads at once.
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Arc<Transport>,
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
            transport: Arc::new(transport),
        })
    }

    /// Set the whole-request timeout (connect, send, and read the whole
    /// answer); `None` for no timeout. Applies to calls started afterwards.
    pub fn set_timeout(&self, timeout: Option<Duration>) {
        self.transport.set_timeout(timeout);
    }

    /// The whole-request timeout, `None` when there is none.
    pub fn timeout(&self) -> Option<Duration> {
        self.transport.timeout()
    }

    /// The base URL requests are sent under.
    pub fn base_url(&self) -> &str {
        self.transport.base().as_str()
    }

    /// The Auths endpoint group.
    pub fn auths(&self) -> Auths<'_> {
        Auths { client: self }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("timeout", &self.timeout())
            .finish()
    }
}

fn parse_base_url(text: &str) -> Result<Url, Error> {
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
