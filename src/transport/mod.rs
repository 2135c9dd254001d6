//! One HTTP exchange: build the request exactly as the API wants it, send
//! it, and sort every failure into an [`Error`].
//!
//! Two paths share one [`Transport`]:
//! * blocking calls (`runtime::block_on`) speak HTTP/1.1 themselves with
//!   blocking socket calls on the calling thread, over a connection each
//!   thread keeps alive (`blocking.rs`, `http1.rs`);
//! * `_async` calls use reqwest on the internal runtime (`async_http.rs`),
//!   as do blocking calls when the environment names a proxy
//!   (`HTTPS_PROXY`, `ALL_PROXY`, …), which reqwest honours.
//!
//! Both send the same headers, follow the same redirects (`redirect.rs`)
//! and report the same failures the same way.

mod async_http;
mod blocking;
mod buffer;
mod failure;
mod http1;
mod redirect;

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use reqwest::{Method, Url};

use crate::error::Error;
use crate::response::Response;
use crate::secret::WipedBytes;

/// The `User-Agent` every request carries.
pub(crate) const USER_AGENT_VALUE: &str = concat!("dfx/", env!("CARGO_PKG_VERSION"));

/// How long establishing a TCP connection (plus TLS handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A pooled connection idle this long is not reused. Shorter than the
/// keep-alive timeouts servers and load balancers commonly use (60-75 s),
/// so a request is not written into a connection the server is closing —
/// for a renew, that would turn into an outcome-unknown failure.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a token cannot be sent.
const BAD_TOKEN: &str = "the token contains characters not allowed in an HTTP header";

/// How a request authenticates.
#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer <token>`; an empty token sends no header.
    Bearer(&'a str),
}

/// The HTTP side of a client: base URL, connections, timeout.
pub(crate) struct Transport {
    /// reqwest's pool for the `_async` calls.
    shared: reqwest::Client,
    /// Identifies this transport in the threads' connection lists.
    id: usize,
    /// Dropped with the transport: threads then drop its connections.
    alive: Arc<()>,
    tls: Arc<rustls::ClientConfig>,
    base: Url,
    /// The base URL, worked out for the blocking path.
    endpoint: blocking::Endpoint,
    /// Whether blocking calls speak HTTP themselves (no proxy configured).
    direct: bool,
    /// Whole-request timeout in milliseconds; 0 means none.
    timeout_ms: AtomicU64,
}

static NEXT_TRANSPORT_ID: AtomicUsize = AtomicUsize::new(1);

/// One transport's reqwest pool on one thread, for blocking calls through
/// a proxy (driven by the thread's own runtime during the call).
struct ThreadPool {
    transport: usize,
    alive: Weak<()>,
    http: reqwest::Client,
}

thread_local! {
    /// This thread's reqwest pools; dropped when it exits.
    static THREAD_POOLS: RefCell<Vec<ThreadPool>> = const { RefCell::new(Vec::new()) };
}

/// The TLS settings every connection uses: rustls with the ring provider
/// and the Mozilla roots built in (no system store, no OpenSSL).
fn tls_config() -> Result<Arc<rustls::ClientConfig>, Error> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(format!("TLS configuration: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Whether the environment names a proxy reqwest would use for `scheme`
/// (it reads these variables when a client is built).
fn proxy_configured(scheme: &str) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let scheme_vars: &[&str] = if scheme == "https" {
        &["HTTPS_PROXY", "https_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy"]
    };
    scheme_vars.iter().chain(&["ALL_PROXY", "all_proxy"]).any(|v| set(v))
}

impl Transport {
    pub(crate) fn new(base: Url, timeout: Option<Duration>) -> Result<Transport, Error> {
        let tls = tls_config()?;
        Ok(Transport {
            shared: async_http::build_http(&base, &tls)?,
            id: NEXT_TRANSPORT_ID.fetch_add(1, Ordering::Relaxed),
            alive: Arc::new(()),
            endpoint: blocking::Endpoint::new(&base, tls.clone()),
            direct: !proxy_configured(base.scheme()),
            tls,
            base,
            timeout_ms: AtomicU64::new(timeout.map_or(0, |d| d.as_millis() as u64)),
        })
    }

    /// The reqwest pool for the current call: the calling thread's own
    /// during a blocking call, else the shared one.
    fn http(&self) -> Result<reqwest::Client, Error> {
        if !crate::runtime::in_blocking_call() {
            return Ok(self.shared.clone());
        }
        THREAD_POOLS.with(|pools| {
            let mut pools = pools.borrow_mut();
            if let Some(pool) = pools.iter().find(|p| p.transport == self.id) {
                return Ok(pool.http.clone());
            }
            // Forget the pools of transports that are gone.
            pools.retain(|p| p.alive.strong_count() > 0);
            let http = async_http::build_http(&self.base, &self.tls)?;
            pools.push(ThreadPool { transport: self.id, alive: Arc::downgrade(&self.alive), http: http.clone() });
            Ok(http)
        })
    }

    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    pub(crate) fn set_timeout(&self, timeout: Option<Duration>) {
        let ms = timeout.map_or(0, |d| d.as_millis().min(u64::MAX as u128) as u64);
        self.timeout_ms.store(ms, Ordering::Relaxed);
    }

    pub(crate) fn timeout(&self) -> Option<Duration> {
        match self.timeout_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// The URL of an API path (no leading slash): base + "/" + path.
    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}/{}", self.base.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// Send one request with a JSON body (or none) and decode the answer.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<WipedBytes>,
    ) -> Result<Response, Error> {
        let bearer = match auth {
            Auth::Bearer(token) if !token.is_empty() => {
                // What an HTTP header value may hold (as `HeaderValue::from_str`).
                if !token.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) {
                    return Err(Error::InvalidArgument(BAD_TOKEN.into()));
                }
                Some(token)
            }
            _ => None,
        };
        let timeout = self.timeout();
        if self.direct && crate::runtime::in_blocking_call() {
            let call = blocking::Call {
                endpoint: &self.endpoint,
                transport: self.id,
                alive: &self.alive,
                base: &self.base,
                deadline: timeout.map(|t| Instant::now() + t),
            };
            return call.send(method.as_str(), path, bearer, body.as_ref().map(|b| b.0.as_slice()));
        }
        async_http::send(self.http()?, method, self.url(path), bearer, body, timeout).await
    }
}
