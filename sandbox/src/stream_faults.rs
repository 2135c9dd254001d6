//! Faults of the measurement stream: drop a socket after N frames, refuse
//! the upgrade, delay chunk results, rate-limit chunks (socket and HTTP).
//! Separate from the HTTP `Fault` list: they act on sockets and chunks, not
//! on one HTTP request.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

/// Body of a refused upgrade when the fault gives none.
pub(crate) const REFUSE_DEFAULT_BODY: &str =
    r#"{"Code":"UPGRADE_REFUSED","Message":"dfx-sandbox refused this WebSocket upgrade on purpose"}"#;

/// `POST /_sandbox/ws/drop`: `{"AfterFrames": N, "Count": 1}`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(crate) struct DropRequest {
    pub after_frames: u32,
    #[serde(default = "one")]
    pub count: u32,
}

/// `POST /_sandbox/ws/refuse`: `{"Status": 503, "Body": ..., "Count": 1}`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(crate) struct RefuseRequest {
    pub status: u16,
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    #[serde(default = "one")]
    pub count: u32,
}

/// `POST /_sandbox/results-delay`: `{"DelayMs": 250}`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(crate) struct DelayRequest {
    pub delay_ms: u64,
}

/// `POST /_sandbox/rate-limit`: `{"Chunks": 3}`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(crate) struct RateLimitRequest {
    pub chunks: u32,
}

fn one() -> u32 {
    1
}

/// `None` remaining = until cleared (a count of 0).
fn remaining(count: u32) -> Option<u32> {
    (count != 0).then_some(count)
}

struct Refusal {
    status: u16,
    body: String,
    remaining: Option<u32>,
}

struct DropAfter {
    frames: u32,
    remaining: Option<u32>,
}

#[derive(Default)]
pub(crate) struct StreamFaults {
    drops: Mutex<Vec<DropAfter>>,
    refusals: Mutex<Vec<Refusal>>,
    results_delay_ms: AtomicU64,
    rate_limited: AtomicU32,
}

impl StreamFaults {
    /// The next `count` sockets opened (0 = every one until cleared) are
    /// each dropped once they received `frames` frames (at least 1).
    pub(crate) fn push_drop(&self, frames: u32, count: u32) -> Result<(), String> {
        if frames == 0 {
            return Err("AfterFrames must be at least 1".into());
        }
        lock(&self.drops).push(DropAfter { frames, remaining: remaining(count) });
        Ok(())
    }

    /// The next `count` upgrades (0 = every one until cleared) are answered
    /// `status` with `body` (JSON text; empty = the default body).
    pub(crate) fn push_refusal(&self, status: u16, body: String, count: u32) -> Result<(), String> {
        if !(200..=599).contains(&status) {
            return Err(format!("Status {status} is outside 200..=599"));
        }
        let body = if body.is_empty() { REFUSE_DEFAULT_BODY.to_owned() } else { body };
        lock(&self.refusals).push(Refusal { status, body, remaining: remaining(count) });
        Ok(())
    }

    pub(crate) fn set_results_delay(&self, delay: Duration) {
        self.results_delay_ms.store(delay.as_millis().min(u64::MAX as u128) as u64, Ordering::Relaxed);
    }

    pub(crate) fn results_delay(&self) -> Duration {
        Duration::from_millis(self.results_delay_ms.load(Ordering::Relaxed))
    }

    /// The next `chunks` data calls (socket `0506` and HTTP) get 429.
    pub(crate) fn set_rate_limit(&self, chunks: u32) {
        self.rate_limited.store(chunks, Ordering::SeqCst);
    }

    /// Uses up one rate-limited chunk if any is left.
    pub(crate) fn take_rate_limit(&self) -> bool {
        self.rate_limited.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
    }

    /// For a socket being opened: after how many frames it is dropped.
    pub(crate) fn take_drop(&self) -> Option<u32> {
        take(&mut lock(&self.drops), |d| &mut d.remaining, |d| d.frames)
    }

    /// For an upgrade: the status and body to refuse it with.
    pub(crate) fn take_refusal(&self) -> Option<(u16, String)> {
        take(&mut lock(&self.refusals), |r| &mut r.remaining, |r| (r.status, r.body.clone()))
    }

    pub(crate) fn clear(&self) {
        lock(&self.drops).clear();
        lock(&self.refusals).clear();
        self.set_results_delay(Duration::ZERO);
        self.set_rate_limit(0);
    }
}

/// Uses one use of the first entry and returns what `read` makes of it.
fn take<T, R>(list: &mut Vec<T>, remaining: impl Fn(&mut T) -> &mut Option<u32>, read: impl Fn(&T) -> R) -> Option<R> {
    let first = list.first_mut()?;
    let out = read(first);
    if let Some(n) = remaining(first) {
        *n -= 1;
        if *n == 0 {
            list.remove(0);
        }
    }
    Some(out)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
