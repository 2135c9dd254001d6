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
