//! The differential oracle for dfx's HTTP/1.1 response reader: a table of
//! nasty answers, each read by dfx and by hyper's client (tests/oracle),
//! which must agree (same status and body, or both refuse; dfx reuses the
//! connection exactly when hyper would) — and each with the verdict it must
//! have, so that both going wrong the same way fails too. Where dfx refuses
//! on purpose what hyper takes, the case is in `STRICTER` with its reason.

mod oracle;

use dfx::fuzzing::{read_response, Verdict};
use oracle::{compare, deliberate, hyper_reads, AtEnd};

/// What a case must come to.
#[derive(Debug)]
enum Want {
    /// This status and body; whether the connection can be reused.
    Answer(u16, &'static str, bool),
    Refused,
}
use Want::*;

const CASES: &[(&str, &[u8], Want)] = &[
    // Content-Length: RFC 9110 8.6 is 1*DIGIT, nothing else.
    ("plain length", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", true)),
    ("length with a plus sign", b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", Refused),
    ("length +108 (issue 14)", b"HTTP/1.1 200 OK\r\nContent-Length: +108\r\n\r\n{}", Refused),
    ("length with a minus sign", b"HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok", Refused),
    ("length -0", b"HTTP/1.1 200 OK\r\nContent-Length: -0\r\n\r\n", Refused),
    ("length with spaces around", b"HTTP/1.1 200 OK\r\nContent-Length:   2  \r\n\r\nok", Answer(200, "ok", true)),
    ("length with a space inside", b"HTTP/1.1 200 OK\r\nContent-Length: 1 0\r\n\r\n0123456789", Refused),
    ("length with leading zeros", b"HTTP/1.1 200 OK\r\nContent-Length: 0002\r\n\r\nok", Answer(200, "ok", true)),
    ("length in hex", b"HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nok", Refused),
    ("length with a fraction", b"HTTP/1.1 200 OK\r\nContent-Length: 2.0\r\n\r\nok", Refused),
    ("empty length", b"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nok", Refused),
    ("length of non-ASCII digits", "HTTP/1.1 200 OK\r\nContent-Length: \u{661}\r\n\r\nok".as_bytes(), Refused),
    ("length over u64", b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\nok", Refused),
    ("duplicate equal lengths", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", true)),
    ("equal lengths in a list", b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", Answer(200, "ok", true)),
    ("conflicting lengths", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nokk", Refused),
    ("conflicting lengths in a list", b"HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nokk", Refused),
    ("length and an empty list item", b"HTTP/1.1 200 OK\r\nContent-Length: 2,\r\n\r\nok", Refused),
    ("length cut short", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok", Refused),
    ("length shorter than what follows", b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nok", Answer(200, "o", false)),
    ("length zero", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", Answer(200, "", true)),
    // Head syntax (httparse on both sides).
    ("obs-fold", b"HTTP/1.1 200 OK\r\nX-A: a\r\n  folded\r\nContent-Length: 2\r\n\r\nok", Refused),
    ("bare LF line ends", b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", Answer(200, "ok", true)),
    ("space before the colon", b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", Refused),
    ("no reason phrase", b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", true)),
    ("status 099", b"HTTP/1.1 099 Low\r\nContent-Length: 2\r\n\r\nok", Refused),
    ("status 000", b"HTTP/1.1 000 Zero\r\nContent-Length: 2\r\n\r\nok", Refused),
    ("status 600", b"HTTP/1.1 600 High\r\nContent-Length: 2\r\n\r\nok", Answer(600, "ok", true)),
    ("status 999", b"HTTP/1.1 999 High\r\nContent-Length: 2\r\n\r\nok", Answer(999, "ok", true)),
    ("four-digit status", b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok", Refused),
    ("HTTP/2.0 status line", b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok", Refused),
    ("not HTTP", b"<html>hello</html>\r\n\r\n", Refused),
    ("nothing at all", b"", Refused),
    ("head cut short", b"HTTP/1.1 200 OK\r\nContent-Len", Refused),
    // Transfer-Encoding.
    ("chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", Answer(200, "ok", true)),
    ("chunked in capitals", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\n\r\n2\r\nok\r\n0\r\n\r\n", Answer(200, "ok", true)),
    ("gzip, chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", Answer(200, "ok", true)),
    ("chunked, identity: until close", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n2\r\nok\r\n0\r\n\r\n", Answer(200, "2\r\nok\r\n0\r\n\r\n", false)),
    ("gzip only: until close", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw", Answer(200, "raw", false)),
    ("chunked then a second TE line", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\nraw", Answer(200, "raw", false)),
    ("gzip line then chunked line", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", Answer(200, "ok", true)),
    ("chunked with a trailing comma", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\nraw", Answer(200, "raw", false)),
    ("empty Transfer-Encoding", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", false)),
    ("non-ASCII coding before chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: \u{e9}, chunked\r\n\r\nraw".as_bytes(), Answer(200, "raw", false)),
    ("chunked and Content-Length", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", Answer(200, "ok", false)),
    ("chunked and a bad Content-Length", b"HTTP/1.1 200 OK\r\nContent-Length: +1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", Answer(200, "ok", false)),
    ("Transfer-Encoding in HTTP/1.0", b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", Refused),
    // Chunked framing.
    ("chunk extensions", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b;c=\"d\"\r\nok\r\n0;last\r\n\r\n", Answer(200, "ok", true)),
    ("space before an extension", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 ;a\r\nok\r\n0\r\n\r\n", Answer(200, "ok", true)),
    ("LF inside an extension", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a\nb\r\nok\r\n0\r\n\r\n", Refused),
    ("chunk size with a sign", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+2\r\nok\r\n0\r\n\r\n", Refused),
    ("chunk size with 0x", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nok\r\n0\r\n\r\n", Refused),
    ("empty chunk-size line", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n\r\n", Refused),
    ("chunk size only an extension", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;a\r\n\r\n", Refused),
    ("space before the chunk size", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 2\r\nok\r\n0\r\n\r\n", Refused),
    ("bare LF after the chunk size", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n0\r\n\r\n", Refused),
    ("chunk data without CRLF", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX0\r\n\r\n", Refused),
    ("chunk data with bare LF", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\n0\r\n\r\n", Refused),
    ("chunk size over u64", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", Refused),
    ("chunk size huge, cut short", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\nok", Refused),
    ("chunked cut before the last chunk", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n", Refused),
    ("chunked cut before the final CRLF", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n", Refused),
    ("uppercase hex", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", Answer(200, "0123456789", true)),
    ("leading zeros in a chunk size", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0002\r\nok\r\n000\r\n\r\n", Answer(200, "ok", true)),
    // Trailers.
    ("a trailer", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n", Answer(200, "ok", true)),
    ("two trailers", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n", Answer(200, "ok", true)),
    ("a trailer that is not a field", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nnot a field\r\n\r\n", Refused),
    ("a trailer with a bare-LF end", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\n", Refused),
    ("a trailer cut short", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n", Refused),
    // 1xx.
    ("100 then 200", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", true)),
    ("two 1xx then 200", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", true)),
    ("1xx then close", b"HTTP/1.1 100 Continue\r\n\r\n", Refused),
    ("1xx with a bad Content-Length", b"HTTP/1.1 100 Continue\r\nContent-Length: +1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", true)),
    ("101 without an upgrade asked for", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", Answer(101, "", false)),
    // HTTP/1.0.
    ("HTTP/1.0 with a length", b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", false)),
    ("HTTP/1.0 keep-alive", b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", true)),
    ("HTTP/1.0 keep-alive after close", b"HTTP/1.0 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", false)),
    ("HTTP/1.0 close, keep-alive", b"HTTP/1.0 200 OK\r\nConnection: close, keep-alive\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", false)),
    ("HTTP/1.0 until close", b"HTTP/1.0 200 OK\r\n\r\nok", Answer(200, "ok", false)),
    ("HTTP/1.1 Connection: close", b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", false)),
    ("HTTP/1.1 Connection: Close in a list", b"HTTP/1.1 200 OK\r\nConnection: upgrade, Close\r\nContent-Length: 2\r\n\r\nok", Answer(200, "ok", false)),
    // Bodies where there are none. (No HEAD case: dfx sends only GET, POST,
    // PATCH and DELETE, so its reader needs no method; the oracle sends GET.)
    ("204 with a body", b"HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\nok", Answer(204, "", false)),
    ("304 with a body", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 2\r\n\r\nok", Answer(304, "", false)),
    ("204 chunked", b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", Answer(204, "", true)),
    ("204 with a bad Content-Length", b"HTTP/1.1 204 No Content\r\nContent-Length: x\r\n\r\n", Answer(204, "", true)),
    ("204 in HTTP/1.0 with Transfer-Encoding", b"HTTP/1.0 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", Answer(204, "", false)),
    ("until close", b"HTTP/1.1 200 OK\r\n\r\nuntil close", Answer(200, "until close", false)),
    ("error status with a body", b"HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\n{}", Answer(500, "{}", true)),
];

#[test]
fn nasty_cases_agree_with_hyper_and_have_their_verdict() {
    let mut wrong = Vec::new();
    for (name, stream, want) in CASES {
        if let Err(e) = compare(stream) {
            wrong.push(format!("{name}: {e}"));
        }
        let got = read_response(stream, 0);
        let ok = match (want, &got) {
            (Answer(s, b, r), Verdict::Answer { status, body, reuse }) => (s, b.as_bytes(), r) == (status, body, reuse),
            (Refused, Verdict::Refused(_)) => true,
            _ => false,
        };
        if !ok {
            wrong.push(format!("{name}: dfx {got:?}, wanted {want:?}"));
        }
        // The verdict does not depend on how the bytes are cut into reads.
        for piece in [1, 3] {
            let cut = read_response(stream, piece);
            if !matches!((&got, &cut), (Verdict::Refused(_), Verdict::Refused(_))) && cut != got {
                wrong.push(format!("{name}: in reads of {piece}: {cut:?}, whole: {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

/// Where dfx refuses on purpose what hyper answers.
fn stricter() -> Vec<(&'static str, Vec<u8>)> {
    let big_head = format!("X-Big: {}\r\n", "a".repeat(64 * 1024));
    let head = |extra: &str| format!("HTTP/1.1 200 OK\r\n{extra}Content-Length: 2\r\n\r\nok").into_bytes();
    let mut big_body = b"HTTP/1.1 200 OK\r\nContent-Length: 67108865\r\n\r\n".to_vec();
    big_body.resize(big_body.len() + 67108865, b'x');
    vec![
        ("a head over 64 KiB", head(&big_head)),
        ("a body over 64 MiB", big_body),
        ("a bare LF ending a trailer line", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T:\n\r\n\r\n".to_vec()),
        ("a trailer section hyper ends early", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T:\n\r\n2\r\nok\r\n0\r\n\r\n".to_vec()),
    ]
}

#[test]
fn deliberate_stricter_choices_are_refused_by_dfx_and_taken_by_hyper() {
    for (name, stream) in stricter() {
        let Verdict::Refused(e) = read_response(&stream, 0) else { panic!("{name}: dfx took it") };
        assert!(deliberate(&e).is_some(), "{name}: refused for an undocumented reason: {e}");
        assert!(matches!(hyper_reads(&stream, AtEnd::Close), Verdict::Answer { status: 200, .. }), "{name}: hyper refused it too");
        compare(&stream).unwrap();
    }
}

#[test]
fn header_and_trailer_line_limits_are_hypers() {
    // 100 lines are taken, 101 refused, by both: in the head and after a
    // chunked body.
    let lines = |n: usize| (0..n).map(|i| format!("X-{i}: v\r\n")).collect::<String>();
    for (n, taken) in [(100 - 1, true), (101, false)] {
        let head = format!("HTTP/1.1 200 OK\r\n{}Content-Length: 2\r\n\r\nok", lines(n));
        let trailers = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n{}\r\n", lines(n + 1));
        for stream in [head, trailers] {
            let verdict = read_response(stream.as_bytes(), 0);
            assert_eq!(matches!(verdict, Verdict::Answer { status: 200, .. }), taken, "{n} lines: {verdict:?}");
            compare(stream.as_bytes()).unwrap();
        }
    }
}

#[test]
fn content_length_with_a_plus_sign_is_refused() {
    // Issue 14: `+108` parsed as 108 by Rust's integer parsing; RFC 9110 8.6
    // allows digits only. Through the whole client too: not an answer.
    let stream = b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}";
    assert!(matches!(read_response(stream, 0), Verdict::Refused(e) if e.contains("Content-Length")));
}
