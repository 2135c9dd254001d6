//! One HTTP exchange: build the request exactly as the API wants it, send it
//! over the pooled connections, and sort every failure into an [`Error`].

use std::error::Error as StdError;
use std::io;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{redirect, Method, Url};

use crate::error::Error;
use crate::response::Response;
use crate::secret::WipedBytes;

/// The `User-Agent` every request carries.
pub(crate) const USER_AGENT_VALUE: &str = concat!("dfx/", env!("CARGO_PKG_VERSION"));

/// Most redirects followed in one call.
const MAX_REDIRECTS: usize = 5;

/// How long establishing a TCP connection (plus TLS handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A pooled connection idle this long is not reused. Shorter than the
/// keep-alive timeouts servers and load balancers commonly use (60-75 s),
/// so a request is not written into a connection the server is closing —
/// for a renew, that would turn into an outcome-unknown failure.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How a request authenticates.
#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer <token>`; an empty token sends no header.
    Bearer(&'a str),
}

/// The HTTP side of a client: base URL, pooled connections, timeout.
///
/// Two kinds of connection pools: one shared pool for calls that run on
/// the internal multi-threaded runtime (the `_async` calls), and one pool
/// per calling thread for blocking calls, which drive their connections on
/// the calling thread itself (see `runtime::block_on`): no hand-off to a
/// worker thread and back for every request.
pub(crate) struct Transport {
    shared: reqwest::Client,
    /// Identifies this transport's pools in the threads' pool lists.
    id: usize,
    /// Dropped with the transport: threads then drop its pools.
    alive: Arc<()>,
    tls: Arc<rustls::ClientConfig>,
    base: Url,
    /// Whole-request timeout in milliseconds; 0 means none.
    timeout_ms: AtomicU64,
}

static NEXT_TRANSPORT_ID: AtomicUsize = AtomicUsize::new(1);

/// One transport's connection pool on one thread, for blocking calls.
struct ThreadPool {
    transport: usize,
    alive: Weak<()>,
    http: reqwest::Client,
}

thread_local! {
    /// This thread's pools; dropped (connections closed) when it exits.
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

fn build_http(base: &Url, tls: &Arc<rustls::ClientConfig>) -> Result<reqwest::Client, Error> {
    let origin = base.origin();
    let policy = redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if attempt.url().origin() != origin {
            attempt.error("redirect to another origin")
        } else if !matches!(attempt.status().as_u16(), 307 | 308) {
            // 301/302/303 would turn a POST or PATCH into a body-less GET.
            let status = attempt.status().as_u16();
            attempt.error(format!("HTTP {status} redirect would drop the request body"))
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .use_preconfigured_tls((**tls).clone())
        .user_agent(USER_AGENT_VALUE)
        .redirect(policy)
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .tcp_nodelay(true)
        .https_only(base.scheme() == "https")
        .build()
        .map_err(|e| Error::Internal(format!("could not build the HTTP client: {e}")))
}

impl Transport {
    pub(crate) fn new(base: Url, timeout: Option<Duration>) -> Result<Transport, Error> {
        let tls = tls_config()?;
        Ok(Transport {
            shared: build_http(&base, &tls)?,
            id: NEXT_TRANSPORT_ID.fetch_add(1, Ordering::Relaxed),
            alive: Arc::new(()),
            tls,
            base,
            timeout_ms: AtomicU64::new(timeout.map_or(0, |d| d.as_millis() as u64)),
        })
    }

    /// The pool for the current call: the calling thread's own during a
    /// blocking call, else the shared one.
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
            let http = build_http(&self.base, &self.tls)?;
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
        let mut request = self
            .http()?
            .request(method, self.url(path))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Auth::Bearer(token) = auth {
            if !token.is_empty() {
                let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                    Error::InvalidArgument("the token contains characters not allowed in an HTTP header".into())
                })?;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
        }
        if let Some(body) = body {
            request = request.body(bytes::Bytes::from_owner(body));
        }
        if let Some(timeout) = self.timeout() {
            request = request.timeout(timeout);
        }
        let https = self.base.scheme() == "https";
        let response = request.send().await.map_err(|e| classify(&e, Phase::Send, https))?;
        let status = response.status().as_u16();
        let raw = response.bytes().await.map_err(|e| classify(&e, Phase::Body, https))?;
        Response::decode(status, raw.to_vec())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    /// Connecting, sending, waiting for the response head.
    Send,
    /// Reading the response body.
    Body,
}

/// Sort a reqwest failure into an [`Error`]. The messages name the kind of
/// failure and its root cause, never a body.
fn classify(e: &reqwest::Error, phase: Phase, https: bool) -> Error {
    let cause = root_cause(e);
    if e.is_timeout() {
        let during = if e.is_connect() { "while connecting" } else if phase == Phase::Body {
            "while reading the response body"
        } else {
            "while waiting for the response"
        };
        return Error::Timeout(format!("no complete answer in time ({during})"));
    }
    if e.is_redirect() {
        return Error::Redirect(cause);
    }
    if e.is_builder() {
        return Error::InvalidUrl(cause);
    }
    if is_tls(e) || (https && e.is_connect() && handshake_cut(e)) {
        return Error::Tls(cause);
    }
    if e.is_connect() {
        return Error::Connect(cause);
    }
    match phase {
        Phase::Body => Error::Truncated(format!("the connection ended before the whole body arrived ({cause})")),
        Phase::Send if e.is_request() => {
            Error::ConnectionLost(format!("the connection closed before a response arrived ({cause})"))
        }
        Phase::Send => Error::Transport(cause),
    }
}

/// The innermost error's text (reqwest's own text repeats the URL).
fn root_cause(e: &(dyn StdError + 'static)) -> String {
    let mut last: &(dyn StdError + 'static) = e;
    while let Some(next) = last.source() {
        last = next;
    }
    let text = last.to_string();
    if text.is_empty() {
        "unknown cause".into()
    } else {
        text
    }
}

/// Every error in the chain, looking inside `io::Error`s (whose `source`
/// skips the error they wrap).
fn chain<'a>(e: &'a (dyn StdError + 'static)) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(e);
    std::iter::from_fn(move || {
        let current = next?;
        next = match current.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => current.source(),
        };
        Some(current)
    })
}

fn is_tls(e: &reqwest::Error) -> bool {
    chain(e).any(|c| c.downcast_ref::<rustls::Error>().is_some())
}

/// An https connection whose TCP connect worked but whose handshake was cut
/// off (the peer closed, or answered with something that is not TLS).
fn handshake_cut(e: &reqwest::Error) -> bool {
    chain(e).any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| {
            matches!(io.kind(), io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData)
        })
    })
}
