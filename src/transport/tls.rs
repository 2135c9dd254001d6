//! TLS settings: which certificate authorities a client trusts, the rustls
//! configuration every path (blocking, `_async`, proxied) connects with,
//! and the words of a failed handshake.
//!
//! Trust is the union of up to three sets of roots: the Mozilla roots built
//! into dfx (webpki-roots; on by default), the operating system's store
//! (rustls-native-certs, read when asked for), and CA certificates the app
//! added (PEM). One webpki verifier checks every chain against that union,
//! whatever the source, so the rules (expiry, names, key usage) are the
//! same for all of them. Certificate checks are never switched off.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::{PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use zeroize::Zeroizing;

use crate::error::Error;

/// Where a client's trusted certificate authorities come from, besides the
/// CAs added to it ([`crate::Client::add_ca_pem`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustSources {
    /// The Mozilla roots built into dfx (webpki-roots). On by default.
    pub builtin: bool,
    /// The operating system's trust store, read when this is set.
    pub system: bool,
}

impl Default for TrustSources {
    fn default() -> TrustSources {
        TrustSources { builtin: true, system: false }
    }
}

/// The largest CA file read (a whole system bundle is ~250 KiB).
const MAX_CA_FILE_BYTES: u64 = 16 << 20;

/// What a client trusts now.
#[derive(Clone, Default)]
pub(crate) struct Trust {
    builtin_off: bool,
    /// The system store's roots, when it is trusted.
    system: Option<Vec<TrustAnchor<'static>>>,
    /// The CAs the app added, in order.
    added: Vec<TrustAnchor<'static>>,
}

impl Trust {
    /// The same trust with `sources` (the system store read now).
    pub(crate) fn with_sources(&self, sources: TrustSources) -> Result<Trust, Error> {
        let system = if sources.system { Some(system_roots()?) } else { None };
        Ok(Trust { builtin_off: !sources.builtin, system, added: self.added.clone() })
    }

    /// The same trust with `cas` added.
    pub(crate) fn with_added(&self, cas: Vec<TrustAnchor<'static>>) -> Trust {
        let mut next = self.clone();
        next.added.extend(cas);
        next
    }

    /// The rustls settings for this trust: the ring provider, TLS 1.2 and
    /// 1.3, no client certificate.
    pub(crate) fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        let mut roots = rustls::RootCertStore::empty();
        if !self.builtin_off {
            roots.roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        roots.roots.extend(self.system.iter().flatten().cloned());
        roots.roots.extend(self.added.iter().cloned());
        let provider = Arc::new(provider());
        let verifier = Verifier::new(roots, &provider)?;
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Internal(format!("TLS configuration: {e}")))?
            .dangerous() // a verifier of our own: webpki's, with better words
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

/// ring's provider as rustls makes it (the same cipher suites, key
/// exchange groups and signature algorithms: the same ClientHello), except
/// that it loads no private keys. A dfx client never presents a
/// certificate (`with_no_client_auth`), so rustls never asks; ring's
/// default key provider would only link its RSA, ECDSA and Ed25519
/// signing into the library.
fn provider() -> CryptoProvider {
    CryptoProvider { key_provider: &NoPrivateKeys, ..rustls::crypto::ring::default_provider() }
}

/// The key provider of a client without a certificate of its own.
#[derive(Debug)]
struct NoPrivateKeys;

impl rustls::crypto::KeyProvider for NoPrivateKeys {
    fn load_private_key(
        &self,
        _key: rustls::pki_types::PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
        Err(rustls::Error::General("dfx presents no client certificate".into()))
    }
}

/// The operating system's trusted roots (rustls-native-certs: the Windows
/// and macOS stores; on Linux and other Unix systems the usual bundle files,
/// on Android the system CA directory; SSL_CERT_FILE / SSL_CERT_DIR when
/// set). None readable is an error.
fn system_roots() -> Result<Vec<TrustAnchor<'static>>, Error> {
    let found = native_certs();
    let mut store = rustls::RootCertStore::empty();
    store.add_parsable_certificates(found.certs);
    if store.is_empty() {
        let why = match found.errors.first() {
            Some(e) => format!(" ({e})"),
            None => String::new(),
        };
        return Err(Error::Tls(format!(
            "the system trust store has no certificate dfx could read{why}; on this platform, \
             add the CAs to trust as PEM instead"
        )));
    }
    Ok(store.roots)
}

/// The system's certificates, as rustls-native-certs finds them; on
/// Android, whose CA directory openssl-probe does not know, from that
/// directory (Android 14+ serves it from the Conscrypt APEX) unless
/// SSL_CERT_FILE / SSL_CERT_DIR say otherwise. (Not tried on a device.)
fn native_certs() -> rustls_native_certs::CertificateResult {
    #[cfg(target_os = "android")]
    if std::env::var_os("SSL_CERT_FILE").is_none() && std::env::var_os("SSL_CERT_DIR").is_none() {
        for dir in ["/apex/com.android.conscrypt/cacerts", "/system/etc/security/cacerts"] {
            let found = rustls_native_certs::load_certs_from_paths(None, Some(std::path::Path::new(dir)));
            if !found.certs.is_empty() {
                return found;
            }
        }
    }
    rustls_native_certs::load_native_certs()
}

/// The CA certificates of a PEM text (one or more `CERTIFICATE` blocks;
/// other blocks are skipped, private keys wiped). All or nothing: any
/// malformed block or certificate fails the whole text. Messages never
/// quote the text.
pub(crate) fn pem_cas(pem: &[u8]) -> Result<Vec<TrustAnchor<'static>>, Error> {
    let bad = |why: String| Err(Error::InvalidArgument(why));
    let mut certs = Vec::new();
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
        match item {
            Ok((SectionKind::Certificate, der)) => certs.push(CertificateDer::from(der)),
            Ok((_, other)) => drop(Zeroizing::new(other)),
            Err(e) => return bad(format!("the CA PEM is malformed: {}", pem_error(&e))),
        }
    }
    if certs.is_empty() {
        return bad("the CA PEM holds no certificate (no -----BEGIN CERTIFICATE----- block)".into());
    }
    let total = certs.len();
    let mut anchors = Vec::with_capacity(total);
    for (n, cert) in certs.iter().enumerate() {
        let mut one = rustls::RootCertStore::empty();
        if let Err(e) = one.add(cert.clone()) {
            return bad(format!("certificate {} of {total} in the CA PEM is not a usable X.509 certificate ({e})", n + 1));
        }
        anchors.append(&mut one.roots);
    }
    Ok(anchors)
}

/// The CA certificates of a PEM file.
pub(crate) fn pem_file_cas(path: &std::path::Path) -> Result<Vec<TrustAnchor<'static>>, Error> {
    let shown = path.display();
    let read = || -> std::io::Result<Vec<u8>> {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(path)?.take(MAX_CA_FILE_BYTES + 1).read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    let bytes = read().map_err(|e| Error::InvalidArgument(format!("could not read the CA file {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(Error::InvalidArgument(format!("the CA file {shown} is larger than 16 MiB")));
    }
    pem_cas(&bytes).map_err(|e| match e {
        Error::InvalidArgument(why) => Error::InvalidArgument(format!("{why} (file {shown})")),
        other => other,
    })
}

/// A PEM reading error in words that never quote the input.
fn pem_error(e: &rustls::pki_types::pem::Error) -> &'static str {
    use rustls::pki_types::pem::Error as E;
    match e {
        E::MissingSectionEnd { .. } => "a block has no -----END line",
        E::IllegalSectionStart { .. } => "a -----BEGIN line is malformed",
        E::Base64Decode(_) => "a block is not valid base64",
        E::SectionTooLarge => "a block is too large",
        _ => "it could not be read",
    }
}

/// webpki's verifier (or none, when nothing is trusted) whose refusals
/// tell a self-signed certificate from one of an unknown CA.
#[derive(Debug)]
struct Verifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl Verifier {
    fn new(roots: rustls::RootCertStore, provider: &Arc<CryptoProvider>) -> Result<Verifier, Error> {
        let webpki = if roots.is_empty() {
            None
        } else {
            let built = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build();
            Some(built.map_err(|e| Error::Internal(format!("TLS configuration: {e}")))?)
        };
        Ok(Verifier { webpki, algorithms: provider.signature_verification_algorithms })
    }
}

/// Why a certificate was refused, where rustls has no variant for it.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    SelfSigned,
    NothingTrusted,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::SelfSigned => "self-signed certificate",
            Refusal::NothingTrusted => "no certificate authority is trusted",
        })
    }
}

impl std::error::Error for Refusal {}

fn refused(why: Refusal) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(why))))
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else { return Err(refused(Refusal::NothingTrusted)) };
        webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now).map_err(|e| match e {
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) if self_issued(end_entity) => {
                refused(Refusal::SelfSigned)
            }
            other => other,
        })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Whether a certificate names itself as its issuer (issuer and subject
/// are the same DER bytes): a self-signed certificate. A minimal DER walk
/// of `Certificate { tbsCertificate { [0] version, serial, signature,
/// issuer, validity, subject, ... } }`; anything unexpected is "no".
fn self_issued(cert: &[u8]) -> bool {
    /// One DER element: its tag, its whole bytes, its contents, and what follows.
    type Item<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);
    fn item(input: &[u8]) -> Option<Item<'_>> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = match first {
            n if n < 0x80 => (usize::from(n), rest),
            0x81..=0x84 => {
                let k = usize::from(first - 0x80);
                let (bytes, rest) = (rest.get(..k)?, rest.get(k..)?);
                (bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)), rest)
            }
            _ => return None,
        };
        let header = input.len() - rest.len();
        Some((tag, input.get(..header + len)?, rest.get(..len)?, rest.get(len..)?))
    }
    let walk = || -> Option<bool> {
        let (_, _, cert, _) = item(cert).filter(|i| i.0 == 0x30)?;
        let (_, _, tbs, _) = item(cert).filter(|i| i.0 == 0x30)?;
        let (tag, _, _, mut rest) = item(tbs)?;
        if tag == 0xa0 {
            rest = item(rest)?.3; // the version came first: skip the serial
        }
        let rest = item(rest)?.3; // signature algorithm
        let (_, issuer, _, rest) = item(rest)?;
        let rest = item(rest)?.3; // validity
        let (_, subject, _, _) = item(rest)?;
        Some(issuer == subject)
    };
    walk().unwrap_or(false)
}

/// What the message of a TLS failure says when the server answered the
/// handshake with something that is not TLS.
pub(crate) const NOT_TLS: &str = "the server does not speak TLS: it answered the https handshake with \
     something else, likely plain http (use an http:// URL for a plain-http server; the dfx-sandbox \
     is http:// unless started with --tls-cert)";

/// A failed handshake in words that say what to fix: unknown CA, wrong
/// host, expired, self-signed, not a TLS server.
pub(crate) fn describe(e: &rustls::Error) -> String {
    use rustls::{Error as E, InvalidMessage};
    let cert = match e {
        E::InvalidCertificate(cert) => cert,
        E::InvalidMessage(InvalidMessage::InvalidContentType) => return NOT_TLS.into(),
        E::AlertReceived(alert) => return format!("the server refused the TLS handshake (alert {alert:?})"),
        other => return other.to_string(),
    };
    use CertificateError as C;
    match cert {
        C::UnknownIssuer => "the server's certificate was issued by an unknown certificate authority (unknown CA): \
             not one the client trusts; add that CA to the client's trust, or use the system store"
            .into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            format!("the server's certificate is for another host name (wrong host): {cert}")
        }
        C::Expired | C::ExpiredContext { .. } => format!("the server's certificate has expired: {cert}"),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            format!("the server's certificate is not valid yet (is the device's clock right?): {cert}")
        }
        C::Other(other) => match other.0.downcast_ref::<Refusal>() {
            Some(Refusal::SelfSigned) => "the server's certificate is self-signed, not issued by a certificate \
                 authority the client trusts; add it (or its CA) to the client's trust to accept it"
                .into(),
            Some(Refusal::NothingTrusted) => "no certificate authority is trusted: the client's trust has no \
                 built-in or system roots and no CA was added"
                .into(),
            None => format!("the server's certificate was refused: {cert}"),
        },
        _ => format!("the server's certificate was refused: {cert}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_issued_reads_issuer_and_subject() {
        let pki = dfx_sandbox::TestPki::generate().unwrap();
        let der = |pem: &str| CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        assert!(self_issued(&der(&pki.self_signed.cert_pem)));
        assert!(self_issued(&der(&pki.ca_pem)), "a root CA is self-issued too");
        assert!(!self_issued(&der(&pki.localhost.cert_pem)));
        for junk in [&b""[..], b"\x30", b"\x30\x85\x00", b"\x30\x03\x30\x01", b"\x30\x82\xff\xff\x00"] {
            assert!(!self_issued(junk), "{junk:?}");
        }
        // Every truncation of a real certificate is read without a panic.
        let full = der(&pki.self_signed.cert_pem);
        for n in 0..full.len() {
            let _ = self_issued(&full[..n]);
        }
    }

    #[test]
    fn pem_cas_take_certificates_only_and_refuse_junk_without_quoting_it() {
        let pki = dfx_sandbox::TestPki::generate().unwrap();
        let both = format!("{}\n{}{}", pki.ca_pem, pki.localhost.key_pem, pki.localhost.cert_pem);
        assert_eq!(pem_cas(both.as_bytes()).unwrap().len(), 2, "the key block is skipped");
        let cut = &pki.ca_pem[..pki.ca_pem.len() - 30];
        let garbled = pki.ca_pem.replacen("MII", "M!I", 1);
        let not_x509 = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
        for (bad, words) in [
            ("", "no certificate"),
            (pki.localhost.key_pem.as_str(), "no certificate"),
            ("just some text", "no certificate"),
            (cut, "malformed"),
            (garbled.as_str(), "malformed"),
            (not_x509, "certificate 1 of 1"),
        ] {
            let e = pem_cas(bad.as_bytes()).unwrap_err();
            let text = e.to_string();
            assert!(matches!(e, Error::InvalidArgument(_)) && text.contains(words), "{text}");
            assert!(!text.contains("MII") && !text.contains("aGVsbG8") && !text.contains("PRIVATE"), "{text}");
        }
        // All or nothing: a good certificate before a bad block is not kept.
        let mixed = format!("{}{}", pki.ca_pem, not_x509);
        assert!(pem_cas(mixed.as_bytes()).is_err());
    }

    #[test]
    fn pem_files_are_read_and_their_failures_name_the_file() {
        let pki = dfx_sandbox::TestPki::generate().unwrap();
        let dir = std::env::temp_dir().join(format!("dfx-tls-unit-{}", std::process::id()));
        pki.write_to(&dir).unwrap();
        assert_eq!(pem_file_cas(&dir.join("ca.pem")).unwrap().len(), 1);
        let e = pem_file_cas(&dir.join("localhost.key")).unwrap_err().to_string();
        assert!(e.contains("no certificate") && e.contains("localhost.key") && !e.contains("PRIVATE"), "{e}");
        let e = pem_file_cas(&dir.join("missing.pem")).unwrap_err().to_string();
        assert!(e.contains("could not read the CA file") && e.contains("missing.pem"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_provider_is_rings_without_private_keys() {
        let ours = provider();
        let ring = rustls::crypto::ring::default_provider();
        let suites = |p: &CryptoProvider| p.cipher_suites.iter().map(|s| s.suite()).collect::<Vec<_>>();
        let groups = |p: &CryptoProvider| p.kx_groups.iter().map(|g| g.name()).collect::<Vec<_>>();
        let schemes = |p: &CryptoProvider| p.signature_verification_algorithms.supported_schemes();
        assert_eq!(suites(&ours), suites(&ring));
        assert_eq!(groups(&ours), groups(&ring));
        assert_eq!(schemes(&ours), schemes(&ring));
        assert_eq!(ours.fips(), ring.fips());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(vec![0x30, 0x00].into());
        assert!(ours.key_provider.load_private_key(key).is_err());
        // Not ring's key provider, which would refuse that key too but links
        // its signing code in.
        assert_eq!(format!("{:?}", ours.key_provider), "NoPrivateKeys");
    }

    #[test]
    fn sources_decide_the_roots() {
        let pki = dfx_sandbox::TestPki::generate().unwrap();
        let builtin = Trust::default();
        assert!(builtin.client_config().is_ok());
        let none = builtin.with_sources(TrustSources { builtin: false, system: false }).unwrap();
        let v = Verifier::new(rustls::RootCertStore::empty(), &Arc::new(provider())).unwrap();
        assert!(v.webpki.is_none());
        assert!(none.client_config().is_ok(), "an empty trust still makes a config (that refuses every server)");
        let only_added = none.with_added(pem_cas(pki.ca_pem.as_bytes()).unwrap());
        assert_eq!(only_added.added.len(), 1);
        assert!(only_added.builtin_off && only_added.system.is_none());
        // Sources replace sources; added CAs stay.
        let back = only_added.with_sources(TrustSources::default()).unwrap();
        assert!(!back.builtin_off && back.added.len() == 1);
    }
}
