//! Non-blocking calls in the safe core: exactly-once completion, cancel,
//! close, and that a cancelled renew still stores its new pair.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::*;
use dfx::{Error, OnCancel, SessionField, TokenKind};

#[test]
fn every_call_completes_once_and_close_waits_for_all() {
    let sb = sandbox();
    let c = client(&sb);
    sb.push_fault(Fault { delay_ms: 100, count: 0, ..fault("status", Action::None) });
    let done = Arc::new(AtomicUsize::new(0));
    let mut ids = Vec::new();
    for _ in 0..300 {
        let done = done.clone();
        let id = c
            .spawn(OnCancel::Abort, |c| async move { c.general().status().await }, |_| {}, move |r| {
                // close() cancels what has not completed.
                assert!(matches!(r, Ok(_) | Err(Error::Cancelled(_))), "{r:?}");
                done.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 300, "ids are distinct");
    assert!(c.requests_running() > 0);
    // Cancels, and waits: every completion has returned when close returns.
    c.close();
    assert_eq!(done.load(Ordering::SeqCst), 300);
    assert_eq!(c.requests_running(), 0);
}

#[test]
fn cancel_reports_cancelled_once_and_unknown_ids_are_ignored() {
    let sb = sandbox();
    let c = client(&sb);
    sb.push_fault(Fault { delay_ms: 2000, ..fault("status", Action::None) });
    let (tx, rx) = mpsc::channel();
    let id = c
        .spawn(OnCancel::Abort, |c| async move { c.general().status().await }, |_| {}, move |r| tx.send(r).unwrap())
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(c.cancel(id));
    assert!(!c.cancel(id), "a second cancel finds nothing");
    assert!(!c.cancel(987654));
    let r = rx.recv_timeout(Duration::from_secs(1)).unwrap();
    assert!(matches!(r, Err(Error::Cancelled(_))), "{r:?}");
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err(), "exactly once");
}

#[test]
fn a_cancelled_renew_still_stores_its_pair() {
    let sb = sandbox();
    let c = client(&sb);
    let (t, r) = pair(&sb);
    c.session().set(SessionField::DeviceToken, &t).unwrap();
    c.session().set(SessionField::DeviceRefreshToken, &r).unwrap();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = heard.clone();
    c.session().set_listener(Some(Arc::new(move |j: &str| sink.lock().unwrap().push(j.to_owned())))).unwrap();
    sb.push_fault(Fault { phase: Phase::After, delay_ms: 300, ..fault("auths/renew", Action::None) });
    let (tx, rx) = mpsc::channel();
    let id = c
        .spawn(
            OnCancel::Finish,
            |c| async move { c.auths().renew_stored(TokenKind::Device).await },
            |_| {},
            move |r| tx.send(r.is_err()).unwrap(),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    c.cancel(id);
    assert!(rx.recv_timeout(Duration::from_secs(1)).unwrap(), "reported as cancelled");
    // close waits for the renew still finishing in the background.
    c.close();
    assert_ne!(c.session().get(SessionField::DeviceToken).as_str(), t, "the new pair was stored");
    assert_eq!(heard.lock().unwrap().len(), 1, "and announced");
    assert_eq!(sb.count("POST", "auths/renew"), 1);
}

#[test]
fn a_panicking_completion_does_not_break_the_bookkeeping() {
    let sb = sandbox();
    let c = client(&sb);
    c.spawn(OnCancel::Abort, |c| async move { c.general().status().await }, |_| {}, |_| panic!("handler bug"))
        .unwrap();
    c.close();
    assert_eq!(c.requests_running(), 0);
}

#[test]
fn a_panicking_call_completes_once_as_internal() {
    let sb = sandbox();
    let c = client(&sb);
    let (tx, rx) = mpsc::channel();
    c.spawn(
        OnCancel::Abort,
        |_c| async move {
            if true {
                panic!("bug in a call");
            }
            Ok(())
        },
        |_| {},
        move |r: Result<(), Error>| tx.send(r).unwrap(),
    )
    .unwrap();
    let r = rx.recv_timeout(Duration::from_secs(2)).unwrap();
    assert!(matches!(r, Err(Error::Internal(_))), "{r:?}");
    c.close();
    assert_eq!(c.requests_running(), 0);
}

#[test]
fn close_cancels_at_once_and_then_refuses_new_calls() {
    let sb = sandbox();
    let c = client(&sb);
    sb.push_fault(Fault { delay_ms: 3000, count: 0, ..fault("status", Action::None) });
    let cancelled = Arc::new(AtomicUsize::new(0));
    for _ in 0..300 {
        let cancelled = cancelled.clone();
        c.spawn(OnCancel::Abort, |c| async move { c.general().status().await }, |_| {}, move |r| {
            if matches!(r, Err(Error::Cancelled(_))) {
                cancelled.fetch_add(1, Ordering::SeqCst);
            }
        })
        .unwrap();
    }
    let started = std::time::Instant::now();
    c.close();
    assert!(started.elapsed() < Duration::from_millis(1500), "not waited for the server: {:?}", started.elapsed());
    assert_eq!(cancelled.load(Ordering::SeqCst), 300, "every call (on the wire or queued) cancelled");
    // From now on: refused at once, and the completion never runs.
    let ran = Arc::new(AtomicUsize::new(0));
    let seen = ran.clone();
    let refused = c.spawn(OnCancel::Abort, |c| async move { c.general().status().await }, |_| {}, move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    assert!(matches!(refused, Err(Error::Cancelled(dfx::Cancel::ClientClosing))), "{refused:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(c.requests_running(), 0);
}

/// The name of the thread this runs on.
fn thread_name() -> String {
    std::thread::current().name().unwrap_or("").to_owned()
}

#[test]
fn a_call_that_ends_at_once_still_completes_on_dfx_thread() {
    // An `_async` call takes its first steps on the caller's thread; one
    // that is already done after them (here: at once, or after waking
    // itself during its first poll) must still complete on dfx's thread,
    // never inside `spawn` on the caller's.
    let sb = sandbox();
    let c = client(&sb);
    let caller = std::thread::current().id();
    let (tx, rx) = mpsc::channel();
    for yields in [false, true] {
        let tx = tx.clone();
        c.spawn(
            OnCancel::Abort,
            move |_c| async move {
                if yields {
                    // Wakes itself during the first poll.
                    tokio::task::yield_now().await;
                }
                Ok(yields)
            },
            |_| {},
            move |r: Result<bool, Error>| tx.send((r.unwrap(), std::thread::current().id(), thread_name())).unwrap(),
        )
        .unwrap();
        let (yielded, thread, name) = rx.recv_timeout(Duration::from_secs(5)).expect("completes");
        assert_eq!(yielded, yields);
        assert_ne!(thread, caller, "not on the caller's thread (yields: {yields})");
        assert_eq!(name, "dfx-worker");
    }
    c.close();
    assert_eq!(c.requests_running(), 0);
}

#[test]
fn the_request_leaves_from_the_callers_thread_while_dfx_thread_is_busy() {
    // Hold dfx's thread inside one call's completion; a second call made
    // meanwhile still reaches the server: the caller's thread wrote it.
    let sb = sandbox();
    let c = client(&sb);
    let (blocked_tx, blocked_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    c.spawn(OnCancel::Abort, |c| async move { c.general().status().await }, |_| {}, move |r| {
        assert!(r.is_ok(), "{r:?}");
        blocked_tx.send(()).unwrap();
        release_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    })
    .unwrap();
    blocked_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let before = sb.count("GET", "status");
    let (tx, rx) = mpsc::channel();
    c.spawn(OnCancel::Abort, |c| async move { c.general().status().await }, |_| {}, move |r| tx.send(r).unwrap())
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while sb.count("GET", "status") == before && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(sb.count("GET", "status"), before + 1, "sent while dfx's thread was held");
    assert!(rx.try_recv().is_err(), "its answer waits for dfx's thread");
    release_tx.send(()).unwrap();
    let r = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(r.is_ok(), "{r:?}");
    c.close();
}

#[test]
fn a_renew_changes_the_session_and_tells_the_listener_on_dfx_thread() {
    let sb = sandbox();
    let c = client(&sb);
    let (token, refresh) = pair(&sb);
    c.session().set(SessionField::DeviceToken, &token).unwrap();
    c.session().set(SessionField::DeviceRefreshToken, &refresh).unwrap();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let log = heard.clone();
    c.session().set_listener(Some(Arc::new(move |_json: &str| log.lock().unwrap().push(thread_name())))).unwrap();
    let (tx, rx) = mpsc::channel();
    c.spawn(
        OnCancel::Finish,
        |c| async move { c.auths().renew_stored(TokenKind::Device).await },
        |_| {},
        move |r| tx.send((r.is_ok(), thread_name())).unwrap(),
    )
    .unwrap();
    let (ok, completed_on) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(ok);
    assert_eq!(completed_on, "dfx-worker");
    let heard = heard.lock().unwrap().clone();
    assert!(!heard.is_empty(), "the listener heard of the new pair");
    assert!(heard.iter().all(|name| name == "dfx-worker"), "{heard:?}");
    c.close();
}

#[test]
fn a_thread_that_made_an_async_call_can_then_await_calls_on_its_own_runtime() {
    // The first poll of an `_async` call marks its thread as polling for
    // dfx's runtime; the mark must be gone when `spawn` returns, or this
    // thread's own runtime would run dfx's exchanges as if on dfx's thread.
    let sb = sandbox();
    let c = client(&sb);
    let (tx, rx) = mpsc::channel();
    c.spawn(OnCancel::Abort, |c| async move { c.general().status().await }, |_| {}, move |r| tx.send(r).unwrap())
        .unwrap();
    assert!(rx.recv_timeout(Duration::from_secs(5)).unwrap().is_ok());
    let own = c.clone();
    // On this thread, as a Rust caller with its own runtime would.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for _ in 0..3 {
        let r = rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), own.general().status()).await });
        assert!(matches!(r, Ok(Ok(_))), "{r:?}");
    }
    c.close();
}
