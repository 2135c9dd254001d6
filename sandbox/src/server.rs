//! HTTP/1.1 glue: accept loop, per-connection hyper service (WebSocket
//! upgrades go to `socket.rs`), and the socket wrapper that makes `Drop`
//! and `Truncate` faults exact.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::Sleep;

use crate::faults::{Action, Fault, Phase};
use crate::record::RecordedRequest;
use crate::reply::Reply;
use crate::{api, control, socket, State};

/// Largest request body accepted (413 above).
const MAX_BODY: usize = 1 << 20;

/// Default body for a `Truncate` fault in phase `Before` whose `body` is empty
/// (an empty body cannot be cut in half).
const TRUNCATE_DEFAULT_BODY: &str =
    r#"{"Code":"SANDBOX_TRUNCATED","Message":"This body was cut short on purpose by dfx-sandbox"}"#;

pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    mut stop: oneshot::Receiver<()>,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            res = listener.accept() => match res {
                Ok((stream, _)) => {
                    state.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let _ = stream.set_nodelay(true);
                    match &tls {
                        None => {
                            tokio::spawn(serve_connection(stream, state.clone()));
                        }
                        Some(acceptor) => {
                            tokio::spawn(crate::tls::serve_tls(acceptor.clone(), stream, state.clone()));
                        }
                    }
                }
                // E.g. out of file descriptors: back off a little.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

pub(crate) async fn serve_connection<S>(stream: S, state: Arc<State>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ctl = Arc::new(ConnCtl::default());
    let io = TokioIo::new(CtlStream { inner: stream, ctl: ctl.clone() });
    let svc = service_fn(move |req| {
        let state = state.clone();
        let ctl = ctl.clone();
        async move { Ok::<_, Infallible>(handle(&state, &ctl, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, svc)
        .with_upgrades()
        .await;
}

/// How the answer goes onto the wire.
enum Delivery {
    Normal(Reply),
    Truncate(Reply),
    Drop,
}

async fn handle(state: &Arc<State>, ctl: &Arc<ConnCtl>, req: Request<Incoming>) -> Response<OutBody> {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path();
    let path = path.strip_prefix('/').unwrap_or(path).to_owned();
    let query = req.uri().query().map(str::to_owned);
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();

    if socket::is_upgrade(&req) {
        // Recorded like an API request (not counted against HTTP faults).
        let recorded = RecordedRequest { method, path, query, headers, body: Vec::new() };
        state.recorder.record(recorded.clone());
        let answer = socket::upgrade(state, req, &recorded);
        if state.log {
            let status = answer.as_ref().map_or_else(|r| r.status, |_| 101);
            eprintln!("dfx-sandbox: GET /{} (websocket) -> {status}", recorded.path);
        }
        return match answer {
            Ok(resp) => resp,
            Err(reply) => into_response(Delivery::Normal(reply), ctl),
        };
    }

    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let reply = if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                Reply::error(413, "PAYLOAD_TOO_LARGE", "The request body is larger than 1 MiB")
            } else {
                Reply::error(400, "INVALID_REQUEST_BODY", "The request body could not be read")
            };
            return into_response(Delivery::Normal(reply), ctl);
        }
    };

    if path == "_sandbox" || path.starts_with("_sandbox/") {
        let rest = path.strip_prefix("_sandbox").unwrap_or("");
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let reply = control::handle(state, &method, rest, query.as_deref(), &body);
        return into_response(Delivery::Normal(reply), ctl);
    }

    let recorded = RecordedRequest { method, path, query, headers, body: body.to_vec() };
    state.recorder.record(recorded.clone());

    let fault = state.faults.take(&recorded.method, &recorded.path);
    let delivery = match fault {
        None => Delivery::Normal(api::handle(state, &recorded)),
        Some(f) => apply_fault(state, &recorded, f).await,
    };
    if state.log {
        let what = match &delivery {
            Delivery::Normal(r) => r.status.to_string(),
            Delivery::Truncate(r) => format!("{} (truncated)", r.status),
            Delivery::Drop => "dropped".to_owned(),
        };
        eprintln!("dfx-sandbox: {} /{} -> {}", recorded.method, recorded.path, what);
    }
    into_response(delivery, ctl)
}

async fn apply_fault(state: &State, req: &RecordedRequest, f: Fault) -> Delivery {
    let delay = Duration::from_millis(f.delay_ms);
    let real = match f.phase {
        Phase::Before => {
            tokio::time::sleep(delay).await;
            None
        }
        Phase::After => {
            let r = api::handle(state, req);
            tokio::time::sleep(delay).await;
            Some(r)
        }
    };
    let fake = |f: &Fault| {
        let mut body = f.body.clone();
        if body.is_empty() && f.action == Action::Truncate {
            body = TRUNCATE_DEFAULT_BODY.to_owned();
        }
        Reply {
            status: f.status,
            content_type: f.content_type.clone(),
            headers: f.headers.clone(),
            body: Bytes::from(body),
        }
    };
    match f.action {
        Action::None => Delivery::Normal(real.unwrap_or_else(|| api::handle(state, req))),
        Action::Status => Delivery::Normal(fake(&f)),
        Action::Drop => Delivery::Drop,
        Action::Truncate => Delivery::Truncate(real.unwrap_or_else(|| fake(&f))),
        Action::Echo => Delivery::Normal(echo(req, f.status)),
    }
}

/// The whole request, back in an error answer's `Code` and `Message`.
fn echo(req: &RecordedRequest, status: u16) -> Reply {
    let mut text = format!("{} /{}", req.method, req.path);
    if let Some(q) = &req.query {
        text.push('?');
        text.push_str(q);
    }
    for (name, value) in &req.headers {
        text.push_str(&format!("\n{name}: {value}"));
    }
    text.push_str("\n\n");
    text.push_str(&String::from_utf8_lossy(&req.body));
    let body = serde_json::json!({ "Code": text, "Message": text }).to_string();
    Reply { status, content_type: Some("application/json".into()), headers: Vec::new(), body: Bytes::from(body) }
}

fn into_response(delivery: Delivery, ctl: &Arc<ConnCtl>) -> Response<OutBody> {
    let (reply, truncate) = match delivery {
        Delivery::Normal(r) => (r, false),
        Delivery::Truncate(r) => (r, true),
        Delivery::Drop => {
            // Every further write on this connection fails, so hyper gives up
            // on it before a single byte goes out.
            ctl.set(MODE_DROP);
            return Response::new(OutBody::Full(None));
        }
    };
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let full_len = reply.body.len();
    let body = if truncate {
        let half = reply.body.slice(..full_len / 2);
        OutBody::Truncated { chunk: Some(half), ctl: ctl.clone(), timer: None }
    } else {
        OutBody::Full(Some(reply.body))
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    if let Some(ct) = reply.content_type.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
        h.insert(CONTENT_TYPE, ct);
    }
    for (name, value) in &reply.headers {
        let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value))
        else {
            continue;
        };
        if n == CONTENT_LENGTH || n == TRANSFER_ENCODING {
            continue;
        }
        h.append(n, v);
    }
    if truncate {
        h.insert(CONTENT_LENGTH, HeaderValue::from(full_len));
    }
    resp
}

// Mode 0 (the default): normal.
/// Fail every write: the connection closes without a response byte.
const MODE_DROP: u8 = 1;
/// Let what is buffered reach the socket, then fail: the connection closes
/// right after a truncated body.
const MODE_CLOSE_AFTER_FLUSH: u8 = 2;

#[derive(Default)]
pub(crate) struct ConnCtl {
    mode: AtomicU8,
}

impl ConnCtl {
    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
    fn get(&self) -> u8 {
        self.mode.load(Ordering::SeqCst)
    }
}

fn aborted() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "dfx-sandbox fault: connection closed")
}

/// A TCP stream whose writes obey the connection's fault mode.
struct CtlStream<S> {
    inner: S,
    ctl: Arc<ConnCtl>,
}

impl<S: AsyncRead + Unpin> AsyncRead for CtlStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CtlStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.ctl.get() == MODE_DROP {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.ctl.get() == MODE_DROP {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.ctl.get() {
            MODE_DROP => Poll::Ready(Err(aborted())),
            MODE_CLOSE_AFTER_FLUSH => {
                ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
                Poll::Ready(Err(aborted()))
            }
            _ => Pin::new(&mut self.inner).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Response body: a whole body, or the first half of one that then breaks
/// the connection.
pub(crate) enum OutBody {
    Full(Option<Bytes>),
    Truncated {
        chunk: Option<Bytes>,
        ctl: Arc<ConnCtl>,
        /// Fallback: if hyper did not flush-and-fail by then, fail the body.
        timer: Option<Pin<Box<Sleep>>>,
    },
}

impl Body for OutBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            OutBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            OutBody::Truncated { chunk, ctl, timer } => {
                if let Some(c) = chunk.take() {
                    if !c.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(c))));
                    }
                }
                // The half body is queued in hyper; the next flush writes it
                // to the socket and then fails, which closes the connection.
                ctl.set(MODE_CLOSE_AFTER_FLUSH);
                let t = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(200))));
                ready!(t.as_mut().poll(cx));
                Poll::Ready(Some(Err(aborted())))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            OutBody::Full(b) => b.as_ref().map_or(true, |b| b.is_empty()),
            OutBody::Truncated { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            OutBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            // Unknown, so hyper frames by the explicit Content-Length header.
            OutBody::Truncated { .. } => SizeHint::default(),
        }
    }
}
