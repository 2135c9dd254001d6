//! With a proxy named in the environment, calls go through it (feature
//! `proxy`, via reqwest): here the "proxy" is a scripted server that
//! records the absolute-form request lines a client sends to a proxy.
//! Its own test binary: the environment is process-wide.
#![cfg(feature = "proxy")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

const OK_JSON: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"Status\":\"OK\"}";

const HUGE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 68157440\r\n\r\n";

/// The tests change the process's environment: one at a time.
static ENV: Mutex<()> = Mutex::new(());

/// A client for `base` made while the environment names `proxy` (and
/// `no_proxy`); the variables are cleared again once it is made, as a
/// client reads them only then. Call with `ENV` held.
fn client_through(proxy: &str, no_proxy: Option<&str>, base: &str) -> Result<dfx::Client, dfx::Error> {
    std::env::set_var("HTTP_PROXY", proxy);
    std::env::remove_var("no_proxy");
    match no_proxy {
        Some(list) => std::env::set_var("NO_PROXY", list),
        None => std::env::remove_var("NO_PROXY"),
    }
    let client = dfx::Client::new(Some(base));
    std::env::remove_var("HTTP_PROXY");
    std::env::remove_var("NO_PROXY");
    client
}

/// A server on loopback running `serve` for each connection, on a thread
/// of its own.
fn server(serve: impl Fn(TcpStream) + Clone + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let serve = serve.clone();
            thread::spawn(move || serve(conn));
        }
    });
    addr
}

/// Read one request head (a byte at a time: nothing past it is taken);
/// `None` when the connection ends first.
fn read_head(conn: &mut TcpStream) -> Option<String> {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).unwrap_or(0) == 0 {
            return None;
        }
        data.push(byte[0]);
    }
    Some(String::from_utf8_lossy(&data).into_owned())
}

/// Make SIGPIPE end the process, as it does in a C host (Rust binaries
/// ignore it): a test that raises it dies.
fn sigpipe_kills() {
    // SAFETY: setting a signal's disposition to its default.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}

#[test]
fn calls_go_through_the_proxy_the_environment_names() {
    let _env = ENV.lock().unwrap();
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = lines.clone();
    let proxy = server(move |mut conn| {
        while let Some(head) = read_head(&mut conn) {
            let n = {
                let mut seen = seen.lock().unwrap();
                seen.push(head.lines().next().unwrap_or_default().to_owned());
                seen.len()
            };
            // The third answer announces a body over the 64 MiB limit.
            conn.write_all(if n == 3 { HUGE } else { OK_JSON }).unwrap();
        }
    });
    // The API's (unreachable) address; only the proxy answers.
    let client = client_through(&format!("http://{proxy}"), None, "http://127.0.0.1:9").unwrap();
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
fn a_generic_call_keeps_its_query_and_session_header_through_the_proxy() {
    let _env = ENV.lock().unwrap();
    let heads: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = heads.clone();
    let proxy = server(move |mut conn| {
        while let Some(head) = read_head(&mut conn) {
            seen.lock().unwrap().push(head.to_ascii_lowercase());
            conn.write_all(OK_JSON).unwrap();
        }
    });
    let client = client_through(&format!("http://{proxy}"), None, "http://127.0.0.1:9").unwrap();
    let params = serde_json::json!({"data": {"statusId": "A&B", "limit": 5}});
    dfx::blocking(client.call_operation("measurements.list", &params)).unwrap();
    let flag = serde_json::json!({"data": {"Email": "e", "Password": "p", "Identifier": "i"}, "enableSession": true});
    // The stand-in answer has no token pair: the call fails after the exchange.
    let e = dfx::blocking(client.call_operation("organizations.login", &flag)).unwrap_err();
    assert!(matches!(e, dfx::Error::Decode(_)), "{e:?}");
    let heads = heads.lock().unwrap();
    assert!(heads[0].starts_with("get http://127.0.0.1:9/measurements?statusid=a%26b&limit=5 http/1.1\r\n"), "{}", heads[0]);
    assert!(heads[1].starts_with("post http://127.0.0.1:9/organizations/auth http/1.1\r\n"), "{}", heads[1]);
    assert!(heads[1].contains("\r\nx-nura-session: true\r\n") && !heads[0].contains("x-nura-session"));
}

#[test]
fn a_host_no_proxy_names_is_not_proxied() {
    // The API itself: it must get the request directly (origin form).
    let origin = server(|mut conn| {
        let head = read_head(&mut conn).unwrap_or_default();
        assert!(head.starts_with("GET /status HTTP/1.1"), "origin-form: not through a proxy");
        conn.write_all(OK_JSON).unwrap();
    });
    let _env = ENV.lock().unwrap();
    let client = client_through("http://127.0.0.1:9", Some("localhost,127.0.0.1"), &format!("http://{origin}")).unwrap();
    let r = dfx::blocking(client.general().status()).unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn a_proxy_that_hangs_up_mid_request_does_not_raise_sigpipe() {
    sigpipe_kills();
    // A proxy that reads a request's head, then half-closes (FIN) and closes
    // with the body unread (RST): the client's socket is in CLOSE_WAIT when
    // the reset comes, so its next write fails with EPIPE, which raises
    // SIGPIPE unless the write was made with MSG_NOSIGNAL.
    let proxy = server(|mut conn| {
        read_head(&mut conn);
        let _ = conn.shutdown(std::net::Shutdown::Write);
    });
    let _env = ENV.lock().unwrap();
    // Read when the client was made: every thread's calls still use it.
    let client = client_through(&format!("http://{proxy}"), None, "http://127.0.0.1:9").unwrap();
    // A body of 8 MiB: many writes, so some come after the reset.
    let email = "a".repeat(8 << 20);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // Which comes first to the client, the end of the stream or the failed
    // write, is a race: a few rounds make the write near certain.
    for _ in 0..3 {
        let e = dfx::blocking(client.auths().request_reset_password_link(&email, "dfxdemo")).unwrap_err();
        assert!(matches!(e, dfx::Error::ConnectionLost(_) | dfx::Error::Transport(_)), "blocking: {e:?}");
        let e = rt.block_on(client.auths().request_reset_password_link(&email, "dfxdemo")).unwrap_err();
        assert!(matches!(e, dfx::Error::ConnectionLost(_) | dfx::Error::Transport(_)), "async: {e:?}");
    }
}

#[test]
fn a_malformed_proxy_url_is_refused_without_showing_it() {
    let _env = ENV.lock().unwrap();
    let e = client_through("http://user:s3cret@[::1", None, "http://127.0.0.1:9").expect_err("refused");
    assert!(matches!(&e, dfx::Error::InvalidUrl(m) if m.contains("proxy")), "{e:?}");
    assert!(!format!("{e} {e:?}").contains("s3cret"), "{e:?}");
}

#[test]
fn a_proxied_write_still_going_after_its_call_returned_does_not_raise_sigpipe() {
    sigpipe_kills();
    // A proxy that answers before reading the body, then hangs up: the call
    // returns its 400 while hyper, on this thread's runtime, is still
    // writing the body, and goes on when the thread's next blocking call
    // runs that runtime.
    let proxy = server(|mut conn| {
        read_head(&mut conn);
        let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
        thread::sleep(std::time::Duration::from_millis(150));
        let _ = conn.shutdown(std::net::Shutdown::Write);
    });
    let _env = ENV.lock().unwrap();
    let client = client_through(&format!("http://{proxy}"), None, "http://127.0.0.1:9").unwrap();
    let email = "a".repeat(16 << 20);
    let e = dfx::blocking(client.auths().request_reset_password_link(&email, "dfxdemo")).unwrap_err();
    assert!(matches!(&e, dfx::Error::Api(r) if r.status() == 400), "{e:?}");
    // Any later blocking call on this thread runs hyper's task; here one
    // that waits long enough for the reset to come.
    dfx::blocking(async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        Ok::<(), dfx::Error>(())
    })
    .unwrap();
}

#[test]
fn a_measurement_stream_through_a_proxy_uses_http_through_it() {
    let _env = ENV.lock().unwrap();
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = lines.clone();
    let proxy = server(move |mut conn| {
        while let Some(head) = read_head(&mut conn) {
            let line = head.lines().next().unwrap_or_default().to_owned();
            let length: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            let mut body = vec![0u8; length];
            conn.read_exact(&mut body).unwrap();
            let answer = if line.starts_with("GET ") { r#"{"StatusID":"COMPLETE"}"# } else { r#"{"ID":"m"}"# };
            let reply = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}", answer.len());
            seen.lock().unwrap().push(line);
            conn.write_all(reply.as_bytes()).unwrap();
        }
    });
    let client = client_through(&format!("http://{proxy}"), None, "http://127.0.0.1:9").unwrap();
    client.session().set(dfx::SessionField::UserToken, "user-token").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stream = dfx::MeasurementStream::open(
        &client,
        "m",
        Box::new(move |e| {
            let text = match e {
                dfx::Event::Connected { websocket, .. } => format!("connected websocket={websocket}"),
                dfx::Event::Ack { chunk } => format!("ack {chunk}"),
                dfx::Event::End(end) => format!("end {}", end.map(str::to_owned).unwrap_or_else(|e| e.to_string())),
                other => format!("{other:?}"),
            };
            tx.send(text).unwrap();
        }),
    )
    .unwrap();
    stream.send_chunk(b"first", dfx::ChunkPosition::First).unwrap();
    stream.send_chunk(b"last", dfx::ChunkPosition::Last).unwrap();
    let events: Vec<String> = (0..4).map(|_| rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap()).collect();
    assert_eq!(events, ["connected websocket=false", "ack 0", "ack 1", r#"end {"StatusID":"COMPLETE"}"#]);
    // No upgrade was tried: every request went through the proxy, as HTTP.
    assert_eq!(
        *lines.lock().unwrap(),
        [
            "POST http://127.0.0.1:9/measurements/m/data HTTP/1.1",
            "POST http://127.0.0.1:9/measurements/m/data HTTP/1.1",
            "GET http://127.0.0.1:9/measurements/m HTTP/1.1",
        ]
    );
}
