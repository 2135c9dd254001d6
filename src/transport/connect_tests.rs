//! Connecting, on both direct paths: one budget for the name lookup, every
//! address tried and the TLS handshake; bounded lookups. Loopback stalls:
//! a listener whose accept queue is full (its SYNs go unanswered), one that
//! takes connections and never answers the TLS hello, a resolver that is
//! slow. The connect limit and the resolver are the endpoint's, set here.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::endpoint::Endpoint;
use super::lookup::Lookups;
use super::tls_tests::{endpoint, server, STATUS};
use super::{blocking, nonblocking};
use crate::error::Error;
use crate::response::Response;

/// An address whose connects hang: a listener with a full accept queue.
fn syn_sink() -> (SocketAddr, TcpListener, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    #[cfg(unix)]
    // SAFETY: listen() on a socket we own; lowers its backlog.
    unsafe {
        libc::listen(std::os::fd::AsRawFd::as_raw_fd(&listener), 0);
    }
    let addr = listener.local_addr().unwrap();
    let filler = TcpStream::connect(addr).unwrap();
    (addr, listener, filler)
}

/// An address that takes connections and never says a word.
fn mute() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    addr
}

/// Lookups that take `delay` and answer `addrs` (whatever the name).
fn slow_resolver(delay: Duration, addrs: Vec<SocketAddr>) -> &'static Lookups {
    let resolve = move |_: &str, _: u16| {
        thread::sleep(delay);
        Ok(addrs.clone())
    };
    Box::leak(Box::new(Lookups::new(4, Some(Box::new(resolve)))))
}

/// An https endpoint for a name (so it is looked up) trusting the test CA.
fn named(lookups: &'static Lookups, connect_limit: Duration) -> Arc<Endpoint> {
    let mut ep = Arc::into_inner(endpoint("https://localhost:1", true)).unwrap();
    ep.lookups = lookups;
    ep.connect_limit = connect_limit;
    Arc::new(ep)
}

/// `GET /status` on the blocking path, and on the `_async` path, neither
/// with a deadline of its own: only the connect limit bounds them.
fn both_paths(ep: &Arc<Endpoint>) -> [(&'static str, Result<Response, Error>, Duration); 2] {
    let alive = super::registry::Registry::new();
    let started = Instant::now();
    let blocking = blocking::Call { endpoint: ep, transport: Arc::as_ptr(&alive) as usize, registry: &alive, deadline: None }
        .send(STATUS);
    let blocking_took = started.elapsed();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let pool = Arc::new(nonblocking::Pool::default());
    let started = Instant::now();
    let nonblocking = rt.block_on(nonblocking::send(ep, &pool, STATUS, None));
    [("blocking", blocking, blocking_took), ("async", nonblocking, started.elapsed())]
}

#[test]
fn one_budget_covers_the_lookup_every_address_and_the_handshake() {
    // A 300 ms lookup, an address that never accepts, one that never
    // completes TLS: connecting ends when the 1 s budget does.
    let (sink, _listener, _filler) = syn_sink();
    let ep = named(slow_resolver(Duration::from_millis(300), vec![sink, mute()]), Duration::from_secs(1));
    for (path, result, took) in both_paths(&ep) {
        assert!(matches!(&result, Err(Error::ConnectTimeout(_))), "{path}: {result:?}");
        // (Each stall on its own budget, as before, would take 2.3 s.)
        assert!(took >= Duration::from_millis(950) && took < Duration::from_millis(1900), "{path}: took {took:?}");
    }
}

#[test]
fn an_address_that_never_answers_leaves_time_for_the_next() {
    let (sink, _listener, _filler) = syn_sink();
    let (port, _) = server();
    let good = SocketAddr::from(([127, 0, 0, 1], port));
    // The dead address gets half the 3 s budget, the good one the rest.
    let ep = named(slow_resolver(Duration::ZERO, vec![sink, good]), Duration::from_secs(3));
    for (path, result, took) in both_paths(&ep) {
        assert!(result.as_ref().is_ok_and(|r| r.status() == 200), "{path}: {result:?}");
        assert!(took >= Duration::from_millis(1400) && took < Duration::from_millis(2700), "{path}: took {took:?}");
    }
}

#[test]
fn lookups_are_shared_and_bounded() {
    // A resolver that notes how many lookups run at once and how many ran.
    let (now, most, calls) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (n, m, c) = (now.clone(), most.clone(), calls.clone());
    let resolve = move |host: &str, _: u16| {
        c.fetch_add(1, Ordering::SeqCst);
        m.fetch_max(n.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(if host.starts_with("stuck") { 1500 } else { 100 }));
        n.fetch_sub(1, Ordering::SeqCst);
        Ok(vec![SocketAddr::from(([127, 0, 0, 1], 9))])
    };
    let lookups: &'static Lookups = Box::leak(Box::new(Lookups::new(2, Some(Box::new(resolve)))));
    let resolve_all = |hosts: Vec<String>| {
        let threads: Vec<_> = hosts
            .into_iter()
            .map(|host| thread::spawn(move || lookups.resolve_blocking(&host, 443, Instant::now() + Duration::from_secs(5))))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect::<Vec<_>>()
    };
    // Eight callers of one name: one lookup.
    let answers = resolve_all(vec!["same".to_owned(); 8]);
    assert!(answers.iter().all(|a| a.as_ref().is_ok_and(|a| a.len() == 1)), "{answers:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "shared");
    // Eight names: each looked up, never more than two at once.
    let answers = resolve_all((0..8).map(|i| format!("h{i}")).collect());
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!((calls.load(Ordering::SeqCst), most.load(Ordering::SeqCst)), (9, 2), "bounded");
    assert_eq!(lookups.running(), 0, "all ended");
    // Both places taken by lookups that hang: a caller waits for a place
    // only as long as its budget, on both paths.
    let stuck: Vec<_> = ["stuck1", "stuck2"]
        .into_iter()
        .map(|host| thread::spawn(move || lookups.resolve_blocking(host, 1, Instant::now() + Duration::from_secs(5))))
        .collect();
    thread::sleep(Duration::from_millis(200));
    assert_eq!(lookups.running(), 2);
    let started = Instant::now();
    let e = lookups.resolve_blocking("late", 1, Instant::now() + Duration::from_millis(200)).unwrap_err();
    assert!(matches!(e, Error::ConnectTimeout(_)) && started.elapsed() < Duration::from_millis(700), "{e:?}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let e = rt.block_on(lookups.resolve("late", 1, Instant::now() + Duration::from_millis(200))).unwrap_err();
    assert!(matches!(e, Error::ConnectTimeout(_)), "{e:?}");
    // Once they end, waiting callers get their turn.
    let answer = rt.block_on(lookups.resolve("late", 1, Instant::now() + Duration::from_secs(5)));
    assert!(answer.is_ok(), "{answer:?}");
    for t in stuck {
        assert!(t.join().unwrap().is_ok());
    }
}

/// A plain HTTP server answering every request `OK`, keep-alive; when each
/// connection ended (the client closed it).
fn keep_alive_server() -> (u16, Arc<std::sync::Mutex<Vec<Instant>>>) {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ended = Arc::new(std::sync::Mutex::new(Vec::new()));
    let noted = ended.clone();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let noted = noted.clone();
            thread::spawn(move || {
                let (mut data, mut byte) = (Vec::new(), [0u8; 1]);
                while conn.read(&mut byte).unwrap_or(0) == 1 {
                    data.push(byte[0]);
                    if data.ends_with(b"\r\n\r\n") {
                        data.clear();
                        let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
                        let _ = conn.write_all(ok);
                    }
                }
                noted.lock().unwrap().push(Instant::now());
            });
        }
    });
    (port, ended)
}

#[test]
fn idle_pooled_connections_close_after_the_idle_limit() {
    let (port, ended) = keep_alive_server();
    let mut ep = Arc::into_inner(endpoint(&format!("http://127.0.0.1:{port}"), false)).unwrap();
    ep.idle_limit = Duration::from_millis(300);
    let ep = Arc::new(ep);
    let pool = Arc::new(nonblocking::Pool::default());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // Two calls one after the other: one connection, reused.
    for _ in 0..2 {
        let r = rt.block_on(nonblocking::send(&ep, &pool, STATUS, None));
        assert!(r.is_ok_and(|r| r.status() == 200));
    }
    let idle_from = Instant::now();
    while ended.lock().unwrap().is_empty() && idle_from.elapsed() < Duration::from_secs(3) {
        thread::sleep(Duration::from_millis(10));
    }
    let ended = ended.lock().unwrap().clone();
    assert_eq!(ended.len(), 1, "the idle connection was still open after 3 s");
    let after = ended[0] - idle_from;
    assert!(after >= Duration::from_millis(250) && after < Duration::from_millis(1500), "closed after {after:?}");
}

#[test]
fn idle_blocking_connections_close_after_the_idle_limit() {
    // This thread makes two calls and then no more: its kept connection
    // closes when the idle limit is up, not at its next call.
    let (port, ended) = keep_alive_server();
    let mut ep = Arc::into_inner(endpoint(&format!("http://127.0.0.1:{port}"), false)).unwrap();
    ep.idle_limit = Duration::from_millis(300);
    let registry = super::registry::Registry::new();
    let call = blocking::Call { endpoint: &ep, transport: Arc::as_ptr(&registry) as usize, registry: &registry, deadline: None };
    for _ in 0..2 {
        assert!(call.send(STATUS).is_ok_and(|r| r.status() == 200));
    }
    let idle_from = Instant::now();
    while ended.lock().unwrap().is_empty() && idle_from.elapsed() < Duration::from_secs(3) {
        thread::sleep(Duration::from_millis(10));
    }
    let ended = ended.lock().unwrap().clone();
    assert_eq!(ended.len(), 1, "one connection, reused, and still open after 3 s");
    let after = ended[0] - idle_from;
    assert!(after >= Duration::from_millis(250) && after < Duration::from_millis(1500), "closed after {after:?}");
    // The next call on this thread finds it closed and opens another.
    assert!(call.send(STATUS).is_ok_and(|r| r.status() == 200));
}

#[cfg(unix)]
#[test]
fn a_fork_never_leaves_the_child_a_lock_another_thread_held() {
    // Another thread holds a pool's lock when this one forks: the fork
    // waits for it, so the child can take the lock (it would wait for
    // ever on a lock whose holder does not exist in it).
    let pool = Arc::new(nonblocking::Pool::default());
    let (held, holding) = std::sync::mpsc::channel();
    let theirs = pool.clone();
    let holder = thread::spawn(move || {
        let _locked = theirs.lock();
        held.send(()).unwrap();
        thread::sleep(Duration::from_millis(300));
    });
    holding.recv().unwrap();
    let started = Instant::now();
    // SAFETY: the child only takes a lock and leaves with _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop(pool.lock());
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(0) };
    }
    assert!(pid > 0, "fork failed");
    let mut status = 0;
    let ended = loop {
        // SAFETY: waits for our own child without blocking.
        if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == pid {
            break true;
        }
        if started.elapsed() > Duration::from_secs(3) {
            // SAFETY: ends and reaps the child we made.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            break false;
        }
        thread::sleep(Duration::from_millis(10));
    };
    holder.join().unwrap();
    assert!(ended, "the child hung on a lock held at the fork");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child status {status}");
}
