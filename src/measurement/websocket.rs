//! The stream over the socket: open, log in (`0718`), subscribe to the
//! results (`0510`), send chunks (`0506`), match every answer to its
//! request by id; after a dropped socket, open another and send again
//! what was not acknowledged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::frame::{self, Malformed, RequestId, DATA, LOGIN, SUBSCRIBE};
use super::run::{refusal, Ctx};
use super::socket::{self, OpenError, Socket};
use crate::error::Error;
use crate::response::Response;

/// Consecutive failed connections (or sockets that dropped before any
/// progress) after which the stream gives up.
const MAX_FAILURES: u32 = 5;

/// How long an answer (login, subscribe, a chunk's acknowledgement) may
/// take, and how long the results may take once every chunk is
/// acknowledged (then the final results are read without them), when the
/// client has no timeout; else the client's timeout.
const DEFAULT_REPLY_WAIT: Duration = Duration::from_secs(30);

/// Makes each stream's result request id distinct in the process.
static NEXT_STREAM: AtomicU64 = AtomicU64::new(1);

/// Why one socket's conversation stopped.
enum Stop {
    /// The socket dropped or went silent: open another. `progress`: some
    /// chunk was acknowledged or result received on it.
    Lost(Error, bool),
    /// The server refused something: the stream ends.
    Fatal(Error),
}

/// Run the stream over sockets. `Ok(true)`: every chunk acknowledged (and
/// its result in, or the reply wait up); `Ok(false)`: use HTTP — the
/// server refused the upgrade, or no upgrade succeeded in
/// [`MAX_FAILURES`] tries (a network that breaks sockets), before any
/// chunk went over a socket.
pub(super) async fn run(ctx: &mut Ctx) -> Result<bool, Error> {
    let results_id = RequestId::results(NEXT_STREAM.fetch_add(1, Ordering::Relaxed));
    let mut ids = 0u64;
    let mut failures = 0u32;
    let mut opened_any = false;
    loop {
        let token = ctx.client.user_else_device_token().await?;
        let failure = match socket::open(&ctx.client, &token, ctx.client.timeout()).await {
            Err(OpenError::Refused(_)) if ctx.sent_once.is_empty() => return Ok(false),
            Err(OpenError::Refused(status)) => Error::Transport(format!(
                "the server refused to open the socket again (HTTP {status}) while chunks sent over the \
                 previous one were not acknowledged"
            )),
            Err(OpenError::Failed(e)) => e,
            Ok(socket) => {
                opened_any = true;
                ctx.count_connection();
                let mut talk = Conversation { ctx, socket, results_id, ids: &mut ids, in_flight: HashMap::new() };
                match talk.run(&token).await {
                    Ok(()) => return Ok(true),
                    Err(Stop::Fatal(e)) => return Err(ctx.client.redact(e, None, Some(&token))),
                    Err(Stop::Lost(e, progress)) => {
                        if progress {
                            failures = 0;
                        }
                        e
                    }
                }
            }
        };
        failures += 1;
        if failures >= MAX_FAILURES {
            if !opened_any && ctx.sent_once.is_empty() {
                return Ok(false);
            }
            return Err(ctx.client.redact(failure, None, Some(&token)));
        }
        tokio::time::sleep(Duration::from_millis(100 << (failures - 1).min(4))).await;
    }
}

/// One socket's conversation.
struct Conversation<'a> {
    ctx: &'a mut Ctx,
    socket: Socket,
    results_id: RequestId,
    ids: &'a mut u64,
    /// Chunk frames sent on this socket and not answered: id → chunk.
    in_flight: HashMap<RequestId, u32>,
}

/// Where the conversation is.
#[derive(PartialEq)]
enum Step {
    LoggingIn(RequestId),
    Subscribing(RequestId),
    Ready,
}

impl Conversation<'_> {
    fn next_id(&mut self, action: u16) -> RequestId {
        *self.ids += 1;
        RequestId::new(action, *self.ids)
    }

    /// Send a frame; a failure is a lost socket (with no progress of its
    /// own: callers add theirs with [`with_progress`]).
    async fn send(&mut self, frame: Vec<u8>) -> Result<(), Stop> {
        self.socket.send(Message::Binary(frame.into())).await.map_err(|e| Stop::Lost(socket::socket_failure(&e), false))
    }

    async fn run(&mut self, token: &str) -> Result<(), Stop> {
        let login = self.next_id(LOGIN);
        self.send(frame::request(LOGIN, &login, &json!({ "Token": token }))).await?;
        let mut step = Step::LoggingIn(login);
        let mut progress = false;
        let reply_wait = self.ctx.client.timeout().unwrap_or(DEFAULT_REPLY_WAIT);
        loop {
            if step == Step::Ready {
                self.send_waiting_chunks().await.map_err(|stop| with_progress(stop, progress))?;
                if self.ctx.all_acknowledged() && self.ctx.all_results() {
                    let _ = self.socket.close(None).await;
                    return Ok(());
                }
            }
            let waiting_for_answer = step != Step::Ready || !self.in_flight.is_empty();
            let waiting_for_results = step == Step::Ready && self.ctx.all_acknowledged();
            let limit = if waiting_for_answer {
                reply_wait
            } else if waiting_for_results {
                reply_wait
            } else {
                Duration::MAX
            };
            let shared = self.ctx.shared.clone();
            let message = tokio::select! {
                message = self.socket.next() => message,
                _ = shared.wake.notified(), if step == Step::Ready => continue,
                _ = tokio::time::sleep(limit), if limit != Duration::MAX => {
                    if waiting_for_answer {
                        return Err(Stop::Lost(Error::Timeout("the server did not answer on the measurement socket in time".into()), progress));
                    }
                    // Every chunk is acknowledged; the missing results are
                    // not coming: the final results say what there is.
                    let _ = self.socket.close(None).await;
                    return Ok(());
                }
            };
            // A socket that drops while nothing is awaited (the caller is
            // between chunks) did its work: opening another is not a failure.
            let idle = step == Step::Ready && self.in_flight.is_empty();
            let done_so_far = progress || idle;
            let bytes = match message {
                None => return Err(Stop::Lost(Error::ConnectionLost("the measurement socket closed".into()), done_so_far)),
                Some(Err(e)) => return Err(Stop::Lost(socket::socket_failure(&e), done_so_far)),
                Some(Ok(Message::Binary(b))) => b.to_vec(),
                Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
                Some(Ok(Message::Close(_))) => {
                    return Err(Stop::Lost(Error::ConnectionLost("the server closed the measurement socket".into()), done_so_far))
                }
                Some(Ok(_)) => continue,
            };
            let answer = match frame::answer(&bytes) {
                Ok(answer) => answer,
                Err(Malformed::Payload(id, why)) if self.is_ours(&id, &step) => {
                    let error = Error::Transport(format!("the server's answer on the measurement socket is malformed: {why}"));
                    if let Some(chunk) = self.in_flight.get(&id).copied() {
                        self.ctx.chunk_error(chunk, &error);
                    }
                    return Err(Stop::Fatal(error));
                }
                Err(_) => {
                    self.ctx.shared.dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            match &step {
                Step::LoggingIn(id) if answer.id == *id => {
                    if !is_success(answer.status) {
                        return Err(Stop::Fatal(api_error(answer.status, answer.json)));
                    }
                    let subscribe = self.next_id(SUBSCRIBE);
                    let payload = json!({ "Params": { "ID": self.ctx.id }, "RequestID": self.results_id.as_str() });
                    self.send(frame::request(SUBSCRIBE, &subscribe, &payload)).await.map_err(|stop| with_progress(stop, progress))?;
                    step = Step::Subscribing(subscribe);
                    continue;
                }
                Step::Subscribing(id) if answer.id == *id => {
                    if !is_success(answer.status) {
                        return Err(Stop::Fatal(refusal(api_error(answer.status, answer.json))));
                    }
                    step = Step::Ready;
                    self.ctx.connected(true);
                    continue;
                }
                _ => {}
            }
            if answer.id == self.results_id {
                if self.ctx.result(&answer.json) {
                    progress = true;
                } else {
                    self.ctx.shared.dropped.fetch_add(1, Ordering::Relaxed);
                }
            } else if let Some(chunk) = self.in_flight.remove(&answer.id) {
                if !is_success(answer.status) {
                    let error = refusal(api_error(answer.status, answer.json));
                    self.ctx.chunk_error(chunk, &error);
                    return Err(Stop::Fatal(error));
                }
                self.ctx.ack(chunk);
                progress = true;
            } else {
                self.ctx.shared.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Whether `id` is a request of this conversation awaiting its answer.
    fn is_ours(&self, id: &RequestId, step: &Step) -> bool {
        match step {
            Step::LoggingIn(own) | Step::Subscribing(own) if own == id => true,
            _ => self.in_flight.contains_key(id),
        }
    }

    /// Send every chunk of the queue not yet sent on this socket, in order.
    async fn send_waiting_chunks(&mut self) -> Result<(), Stop> {
        let sent: Vec<u32> = self.in_flight.values().copied().collect();
        let waiting: Vec<(u32, &'static str, String)> = self
            .ctx
            .shared
            .queue()
            .unacked
            .iter()
            .filter(|c| !sent.contains(&c.order))
            .map(|c| (c.order, c.action, c.payload.clone()))
            .collect();
        for (order, action, payload) in waiting {
            let id = self.next_id(DATA);
            let body = json!({
                "Params": { "ID": self.ctx.id },
                "Action": action,
                "Payload": payload,
                "ChunkOrder": order,
            });
            if !self.ctx.sent_once.insert(order) {
                self.ctx.shared.resent.fetch_add(1, Ordering::Relaxed);
            }
            self.in_flight.insert(id, order);
            self.send(frame::request(DATA, &id, &body)).await?;
        }
        Ok(())
    }
}

fn with_progress(stop: Stop, progress: bool) -> Stop {
    match stop {
        Stop::Lost(e, p) => Stop::Lost(e, p || progress),
        fatal => fatal,
    }
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// An error answer as the HTTP path would report it (code and message
/// read from its JSON body).
fn api_error(status: u16, json: String) -> Error {
    match Response::decode(status, json.into_bytes()) {
        Err(e) => e,
        Ok(_) => Error::Transport(format!("unexpected status {status} on the measurement socket")),
    }
}
