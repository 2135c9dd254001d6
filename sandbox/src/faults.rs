//! Injected faults: what the sandbox does instead of (or after) answering.

use std::fmt;
use std::sync::Mutex;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// When a fault takes effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// The fault replaces normal handling (the request has no effect).
    #[default]
    Before,
    /// The real handler runs first (a renew really consumes the pair), then
    /// the fault applies to its answer.
    After,
}

/// What a fault does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Action {
    /// Only the delay, then the real answer.
    #[default]
    None,
    /// Answer with the fault's `status` / `body` / `content_type` / `headers`.
    /// In phase `After` the real handler has run, and its answer is replaced.
    Status,
    /// Close the TCP connection without sending a single response byte.
    Drop,
    /// Send the status line and headers (with the Content-Length of the full
    /// body), then about half of the body, then close the connection.
    Truncate,
    /// Answer with the fault's `status` and a JSON body whose `Code` and
    /// `Message` both hold the whole request as it arrived (method, path,
    /// query, every header, the body): a server that echoes every secret
    /// it was sent, for proving the client never repeats them.
    Echo,
}

/// One injected fault. Build it with struct-update syntax:
/// `Fault { path: "auths/renew".into(), action: Action::Drop, ..Fault::default() }`.
///
/// Deserialises from the control-plane JSON with PascalCase keys
/// (`Method`, `Path`, `Count`, `Phase`, `DelayMs`, `Action`, `Status`, `Body`,
/// `ContentType`, `Headers`); missing keys take the defaults.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct Fault {
    /// HTTP method to match (ASCII case-insensitive); `None` = any.
    pub method: Option<String>,
    /// API path to match exactly, without the leading slash
    /// (e.g. `"auths/renew"`); empty = any API path.
    pub path: String,
    /// How many matching requests it applies to; 0 = until cleared. Default 1.
    pub count: u32,
    /// `Before` (default) or `After`.
    #[serde(deserialize_with = "de_phase")]
    pub phase: Phase,
    /// Wait this long before answering (in `After`: after handling, before sending).
    pub delay_ms: u64,
    /// What to do. Default `None` (only the delay).
    #[serde(deserialize_with = "de_action")]
    pub action: Action,
    /// Status for `Action::Status` / `Action::Truncate` in `Before`. Default 500.
    pub status: u16,
    /// Body for `Action::Status` / `Action::Truncate` in `Before`. In JSON a
    /// string, or any other JSON value (sent serialised).
    #[serde(deserialize_with = "de_body")]
    pub body: String,
    /// Content-Type of the fake answer; `None` = no Content-Type header.
    pub content_type: Option<String>,
    /// Extra response headers (e.g. `Location`). In JSON an object
    /// `{"Location": "..."}` or an array of `[name, value]` pairs.
    /// Content-Length and Transfer-Encoding are ignored (the server sets them).
    #[serde(deserialize_with = "de_headers")]
    pub headers: Vec<(String, String)>,
}

impl Default for Fault {
    fn default() -> Self {
        Fault {
            method: None,
            path: String::new(),
            count: 1,
            phase: Phase::Before,
            delay_ms: 0,
            action: Action::None,
            status: 500,
            body: String::new(),
            content_type: None,
            headers: Vec::new(),
        }
    }
}

impl Fault {
    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = match &self.method {
            Some(m) => m.is_empty() || m.eq_ignore_ascii_case(method),
            None => true,
        };
        let want = self.path.strip_prefix('/').unwrap_or(&self.path);
        method_ok && (want.is_empty() || want == path)
    }

    /// Checks what the HTTP layer would reject later: status range, header
    /// names and values.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !(200..=599).contains(&self.status) {
            return Err(format!("Status {} is outside 200..=599", self.status));
        }
        for (name, value) in &self.headers {
            hyper::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name {name:?}"))?;
            hyper::header::HeaderValue::from_str(value)
                .map_err(|_| format!("invalid value for header {name:?}"))?;
        }
        if let Some(ct) = &self.content_type {
            hyper::header::HeaderValue::from_str(ct)
                .map_err(|_| "invalid ContentType value".to_owned())?;
        }
        Ok(())
    }
}

struct Entry {
    fault: Fault,
    /// Uses left; `None` = until cleared.
    remaining: Option<u32>,
}

/// Faults in push order.
#[derive(Default)]
pub(crate) struct FaultList {
    entries: Mutex<Vec<Entry>>,
}

impl FaultList {
    pub(crate) fn push(&self, fault: Fault) {
        let remaining = if fault.count == 0 { None } else { Some(fault.count) };
        self.lock().push(Entry { fault, remaining });
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// Consumes one use of the first fault matching the request, if any.
    pub(crate) fn take(&self, method: &str, path: &str) -> Option<Fault> {
        let mut entries = self.lock();
        let idx = entries.iter().position(|e| e.fault.matches(method, path))?;
        let entry = &mut entries[idx];
        let fault = entry.fault.clone();
        if let Some(left) = entry.remaining.as_mut() {
            *left -= 1;
            if *left == 0 {
                entries.remove(idx);
            }
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn de_phase<'de, D: Deserializer<'de>>(d: D) -> Result<Phase, D::Error> {
    let s = String::deserialize(d)?;
    match s.to_ascii_lowercase().as_str() {
        "before" => Ok(Phase::Before),
        "after" => Ok(Phase::After),
        _ => Err(de::Error::custom(format!(
            "unknown Phase {s:?} (expected \"Before\" or \"After\")"
        ))),
    }
}

fn de_action<'de, D: Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
    let s = String::deserialize(d)?;
    match s.to_ascii_lowercase().as_str() {
        "none" => Ok(Action::None),
        "status" => Ok(Action::Status),
        "drop" => Ok(Action::Drop),
        "truncate" => Ok(Action::Truncate),
        "echo" => Ok(Action::Echo),
        _ => Err(de::Error::custom(format!(
            "unknown Action {s:?} (expected \"None\", \"Status\", \"Drop\", \"Truncate\" or \"Echo\")"
        ))),
    }
}

fn de_body<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

fn de_headers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of header name to string value, or an array of [name, value] pairs")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = map.next_entry::<String, String>()? {
                out.push((k, v));
            }
            Ok(out)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(pair) = seq.next_element::<(String, String)>()? {
                out.push(pair);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}
