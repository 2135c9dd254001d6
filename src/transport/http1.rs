//! HTTP/1.1 as bytes, for both direct paths: the request a call sends, the
//! response head (parsed by `httparse`) and the framing of the body that
//! follows it. No I/O here: `blocking.rs` (blocking sockets) and
//! `nonblocking.rs` (tokio sockets) read and write; only the proxied path
//! (`proxied.rs`) leaves HTTP to reqwest.

use crate::secret::Zeroizing;

use super::buffer::extend_wiping;
use super::{Request, USER_AGENT_VALUE};

// Limits on what comes around a body. hyper accepts 100 header lines in a
// head; curl caps all the header bytes of one answer (300 KiB) and keeps
// no count of informational heads. dfx's answers carry a dozen headers, so
// it takes hyper's line count and a lower byte cap, and also counts the
// informational heads, which nothing else bounds.

/// Most header lines accepted in a response head, and in the trailers.
const MAX_HEADERS: usize = 100;

/// Most informational (`1xx`) heads accepted before the answer's head.
const MAX_INFORMATIONAL: usize = 8;

/// Largest response head accepted: status line and header lines, of the
/// final head and every informational head before it together. The
/// trailers after a chunked body have a budget of this size of their own.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Longest chunk-size line accepted (size and extensions), as hyper's.
const MAX_CHUNK_LINE: usize = 16 * 1024;

/// Largest response body accepted: far above any API answer, low enough
/// that a broken or hostile server cannot make dfx exhaust the host's
/// memory (an allocation failure aborts the process).
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The words for an answer over [`MAX_BODY_BYTES`].
pub(crate) fn too_large() -> String {
    format!("the answer's body is larger than {} MiB, the most dfx accepts", MAX_BODY_BYTES >> 20)
}

/// The request's bytes: head and body in one buffer, so one `write` sends
/// it. Wiped when dropped (it carries the bearer token and the body).
///
/// Header names are lowercase and the set is the one the async path
/// (reqwest/hyper) sends: `host`, `user-agent`, `content-type`, `accept`,
/// `authorization` (only with a token), `x-nura-session` (only when asked),
/// `content-length` (when there is a body, or for a body-less
/// POST/PUT/PATCH).
pub(crate) fn request(request: &Request<'_>, target: &[&str], host: &str) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::new());
    write_request(&mut out, request, target, host);
    out
}

/// [`request`] into `out`, which must be empty (a connection's request
/// buffer, wiped after each write: the `_async` path reuses it instead of
/// allocating ~1.4 KiB per call, issue 15). Room is made before anything
/// is written, so a buffer that grows never leaves a copy of a token behind.
pub(crate) fn write_request(out: &mut Vec<u8>, request: &Request<'_>, target: &[&str], host: &str) {
    debug_assert!(out.is_empty(), "the request buffer was emptied after its last write");
    out.clear();
    let (method, bearer) = (request.method.as_str(), request.bearer);
    let body = request.body.unwrap_or_default();
    let target_len = target.iter().map(|piece| piece.len()).sum::<usize>();
    let room = 280 + method.len() + target_len + host.len() + USER_AGENT_VALUE.len() + bearer.map_or(0, str::len) + body.len();
    out.reserve(room);
    let capacity = out.capacity();
    let mut put = |parts: &[&[u8]]| parts.iter().for_each(|p| out.extend_from_slice(p));
    put(&[method.as_bytes(), b" "]);
    target.iter().for_each(|piece| put(&[piece.as_bytes()]));
    put(&[b" HTTP/1.1\r\nhost: ", host.as_bytes()]);
    put(&[b"\r\nuser-agent: ", USER_AGENT_VALUE.as_bytes()]);
    put(&[b"\r\ncontent-type: application/json\r\naccept: */*\r\n"]);
    if let Some(token) = bearer {
        put(&[b"authorization: Bearer ", token.as_bytes(), b"\r\n"]);
    }
    if request.session_header {
        put(&[b"x-nura-session: true\r\n"]);
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        let mut digits = [0u8; 20];
        put(&[b"content-length: ", decimal(body.len(), &mut digits), b"\r\n"]);
    }
    put(&[b"\r\n", body]);
    debug_assert_eq!(out.capacity(), capacity, "the request buffer never grew");
}

/// `n` in decimal ASCII (in `digits`), without going through `fmt`.
fn decimal(mut n: usize, digits: &mut [u8; 20]) -> &[u8] {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &digits[at..]
}

/// How the body after a response head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body (204, 304).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: u16,
    /// Bytes the head took in the buffer (the body starts here).
    pub(crate) len: usize,
    pub(crate) framing: Framing,
    /// Whether the connection may carry another request afterwards.
    pub(crate) keep_alive: bool,
    /// The `Location` header, for redirects.
    pub(crate) location: Option<String>,
}

/// The words for heads over [`MAX_HEAD_BYTES`].
fn head_too_large() -> String {
    format!("the response head is larger than {} KiB, the most dfx accepts", MAX_HEAD_BYTES >> 10)
}

/// Parse a response head at the start of `buf`: `Ok(None)` when more bytes
/// are needed, `Err` (a description, never the bytes) when it is not HTTP
/// or is over a limit.
#[cfg(test)]
fn parse_head(buf: &[u8]) -> Result<Option<Head>, String> {
    parse_head_within(buf, MAX_HEAD_BYTES)
}

/// [`parse_head`] for a head of at most `room` bytes.
fn parse_head_within(buf: &[u8], room: usize) -> Result<Option<Head>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len > room => return Err(head_too_large()),
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() > room => return Err(head_too_large()),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(format!("the response head has more than {MAX_HEADERS} header lines, the most dfx accepts"))
        }
        Err(e) => return Err(format!("invalid HTTP response head: {e}")),
    };
    let status = response.code.unwrap_or_default();
    // httparse takes any three digits; RFC 9110 15 codes start at 100.
    if status < 100 {
        return Err(format!("invalid HTTP status code {status:03}"));
    }
    let http10 = response.version == Some(0);
    let (mut keep_alive_token, mut close) = (false, false);
    // `Some(None)`: invalid or conflicting; an error only if it decides the framing.
    let mut length: Option<Option<u64>> = None;
    let mut transfer_encoding = false;
    let mut chunked = false;
    let mut location = None;
    for h in response.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            length = Some(match (length, content_length(h.value)) {
                (None, n) => n,
                (Some(Some(m)), Some(n)) if m == n => Some(n),
                _ => None,
            });
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // The final coding of the last line decides: chunked delimits the
            // body, anything else means the body runs until the close.
            transfer_encoding = true;
            chunked = header_text(h.value)
                .and_then(|v| v.rsplit(',').next())
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in header_text(h.value).unwrap_or("").split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep_alive_token |= token.eq_ignore_ascii_case("keep-alive");
            }
        } else if h.name.eq_ignore_ascii_case("location") {
            let value = std::str::from_utf8(h.value).unwrap_or("").trim();
            if !value.is_empty() {
                location = Some(value.to_owned());
            }
        }
    }
    // `close` wins over `keep-alive`, whichever comes first.
    let mut keep_alive = (!http10 || keep_alive_token) && !close;
    let framing = if status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Empty
    } else if transfer_encoding && http10 {
        // RFC 9112 6.1: HTTP/1.0 has no Transfer-Encoding; the framing is faulty.
        return Err("Transfer-Encoding in an HTTP/1.0 answer".into());
    } else if chunked {
        Framing::Chunked
    } else if transfer_encoding {
        Framing::UntilClose
    } else {
        match length {
            Some(Some(n)) => Framing::Length(n),
            Some(None) => return Err("invalid or conflicting Content-Length".into()),
            None => Framing::UntilClose,
        }
    };
    // Both Content-Length and Transfer-Encoding (which wins): RFC 9112 says
    // close afterwards, as the framing is ambiguous to other parties.
    if framing == Framing::UntilClose || status == 101 || (length.is_some() && transfer_encoding) {
        keep_alive = false;
    }
    Ok(Some(Head { status, len, framing, keep_alive, location }))
}

/// A header value as text when it is visible ASCII, space and tab only
/// (as hyper's `HeaderValue::to_str`); `None` otherwise.
fn header_text(value: &[u8]) -> Option<&str> {
    let text = value.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
    text.then(|| std::str::from_utf8(value).ok()).flatten()
}

/// A `Content-Length` value: `1*DIGIT` (RFC 9110 8.6: no sign, no space
/// inside), or a list of equal ones; `None` if it is anything else.
fn content_length(value: &[u8]) -> Option<u64> {
    let mut length = None;
    for item in header_text(value)?.split(',').map(str::trim) {
        if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n = item.parse::<u64>().ok()?;
        if length.is_some_and(|m| m != n) {
            return None;
        }
        length = Some(n);
    }
    length
}

/// Whether `line` (ending in CRLF) is one header field line.
fn field_line(line: &[u8]) -> bool {
    let mut field = [httparse::EMPTY_HEADER; 1];
    let with_end = [line, b"\r\n"].concat();
    matches!(httparse::parse_headers(&with_end, &mut field), Ok(httparse::Status::Complete((n, _))) if n == with_end.len())
}

/// Where a chunked body's decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data, this many bytes to go.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailers,
    Done,
}

/// An incremental decoder of a chunked body.
#[derive(Debug)]
pub(crate) struct Chunked {
    state: ChunkState,
    /// Trailer bytes and lines taken so far.
    trailer_bytes: usize,
    trailer_lines: usize,
}

impl Chunked {
    pub(crate) fn new() -> Chunked {
        Chunked { state: ChunkState::Size, trailer_bytes: 0, trailer_lines: 0 }
    }

    /// Decode what `input` holds, appending data to `out`. Returns the bytes
    /// consumed and whether the body is complete; unconsumed bytes (an
    /// incomplete line) must be offered again with more after them.
    pub(crate) fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(usize, bool), String> {
        let mut pos = 0;
        loop {
            let rest = &input[pos..];
            match self.state {
                ChunkState::Done => return Ok((pos, true)),
                // httparse takes a line without digits as size 0 and a bare LF
                // inside an extension; RFC 9112 7.1 (and hyper) do not.
                ChunkState::Size if rest.first().is_some_and(|b| !b.is_ascii_hexdigit()) => {
                    return Err("invalid chunk size in a chunked body".into())
                }
                ChunkState::Size => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((used, _))) if rest[..used - 2].contains(&b'\n') => {
                        return Err("invalid chunk size in a chunked body".into())
                    }
                    Ok(httparse::Status::Complete((used, 0))) => {
                        pos += used;
                        self.state = ChunkState::Trailers;
                    }
                    Ok(httparse::Status::Complete((used, size))) => {
                        pos += used;
                        self.state = ChunkState::Data(size);
                    }
                    // A size line that never ends would hold its bytes unconsumed
                    // (and re-parsed on every read) without bound.
                    Ok(httparse::Status::Partial) if rest.len() > MAX_CHUNK_LINE => {
                        return Err("chunk-size line too long in a chunked body".into())
                    }
                    Ok(httparse::Status::Partial) => return Ok((pos, false)),
                    Err(_) => return Err("invalid chunk size in a chunked body".into()),
                },
                ChunkState::Data(left) => {
                    if rest.is_empty() {
                        return Ok((pos, false));
                    }
                    let take = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    extend_wiping(out, &rest[..take]);
                    pos += take;
                    let left = left - take as u64;
                    self.state = if left == 0 { ChunkState::DataEnd } else { ChunkState::Data(left) };
                }
                ChunkState::DataEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        pos += 2;
                        self.state = ChunkState::Size;
                    }
                    [] | [b'\r'] => return Ok((pos, false)),
                    _ => return Err("chunk data not followed by CRLF".into()),
                },
                // Lines end in CRLF; each is a header field (RFC 9112 7.1.2);
                // all of them within one budget.
                ChunkState::Trailers => match rest.iter().position(|&b| b == b'\n') {
                    Some(end) if end == 0 || rest[end - 1] != b'\r' => {
                        return Err("trailer line not ended by CRLF in a chunked body".into())
                    }
                    Some(1) => {
                        pos += 2;
                        self.state = ChunkState::Done;
                    }
                    Some(end) if !field_line(&rest[..end + 1]) => {
                        return Err("invalid trailer field in a chunked body".into())
                    }
                    Some(end) => {
                        pos += end + 1;
                        self.trailer_bytes += end + 1;
                        self.trailer_lines += 1;
                        if self.trailer_lines > MAX_HEADERS {
                            return Err(format!("more than {MAX_HEADERS} trailer lines after a chunked body"));
                        }
                        if self.trailer_bytes > MAX_HEAD_BYTES {
                            return Err(trailers_too_large());
                        }
                    }
                    None if self.trailer_bytes + rest.len() > MAX_HEAD_BYTES => return Err(trailers_too_large()),
                    None => return Ok((pos, false)),
                },
            }
        }
    }
}

fn trailers_too_large() -> String {
    format!("the trailers after a chunked body are larger than {} KiB, the most dfx accepts", MAX_HEAD_BYTES >> 10)
}

/// Where reading an answer got to when the stream ended or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Nothing of the final head yet (or only part of it).
    Head,
    /// The head arrived; the body is incomplete.
    Body,
}

/// Reads one answer out of the bytes a connection delivers: skips 1xx
/// heads, parses the final head, collects the body by its framing. Bytes
/// it has consumed can be dropped from the caller's buffer.
#[derive(Debug)]
pub(crate) struct Reader {
    head: Option<Head>,
    /// Bytes of the heads parsed so far (informational ones, then the final).
    head_bytes: usize,
    /// Informational heads skipped so far.
    informational: usize,
    /// For `Framing::Length`: body bytes still to come.
    left: u64,
    chunked: Option<Chunked>,
    body: Vec<u8>,
    /// Largest body accepted ([`MAX_BODY_BYTES`]; smaller in tests).
    pub(crate) limit: usize,
}

/// The final head and the whole body.
pub(crate) type Answer = (Head, Vec<u8>);

impl Reader {
    pub(crate) fn new() -> Reader {
        Reader { head: None, head_bytes: 0, informational: 0, left: 0, chunked: None, body: Vec::new(), limit: MAX_BODY_BYTES }
    }

    pub(crate) fn stage(&self) -> Stage {
        if self.head.is_some() {
            Stage::Body
        } else {
            Stage::Head
        }
    }

    /// Take what `input` holds. Returns the bytes consumed and, once it is
    /// complete, the answer. `Err` describes a malformed answer.
    pub(crate) fn advance(&mut self, input: &[u8]) -> Result<(usize, Option<Answer>), String> {
        let mut used = 0;
        while self.head.is_none() {
            let Some(head) = parse_head_within(&input[used..], MAX_HEAD_BYTES - self.head_bytes)? else {
                return Ok((used, None));
            };
            used += head.len;
            self.head_bytes += head.len;
            // 1xx (but 101): informational, the real answer follows.
            if (100..200).contains(&head.status) && head.status != 101 {
                self.informational += 1;
                if self.informational > MAX_INFORMATIONAL {
                    return Err(format!("more than {MAX_INFORMATIONAL} informational (1xx) heads before the answer"));
                }
                continue;
            }
            match head.framing {
                Framing::Length(n) if n > self.limit as u64 => return Err(too_large()),
                Framing::Length(n) => {
                    self.left = n;
                    self.body.reserve(usize::try_from(n).unwrap_or(0).min(1 << 20));
                }
                Framing::Chunked => self.chunked = Some(Chunked::new()),
                Framing::Empty | Framing::UntilClose => {}
            }
            self.head = Some(head);
        }
        let rest = &input[used..];
        let done = match (self.head.as_ref().map(|h| h.framing), &mut self.chunked) {
            (Some(Framing::Chunked), Some(decoder)) => {
                let (n, done) = decoder.decode(rest, &mut self.body)?;
                used += n;
                done
            }
            (Some(Framing::Length(_)), _) => {
                let take = rest.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
                extend_wiping(&mut self.body, &rest[..take]);
                used += take;
                self.left -= take as u64;
                self.left == 0
            }
            (Some(Framing::UntilClose), _) => {
                extend_wiping(&mut self.body, rest);
                used += rest.len();
                false
            }
            _ => true,
        };
        if self.body.len() > self.limit {
            return Err(too_large());
        }
        Ok((used, if done { self.finish() } else { None }))
    }

    /// The stream ended. The answer, when its body runs until the close;
    /// else the stage that was cut short.
    pub(crate) fn end_of_stream(&mut self) -> Result<Answer, Stage> {
        match self.head.as_ref().map(|h| h.framing) {
            Some(Framing::UntilClose) => self.finish().ok_or(Stage::Body),
            _ => Err(self.stage()),
        }
    }

    fn finish(&mut self) -> Option<Answer> {
        let head = self.head.take()?;
        Some((head, std::mem::take(&mut self.body)))
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        crate::secret::wipe_vec(&mut self.body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Method;

    fn req<'a>(method: Method, bearer: Option<&'a str>, body: Option<&'a [u8]>, session_header: bool) -> Request<'a> {
        Request { method, path: "", bearer, body, session_header }
    }

    #[test]
    fn request_bytes() {
        let r = request(&req(Method::Post, Some("t0k"), Some(b"{}"), false), &["/auths/renew"], "127.0.0.1:8080");
        let text = std::str::from_utf8(&r).unwrap();
        assert_eq!(
            text,
            format!(
                "POST /auths/renew HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nuser-agent: {USER_AGENT_VALUE}\r\n\
                 content-type: application/json\r\naccept: */*\r\nauthorization: Bearer t0k\r\n\
                 content-length: 2\r\n\r\n{{}}"
            )
        );
        let r = request(&req(Method::Get, None, None, false), &["/status"], "h");
        let text = std::str::from_utf8(&r).unwrap();
        assert!(text.starts_with("GET /status HTTP/1.1\r\nhost: h\r\n"), "{text}");
        assert!(!text.contains("content-length") && !text.contains("authorization"), "{text}");
        assert!(!text.contains("x-nura-session"), "{text}");
        assert!(text.ends_with("\r\n\r\n"));
        let r = request(&req(Method::Patch, None, None, false), &["/x"], "h");
        assert!(std::str::from_utf8(&r).unwrap().contains("content-length: 0\r\n"));
        let r = request(&req(Method::Post, None, Some(b"{}"), true), &["/organizations/auth"], "h");
        assert!(std::str::from_utf8(&r).unwrap().contains("\r\nx-nura-session: true\r\ncontent-length: 2\r\n"));
        // A long host, token and body: the buffer was sized up front (the
        // debug assertion inside checks it never grew).
        let host = "h".repeat(300);
        let long = "t".repeat(900);
        let r = request(&req(Method::Post, Some(&long), Some(&[b'x'; 5000]), true), &["/auths/renew"], &host);
        assert!(r.ends_with(&[b'x'; 5000]));
        let mut digits = [0u8; 20];
        for n in [0, 9, 10, 1234567, usize::MAX] {
            assert_eq!(decimal(n, &mut digits), n.to_string().as_bytes());
        }
        // A connection's buffer: emptied after each write, reused for the
        // next request (bigger, then smaller), the same bytes as a new one.
        let mut reused = Vec::new();
        for (token, body) in [(None, &b"{}"[..]), (Some(long.as_str()), &[b'y'; 3000][..]), (Some("t"), b"{}")] {
            let r = req(Method::Post, token, Some(body), false);
            write_request(&mut reused, &r, &["/auths", "/", "renew"], "h");
            assert_eq!(reused, *request(&r, &["/auths/renew"], "h"));
            reused.clear();
        }
    }

    #[test]
    fn heads() {
        let h = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").unwrap().unwrap();
        assert_eq!((h.status, h.len, h.framing, h.keep_alive), (200, 38, Framing::Length(5), true));
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Le").unwrap().is_none());
        let h = parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n").unwrap().unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, true));
        let h = parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").unwrap().unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        let h = parse_head(b"HTTP/1.1 200 OK\r\n\r\n").unwrap().unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        let h = parse_head(b"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n").unwrap().unwrap();
        assert_eq!(h.framing, Framing::Empty);
        let h = parse_head(b"HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 0\r\n\r\n").unwrap().unwrap();
        assert!(!h.keep_alive);
        let h = parse_head(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").unwrap().unwrap();
        assert!(!h.keep_alive);
        let h = parse_head(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").unwrap().unwrap();
        assert!(h.keep_alive);
        let h = parse_head(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /a/b\r\nContent-Length: 0\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.location.as_deref(), Some("/a/b"));
        let h = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap().unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, false), "ambiguous framing: close after");
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
        assert!(parse_head(b"<html>\r\n\r\n").is_err());
        let huge = [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; MAX_HEAD_BYTES + 1]].concat();
        assert!(parse_head(&huge).is_err());
    }

    #[test]
    fn chunked_bodies_in_any_pieces() {
        let wire = b"4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        // Whole, and fed one byte more at a time.
        for step in [wire.len(), 1, 3] {
            let mut d = Chunked::new();
            let mut out = Vec::new();
            let (mut start, mut end) = (0, 0);
            let done = loop {
                end = (end + step).min(wire.len());
                let (used, done) = d.decode(&wire[start..end], &mut out).unwrap();
                start += used;
                if done || end == wire.len() {
                    break done;
                }
            };
            assert!(done);
            assert_eq!(out, b"Wikipedia in\r\n\r\nchunks.");
            assert_eq!(&wire[start..], b"NEXT");
        }
        let mut d = Chunked::new();
        assert!(d.decode(b"zz\r\n", &mut Vec::new()).is_err());
        let mut d = Chunked::new();
        assert!(d.decode(b"2\r\nabX", &mut Vec::new()).is_err());
        // A size line that never ends: refused once it is too long, whether
        // it grows by extension bytes or by padding.
        for filler in [b'a', b' '] {
            let mut line = b"1;".to_vec();
            line.resize(MAX_CHUNK_LINE, filler);
            let mut d = Chunked::new();
            assert_eq!(d.decode(&line, &mut Vec::new()), Ok((0, false)), "not yet");
            line.push(filler);
            assert!(d.decode(&line, &mut Vec::new()).unwrap_err().contains("too long"));
        }
    }
    #[test]
    fn reader_in_any_pieces() {
        let wire: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello worldHTTP";
        for step in [1, 2, 7, wire.len()] {
            let mut r = Reader::new();
            let (mut start, mut end) = (0, 0);
            let answer = loop {
                end = (end + step).min(wire.len());
                let (used, answer) = r.advance(&wire[start..end]).unwrap();
                start += used;
                if let Some(a) = answer {
                    break a;
                }
                assert!(end < wire.len(), "step {step}");
            };
            assert_eq!((answer.0.status, answer.1.as_slice()), (200, b"hello world".as_slice()));
            assert_eq!(&wire[start..end.max(start)], &b"HTTP"[..end.max(start) - start]);
        }
        let mut r = Reader::new();
        let (_, a) = r.advance(b"HTTP/1.1 200 OK\r\n\r\nuntil close").unwrap();
        assert!(a.is_none());
        assert_eq!(r.end_of_stream().unwrap().1, b"until close");
        let mut r = Reader::new();
        r.advance(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort").unwrap();
        assert_eq!(r.end_of_stream().unwrap_err(), Stage::Body);
        let mut r = Reader::new();
        r.advance(b"HTTP/1.1 200").unwrap();
        assert_eq!(r.end_of_stream().unwrap_err(), Stage::Head);
        let mut r = Reader::new();
        let (_, a) = r.advance(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        assert_eq!(a.unwrap().1, b"");
        let mut r = Reader::new();
        let (_, a) = r.advance(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").unwrap();
        assert_eq!(a.unwrap().1, b"abc");
    }

    /// Feed `wire` to a reader in `step`-byte pieces, as reads deliver it.
    fn read_all(wire: &[u8], step: usize) -> Result<Answer, String> {
        let (mut r, mut pending) = (Reader::new(), Vec::new());
        for piece in wire.chunks(step) {
            pending.extend_from_slice(piece);
            let (used, answer) = r.advance(&pending)?;
            pending.drain(..used);
            if let Some(answer) = answer {
                return Ok(answer);
            }
        }
        Err("incomplete".into())
    }

    #[test]
    fn head_limits_cover_the_whole_head_the_trailers_and_informational_heads() {
        let head = |lines: usize, line_len: usize| {
            let mut h = b"HTTP/1.1 200 OK\r\n".to_vec();
            for i in 0..lines {
                h.extend_from_slice(format!("X-{i}: {}\r\n", "v".repeat(line_len)).as_bytes());
            }
            h.extend_from_slice(b"Content-Length: 2\r\n\r\n{}");
            h
        };
        for step in [1 << 20, 4096, 509] {
            // Header lines: up to MAX_HEADERS, including Content-Length.
            assert!(read_all(&head(MAX_HEADERS - 1, 4), step).is_ok(), "{step}");
            let e = read_all(&head(MAX_HEADERS, 4), step).unwrap_err();
            assert!(e.contains("more than 100 header lines"), "{step}: {e}");
            // Bytes: a complete head over the limit is refused, whole or in pieces.
            let e = read_all(&head(70, 1500), step).unwrap_err();
            assert!(e.contains("larger than 64 KiB"), "{step}: {e}");
            // Trailers: counted in total, not per line.
            let trailers = |lines: usize, line_len: usize| {
                let mut t = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n".to_vec();
                for _ in 0..lines {
                    t.extend_from_slice(format!("X-T: {}\r\n", "t".repeat(line_len)).as_bytes());
                }
                t.extend_from_slice(b"\r\n");
                t
            };
            assert_eq!(read_all(&trailers(MAX_HEADERS, 600), step).unwrap().1, b"{}", "{step}");
            let e = read_all(&trailers(90, 800), step).unwrap_err();
            assert!(e.contains("trailers after a chunked body are larger than 64 KiB"), "{step}: {e}");
            // A trailer line that never ends is refused once it is too long.
            let mut endless = trailers(0, 0);
            endless.truncate(endless.len() - 2);
            endless.extend_from_slice(&[b't'; MAX_HEAD_BYTES + 1]);
            let e = read_all(&endless, step).unwrap_err();
            assert!(e.contains("trailers after a chunked body are larger than 64 KiB"), "{step}: {e}");
            let e = read_all(&trailers(MAX_HEADERS + 1, 10), step).unwrap_err();
            assert!(e.contains("more than 100 trailer lines"), "{step}: {e}");
            // Informational heads: a few are skipped, many are refused, and
            // their bytes count towards the head's.
            let hints = |n: usize, extra: usize| {
                let one = format!("HTTP/1.1 103 Early Hints\r\nLink: <{}>\r\n\r\n", "a".repeat(extra));
                let mut w = one.repeat(n).into_bytes();
                w.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
                w
            };
            assert_eq!(read_all(&hints(MAX_INFORMATIONAL, 10), step).unwrap().0.status, 200, "{step}");
            let e = read_all(&hints(MAX_INFORMATIONAL + 1, 10), step).unwrap_err();
            assert!(e.contains("informational"), "{step}: {e}");
            let e = read_all(&hints(4, 20_000), step).unwrap_err();
            assert!(e.contains("larger than 64 KiB"), "{step}: {e}");
        }
    }

    #[test]
    fn bodies_over_the_limit_are_refused_in_every_framing() {
        let small = || {
            let mut r = Reader::new();
            r.limit = 8;
            r
        };
        let at_limit = small().advance(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678").unwrap();
        assert_eq!(at_limit.1.unwrap().1, b"12345678", "exactly the limit is fine");
        // Announced: refused at the head, before any body is read.
        let e = small().advance(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n").unwrap_err();
        assert!(e.contains("larger than 64 MiB"), "{e}");
        let e = Reader::new().advance(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n").unwrap_err();
        assert!(e.contains("larger than"), "{e}");
        // Chunked (one big chunk or many) and until-close: refused as it grows.
        for wire in [
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n123456789"[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n5\r\n12345\r\n",
            b"HTTP/1.1 200 OK\r\n\r\n123456789",
        ] {
            // Fed in small pieces, as reads deliver them.
            let (mut r, mut pending, mut refused) = (small(), Vec::new(), None);
            for piece in wire.chunks(4) {
                pending.extend_from_slice(piece);
                match r.advance(&pending) {
                    Ok((used, answer)) => {
                        assert!(answer.is_none());
                        pending.drain(..used);
                    }
                    Err(e) => {
                        refused = Some(e);
                        break;
                    }
                }
            }
            assert!(refused.is_some_and(|e| e.contains("larger than")), "{:?}", String::from_utf8_lossy(wire));
        }
    }
}
