//! Opening the measurement socket: its URL (the base URL with a `ws`
//! scheme), the connection (the HTTP calls' connect budget and TLS), and
//! the upgrade (`Authorization` header, the `json` subprotocol).
//!
//! The upgrade (RFC 6455 section 4.1) is done here, then tungstenite frames
//! the socket. It is tungstenite's client handshake (0.30) rewritten
//! without its `http` types: the same request bytes, the same checks of the
//! answer in the same order, the same limits, the same failures; only the
//! key's randomness comes from ring instead of rand. Its `handshake`
//! feature would link the `http` crate, SHA-1 and data-encoding for this
//! alone (~100 KiB of the size-tuned library).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::WebSocketStream;
use url::Url;

use crate::client::Client;
use crate::error::Error;
use crate::transport::{Io, USER_AGENT_VALUE};

/// An open, upgraded socket.
pub(crate) type Socket = WebSocketStream<Io>;

/// Largest frame accepted from the server: results are a few KiB, and a
/// broken or hostile server must not grow one until the host runs out.
const MAX_FRAME: usize = 16 << 20;

/// The socket's read buffer (it grows for a larger frame).
const READ_BUFFER: usize = 8 << 10;

/// The socket URL for a base URL: `https` → `wss`, `http` → `ws`, the same
/// host, port and path (no trailing `/` unless the path is the root). Not
/// the JavaScript client's "drop the last character", which eats a real
/// character of a base URL with a path.
pub(crate) fn socket_url(base: &Url) -> String {
    let scheme = if base.scheme() == "https" { "wss" } else { "ws" };
    let host = base.host_str().unwrap_or_default();
    let port = base.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = base.path().trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    format!("{scheme}://{host}{port}{path}")
}

/// Why no socket could be opened.
pub(crate) enum OpenError {
    /// The server answered the upgrade with an HTTP status other than 101
    /// (a proxy or network that refuses sockets, or a server without
    /// them): the stream may use HTTP instead.
    Refused(u16),
    /// Anything else (connect, TLS, timeout, a broken handshake).
    Failed(Error),
}

/// Connect and upgrade, authenticated by `token` (none when empty), within
/// `limit` for the whole (connect has its own 10 s budget inside it).
pub(crate) async fn open(client: &Client, token: &str, limit: Option<Duration>) -> Result<Socket, OpenError> {
    let work = async {
        let io = client.transport().connect_io().await.map_err(OpenError::Failed)?;
        let key = new_key().map_err(OpenError::Failed)?;
        let request = upgrade_request(client.transport().base(), &key, token).map_err(OpenError::Failed)?;
        let (io, rest) = upgrade(io, &request, &accept_key(&key)).await.map_err(|e| match e {
            Upgrade::Refused(status) => OpenError::Refused(status),
            e => OpenError::Failed(e.into()),
        })?;
        let mut config = WebSocketConfig::default();
        config.max_message_size = Some(MAX_FRAME);
        config.max_frame_size = Some(MAX_FRAME);
        // What the server sends is small (answers, results of a few KiB):
        // tungstenite's default 128 KiB read buffer per socket was most of
        // an open stream's memory (bench/stream.sh: 140 -> see README).
        config.read_buffer_size = READ_BUFFER;
        Ok(WebSocketStream::from_partially_read(io, rest, Role::Client, Some(config)).await)
    };
    match limit {
        None => work.await,
        Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
            Err(OpenError::Failed(Error::ConnectTimeout("the measurement socket was not open in time".into())))
        }),
    }
}

/// A `Sec-WebSocket-Key`: 16 random bytes in base64.
fn new_key() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| Error::Internal("the system's random source failed".into()))?;
    Ok(BASE64.encode(bytes))
}

/// The `Sec-WebSocket-Accept` a server must answer to `key`.
fn accept_key(key: &str) -> String {
    const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    BASE64.encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, format!("{key}{GUID}").as_bytes()))
}

/// A byte an HTTP header value may not hold (as http's `HeaderValue`
/// rules it): a control character other than tab.
fn not_in_header_value(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// The upgrade request, byte for byte what tungstenite 0.30 wrote for the
/// request dfx gave it: its five headers first, then the others in the
/// order its header map had left them (lower case but the
/// subprotocol's), `authorization` only with a token.
fn upgrade_request(base: &Url, key: &str, token: &str) -> Result<Vec<u8>, Error> {
    // `Bearer {token}` must be a header value (as `HeaderValue::from_str`):
    // no control character but tab.
    if token.bytes().any(not_in_header_value) {
        return Err(Error::InvalidArgument(
            "the session's token contains characters not allowed in an HTTP header".into(),
        ));
    }
    let url = socket_url(base);
    // The URL's authority (`Host`) and path; socket_url made both.
    let after_scheme = &url[url.find("://").map_or(0, |i| i + 3)..];
    let (host, path) = after_scheme.split_at(after_scheme.find('/').unwrap_or(after_scheme.len()));
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n"
    );
    if !token.is_empty() {
        request.push_str("authorization: Bearer ");
        request.push_str(token);
        request.push_str("\r\n");
    }
    request.push_str("user-agent: ");
    request.push_str(USER_AGENT_VALUE);
    request.push_str("\r\nSec-WebSocket-Protocol: json\r\n\r\n");
    Ok(request.into_bytes())
}

/// Why an upgrade failed.
#[derive(Debug, PartialEq)]
enum Upgrade {
    /// The server answered with this status instead of 101.
    Refused(u16),
    /// Writing or reading failed.
    Io(std::io::ErrorKind),
    /// The answer breaks RFC 6455 (tungstenite's words for each case).
    Invalid(&'static str),
    /// The answer is not an HTTP head.
    Httparse(httparse::Error),
    /// Too many headers or too much of them, a header value or status
    /// code out of range.
    Other,
}

impl From<Upgrade> for Error {
    fn from(e: Upgrade) -> Error {
        match e {
            Upgrade::Io(kind) => Error::ConnectionLost(format!("the socket upgrade failed: {kind}")),
            Upgrade::Invalid(why) => Error::Transport(format!("the server's socket upgrade is not valid: {why}")),
            Upgrade::Httparse(e) => {
                Error::Transport(format!("the server's socket upgrade is not valid: httparse error: {e}"))
            }
            Upgrade::Refused(_) | Upgrade::Other => Error::Transport("the socket upgrade failed".into()),
        }
    }
}

/// Send `request`, read the answer's head and check it (tungstenite's
/// `ClientHandshake`: 4 KiB reads, its attack limits, 124 headers at
/// most). The bytes read past the head are the socket's first.
async fn upgrade<S>(mut io: S, request: &[u8], accept: &str) -> Result<(S, Vec<u8>), Upgrade>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    io.write_all(request).await.map_err(|e| Upgrade::Io(e.kind()))?;
    io.flush().await.map_err(|e| Upgrade::Io(e.kind()))?;
    let mut buf = Vec::new();
    let (mut reads, mut bytes) = (0usize, 0usize);
    loop {
        let at = buf.len();
        buf.resize(at + 4096, 0);
        let n = io.read(&mut buf[at..]).await.map_err(|e| Upgrade::Io(e.kind()))?;
        buf.truncate(at + n);
        if n == 0 {
            return Err(Upgrade::Invalid("Handshake not finished"));
        }
        // tungstenite's AttackCheck.
        reads += 1;
        bytes += n;
        if bytes > 65536 || reads > 512 || (reads > 64 && reads * 128 > bytes) {
            return Err(Upgrade::Other);
        }
        if let Some(head) = check_answer(&buf, accept)? {
            let rest = buf.split_off(head);
            return Ok((io, rest));
        }
    }
}

/// The answer's head, if `buf` holds all of it: its length when it accepts
/// the upgrade, else why not.
fn check_answer(buf: &[u8], accept: &str) -> Result<Option<usize>, Upgrade> {
    let mut headers = [httparse::EMPTY_HEADER; 124];
    let mut answer = httparse::Response::new(&mut headers);
    let head = match answer.parse(buf) {
        Ok(httparse::Status::Complete(head)) => head,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(Upgrade::Other),
        Err(e) => return Err(Upgrade::Httparse(e)),
    };
    if answer.version.unwrap_or(0) < 1 {
        return Err(Upgrade::Invalid("HTTP version must be 1.1 or higher"));
    }
    // As http's HeaderValue and StatusCode take them.
    if answer.headers.iter().any(|h| h.value.iter().copied().any(not_in_header_value)) {
        return Err(Upgrade::Other);
    }
    let status = answer.code.unwrap_or(0);
    if status < 100 {
        return Err(Upgrade::Other);
    }
    if status != 101 {
        return Err(Upgrade::Refused(status));
    }
    // The first header of each name, as text (visible ASCII and tab).
    let header = |name: &str| answer.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value);
    let text = |value: &[u8]| -> Option<String> {
        value.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b)).then(|| String::from_utf8_lossy(value).into_owned())
    };
    if !header("Upgrade").and_then(text).is_some_and(|v| v.eq_ignore_ascii_case("websocket")) {
        return Err(Upgrade::Invalid("No \"Upgrade: websocket\" header"));
    }
    if !header("Connection").and_then(text).is_some_and(|v| v.eq_ignore_ascii_case("Upgrade")) {
        return Err(Upgrade::Invalid("No \"Connection: upgrade\" header"));
    }
    if header("Sec-WebSocket-Accept") != Some(accept.as_bytes()) {
        return Err(Upgrade::Invalid("Key mismatch in \"Sec-WebSocket-Accept\" header"));
    }
    match header("Sec-WebSocket-Protocol") {
        None => Err(Upgrade::Invalid("SubProtocol error: Server sent no subprotocol")),
        Some(value) => match text(value) {
            None => Err(Upgrade::Other),
            Some(v) if v == "json" => Ok(Some(head)),
            Some(_) => Err(Upgrade::Invalid("SubProtocol error: Server sent an invalid subprotocol")),
        },
    }
}

/// What a failure on an open socket is.
pub(crate) fn socket_failure(e: &WsError) -> Error {
    match e {
        WsError::ConnectionClosed | WsError::AlreadyClosed => Error::ConnectionLost("the measurement socket closed".into()),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            Error::ConnectionLost("the measurement socket was cut (no closing handshake)".into())
        }
        WsError::Io(io) => Error::ConnectionLost(format!("the measurement socket failed: {}", io.kind())),
        WsError::Capacity(_) => Error::Transport(format!("the server sent a frame over {} MiB", MAX_FRAME >> 20)),
        WsError::Protocol(p) => Error::Transport(format!("the server broke the WebSocket protocol: {p}")),
        _ => Error::Transport("the measurement socket failed".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The upgrade as dfx did it before (tungstenite's client handshake,
    /// its `handshake` feature on in test builds through the sandbox), with
    /// its outcome in the same words; for the comparisons below.
    async fn tungstenite_upgrade<S>(io: S, url: &str, token: &str) -> Result<WebSocketStream<S>, String>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        use tokio_tungstenite::tungstenite::http::HeaderValue;
        let mut request = url.into_client_request().unwrap();
        let headers = request.headers_mut();
        headers.insert("Sec-WebSocket-Protocol", HeaderValue::from_static("json"));
        headers.insert("User-Agent", HeaderValue::from_static(USER_AGENT_VALUE));
        if !token.is_empty() {
            headers.insert("Authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        }
        match tokio_tungstenite::client_async_with_config(request, io, None).await {
            Ok((socket, _)) => Ok(socket),
            Err(WsError::Http(answer)) => Err(format!("refused {}", answer.status().as_u16())),
            Err(WsError::Io(io)) => Err(Error::ConnectionLost(format!("the socket upgrade failed: {}", io.kind())).to_string()),
            Err(WsError::Protocol(p)) => Err(Error::Transport(format!("the server's socket upgrade is not valid: {p}")).to_string()),
            Err(_) => Err(Error::Transport("the socket upgrade failed".into()).to_string()),
        }
    }

    async fn dfx_upgrade<S>(io: S, url: &str, token: &str) -> Result<WebSocketStream<S>, String>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let key = new_key().unwrap();
        let request = upgrade_request(&Url::parse(url).unwrap(), &key, token).unwrap();
        match upgrade(io, &request, &accept_key(&key)).await {
            Ok((io, rest)) => Ok(WebSocketStream::from_partially_read(io, rest, Role::Client, None).await),
            Err(Upgrade::Refused(status)) => Err(format!("refused {status}")),
            Err(e) => Err(Error::from(e).to_string()),
        }
    }

    /// What a client makes of `answer` (`{ACCEPT}` replaced by the right
    /// `Sec-WebSocket-Accept` for its key), sent as its first `first` bytes
    /// (none when 0) and then in pieces of `piece` bytes, each read on its
    /// own: the server's view of the request, and the outcome (the first
    /// message on the socket when it opened).
    async fn against(answer: &[u8], first: usize, piece: usize, dfx: bool) -> (String, Result<String, String>) {
        let (client, mut server) = tokio::io::duplex(1 << 20);
        let answer = answer.to_vec();
        let server = tokio::spawn(async move {
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0u8];
                if server.read(&mut byte).await.unwrap() == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            let head = String::from_utf8(head).unwrap();
            let key = head.split("Sec-WebSocket-Key: ").nth(1).unwrap().split("\r\n").next().unwrap().to_owned();
            let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
            let answer = match answer.windows(8).position(|w| w == b"{ACCEPT}") {
                Some(at) => [&answer[..at], accept.as_bytes(), &answer[at + 8..]].concat(),
                None => answer,
            };
            let (lead, tail) = answer.split_at(first.min(answer.len()));
            for chunk in std::iter::once(lead).filter(|l| !l.is_empty()).chain(tail.chunks(piece)) {
                if server.write_all(chunk).await.is_err() {
                    break;
                }
                tokio::task::yield_now().await;
            }
            // The answer ends here; the server's side stays open until the
            // client is done.
            let _ = server.shutdown().await;
            let mut rest = Vec::new();
            let _ = server.read_to_end(&mut rest).await;
            head.replace(&key, "KEY")
        });
        let url = "http://api.example.com:8080/v2";
        let outcome = if dfx {
            dfx_upgrade(client, url, "tok").await
        } else {
            tungstenite_upgrade(client, &socket_url(&Url::parse(url).unwrap()), "tok").await
        };
        let outcome = match outcome {
            Ok(mut socket) => {
                use futures_util::StreamExt;
                let first = socket.next().await;
                drop(socket);
                Ok(format!("{first:?}"))
            }
            Err(e) => Err(e),
        };
        (server.await.unwrap(), outcome)
    }

    #[tokio::test]
    async fn the_upgrade_is_tungstenites() {
        const OK: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                          Sec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Protocol: json\r\n\r\n";
        let frame = b"\x81\x02hi";
        let with_frame = [OK.as_bytes(), frame].concat();
        let many_headers = format!("HTTP/1.1 101 OK\r\n{}\r\n", "X-A: b\r\n".repeat(125));
        let long_header = format!("HTTP/1.1 101 OK\r\nX-A: {}\r\n\r\n", "b".repeat(70_000));
        let answers: Vec<Vec<u8>> = vec![
            OK.into(),
            with_frame.clone(),
            OK.replace("Upgrade: websocket", "upgrade: WebSocket").replace("Connection: Upgrade", "CONNECTION: upgrade").into(),
            OK.replace("Connection: Upgrade", "Connection: keep-alive, Upgrade").into(),
            OK.replace("Upgrade: websocket\r\n", "").into(),
            OK.replace("Upgrade: websocket", "Upgrade: h2c\r\nUpgrade: websocket").into(),
            OK.replace("Connection: Upgrade\r\n", "").into(),
            OK.replace("{ACCEPT}", "dGhlIHNhbXBsZSBub25jZQ==").into(),
            OK.replace("Sec-WebSocket-Accept: {ACCEPT}\r\n", "").into(),
            OK.replace("Sec-WebSocket-Protocol: json\r\n", "").into(),
            OK.replace("Protocol: json", "Protocol: chat").into(),
            OK.replace("Protocol: json", "Protocol: json, chat").into(),
            OK.replace("Protocol: json", "Protocol: JSON").into(),
            OK.replace("Protocol: json", "Protocol: json ").into(),
            OK.replace("Protocol: json", "Protocol: jsé").into(),
            OK.replace("Upgrade: websocket", "Upgrade: websocket\x01").into(),
            [&b"HTTP/1.1 101 OK\r\nUpgrade: websocket\xff\r\n"[..], &OK.as_bytes()[34..]].concat(),
            OK.replace("HTTP/1.1", "HTTP/1.0").into(),
            OK.replace("101 Switching Protocols", "099 Nope").into(),
            b"HTTP/1.1 100 Continue\r\n\r\n".to_vec(),
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy".to_vec(),
            b"HTTP/1.0 503 Service Unavailable\r\n\r\n".to_vec(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec(),
            b"HTTP/1.1 301 Moved\r\nLocation: /x\r\n\r\n".to_vec(),
            b"HELLO WORLD\r\n\r\n".to_vec(),
            b"HTTP/1.1 101 Switching".to_vec(),
            Vec::new(),
            many_headers.into(),
            long_header.into(),
        ];
        for answer in &answers {
            // One byte per read trips the read-count limits of tungstenite's
            // AttackCheck (more than 64 reads, under 128 bytes a read).
            for piece in [1 << 20, 7, 1] {
                let theirs = against(answer, 0, piece, false).await;
                let ours = against(answer, 0, piece, true).await;
                assert_eq!(ours, theirs, "{:?} in pieces of {piece}", String::from_utf8_lossy(answer));
            }
        }
        // The attack limits at their edges, as tungstenite draws them, on
        // valid heads padded to `total` bytes (the accept key that replaces
        // {ACCEPT} is 20 bytes longer), each read on its own:
        let padded = |total: usize| {
            let padding = total - (OK.len() + 20) - "X-A: \r\n".len();
            OK.replacen("\r\n", &format!("\r\nX-A: {}\r\n", "b".repeat(padding)), 1)
        };
        let cases = [
            // more than 64 reads of under 128 bytes each: 64 reads pass, 65
            // do not (a 1,000-byte head: its last 63 or 64 bytes one a read);
            (1_000, 1_000 - 63, 1, true),
            (1_000, 1_000 - 64, 1, false),
            // 65 reads of 128 bytes exactly pass; one byte fewer does not;
            (65 * 128, 0, 128, true),
            (65 * 128 - 1, 0, 128, false),
            // 512 reads of 128 bytes, 65,536 in all, pass (the 512-read limit
            // acts only there); one byte more, or more in all, do not.
            (65_536, 0, 128, true),
            (65_537, 0, 128, false),
            (65_536, 0, 4096, true),
            (65_537, 0, 4096, false),
        ];
        for (total, first, piece, opens) in cases {
            let head = padded(total);
            assert_eq!(head.len() + 20, total);
            let theirs = against(head.as_bytes(), first, piece, false).await;
            let ours = against(head.as_bytes(), first, piece, true).await;
            assert_eq!(ours, theirs, "a head of {total} bytes, {first} then pieces of {piece}");
            assert_eq!(ours.1.is_ok(), opens, "a head of {total} bytes, {first} then pieces of {piece}: {:?}", ours.1);
        }
        // And it did connect, and read the frame that came with the head.
        let (request, outcome) = against(&with_frame, 0, 1 << 20, true).await;
        assert!(outcome.unwrap().contains("hi"));
        assert!(request.starts_with("GET /v2 HTTP/1.1\r\nHost: api.example.com:8080\r\n"), "{request}");
    }

    #[test]
    fn accept_keys_are_rfc_6455s() {
        // RFC 6455 section 1.3's example.
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        for _ in 0..100 {
            let key = new_key().unwrap();
            assert_eq!(BASE64.decode(&key).unwrap().len(), 16);
            assert_eq!(accept_key(&key), tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes()));
        }
    }

    #[test]
    fn the_request_is_tungstenites_and_a_bad_token_is_refused() {
        let base = Url::parse("https://[::1]:9443/a/b/").unwrap();
        let request = String::from_utf8(upgrade_request(&base, "KEY", "t\tok").unwrap()).unwrap();
        assert_eq!(
            request,
            format!(
                "GET /a/b HTTP/1.1\r\nHost: [::1]:9443\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
                 Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: KEY\r\nauthorization: Bearer t\tok\r\n\
                 user-agent: {USER_AGENT_VALUE}\r\nSec-WebSocket-Protocol: json\r\n\r\n"
            )
        );
        for bad in ["a\nb", "a\rb", "a\u{7f}", "\0", "a\u{1f}b"] {
            assert!(matches!(upgrade_request(&base, "KEY", bad), Err(Error::InvalidArgument(_))), "{bad:?}");
        }
        // Non-ASCII passes, as it did through `HeaderValue::from_str`; so do
        // the edges of the allowed range (space, `~`).
        for good in ["é", "a b", "~"] {
            assert!(upgrade_request(&base, "KEY", good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn socket_url_is_the_base_url_with_a_ws_scheme() {
        let u = |s: &str| socket_url(&Url::parse(s).unwrap());
        assert_eq!(u("https://api.deepaffex.ai"), "wss://api.deepaffex.ai/");
        assert_eq!(u("https://api.deepaffex.ai/"), "wss://api.deepaffex.ai/");
        assert_eq!(u("https://api.deepaffex.ai:9443"), "wss://api.deepaffex.ai:9443/");
        // A path keeps every character (the JavaScript defect drops one).
        assert_eq!(u("https://example.com/dfx"), "wss://example.com/dfx");
        assert_eq!(u("https://example.com/dfx/"), "wss://example.com/dfx");
        assert_eq!(u("http://127.0.0.1:8080"), "ws://127.0.0.1:8080/");
        assert_eq!(u("http://[::1]:9000/a/b"), "ws://[::1]:9000/a/b");
    }
}
