//! A client's trust (extra CAs, built-in roots on or off) on every path:
//! blocking, `_async`, and through a proxy (reqwest, CONNECT tunnel),
//! against https sandboxes with a throwaway PKI. Its own test binary: the
//! proxy test changes the process's environment.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use dfx::{Client, Error, TrustSources};
use dfx_sandbox::{Config, Sandbox, TestPki};

static ENV: Mutex<()> = Mutex::new(());

fn https_sandbox(pki: &TestPki) -> (Sandbox, String) {
    let sb = Sandbox::start(Config { tls: Some(pki.localhost.clone()), ..Config::default() }).unwrap();
    let url = format!("https://localhost:{}", sb.addr().port());
    (sb, url)
}

fn blocking_status(c: &Client) -> Result<u16, Error> {
    dfx::blocking(c.general().status()).map(|r| r.status())
}

fn async_status(c: &Client) -> Result<u16, Error> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(c.general().status()).map(|r| r.status())
}

/// Both paths are refused for an unknown CA, then accepted once `trust`
/// has been applied to the client.
fn refused_then_accepted(c: &Client, trust: impl FnOnce(&Client)) {
    for result in [blocking_status(c), async_status(c)] {
        match result {
            Err(Error::Tls(m)) => assert!(m.contains("unknown CA"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    trust(c);
    assert_eq!(blocking_status(c).unwrap(), 200);
    assert_eq!(async_status(c).unwrap(), 200);
}

#[test]
fn added_cas_apply_to_blocking_and_async_calls() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let pki = TestPki::generate().unwrap();
    let (_sb, url) = https_sandbox(&pki);
    let c = Client::new(Some(&url)).unwrap();
    refused_then_accepted(&c, |c| assert_eq!(c.add_ca_pem(pki.ca_pem.as_bytes()).unwrap(), 1));
    // The added CA alone (no built-in roots) still does; nothing at all does not.
    c.set_trust(TrustSources { builtin: false, system: false }).unwrap();
    let fresh = Client::new(Some(&url)).unwrap();
    fresh.set_trust(TrustSources { builtin: false, system: false }).unwrap();
    match blocking_status(&fresh) {
        Err(Error::Tls(m)) => assert!(m.contains("no certificate authority is trusted"), "{m}"),
        other => panic!("{other:?}"),
    }
    fresh.add_ca_pem(pki.ca_pem.as_bytes()).unwrap();
    assert_eq!(blocking_status(&fresh).unwrap(), 200);
}

#[test]
fn a_bad_pem_changes_nothing() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let pki = TestPki::generate().unwrap();
    let (_sb, url) = https_sandbox(&pki);
    let c = Client::new(Some(&url)).unwrap();
    // A good CA followed by a broken block: all or nothing.
    let broken = format!("{}-----BEGIN CERTIFICATE-----\nAAAA\n", pki.ca_pem);
    assert!(matches!(c.add_ca_pem(broken.as_bytes()), Err(Error::InvalidArgument(_))));
    assert!(matches!(blocking_status(&c), Err(Error::Tls(_))), "the good CA was not added either");
}

/// A CONNECT proxy on loopback; its address and how many tunnels it opened.
#[cfg(feature = "proxy")]
fn connect_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let tunnels = Arc::new(AtomicUsize::new(0));
    let count = tunnels.clone();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut client) = conn else { return };
            let count = count.clone();
            thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match client.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let Some(target) = head.strip_prefix("CONNECT ").and_then(|r| r.split(' ').next()) else { return };
                let Ok(server) = TcpStream::connect(target) else { return };
                count.fetch_add(1, Ordering::SeqCst);
                if client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").is_err() {
                    return;
                }
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut client, mut server) = (client, server);
                thread::spawn(move || {
                    let _ = std::io::copy(&mut s2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut client, &mut server);
                let _ = server.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (format!("http://{addr}"), tunnels)
}

#[cfg(feature = "proxy")]
#[test]
fn added_cas_apply_through_a_proxy_on_both_paths() {
    let pki = TestPki::generate().unwrap();
    let (_sb, url) = https_sandbox(&pki);
    let (proxy, tunnels) = connect_proxy();
    let c = {
        let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
        std::env::set_var("HTTPS_PROXY", &proxy);
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
        let c = Client::new(Some(&url));
        std::env::remove_var("HTTPS_PROXY");
        c.unwrap()
    };
    let dir = std::env::temp_dir().join(format!("dfx-trust-test-{}", std::process::id()));
    pki.write_to(&dir).unwrap();
    // Blocking calls warm this thread's pool before the change: it is rebuilt.
    refused_then_accepted(&c, |c| assert_eq!(c.add_ca_file(dir.join("ca.pem")).unwrap(), 1));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(tunnels.load(Ordering::SeqCst) >= 4, "every call went through the proxy");
    // Trust narrowed to nothing, through a proxy: refused on both paths.
    let strict = {
        let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
        std::env::set_var("HTTPS_PROXY", &proxy);
        let c = Client::new(Some(&url));
        std::env::remove_var("HTTPS_PROXY");
        c.unwrap()
    };
    strict.set_trust(TrustSources { builtin: false, system: false }).unwrap();
    for result in [blocking_status(&strict), async_status(&strict)] {
        match result {
            Err(Error::Tls(m)) => assert!(m.contains("no certificate authority is trusted"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}

#[cfg(feature = "proxy")]
#[test]
fn a_plain_http_server_behind_a_proxy_is_named_as_not_speaking_tls() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let url = format!("https://localhost:{}", sb.addr().port());
    let (proxy, _) = connect_proxy();
    let c = {
        let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
        std::env::set_var("HTTPS_PROXY", &proxy);
        let c = Client::new(Some(&url));
        std::env::remove_var("HTTPS_PROXY");
        c.unwrap()
    };
    for result in [blocking_status(&c), async_status(&c)] {
        match result {
            Err(Error::Tls(m)) => assert!(m.contains("does not speak TLS"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
