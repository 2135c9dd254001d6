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

/// A TLS server answering every request on a connection with `OK_JSON`;
/// its port and how many connections it accepted.
fn server() -> (u16, Arc<AtomicUsize>) {
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from_pem_slice(CERT).unwrap()], PrivateKeyDer::from_pem_slice(KEY).unwrap())
            .unwrap(),
    );
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
fn endpoint(url: &str, trust: bool) -> Arc<Endpoint> {
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

const STATUS: Request<'static> = Request { method: Method::Get, path: "status", bearer: Some("t0ken"), body: None };

fn blocking_status(ep: &Endpoint, alive: &Arc<()>) -> Result<crate::response::Response, Error> {
    blocking::Call { endpoint: ep, transport: Arc::as_ptr(alive) as usize, alive, deadline: None }.send(STATUS)
}

fn async_status(ep: &Arc<Endpoint>, pool: &Arc<nonblocking::Pool>) -> Result<crate::response::Response, Error> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(nonblocking::send(ep, pool, STATUS, Some(std::time::Duration::from_secs(5))))
}

#[test]
fn https_exchanges_on_kept_alive_connections() {
    let (port, accepted) = server();
    let ep = endpoint(&format!("https://localhost:{port}"), true);
    let alive = Arc::new(());
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
    let alive = Arc::new(());
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
