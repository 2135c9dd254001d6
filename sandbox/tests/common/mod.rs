//! A tiny HTTP/1.1 client over std::net::TcpStream, enough to observe the
//! sandbox's faults exactly (closed before any byte, short bodies).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

#[derive(Debug)]
pub enum Outcome {
    /// A complete response.
    Complete(Response),
    /// The connection closed before a single response byte arrived.
    ClosedBeforeResponse,
    /// Head received, but the body was shorter than Content-Length.
    Truncated { response: Response, expected: usize },
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("body is not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body))
        })
    }

    pub fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or_default().to_owned()
    }
}

impl Outcome {
    pub fn complete(self) -> Response {
        match self {
            Outcome::Complete(r) => r,
            other => panic!("expected a complete response, got {other:?}"),
        }
    }
}

fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8], close: bool) -> Vec<u8> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Length: {}\r\n", body.len());
    if close {
        req.push_str("Connection: close\r\n");
    }
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// One request on a fresh connection (`Connection: close`).
pub fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Outcome {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(&request_bytes(method, path, headers, body, true)).unwrap();
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("read failed: {e}"),
        }
    }
    parse(&buf)
}

pub fn parse(buf: &[u8]) -> Outcome {
    if buf.is_empty() {
        return Outcome::ClosedBeforeResponse;
    }
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("incomplete response head");
    let head = std::str::from_utf8(&buf[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let body = buf[end + 4..].to_vec();
    let response = Response { status, headers, body };
    match response.header("content-length").map(|v| v.parse::<usize>().unwrap()) {
        Some(len) if response.body.len() < len => Outcome::Truncated { response, expected: len },
        Some(len) => {
            assert_eq!(response.body.len(), len, "more bytes than Content-Length");
            Outcome::Complete(response)
        }
        None => Outcome::Complete(response),
    }
}

pub fn post_json(addr: SocketAddr, path: &str, body: &serde_json::Value) -> Outcome {
    send(addr, "POST", path, &[("Content-Type", "application/json")], body.to_string().as_bytes())
}

pub fn renew(addr: SocketAddr, token: &str, refresh: &str) -> Outcome {
    post_json(addr, "/auths/renew", &serde_json::json!({ "Token": token, "RefreshToken": refresh }))
}

/// A keep-alive connection: requests one after another, responses read by
/// Content-Length.
pub struct Conn {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Conn { stream, pending: Vec::new() }
    }

    pub fn request(&mut self, method: &str, path: &str, body: &[u8]) -> Response {
        self.stream.write_all(&request_bytes(method, path, &[], body, false)).unwrap();
        loop {
            if let Some(end) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.pending[..end]).unwrap().to_ascii_lowercase();
                let len: usize = head
                    .split("\r\n")
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .unwrap_or(0);
                if self.pending.len() >= end + 4 + len {
                    let rest = self.pending.split_off(end + 4 + len);
                    let whole = std::mem::replace(&mut self.pending, rest);
                    return parse(&whole).complete();
                }
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).unwrap();
            assert!(n > 0, "connection closed");
            self.pending.extend_from_slice(&chunk[..n]);
        }
    }
}
