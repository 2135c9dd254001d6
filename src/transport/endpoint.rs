//! The base URL worked out once for the direct paths: where to connect,
//! the `host` header, the path prefix, the TLS server name.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use url::Url;

use super::lookup::{self, Lookups};
use super::{CONNECT_TIMEOUT, POOL_IDLE_TIMEOUT};
use crate::error::Error;

pub(crate) struct Endpoint {
    pub(crate) https: bool,
    /// Host for DNS and the TLS server name (no brackets around IPv6).
    pub(crate) host: String,
    /// Set when the host is an IP address: no DNS lookup.
    pub(crate) ip: Option<IpAddr>,
    pub(crate) port: u16,
    /// The `host` header: host, and the port unless it is the default.
    pub(crate) host_header: String,
    /// The base URL's path without its trailing `/`.
    prefix: String,
    pub(crate) base: Url,
    /// The TLS settings new connections use (replaced when the client's
    /// trust changes).
    tls: RwLock<Arc<rustls::ClientConfig>>,
    /// How long connecting may take ([`CONNECT_TIMEOUT`]; shorter in tests).
    pub(crate) connect_limit: Duration,
    /// How long an idle connection is kept ([`POOL_IDLE_TIMEOUT`]; shorter in tests).
    pub(crate) idle_limit: Duration,
    /// Where names are looked up (the system resolver; a fake in tests).
    pub(crate) lookups: &'static Lookups,
}

impl Endpoint {
    pub(crate) fn new(base: &Url, tls: Arc<rustls::ClientConfig>) -> Endpoint {
        let host = base.host_str().unwrap_or_default();
        let bare = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let host_header = match base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Endpoint {
            https: base.scheme() == "https",
            ip: bare.parse().ok(),
            host: bare,
            port: base.port_or_known_default().unwrap_or(443),
            host_header,
            prefix: base.path().trim_end_matches('/').to_owned(),
            base: base.clone(),
            tls: RwLock::new(tls),
            connect_limit: CONNECT_TIMEOUT,
            idle_limit: POOL_IDLE_TIMEOUT,
            lookups: &lookup::SYSTEM,
        }
    }

    /// The TLS settings for a new connection.
    pub(crate) fn tls(&self) -> Arc<rustls::ClientConfig> {
        self.tls.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn set_tls(&self, tls: Arc<rustls::ClientConfig>) {
        *self.tls.write().unwrap_or_else(|p| p.into_inner()) = tls;
    }

    /// The request target of an API path (no leading slash). Paths are
    /// built by dfx with their variable parts percent-encoded, so this is
    /// the prefix, `/` and the path, written out as they are; anything else
    /// goes through the URL parser.
    pub(crate) fn target<'a>(&'a self, path: &'a str) -> Target<'a> {
        if self.prefix.bytes().chain(path.bytes()).all(is_path_byte) {
            return Target::Api { prefix: &self.prefix, path };
        }
        let joined = [self.prefix.as_str(), "/", path].concat();
        Target::Given(self.base.join(&joined).map(|u| u.path().to_owned()).unwrap_or(joined))
    }

    /// The name the server's certificate must carry.
    pub(crate) fn server_name(&self) -> Result<rustls::pki_types::ServerName<'static>, Error> {
        match self.ip {
            Some(ip) => Ok(rustls::pki_types::ServerName::IpAddress(ip.into())),
            None => rustls::pki_types::ServerName::try_from(self.host.clone())
                .map_err(|e| Error::InvalidUrl(format!("not a valid TLS server name: {e}"))),
        }
    }
}

/// A request target: an endpoint's path prefix, `/` and an API path, kept
/// apart and written out piece by piece (joining them cost an allocation
/// per call, issue 15), or a target given whole (by a redirect).
#[derive(Debug)]
pub(crate) enum Target<'a> {
    Api { prefix: &'a str, path: &'a str },
    Given(String),
}

impl Target<'_> {
    /// The pieces that make the target, in order.
    pub(crate) fn pieces(&self) -> [&str; 3] {
        match self {
            Target::Api { prefix, path } => [prefix, "/", path],
            Target::Given(target) => [target, "", ""],
        }
    }

    /// The target as one string.
    pub(crate) fn joined(&self) -> String {
        self.pieces().concat()
    }
}

/// Bytes that may appear in a request target as we build it (RFC 3986
/// path characters, `%` for escapes, and `?`/`=`/`&` for a query).
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%?".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> Endpoint {
        let tls = Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        );
        Endpoint::new(&Url::parse(url).unwrap(), tls)
    }

    #[test]
    fn host_header_and_targets() {
        let e = endpoint("https://api.example.com/prefix/");
        assert_eq!((e.host_header.as_str(), e.port, e.ip), ("api.example.com", 443, None));
        assert!(matches!(e.target("auths/renew"), Target::Api { prefix: "/prefix", path: "auths/renew" }));
        assert_eq!(e.target("auths/renew").joined(), "/prefix/auths/renew");
        assert!(matches!(e.target("a b"), Target::Given(t) if t == "/prefix/a%20b"));
        let e = endpoint("http://[::1]:8080");
        assert_eq!((e.host_header.as_str(), e.host.as_str(), e.port), ("[::1]:8080", "::1", 8080));
        assert!(e.ip.is_some());
        assert_eq!(e.target("status").pieces(), ["", "/", "status"]);
        assert_eq!(e.target("status").joined(), "/status");
    }
}
