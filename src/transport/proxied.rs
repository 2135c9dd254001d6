//! Calls through a proxy (feature `proxy`, on by default): when the
//! environment names one (`HTTPS_PROXY`, `ALL_PROXY`, …) as a client is
//! made, every call of the client goes through reqwest, which tunnels https
//! with CONNECT, authenticates to the proxy and applies `NO_PROXY`. Its
//! failures are sorted into the same [`Error`]s as the direct paths'.
//!
//! `_async` calls share one reqwest pool on dfx's runtime (calls awaited on
//! another runtime are handed to it); blocking calls use a pool per calling
//! thread, driven by that thread's own runtime during the call
//! (`runtime::block_on`). hyper writes with `writev`, which can raise
//! SIGPIPE: see `sigpipe.rs`.

use std::cell::RefCell;
use std::error::Error as StdError;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use url::Url;
use zeroize::Zeroizing;

use super::buffer::extend_wiping;
use super::http1::{self, MAX_BODY_BYTES};
use super::{redirect, Method, CONNECT_TIMEOUT, POOL_IDLE_TIMEOUT, USER_AGENT_VALUE};
use crate::error::Error;
use crate::response::Response;
use crate::secret::WipedBytes;

/// The proxy the environment names for a client, read once when the
/// client is made: every pool of the client (the shared one and each
/// thread's) is built from it, whenever it is built.
pub(super) struct ProxyConfig {
    /// The proxy's URL; may carry credentials (wiped, never shown).
    url: Zeroizing<String>,
    /// NO_PROXY as it was, for the rules `exempt` leaves to reqwest.
    no_proxy: String,
}

/// The proxy the environment names for `base`, as reqwest reads these
/// variables: the scheme's own (`HTTPS_PROXY` / `HTTP_PROXY`, upper case
/// first; `HTTP_PROXY` ignored under CGI, where `REQUEST_METHOD` is set and
/// a request header could have set it), else `ALL_PROXY`. `None` when there
/// is none, or NO_PROXY plainly exempts the host (`*`, the host, or a
/// domain it is in); finer NO_PROXY rules (CIDR blocks, …) are applied by
/// reqwest on each call.
pub(super) fn configured(base: &Url) -> Option<ProxyConfig> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    // Of a pair, the first that is set counts, even when empty (as reqwest).
    let first_set = |pair: [&str; 2]| pair.iter().find(|v| std::env::var_os(v).is_some()).and_then(|v| var(v));
    let cgi = std::env::var_os("REQUEST_METHOD").is_some();
    let own = match (base.scheme() == "https", cgi) {
        (true, _) => first_set(["HTTPS_PROXY", "https_proxy"]),
        (false, false) => first_set(["HTTP_PROXY", "http_proxy"]),
        (false, true) => None,
    };
    let url = own.or_else(|| first_set(["ALL_PROXY", "all_proxy"]))?;
    let host = base.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let no_proxy = var("NO_PROXY").or_else(|| var("no_proxy")).unwrap_or_default();
    (!exempt(host, &no_proxy)).then(|| ProxyConfig { url: Zeroizing::new(url), no_proxy })
}

/// Whether a NO_PROXY list exempts `host` by name: `*`, the host itself,
/// or a domain the host is in (`example.com` and `.example.com` both
/// exempt `api.example.com`). An IP address only by itself.
fn exempt(host: &str, no_proxy: &str) -> bool {
    let ip = host.parse::<std::net::IpAddr>().is_ok();
    no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        let domain = entry.trim_start_matches('.');
        entry == "*"
            || host.eq_ignore_ascii_case(domain)
            || (!ip && host.len() > domain.len()
                && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
                && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain))
    })
}

#[cfg(test)]
mod tests {
    use super::exempt;

    #[test]
    fn no_proxy_by_name() {
        assert!(exempt("127.0.0.1", "localhost,127.0.0.1"));
        assert!(exempt("api.example.com", "example.com"));
        assert!(exempt("api.example.com", " .Example.COM "));
        assert!(exempt("::1", "::1"));
        assert!(exempt("anything", "*"));
        assert!(!exempt("badexample.com", "example.com"));
        assert!(!exempt("example.com", "api.example.com"));
        assert!(!exempt("10.1.2.3", "10.0.0.0/8"), "CIDR blocks are left to reqwest");
        assert!(!exempt("host", ""));
        assert!(!exempt("10.1.2.3", "2.3"), "no suffixes of addresses");
        assert!(!exempt("10.1.2.3", ".1.2.3"));
    }
}

/// A client's reqwest pools.
pub(super) struct Proxied {
    /// The pool of `_async` calls, rebuilt when the TLS settings change.
    shared: RwLock<reqwest::Client>,
    /// Identifies these pools in the threads' pool lists.
    id: usize,
    /// Dropped with the client: threads then drop its pools.
    alive: Arc<()>,
    base: Url,
    /// The TLS settings pools are built with (replaced when the client's
    /// trust changes; threads' pools built with older ones are rebuilt).
    tls: RwLock<Arc<rustls::ClientConfig>>,
    proxy: ProxyConfig,
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// One client's reqwest pool on one thread, for blocking calls.
struct ThreadPool {
    id: usize,
    alive: Weak<()>,
    /// The TLS settings it was built with.
    tls: Arc<rustls::ClientConfig>,
    http: reqwest::Client,
}

thread_local! {
    /// This thread's reqwest pools; dropped when it exits.
    static THREAD_POOLS: RefCell<Vec<ThreadPool>> = const { RefCell::new(Vec::new()) };
}

impl Proxied {
    pub(super) fn new(base: &Url, tls: &Arc<rustls::ClientConfig>, proxy: ProxyConfig) -> Result<Proxied, Error> {
        // hyper will write with writev on callers' threads.
        super::sigpipe::note_foreign_writers();
        Ok(Proxied {
            shared: RwLock::new(build_http(base, tls, &proxy)?),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            alive: Arc::new(()),
            base: base.clone(),
            tls: RwLock::new(tls.clone()),
            proxy,
        })
    }

    /// New TLS settings for the connections made from now on.
    pub(super) fn set_tls(&self, tls: &Arc<rustls::ClientConfig>) -> Result<(), Error> {
        let http = build_http(&self.base, tls, &self.proxy)?;
        *self.tls.write().unwrap_or_else(|p| p.into_inner()) = tls.clone();
        *self.shared.write().unwrap_or_else(|p| p.into_inner()) = http;
        Ok(())
    }

    fn shared(&self) -> reqwest::Client {
        self.shared.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The calling thread's pool, for a blocking call.
    fn thread_http(&self) -> Result<reqwest::Client, Error> {
        let tls = self.tls.read().unwrap_or_else(|p| p.into_inner()).clone();
        THREAD_POOLS.with(|pools| {
            let mut pools = pools.borrow_mut();
            if let Some(pool) = pools.iter().find(|p| p.id == self.id && Arc::ptr_eq(&p.tls, &tls)) {
                return Ok(pool.http.clone());
            }
            // Forget the pools of clients that are gone, and this client's
            // pool of older TLS settings.
            pools.retain(|p| p.alive.strong_count() > 0 && p.id != self.id);
            let http = build_http(&self.base, &tls, &self.proxy)?;
            pools.push(ThreadPool { id: self.id, alive: Arc::downgrade(&self.alive), tls, http: http.clone() });
            Ok(http)
        })
    }

    /// One exchange.
    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<WipedBytes>,
        session_header: bool,
        timeout: Option<Duration>,
    ) -> Result<Response, Error> {
        let mut url = self.base.clone();
        // dfx built the path and query already encoded.
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path, None),
        };
        url.set_path(&format!("{}/{}", self.base.path().trim_end_matches('/'), path));
        url.set_query(query);
        let h = Headers { bearer, session_header };
        if crate::runtime::in_blocking_call() {
            return send(self.thread_http()?, method, url, h, body, timeout).await;
        }
        if crate::runtime::on_dfx_worker() {
            return send(self.shared(), method, url, h, body, timeout).await;
        }
        // Awaited on a runtime of the caller's: the exchange runs on dfx's,
        // where the shared pool's connections live (and SIGPIPE is blocked).
        let (http, bearer) = (self.shared(), bearer.map(|b| Zeroizing::new(b.to_owned())));
        crate::runtime::on_dfx_runtime(async move {
            let h = Headers { bearer: bearer.as_deref().map(String::as_str), session_header };
            send(http, method, url, h, body, timeout).await
        })
        .await
    }
}

/// A reqwest client for `base` through `proxy`: its redirect policy is
/// [`redirect::allow`]; the environment is not read again.
fn build_http(base: &Url, tls: &Arc<rustls::ClientConfig>, proxy: &ProxyConfig) -> Result<reqwest::Client, Error> {
    // The error names neither the URL nor its credentials.
    let through = reqwest::Proxy::all(proxy.url.as_str())
        .map_err(|_| Error::InvalidUrl("the proxy the environment names is not a valid URL".into()))?
        .no_proxy(reqwest::NoProxy::from_string(&proxy.no_proxy));
    let origin = base.clone();
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        let followed = attempt.previous().len().saturating_sub(1);
        match redirect::allow(attempt.status().as_u16(), attempt.url(), &origin, followed) {
            Ok(()) => attempt.follow(),
            Err(why) => attempt.error(why),
        }
    });
    reqwest::Client::builder()
        .use_preconfigured_tls((**tls).clone())
        .user_agent(USER_AGENT_VALUE)
        .redirect(policy)
        .proxy(through)
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .tcp_nodelay(true)
        .https_only(base.scheme() == "https")
        .build()
        .map_err(|e| Error::Internal(format!("could not build the HTTP client: {e}")))
}

/// The headers a call adds to the ones every request carries.
#[derive(Clone, Copy)]
struct Headers<'a> {
    bearer: Option<&'a str>,
    session_header: bool,
}

/// One exchange through `http`.
async fn send(
    http: reqwest::Client,
    method: Method,
    url: Url,
    headers: Headers<'_>,
    body: Option<WipedBytes>,
    timeout: Option<Duration>,
) -> Result<Response, Error> {
    let https = url.scheme() == "https";
    let method = reqwest::Method::from_bytes(method.as_str().as_bytes())
        .map_err(|_| Error::Internal("unknown HTTP method".into()))?;
    let mut request = http.request(method, url).header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(token) = headers.bearer {
        let text = Zeroizing::new(format!("Bearer {token}"));
        let mut value = HeaderValue::from_str(&text)
            .map_err(|_| Error::InvalidArgument(super::BAD_TOKEN.into()))?;
        value.set_sensitive(true);
        request = request.header(AUTHORIZATION, value);
    }
    if headers.session_header {
        request = request.header("x-nura-session", HeaderValue::from_static("true"));
    }
    if let Some(body) = body {
        request = request.body(bytes::Bytes::from_owner(body));
    }
    if let Some(timeout) = timeout {
        request = request.timeout(timeout);
    }
    let mut response = request.send().await.map_err(|e| classify(&e, Phase::Send, https))?;
    let status = response.status().as_u16();
    if response.content_length().is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(Error::Transport(http1::too_large()));
    }
    // Wiped if the body fails half-way (it may carry tokens).
    let mut raw = Zeroizing::new(Vec::new());
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, Phase::Body, https))? {
        if raw.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Error::Transport(http1::too_large()));
        }
        extend_wiping(&mut raw, &chunk);
    }
    Response::decode(status, std::mem::take(&mut *raw))
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
        // The same words as the direct paths'; reqwest tells only whether
        // it was still connecting.
        return super::failure::timed_out(match phase {
            _ if e.is_connect() => super::failure::Phase::Connect,
            Phase::Send => super::failure::Phase::Head,
            Phase::Body => super::failure::Phase::Body,
        });
    }
    if e.is_redirect() {
        return Error::Redirect(cause);
    }
    if e.is_builder() {
        return Error::InvalidUrl(cause);
    }
    // A TLS error once the request may have been sent is sorted by phase
    // below (lost connection, cut body), never as "nothing was sent".
    if e.is_connect() {
        if let Some(tls) = tls_error(e) {
            return Error::Tls(super::tls::describe(tls));
        }
        if https && handshake_cut(e) {
            return Error::Tls(cause);
        }
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

fn tls_error(e: &reqwest::Error) -> Option<&rustls::Error> {
    chain(e).find_map(|c| c.downcast_ref::<rustls::Error>())
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
