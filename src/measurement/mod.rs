//! A measurement stream: the caller hands in each chunk's raw bytes, dfx
//! sends them (base64, JSON, over the WebSocket; over HTTP when no socket
//! can be opened) and hands back each chunk's acknowledgement, each result
//! as the server computes it, then the end with the final results.
//!
//! `stream.rs` is the caller's side (chunks in, bounded, events out);
//! `run.rs` the task that drives one stream; `websocket.rs` one socket's
//! conversation; `socket.rs` opening it; `frame.rs` the frame layout.

pub(crate) mod frame;
pub(crate) mod run;
mod socket;
mod stream;
mod websocket;

pub use stream::{ChunkPosition, Event, Handler, MeasurementStream, StreamStats, MAX_CHUNK_BYTES, MAX_UNACKED};
