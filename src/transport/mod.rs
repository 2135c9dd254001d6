//! One HTTP exchange: build the request exactly as the API wants it, send
//! it, and sort every failure into an [`Error`].
//!
//! dfx speaks HTTP/1.1 itself (`http1.rs`: request bytes, response head by
//! `httparse`, body framing), on two kinds of sockets:
//! * blocking calls (`runtime::block_on`): plain blocking socket calls on
//!   the calling thread, over a connection each thread keeps (`blocking.rs`);
//! * `_async` calls: tokio sockets on the internal runtime, over a pool the
//!   client's calls share (`nonblocking.rs`).
//!
//! With the `proxy` feature (default) and a proxy named in the environment,
//! a client's calls go through reqwest instead (`proxied.rs`).
//! All paths send the same headers, follow the same redirects
//! (`redirect.rs`) and report failures as the same kinds (`failure.rs`).

mod blocking;
mod buffer;
mod endpoint;
mod failure;
pub(crate) mod http1;
mod lookup;
mod nonblocking;
#[cfg(feature = "proxy")]
mod proxied;
mod redirect;
mod registry;
pub(crate) mod sigpipe;
mod tls;
#[cfg(test)]
mod connect_tests;
#[cfg(test)]
mod tls_tests;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use url::Url;

use crate::error::Error;
use crate::response::Response;
use crate::secret::WipedBytes;

pub use tls::TrustSources;
pub(crate) use nonblocking::Io;

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// The `User-Agent` every request carries.
pub(crate) const USER_AGENT_VALUE: &str = concat!("dfx/", env!("CARGO_PKG_VERSION"));

/// How long connecting may take, on both direct paths: one budget for the
/// name lookup, every address tried (each gets an equal share of what is
/// left, so one that never answers leaves time for the next) and the TLS
/// handshake. A call's own timeout, when shorter, bounds it too.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection idle this long is not reused. Shorter than the keep-alive
/// timeouts servers and load balancers commonly use (60-75 s), so a request
/// is not written into a connection the server is closing — for a renew,
/// that would turn into an outcome-unknown failure.
///
/// When connections close: idle ones once this time is up — the `_async`
/// pool's by its sweeper task (`nonblocking::Pool`), threads' kept blocking
/// ones by the `dfx-reaper` thread (`registry.rs`), each running only while
/// something is idle; all of a client's when the client is freed (`Drop
/// for Transport`). (Through a proxy, reqwest's pools: their own idle
/// timeout, this one; a thread's pool is dropped at that thread's next
/// blocking call after its client is freed, or when it exits.)
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// One request of the direct paths, as dfx built it.
#[derive(Clone, Copy)]
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    /// The API path, without a leading slash.
    pub(crate) path: &'a str,
    /// The bearer token (already checked to be legal in a header), if any.
    pub(crate) bearer: Option<&'a str>,
    /// The JSON body, if any.
    pub(crate) body: Option<&'a [u8]>,
    /// Send `x-nura-session: true` (the `enableSession` logins).
    pub(crate) session_header: bool,
}

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
    /// Identifies this transport in the threads' connection lists.
    id: usize,
    /// The blocking calls' connections, which threads keep.
    registry: Arc<registry::Registry>,
    /// The base URL, worked out for the direct paths.
    endpoint: Arc<endpoint::Endpoint>,
    /// Idle connections of the `_async` calls.
    pool: Arc<nonblocking::Pool>,
    /// Set when calls go through a proxy.
    #[cfg(feature = "proxy")]
    proxied: Option<proxied::Proxied>,
    /// Whole-request timeout in milliseconds; 0 means none.
    timeout_ms: AtomicU64,
    /// The certificate authorities trusted. Held while new TLS settings
    /// are built and installed, so concurrent changes are applied in turn.
    trust: Mutex<tls::Trust>,
}

static NEXT_TRANSPORT_ID: AtomicUsize = AtomicUsize::new(1);

impl Transport {
    pub(crate) fn new(base: Url, timeout: Option<Duration>) -> Result<Transport, Error> {
        let trust = tls::Trust::default();
        let tls = trust.client_config()?;
        Ok(Transport {
            id: NEXT_TRANSPORT_ID.fetch_add(1, Ordering::Relaxed),
            registry: registry::Registry::new(),
            #[cfg(feature = "proxy")]
            proxied: match proxied::configured(&base) {
                Some(proxy) => Some(proxied::Proxied::new(&base, &tls, proxy)?),
                None => None,
            },
            endpoint: Arc::new(endpoint::Endpoint::new(&base, tls)),
            pool: Arc::default(),
            timeout_ms: AtomicU64::new(timeout_ms(timeout)),
            trust: Mutex::new(trust),
        })
    }

    /// Trust these sources (and the CAs added). On failure nothing changes.
    pub(crate) fn set_trust_sources(&self, sources: TrustSources) -> Result<(), Error> {
        self.change_trust(|trust| trust.with_sources(sources))
    }

    /// Also trust the CA certificates of a PEM text; how many there were.
    pub(crate) fn add_ca_pem(&self, pem: &[u8]) -> Result<usize, Error> {
        let cas = tls::pem_cas(pem)?;
        let n = cas.len();
        self.change_trust(|trust| Ok(trust.with_added(cas)))?;
        Ok(n)
    }

    /// Also trust the CA certificates of a PEM file; how many there were.
    pub(crate) fn add_ca_file(&self, path: &std::path::Path) -> Result<usize, Error> {
        let cas = tls::pem_file_cas(path)?;
        let n = cas.len();
        self.change_trust(|trust| Ok(trust.with_added(cas)))?;
        Ok(n)
    }

    /// Build the TLS settings of a new trust and hand them to every path:
    /// connections made from then on use them (idle ones already open are
    /// not re-checked).
    fn change_trust(&self, change: impl FnOnce(&tls::Trust) -> Result<tls::Trust, Error>) -> Result<(), Error> {
        let mut trust = self.trust.lock().unwrap_or_else(|p| p.into_inner());
        let next = change(&trust)?;
        let config = next.client_config()?;
        #[cfg(feature = "proxy")]
        if let Some(proxied) = &self.proxied {
            proxied.set_tls(&config)?;
        }
        self.endpoint.set_tls(config);
        *trust = next;
        Ok(())
    }

    pub(crate) fn base(&self) -> &Url {
        &self.endpoint.base
    }

    /// Whether calls go through a proxy (the measurement socket is then
    /// not attempted: its stream uses HTTP, which the proxy carries).
    pub(crate) fn proxied(&self) -> bool {
        #[cfg(feature = "proxy")]
        return self.proxied.is_some();
        #[cfg(not(feature = "proxy"))]
        false
    }

    /// A new connection to the base URL's host and port for a protocol
    /// other than HTTP (the measurement socket): one connect budget, the
    /// client's trust, as every call's. Must run on dfx's runtime.
    pub(crate) async fn connect_io(&self) -> Result<Io, Error> {
        nonblocking::connect_io(&self.endpoint).await
    }

    pub(crate) fn set_timeout(&self, timeout: Option<Duration>) {
        self.timeout_ms.store(timeout_ms(timeout), Ordering::Relaxed);
    }

    pub(crate) fn timeout(&self) -> Option<Duration> {
        match self.timeout_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Send one request with a JSON body (or none) and decode the answer.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<&WipedBytes>,
        session_header: bool,
    ) -> Result<Response, Error> {
        let bearer = match auth {
            Auth::Bearer(token) if !token.is_empty() => {
                // What an HTTP header value may hold (as `HeaderValue::from_str`):
                // tab and visible ASCII. No early exit: the loop vectorises.
                let bad = token.bytes().fold(false, |bad, b| bad | (b != b'\t' && !(0x20..0x7f).contains(&b)));
                if bad {
                    return Err(Error::InvalidArgument(BAD_TOKEN.into()));
                }
                Some(token)
            }
            _ => None,
        };
        let timeout = self.timeout();
        #[cfg(feature = "proxy")]
        if let Some(proxied) = &self.proxied {
            // reqwest does not tell when the request leaves: assume it may have.
            crate::requests::note_request_leaving();
            // reqwest takes its own copy (wiped when dropped).
            let body = body.map(|b| WipedBytes(b.0.clone()));
            return proxied.send(method, path, bearer, body, session_header, timeout).await;
        }
        let request = Request { method, path, bearer, body: body.map(|b| b.0.as_slice()), session_header };
        if !crate::runtime::in_blocking_call() {
            return nonblocking::send(&self.endpoint, &self.pool, request, timeout).await;
        }
        let call = blocking::Call {
            endpoint: &self.endpoint,
            transport: self.id,
            registry: &self.registry,
            // A timeout too long to be a point in time is no deadline.
            deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
        };
        call.send(request)
    }
}

impl Drop for Transport {
    /// The client is freed: its connections close now, not when the
    /// threads that keep them next make a call (or exit).
    fn drop(&mut self) {
        self.registry.close();
        self.pool.close();
    }
}

/// A timeout as stored: whole milliseconds, rounded up (a sub-millisecond
/// timeout must not become 0, which means none); 0 for none.
fn timeout_ms(timeout: Option<Duration>) -> u64 {
    match timeout {
        None => 0,
        Some(d) => u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX),
    }
}

#[cfg(test)]
#[test]
fn timeouts_round_up_to_whole_milliseconds() {
    assert_eq!(timeout_ms(None), 0);
    assert_eq!(timeout_ms(Some(Duration::ZERO)), 0, "zero: none");
    assert_eq!(timeout_ms(Some(Duration::from_micros(1))), 1, "never rounded to none");
    assert_eq!(timeout_ms(Some(Duration::from_micros(1500))), 2);
    assert_eq!(timeout_ms(Some(Duration::from_millis(300))), 300);
    assert_eq!(timeout_ms(Some(Duration::MAX)), u64::MAX);
}
