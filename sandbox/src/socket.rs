//! The cloud's WebSocket endpoint inside the hyper server: the upgrade (any
//! path; a GET with `Upgrade: websocket`), its refusals, and the connection
//! loop (frames in, answers and pushed results out, the drop fault). What
//! each action does is in `socket_actions.rs`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::error::Error as WsError;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::api::{bearer_error, bearer_token};
use crate::record::RecordedRequest;
use crate::reply::{Reply, JSON};
use crate::server::OutBody;
use crate::socket_actions::Conn;
use crate::stream_stats::SocketCounters;
use crate::tokens::Identity;
use crate::State;

/// Largest message (and frame) a socket accepts; a larger one closes the
/// socket with 1009 and counts as malformed.
pub(crate) const MAX_MESSAGE: usize = 16 << 20;

/// The subprotocol the reference clients ask for.
const SUBPROTOCOL: &str = "json";

/// Sockets get numbers (for their subscriptions) from here.
static NEXT_SOCKET: AtomicU64 = AtomicU64::new(1);

/// A GET asking for `Upgrade: websocket` (wherever it lands).
pub(crate) fn is_upgrade(req: &Request<Incoming>) -> bool {
    req.method() == Method::GET && has_token(req.headers(), UPGRADE.as_str(), "websocket")
}

/// Whether a comma-separated header holds `token` (ASCII case-insensitive).
fn has_token(headers: &HeaderMap, name: &str, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Answers an upgrade request: `Ok` is the 101 (the socket then runs on its
/// own task), `Err` the refusal, in this order: a refuse fault (its status
/// and body); no `Sec-WebSocket-Key` → 400 `BAD_UPGRADE`; a version other
/// than 13 → 426 `BAD_UPGRADE`; an `Authorization` header that is not a
/// live token → 401 `INVALID_TOKEN` / `TOKEN_EXPIRED` (as over HTTP).
pub(crate) fn upgrade(
    state: &Arc<State>,
    mut req: Request<Incoming>,
    recorded: &RecordedRequest,
) -> Result<Response<OutBody>, Reply> {
    let refused = |reply: Reply| {
        SocketCounters::bump(&state.sockets.refused);
        Err(reply)
    };
    if let Some((status, body)) = state.stream_faults.take_refusal() {
        return refused(Reply { status, content_type: Some(JSON.to_owned()), headers: Vec::new(), body: body.into() });
    }
    let headers = req.headers();
    let Some(key) = headers.get(SEC_WEBSOCKET_KEY).map(|k| k.as_bytes().to_vec()) else {
        return refused(Reply::error(400, "BAD_UPGRADE", "A WebSocket upgrade needs Sec-WebSocket-Key"));
    };
    if headers.get(SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes) != Some(b"13") {
        let r = Reply::error(426, "BAD_UPGRADE", "Only WebSocket version 13 is spoken here");
        return refused(r.with_header("Sec-WebSocket-Version", "13"));
    }
    let who: Option<Identity> = match bearer_token(recorded) {
        Err(reply) => return refused(reply),
        Ok(None) => None,
        Ok(Some(token)) => match state.tokens.bearer(token) {
            Ok(who) => Some(who),
            Err(e) => return refused(bearer_error(e)),
        },
    };
    let json_offered = has_token(headers, SEC_WEBSOCKET_PROTOCOL.as_str(), SUBPROTOCOL);

    let mut resp = Response::new(OutBody::Full(None));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(SEC_WEBSOCKET_ACCEPT, HeaderValue::from_str(&derive_accept_key(&key)).expect("base64 is a valid header"));
    if json_offered {
        h.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(SUBPROTOCOL));
    }

    SocketCounters::bump(&state.sockets.opened);
    let drop_after = state.stream_faults.take_drop();
    let state = state.clone();
    tokio::spawn(async move {
        // Resolves once hyper has sent the 101 and handed the connection over.
        if let Ok(upgraded) = hyper::upgrade::on(&mut req).await {
            run(state, TokioIo::new(upgraded), who, drop_after).await;
        }
    });
    Ok(resp)
}

/// One socket, until the peer closes it, an error, or the drop fault.
/// Answers go out in the order the frames came; pushed results are sent
/// between frames (so a chunk's answer precedes its result on this socket).
async fn run<S>(state: Arc<State>, io: S, who: Option<Identity>, drop_after: Option<u32>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let config = WebSocketConfig::default().max_message_size(Some(MAX_MESSAGE)).max_frame_size(Some(MAX_MESSAGE));
    let mut ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let (tx, mut pushed) = mpsc::unbounded_channel::<Vec<u8>>();
    let mut conn = Conn { state: state.clone(), socket: NEXT_SOCKET.fetch_add(1, Ordering::Relaxed), who, tx };
    let mut frames: u32 = 0;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let data: Vec<u8> = match msg {
                    None => break,
                    Some(Ok(Message::Binary(b))) => b.into(),
                    Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
                    // Ping: tungstenite queues the pong; Close: its answer.
                    // Both go out on the next read.
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        if matches!(e, WsError::Capacity(_) | WsError::Utf8(_)) {
                            SocketCounters::bump(&state.sockets.malformed_frames);
                            let code = if matches!(e, WsError::Capacity(_)) { CloseCode::Size } else { CloseCode::Invalid };
                            let close = ws.close(Some(CloseFrame { code, reason: "".into() }));
                            let _ = tokio::time::timeout(Duration::from_secs(1), close).await;
                        }
                        break;
                    }
                };
                frames = frames.saturating_add(1);
                SocketCounters::bump(&state.sockets.frames);
                let answer = conn.answer(&data);
                if drop_after.is_some_and(|n| frames >= n) {
                    // The frame took effect; its answer is lost with the
                    // connection (no close frame: the TCP stream is dropped).
                    SocketCounters::bump(&state.sockets.dropped_by_fault);
                    if state.log {
                        eprintln!("dfx-sandbox: websocket dropped after {frames} frames (fault)");
                    }
                    return;
                }
                if let Some(frame) = answer {
                    if ws.send(Message::Binary(frame.into())).await.is_err() {
                        break;
                    }
                }
            }
            Some(frame) = pushed.recv() => {
                if ws.send(Message::Binary(frame.into())).await.is_err() {
                    break;
                }
            }
        }
    }
}
