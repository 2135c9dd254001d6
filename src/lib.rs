//! # dfx — a client for the NuraLogix DeepAffex Cloud API
//!
//! The crate has two faces:
//!
//! * a safe Rust API ([`Client`], [`Auths`], [`Response`], [`Error`]) that
//!   does all the work, usable as an ordinary Rust crate;
//! * a C ABI in [`ffi`] (the only module with `extern "C"` and raw pointers),
//!   from which `include/dfx.h` is generated.
//!
//! Requests run on one internal tokio runtime per process, created lazily on
//! the first request. The blocking calls ([`Auths::renew_blocking`] and
//! friends) drive their request on the calling thread; the `async` ones run
//! on whatever tokio runtime awaits them.

mod auths;
mod client;
mod error;
mod response;
mod runtime;
mod secret;
mod transport;

pub mod ffi;

pub use auths::Auths;
pub use client::{Client, DEFAULT_BASE_URL, DEFAULT_TIMEOUT};
pub use error::Error;
pub use response::Response;

/// The library's version, from Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
