//! The TLS side of both direct paths, end to end against an in-process
//! rustls server on loopback, with a throwaway test PKI made at run time
//! (`dfx_sandbox::TestPki`: a CA, a `localhost` certificate, an expired
//! and a self-signed one). Unit tests because they drive the transport's
//! blocking and `_async` paths directly; the trust API is tested through
//! the C ABI in tests/trust.rs and tests/c/test_tls.c.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use url::Url;

use super::endpoint::Endpoint;
use super::tls::{pem_cas, Trust, TrustSources};
use super::{blocking, nonblocking, Method, Request};
use crate::error::Error;

/// One PKI for the whole test binary.
static PKI: once_cell::sync::Lazy<dfx_sandbox::TestPki> =
    once_cell::sync::Lazy::new(|| dfx_sandbox::TestPki::generate().unwrap());
const OK_JSON: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"Status\":\"OK\"}";

/// A test server's TLS settings: the `localhost` certificate, or another.
pub(super) fn server_config() -> Arc<rustls::ServerConfig> {
    server_config_of(&PKI.localhost)
}

fn server_config_of(id: &dfx_sandbox::TlsIdentity) -> Arc<rustls::ServerConfig> {
    let chain = vec![CertificateDer::from_pem_slice(id.cert_pem.as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes()).unwrap();
    Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap(),
    )
}

/// A TLS server answering every request on a connection with `OK_JSON`;
/// its port and how many connections it accepted.
pub(super) fn server() -> (u16, Arc<AtomicUsize>) {
    server_with(server_config())
}

fn server_with(config: Arc<rustls::ServerConfig>) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            count.fetch_add(1, Ordering::SeqCst);
            let config = config.clone();
            thread::spawn(move || {
                let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), tcp);
                let mut data = Vec::new();
                let mut byte = [0u8; 1];
                loop {
                    match tls.read(&mut byte) {
                        Ok(1) => data.push(byte[0]),
                        _ => return,
                    }
                    if data.ends_with(b"\r\n\r\n") {
                        data.clear();
                        if tls.write_all(OK_JSON).and_then(|()| tls.flush()).is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (port, accepted)
}

/// An endpoint for `url` trusting the test CA (or, with `trust` false,
/// only the built-in roots).
pub(super) fn endpoint(url: &str, trust: bool) -> Arc<Endpoint> {
    let builtin = Trust::default();
    let trust = if trust { builtin.with_added(pem_cas(PKI.ca_pem.as_bytes()).unwrap()) } else { builtin };
    Arc::new(Endpoint::new(&Url::parse(url).unwrap(), trust.client_config().unwrap()))
}

pub(super) const STATUS: Request<'static> = Request { method: Method::Get, path: "status", bearer: Some("t0ken"), body: None, session_header: false };

fn blocking_status(ep: &Endpoint, alive: &Arc<super::registry::Registry>) -> Result<crate::response::Response, Error> {
    blocking::Call { endpoint: ep, transport: Arc::as_ptr(alive) as usize, registry: alive, deadline: None }.send(STATUS)
}

fn async_status(ep: &Arc<Endpoint>, pool: &Arc<nonblocking::Pool>) -> Result<crate::response::Response, Error> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(nonblocking::send(ep, pool, STATUS, Some(std::time::Duration::from_secs(5))))
}

#[test]
fn https_exchanges_on_kept_alive_connections() {
    let (port, accepted) = server();
    let ep = endpoint(&format!("https://localhost:{port}"), true);
    let alive = super::registry::Registry::new();
    for _ in 0..3 {
        let r = blocking_status(&ep, &alive).unwrap();
        assert_eq!((r.status(), r.body()), (200, r#"{"Status":"OK"}"#));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "blocking: one TLS connection, kept alive");
    let pool = Arc::new(nonblocking::Pool::default());
    for _ in 0..3 {
        let r = async_status(&ep, &pool).unwrap();
        assert_eq!(r.get_str("Status"), Some("OK"));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "async: one more, pooled");
}

#[test]
fn a_certificate_for_another_name_or_from_an_unknown_ca_is_refused() {
    let (port, _) = server();
    let pool = Arc::new(nonblocking::Pool::default());
    let alive = super::registry::Registry::new();
    // The certificate names localhost, not 127.0.0.1.
    let wrong_name = endpoint(&format!("https://127.0.0.1:{port}"), true);
    // The built-in (Mozilla) roots do not include the test CA.
    let unknown_ca = endpoint(&format!("https://localhost:{port}"), false);
    for ep in [wrong_name, unknown_ca] {
        let e = blocking_status(&ep, &alive).unwrap_err();
        assert!(matches!(&e, Error::Tls(m) if m.contains("certificate")), "{e:?}");
        let e = async_status(&ep, &pool).unwrap_err();
        assert!(matches!(&e, Error::Tls(m) if m.contains("certificate")), "{e:?}");
    }
}

/// A TLS server that answers the i-th request of a connection with
/// `replies[i]` in one write; with `bad_record`, it answers the first
/// request with a record that does not decrypt.
fn scripted(replies: Vec<Vec<u8>>, bad_record: bool) -> u16 {
    let config = server_config();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            let (config, replies) = (config.clone(), replies.clone());
            thread::spawn(move || {
                let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), tcp);
                for reply in replies {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match tls.read(&mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    if bad_record {
                        let mut record = vec![0x17, 0x03, 0x03, 0x00, 0x20];
                        record.extend_from_slice(&[0x55; 32]);
                        let _ = tls.sock.write_all(&record);
                        thread::sleep(Duration::from_millis(300));
                        return;
                    }
                    let _ = tls.write_all(&reply).and_then(|()| tls.flush());
                }
                thread::sleep(Duration::from_millis(500));
            });
        }
    });
    port
}

/// A complete answer of exactly `n` bytes.
fn answer_of(n: usize) -> Vec<u8> {
    let head = |len: usize| format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n");
    let mut len = n - head(n).len();
    while head(len).len() + len != n {
        len -= 1;
    }
    let mut bytes = head(len).into_bytes();
    bytes.extend_from_slice(format!("{{\"Status\":\"{}\"}}", "A".repeat(len - 13)).as_bytes());
    assert_eq!(bytes.len(), n);
    bytes
}

#[test]
fn a_stray_answer_left_inside_tls_is_never_given_to_the_next_request() {
    // The first answer fills the read buffer exactly and an unrequested one
    // follows in the same TLS record: it stays decrypted inside rustls while
    // the socket looks idle. The connection must not be reused.
    let mut first = answer_of(8192);
    first.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{\"Status\":\"EVIL\"}");
    let replies = vec![first, OK_JSON.to_vec()];
    let ep = endpoint(&format!("https://localhost:{}", scripted(replies.clone(), false)), true);
    let alive = super::registry::Registry::new();
    // (A new connection's first answer is the long one again.)
    let fresh = |body: &str| body.starts_with(r#"{"Status":"AAA"#);
    assert!(fresh(blocking_status(&ep, &alive).unwrap().body()));
    assert!(fresh(blocking_status(&ep, &alive).unwrap().body()), "blocking: not the stray answer");
    let ep = endpoint(&format!("https://localhost:{}", scripted(replies, false)), true);
    let pool = Arc::new(nonblocking::Pool::default());
    assert!(fresh(async_status(&ep, &pool).unwrap().body()));
    assert!(fresh(async_status(&ep, &pool).unwrap().body()), "async: not the stray answer");
}

#[test]
fn a_tls_failure_after_the_request_went_out_may_have_been_sent() {
    // A renew must then be "outcome unknown", never "nothing was sent".
    let ep = endpoint(&format!("https://localhost:{}", scripted(vec![vec![]], true)), true);
    let alive = super::registry::Registry::new();
    let e = blocking_status(&ep, &alive).unwrap_err();
    assert!(e.may_have_been_sent(), "blocking: {e:?}");
    let pool = Arc::new(nonblocking::Pool::default());
    let e = async_status(&ep, &pool).unwrap_err();
    assert!(e.may_have_been_sent(), "async: {e:?}");
}

/// The TLS failure of both paths against `port` with `ep`, as text.
fn tls_failures(ep: &Arc<Endpoint>) -> [String; 2] {
    let alive = super::registry::Registry::new();
    let pool = Arc::new(nonblocking::Pool::default());
    let as_tls = |e: Error| match e {
        Error::Tls(m) => m,
        other => panic!("not a TLS failure: {other:?}"),
    };
    [as_tls(blocking_status(ep, &alive).unwrap_err()), as_tls(async_status(ep, &pool).unwrap_err())]
}

#[test]
fn each_refused_certificate_says_why() {
    let expired = server_with(server_config_of(&PKI.expired)).0;
    let self_signed = server_with(server_config_of(&PKI.self_signed)).0;
    let other_ca = server_with(server_config_of(&PKI.other_ca)).0;
    let good = server().0;
    for (url, words) in [
        (format!("https://localhost:{other_ca}"), "unknown certificate authority (unknown CA)"),
        (format!("https://127.0.0.1:{good}"), "for another host name (wrong host)"),
        (format!("https://localhost:{expired}"), "has expired"),
        (format!("https://localhost:{self_signed}"), "is self-signed"),
    ] {
        for m in tls_failures(&endpoint(&url, true)) {
            assert!(m.contains(words), "{url}: {m}");
        }
    }
    // The wrong host's message names the host asked for and the certificate's.
    let [m, _] = tls_failures(&endpoint(&format!("https://127.0.0.1:{good}"), true));
    assert!(m.contains("127.0.0.1") && m.contains("localhost"), "{m}");
}

#[test]
fn an_empty_trust_refuses_every_server_and_says_so() {
    let (port, _) = server();
    let none = Trust::default().with_sources(TrustSources { builtin: false, system: false }).unwrap();
    let ep = Arc::new(Endpoint::new(&Url::parse(&format!("https://localhost:{port}")).unwrap(), none.client_config().unwrap()));
    for m in tls_failures(&ep) {
        assert!(m.contains("no certificate authority is trusted"), "{m}");
    }
    // Only the added CA, no built-in roots: accepted.
    let only = none.with_added(pem_cas(PKI.ca_pem.as_bytes()).unwrap());
    ep.set_tls(only.client_config().unwrap());
    let alive = super::registry::Registry::new();
    assert_eq!(blocking_status(&ep, &alive).unwrap().status(), 200);
}

#[test]
fn new_tls_settings_apply_to_the_next_connection() {
    let (port, _) = server();
    let ep = endpoint(&format!("https://localhost:{port}"), false);
    let (alive, pool) = (super::registry::Registry::new(), Arc::new(nonblocking::Pool::default()));
    assert!(matches!(blocking_status(&ep, &alive), Err(Error::Tls(_))));
    ep.set_tls(Trust::default().with_added(pem_cas(PKI.ca_pem.as_bytes()).unwrap()).client_config().unwrap());
    assert_eq!(blocking_status(&ep, &alive).unwrap().status(), 200);
    assert_eq!(async_status(&ep, &pool).unwrap().status(), 200);
}

#[test]
fn a_plain_http_server_is_named_as_not_speaking_tls() {
    // What a plain-http server (the sandbox) answers a ClientHello with.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { return };
            let mut hello = [0u8; 512];
            let _ = tcp.read(&mut hello);
            let _ = tcp.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    for m in tls_failures(&endpoint(&format!("https://localhost:{port}"), true)) {
        assert!(m.contains("does not speak TLS") && m.contains("http://"), "{m}");
        assert!(!m.contains("corrupt message"), "{m}");
    }
}

#[test]
fn a_connection_the_server_closed_with_close_notify_is_not_reused() {
    // The answer and a TLS close_notify in one TCP write, without
    // `Connection: close`, and the TCP connection left open: the client
    // reads both at once. The next call must take a new connection, not
    // fail as a lost connection on this one.
    let config = server_config();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            count.fetch_add(1, Ordering::SeqCst);
            let config = config.clone();
            thread::spawn(move || {
                let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), tcp);
                let (mut head, mut byte) = (Vec::new(), [0u8; 1]);
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                tls.conn.writer().write_all(OK_JSON).unwrap();
                tls.conn.send_close_notify();
                let mut records = Vec::new();
                while tls.conn.wants_write() {
                    tls.conn.write_tls(&mut records).unwrap();
                }
                tls.sock.write_all(&records).unwrap();
                // Keep the TCP connection open and swallow what comes.
                let mut sink = [0u8; 4096];
                while tls.sock.read(&mut sink).unwrap_or(0) > 0 {}
            });
        }
    });
    let ep = endpoint(&format!("https://localhost:{port}"), true);
    let alive = super::registry::Registry::new();
    for i in 0..2 {
        let r = blocking_status(&ep, &alive);
        assert!(r.as_ref().is_ok_and(|r| r.status() == 200), "blocking, call {i}: {r:?}");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 2, "blocking: a new connection for the second call");
    let pool = Arc::new(nonblocking::Pool::default());
    for i in 0..2 {
        let r = async_status(&ep, &pool);
        assert!(r.as_ref().is_ok_and(|r| r.status() == 200), "async, call {i}: {r:?}");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 4, "async: a new connection for the second call");
}

#[test]
fn an_answer_sent_before_the_body_was_read_is_the_calls_answer_over_tls() {
    // The server reads the head, answers 413, and closes 500 ms later
    // without reading the 8 MiB body: the write fails, the 413 stands.
    let reply = b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"Code\":\"TOO_LARGE\"}";
    let ep = endpoint(&format!("https://localhost:{}", scripted(vec![reply.to_vec()], false)), true);
    let body = vec![b'x'; 8 << 20];
    let big = Request { method: Method::Post, path: "auths/renew", bearer: None, body: Some(&body), session_header: false };
    let alive = super::registry::Registry::new();
    let call = blocking::Call { endpoint: &ep, transport: Arc::as_ptr(&alive) as usize, registry: &alive, deadline: None };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let pool = Arc::new(nonblocking::Pool::default());
    let timeout = Some(Duration::from_secs(10));
    for (path, result) in [("blocking", call.send(big)), ("async", rt.block_on(nonblocking::send(&ep, &pool, big, timeout)))] {
        let status = result.as_ref().err().and_then(Error::response).map(crate::response::Response::status);
        assert_eq!(status, Some(413), "{path}: {result:?}");
    }
}
