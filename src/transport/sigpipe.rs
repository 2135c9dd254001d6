//! SIGPIPE. A write to a connection the peer has reset raises it, and its
//! default action ends the process: a C host that has not ignored it would
//! die of a dropped connection. dfx's own writes never raise it (`send`
//! with MSG_NOSIGNAL; TLS records through `failure::NoSigPipe`). Code dfx
//! does not write — hyper under reqwest, for proxied calls — uses `writev`,
//! which has no such flag. So the signal is blocked in the threads that run
//! that code:
//! * dfx's runtime threads, for good ([`block_in_this_thread`]);
//! * a caller's thread, for the length of each blocking call, once the
//!   process has a client that calls through a proxy
//!   ([`note_foreign_writers`], [`Suppressed::for_blocking_call`]) — hyper's
//!   connection tasks run whenever a thread's runtime does, not only during
//!   the proxied call that opened them. A SIGPIPE raised meanwhile is taken
//!   back before the signal is unblocked again.
//!
//! The process's signal dispositions are never touched. On Apple systems
//! every socket is made with SO_NOSIGPIPE (std, mio, socket2), so a call
//! has nothing to suppress there.

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether hyper may write on callers' threads: set when the process makes
/// its first client that calls through a proxy, and never cleared.
static FOREIGN_WRITERS: AtomicBool = AtomicBool::new(false);

/// Note that the process now has a client that calls through a proxy: from
/// now on its blocking calls run with SIGPIPE suppressed (set before any of
/// that client's calls, so none runs unguarded).
#[cfg_attr(not(feature = "proxy"), allow(dead_code))]
pub(crate) fn note_foreign_writers() {
    FOREIGN_WRITERS.store(true, Ordering::Relaxed);
}

#[cfg(all(unix, not(target_vendor = "apple")))]
mod imp {
    use std::marker::PhantomData;
    use std::mem::MaybeUninit;
    use std::ptr;

    fn sigpipe_set() -> libc::sigset_t {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the set; sigaddset of a valid
        // signal number on an initialised set cannot fail.
        unsafe {
            libc::sigemptyset(set.as_mut_ptr());
            libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
            set.assume_init()
        }
    }

    pub(super) fn sigpipe_pending() -> bool {
        let mut pending = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigpending fills the set it is given.
        unsafe { libc::sigpending(pending.as_mut_ptr()) == 0 && libc::sigismember(pending.as_ptr(), libc::SIGPIPE) == 1 }
    }

    /// SIGPIPE blocked in this thread until dropped. Not `Send`: it must
    /// be dropped on the thread that made it.
    pub(crate) struct Suppressed {
        /// SIGPIPE was unblocked before: unblock it again when done.
        unblock: bool,
        /// One was pending before: not ours to take.
        was_pending: bool,
        _this_thread: PhantomData<*const ()>,
    }

    impl Suppressed {
        pub(crate) fn new() -> Suppressed {
            let set = sigpipe_set();
            let mut old = MaybeUninit::<libc::sigset_t>::uninit();
            let was_pending = sigpipe_pending();
            // SAFETY: valid sets; pthread_sigmask fills `old`.
            let unblock = unsafe {
                libc::pthread_sigmask(libc::SIG_BLOCK, &set, old.as_mut_ptr()) == 0
                    && libc::sigismember(old.as_ptr(), libc::SIGPIPE) == 0
            };
            Suppressed { unblock, was_pending, _this_thread: PhantomData }
        }
    }

    impl Drop for Suppressed {
        fn drop(&mut self) {
            if !self.unblock {
                // Blocked before us (by the host or an outer guard): it stays
                // blocked, and what is pending is for whoever blocked it.
                return;
            }
            if !self.was_pending && sigpipe_pending() {
                let set = sigpipe_set();
                let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
                // SAFETY: valid set and timeout; takes the pending SIGPIPE
                // without waiting (none pending: returns at once).
                unsafe { libc::sigtimedwait(&set, ptr::null_mut(), &zero) };
            }
            let set = sigpipe_set();
            // SAFETY: unblocks only SIGPIPE, which `new` blocked.
            unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, ptr::null_mut()) };
        }
    }
}

#[cfg(not(all(unix, not(target_vendor = "apple"))))]
mod imp {
    pub(crate) struct Suppressed(std::marker::PhantomData<*const ()>);

    impl Suppressed {
        pub(crate) fn new() -> Suppressed {
            Suppressed(std::marker::PhantomData)
        }
    }
}

pub(crate) use imp::Suppressed;

/// Block SIGPIPE in the calling thread for the rest of its life (dfx's
/// runtime threads, where C callbacks run too).
pub(crate) fn block_in_this_thread() {
    #[cfg(unix)]
    // SAFETY: sigemptyset initialises the set, sigaddset adds a valid
    // signal, pthread_sigmask reads it; the old mask is not wanted.
    unsafe {
        let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut());
    }
}

impl Suppressed {
    /// Suppressed for a blocking call, if hyper may write on this thread
    /// (see [`note_foreign_writers`]); else nothing, at the cost of one
    /// atomic load.
    pub(crate) fn for_blocking_call() -> Option<Suppressed> {
        FOREIGN_WRITERS.load(Ordering::Relaxed).then(Suppressed::new)
    }
}

#[cfg(all(test, unix, not(target_vendor = "apple")))]
mod tests {
    use super::imp::sigpipe_pending;
    use super::*;

    fn raise_here() {
        // SAFETY: raising a signal in this thread.
        unsafe { libc::pthread_kill(libc::pthread_self(), libc::SIGPIPE) };
    }

    #[test]
    fn a_sigpipe_raised_while_suppressed_is_taken_back() {
        // (Rust ignores SIGPIPE; a blocked signal stays pending all the
        // same. tests/proxy.rs runs with the default action, as a C host.)
        std::thread::spawn(|| {
            {
                let _quiet = Suppressed::new();
                raise_here();
                assert!(sigpipe_pending(), "blocked, so pending");
                {
                    let _inner = Suppressed::new();
                }
                assert!(sigpipe_pending(), "an inner guard leaves it to the outer");
            }
            assert!(!sigpipe_pending(), "taken back when the guard went");
            // Unblocked again: raised now, it is delivered (and ignored).
            raise_here();
            assert!(!sigpipe_pending());
        })
        .join()
        .unwrap();
    }

    #[test]
    fn blocking_calls_are_suppressed_once_a_proxy_is_used() {
        // (Other tests in this binary may have set it already.)
        note_foreign_writers();
        assert!(Suppressed::for_blocking_call().is_some());
    }
}
