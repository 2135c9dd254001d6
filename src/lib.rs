//! # dfx — a client for the NuraLogix DeepAffex Cloud API
//!
//! The crate has two faces:
//!
//! * a safe Rust API ([`Client`], [`Auths`], [`Response`], [`Error`]) that
//!   does all the work, usable as an ordinary Rust crate; every operation
//!   of the API is a row of one endpoint table, called by name with
//!   [`Client::call_operation`];
//! * a C ABI in [`ffi`] (the only module with `extern "C"` and raw pointers),
//!   from which `include/dfx.h` is generated.
//!
//! Requests run on one internal tokio runtime per process, created lazily on
//! the first request. [`blocking`] drives a call on the calling thread; the
//! `async` calls also run on any tokio runtime that awaits them.

mod auths;
mod client;
mod endpoints;
mod error;
mod general;
mod measurement;
mod organizations;
mod requests;
mod response;
mod runtime;
mod secret;
mod session;
mod token;
mod transport;
mod trust;
mod users;
mod wire;

pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;

pub use auths::Auths;
pub use client::{Client, DEFAULT_BASE_URL, DEFAULT_TIMEOUT};
pub use error::{Cancel, Error, Refusal};
pub use general::General;
pub use measurement::{ChunkPosition, Event, Handler, MeasurementStream, StreamStats, MAX_CHUNK_BYTES, MAX_UNACKED};
pub use organizations::{License, Organizations};
pub use requests::{OnCancel, RequestId, SharedToken, MAX_CONCURRENT_REQUESTS};
pub use response::Response;
pub use session::{Listener, Session, SessionField, SessionStore, TokenKind};
pub use token::token_expiry;
pub use transport::TrustSources;
pub use users::Users;

/// Run one of the client's async calls to completion on the calling thread
/// (on dfx's internal runtime). Refused with [`Error::WouldDeadlock`] on a
/// thread that drives a tokio runtime: there, `.await` the call instead.
pub fn blocking<T>(call: impl std::future::Future<Output = Result<T, Error>>) -> Result<T, Error> {
    runtime::block_on(call)?
}

/// The library's version, from Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
