//! The task behind one stream: the socket while it can be had, HTTP when
//! it cannot, then the final results; every event goes out from here.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::stream::{Event, Handler, Shared};
use crate::client::Client;
use crate::error::{Error, Refusal};

/// How long the final results may take to be `COMPLETE` after the last
/// chunk's acknowledgement (and its results) before the stream ends with
/// the measurement as it then is.
const FINAL_WAIT: Duration = Duration::from_secs(30);

/// Everything the stream's task keeps.
pub(crate) struct Ctx {
    pub(crate) client: Client,
    pub(crate) id: String,
    pub(crate) shared: Arc<Shared>,
    handler: Handler,
    /// Chunks whose result was handed out.
    pub(crate) delivered: BTreeSet<u32>,
    /// Chunks sent on some socket (a later send of one is a resend).
    pub(crate) sent_once: BTreeSet<u32>,
    /// Connections that got ready so far.
    ready: u32,
}

pub(crate) async fn run(client: Client, id: String, shared: Arc<Shared>, handler: Handler) {
    let mut ctx = Ctx { client, id, shared, handler, delivered: BTreeSet::new(), sent_once: BTreeSet::new(), ready: 0 };
    let end = ctx.drive().await;
    ctx.shared.queue().ended = true;
    match &end {
        Ok(json) => (ctx.handler)(Event::End(Ok(json))),
        Err(e) => (ctx.handler)(Event::End(Err(e))),
    }
    ctx.shared.set_done();
}

impl Ctx {
    async fn drive(&mut self) -> Result<String, Error> {
        let over_socket = !self.client.transport().proxied() && super::websocket::run(self).await?;
        if !over_socket {
            self.http().await?;
        }
        self.final_results().await
    }

    /// A connection is ready (the socket logged in and subscribed, or
    /// HTTP chosen): its event, numbered among the ready ones.
    pub(crate) fn connected(&mut self, websocket: bool) {
        self.ready += 1;
        self.shared.websocket.store(websocket, Ordering::Relaxed);
        (self.handler)(Event::Connected { websocket, attempt: self.ready });
    }

    /// A connection was made (counted in the stats even if it never got
    /// ready).
    pub(crate) fn count_connection(&self) {
        self.shared.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// Chunk `order` was accepted: it leaves the queue (room for the
    /// caller) and its `Ack` goes out, once.
    pub(crate) fn ack(&mut self, order: u32) {
        let was_waiting = {
            let mut queue = self.shared.queue();
            let before = queue.unacked.len();
            queue.unacked.retain(|c| c.order != order);
            queue.unacked.len() != before
        };
        if was_waiting {
            (self.handler)(Event::Ack { chunk: order });
        }
    }

    /// A result push: handed out once per chunk. False if it names no
    /// chunk (dropped and counted by the caller).
    pub(crate) fn result(&mut self, json: &str) -> bool {
        let Some(chunk) = result_chunk(json) else { return false };
        if self.delivered.insert(chunk) {
            (self.handler)(Event::Result { chunk, json });
        }
        true
    }

    pub(crate) fn chunk_error(&mut self, chunk: u32, error: &Error) {
        (self.handler)(Event::ChunkError { chunk, error });
    }

    /// Every chunk is taken and acknowledged.
    pub(crate) fn all_acknowledged(&self) -> bool {
        let queue = self.shared.queue();
        queue.last_taken && queue.unacked.is_empty()
    }

    /// Every chunk taken has its result.
    pub(crate) fn all_results(&self) -> bool {
        let taken = self.shared.queue().taken;
        (0..taken).all(|k| self.delivered.contains(&k))
    }

    /// HTTP: each chunk by `measurements.data`, one at a time, in order.
    /// A chunk that fails is not sent again (it may have been processed).
    async fn http(&mut self) -> Result<(), Error> {
        self.count_connection();
        self.connected(false);
        loop {
            let next = {
                let queue = self.shared.queue();
                match queue.unacked.front() {
                    Some(c) => Some((c.order, c.action, c.payload.clone())),
                    None if queue.last_taken => return Ok(()),
                    None => None,
                }
            };
            let Some((order, action, payload)) = next else {
                self.shared.wake.notified().await;
                continue;
            };
            let params = json!({ "id": self.id, "data": { "Action": action, "Payload": payload } });
            match self.client.call_operation("measurements.data", &params).await {
                Ok(_) => self.ack(order),
                Err(e) => {
                    let e = refusal(e);
                    self.chunk_error(order, &e);
                    return Err(e);
                }
            }
        }
    }

    /// `measurements.retrieve` until the measurement is `COMPLETE` (or
    /// [`FINAL_WAIT`] is up: then as it is).
    async fn final_results(&mut self) -> Result<String, Error> {
        let deadline = Instant::now() + FINAL_WAIT;
        let mut pause = Duration::from_millis(20);
        loop {
            let answer = self.client.call_operation("measurements.retrieve", &json!({ "id": self.id })).await;
            let answer = answer.map_err(refusal)?;
            if answer.get_str("StatusID") == Some("COMPLETE") || Instant::now() >= deadline {
                return Ok(answer.body().to_owned());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }
}

/// An API error that names a measurement refusal becomes that refusal.
pub(crate) fn refusal(error: Error) -> Error {
    match error {
        Error::Api(response) => match Refusal::of(&response) {
            Some(kind) => Error::Measurement(kind, response),
            None => Error::Api(response),
        },
        e => e,
    }
}

/// The chunk a result is for: its `ChunkOrder`, else the last `:` part of
/// its `MeasurementDataID`.
pub(crate) fn result_chunk(json: &str) -> Option<u32> {
    let value: Value = serde_json::from_str(json).ok()?;
    if let Some(n) = value.get("ChunkOrder").and_then(Value::as_u64) {
        return u32::try_from(n).ok();
    }
    let id = value.get("MeasurementDataID")?.as_str()?;
    id.rsplit(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::result_chunk;

    #[test]
    fn a_result_names_its_chunk() {
        assert_eq!(result_chunk(r#"{"ChunkOrder": 3, "MeasurementDataID": "m:9"}"#), Some(3));
        assert_eq!(result_chunk(r#"{"MeasurementDataID": "abc:def:12"}"#), Some(12));
        assert_eq!(result_chunk(r#"{"MeasurementDataID": "abc"}"#), None);
        assert_eq!(result_chunk(r#"{"MeasurementDataID": "abc:x"}"#), None);
        assert_eq!(result_chunk(r#"{"ChunkOrder": -1}"#), None);
        assert_eq!(result_chunk(r#"[1]"#), None);
        assert_eq!(result_chunk("not json"), None);
        assert_eq!(result_chunk(r#"{"ChunkOrder": 4294967296}"#), None);
    }
}
