//! Counters of the measurement stream: per socket server-wide, per
//! measurement (kept on the measurement itself, see `measurements.rs`).

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

/// WebSocket counters since the start (or the last reset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SocketStats {
    /// Upgrades answered 101.
    pub opened: u64,
    /// Upgrades answered anything else: a refuse fault, a bad token in the
    /// `Authorization` header, a malformed upgrade request.
    pub refused: u64,
    /// Data frames (text or binary messages) received on every socket,
    /// malformed ones included.
    pub frames: u64,
    /// Frames dropped without an answer: shorter than 14 bytes, action not
    /// 4 digits, request id not 10 printable ASCII characters; also a
    /// message over the size limit or invalid UTF-8 in a text frame (both
    /// close the socket).
    pub malformed_frames: u64,
    /// Sockets closed by a drop fault.
    pub dropped_by_fault: u64,
}

impl SocketStats {
    /// The control plane's JSON (`GET /_sandbox/ws/stats`).
    pub(crate) fn to_json(self) -> Value {
        json!({
            "Opened": self.opened,
            "Refused": self.refused,
            "Frames": self.frames,
            "MalformedFrames": self.malformed_frames,
            "DroppedByFault": self.dropped_by_fault,
        })
    }
}

/// What the sandbox did with one measurement's chunks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasurementStats {
    /// Chunks applied (over the socket and HTTP together); a duplicate is
    /// not applied and not counted here.
    pub chunks_accepted: u64,
    /// Chunks whose `ChunkOrder` had already been accepted (acknowledged
    /// again, not applied).
    pub duplicates: u64,
    /// Chunk results computed (and pushed to subscribers).
    pub results_computed: u64,
    /// `CAPTURING`, `PROCESSING` or `COMPLETE`, as `measurements.retrieve`.
    pub status: String,
}

impl MeasurementStats {
    /// The control plane's JSON (`GET /_sandbox/measurements/{id}`).
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "ChunksAccepted": self.chunks_accepted,
            "Duplicates": self.duplicates,
            "ResultsComputed": self.results_computed,
            "StatusID": self.status,
        })
    }
}

#[derive(Default)]
pub(crate) struct SocketCounters {
    pub opened: AtomicU64,
    pub refused: AtomicU64,
    pub frames: AtomicU64,
    pub malformed_frames: AtomicU64,
    pub dropped_by_fault: AtomicU64,
}

impl SocketCounters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> SocketStats {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SocketStats {
            opened: r(&self.opened),
            refused: r(&self.refused),
            frames: r(&self.frames),
            malformed_frames: r(&self.malformed_frames),
            dropped_by_fault: r(&self.dropped_by_fault),
        }
    }

    pub(crate) fn reset(&self) {
        for c in [&self.opened, &self.refused, &self.frames, &self.malformed_frames, &self.dropped_by_fault] {
            c.store(0, Ordering::Relaxed);
        }
    }
}
