//! Which redirects a call follows: only `307`/`308` (they keep the method
//! and body; 301/302/303 would turn a POST or PATCH into a body-less GET),
//! only to the base URL's origin (the request carries a token), at most
//! [`MAX_REDIRECTS`] in a row. Both transports ask [`allow`].

use url::Url;

use super::endpoint::Target;

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

/// The redirects of one call so far.
pub(crate) struct Redirects<'a> {
    base: &'a Url,
    /// The URL of the last request, once a redirect needed it.
    current: Option<Url>,
    followed: usize,
}

impl<'a> Redirects<'a> {
    pub(crate) fn new(base: &'a Url) -> Redirects<'a> {
        Redirects { base, current: None, followed: 0 }
    }

    /// After an answer to `target` with `status` and `location`: the next
    /// request target when the redirect is followed, `None` when the answer
    /// is the call's answer, `Err` when the redirect is refused.
    pub(crate) fn next(&mut self, target: &Target<'_>, status: u16, location: Option<&str>) -> Result<Option<Target<'static>>, String> {
        let Some(location) = location.filter(|_| is_redirect(status)) else {
            return Ok(None);
        };
        let base = self.base;
        let current = self.current.get_or_insert_with(|| {
            let mut u = base.clone();
            u.set_path(&target.joined());
            u
        });
        // A Location that does not parse leaves the answer as it is.
        let Ok(next) = current.join(location) else {
            return Ok(None);
        };
        allow(status, &next, base, self.followed)?;
        self.followed += 1;
        let target = match next.query() {
            Some(q) => format!("{}?{q}", next.path()),
            None => next.path().to_owned(),
        };
        self.current = Some(next);
        Ok(Some(Target::Given(target)))
    }
}
