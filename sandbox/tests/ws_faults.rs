//! The measurement stream's faults, by the Rust API and by the control
//! plane: drop a socket after N frames, refuse the upgrade, delay results,
//! rate-limit chunks; and the counters that show them.

mod common;
mod ws_common;

use std::time::{Duration, Instant};

use common::{send, Response};
use dfx_sandbox::{Config, Sandbox, SocketStats, TokenKind};
use serde_json::{json, Value};
use ws_common::*;

fn sandbox() -> (Sandbox, String) {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    (sb, user)
}

fn control(sb: &Sandbox, method: &str, path: &str, body: Option<Value>) -> Response {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send(sb.addr(), method, path, &[], body.as_bytes()).complete()
}

fn ok(r: Response) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[tokio::test]
async fn drop_after_n_frames_applies_the_last_frame_but_loses_its_answer() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    sb.drop_socket_after(2, 1);
    let mut ws = connect(&sb, Some(&user)).await;
    assert_eq!(ws.call("0506", "frame00001", &chunk(&mid, "FIRST::PROCESS", b"a", Some(0))).await.status, 200);
    ws.send("0506", "frame00002", &chunk(&mid, "CHUNK::PROCESS", b"b", Some(1))).await;
    // No answer, and no close frame: the connection just ends.
    match ws.next_frame(WAIT).await {
        Err(reason) => assert!(!reason.starts_with("close frame"), "{reason}"),
        Ok(f) => panic!("expected the socket to be dropped, got {f:?}"),
    }
    let stats = sb.measurement_stats(&mid).unwrap();
    assert_eq!(stats.chunks_accepted, 2, "the second frame was applied");
    // The resend on a new socket is a duplicate; the fault was used up.
    let mut ws = connect(&sb, Some(&user)).await;
    let a = ws.call("0506", "frame00002", &chunk(&mid, "CHUNK::PROCESS", b"b", Some(1))).await;
    assert_eq!((a.status, a.body), (200, json!({"ID": mid, "ChunkOrder": 1})));
    assert_eq!(ws.call("0506", "frame00003", &chunk(&mid, "LAST::PROCESS", b"c", Some(2))).await.status, 200);
    let stats = sb.measurement_stats(&mid).unwrap();
    assert_eq!((stats.chunks_accepted, stats.duplicates), (3, 1));
    let s = sb.socket_stats();
    assert_eq!((s.opened, s.frames, s.dropped_by_fault, s.malformed_frames), (2, 4, 1, 0));
}

#[tokio::test]
async fn drop_counts_sockets_and_frames_of_any_kind() {
    let (sb, user) = sandbox();
    sb.drop_socket_after(1, 2);
    for _ in 0..2 {
        let mut ws = connect(&sb, Some(&user)).await;
        ws.send_raw(b"short".to_vec()).await; // a malformed frame is a frame too
        assert!(ws.next_frame(WAIT).await.is_err());
    }
    let mut ws = connect(&sb, Some(&user)).await;
    assert_eq!(ws.call("0100", "unknown000", &json!({})).await.status, 404);
    assert_eq!(sb.socket_stats().dropped_by_fault, 2);
    // Count 0: every socket until cleared.
    sb.drop_socket_after(1, 0);
    for _ in 0..3 {
        let mut ws = connect(&sb, Some(&user)).await;
        ws.send("0100", "unknown000", &json!({})).await;
        assert!(ws.next_frame(WAIT).await.is_err());
    }
    sb.clear_faults();
    let mut ws = connect(&sb, Some(&user)).await;
    assert_eq!(ws.call("0100", "unknown000", &json!({})).await.status, 404);
    assert_eq!(sb.socket_stats().dropped_by_fault, 5);
}

#[tokio::test]
async fn refused_upgrades_answer_http_and_count() {
    let (sb, user) = sandbox();
    sb.refuse_upgrades(503, 2);
    for _ in 0..2 {
        let (status, body) = refusal(try_connect(&sb, Some(&user)).await.err().unwrap());
        assert_eq!((status, body["Code"].as_str()), (503, Some("UPGRADE_REFUSED")));
    }
    let mut ws = connect(&sb, Some(&user)).await;
    assert_eq!(ws.call("0718", "login00000", &json!({"Token": user})).await.status, 200);
    // The control plane, with a body of its own; Count 0 until cleared.
    ok(control(&sb, "POST", "/_sandbox/ws/refuse", Some(json!({"Status": 403, "Body": {"Code": "PROXY_SAYS_NO"}, "Count": 0}))));
    for _ in 0..3 {
        let (status, body) = refusal(try_connect(&sb, None).await.err().unwrap());
        assert_eq!((status, body), (403, json!({"Code": "PROXY_SAYS_NO"})));
    }
    ok(control(&sb, "DELETE", "/_sandbox/faults", None));
    connect(&sb, None).await;
    let s = sb.socket_stats();
    assert_eq!((s.opened, s.refused), (2, 5));
    // HTTP is not affected by a refusal.
    sb.refuse_upgrades(503, 0);
    assert_eq!(http(&sb, "GET", "/status", &user, None).status, 200);
}

#[tokio::test]
async fn results_delay_holds_each_result_back() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    ok(control(&sb, "POST", "/_sandbox/results-delay", Some(json!({"DelayMs": 300}))));
    let mut ws = connect(&sb, Some(&user)).await;
    assert_eq!(ws.call("0510", "subscribe0", &subscribe(&mid, "results000")).await.status, 200);
    let start = Instant::now();
    let a = ws.call("0506", "first00000", &chunk(&mid, "FIRST::PROCESS", b"a", Some(0))).await;
    assert_eq!(a.status, 200);
    assert!(start.elapsed() < Duration::from_millis(250), "the ack is not delayed");
    let r = ws.recv().await;
    assert!(start.elapsed() >= Duration::from_millis(300), "{:?}", start.elapsed());
    assert_eq!(r.body, expected_result(&mid, 0, b"a"));
    // Delayed results still come in chunk order.
    for k in 1..4u64 {
        let action = if k == 3 { "LAST::PROCESS" } else { "CHUNK::PROCESS" };
        assert_eq!(ws.call("0506", &format!("chunk{k:05}"), &chunk(&mid, action, b"x", Some(k))).await.status, 200);
    }
    for k in 1..4u64 {
        assert_eq!(ws.recv().await.body["ChunkOrder"], k);
    }
    // Cleared: results come at once.
    sb.set_results_delay(Duration::ZERO);
    let mid = create_measurement(&sb, &user);
    assert_eq!(ws.call("0510", "subscribe1", &subscribe(&mid, "results001")).await.status, 200);
    let start = Instant::now();
    ws.call("0506", "first00001", &chunk(&mid, "FIRST::PROCESS", b"a", Some(0))).await;
    ws.recv().await;
    assert!(start.elapsed() < Duration::from_millis(250));
}

#[tokio::test]
async fn rate_limit_refuses_the_next_chunks_on_both_paths() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    sb.rate_limit_chunks(2);
    let mut ws = connect(&sb, Some(&user)).await;
    let a = ws.call("0506", "first00000", &chunk(&mid, "FIRST::PROCESS", b"a", Some(0))).await;
    assert_eq!((a.status, a.body["Code"].as_str()), (429, Some("RATE_LIMIT")));
    let r = http_chunk(&sb, &user, &mid, "FIRST::PROCESS", b"a", None);
    assert_eq!((r.status, r.code()), (429, "RATE_LIMIT".to_owned()));
    assert_eq!(sb.measurement_stats(&mid).unwrap().chunks_accepted, 0, "not applied");
    assert_eq!(ws.call("0506", "first00000", &chunk(&mid, "FIRST::PROCESS", b"a", Some(0))).await.status, 200);
    // By the control plane; "Chunks": 0 ends it early.
    ok(control(&sb, "POST", "/_sandbox/rate-limit", Some(json!({"Chunks": 5}))));
    assert_eq!(http_chunk(&sb, &user, &mid, "CHUNK::PROCESS", b"b", None).status, 429);
    ok(control(&sb, "POST", "/_sandbox/rate-limit", Some(json!({"Chunks": 0}))));
    assert_eq!(http_chunk(&sb, &user, &mid, "CHUNK::PROCESS", b"b", None).status, 200);
    assert_eq!(sb.measurement_stats(&mid).unwrap().chunks_accepted, 2);
}

#[tokio::test]
async fn control_plane_faults_and_stats() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    ok(control(&sb, "POST", "/_sandbox/ws/drop", Some(json!({"AfterFrames": 2}))));
    let mut ws = connect(&sb, Some(&user)).await;
    ws.send_raw(b"0506tooshort".to_vec()).await; // malformed: dropped, counted, no answer
    ws.send("0506", "first00000", &chunk(&mid, "FIRST::PROCESS", b"abc", Some(0))).await;
    assert!(ws.next_frame(WAIT).await.is_err());
    let stats = ok(control(&sb, "GET", "/_sandbox/ws/stats", None));
    assert_eq!(stats, json!({"Opened": 1, "Refused": 0, "Frames": 2, "MalformedFrames": 1, "DroppedByFault": 1}));
    assert_eq!(sb.socket_stats(), SocketStats { opened: 1, refused: 0, frames: 2, malformed_frames: 1, dropped_by_fault: 1 });
    let m = ok(control(&sb, "GET", &format!("/_sandbox/measurements/{mid}"), None));
    assert_eq!(m, json!({"ChunksAccepted": 1, "Duplicates": 0, "ResultsComputed": 1, "StatusID": "CAPTURING"}));
    let results = ok(control(&sb, "GET", &format!("/_sandbox/measurements/{mid}/results"), None));
    assert_eq!(results, json!([expected_result(&mid, 0, b"abc")]));
    assert_eq!(control(&sb, "GET", "/_sandbox/measurements/nope", None).status, 404);
    assert_eq!(control(&sb, "GET", "/_sandbox/measurements/nope/results", None).status, 404);
    assert_eq!(control(&sb, "DELETE", &format!("/_sandbox/measurements/{mid}"), None).status, 405);
    assert_eq!(control(&sb, "GET", "/_sandbox/ws/drop", None).status, 405);
    // Bad bodies are 400 with a reason; nothing is set.
    for (path, body) in [
        ("/_sandbox/ws/drop", json!({"AfterFrames": 0})),
        ("/_sandbox/ws/drop", json!({"Count": 1})),
        ("/_sandbox/ws/drop", json!({"AfterFrames": 1, "Typo": 1})),
        ("/_sandbox/ws/refuse", json!({"Status": 99})),
        ("/_sandbox/ws/refuse", json!({})),
        ("/_sandbox/results-delay", json!({"DelayMs": -1})),
        ("/_sandbox/rate-limit", json!({"Chunks": "2"})),
    ] {
        let r = control(&sb, "POST", path, Some(body.clone()));
        assert_eq!((r.status, r.code()), (400, "INVALID_REQUEST_BODY".to_owned()), "{path} {body}");
    }
    connect(&sb, None).await;
    // Reset clears the socket counters (measurements stay).
    ok(control(&sb, "POST", "/_sandbox/reset", Some(json!({}))));
    assert_eq!(sb.socket_stats(), SocketStats::default());
    assert_eq!(sb.measurement_stats(&mid).unwrap().chunks_accepted, 1);
}
