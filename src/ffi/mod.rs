//! The C ABI: the only module with `extern "C"` and raw pointers.
//!
//! Everything here is mechanical: check the arguments, call the safe core,
//! hand results across the boundary. One file per handle type, plus the
//! infrastructure every export uses:
//!
//! * [`boundary`] — the panic boundary every export runs inside, and the
//!   per-thread last error message;
//! * [`status`] — `DfxStatus`, its constants and names, and the one place
//!   where a core [`crate::Error`] becomes a status;
//! * [`args`] — NULL, UTF-8 and out-parameter checks.
//!
//! Naming: `dfx_<type>_<verb>`, handle first, inputs, then outputs.
//! `include/dfx.h` is generated from these files by `build.rs` (cbindgen).

#[macro_use]
mod boundary;
mod args;
// Declaration order is the header's order.
pub mod client;
pub mod trust;
pub mod callback;
pub mod session;
pub mod auths;
pub mod organizations;
pub mod users;
pub mod general;
pub mod call;
pub mod stream;
pub mod response;
pub mod string;
pub mod status;
pub mod version;

pub use auths::*;
pub use call::*;
pub use callback::*;
pub use client::*;
pub use general::*;
pub use organizations::*;
pub use session::*;
pub use string::*;
pub use trust::*;
pub use users::*;
pub use response::*;
pub use status::*;
pub use stream::*;
pub use version::*;
