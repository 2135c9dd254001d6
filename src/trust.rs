//! Which certificate authorities a client trusts for https: the built-in
//! Mozilla roots (the default), the operating system's store, and CA
//! certificates the app adds (PEM) — for kiosks behind an enterprise CA or
//! a TLS-inspecting proxy. See `transport/tls.rs` for how it is checked.

use std::path::Path;

use crate::client::Client;
use crate::error::Error;
use crate::transport::TrustSources;

impl Client {
    /// Trust the roots of `sources` (built-in, system store, both or
    /// neither) besides the CAs added with [`Client::add_ca_pem`]. The
    /// system store is read now; [`Error::Tls`] when it yields no
    /// certificate (nothing changes then). Applies to connections made
    /// afterwards, on every path (blocking, `_async`, through a proxy).
    pub fn set_trust(&self, sources: TrustSources) -> Result<(), Error> {
        self.transport().set_trust_sources(sources)
    }

    /// Also trust the CA certificates of `pem` (one or more `CERTIFICATE`
    /// blocks; other blocks are ignored). Returns how many were added.
    /// [`Error::InvalidArgument`] when the text holds no certificate or a
    /// malformed one; nothing is added then. Applies to connections made
    /// afterwards.
    pub fn add_ca_pem(&self, pem: &[u8]) -> Result<usize, Error> {
        self.transport().add_ca_pem(pem)
    }

    /// [`Client::add_ca_pem`] with the contents of a file (at most 16 MiB).
    pub fn add_ca_file(&self, path: impl AsRef<Path>) -> Result<usize, Error> {
        self.transport().add_ca_file(path.as_ref())
    }
}
