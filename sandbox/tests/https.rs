//! The https sandbox: it serves the API over TLS with the identity it is
//! given, which a client trusting the test CA accepts.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use dfx_sandbox::{Config, Sandbox, TestPki, TlsIdentity};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

fn client(ca_pem: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// GET /status over TLS; the response text, or the handshake's error.
fn get_status(sb: &Sandbox, ca_pem: &str) -> Result<String, std::io::Error> {
    let tcp = TcpStream::connect(sb.addr())?;
    let conn = rustls::ClientConnection::new(client(ca_pem), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"GET /status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut text = String::new();
    let _ = tls.read_to_string(&mut text);
    Ok(text)
}

#[test]
fn serves_https_with_the_given_identity() {
    let pki = TestPki::generate().unwrap();
    let sb = Sandbox::start(Config { tls: Some(pki.localhost.clone()), ..Config::default() }).unwrap();
    assert!(sb.url().starts_with("https://127.0.0.1:"), "{}", sb.url());
    let answer = get_status(&sb, &pki.ca_pem).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"StatusID\":\"ACTIVE\""), "{answer}");
    // The expired certificate is refused by the same client.
    let sb = Sandbox::start(Config { tls: Some(pki.expired.clone()), ..Config::default() }).unwrap();
    let e = get_status(&sb, &pki.ca_pem).unwrap_err();
    assert!(e.to_string().contains("expired"), "{e}");
}

#[test]
fn a_bad_identity_fails_at_start_without_showing_the_key() {
    let pki = TestPki::generate().unwrap();
    let mismatched = TlsIdentity { cert_pem: pki.localhost.cert_pem.clone(), key_pem: pki.expired.key_pem.clone() };
    let no_key = TlsIdentity { cert_pem: pki.localhost.cert_pem.clone(), key_pem: "not a key".into() };
    let no_cert = TlsIdentity { cert_pem: String::new(), key_pem: pki.localhost.key_pem.clone() };
    for bad in [mismatched, no_key, no_cert] {
        let e = Sandbox::start(Config { tls: Some(bad.clone()), ..Config::default() }).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");
        assert!(!e.to_string().contains("PRIVATE KEY"), "{e}");
        assert!(!format!("{bad:?}").contains("PRIVATE KEY"), "Debug hides the key");
    }
}
