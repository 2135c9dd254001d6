//! HTTPS for the sandbox: a certificate chain and key given as PEM, and the
//! TLS acceptor built from them (rustls, as the client uses).
//!
//! The sandbox speaks plain http unless [`crate::Config::tls`] is set
//! (`--tls-cert`/`--tls-key` on the command line). HTTPS is there to test
//! clients' trust settings against a loopback server; it is not hardened
//! for anything else.

use std::fmt;
use std::io;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What a TLS sandbox presents: its certificate chain (leaf first) and the
/// leaf's private key, both PEM. `Debug` never shows the key.
#[derive(Clone)]
pub struct TlsIdentity {
    /// One or more `CERTIFICATE` blocks, the server's own first.
    pub cert_pem: String,
    /// The private key of the first certificate (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: String,
}

impl TlsIdentity {
    /// Read the chain and key from two PEM files.
    pub fn from_files(cert: &std::path::Path, key: &std::path::Path) -> io::Result<TlsIdentity> {
        let read = |p: &std::path::Path| {
            std::fs::read_to_string(p).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))
        };
        Ok(TlsIdentity { cert_pem: read(cert)?, key_pem: read(key)? })
    }

    /// The rustls server settings for this identity (errors name what is
    /// wrong, never the key's bytes).
    pub(crate) fn server_config(&self) -> io::Result<Arc<rustls::ServerConfig>> {
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| bad(format!("the TLS certificate file is not PEM: {e}")))?;
        if chain.is_empty() {
            return Err(bad("the TLS certificate file holds no CERTIFICATE block".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|_| bad("the TLS key file holds no usable PEM private key".into()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(format!("TLS settings: {e}")))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| bad(format!("the TLS certificate and key do not go together: {e}")))?;
        Ok(Arc::new(config))
    }
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity").field("cert_pem", &format_args!("{} bytes", self.cert_pem.len())).finish_non_exhaustive()
    }
}

/// One https connection: the TLS handshake (a client that gives up on it,
/// or speaks plain http, is simply dropped), then HTTP as on a plain one.
pub(crate) async fn serve_tls(
    acceptor: tokio_rustls::TlsAcceptor,
    tcp: tokio::net::TcpStream,
    state: Arc<crate::State>,
) {
    let handshake = tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp));
    if let Ok(Ok(tls)) = handshake.await {
        crate::server::serve_connection(tls, state).await;
    }
}
