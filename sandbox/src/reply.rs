//! An answer before it becomes an HTTP response.

use bytes::Bytes;

/// Content-Type of every JSON answer.
pub(crate) const JSON: &str = "application/json; charset=utf-8";

pub(crate) struct Reply {
    pub status: u16,
    /// `None` = no Content-Type header.
    pub content_type: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Reply {
    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: Some(JSON.to_owned()),
            headers: Vec::new(),
            body: Bytes::from(value.to_string()),
        }
    }

    /// A JSON text, answered as it is.
    pub(crate) fn json_text(status: u16, text: &'static str) -> Reply {
        Reply { status, content_type: Some(JSON.to_owned()), headers: Vec::new(), body: Bytes::from_static(text.as_bytes()) }
    }

    /// No body and no Content-Type (e.g. 304 Not Modified).
    pub(crate) fn empty(status: u16) -> Reply {
        Reply { status, content_type: None, headers: Vec::new(), body: Bytes::new() }
    }

    /// `{"Code": code, "Message": message}`.
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(status, &serde_json::json!({ "Code": code, "Message": message }))
    }

    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}
