//! With a proxy named in the environment, calls go through it (feature
//! `proxy`, via reqwest): here the "proxy" is a scripted server that
//! records the absolute-form request lines a client sends to a proxy.
//! Its own test binary: the environment is process-wide.
#![cfg(feature = "proxy")]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

const OK_JSON: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"Status\":\"OK\"}";

const HUGE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 68157440\r\n\r\n";

/// The tests change the process's environment: one at a time.
static ENV: Mutex<()> = Mutex::new(());

#[test]
fn calls_go_through_the_proxy_the_environment_names() {
    let _env = ENV.lock().unwrap();
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_addr = proxy.local_addr().unwrap();
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = lines.clone();
    thread::spawn(move || {
        for conn in proxy.incoming() {
            let Ok(mut conn) = conn else { return };
            let seen = seen.clone();
            thread::spawn(move || {
                let mut data = Vec::new();
                let mut byte = [0u8; 1];
                loop {
                    if conn.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    data.push(byte[0]);
                    if data.ends_with(b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&data).to_string();
                        seen.lock().unwrap().push(head.lines().next().unwrap_or_default().to_owned());
                        data.clear();
                        // The third answer announces a body over the 64 MiB limit.
                        let n = seen.lock().unwrap().len();
                        let answer = if n == 3 { HUGE } else { OK_JSON };
                        conn.write_all(answer).unwrap();
                    }
                }
            });
        }
    });
    // The API's (unreachable) address; only the proxy answers.
    std::env::set_var("HTTP_PROXY", format!("http://{proxy_addr}"));
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let client = dfx::Client::new(Some("http://127.0.0.1:9")).unwrap();
    let r = dfx::blocking(client.general().status()).unwrap();
    assert_eq!(r.body(), r#"{"Status":"OK"}"#);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let r = rt.block_on(client.general().status()).unwrap();
    assert_eq!(r.status(), 200);
    let e = dfx::blocking(client.general().status()).unwrap_err();
    assert!(matches!(&e, dfx::Error::Transport(m) if m.contains("larger than 64 MiB")), "{e:?}");
    assert_eq!(*lines.lock().unwrap(), ["GET http://127.0.0.1:9/status HTTP/1.1"; 3]);
}

#[test]
fn a_host_no_proxy_names_is_not_proxied() {
    // The API itself: it must get the request directly (origin form).
    let origin = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = origin.local_addr().unwrap();
    thread::spawn(move || {
        let (mut conn, _) = origin.accept().unwrap();
        let mut data = Vec::new();
        let mut byte = [0u8; 1];
        while !data.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
            data.push(byte[0]);
        }
        assert!(data.starts_with(b"GET /status HTTP/1.1"), "origin-form: not through a proxy");
        conn.write_all(OK_JSON).unwrap();
    });
    let _env = ENV.lock().unwrap();
    std::env::set_var("HTTP_PROXY", "http://127.0.0.1:9");
    std::env::set_var("NO_PROXY", "localhost,127.0.0.1");
    let client = dfx::Client::new(Some(&format!("http://{addr}"))).unwrap();
    std::env::remove_var("NO_PROXY");
    let r = dfx::blocking(client.general().status()).unwrap();
    assert_eq!(r.status(), 200);
}
