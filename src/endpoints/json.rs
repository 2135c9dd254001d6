//! The table as JSON, for bindings and tools (`dfx_operations_json`): one
//! object per operation, in table order, built once.

use std::ffi::{CStr, CString};
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use super::{BearerKind, Effect, Field, JsonType, Operation, Param, ParamIn};
use crate::session::TokenKind;

/// The table's JSON text, NUL-terminated, built on first use.
pub(crate) fn operations_json() -> &'static CStr {
    static TEXT: OnceLock<CString> = OnceLock::new();
    TEXT.get_or_init(|| {
        let ops: Vec<Value> = super::all().iter().map(operation).collect();
        CString::new(Value::Array(ops).to_string()).expect("the table holds no NUL")
    })
}

fn operation(op: &Operation) -> Value {
    let mut row = json!({
        "operation": op.name,
        "group": op.group(),
        "method": op.method_name(),
        "http_method": op.method.as_str(),
        "path": op.path,
        "bearer": bearer_name(op.bearer),
        "session_effect": op.effect.map(effect_name),
        "action_id": op.action_id,
        "params": op.params.iter().map(param).collect::<Vec<_>>(),
        "correction": op.correction,
    });
    if !op.one_of.is_empty() {
        // Body fields of which at least one must be given.
        row["one_of"] = json!(op.one_of);
    }
    row
}

fn param(p: &Param) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), p.name.into());
    m.insert("in".into(), in_name(p.kind).into());
    m.insert("type".into(), type_name(p.ty).into());
    m.insert("required".into(), p.required.into());
    if let Some(wire) = p.wire {
        m.insert("wire".into(), wire.into());
    }
    if matches!(p.kind, ParamIn::Body | ParamIn::Query) {
        m.insert("fields".into(), p.fields.iter().map(field).collect::<Vec<_>>().into());
    }
    if p.kind == ParamIn::TokenType {
        m.insert("values".into(), json!(["device", "user"]));
        m.insert("default".into(), p.default.map(kind_name).into());
    }
    Value::Object(m)
}

fn field(f: &Field) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), f.name.into());
    m.insert("type".into(), type_name(f.ty).into());
    m.insert("required".into(), f.required.into());
    if f.nullable {
        m.insert("nullable".into(), true.into());
    }
    if let Some(wire) = f.wire {
        m.insert("wire".into(), wire.into());
    }
    Value::Object(m)
}

pub(crate) fn type_name(ty: JsonType) -> &'static str {
    match ty {
        JsonType::String => "string",
        JsonType::Number => "number",
        JsonType::Integer => "integer",
        JsonType::Boolean => "boolean",
        JsonType::Object => "object",
        JsonType::Array => "array",
        JsonType::Any => "any",
    }
}

fn in_name(kind: ParamIn) -> &'static str {
    match kind {
        ParamIn::Path => "path",
        ParamIn::Body => "body",
        ParamIn::Query => "query",
        ParamIn::QueryValue => "query_value",
        ParamIn::BodyField => "body_field",
        ParamIn::Bearer => "bearer",
        ParamIn::TokenType => "token_type",
        ParamIn::SessionFlag => "session_flag",
    }
}

fn bearer_name(kind: BearerKind) -> &'static str {
    match kind {
        BearerKind::None => "none",
        BearerKind::Device => "device",
        BearerKind::User => "user",
        BearerKind::UserElseDevice => "user_else_device",
        BearerKind::Explicit | BearerKind::Renewed => "explicit",
        BearerKind::TokenType => "token_type",
    }
}

fn effect_name(effect: Effect) -> &'static str {
    match effect {
        Effect::RegisterLicense => "register_license",
        Effect::UnregisterLicense => "unregister_license",
        Effect::UserLogin => "user_login",
        Effect::UserLogout => "user_logout",
        Effect::Renew => "renew",
    }
}

fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Device => "device",
        TokenKind::User => "user",
    }
}
