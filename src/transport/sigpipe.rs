//! SIGPIPE. A write to a connection the peer has reset raises it, and its
//! default action ends the process: a C host that has not ignored it would
//! die of a dropped connection. dfx's own writes never raise it (`send`
//! with MSG_NOSIGNAL; TLS records through `failure::NoSigPipe`). Code dfx
//! does not write — hyper under reqwest, for proxied calls — uses `writev`,
//! which has no such flag. So the signal is blocked in the threads that run
//! that code: dfx's runtime threads for good ([`block_in_this_thread`]), a
//! caller's thread for the length of a proxied blocking call
//! ([`Suppressed`]), which takes back a SIGPIPE raised meanwhile. The
//! process's signal dispositions are never touched.

// Without the `proxy` feature only the runtime threads' part is used.
#[cfg(unix)]
#[cfg_attr(not(feature = "proxy"), allow(dead_code))]
mod imp {
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

    fn sigpipe_pending() -> bool {
        let mut pending = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigpending fills the set it is given.
        unsafe { libc::sigpending(pending.as_mut_ptr()) == 0 && libc::sigismember(pending.as_ptr(), libc::SIGPIPE) == 1 }
    }

    /// Block SIGPIPE in the calling thread for the rest of its life.
    pub(crate) fn block_in_this_thread() {
        let set = sigpipe_set();
        // SAFETY: a valid set; the old mask is not wanted.
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, ptr::null_mut()) };
    }

    /// SIGPIPE blocked in this thread until dropped, on the thread that
    /// made it (a blocking call's future never leaves its thread).
    pub(crate) struct Suppressed {
        old: libc::sigset_t,
        /// One was pending before: not ours to take.
        was_pending: bool,
    }

    impl Suppressed {
        pub(crate) fn new() -> Suppressed {
            let set = sigpipe_set();
            let mut old = MaybeUninit::<libc::sigset_t>::uninit();
            let was_pending = sigpipe_pending();
            // SAFETY: valid sets; pthread_sigmask fills `old`.
            let old = unsafe {
                libc::pthread_sigmask(libc::SIG_BLOCK, &set, old.as_mut_ptr());
                old.assume_init()
            };
            Suppressed { old, was_pending }
        }
    }

    impl Drop for Suppressed {
        fn drop(&mut self) {
            if !self.was_pending && sigpipe_pending() {
                take_pending();
            }
            // SAFETY: restores the mask saved by `new`.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, ptr::null_mut()) };
        }
    }

    /// Take the pending SIGPIPE without waiting.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn take_pending() {
        let set = sigpipe_set();
        let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: valid set and timeout; the signal's details are not wanted.
        unsafe { libc::sigtimedwait(&set, ptr::null_mut(), &zero) };
    }

    /// Take the pending SIGPIPE (it is pending: `sigwait` returns at once).
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn take_pending() {
        let set = sigpipe_set();
        let mut signal = 0;
        // SAFETY: valid set and output.
        unsafe { libc::sigwait(&set, &mut signal) };
    }
}

#[cfg(not(unix))]
#[cfg_attr(not(feature = "proxy"), allow(dead_code))]
mod imp {
    pub(crate) fn block_in_this_thread() {}

    pub(crate) struct Suppressed;

    impl Suppressed {
        pub(crate) fn new() -> Suppressed {
            Suppressed
        }
    }
}

pub(crate) use imp::block_in_this_thread;
#[cfg(any(feature = "proxy", test))]
pub(crate) use imp::Suppressed;

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_sigpipe_raised_while_suppressed_is_taken_back() {
        // (Rust ignores SIGPIPE; a blocked signal stays pending all the
        // same. tests/proxy.rs runs with the default action, as a C host.)
        {
            let _quiet = Suppressed::new();
            // SAFETY: raising a signal in this thread.
            unsafe { libc::pthread_kill(libc::pthread_self(), libc::SIGPIPE) };
            assert!(pending(), "blocked, so pending");
        }
        assert!(!pending(), "taken back when the guard went");
    }

    fn pending() -> bool {
        let mut pending = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigpending fills the set.
        unsafe { libc::sigpending(pending.as_mut_ptr()) == 0 && libc::sigismember(pending.as_ptr(), libc::SIGPIPE) == 1 }
    }
}
