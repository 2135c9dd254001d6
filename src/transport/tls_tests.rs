//! The TLS side of both direct paths, end to end against an in-process
//! rustls server on loopback, with a test CA (tests/data/tls: a throwaway
//! CA and a `localhost` certificate valid until 2126; not secrets).
//! Unit tests because trusting a CA of one's own is not (yet) public API:
//! the transport is given the test root directly.

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
use super::{blocking, nonblocking, tls_config, Method, Request};
use crate::error::Error;

const CA: &[u8] = include_bytes!("../../tests/data/tls/ca.pem");
const CERT: &[u8] = include_bytes!("../../tests/data/tls/localhost.pem");
const KEY: &[u8] = include_bytes!("../../tests/data/tls/localhost.key");
const OK_JSON: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"Status\":\"OK\"}";

/// The test server's TLS settings: the `localhost` certificate.
pub(super) fn server_config() -> Arc<rustls::ServerConfig> {
    Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from_pem_slice(CERT).unwrap()], PrivateKeyDer::from_pem_slice(KEY).unwrap())
            .unwrap(),
    )
}

/// A TLS server answering every request on a connection with `OK_JSON`;
/// its port and how many connections it accepted.
pub(super) fn server() -> (u16, Arc<AtomicUsize>) {
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
    let tls = if trust {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(CA).unwrap()).unwrap();
        Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    } else {
        tls_config().unwrap()
    };
    Arc::new(Endpoint::new(&Url::parse(url).unwrap(), tls))
}

pub(super) const STATUS: Request<'static> = Request { method: Method::Get, path: "status", bearer: Some("t0ken"), body: None };

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
    let big = Request { method: Method::Post, path: "auths/renew", bearer: None, body: Some(&body) };
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
