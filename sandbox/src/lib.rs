//! `dfx-sandbox`: a loopback HTTP server that stands in for the NuraLogix
//! DeepAffex Cloud API, so tests and app developers can work offline.
//!
//! ```no_run
//! use dfx_sandbox::{Config, Sandbox, TokenKind};
//! let sb = Sandbox::start(Config::default()).unwrap();
//! let (token, refresh) = sb.create_pair(TokenKind::Device, 3600);
//! // point the client at sb.url(), renew the pair, ...
//! assert_eq!(sb.count("POST", "auths/renew"), 0);
//! ```
//!
//! Seed data: organization [`SANDBOX_ORG_IDENTIFIER`] (`dfxdemo`, ID
//! [`SANDBOX_ORG_ID`]), licence [`SANDBOX_LICENSE_KEY`] with
//! [`SANDBOX_LICENSE_SEATS`] seats, user [`SANDBOX_USER_EMAIL`] /
//! [`SANDBOX_USER_PASSWORD`] with phone [`SANDBOX_USER_PHONE`]; in every
//! organization the studies [`SANDBOX_STUDY_ID`] (active) and
//! [`SANDBOX_ARCHIVED_STUDY_ID`] (inactive).
//!
//! Every operation of the API is answered (see `README.md`, "All
//! operations"): measurements, studies, profiles and users keep real state,
//! the rest answer fixed documented bodies.
//!
//! The server runs on its own thread with its own tokio runtime; it needs no
//! ambient runtime and stops (joining its thread) when the [`Sandbox`] drops.
//! See `README.md` for the control plane, the fault model and the semantics.

mod api;
mod auths;
mod chunk_results;
mod control;
mod directory;
mod faults;
mod fixed;
mod frames;
mod general;
mod measurements;
mod orgs;
mod profiles;
mod pki;
mod record;
mod reply;
mod routes;
mod seed;
mod server;
mod socket;
mod socket_actions;
mod stream_faults;
mod stream_stats;
mod studies;
mod tls;
mod tokens;
mod users;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub use faults::{Action, Fault, Phase};
pub use pki::TestPki;
pub use record::RecordedRequest;
pub use stream_stats::{MeasurementStats, SocketStats};
pub use tls::TlsIdentity;
pub use seed::{
    LicenseConfig, UserConfig, SANDBOX_ARCHIVED_STUDY_ID, SANDBOX_LICENSE_KEY, SANDBOX_STUDY_ID, SANDBOX_LICENSE_SEATS, SANDBOX_ORG_ID,
    SANDBOX_ORG_IDENTIFIER, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD, SANDBOX_USER_PHONE,
};
pub use tokens::{TokenKind, REFRESH_TOKEN_TTL};

/// Where to listen, which organizations exist, and their licences and users.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to bind. Default `127.0.0.1`.
    pub host: IpAddr,
    /// Port to bind; 0 (the default) picks a free ephemeral port.
    pub port: u16,
    /// Organization identifiers the API knows (for `Identifier` / `OrgKey`
    /// fields). Default `["dfxdemo"]`; an empty list also means `["dfxdemo"]`.
    /// Organizations named by `licenses` or `users` are added after these.
    /// The first one owns the pairs of [`Sandbox::create_pair`].
    pub orgs: Vec<String>,
    /// Licence keys `POST organizations/licenses` accepts. Default: the seed
    /// licence ([`SANDBOX_LICENSE_KEY`], `dfxdemo`, 1000 seats).
    pub licenses: Vec<LicenseConfig>,
    /// Users who can log in. Default: the seed user ([`SANDBOX_USER_EMAIL`] /
    /// [`SANDBOX_USER_PASSWORD`], phone [`SANDBOX_USER_PHONE`], `dfxdemo`).
    pub users: Vec<UserConfig>,
    /// Serve https with this certificate and key instead of plain http
    /// (default `None`). See [`TestPki`] for throwaway test certificates.
    pub tls: Option<TlsIdentity>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            orgs: vec![SANDBOX_ORG_IDENTIFIER.to_owned()],
            licenses: vec![LicenseConfig::default()],
            users: vec![UserConfig::default()],
            tls: None,
        }
    }
}

/// A login code issued by `PATCH auths/users/code`.
struct LoginCode {
    code: String,
    /// Identifier of the organization it was requested for.
    org: String,
}

/// State shared by the server tasks and the [`Sandbox`] handle.
pub(crate) struct State {
    tokens: tokens::TokenStore,
    faults: faults::FaultList,
    /// Socket and chunk faults (drop, refuse, results delay, rate limit).
    stream_faults: stream_faults::StreamFaults,
    /// WebSocket counters.
    sockets: stream_stats::SocketCounters,
    recorder: record::Recorder,
    /// Phone number → the last code issued for it.
    login_codes: Mutex<HashMap<String, LoginCode>>,
    directory: directory::Directory,
    measurements: measurements::Store,
    profiles: profiles::Store,
    studies: studies::Store,
    log: bool,
    /// TCP connections accepted so far (keep-alive checks in client tests).
    pub(crate) connections: std::sync::atomic::AtomicUsize,
}

impl State {
    fn new(config: &Config, log: bool) -> State {
        let directory = directory::Directory::new(&config.orgs, &config.licenses, &config.users);
        let studies = studies::Store::seeded(&directory.org_ids());
        State {
            connections: Default::default(),
            tokens: Default::default(),
            faults: Default::default(),
            stream_faults: Default::default(),
            sockets: Default::default(),
            recorder: Default::default(),
            login_codes: Mutex::new(HashMap::new()),
            directory,
            measurements: Default::default(),
            profiles: Default::default(),
            studies,
            log,
        }
    }

    pub(crate) fn has_org(&self, identifier: &str) -> bool {
        self.directory.org(identifier).is_some()
    }

    /// New pairs belong to the first configured organization. A user pair
    /// gets a user record of its own (no e-mail, no password), so the
    /// `users` calls find the bearer.
    pub(crate) fn create_pair(&self, kind: TokenKind, ttl: Duration) -> (String, String) {
        let org = &self.directory.first_org().id;
        let user_id = match kind {
            TokenKind::User => self.directory.create_user(org, "", "", None, Default::default()).ok(),
            TokenKind::Device => None,
        };
        self.tokens.create_pair(kind, ttl, org, user_id)
    }

    /// A new 6-digit code for `phone`, replacing any earlier one.
    pub(crate) fn issue_login_code(&self, phone: &str, org: &str) -> String {
        let code = tokens::random_digits(6);
        self.lock_codes()
            .insert(phone.to_owned(), LoginCode { code: code.clone(), org: org.to_owned() });
        code
    }

    pub(crate) fn login_code(&self, phone: &str) -> Option<String> {
        self.lock_codes().get(phone).map(|c| c.code.clone())
    }

    /// Consumes the code of `phone` if it is `code` and was issued for `org`.
    pub(crate) fn take_login_code(&self, phone: &str, org: &str, code: &str) -> bool {
        let mut codes = self.lock_codes();
        match codes.get(phone) {
            Some(c) if c.code == code && c.org == org => {
                codes.remove(phone);
                true
            }
            _ => false,
        }
    }

    fn lock_codes(&self) -> std::sync::MutexGuard<'_, HashMap<String, LoginCode>> {
        self.login_codes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every fault: HTTP faults and the stream's.
    pub(crate) fn clear_faults(&self) {
        self.faults.clear();
        self.stream_faults.clear();
    }

    /// Clears faults, recordings and counts (socket counters too); tokens,
    /// seats, login codes and measurements stay.
    pub(crate) fn reset(&self) {
        self.clear_faults();
        self.recorder.reset();
        self.sockets.reset();
    }
}

/// Seconds since the Unix epoch (the API's `Created` / `Updated`).
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A running sandbox server. Dropping it stops the server and joins its thread.
pub struct Sandbox {
    addr: SocketAddr,
    https: bool,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds synchronously, then serves on a thread of its own with a tokio
    /// runtime of its own. Logs one line per API request to stderr only when
    /// the environment variable `DFX_SANDBOX_LOG` is set (to anything but `0`).
    pub fn start(config: Config) -> io::Result<Sandbox> {
        let log = std::env::var_os("DFX_SANDBOX_LOG").is_some_and(|v| v != "0");
        Sandbox::start_with_log(config, log)
    }

    /// Like [`Sandbox::start`], with request logging to stderr switched on or
    /// off explicitly (method, path and status only; never tokens or bodies).
    /// With [`Config::tls`], it serves https; a bad certificate or key fails here.
    pub fn start_with_log(config: Config, log: bool) -> io::Result<Sandbox> {
        let tls = config.tls.as_ref().map(TlsIdentity::server_config).transpose()?;
        let listener = std::net::TcpListener::bind(SocketAddr::new(config.host, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::new(&config, log));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<()>>();
        let thread_state = state.clone();
        let thread = std::thread::Builder::new()
            .name("dfx-sandbox".to_owned())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("dfx-sandbox-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    server::serve(listener, thread_state, stop_rx, tls).await;
                });
                // Open connections are cut here.
                rt.shutdown_timeout(Duration::from_secs(1));
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(io::Error::other("dfx-sandbox server thread failed to start"));
            }
        }
        Ok(Sandbox { addr, https: config.tls.is_some(), state, stop: Some(stop_tx), thread: Some(thread) })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT` (`https://` with [`Config::tls`]), no trailing
    /// slash (IPv6 hosts in brackets).
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Issues a live `(Token, RefreshToken)` pair whose access token expires
    /// after `ttl_secs` (0 = already expired; it can still be renewed).
    pub fn create_pair(&self, kind: TokenKind, ttl_secs: u64) -> (String, String) {
        self.state.create_pair(kind, Duration::from_secs(ttl_secs))
    }

    /// Appends a fault; faults are matched in push order.
    pub fn push_fault(&self, fault: Fault) {
        self.state.faults.push(fault);
    }

    /// Removes every fault: HTTP faults and the socket and chunk faults
    /// below (the results delay goes back to 0).
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// The next `count` WebSocket connections opened (0 = every one until
    /// [`Sandbox::clear_faults`]) are each cut once they received `frames`
    /// frames (at least 1): the last frame takes effect but its answer is
    /// never sent; the TCP connection closes without a close frame.
    /// Panics if `frames` is 0.
    pub fn drop_socket_after(&self, frames: u32, count: u32) {
        self.state.stream_faults.push_drop(frames, count).expect("frames must be at least 1");
    }

    /// The next `count` WebSocket upgrades (0 = every one until cleared)
    /// are answered with HTTP `status` (200..=599) and the JSON body
    /// `{"Code":"UPGRADE_REFUSED","Message":...}` instead of 101, as a proxy
    /// or gateway that does not pass WebSockets would. Panics on a status
    /// outside 200..=599.
    pub fn refuse_upgrades(&self, status: u16, count: u32) {
        self.state.stream_faults.push_refusal(status, String::new(), count).expect("status in 200..=599");
    }

    /// Each chunk's result is computed this long after the chunk is
    /// accepted (until cleared; `Duration::ZERO` = at once, the default).
    pub fn set_results_delay(&self, delay: Duration) {
        self.state.stream_faults.set_results_delay(delay);
    }

    /// The next `chunks` data calls (socket `0506` and HTTP
    /// `measurements.data` alike) are answered 429 `RATE_LIMIT` and not
    /// applied. Replaces what is left of an earlier setting; 0 ends it.
    pub fn rate_limit_chunks(&self, chunks: u32) {
        self.state.stream_faults.set_rate_limit(chunks);
    }

    /// WebSocket counters since the start (or the last reset).
    pub fn socket_stats(&self) -> SocketStats {
        self.state.sockets.snapshot()
    }

    /// Chunk counters and status of the measurement with this ID (`None`:
    /// no such measurement).
    pub fn measurement_stats(&self, id: &str) -> Option<MeasurementStats> {
        self.state.measurements.stats(id)
    }

    /// The chunk results computed so far for a measurement, in chunk order,
    /// exactly as they are pushed to `0510` subscribers (`None`: no such
    /// measurement).
    pub fn chunk_results(&self, id: &str) -> Option<Vec<serde_json::Value>> {
        self.state.measurements.chunk_results(id)
    }

    /// API requests (not `/_sandbox/*`), in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.recorder.requests()
    }

    /// Forgets the recorded requests (counts stay).
    pub fn clear_requests(&self) {
        self.state.recorder.clear_requests();
    }

    /// How many API requests arrived for `method` (case-insensitive) and
    /// `path` (leading slash optional), e.g. `("POST", "auths/renew")`.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.state.recorder.count(method, path)
    }

    /// How many TCP connections the server has accepted (control plane included).
    pub fn connections(&self) -> usize {
        self.state.connections.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The last login code issued for `phone` by `PATCH auths/users/code`,
    /// until `POST users/auth/code` uses it.
    pub fn login_code(&self, phone: &str) -> Option<String> {
        self.state.login_code(phone)
    }

    /// Seats in use of the licence with this key (`None`: no such licence).
    pub fn seats_used(&self, license_key: &str) -> Option<u32> {
        self.state.directory.seats_used(license_key)
    }

    /// Clears faults, recordings and counts (tokens, seats and login codes stay), like
    /// `POST /_sandbox/reset`.
    pub fn reset(&self) {
        self.state.reset();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// Tests share a Sandbox across threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sandbox>();
};

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).finish_non_exhaustive()
    }
}
