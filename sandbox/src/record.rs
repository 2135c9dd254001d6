//! Recording of API requests (never of `/_sandbox/*` control requests).

use std::collections::BTreeMap;
use std::sync::Mutex;

/// One API request as it arrived, recorded before it was handled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `"POST"`, `"PATCH"`, ...
    pub method: String,
    /// The URL path without its leading slash and without the query,
    /// e.g. `"auths/renew"`.
    pub path: String,
    /// The raw query string (without `?`), if the URL had one.
    pub query: Option<String>,
    /// Header names lowercased, in arrival order (repeated names grouped).
    /// Values that are not UTF-8 are converted lossily.
    pub headers: Vec<(String, String)>,
    /// The request body bytes.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of a header (name matched ASCII case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The control-plane JSON form.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let mut headers = serde_json::Map::new();
        for (n, v) in &self.headers {
            match headers.get_mut(n) {
                Some(serde_json::Value::String(prev)) => {
                    prev.push_str(", ");
                    prev.push_str(v);
                }
                _ => {
                    headers.insert(n.clone(), serde_json::Value::String(v.clone()));
                }
            }
        }
        serde_json::json!({
            "Method": self.method,
            "Path": self.path,
            "Query": self.query,
            "Headers": headers,
            "Body": String::from_utf8_lossy(&self.body),
        })
    }
}

/// The key used by counts and stats: `"POST auths/renew"`.
pub(crate) fn count_key(method: &str, path: &str) -> String {
    format!(
        "{} {}",
        method.to_ascii_uppercase(),
        path.strip_prefix('/').unwrap_or(path)
    )
}

/// Recorded requests and per-endpoint counters. The counters are kept apart
/// from the list so clearing the list (`DELETE /_sandbox/requests`) does not
/// reset them; `reset` clears both.
#[derive(Default)]
pub(crate) struct Recorder {
    requests: Mutex<Vec<RecordedRequest>>,
    counts: Mutex<BTreeMap<String, usize>>,
}

impl Recorder {
    pub(crate) fn record(&self, req: RecordedRequest) {
        *lock(&self.counts)
            .entry(count_key(&req.method, &req.path))
            .or_insert(0) += 1;
        lock(&self.requests).push(req);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.requests).clear();
    }

    pub(crate) fn count(&self, method: &str, path: &str) -> usize {
        lock(&self.counts)
            .get(&count_key(method, path))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn counts(&self) -> BTreeMap<String, usize> {
        lock(&self.counts).clone()
    }

    pub(crate) fn reset(&self) {
        lock(&self.requests).clear();
        lock(&self.counts).clear();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
