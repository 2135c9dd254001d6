//! The measurement stream against the sandbox, from the Rust core: every
//! chunk acknowledged and every result handed out exactly once, through
//! dropped sockets and a refused upgrade; back-pressure; the server's
//! refusals as their errors. (tests/c/test_stream.c does the same and more
//! through the C ABI.)

mod common;

use std::sync::mpsc;
use std::time::Duration;

use dfx::{blocking, ChunkPosition, Client, Error, Event, License, MeasurementStream, Refusal, MAX_UNACKED};
use dfx_sandbox::{SANDBOX_LICENSE_KEY, SANDBOX_ORG_IDENTIFIER, SANDBOX_STUDY_ID, SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD};
use serde_json::json;

#[derive(Debug, PartialEq)]
enum Seen {
    Connected(bool),
    Ack(u32),
    Result(u32),
    ChunkError(u32, Option<Refusal>),
    End(Result<String, Option<Refusal>>),
}

fn refusal(e: &Error) -> Option<Refusal> {
    match e {
        Error::Measurement(kind, _) => Some(*kind),
        _ => None,
    }
}

fn seen(event: Event<'_>) -> Seen {
    match event {
        Event::Connected { websocket, .. } => Seen::Connected(websocket),
        Event::Ack { chunk } => Seen::Ack(chunk),
        Event::Result { chunk, .. } => Seen::Result(chunk),
        Event::ChunkError { chunk, error } => Seen::ChunkError(chunk, refusal(error)),
        Event::End(Ok(json)) => {
            let value: serde_json::Value = serde_json::from_str(json).unwrap();
            Seen::End(Ok(value["StatusID"].as_str().unwrap().to_owned()))
        }
        Event::End(Err(e)) => Seen::End(Err(refusal(e))),
        other => panic!("{other:?}"),
    }
}

fn logged_in(sandbox: &dfx_sandbox::Sandbox) -> Client {
    let client = common::client(sandbox);
    let license = License {
        key: SANDBOX_LICENSE_KEY,
        device_type_id: "LINUX",
        name: "rust-stream",
        org_identifier: SANDBOX_ORG_IDENTIFIER,
        version: "1",
    };
    blocking(client.organizations().register_license(&license)).unwrap();
    blocking(client.users().login(SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD, None)).unwrap();
    client
}

fn create(client: &Client) -> String {
    let params = json!({ "data": { "StudyID": SANDBOX_STUDY_ID, "Resolution": 100 } });
    let r = blocking(client.call_operation("measurements.create", &params)).unwrap();
    r.get_str("ID").unwrap().to_owned()
}

fn open(client: &Client, id: &str) -> (MeasurementStream, mpsc::Receiver<Seen>) {
    let (tx, rx) = mpsc::channel();
    let stream = MeasurementStream::open(client, id, Box::new(move |e| tx.send(seen(e)).unwrap())).unwrap();
    (stream, rx)
}

/// Send `n` chunks (retrying on StreamFull); every event until the end.
fn run(stream: &MeasurementStream, rx: &mpsc::Receiver<Seen>, n: u32) -> Vec<Seen> {
    for i in 0..n {
        let position = match i {
            0 => ChunkPosition::First,
            _ if i == n - 1 => ChunkPosition::Last,
            _ => ChunkPosition::Middle,
        };
        let bytes = vec![i as u8; 1000 + i as usize];
        let mut tries = 0;
        loop {
            match stream.send_chunk(&bytes, position) {
                Ok(order) => {
                    assert_eq!(order, i);
                    break;
                }
                Err(Error::StreamFull(_)) if tries < 5000 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => panic!("chunk {i}: {e}"),
            }
        }
    }
    let mut events = Vec::new();
    loop {
        let e = rx.recv_timeout(Duration::from_secs(60)).expect("the stream ends");
        let end = matches!(e, Seen::End(_));
        events.push(e);
        if end {
            assert!(stream.wait(Some(Duration::from_secs(5))));
            return events;
        }
    }
}

/// Each chunk acknowledged once, each result once and in order (socket),
/// the end COMPLETE.
fn assert_complete(events: &[Seen], n: u32, websocket: bool) {
    let acks: Vec<u32> = events.iter().filter_map(|e| if let Seen::Ack(k) = e { Some(*k) } else { None }).collect();
    let results: Vec<u32> = events.iter().filter_map(|e| if let Seen::Result(k) = e { Some(*k) } else { None }).collect();
    let mut sorted = acks.clone();
    sorted.sort();
    assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "acks: {events:?}");
    let want: Vec<u32> = if websocket { (0..n).collect() } else { vec![] };
    assert_eq!(results, want, "results: {events:?}");
    assert_eq!(events.last(), Some(&Seen::End(Ok("COMPLETE".into()))));
    assert!(events.iter().all(|e| !matches!(e, Seen::ChunkError(..))));
    assert!(matches!(events[0], Seen::Connected(w) if w == websocket), "{events:?}");
}

#[test]
fn chunks_over_a_tls_socket() {
    // wss: the upgrade and the frames inside dfx's own TLS connection.
    let pki = dfx_sandbox::TestPki::generate().unwrap();
    let sandbox = dfx_sandbox::Sandbox::start(dfx_sandbox::Config { tls: Some(pki.localhost.clone()), ..Default::default() })
        .unwrap();
    let client = Client::new(Some(&format!("https://localhost:{}", sandbox.addr().port()))).unwrap();
    client.add_ca_pem(pki.ca_pem.as_bytes()).unwrap();
    let license = License {
        key: SANDBOX_LICENSE_KEY,
        device_type_id: "LINUX",
        name: "rust-stream-tls",
        org_identifier: SANDBOX_ORG_IDENTIFIER,
        version: "1",
    };
    blocking(client.organizations().register_license(&license)).unwrap();
    blocking(client.users().login(SANDBOX_USER_EMAIL, SANDBOX_USER_PASSWORD, None)).unwrap();
    let id = create(&client);
    let (stream, rx) = open(&client, &id);
    let events = run(&stream, &rx, 5);
    assert_complete(&events, 5, true);
    assert_eq!((stream.stats().connections, stream.stats().websocket), (1, true));
}

#[test]
fn twenty_chunks_over_the_socket() {
    let sandbox = common::sandbox();
    let client = logged_in(&sandbox);
    let id = create(&client);
    let (stream, rx) = open(&client, &id);
    let events = run(&stream, &rx, 20);
    assert_complete(&events, 20, true);
    let stats = stream.stats();
    assert_eq!((stats.connections, stats.resent_chunks, stats.dropped_frames, stats.websocket), (1, 0, 0, true));
    let m = sandbox.measurement_stats(&id).unwrap();
    assert_eq!((m.chunks_accepted, m.duplicates, m.results_computed), (20, 0, 20));
    assert!(matches!(stream.send_chunk(b"x", ChunkPosition::Middle), Err(Error::StreamEnded(_))));
    assert!(format!("{stream:?}").contains("connections: 1"));
}

#[test]
fn no_http_once_a_chunk_went_over_a_socket() {
    // The first socket takes chunk 0 and drops before its acknowledgement;
    // every later upgrade is refused. Sending chunk 0 again over HTTP could
    // apply it twice (HTTP has no ChunkOrder): the stream ends instead.
    let sandbox = common::sandbox();
    let client = logged_in(&sandbox);
    let id = create(&client);
    sandbox.drop_socket_after(3, 1);
    let (stream, rx) = open(&client, &id);
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)).unwrap(), Seen::Connected(true));
    sandbox.refuse_upgrades(503, 0);
    stream.send_chunk(b"first", ChunkPosition::First).unwrap();
    let end = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(end, Seen::End(Err(None)));
    assert_eq!(sandbox.socket_stats().refused, 4, "four more tries, all refused");
    assert_eq!(sandbox.measurement_stats(&id).unwrap().chunks_accepted, 1);
}

#[test]
fn dropping_a_stream_stops_it() {
    let sandbox = common::sandbox();
    let client = logged_in(&sandbox);
    let id = create(&client);
    let (stream, rx) = open(&client, &id);
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)).unwrap(), Seen::Connected(true));
    drop(stream);
    // The task (and with it the handler and its sender) is gone.
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Err(mpsc::RecvTimeoutError::Disconnected));
}

#[test]
fn dropped_sockets_lose_nothing_and_duplicate_nothing() {
    let sandbox = common::sandbox();
    let client = logged_in(&sandbox);
    for after in [1, 2, 3, 5, 9, 16, 22] {
        sandbox.drop_socket_after(after, 1);
        let id = create(&client);
        let (stream, rx) = open(&client, &id);
        let events = run(&stream, &rx, 20);
        assert_complete(&events, 20, true);
        // Dropped at the login (1) or the subscription (2), the first
        // socket never got ready; later, both did.
        let ready = if after >= 3 { 2 } else { 1 };
        assert_eq!(events.iter().filter(|e| matches!(e, Seen::Connected(true))).count(), ready, "after {after}");
        assert_eq!(stream.stats().connections, 2, "after {after}");
        let m = sandbox.measurement_stats(&id).unwrap();
        assert_eq!((m.chunks_accepted, m.results_computed), (20, 20), "after {after}");
        let resent = stream.stats().resent_chunks;
        if after >= 3 {
            assert!(resent >= 1 && m.duplicates >= 1 && m.duplicates <= resent, "after {after}: {resent} {m:?}");
        } else {
            assert_eq!((resent, m.duplicates), (0, 0), "after {after}");
        }
        sandbox.clear_faults();
    }
}

#[test]
fn a_refused_upgrade_falls_back_to_http_with_the_same_results() {
    let sandbox = common::sandbox();
    let client = logged_in(&sandbox);
    let final_of = |id: &str| {
        let r = blocking(client.call_operation("measurements.retrieve", &json!({ "id": id }))).unwrap();
        r.json()["Results"].clone()
    };
    let socket_id = create(&client);
    let (stream, rx) = open(&client, &socket_id);
    assert_complete(&run(&stream, &rx, 10), 10, true);
    sandbox.refuse_upgrades(503, 0);
    let http_id = create(&client);
    let (stream, rx) = open(&client, &http_id);
    assert_complete(&run(&stream, &rx, 10), 10, false);
    assert!(!stream.stats().websocket);
    assert_eq!(sandbox.socket_stats().refused, 1, "one refusal is enough to use HTTP");
    assert_eq!(final_of(&socket_id), final_of(&http_id));
    assert!(final_of(&http_id).as_object().is_some_and(|o| !o.is_empty()));
}

#[test]
fn refusals_come_out_as_their_kinds() {
    let sandbox = common::sandbox();
    let client = logged_in(&sandbox);
    // Out of order.
    let id = create(&client);
    let (stream, rx) = open(&client, &id);
    stream.send_chunk(b"x", ChunkPosition::Last).unwrap();
    let events = run(&stream, &rx, 0);
    assert_eq!(
        events[1..],
        [Seen::ChunkError(0, Some(Refusal::MisalignedChunk)), Seen::End(Err(Some(Refusal::MisalignedChunk)))]
    );
    // Rate limited.
    sandbox.rate_limit_chunks(1);
    let id = create(&client);
    let (stream, rx) = open(&client, &id);
    stream.send_chunk(b"x", ChunkPosition::First).unwrap();
    let events = run(&stream, &rx, 0);
    assert_eq!(events[1..], [Seen::ChunkError(0, Some(Refusal::RateLimited)), Seen::End(Err(Some(Refusal::RateLimited)))]);
    // No such measurement: the subscription is refused.
    let (stream, rx) = open(&client, "no-such-measurement");
    let events = run(&stream, &rx, 0);
    assert_eq!(events, [Seen::End(Err(Some(Refusal::InvalidMeasurement)))]);
    // Closed, over HTTP (no ChunkOrder there).
    sandbox.refuse_upgrades(503, 0);
    let id = create(&client);
    let (stream, rx) = open(&client, &id);
    assert_complete(&run(&stream, &rx, 2), 2, false);
    let (stream, rx) = open(&client, &id);
    stream.send_chunk(b"y", ChunkPosition::First).unwrap();
    let events = run(&stream, &rx, 0);
    assert_eq!(
        events[1..],
        [Seen::ChunkError(0, Some(Refusal::MeasurementClosed)), Seen::End(Err(Some(Refusal::MeasurementClosed)))]
    );
}

#[test]
fn back_pressure_takes_nothing_past_the_limit() {
    // Nothing is ever acknowledged by a server that is not there.
    let dead = Client::new(Some(&format!("http://127.0.0.1:{}", common::closed_port()))).unwrap();
    let (stream, rx) = open(&dead, "m");
    for i in 0..MAX_UNACKED as u32 {
        assert_eq!(stream.send_chunk(b"x", if i == 0 { ChunkPosition::First } else { ChunkPosition::Middle }).unwrap(), i);
    }
    assert!(matches!(stream.send_chunk(b"x", ChunkPosition::Middle), Err(Error::StreamFull(_))));
    assert!(matches!(stream.send_chunk(b"", ChunkPosition::Middle), Err(Error::InvalidArgument(_))));
    // No socket in five tries: HTTP, whose first chunk cannot connect
    // either; that chunk's error, then the end.
    let events: Vec<Seen> = (0..3).map(|_| rx.recv_timeout(Duration::from_secs(30)).unwrap()).collect();
    assert_eq!(events[..2], [Seen::Connected(false), Seen::ChunkError(0, None)], "{events:?}");
    assert!(matches!(events[2], Seen::End(Err(None))), "{events:?}");
    assert!(stream.wait(Some(Duration::from_secs(1))));
    assert!(matches!(stream.send_chunk(b"x", ChunkPosition::Middle), Err(Error::StreamEnded(_))));
}

#[test]
fn closing_a_stream_stops_its_events() {
    let sandbox = common::sandbox();
    let client = logged_in(&sandbox);
    let id = create(&client);
    let (stream, rx) = open(&client, &id);
    stream.send_chunk(&[1; 100], ChunkPosition::First).unwrap();
    stream.close();
    assert!(stream.wait(Some(Duration::from_millis(10))));
    assert!(matches!(stream.send_chunk(b"x", ChunkPosition::Middle), Err(Error::StreamEnded(_))));
    // Whatever arrived before the close, nothing after it: the channel's
    // sender was dropped with the task.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Seen::End(_)) => panic!("no end event after close"),
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    panic!("the stream's task did not stop");
}

#[test]
fn over_http_the_stream_waits_for_the_next_chunk_and_for_complete() {
    // A kiosk hands over a chunk every few seconds; and after the last one
    // the server takes a while to finish (results delayed): the HTTP path
    // must neither stop at an empty queue nor end before COMPLETE.
    let sandbox = common::sandbox();
    let client = logged_in(&sandbox);
    sandbox.refuse_upgrades(503, 0);
    sandbox.set_results_delay(Duration::from_millis(400));
    let id = create(&client);
    let (stream, rx) = open(&client, &id);
    stream.send_chunk(b"first", ChunkPosition::First).unwrap();
    let next = |rx: &mpsc::Receiver<Seen>| rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!([next(&rx), next(&rx)], [Seen::Connected(false), Seen::Ack(0)]);
    std::thread::sleep(Duration::from_millis(150));
    stream.send_chunk(b"last", ChunkPosition::Last).unwrap();
    assert_eq!([next(&rx), next(&rx)], [Seen::Ack(1), Seen::End(Ok("COMPLETE".into()))]);
    assert_eq!(sandbox.measurement_stats(&id).unwrap().results_computed, 2);
}

#[test]
fn chunk_sizes_are_checked_at_the_limit() {
    let dead = Client::new(Some(&format!("http://127.0.0.1:{}", common::closed_port()))).unwrap();
    let (stream, _rx) = open(&dead, "m");
    // Still trying to connect (five tries take over a second): not ended.
    assert!(!stream.wait(Some(Duration::from_millis(20))));
    let over = vec![7u8; dfx::MAX_CHUNK_BYTES + 1];
    assert!(matches!(stream.send_chunk(&over, ChunkPosition::First), Err(Error::InvalidArgument(m)) if m.contains("8388608")));
    assert_eq!(stream.send_chunk(&over[..dfx::MAX_CHUNK_BYTES], ChunkPosition::First).unwrap(), 0);
    assert_eq!(stream.send_chunk(&over[..1], ChunkPosition::Middle).unwrap(), 1);
}

#[test]
fn reconnects_back_off() {
    // Four pauses between five refused connects: 100, 200, 400, 800 ms.
    let dead = Client::new(Some(&format!("http://127.0.0.1:{}", common::closed_port()))).unwrap();
    let start = std::time::Instant::now();
    let (stream, rx) = open(&dead, "m");
    stream.send_chunk(b"x", ChunkPosition::First).unwrap();
    while !matches!(rx.recv_timeout(Duration::from_secs(30)).unwrap(), Seen::End(_)) {}
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(1450) && took < Duration::from_millis(2800), "{took:?}");
}
