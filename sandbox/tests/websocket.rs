//! The WebSocket endpoint: framing (websocket.json), authentication by the
//! upgrade's Authorization header and by `0718`, `0510` replay and live
//! pushes, `0506` with its order, closed and duplicate rules, shared with
//! HTTP `measurements.data`.

mod common;
mod ws_common;

use std::time::Duration;

use dfx_sandbox::{Config, Sandbox, TokenKind};
use serde_json::{json, Value};
use ws_common::*;

fn sandbox() -> (Sandbox, String) {
    let sb = Sandbox::start(Config::default()).unwrap();
    let (user, _) = sb.create_pair(TokenKind::User, 600);
    (sb, user)
}

#[tokio::test]
async fn framing_with_non_ascii_json_both_ways() {
    let (sb, user) = sandbox();
    let mut ws = connect(&sb, Some(&user)).await;
    // A non-ASCII measurement ID comes back, UTF-8, inside the error message.
    let id = "mesure-été-測定-🙂";
    let a = ws.call("0510", "abcDEF0123", &subscribe(id, "ResultsID0")).await;
    assert_eq!((a.status, a.body["Code"].as_str()), (404, Some("INVALID_MEASUREMENT")));
    assert!(a.body["Message"].as_str().unwrap().contains(id), "{a:?}");
    // Non-ASCII JSON in a request is read as UTF-8 ...
    let mid = create_measurement(&sb, &user);
    let mut first = chunk(&mid, "FIRST::PROCESS", b"x", Some(0));
    first["Meta"] = json!("ünïcødé 日本語");
    let a = ws.call("0506", "0506aZbYcX", &first).await;
    assert_eq!((a.status, a.body.clone()), (200, json!({"ID": mid, "ChunkOrder": 0})));
    // ... and the JavaScript client's defect (one byte per UTF-16 unit,
    // Latin-1, not UTF-8) is a bad frame, answered to its own id.
    let mut latin1 = b"0506latin1XXXX".to_vec();
    latin1.truncate(14);
    latin1.extend_from_slice(b"{\"Params\":{\"ID\":\"caf\xe9\"}}");
    ws.send_raw(latin1).await;
    let a = ws.recv().await;
    assert_eq!((a.id.as_str(), a.status, a.body["Code"].as_str()), ("latin1XXXX", 400, Some("BAD_FRAME")));
    // Request ids are any 10 printable ASCII characters (Python pads with spaces).
    let a = ws.call("0510", "py id     ", &subscribe(&mid, "with space")).await;
    assert_eq!(a.status, 200);
    let pushed = ws.recv().await;
    assert_eq!((pushed.id.as_str(), pushed.status), ("with space", 200));
}

#[tokio::test]
async fn raw_bytes_on_the_wire_match_the_layout() {
    let (sb, user) = sandbox();
    let mut ws = connect(&sb, Some(&user)).await;
    ws.send_raw(b"0718ABCDEFGHIJ{\"Token\":\"nope\"}".to_vec()).await;
    let raw = ws.next_frame(WAIT).await.unwrap().unwrap();
    assert!(raw.starts_with(b"ABCDEFGHIJ401{"), "{:?}", String::from_utf8_lossy(&raw));
    // Text frames are read too (the Python client sends text); the answer is binary.
    use futures_util::SinkExt;
    let text = format!("0718textframe1{{\"Token\":\"{user}\"}}");
    ws.ws.send(tokio_tungstenite::tungstenite::Message::text(text)).await.unwrap();
    let raw = ws.next_frame(WAIT).await.unwrap().unwrap();
    assert_eq!(raw, b"textframe1200{}");
}

#[tokio::test]
async fn the_json_subprotocol_is_answered_when_offered() {
    let (sb, _) = sandbox();
    let (_, resp) = tokio_tungstenite::connect_async(upgrade_request(&ws_url(&sb), None)).await.unwrap();
    assert_eq!(resp.headers().get("sec-websocket-protocol").unwrap(), "json");
    let (_, resp) = tokio_tungstenite::connect_async(ws_url(&sb)).await.unwrap();
    assert!(resp.headers().get("sec-websocket-protocol").is_none());
    // Any path is a socket, the base URL's path included.
    let url = format!("{}some/base/path", ws_url(&sb));
    assert!(tokio_tungstenite::connect_async(upgrade_request(&url, None)).await.is_ok());
    assert_eq!(sb.socket_stats().opened, 3);
    // The upgrades are recorded like API requests (their headers are visible).
    let reqs = sb.requests();
    assert_eq!(reqs.iter().filter(|r| r.method == "GET").count(), 3);
    assert_eq!(reqs[0].header("sec-websocket-protocol"), Some("json"));
    assert_eq!((sb.count("GET", "/"), sb.count("GET", "some/base/path")), (2, 1));
}

#[tokio::test]
async fn authentication_by_header() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    let mut ws = connect(&sb, Some(&user)).await;
    let a = ws.call("0506", "0506aaaaaa", &chunk(&mid, "FIRST::PROCESS", b"p", None)).await;
    assert_eq!((a.status, a.body["ChunkOrder"].as_u64()), (200, Some(0)));
    // A device token authenticates a socket too; it may subscribe but, as
    // over HTTP, only a user token sends chunks.
    let (device, _) = sb.create_pair(TokenKind::Device, 600);
    let mut ws = connect(&sb, Some(&device)).await;
    assert_eq!(ws.call("0510", "sub0000000", &subscribe(&mid, "results000")).await.status, 200);
    ws.recv().await; // chunk 0's result, replayed
    let a = ws.call("0506", "0506bbbbbb", &chunk(&mid, "CHUNK::PROCESS", b"p", None)).await;
    assert_eq!((a.status, a.body["Code"].as_str()), (403, Some("FORBIDDEN")));
}

#[tokio::test]
async fn a_bad_header_token_refuses_the_upgrade() {
    let (sb, _) = sandbox();
    let (status, body) = refusal(try_connect(&sb, Some("not-a-token")).await.err().unwrap());
    assert_eq!((status, body["Code"].as_str()), (401, Some("INVALID_TOKEN")));
    let (expired, _) = sb.create_pair(TokenKind::User, 0);
    let (status, body) = refusal(try_connect(&sb, Some(&expired)).await.err().unwrap());
    assert_eq!((status, body["Code"].as_str()), (401, Some("TOKEN_EXPIRED")));
    let stats = sb.socket_stats();
    assert_eq!((stats.opened, stats.refused), (0, 2));
}

#[tokio::test]
async fn authentication_by_0718() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    let mut ws = connect(&sb, None).await;
    // Unauthenticated: everything but 0718 is 401, unknown actions included.
    for (action, payload) in [("0510", subscribe(&mid, "results000")), ("0506", chunk(&mid, "FIRST::PROCESS", b"x", None)), ("0100", json!({}))] {
        let a = ws.call(action, "unauth0000", &payload).await;
        assert_eq!((a.status, a.body["Code"].as_str()), (401, Some("INVALID_TOKEN")), "{action}");
    }
    assert_eq!(sb.measurement_stats(&mid).unwrap().chunks_accepted, 0);
    let a = ws.call("0718", "login00000", &json!({"Token": "wrong"})).await;
    assert_eq!((a.status, a.body["Code"].as_str()), (401, Some("INVALID_TOKEN")));
    let a = ws.call("0718", "login00001", &json!({})).await;
    assert_eq!(a.status, 401);
    assert_eq!(ws.call("0510", "stillno000", &subscribe(&mid, "results000")).await.status, 401);
    let a = ws.call("0718", "login00002", &json!({"Token": user})).await;
    assert_eq!((a.status, a.body), (200, json!({})));
    assert_eq!(ws.call("0510", "nowyes0000", &subscribe(&mid, "results000")).await.status, 200);
    // Authenticated: an unknown action is 404.
    let a = ws.call("0100", "unknown000", &json!({})).await;
    assert_eq!((a.status, a.body["Code"].as_str()), (404, Some("UNKNOWN_ACTION")));
}

#[tokio::test]
async fn subscribe_replays_then_pushes_live_results_in_order() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    let payloads: [&[u8]; 4] = [b"chunk zero", b"one", b"chunk number two", b"the last"];
    let mut sender = connect(&sb, Some(&user)).await;
    for (k, action) in ["FIRST::PROCESS", "CHUNK::PROCESS"].iter().enumerate() {
        let a = sender.call("0506", &format!("send{k:06}"), &chunk(&mid, action, payloads[k], Some(k as u64))).await;
        assert_eq!(a.body, json!({"ID": mid, "ChunkOrder": k}));
    }
    // A late subscriber: its own 200 {} first, then the two computed results.
    let mut watcher = connect(&sb, Some(&user)).await;
    let a = watcher.call("0510", "subscribe1", &subscribe(&mid, "RESULTS-01")).await;
    assert_eq!((a.status, a.body), (200, json!({})));
    for (k, payload) in payloads.iter().enumerate().take(2) {
        let r = watcher.recv().await;
        assert_eq!((r.id.as_str(), r.status), ("RESULTS-01", 200));
        assert_eq!(r.body, expected_result(&mid, k as u64, payload));
    }
    watcher.quiet(Duration::from_millis(100)).await;
    // Live: each new chunk's result, once, to every subscriber, the sender too.
    assert_eq!(sender.call("0510", "subscribe2", &subscribe(&mid, "SENDERSUBS")).await.status, 200);
    assert_eq!(sender.recv().await.body["ChunkOrder"], 0);
    assert_eq!(sender.recv().await.body["ChunkOrder"], 1);
    for (k, action) in [(2usize, "CHUNK::PROCESS"), (3, "LAST::PROCESS")] {
        let a = sender.call("0506", &format!("send{k:06}"), &chunk(&mid, action, payloads[k], Some(k as u64))).await;
        assert_eq!(a.status, 200);
        // The answer precedes the result on the socket that sent the chunk.
        let r = sender.recv().await;
        assert_eq!((r.id.as_str(), r.body.clone()), ("SENDERSUBS", expected_result(&mid, k as u64, payloads[k])));
        let r = watcher.recv().await;
        assert_eq!((r.id.as_str(), r.body.clone()), ("RESULTS-01", expected_result(&mid, k as u64, payloads[k])));
    }
    watcher.quiet(Duration::from_millis(100)).await;
    let expected: Vec<Value> = payloads.iter().enumerate().map(|(k, p)| expected_result(&mid, k as u64, p)).collect();
    assert_eq!(sb.chunk_results(&mid).unwrap(), expected);
    let m = http(&sb, "GET", &format!("/measurements/{mid}"), &user, None).json();
    assert_eq!(m["StatusID"], "COMPLETE");
    assert!(m["Results"]["HR_BPM"].is_array());
}

#[tokio::test]
async fn chunk_order_and_state_errors() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    let mut ws = connect(&sb, Some(&user)).await;
    let mut n = 0;
    let mut call = async |ws: &mut Ws<Plain>, payload: Value| {
        n += 1;
        ws.call("0506", &format!("req{n:07}"), &payload).await
    };
    let err = |a: Answer| (a.status, a.body["Code"].as_str().unwrap_or_default().to_owned());
    let e = |s: u16, c: &str| (s, c.to_owned());
    assert_eq!(err(call(&mut ws, chunk(&mid, "CHUNK::PROCESS", b"x", None)).await), e(400, "MISALIGNED_CHUNK"));
    assert_eq!(err(call(&mut ws, chunk("no-such-id", "FIRST::PROCESS", b"x", None)).await), e(404, "INVALID_MEASUREMENT"));
    assert_eq!(err(call(&mut ws, chunk(&mid, "FIRST::PROCESS", b"x", Some(1))).await), e(400, "MISALIGNED_CHUNK"));
    assert_eq!(err(call(&mut ws, chunk(&mid, "FIRST::NOPE", b"x", None)).await), e(400, "VALIDATION_ERROR"));
    assert_eq!(err(call(&mut ws, json!({"Action": "FIRST::PROCESS", "Payload": ""})).await), e(400, "VALIDATION_ERROR"));
    let mut not_b64 = chunk(&mid, "FIRST::PROCESS", b"x", None);
    not_b64["Payload"] = json!("%%%");
    assert_eq!(err(call(&mut ws, not_b64).await), e(400, "VALIDATION_ERROR"));
    let mut bad_order = chunk(&mid, "FIRST::PROCESS", b"x", None);
    bad_order["ChunkOrder"] = json!(-1);
    assert_eq!(err(call(&mut ws, bad_order).await), e(400, "VALIDATION_ERROR"));
    assert_eq!(sb.measurement_stats(&mid).unwrap().chunks_accepted, 0, "refused chunks change nothing");
    assert_eq!(call(&mut ws, chunk(&mid, "FIRST::PROCESS", b"x", Some(0))).await.status, 200);
    assert_eq!(err(call(&mut ws, chunk(&mid, "FIRST::PROCESS", b"x", None)).await), e(400, "MISALIGNED_CHUNK"));
    assert_eq!(call(&mut ws, chunk(&mid, "LAST::IGNORE", b"y", Some(1))).await.status, 200);
    assert_eq!(err(call(&mut ws, chunk(&mid, "CHUNK::PROCESS", b"z", Some(2))).await), e(400, "MEASUREMENT_CLOSED"));
    assert_eq!(err(call(&mut ws, chunk(&mid, "CHUNK::PROCESS", b"z", None)).await), e(400, "MEASUREMENT_CLOSED"));
    // HTTP says the same for a closed measurement.
    let r = http_chunk(&sb, &user, &mid, "CHUNK::PROCESS", b"z", None);
    assert_eq!((r.status, r.code()), (400, "MEASUREMENT_CLOSED".to_owned()));
    let stats = sb.measurement_stats(&mid).unwrap();
    assert_eq!((stats.chunks_accepted, stats.duplicates, stats.results_computed), (2, 0, 2));
    // 0506 without Params.ID; payloads that are not objects.
    assert_eq!(err(call(&mut ws, json!({"Action": "FIRST::PROCESS", "Payload": "eA=="})).await), e(400, "VALIDATION_ERROR"));
    assert_eq!(err(call(&mut ws, json!([1, 2])).await), e(400, "BAD_FRAME"));
}

#[tokio::test]
async fn a_duplicate_chunk_order_is_acknowledged_again_but_not_applied() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    let mut ws = connect(&sb, Some(&user)).await;
    assert_eq!(ws.call("0510", "subscribe0", &subscribe(&mid, "results000")).await.status, 200);
    let a = ws.call("0506", "first00000", &chunk(&mid, "FIRST::PROCESS", b"aa", Some(0))).await;
    assert_eq!(a.body, json!({"ID": mid, "ChunkOrder": 0}));
    ws.recv().await;
    let a = ws.call("0506", "chunk00001", &chunk(&mid, "CHUNK::PROCESS", b"bb", Some(1))).await;
    assert_eq!(a.body, json!({"ID": mid, "ChunkOrder": 1}));
    ws.recv().await;
    // The resend after a lost ack: same answer, no second result.
    let again = ws.call("0506", "chunk00001", &chunk(&mid, "CHUNK::PROCESS", b"bb", Some(1))).await;
    assert_eq!((again.status, again.body), (200, json!({"ID": mid, "ChunkOrder": 1})));
    // Even a FIRST resent late is a duplicate, not an order error.
    assert_eq!(ws.call("0506", "first00000", &chunk(&mid, "FIRST::PROCESS", b"aa", Some(0))).await.status, 200);
    ws.quiet(Duration::from_millis(100)).await;
    assert_eq!(ws.call("0506", "last000002", &chunk(&mid, "LAST::PROCESS", b"cc", Some(2))).await.status, 200);
    ws.recv().await;
    // After LAST, a resend of LAST is still a duplicate (not MEASUREMENT_CLOSED).
    let a = ws.call("0506", "last000002", &chunk(&mid, "LAST::PROCESS", b"cc", Some(2))).await;
    assert_eq!((a.status, a.body), (200, json!({"ID": mid, "ChunkOrder": 2})));
    ws.quiet(Duration::from_millis(100)).await;
    let stats = sb.measurement_stats(&mid).unwrap();
    assert_eq!((stats.chunks_accepted, stats.duplicates, stats.results_computed), (3, 3, 3));
    assert_eq!(stats.status, "COMPLETE");
    let m = http(&sb, "GET", &format!("/measurements/{mid}"), &user, None).json();
    assert_eq!(m["DataSizeBytes"], 6, "duplicates add no bytes");
}

#[tokio::test]
async fn http_data_shares_the_chunk_sequence_and_the_counters() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    let mut ws = connect(&sb, Some(&user)).await;
    assert_eq!(ws.call("0510", "subscribe0", &subscribe(&mid, "results000")).await.status, 200);
    // HTTP without ChunkOrder: the server numbers it.
    let r = http_chunk(&sb, &user, &mid, "FIRST::PROCESS", b"http first", None);
    assert_eq!(r.json(), json!({"ID": mid, "ChunkOrder": 0}));
    // HTTP results reach socket subscribers.
    assert_eq!(ws.recv().await.body, expected_result(&mid, 0, b"http first"));
    // The socket continues the same sequence.
    let a = ws.call("0506", "socketchnk", &chunk(&mid, "CHUNK::PROCESS", b"ws chunk", Some(1))).await;
    assert_eq!(a.body["ChunkOrder"], 1);
    assert_eq!(ws.recv().await.body, expected_result(&mid, 1, b"ws chunk"));
    // HTTP with ChunkOrder: the same duplicate rule.
    let r = http_chunk(&sb, &user, &mid, "CHUNK::PROCESS", b"ws chunk", Some(1));
    assert_eq!((r.status, r.json()), (200, json!({"ID": mid, "ChunkOrder": 1})));
    let r = http_chunk(&sb, &user, &mid, "CHUNK::PROCESS", b"x", Some(5));
    assert_eq!((r.status, r.code()), (400, "MISALIGNED_CHUNK".to_owned()));
    let r = http_chunk(&sb, &user, &mid, "LAST::PROCESS", b"http last", Some(2));
    assert_eq!(r.json()["ChunkOrder"], 2);
    assert_eq!(ws.recv().await.body, expected_result(&mid, 2, b"http last"));
    let stats = sb.measurement_stats(&mid).unwrap();
    assert_eq!((stats.chunks_accepted, stats.duplicates, stats.results_computed), (3, 1, 3));
}

#[tokio::test]
async fn retrieve_goes_capturing_processing_complete() {
    let (sb, user) = sandbox();
    let mid = create_measurement(&sb, &user);
    let status = || http(&sb, "GET", &format!("/measurements/{mid}"), &user, None).json();
    sb.set_results_delay(Duration::from_millis(400));
    let mut ws = connect(&sb, Some(&user)).await;
    assert_eq!(ws.call("0506", "first00000", &chunk(&mid, "FIRST::PROCESS", b"a", Some(0))).await.status, 200);
    assert_eq!(status()["StatusID"], "CAPTURING");
    assert_eq!(ws.call("0506", "last000001", &chunk(&mid, "LAST::PROCESS", b"b", Some(1))).await.status, 200);
    let m = status();
    assert_eq!((m["StatusID"].as_str(), m["Results"].clone()), (Some("PROCESSING"), json!({})));
    assert_eq!(sb.measurement_stats(&mid).unwrap().status, "PROCESSING");
    let deadline = std::time::Instant::now() + WAIT;
    while sb.measurement_stats(&mid).unwrap().results_computed < 2 {
        assert!(std::time::Instant::now() < deadline, "results never computed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let m = status();
    assert_eq!(m["StatusID"], "COMPLETE");
    assert_eq!(m["Results"]["MSI"], json!([1.0 + 2.0]), "the final results of 2 chunks");
}

#[tokio::test]
async fn ping_is_answered_and_close_is_answered() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let (sb, user) = sandbox();
    let mut ws = connect(&sb, Some(&user)).await;
    ws.ws.send(Message::Ping(b"hi".to_vec().into())).await.unwrap();
    let got = tokio::time::timeout(WAIT, ws.ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(got, Message::Pong(b"hi".to_vec().into()));
    ws.ws.close(None).await.unwrap();
    let got = tokio::time::timeout(WAIT, ws.ws.next()).await.unwrap();
    assert!(matches!(got, Some(Ok(Message::Close(_))) | None), "{got:?}");
}
