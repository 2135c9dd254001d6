//! JWT-shaped access tokens and opaque one-time refresh tokens.
//!
//! The sandbox does not sign anything: the third JWT segment is random bytes.
//! Clients must treat tokens as opaque strings anyway; the shape only makes
//! them look (and decode) like the real cloud's tokens.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Which kind of token pair to issue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A device token, as `organizations.registerLicense` would return.
    Device,
    /// A user token, as `users.login` / `organizations.login` would return.
    User,
}

impl TokenKind {
    /// The value of the `Type` claim: `"Device"` or `"User"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Device => "Device",
            TokenKind::User => "User",
        }
    }

    /// Parses `"Device"` / `"User"` (ASCII case-insensitive).
    pub fn parse(s: &str) -> Option<TokenKind> {
        if s.eq_ignore_ascii_case("device") {
            Some(TokenKind::Device)
        } else if s.eq_ignore_ascii_case("user") {
            Some(TokenKind::User)
        } else {
            None
        }
    }
}

/// Lifetime of every refresh token (30 days), unless a renew asks for less
/// with `RefreshTokenExpiresIn`.
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Upper bound for any lifetime, so `SystemTime` arithmetic cannot overflow.
const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) {
    getrandom::getrandom(buf).expect("dfx-sandbox: the OS random source failed");
}

/// `n` random bytes, base64url without padding.
pub(crate) fn random_b64(n: usize) -> String {
    let mut buf = vec![0u8; n];
    fill_random(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A random version-4 UUID in its usual text form.
pub(crate) fn random_uuid() -> String {
    let mut b = [0u8; 16];
    fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// `n` random decimal digits.
pub(crate) fn random_digits(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut b = [0u8; 1];
        fill_random(&mut b);
        if b[0] < 250 {
            out.push(char::from(b'0' + b[0] % 10));
        }
    }
    out
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The `Type` claim. [`TokenKind`] is the public subset a test can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Device,
    User,
    /// From `POST auths/generateToken`; has no refresh token.
    Child,
}

impl Class {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Class::Device => "Device",
            Class::User => "User",
            Class::Child => "Child",
        }
    }
}

impl From<TokenKind> for Class {
    fn from(k: TokenKind) -> Class {
        match k {
            TokenKind::Device => Class::Device,
            TokenKind::User => Class::User,
        }
    }
}

/// The claims that survive a renew unchanged.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub id: String,
    pub organization_id: String,
    pub class: Class,
    /// `None`: no `DeviceID` claim (a view-only user token from
    /// `organizations/auth`).
    pub device_id: Option<String>,
    pub role_id: String,
    pub session_gen: u64,
}

impl Identity {
    /// A user's identity: bound to `device_id`, or view-only when `None`.
    pub(crate) fn user(user: &crate::directory::User, organization_id: String, device_id: Option<String>) -> Identity {
        Identity {
            id: user.id.clone(),
            organization_id,
            class: Class::User,
            device_id,
            role_id: user.role_id.clone(),
            session_gen: 1,
        }
    }
}

struct Record {
    identity: Identity,
    /// Lifetime of the access token; a renewed token gets the same.
    ttl: Duration,
    expires: SystemTime,
    iat: u64,
    exp: u64,
    /// The refresh token and its expiry; `None` for child tokens.
    refresh: Option<(String, SystemTime)>,
}

impl Record {
    /// The claims as `GET auth` answers them.
    fn claims(&self) -> serde_json::Value {
        let id = &self.identity;
        serde_json::json!({
            "ActiveLicense": true,
            "DeviceID": id.device_id.as_deref().unwrap_or(""),
            "ID": id.id,
            "OrganizationID": id.organization_id,
            "Region": "sandbox",
            "RemainingMeasurement": null,
            "RoleID": id.role_id,
            "SessionGen": id.session_gen,
            "Type": id.class.as_str(),
            "exp": self.exp,
            "iat": self.iat,
            "iss": "dfx-sandbox",
        })
    }
}

/// Why a renew (or generateToken) was refused (all map to 401 `INVALID_REFRESH_TOKEN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenewError {
    UnknownToken,
    Mismatch,
    RefreshExpired,
}

impl RenewError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            RenewError::UnknownToken => {
                "The token was not issued by this server, was revoked or has already been renewed"
            }
            RenewError::Mismatch => "The refresh token does not belong to this token or was already used",
            RenewError::RefreshExpired => "The refresh token has expired",
        }
    }
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerError {
    /// 401 `INVALID_TOKEN`: not issued here, revoked, renewed or malformed.
    Unknown,
    /// 401 `TOKEN_EXPIRED`.
    Expired,
    /// A live token of the wrong type.
    NotDevice,
}

impl BearerError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            BearerError::Unknown => "The bearer token is not a live token issued by this server",
            BearerError::Expired => "The bearer token has expired",
            BearerError::NotDevice => "This endpoint needs a device token",
        }
    }
}

/// Every live token. Renewed pairs are removed, so both halves of an old
/// pair are dead afterwards; decommissioning a device removes every token
/// carrying its DeviceID.
#[derive(Default)]
pub(crate) struct TokenStore {
    live: Mutex<HashMap<String, Record>>,
}

impl TokenStore {
    /// Issues a fresh pair with a new random identity in `organization_id`
    /// (the control plane's pairs).
    pub(crate) fn create_pair(
        &self,
        kind: TokenKind,
        ttl: Duration,
        organization_id: &str,
        id: Option<String>,
    ) -> (String, String) {
        let identity = Identity {
            id: id.unwrap_or_else(random_uuid),
            organization_id: organization_id.to_owned(),
            class: kind.into(),
            device_id: Some(random_uuid()),
            role_id: random_uuid(),
            session_gen: 1,
        };
        self.issue_pair(identity, ttl, REFRESH_TOKEN_TTL)
    }

    /// Issues a pair for `identity`.
    pub(crate) fn issue_pair(&self, identity: Identity, ttl: Duration, refresh_ttl: Duration) -> (String, String) {
        let mut live = self.lock();
        let (token, refresh) = issue(&mut live, identity, ttl, Some(refresh_ttl));
        (token, refresh.expect("asked for a refresh token"))
    }

    /// Exchanges a live pair for a new one. The check and the consumption
    /// happen under one lock, so of many concurrent renews of the same pair
    /// exactly one wins. The access token's own expiry does not matter.
    pub(crate) fn renew(
        &self,
        token: &str,
        refresh_token: &str,
        refresh_ttl: Option<Duration>,
    ) -> Result<(String, String), RenewError> {
        let mut live = self.lock();
        check_pair(&live, token, refresh_token)?;
        let rec = live.remove(token).expect("present under the same lock");
        let refresh_ttl = refresh_ttl
            .map(|t| t.min(REFRESH_TOKEN_TTL))
            .unwrap_or(REFRESH_TOKEN_TTL);
        let (t, r) = issue(&mut live, rec.identity, rec.ttl, Some(refresh_ttl));
        Ok((t, r.expect("asked for a refresh token")))
    }

    /// Issues a child token (no refresh token, lifetime `ttl`) with the
    /// claims of a live pair, which stays live.
    pub(crate) fn child(&self, token: &str, refresh_token: &str, ttl: Duration) -> Result<String, RenewError> {
        let mut live = self.lock();
        check_pair(&live, token, refresh_token)?;
        let identity = Identity { class: Class::Child, ..live[token].identity.clone() };
        Ok(issue(&mut live, identity, ttl, None).0)
    }

    /// The identity behind a live, unexpired token.
    pub(crate) fn bearer(&self, token: &str) -> Result<Identity, BearerError> {
        let live = self.lock();
        live_record(&live, token).map(|r| r.identity.clone())
    }

    /// Checks that `token` is a live, unexpired device token.
    pub(crate) fn check_device_bearer(&self, token: &str) -> Result<(), BearerError> {
        match self.bearer(token)?.class {
            Class::Device => Ok(()),
            _ => Err(BearerError::NotDevice),
        }
    }

    /// The claims of a live, unexpired token.
    pub(crate) fn claims(&self, token: &str) -> Result<serde_json::Value, BearerError> {
        let live = self.lock();
        live_record(&live, token).map(Record::claims)
    }

    /// Checks that `token` is a live, unexpired device token, then removes
    /// every token carrying its DeviceID (renewed device tokens, user and
    /// child tokens bound to it), all under one lock. Returns the DeviceID.
    pub(crate) fn decommission(&self, token: &str) -> Result<String, BearerError> {
        let mut live = self.lock();
        let rec = live_record(&live, token)?;
        let device_id = match (rec.identity.class, &rec.identity.device_id) {
            (Class::Device, Some(d)) => d.clone(),
            _ => return Err(BearerError::NotDevice),
        };
        live.retain(|_, r| r.identity.device_id.as_deref() != Some(device_id.as_str()));
        Ok(device_id)
    }

    /// Removes every token whose subject (`ID` claim) is `id` and whose type
    /// is in `classes` (logout, user removal).
    pub(crate) fn revoke_subject(&self, id: &str, classes: &[Class]) {
        self.lock().retain(|_, r| !(r.identity.id == id && classes.contains(&r.identity.class)));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Record>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn live_record<'a>(live: &'a HashMap<String, Record>, token: &str) -> Result<&'a Record, BearerError> {
    let rec = live.get(token).ok_or(BearerError::Unknown)?;
    if rec.expires <= SystemTime::now() {
        return Err(BearerError::Expired);
    }
    Ok(rec)
}

/// `token` is live (expired or not) and `refresh_token` is its unexpired
/// refresh token.
fn check_pair(live: &HashMap<String, Record>, token: &str, refresh_token: &str) -> Result<(), RenewError> {
    let rec = live.get(token).ok_or(RenewError::UnknownToken)?;
    match &rec.refresh {
        Some((r, _)) if r == refresh_token => {}
        _ => return Err(RenewError::Mismatch),
    }
    match &rec.refresh {
        Some((_, expires)) if *expires > SystemTime::now() => Ok(()),
        _ => Err(RenewError::RefreshExpired),
    }
}

/// Issues an access token and, when `refresh_ttl` is given, its refresh token.
fn issue(
    live: &mut HashMap<String, Record>,
    identity: Identity,
    ttl: Duration,
    refresh_ttl: Option<Duration>,
) -> (String, Option<String>) {
    let ttl = ttl.min(MAX_TTL);
    let now = SystemTime::now();
    let iat = unix_secs(now);
    let exp = iat + ttl.as_secs();
    let mut payload = serde_json::json!({
        "ID": identity.id,
        "OrganizationID": identity.organization_id,
        "Type": identity.class.as_str(),
        "RoleID": identity.role_id,
        "SessionGen": identity.session_gen,
        "Region": "sandbox",
        "iss": "dfx-sandbox",
        "iat": iat,
        "exp": exp,
        "jti": random_b64(12),
    });
    if let Some(d) = &identity.device_id {
        payload["DeviceID"] = serde_json::Value::String(d.clone());
    }
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        random_b64(32)
    );
    let refresh = refresh_ttl.map(|rt| (random_b64(48), now + rt.min(MAX_TTL)));
    let refresh_token = refresh.as_ref().map(|(r, _)| r.clone());
    live.insert(token.clone(), Record { identity, ttl, expires: now + ttl, iat, exp, refresh });
    (token, refresh_token)
}
