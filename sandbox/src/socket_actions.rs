//! What the socket answers to each request frame: `0718` (log in with a
//! token), `0510` (subscribe to a measurement's results), `0506` (a chunk,
//! the same function as HTTP `measurements.data`).

use std::sync::Arc;

use serde_json::{json, Map, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::api::{answer, bearer_error, forbidden, validation_error};
use crate::frames::{self, RequestFrame};
use crate::measurements::{add_chunk, Subscriber};
use crate::reply::Reply;
use crate::stream_stats::SocketCounters;
use crate::tokens::{Class, Identity};
use crate::State;

/// One socket's state.
pub(crate) struct Conn {
    pub state: Arc<State>,
    /// This socket's number.
    pub socket: u64,
    /// Whose token authenticated it (header or `0718`); `None` until then.
    pub who: Option<Identity>,
    /// Pushed results for this socket go here.
    pub tx: UnboundedSender<Vec<u8>>,
}

impl Conn {
    /// The answer frame to one received frame; `None` when the frame is not
    /// a request at all (dropped and counted).
    pub(crate) fn answer(&mut self, frame: &[u8]) -> Option<Vec<u8>> {
        let req = match frames::parse(frame) {
            Ok(r) => r,
            Err(_) => {
                SocketCounters::bump(&self.state.sockets.malformed_frames);
                if self.state.log {
                    eprintln!("dfx-sandbox: websocket frame dropped (malformed)");
                }
                return None;
            }
        };
        let reply = answer(|| self.respond(&req));
        if self.state.log {
            eprintln!("dfx-sandbox: websocket {} -> {}", req.action, reply.status);
        }
        Some(frames::response(req.id, reply.status, &reply.body))
    }

    /// In order: the payload must be a UTF-8 JSON object (400 `BAD_FRAME`);
    /// `0718` is always answered; anything else needs an authenticated
    /// socket (401 `INVALID_TOKEN`); an unknown action → 404 `UNKNOWN_ACTION`.
    fn respond(&mut self, req: &RequestFrame) -> Result<Reply, Reply> {
        let payload = frames::payload_object(req.payload)
            .ok_or_else(|| Reply::error(400, "BAD_FRAME", "The payload must be a JSON object in UTF-8"))?;
        if req.action == "0718" {
            return self.login(&payload);
        }
        let who = self.who.clone().ok_or_else(|| {
            Reply::error(401, "INVALID_TOKEN", "This socket is not authenticated: send 0718 {\"Token\": ...} first")
        })?;
        match req.action {
            "0510" => self.subscribe(&who, req.id, &payload),
            "0506" => {
                let id = measurement_id(&payload)?;
                Ok(Reply::json(200, &add_chunk(&self.state, &who, id, &payload)?))
            }
            other => Err(Reply::error(404, "UNKNOWN_ACTION", &format!("Action {other} is not served by dfx-sandbox"))),
        }
    }

    /// `0718 {"Token": t}` → `200 {}`, the socket now being t's; a token
    /// that is not live → 401 (`INVALID_TOKEN` / `TOKEN_EXPIRED`) and the
    /// socket stays as it was.
    fn login(&mut self, payload: &Map<String, Value>) -> Result<Reply, Reply> {
        let token = match payload.get("Token") {
            Some(Value::String(t)) if !t.is_empty() => t,
            _ => return Err(Reply::error(401, "INVALID_TOKEN", "Token is required and must be a non-empty string")),
        };
        self.who = Some(self.state.tokens.bearer(token).map_err(bearer_error)?);
        Ok(Reply::json(200, &json!({})))
    }

    /// `0510 {"Params": {"ID": mid}, "RequestID": rid}` → `200 {}`, then the
    /// results (see `measurements::Store::subscribe`) as frames with `rid`.
    /// `RequestID` absent → the frame's own id.
    fn subscribe(&mut self, who: &Identity, frame_id: &str, payload: &Map<String, Value>) -> Result<Reply, Reply> {
        if !matches!(who.class, Class::Device | Class::User) {
            return Err(forbidden("Subscribing needs a device or user token"));
        }
        let id = measurement_id(payload)?;
        let request_id = match payload.get("RequestID") {
            None | Some(Value::Null) => frame_id,
            Some(Value::String(r)) if frames::is_request_id(r.as_bytes()) => r,
            Some(_) => return Err(validation_error("RequestID must be exactly 10 printable ASCII characters")),
        };
        let sub = Subscriber { socket: self.socket, request_id: request_id.to_owned(), tx: self.tx.clone() };
        self.state.measurements.subscribe(who, id, sub)?;
        Ok(Reply::json(200, &json!({})))
    }
}

/// `Params.ID`, a non-empty string (400 `VALIDATION_ERROR`).
fn measurement_id(payload: &Map<String, Value>) -> Result<&str, Reply> {
    match payload.get("Params").and_then(|p| p.get("ID")) {
        Some(Value::String(id)) if !id.is_empty() => Ok(id),
        _ => Err(validation_error("Params.ID (the measurement ID) is required")),
    }
}
