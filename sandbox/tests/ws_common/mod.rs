//! A WebSocket test client for the sandbox's socket (tokio-tungstenite's
//! client), with the frame layout written out here from websocket.json
//! (not the sandbox's own code), plus the HTTP steps of a measurement.

#![allow(dead_code)]

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use dfx_sandbox::{Sandbox, SANDBOX_STUDY_ID};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use crate::common::send;

/// How long a test waits for a frame it expects.
pub const WAIT: Duration = Duration::from_secs(5);

pub struct Ws<S> {
    pub ws: WebSocketStream<S>,
}

/// One parsed response frame: request id, status, JSON payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub id: String,
    pub status: u16,
    pub body: Value,
}

/// A client upgrade request for `url` with `Sec-WebSocket-Protocol: json`
/// and, if given, `Authorization: Bearer <token>`.
pub fn upgrade_request(
    url: &str,
    token: Option<&str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("json"));
    if let Some(t) = token {
        req.headers_mut().insert("Authorization", HeaderValue::from_str(&format!("Bearer {t}")).unwrap());
    }
    req
}

pub type Plain = tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>;

/// `ws://ADDR/` (the base URL with `http` → `ws`, path `/`).
pub fn ws_url(sb: &Sandbox) -> String {
    format!("{}/", sb.url().replacen("http", "ws", 1))
}

/// Connects; `Err` carries the refused upgrade's HTTP answer.
pub async fn try_connect(sb: &Sandbox, token: Option<&str>) -> Result<Ws<Plain>, WsError> {
    let (ws, _) = tokio_tungstenite::connect_async(upgrade_request(&ws_url(sb), token)).await?;
    Ok(Ws { ws })
}

pub async fn connect(sb: &Sandbox, token: Option<&str>) -> Ws<Plain> {
    try_connect(sb, token).await.expect("upgrade")
}

/// The status and JSON body of a refused upgrade.
pub fn refusal(e: WsError) -> (u16, Value) {
    match e {
        WsError::Http(resp) => {
            let body = resp.body().clone().unwrap_or_default();
            (resp.status().as_u16(), serde_json::from_slice(&body).unwrap_or(Value::Null))
        }
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

/// 4-digit action + 10-character id + UTF-8 JSON, as websocket.json lays it out.
pub fn request_frame(action: &str, id: &str, payload: &Value) -> Vec<u8> {
    assert_eq!((action.len(), id.len()), (4, 10));
    let mut f = format!("{action}{id}").into_bytes();
    f.extend_from_slice(payload.to_string().as_bytes());
    f
}

/// 10-character id + 3-digit status + UTF-8 JSON.
pub fn parse_answer(frame: &[u8]) -> Answer {
    assert!(frame.len() >= 13, "short answer {frame:?}");
    let id = std::str::from_utf8(&frame[..10]).expect("ASCII id").to_owned();
    let status = std::str::from_utf8(&frame[10..13]).expect("ASCII status").parse().expect("3 digits");
    let text = std::str::from_utf8(&frame[13..]).expect("UTF-8 payload");
    let body = serde_json::from_str(text).unwrap_or_else(|e| panic!("payload is not JSON ({e}): {text}"));
    Answer { id, status, body }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Ws<S> {
    pub async fn send_raw(&mut self, frame: Vec<u8>) {
        self.ws.send(Message::Binary(frame.into())).await.expect("send");
    }

    pub async fn send(&mut self, action: &str, id: &str, payload: &Value) {
        self.send_raw(request_frame(action, id, payload)).await;
    }

    /// The next binary frame (pings and pongs skipped); panics on anything else.
    pub async fn recv(&mut self) -> Answer {
        match self.next_frame(WAIT).await {
            Ok(Some(f)) => parse_answer(&f),
            other => panic!("expected an answer frame, got {other:?}"),
        }
    }

    /// `Ok(None)`: nothing within `wait`; `Err`: the socket ended (with the reason).
    pub async fn next_frame(&mut self, wait: Duration) -> Result<Option<Vec<u8>>, String> {
        loop {
            match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => return Ok(None),
                Ok(None) => return Err("end of stream".into()),
                Ok(Some(Err(e))) => return Err(format!("{e}")),
                Ok(Some(Ok(Message::Binary(b)))) => return Ok(Some(b.to_vec())),
                Ok(Some(Ok(Message::Text(t)))) => return Err(format!("a text frame: {t}")),
                Ok(Some(Ok(Message::Close(c)))) => return Err(format!("close frame {c:?}")),
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Sends one request and reads the next frame, which must answer it.
    pub async fn call(&mut self, action: &str, id: &str, payload: &Value) -> Answer {
        self.send(action, id, payload).await;
        let a = self.recv().await;
        assert_eq!(a.id, id, "answer to another request: {a:?}");
        a
    }

    /// Asserts that no frame arrives within `wait`.
    pub async fn quiet(&mut self, wait: Duration) {
        if let Ok(Some(f)) = self.next_frame(wait).await {
            panic!("unexpected frame {:?}", String::from_utf8_lossy(&f));
        }
    }
}

/// A `0506` payload.
pub fn chunk(mid: &str, action: &str, payload: &[u8], order: Option<u64>) -> Value {
    let mut v = json!({"Params": {"ID": mid}, "Action": action, "Payload": STANDARD.encode(payload)});
    if let Some(n) = order {
        v["ChunkOrder"] = json!(n);
    }
    v
}

/// A `0510` payload.
pub fn subscribe(mid: &str, rid: &str) -> Value {
    json!({"Params": {"ID": mid}, "RequestID": rid})
}

/// An HTTP call with a bearer (blocking; the sandbox runs on its own thread).
pub fn http(sb: &Sandbox, method: &str, path: &str, token: &str, body: Option<Value>) -> crate::common::Response {
    let auth = format!("Bearer {token}");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send(sb.addr(), method, path, &[("Authorization", &auth), ("Content-Type", "application/json")], body.as_bytes())
        .complete()
}

/// `POST measurements` on the seed study → its ID.
pub fn create_measurement(sb: &Sandbox, user: &str) -> String {
    let r = http(sb, "POST", "/measurements", user, Some(json!({"StudyID": SANDBOX_STUDY_ID, "Resolution": 0})));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["ID"].as_str().unwrap().to_owned()
}

/// `POST measurements/{id}/data`.
pub fn http_chunk(sb: &Sandbox, user: &str, mid: &str, action: &str, payload: &[u8], order: Option<u64>) -> crate::common::Response {
    let mut body = json!({"Action": action, "Payload": STANDARD.encode(payload)});
    if let Some(n) = order {
        body["ChunkOrder"] = json!(n);
    }
    http(sb, "POST", &format!("/measurements/{mid}/data"), user, Some(body))
}

/// The documented chunk result (sandbox/README.md), written out again.
pub fn expected_result(mid: &str, k: u64, payload: &[u8]) -> Value {
    let n = payload.len() as u64;
    let s: u64 = payload.iter().map(|b| *b as u64).sum();
    json!({
        "MeasurementID": mid,
        "MeasurementDataID": format!("{mid}:{k}"),
        "ChunkOrder": k,
        "Error": {"Code": "OK"},
        "Multiplier": 1000,
        "Channels": {
            "HR_BPM": {"Data": [(60 + (n + 7 * k) % 40) * 1000]},
            "MSI": {"Data": [(1 + (s + k) % 5) * 1000]},
            "BP_SYSTOLIC": {"Data": [(110 + (n + k) % 20) * 1000]},
            "BP_DIASTOLIC": {"Data": [(70 + (s + 3 * k) % 15) * 1000]},
        }
    })
}
