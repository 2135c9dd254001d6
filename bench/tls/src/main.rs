//! Client-side cost of a full TLS 1.3 handshake and of record encryption
//! with rustls + ring, built with the workspace's release profile (so with
//! dfx's per-crate opt-levels). Both ends run in memory in this process;
//! only the client's calls are timed.
//!
//!   dfx-tls-bench CA.pem CERT.pem KEY.pem N
//!
//! CA.pem is the client's only root; the server presents CERT.pem (issued
//! by that CA) with KEY.pem.
//!
//! Prints one line per case: median and min microseconds per handshake
//! (client side), and the client's seal+open time for a 650-byte record.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, ca, cert, key, n] = &args[..] else {
        eprintln!("usage: dfx-tls-bench CA.pem CERT.pem KEY.pem N");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N");
    let cert = CertificateDer::from_pem_file(cert).expect("certificate");
    let key = PrivateKeyDer::from_pem_file(key).expect("key");
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(ca).expect("CA certificate")).expect("root");
    let server = Arc::new(
        ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .expect("server config"),
    );
    let client = |groups: Option<Vec<&'static dyn rustls::crypto::SupportedKxGroup>>| {
        let mut p = provider::default_provider();
        if let Some(g) = groups {
            p.kx_groups = g;
        }
        Arc::new(
            ClientConfig::builder_with_provider(Arc::new(p))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots.clone())
                .with_no_client_auth(),
        )
    };
    for (name, cfg) in [
        ("handshake, X25519", client(None)),
        ("handshake, P-256 key exchange", client(Some(vec![provider::kx_group::SECP256R1]))),
    ] {
        let mut times: Vec<Duration> = (0..n).map(|_| handshake(&cfg, &server).2).collect();
        times.sort();
        println!("{name:<32} median {:>8.1} us  min {:>8.1} us", us(times[n / 2]), us(times[0]));
    }
    let mut times: Vec<Duration> = (0..n).map(|_| records(&client(None), &server)).collect();
    times.sort();
    println!("{:<32} median {:>8.2} us  min {:>8.2} us", "650-byte record, seal + open", us(times[n / 2]), us(times[0]));
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// One full handshake: both ends, and the time spent in the client's calls.
fn handshake(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> (ClientConnection, ServerConnection, Duration) {
    let t = Instant::now();
    let mut c = ClientConnection::new(client.clone(), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut spent = t.elapsed();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    while c.is_handshaking() || s.is_handshaking() {
        let t = Instant::now();
        let mut out = Vec::new();
        while c.write_tls(&mut out).unwrap() > 0 {}
        spent += t.elapsed();
        s.read_tls(&mut &out[..]).unwrap();
        s.process_new_packets().unwrap();
        let mut back = Vec::new();
        while s.write_tls(&mut back).unwrap() > 0 {}
        let t = Instant::now();
        let mut rd = &back[..];
        while !rd.is_empty() {
            c.read_tls(&mut rd).unwrap();
        }
        c.process_new_packets().unwrap();
        spent += t.elapsed();
    }
    (c, s, spent)
}

/// A 650-byte request sealed by the client and a 650-byte answer opened by it.
fn records(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> Duration {
    let (mut c, mut s, _) = handshake(client, server);
    let payload = [b'x'; 650];
    s.writer().write_all(&payload).unwrap();
    let mut answer = Vec::new();
    while s.write_tls(&mut answer).unwrap() > 0 {}
    let t = Instant::now();
    c.writer().write_all(&payload).unwrap();
    let mut out = Vec::new();
    while c.write_tls(&mut out).unwrap() > 0 {}
    let mut rd = &answer[..];
    while !rd.is_empty() {
        c.read_tls(&mut rd).unwrap();
    }
    c.process_new_packets().unwrap();
    let mut got = [0u8; 650];
    c.reader().read_exact(&mut got).unwrap();
    t.elapsed()
}
