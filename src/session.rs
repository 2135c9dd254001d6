//! The session inside every client: the device and user token pairs and the
//! ids that go with them, the listener that persists every change, and the
//! single-flight renew that never loses a pair.

use std::cell::RefCell;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use serde_json::{Map, Value};
use tokio::sync::watch;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::response::Response;

/// One field of the session. The JSON keys are the JavaScript client's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionField {
    DeviceToken,
    DeviceRefreshToken,
    UserToken,
    UserRefreshToken,
    DeviceId,
    UserId,
    RoleId,
}

impl SessionField {
    /// Every field, in the order of their C constants.
    pub const ALL: [SessionField; 7] = [
        SessionField::DeviceToken,
        SessionField::DeviceRefreshToken,
        SessionField::UserToken,
        SessionField::UserRefreshToken,
        SessionField::DeviceId,
        SessionField::UserId,
        SessionField::RoleId,
    ];

    /// The key in the session JSON (`deviceToken`, …).
    pub fn json_key(self) -> &'static str {
        match self {
            SessionField::DeviceToken => "deviceToken",
            SessionField::DeviceRefreshToken => "deviceRefreshToken",
            SessionField::UserToken => "userToken",
            SessionField::UserRefreshToken => "userRefreshToken",
            SessionField::DeviceId => "deviceId",
            SessionField::UserId => "userId",
            SessionField::RoleId => "roleId",
        }
    }

    pub(crate) fn is_secret(self) -> bool {
        matches!(
            self,
            SessionField::DeviceToken
                | SessionField::DeviceRefreshToken
                | SessionField::UserToken
                | SessionField::UserRefreshToken
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Keys of the JavaScript client's session that dfx does not keep; accepted
/// (and ignored) by [`Session::from_json`] so a JS session can be imported.
const JS_ONLY_KEYS: [&str; 4] = ["selectedStudy", "lastMeasurementId", "studyCfgHash", "studyCfgData"];

/// Which token pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// The device pair, from registering a license.
    Device,
    /// The user pair, from a login.
    User,
}

impl TokenKind {
    /// The fields holding this kind's token and refresh token.
    pub fn fields(self) -> (SessionField, SessionField) {
        match self {
            TokenKind::Device => (SessionField::DeviceToken, SessionField::DeviceRefreshToken),
            TokenKind::User => (SessionField::UserToken, SessionField::UserRefreshToken),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A snapshot of the session's values. Empty string = not set.
/// Every value is wiped when dropped; `Debug` shows ids but never tokens.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Session {
    values: [Zeroizing<String>; 7],
}

impl Session {
    pub fn get(&self, field: SessionField) -> &str {
        &self.values[field.index()]
    }

    /// Set a field; "" clears it. Returns whether the value changed.
    pub fn set(&mut self, field: SessionField, value: &str) -> bool {
        let slot = &mut self.values[field.index()];
        if slot.as_str() == value {
            return false;
        }
        *slot = Zeroizing::new(value.to_owned());
        true
    }

    /// The pair of `kind`, if both halves are set.
    pub fn pair(&self, kind: TokenKind) -> Option<(&str, &str)> {
        let (t, r) = kind.fields();
        let (t, r) = (self.get(t), self.get(r));
        (!t.is_empty() && !r.is_empty()).then_some((t, r))
    }

    /// The session as JSON with the JavaScript client's keys, every key
    /// present ("" when unset).
    pub fn to_json(&self) -> Zeroizing<String> {
        let map: Map<String, Value> = SessionField::ALL
            .iter()
            .map(|f| (f.json_key().to_owned(), Value::String(self.get(*f).to_owned())))
            .collect();
        let mut value = Value::Object(map);
        let text = Zeroizing::new(value.to_string());
        crate::secret::wipe_json(&mut value);
        text
    }

    /// Parse a session exported by [`Session::to_json`] or by the
    /// JavaScript client. Missing keys and `null` are "", the JS client's
    /// study/measurement keys are ignored; anything else is refused whole.
    pub fn from_json(json: &str) -> Result<Session, Error> {
        // The parser's message may quote the input: say only where it failed.
        let mut value: Value = serde_json::from_str(json).map_err(|e| {
            Error::InvalidArgument(format!("the session is not valid JSON (line {}, column {})", e.line(), e.column()))
        })?;
        let result = Self::from_value(&value);
        crate::secret::wipe_json(&mut value);
        result
    }

    fn from_value(value: &Value) -> Result<Session, Error> {
        let Value::Object(map) = value else {
            return Err(Error::InvalidArgument("the session JSON must be an object".into()));
        };
        let mut session = Session::default();
        for (key, value) in map {
            let Some(field) = SessionField::ALL.iter().find(|f| f.json_key() == key) else {
                if JS_ONLY_KEYS.contains(&key.as_str()) {
                    continue;
                }
                // Named only when it looks like a key: a misplaced token must not be echoed.
                let named = key.len() <= 32 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                return Err(Error::InvalidArgument(if named {
                    format!("unknown session key {key:?}")
                } else {
                    format!("an unknown session key ({} characters)", key.chars().count())
                }));
            };
            match value {
                Value::String(s) if s.contains('\0') => {
                    return Err(Error::InvalidArgument(format!("session key {key:?} holds a NUL character")));
                }
                Value::String(s) => {
                    session.set(*field, s);
                }
                Value::Null => {}
                _ => return Err(Error::InvalidArgument(format!("session key {key:?} must be a string"))),
            }
        }
        Ok(session)
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Session");
        for field in SessionField::ALL {
            let value = self.get(field);
            if field.is_secret() {
                d.field(field.json_key(), &if value.is_empty() { "" } else { "<redacted>" });
            } else {
                d.field(field.json_key(), &value);
            }
        }
        d.finish()
    }
}

/// Called with the new session JSON after every change.
pub type Listener = Arc<dyn Fn(&str) + Send + Sync>;

type Outcome = Option<Result<Response, Error>>;

thread_local! {
    /// Session stores whose listener is running on this thread.
    static NOTIFYING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

struct NotifyingGuard(usize);

impl NotifyingGuard {
    fn enter(id: usize) -> NotifyingGuard {
        NOTIFYING.with(|n| n.borrow_mut().push(id));
        NotifyingGuard(id)
    }
}

impl Drop for NotifyingGuard {
    fn drop(&mut self) {
        NOTIFYING.with(|n| {
            let mut n = n.borrow_mut();
            if let Some(i) = n.iter().rposition(|x| *x == self.0) {
                n.remove(i);
            }
        });
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The session of one client, shared by all its threads.
///
/// Every change goes through [`SessionStore::update`]: changes are applied
/// and announced to the listener one at a time, in order, so the listener
/// never sees an older session after a newer one.
#[derive(Default)]
pub struct SessionStore {
    state: Mutex<Session>,
    /// Held across a change and its listener call.
    notify: Mutex<()>,
    listener: RwLock<Option<Listener>>,
    /// The renew in flight for each token kind.
    flights: Mutex<[Option<watch::Receiver<Outcome>>; 2]>,
}

impl fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionStore").field("session", &*lock(&self.state)).finish()
    }
}

impl SessionStore {
    fn id(&self) -> usize {
        self as *const SessionStore as usize
    }

    /// Refuse to change the session from inside its own listener (the
    /// change could not be announced in order; it would deadlock).
    pub(crate) fn check_not_notifying(&self) -> Result<(), Error> {
        let id = self.id();
        if NOTIFYING.with(|n| n.borrow().contains(&id)) {
            Err(Error::WouldDeadlock)
        } else {
            Ok(())
        }
    }

    /// A copy of the whole session.
    pub fn snapshot(&self) -> Session {
        lock(&self.state).clone()
    }

    /// Whether `token` is the token of a pair the session holds (a renew
    /// of it would change the session).
    pub(crate) fn holds_token(&self, token: &str) -> bool {
        let state = lock(&self.state);
        [TokenKind::Device, TokenKind::User]
            .into_iter()
            .any(|kind| state.pair(kind).is_some_and(|(t, _)| t == token))
    }

    /// One field's value ("" when unset).
    pub fn get(&self, field: SessionField) -> Zeroizing<String> {
        Zeroizing::new(lock(&self.state).get(field).to_owned())
    }

    /// Set one field ("" clears it); the listener hears of a change.
    pub fn set(&self, field: SessionField, value: &str) -> Result<(), Error> {
        self.update(|s| s.set(field, value)).map(|_| ())
    }

    /// Replace the whole session; the listener hears of a change.
    pub fn replace(&self, session: Session) -> Result<(), Error> {
        self.update(|s| {
            let changed = *s != session;
            *s = session;
            changed
        })
        .map(|_| ())
    }

    /// The session as JSON (see [`Session::to_json`]).
    pub fn to_json(&self) -> Zeroizing<String> {
        lock(&self.state).to_json()
    }

    /// Install (or with `None` remove) the listener.
    pub fn set_listener(&self, listener: Option<Listener>) -> Result<(), Error> {
        self.check_not_notifying()?;
        let _order = lock(&self.notify);
        *self.listener.write().unwrap_or_else(|p| p.into_inner()) = listener;
        Ok(())
    }

    /// Apply `change`; if it reports a change, call the listener with the
    /// new session before returning. Returns whether anything changed.
    pub(crate) fn update(&self, change: impl FnOnce(&mut Session) -> bool) -> Result<bool, Error> {
        self.check_not_notifying()?;
        let _order = lock(&self.notify);
        let json = {
            let mut state = lock(&self.state);
            if !change(&mut state) {
                return Ok(false);
            }
            state.to_json()
        };
        let listener = self.listener.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(listener) = listener {
            let _guard = NotifyingGuard::enter(self.id());
            listener(&json);
        }
        Ok(true)
    }

    /// Store fields of a successful answer: each `(field, body key)` whose
    /// key holds a string. The token pair must be there: a 2xx without it
    /// is [`Error::Decode`] and changes nothing.
    pub(crate) fn store_answer(
        &self,
        response: &Response,
        kind: TokenKind,
        extra: &[(SessionField, &str)],
    ) -> Result<(), Error> {
        let (Some(token), Some(refresh)) = (response.get_str("Token"), response.get_str("RefreshToken")) else {
            return Err(Error::Decode("the answer carries no Token and RefreshToken".into()));
        };
        let (t, r) = kind.fields();
        self.update(|s| {
            let mut changed = s.set(t, token) | s.set(r, refresh);
            for (field, key) in extra {
                if let Some(value) = response.get_str(key) {
                    changed |= s.set(*field, value);
                }
            }
            changed
        })
        .map(|_| ())
    }

    /// Clear `fields`.
    pub(crate) fn clear(&self, fields: &[SessionField]) -> Result<(), Error> {
        self.update(|s| fields.iter().fold(false, |changed, f| s.set(*f, "") | changed)).map(|_| ())
    }

    /// After a successful renew of (`old_token`, `old_refresh`): store the
    /// new pair in whichever stored pair was the old one.
    pub(crate) fn pair_renewed(&self, old: (&str, &str), new: (&str, &str)) -> Result<(), Error> {
        self.update(|s| {
            let mut changed = false;
            for kind in [TokenKind::Device, TokenKind::User] {
                if s.pair(kind) == Some(old) {
                    let (t, r) = kind.fields();
                    changed |= s.set(t, new.0);
                    changed |= s.set(r, new.1);
                }
            }
            changed
        })
        .map(|_| ())
    }

    /// Renew the stored pair of `kind` with `renew`, single flight: while a
    /// renew of that kind is under way, every other caller waits for it and
    /// gets a copy of its result instead of sending a request of its own.
    pub(crate) async fn renew_single_flight<F, Fut>(&self, kind: TokenKind, renew: F) -> Result<Response, Error>
    where
        F: FnOnce(Zeroizing<String>, Zeroizing<String>) -> Fut,
        Fut: std::future::Future<Output = Result<Response, Error>>,
    {
        self.check_not_notifying()?;
        let leader = {
            let mut flights = lock(&self.flights);
            match &flights[kind.index()] {
                Some(rx) => Err(rx.clone()),
                None => {
                    let state = lock(&self.state);
                    let (token, refresh) = state.pair(kind).ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "the session holds no {} token pair to renew",
                            if kind == TokenKind::Device { "device" } else { "user" }
                        ))
                    })?;
                    let pair = (Zeroizing::new(token.to_owned()), Zeroizing::new(refresh.to_owned()));
                    let (tx, rx) = watch::channel(None);
                    flights[kind.index()] = Some(rx);
                    Ok((tx, pair))
                }
            }
        };
        match leader {
            Err(mut rx) => match rx.wait_for(Option::is_some).await {
                Ok(outcome) => outcome.clone().expect("waited for Some"),
                // The leader was cancelled before it finished.
                Err(_) => Err(Error::Cancelled(crate::error::Cancel::SharedRenewCancelled)),
            },
            Ok((tx, (token, refresh))) => {
                let flight = FlightGuard { store: self, kind };
                // The renew stores the new pair (and calls the listener)
                // before anyone is told the result.
                let result = renew(token, refresh).await;
                drop(flight);
                tx.send_replace(Some(result.clone()));
                result
            }
        }
    }
}

/// Ends a flight when its leader finishes or is dropped mid-way.
struct FlightGuard<'a> {
    store: &'a SessionStore,
    kind: TokenKind,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        lock(&self.store.flights)[self.kind.index()] = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn json_round_trip_with_js_keys() {
        let mut s = Session::default();
        s.set(SessionField::DeviceToken, "dt");
        s.set(SessionField::RoleId, "role");
        let json = s.to_json();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["deviceToken"], "dt");
        assert_eq!(v["userToken"], "");
        assert_eq!(v.as_object().unwrap().len(), 7);
        assert_eq!(Session::from_json(&json).unwrap(), s);
    }

    #[test]
    fn from_json_accepts_js_sessions_and_refuses_the_rest() {
        let js = r#"{"deviceToken":"a","deviceRefreshToken":"b","userToken":"","userRefreshToken":"",
            "deviceId":"d","roleId":"r","userId":"u","selectedStudy":"","lastMeasurementId":"",
            "studyCfgHash":"","studyCfgData":""}"#;
        let s = Session::from_json(js).unwrap();
        assert_eq!(s.pair(TokenKind::Device), Some(("a", "b")));
        assert_eq!(s.pair(TokenKind::User), None);
        assert!(Session::from_json(r#"{"deviceToken":null}"#).unwrap().get(SessionField::DeviceToken).is_empty());
        for bad in ["", "[]", "{", r#"{"token":"x"}"#, r#"{"deviceToken":1}"#] {
            assert!(matches!(Session::from_json(bad), Err(Error::InvalidArgument(_))), "{bad}");
        }
    }

    #[test]
    fn debug_hides_tokens() {
        let mut s = Session::default();
        s.set(SessionField::UserRefreshToken, "very-secret");
        s.set(SessionField::DeviceId, "dev-1");
        let text = format!("{s:?}");
        assert!(!text.contains("very-secret") && text.contains("dev-1"));
    }

    #[test]
    fn listener_hears_each_change_once_and_cannot_reenter() {
        let store = Arc::new(SessionStore::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let (s2, c2) = (store.clone(), calls.clone());
        store
            .set_listener(Some(Arc::new(move |json: &str| {
                c2.fetch_add(1, Ordering::SeqCst);
                assert!(json.contains("deviceId"));
                // Reading is fine, changing is refused.
                let _ = s2.get(SessionField::DeviceId);
                assert!(matches!(s2.set(SessionField::RoleId, "x"), Err(Error::WouldDeadlock)));
            })))
            .unwrap();
        store.set(SessionField::DeviceId, "d1").unwrap();
        store.set(SessionField::DeviceId, "d1").unwrap(); // no change, no call
        store.set(SessionField::DeviceId, "").unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
