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

/// The claims that survive a renew unchanged.
#[derive(Clone, Debug)]
struct Identity {
    id: String,
    organization_id: String,
    kind: TokenKind,
    device_id: String,
    role_id: String,
    session_gen: u64,
}

struct Record {
    identity: Identity,
    /// Lifetime of the access token; a renewed token gets the same.
    ttl: Duration,
    expires: SystemTime,
    refresh_token: String,
    refresh_expires: SystemTime,
}

/// Why a renew was refused (all map to 401 `INVALID_REFRESH_TOKEN`).
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
                "The token was not issued by this server or has already been renewed"
            }
            RenewError::Mismatch => "The refresh token does not belong to this token or was already used",
            RenewError::RefreshExpired => "The refresh token has expired",
        }
    }
}

/// Why a bearer token was refused (401 `INVALID_TOKEN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerError {
    Unknown,
    Expired,
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

/// Every live token pair. Renewed pairs are removed, so both halves of an old
/// pair are dead afterwards.
#[derive(Default)]
pub(crate) struct TokenStore {
    live: Mutex<HashMap<String, Record>>,
}

impl TokenStore {
    /// Issues a fresh pair with a new identity in `organization_id`.
    pub(crate) fn create_pair(
        &self,
        kind: TokenKind,
        ttl: Duration,
        organization_id: &str,
    ) -> (String, String) {
        let identity = Identity {
            id: random_uuid(),
            organization_id: organization_id.to_owned(),
            kind,
            device_id: random_uuid(),
            role_id: random_uuid(),
            session_gen: 1,
        };
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        issue(&mut live, identity, ttl, REFRESH_TOKEN_TTL)
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
        let now = SystemTime::now();
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let rec = live.get(token).ok_or(RenewError::UnknownToken)?;
        if rec.refresh_token != refresh_token {
            return Err(RenewError::Mismatch);
        }
        if rec.refresh_expires <= now {
            return Err(RenewError::RefreshExpired);
        }
        let rec = live.remove(token).expect("present under the same lock");
        let refresh_ttl = refresh_ttl
            .map(|t| t.min(REFRESH_TOKEN_TTL))
            .unwrap_or(REFRESH_TOKEN_TTL);
        Ok(issue(&mut live, rec.identity, rec.ttl, refresh_ttl))
    }

    /// Checks that `token` is a live, unexpired device token.
    pub(crate) fn check_device_bearer(&self, token: &str) -> Result<(), BearerError> {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let rec = live.get(token).ok_or(BearerError::Unknown)?;
        if rec.expires <= SystemTime::now() {
            return Err(BearerError::Expired);
        }
        if rec.identity.kind != TokenKind::Device {
            return Err(BearerError::NotDevice);
        }
        Ok(())
    }
}

fn issue(
    live: &mut HashMap<String, Record>,
    identity: Identity,
    ttl: Duration,
    refresh_ttl: Duration,
) -> (String, String) {
    let ttl = ttl.min(MAX_TTL);
    let now = SystemTime::now();
    let iat = unix_secs(now);
    let payload = serde_json::json!({
        "ID": identity.id,
        "OrganizationID": identity.organization_id,
        "Type": identity.kind.as_str(),
        "DeviceID": identity.device_id,
        "RoleID": identity.role_id,
        "SessionGen": identity.session_gen,
        "Region": "sandbox",
        "iss": "dfx-sandbox",
        "iat": iat,
        "exp": iat + ttl.as_secs(),
        "jti": random_b64(12),
    });
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        random_b64(32)
    );
    let refresh_token = random_b64(48);
    live.insert(
        token.clone(),
        Record {
            identity,
            ttl,
            expires: now + ttl,
            refresh_token: refresh_token.clone(),
            refresh_expires: now + refresh_ttl.min(MAX_TTL),
        },
    );
    (token, refresh_token)
}
