//! Opening the measurement socket: its URL (the base URL with a `ws`
//! scheme), the connection (the HTTP calls' connect budget and TLS), and
//! the upgrade (`Authorization` header, the `json` subprotocol).

use std::time::Duration;

use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::error::ProtocolError;
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
        let mut request = socket_url(client.transport().base())
            .into_client_request()
            .map_err(|_| OpenError::Failed(Error::InvalidUrl("the socket URL derived from the base URL is not valid".into())))?;
        let headers = request.headers_mut();
        headers.insert("Sec-WebSocket-Protocol", HeaderValue::from_static("json"));
        headers.insert("User-Agent", HeaderValue::from_static(USER_AGENT_VALUE));
        if !token.is_empty() {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                OpenError::Failed(Error::InvalidArgument(
                    "the session's token contains characters not allowed in an HTTP header".into(),
                ))
            })?;
            value.set_sensitive(true);
            headers.insert("Authorization", value);
        }
        let mut config = WebSocketConfig::default();
        config.max_message_size = Some(MAX_FRAME);
        config.max_frame_size = Some(MAX_FRAME);
        // What the server sends is small (answers, results of a few KiB):
        // tungstenite's default 128 KiB read buffer per socket was most of
        // an open stream's memory (bench/stream.sh: 140 -> see README).
        config.read_buffer_size = READ_BUFFER;
        match tokio_tungstenite::client_async_with_config(request, io, Some(config)).await {
            Ok((socket, _)) => Ok(socket),
            Err(WsError::Http(answer)) => Err(OpenError::Refused(answer.status().as_u16())),
            Err(e) => Err(OpenError::Failed(handshake_failure(&e))),
        }
    };
    match limit {
        None => work.await,
        Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
            Err(OpenError::Failed(Error::ConnectTimeout("the measurement socket was not open in time".into())))
        }),
    }
}

/// A failed upgrade in words that hold nothing the request carried.
fn handshake_failure(e: &WsError) -> Error {
    match e {
        WsError::Io(io) => Error::ConnectionLost(format!("the socket upgrade failed: {}", io.kind())),
        WsError::Protocol(p) => Error::Transport(format!("the server's socket upgrade is not valid: {p}")),
        _ => Error::Transport("the socket upgrade failed".into()),
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
    use super::socket_url;
    use url::Url;

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
