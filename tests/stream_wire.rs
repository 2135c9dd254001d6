//! The measurement stream against a scripted WebSocket server: the exact
//! frames dfx sends (websocket.json's layout, UTF-8 JSON, base64 of the
//! raw bytes, ChunkOrder), what it does with answers it cannot read, and
//! that no message repeats the token.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine;
use dfx::{ChunkPosition, Client, Event, MeasurementStream, SessionField};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const TOKEN: &str = "tok-secret-4711";

/// An event, owned, for assertions.
#[derive(Debug, PartialEq)]
enum Seen {
    Connected(bool, u32),
    Ack(u32),
    Result(u32, String),
    ChunkError(u32, String),
    End(Result<String, String>),
}

fn seen(event: Event<'_>) -> Seen {
    match event {
        Event::Connected { websocket, attempt } => Seen::Connected(websocket, attempt),
        Event::Ack { chunk } => Seen::Ack(chunk),
        Event::Result { chunk, json } => Seen::Result(chunk, json.to_owned()),
        Event::ChunkError { chunk, error } => Seen::ChunkError(chunk, error.to_string()),
        Event::End(end) => Seen::End(end.map(str::to_owned).map_err(|e| e.to_string())),
        other => panic!("unexpected event {other:?}"),
    }
}

/// A scripted server: the first `sockets` connections are WebSockets run
/// by `script`; any later one is HTTP and answers `measurements.retrieve`
/// with a COMPLETE measurement.
struct Server {
    addr: SocketAddr,
    /// Its tasks end when it drops.
    _rt: tokio::runtime::Runtime,
}

type Headers = Vec<(String, String)>;

impl Server {
    fn start<F, Fut>(sockets: usize, script: F) -> (Server, mpsc::Receiver<Headers>)
    where
        F: Fn(WebSocketStream<TcpStream>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        rt.spawn(async move {
            let mut n = 0;
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                n += 1;
                if n > sockets {
                    tokio::spawn(answer_http(tcp));
                    continue;
                }
                let tx = tx.clone();
                let callback = move |req: &Request, mut resp: Response| {
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    let _ = tx.send(headers);
                    resp.headers_mut().insert("Sec-WebSocket-Protocol", "json".parse().unwrap());
                    Ok(resp)
                };
                let ws = tokio_tungstenite::accept_hdr_async(tcp, callback).await.unwrap();
                tokio::spawn(script(ws));
            }
        });
        (Server { addr, _rt: rt }, rx)
    }

    fn client(&self) -> Client {
        let client = Client::new(Some(&format!("http://{}", self.addr))).unwrap();
        client.session().set(SessionField::UserToken, TOKEN).unwrap();
        client
    }
}

async fn answer_http(mut tcp: TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let body = r#"{"ID":"m","StatusID":"COMPLETE","Results":{"HR_BPM":[72]}}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.write_all(answer.as_bytes()).await;
}

/// The next frame's bytes (binary or text).
async fn next_frame(ws: &mut WebSocketStream<TcpStream>) -> Option<Vec<u8>> {
    loop {
        match ws.next().await? {
            Ok(Message::Binary(b)) => return Some(b.to_vec()),
            Ok(Message::Text(t)) => return Some(t.as_bytes().to_vec()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// A request frame split as websocket.json lays it out, checked.
fn split(frame: &[u8]) -> (String, String, Value) {
    assert!(frame.len() > 14, "frame too short: {frame:?}");
    let action = std::str::from_utf8(&frame[..4]).unwrap().to_owned();
    assert!(action.bytes().all(|b| b.is_ascii_digit()), "action {action:?}");
    let id = std::str::from_utf8(&frame[4..14]).unwrap().to_owned();
    assert_eq!(id.len(), 10);
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "id {id:?}");
    let payload = serde_json::from_slice(&frame[14..]).expect("the payload is UTF-8 JSON");
    (action, id, payload)
}

/// Answer the stream's login and subscription with 200; the results'
/// request id.
async fn accept_login_and_subscription(ws: &mut WebSocketStream<TcpStream>) -> String {
    let (_, login, _) = split(&next_frame(ws).await.unwrap());
    ws.send(reply(&login, 200, "{}")).await.unwrap();
    let (_, subscribe, payload) = split(&next_frame(ws).await.unwrap());
    ws.send(reply(&subscribe, 200, "{}")).await.unwrap();
    payload["RequestID"].as_str().unwrap().to_owned()
}

/// An answer to `id` whose status is not 3 digits.
fn unreadable_answer(id: &str) -> Message {
    Message::Binary(format!("{id}2x0{{}}").into_bytes().into())
}

fn reply(id: &str, status: u16, json: &str) -> Message {
    Message::Binary(format!("{id}{status:03}{json}").into_bytes().into())
}

fn collect(rx: &mpsc::Receiver<Seen>) -> Vec<Seen> {
    let mut events = Vec::new();
    loop {
        let event = rx.recv_timeout(Duration::from_secs(20)).expect("the stream ends in time");
        let end = matches!(event, Seen::End(_));
        events.push(event);
        if end {
            return events;
        }
    }
}

fn open(client: &Client, id: &str) -> (MeasurementStream, mpsc::Receiver<Seen>) {
    let (tx, rx) = mpsc::channel();
    let stream = MeasurementStream::open(client, id, Box::new(move |e| tx.send(seen(e)).unwrap())).unwrap();
    (stream, rx)
}

const MEASUREMENT: &str = "mé-✓-1";

#[test]
fn frames_follow_websocket_json_both_ways_in_utf8() {
    let (server, headers) = Server::start(1, |mut ws| async move {
        // 0718 login with the session's token.
        let (action, login, payload) = split(&next_frame(&mut ws).await.unwrap());
        assert_eq!(action, "0718");
        assert_eq!(payload, serde_json::json!({ "Token": TOKEN }));
        // Noise before the answer: a refusal under another id is not the
        // login's.
        ws.send(reply("ZZZZZZZZZZ", 401, r#"{"Code":"INVALID_TOKEN"}"#)).await.unwrap();
        ws.send(reply(&login, 200, "{}")).await.unwrap();
        // 0510 subscription: the measurement (non-ASCII, UTF-8) and a
        // 10-character RequestID of its own.
        let (action, subscribe, payload) = split(&next_frame(&mut ws).await.unwrap());
        assert_eq!(action, "0510");
        assert_eq!(payload["Params"]["ID"], MEASUREMENT);
        let results = payload["RequestID"].as_str().unwrap().to_owned();
        assert_eq!(results.len(), 10);
        assert_ne!(results, subscribe);
        ws.send(reply("YYYYYYYYYY", 404, r#"{"Code":"INVALID_MEASUREMENT"}"#)).await.unwrap();
        ws.send(reply(&subscribe, 200, "{}")).await.unwrap();
        // Noise: too short, an unknown id, a result that names no chunk.
        ws.send(Message::Binary(b"abc".to_vec().into())).await.unwrap();
        ws.send(Message::Binary(b"XXXXXXXXXX2x0{}".to_vec().into())).await.unwrap();
        ws.send(reply("ZZZZZZZZZZ", 200, "{}")).await.unwrap();
        ws.send(reply(&results, 200, r#"{"Nope":1}"#)).await.unwrap();
        // Two chunks: base64 of the raw bytes, their order, the action.
        let mut ids = Vec::new();
        for (order, action_text, bytes) in [(0u64, "FIRST::PROCESS", vec![0u8, 255, 10, 13, 0]), (1, "LAST::PROCESS", vec![7u8; 3])] {
            let (action, id, payload) = split(&next_frame(&mut ws).await.unwrap());
            assert_eq!(action, "0506");
            assert_eq!(payload["Params"]["ID"], MEASUREMENT);
            assert_eq!(payload["Action"], action_text);
            assert_eq!(payload["ChunkOrder"], order);
            let sent = base64::engine::general_purpose::STANDARD.decode(payload["Payload"].as_str().unwrap()).unwrap();
            assert_eq!(sent, bytes);
            ws.send(reply(&id, 200, &format!(r#"{{"ID":"{MEASUREMENT}","ChunkOrder":{order}}}"#))).await.unwrap();
            let result = format!(r#"{{"MeasurementDataID":"{MEASUREMENT}:{order}","Notes":"日本語 é ✓","Channels":{{}},"Multiplier":1000}}"#);
            ws.send(reply(&results, 200, &result)).await.unwrap();
            // Sent again (a replay after a reconnect, say): handed out once.
            ws.send(reply(&results, 200, &result)).await.unwrap();
            ids.push(id);
        }
        assert_ne!(ids[0], ids[1]);
        while next_frame(&mut ws).await.is_some() {}
    });
    let client = server.client();
    let (stream, rx) = open(&client, MEASUREMENT);
    stream.send_chunk(&[0, 255, 10, 13, 0], ChunkPosition::First).unwrap();
    stream.send_chunk(&[7, 7, 7], ChunkPosition::Last).unwrap();
    let events = collect(&rx);
    let result = |k: u32| {
        Seen::Result(k, format!(r#"{{"MeasurementDataID":"{MEASUREMENT}:{k}","Notes":"日本語 é ✓","Channels":{{}},"Multiplier":1000}}"#))
    };
    assert_eq!(
        events,
        vec![
            Seen::Connected(true, 1),
            Seen::Ack(0),
            result(0),
            Seen::Ack(1),
            result(1),
            Seen::End(Ok(r#"{"ID":"m","StatusID":"COMPLETE","Results":{"HR_BPM":[72]}}"#.into())),
        ]
    );
    let stats = stream.stats();
    assert_eq!(stats.dropped_frames, 6, "the noise is dropped and counted");
    assert!(stats.websocket);
    let headers = headers.recv().unwrap();
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    assert_eq!(header("authorization").as_deref(), Some(&*format!("Bearer {TOKEN}")));
    assert_eq!(header("sec-websocket-protocol").as_deref(), Some("json"));
    assert!(header("user-agent").unwrap().starts_with("dfx/"));
    assert!(stream.wait(Some(Duration::from_secs(5))));
}

#[test]
fn a_refused_login_ends_the_stream_without_the_token_in_any_message() {
    let (server, _) = Server::start(1, |mut ws| async move {
        let (_, login, _) = split(&next_frame(&mut ws).await.unwrap());
        let echo = format!(r#"{{"Code":"INVALID_TOKEN","Message":"this token is no good: {TOKEN}"}}"#);
        ws.send(reply(&login, 401, &echo)).await.unwrap();
        while next_frame(&mut ws).await.is_some() {}
    });
    let client = server.client();
    let (_stream, rx) = open(&client, "m");
    let events = collect(&rx);
    let Some(Seen::End(Err(message))) = events.last() else { panic!("{events:?}") };
    assert!(message.contains("401") && message.contains("INVALID_TOKEN"), "{message}");
    assert!(!message.contains(TOKEN), "the token leaked: {message}");
}

#[test]
fn an_unreadable_answer_to_a_chunk_is_that_chunks_error() {
    let (server, _) = Server::start(1, |mut ws| async move {
        accept_login_and_subscription(&mut ws).await;
        let (_, id, _) = split(&next_frame(&mut ws).await.unwrap());
        ws.send(unreadable_answer(&id)).await.unwrap();
        while next_frame(&mut ws).await.is_some() {}
    });
    let client = server.client();
    let (stream, rx) = open(&client, "m");
    stream.send_chunk(b"x", ChunkPosition::First).unwrap();
    let events = collect(&rx);
    assert!(matches!(&events[1], Seen::ChunkError(0, m) if m.contains("malformed")), "{events:?}");
    assert!(matches!(&events[2], Seen::End(Err(m)) if m.contains("malformed")), "{events:?}");
}

#[test]
fn a_silent_server_is_given_up_on_after_five_sockets() {
    let (server, _) = Server::start(usize::MAX, |mut ws| async move {
        // Reads and never answers.
        while next_frame(&mut ws).await.is_some() {}
    });
    let client = server.client();
    client.set_timeout(Some(Duration::from_millis(200)));
    let (stream, rx) = open(&client, "m");
    let events = collect(&rx);
    // Five sockets opened; none got ready (no login answer), so no
    // CONNECTED event: only the end.
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(matches!(events.last(), Some(Seen::End(Err(m))) if m.contains("did not answer")), "{events:?}");
    assert_eq!(stream.stats().connections, 5);
}

#[test]
fn the_socket_url_keeps_the_base_path() {
    // A base URL with a path: the socket opens on that path, not on a
    // path missing its last character.
    let head = upgrade_request("/api/v2", None);
    assert!(head.starts_with("GET /api/v2 HTTP/1.1\r\n"), "{head}");
    assert!(head.to_ascii_lowercase().contains("upgrade: websocket"), "{head}");
}

/// The upgrade request dfx sends for a client of base URL
/// `http://HOST{base_path}`, as the server reads it (up to its blank line),
/// with the session's token or without one; the answer is a 404.
fn upgrade_request(base_path: &str, token: Option<&str>) -> String {
    let (tx, rx) = mpsc::channel();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        rt.block_on(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0u8];
                if tcp.read(&mut byte).await.unwrap() == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            tx.send(String::from_utf8(head).unwrap()).unwrap();
            let _ = tcp.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").await;
        })
    });
    let client = Client::new(Some(&format!("http://{addr}{base_path}"))).unwrap();
    if let Some(token) = token {
        client.session().set(SessionField::UserToken, token).unwrap();
    }
    let (_stream, _events) = open(&client, "m");
    let head = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    // The key: 16 random bytes in base64; the rest is fixed.
    let key = head.split("Sec-WebSocket-Key: ").nth(1).and_then(|k| k.split("\r\n").next()).unwrap().to_owned();
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(&key).unwrap().len(), 16, "{head}");
    head.replace(&key, "KEY").replace(&addr.to_string(), "HOST")
}

#[test]
fn the_upgrade_request_is_byte_for_byte_what_it_was() {
    // The header names' case and order are tungstenite's (the five
    // WebSocket headers first, then the others in the order its header map
    // left them): what dfx has always sent, which servers have seen.
    let ua = format!("user-agent: dfx/{}\r\n", dfx::VERSION);
    assert_eq!(
        upgrade_request("", Some(TOKEN)),
        format!(
            "GET / HTTP/1.1\r\nHost: HOST\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: KEY\r\nauthorization: Bearer {TOKEN}\r\n\
             {ua}Sec-WebSocket-Protocol: json\r\n\r\n"
        )
    );
    assert_eq!(
        upgrade_request("", None),
        format!(
            "GET / HTTP/1.1\r\nHost: HOST\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: KEY\r\n{ua}Sec-WebSocket-Protocol: json\r\n\r\n"
        )
    );
}

#[test]
fn sockets_dropped_while_idle_are_reopened_without_giving_up() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let sockets = Arc::new(AtomicUsize::new(0));
    let counter = sockets.clone();
    let (server, _) = Server::start(7, move |mut ws| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let (_, login, _) = split(&next_frame(&mut ws).await.unwrap());
            ws.send(reply(&login, 200, "{}")).await.unwrap();
            let (_, subscribe, payload) = split(&next_frame(&mut ws).await.unwrap());
            let results = payload["RequestID"].as_str().unwrap().to_owned();
            ws.send(reply(&subscribe, 200, "{}")).await.unwrap();
            if n <= 6 {
                // Idle: the caller has sent nothing yet. Drop it.
                return;
            }
            for order in 0..2 {
                let (_, id, _) = split(&next_frame(&mut ws).await.unwrap());
                ws.send(reply(&id, 200, "{}")).await.unwrap();
                ws.send(reply(&results, 200, &format!(r#"{{"ChunkOrder":{order}}}"#))).await.unwrap();
            }
            while next_frame(&mut ws).await.is_some() {}
        }
    });
    let client = server.client();
    let (stream, rx) = open(&client, "m");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while sockets.load(Ordering::SeqCst) < 7 {
        assert!(std::time::Instant::now() < deadline, "the stream stopped reopening its socket");
        std::thread::sleep(Duration::from_millis(10));
    }
    stream.send_chunk(b"a", ChunkPosition::First).unwrap();
    stream.send_chunk(b"b", ChunkPosition::Last).unwrap();
    let events = collect(&rx);
    assert_eq!(events.iter().filter(|e| matches!(e, Seen::Connected(true, _))).count(), 7, "{events:?}");
    assert!(matches!(events.last(), Some(Seen::End(Ok(_)))), "{events:?}");
    assert!(events.contains(&Seen::Result(1, r#"{"ChunkOrder":1}"#.into())));
}

#[test]
fn a_network_that_breaks_every_upgrade_gets_http() {
    // Every connection is cut right after the upgrade request arrives,
    // except the later HTTP ones, answered as the API would.
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let upgrades = Arc::new(AtomicUsize::new(0));
    let counted = upgrades.clone();
    rt.spawn(async move {
        loop {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = tcp.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
                if head.contains("upgrade: websocket") {
                    counted.fetch_add(1, Ordering::SeqCst);
                    return; // cut
                }
                let body = if head.starts_with("get ") { r#"{"StatusID":"COMPLETE"}"# } else { r#"{"ID":"m"}"# };
                let answer = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = tcp.write_all(answer.as_bytes()).await;
            });
        }
    });
    let client = Client::new(Some(&format!("http://{addr}"))).unwrap();
    client.session().set(SessionField::UserToken, TOKEN).unwrap();
    let (stream, rx) = open(&client, "m");
    stream.send_chunk(b"a", ChunkPosition::First).unwrap();
    stream.send_chunk(b"b", ChunkPosition::Last).unwrap();
    let events = collect(&rx);
    assert_eq!(
        events,
        [Seen::Connected(false, 1), Seen::Ack(0), Seen::Ack(1), Seen::End(Ok(r#"{"StatusID":"COMPLETE"}"#.into()))]
    );
    assert_eq!(upgrades.load(Ordering::SeqCst), 5);
    assert!(!stream.stats().websocket);
    drop(rt);
}

/// A server whose every socket logs in and subscribes, then does `then`.
fn misbehaving_after_subscribe<F, Fut>(then: F) -> Server
where
    F: Fn(WebSocketStream<TcpStream>, String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let then = std::sync::Arc::new(then);
    Server::start(usize::MAX, move |mut ws| {
        let then = then.clone();
        async move {
            let results = accept_login_and_subscription(&mut ws).await;
            then(ws, results).await;
        }
    })
    .0
}

/// A stream from `server` sends one chunk; the stream and the words its
/// failed end gave.
fn one_chunk_until_the_end(server: &Server) -> (MeasurementStream, String) {
    let client = server.client();
    let (stream, rx) = open(&client, "m");
    stream.send_chunk(b"x", ChunkPosition::First).unwrap();
    let events = collect(&rx);
    let Some(Seen::End(Err(message))) = events.last() else { panic!("{events:?}") };
    (stream, message.clone())
}

#[test]
fn a_frame_over_16_mib_is_refused_not_buffered() {
    let server = misbehaving_after_subscribe(|mut ws, results| async move {
        let _ = next_frame(&mut ws).await; // the chunk
        let huge = format!("{results}200{{\"Notes\":\"{}\"}}", "x".repeat(17 << 20));
        let _ = ws.send(Message::Binary(huge.into_bytes().into())).await;
        while next_frame(&mut ws).await.is_some() {}
    });
    let (stream, message) = one_chunk_until_the_end(&server);
    assert!(message.contains("over 16 MiB"), "{message}");
    assert_eq!(stream.stats().connections, 5);
}

#[test]
fn sockets_that_keep_dropping_with_a_chunk_in_flight_end_as_connection_lost() {
    let server = misbehaving_after_subscribe(|mut ws, _| async move {
        let _ = next_frame(&mut ws).await; // the chunk, never answered: gone
        drop(ws);
    });
    let (stream, message) = one_chunk_until_the_end(&server);
    assert!(message.starts_with("connection lost"), "{message}");
    assert_eq!(stream.stats().resent_chunks, 4, "sent once, then again on each of 4 more sockets");
}

#[test]
fn a_server_breaking_the_websocket_protocol_is_named_as_such() {
    let server = misbehaving_after_subscribe(|mut ws, _| async move {
        let _ = next_frame(&mut ws).await; // the chunk
        // A binary frame with reserved bits set, written under the library.
        let _ = ws.get_mut().write_all(&[0xf2, 0x00]).await;
        while next_frame(&mut ws).await.is_some() {}
    });
    let (_stream, message) = one_chunk_until_the_end(&server);
    assert!(message.contains("broke the WebSocket protocol"), "{message}");
}

#[test]
fn an_idle_stream_keeps_its_socket() {
    // The caller has sent nothing yet: nothing is awaited, so no time limit
    // runs (the client's timeout is short here), and the socket stays.
    let server = misbehaving_after_subscribe(|mut ws, _| async move { while next_frame(&mut ws).await.is_some() {} });
    let client = server.client();
    client.set_timeout(Some(Duration::from_millis(150)));
    let (stream, rx) = open(&client, "m");
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), Seen::Connected(true, 1));
    assert_eq!(rx.recv_timeout(Duration::from_millis(800)), Err(mpsc::RecvTimeoutError::Timeout));
    assert_eq!(stream.stats().connections, 1);
}

#[test]
fn results_that_never_come_do_not_hold_the_end() {
    // Every chunk acknowledged, no result ever: after the client's timeout
    // the stream reads the final results and ends.
    let server = Server::start(1, |mut ws| async move {
        accept_login_and_subscription(&mut ws).await;
        while let Some(frame) = next_frame(&mut ws).await {
            let (_, id, _) = split(&frame);
            ws.send(reply(&id, 200, "{}")).await.unwrap();
        }
    })
    .0;
    let client = server.client();
    client.set_timeout(Some(Duration::from_millis(300)));
    let (stream, rx) = open(&client, "m");
    stream.send_chunk(b"a", ChunkPosition::First).unwrap();
    stream.send_chunk(b"b", ChunkPosition::Last).unwrap();
    let events = collect(&rx);
    assert_eq!(events[..3], [Seen::Connected(true, 1), Seen::Ack(0), Seen::Ack(1)]);
    assert!(matches!(&events[3], Seen::End(Ok(json)) if json.contains("COMPLETE")), "{events:?}");
}

#[test]
fn a_server_that_drops_every_login_is_given_up_on() {
    // Sockets open and drop before the login is answered: never ready, so
    // each counts as a failure, and five end the stream.
    let (server, _) = Server::start(usize::MAX, |mut ws| async move {
        let _ = next_frame(&mut ws).await;
    });
    let client = server.client();
    let (stream, rx) = open(&client, "m");
    let events = collect(&rx);
    assert!(matches!(events.as_slice(), [Seen::End(Err(m))] if m.starts_with("connection lost")), "{events:?}");
    assert_eq!(stream.stats().connections, 5);
}

#[test]
fn an_unreadable_answer_to_the_login_ends_the_stream() {
    let (server, _) = Server::start(1, |mut ws| async move {
        let (_, login, _) = split(&next_frame(&mut ws).await.unwrap());
        ws.send(unreadable_answer(&login)).await.unwrap();
        while next_frame(&mut ws).await.is_some() {}
    });
    let client = server.client();
    let (_stream, rx) = open(&client, "m");
    let events = collect(&rx);
    assert!(matches!(events.as_slice(), [Seen::End(Err(m))] if m.contains("malformed")), "{events:?}");
}
