//! Hostile frames never bring the server down: each is dropped (and
//! counted), answered 400, or closes only its own socket; the server then
//! serves a new socket and HTTP as before. And the socket over https.

mod common;
mod ws_common;

use std::sync::Arc;

use dfx_sandbox::{Config, Sandbox, TestPki, TokenKind};
use futures_util::SinkExt;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;
use ws_common::*;

/// The server still works: a fresh socket logs in, HTTP answers.
async fn still_serves(sb: &Sandbox, user: &str) {
    let mut ws = connect(sb, None).await;
    let a = ws.call("0718", "alive00000", &json!({"Token": user})).await;
    assert_eq!(a.status, 200);
    assert_eq!(http(sb, "GET", "/status", user, None).status, 200);
}

#[tokio::test]
async fn malformed_frames_are_dropped_and_counted() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let mut ws = connect(&sb, Some(&user)).await;
    let dropped: [&[u8]; 5] = [
        b"",
        b"0718",
        b"0718ABCDEFGHI",                  // 13 bytes: one short
        b"07a8ABCDEFGHIJ{\"Token\":\"x\"}", // action not digits
        b"0718ABC\x00EFGHIJ{}",            // request id not printable
    ];
    for f in dropped {
        ws.send_raw(f.to_vec()).await;
    }
    ws.send_raw("0718ABCDEFGHé{}".as_bytes().to_vec()).await; // id not ASCII
    ws.quiet(std::time::Duration::from_millis(200)).await;
    // Readable id, unreadable payload: 400 BAD_FRAME to that id.
    for (i, payload) in [&b"\xff\xfe{}"[..], b"not json", b"\"a string\"", b"{\"unterminated\":"].iter().enumerate() {
        let mut f = format!("0506badframe{i:02}").into_bytes();
        f.extend_from_slice(payload);
        ws.send_raw(f).await;
        let a = ws.recv().await;
        assert_eq!((a.id, a.status, a.body["Code"].as_str()), (format!("badframe{i:02}"), 400, Some("BAD_FRAME")));
    }
    // The socket itself is still fine.
    assert_eq!(ws.call("0718", "login00000", &json!({"Token": user})).await.status, 200);
    let s = sb.socket_stats();
    assert_eq!((s.frames, s.malformed_frames, s.opened), (11, 6, 1));
    still_serves(&sb, &user).await;
}

#[tokio::test]
async fn invalid_utf8_text_and_huge_frames_close_only_their_socket() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    // A text frame that is not UTF-8 (a protocol error): close 1007.
    let mut ws = connect(&sb, Some(&user)).await;
    let bad = Frame::message(b"0718ABCDEFGHIJ{\"Token\":\"\xff\"}".to_vec(), OpCode::Data(Data::Text), true);
    ws.ws.send(Message::Frame(bad)).await.unwrap();
    let end = ws.next_frame(WAIT).await;
    assert!(matches!(&end, Err(r) if r.contains("close frame") || r.contains("end of stream") || r.contains("Connection")), "{end:?}");
    // A frame over 16 MiB: the socket is closed (1009) without reading it all.
    let mut ws = connect(&sb, Some(&user)).await;
    let mut huge = b"0506hugeframe0".to_vec();
    huge.resize(16 * 1024 * 1024 + 1, b' ');
    let _ = ws.ws.send(Message::Binary(huge.into())).await; // may fail midway: the server closed
    let end = ws.next_frame(WAIT).await;
    assert!(end.is_err(), "{end:?}");
    assert_eq!(sb.socket_stats().malformed_frames, 2);
    still_serves(&sb, &user).await;
}

#[tokio::test]
async fn a_message_just_under_the_limit_is_read() {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let mut ws = connect(&sb, Some(&user)).await;
    let mut f = b"0718bigbutok00{\"Token\":\"".to_vec();
    f.resize(16 * 1024 * 1024 - 2, b'x');
    f.extend_from_slice(b"\"}");
    ws.send_raw(f).await;
    let a = ws.recv().await;
    assert_eq!((a.id.as_str(), a.status), ("bigbutok00", 401));
}

#[tokio::test]
async fn the_socket_over_https() {
    let pki = TestPki::generate().unwrap();
    let sb = Sandbox::start(Config { tls: Some(pki.localhost.clone()), ..Config::default() }).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(pki.ca_pem.as_bytes()).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(sb.addr()).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let url = format!("wss://localhost:{}/", sb.addr().port());
    let (ws, resp) = tokio_tungstenite::client_async(upgrade_request(&url, Some(&user)), tls).await.unwrap();
    assert_eq!(resp.headers().get("sec-websocket-protocol").unwrap(), "json");
    let mut ws = Ws { ws };
    let mid = create_measurement_tls(&sb, &pki.ca_pem, &user);
    assert_eq!(ws.call("0510", "subscribe0", &subscribe(&mid, "results000")).await.status, 200);
    let a = ws.call("0506", "first00000", &chunk(&mid, "FIRST::PROCESS", "é".as_bytes(), Some(0))).await;
    assert_eq!(a.body, json!({"ID": mid, "ChunkOrder": 0}));
    assert_eq!(ws.recv().await.body, expected_result(&mid, 0, "é".as_bytes()));
    assert_eq!(sb.socket_stats().opened, 1);
}

/// `POST measurements` over https (rustls, blocking; the sandbox runs on
/// its own thread) → the new ID.
fn create_measurement_tls(sb: &Sandbox, ca_pem: &str, user: &str) -> String {
    use std::io::{Read, Write};
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = std::net::TcpStream::connect(sb.addr()).unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let body = json!({"StudyID": dfx_sandbox::SANDBOX_STUDY_ID, "Resolution": 0}).to_string();
    let head = format!(
        "POST /measurements HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer {user}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).unwrap();
    tls.write_all(body.as_bytes()).unwrap();
    let mut text = String::new();
    let _ = tls.read_to_string(&mut text);
    let json_start = text.find("\r\n\r\n").expect("a response") + 4;
    let v: serde_json::Value = serde_json::from_str(&text[json_start..]).unwrap();
    v["ID"].as_str().unwrap_or_else(|| panic!("{text}")).to_owned()
}
