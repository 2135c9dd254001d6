//! Which redirects a call follows: only `307`/`308` (they keep the method
//! and body; 301/302/303 would turn a POST or PATCH into a body-less GET),
//! only to the base URL's origin (the request carries a token), at most
//! [`MAX_REDIRECTS`] in a row. Both transports ask [`allow`].

use reqwest::Url;

/// Most redirects followed in one call.
pub(crate) const MAX_REDIRECTS: usize = 5;

/// Whether the redirect answered with `status` to `next` may be followed,
/// `followed` redirects into the call. `Err` says why not.
pub(crate) fn allow(status: u16, next: &Url, base: &Url, followed: usize) -> Result<(), String> {
    if followed >= MAX_REDIRECTS {
        Err(format!("more than {MAX_REDIRECTS} redirects"))
    } else if next.origin() != base.origin() {
        Err("redirect to another origin".into())
    } else if !matches!(status, 307 | 308) {
        Err(format!("HTTP {status} redirect would drop the request body"))
    } else {
        Ok(())
    }
}

/// Whether `status` is one a `Location` header turns into a redirect.
pub(crate) fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}
