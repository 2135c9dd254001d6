//! The endpoint table: every operation of the DeepAffex HTTP API as one row
//! of data (`table.rs`), and what reads it: the generic call
//! ([`crate::Client::call_operation`], `prepare.rs`, `call.rs`) and the
//! table's JSON form for bindings and tools (`json.rs`).
//!
//! A row says everything the wire needs: the JavaScript client's
//! `group.method` name, HTTP method, path template, the JavaScript
//! arguments in order and where each goes, the body fields, the bearer, the
//! effect on the session and the Action ID, plus a sentence where the row
//! corrects a defect of the reference clients (`../shared/api/NOTES.md`).
//! Adding an endpoint is adding a row.

mod body;
mod call;
mod json;
mod packed;
mod prepare;
mod table;

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::session::TokenKind;
use crate::transport::Method;

pub(crate) use call::Prepared;
pub(crate) use prepare::Fields;
pub(crate) use json::operations_json;

/// Which bearer token an operation sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BearerKind {
    /// No `Authorization` header.
    None,
    /// The session's device token (none when unset).
    Device,
    /// The session's user token (none when unset).
    User,
    /// The session's user token if set, else its device token. (No row
    /// uses it alone today: `general.verifyToken` falls back to it.)
    #[allow(dead_code)]
    UserElseDevice,
    /// The operation's `bearer` argument; when it is not given, as
    /// [`BearerKind::UserElseDevice`].
    Explicit,
    /// The `tokenType` argument picks the session's device or user token;
    /// the row's `token_type` parameter holds the default.
    TokenType,
    /// The `Token` of the pair being renewed (the body's `Token`).
    /// Listed as `explicit` in the JSON form.
    Renewed,
}

/// What a successful answer changes in the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// The device pair, `deviceId`, `roleId`, `userId` from the answer.
    RegisterLicense,
    /// Clears the device pair, `deviceId`, `roleId`, `userId`.
    UnregisterLicense,
    /// The user pair from the answer.
    UserLogin,
    /// Clears the user pair.
    UserLogout,
    /// The new pair replaces the stored pair it renewed (if one was).
    Renew,
}

/// A JSON type a value must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonType {
    String,
    Number,
    #[allow(dead_code)] // no row needs it yet; part of the JSON form's vocabulary
    Integer,
    Boolean,
    Object,
    Array,
    Any,
}

/// Where a JavaScript argument goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParamIn {
    /// A value of the path template (`{name}`), percent-encoded.
    Path,
    /// The JSON body object; `fields` lists its known fields.
    Body,
    /// An object of query options; `fields` are the JS option names, each
    /// with its wire key.
    Query,
    /// One scalar sent as the query key `wire`.
    QueryValue,
    /// One scalar that becomes the body field `wire`.
    BodyField,
    /// The bearer token.
    Bearer,
    /// `"device"` or `"user"`: picks the session token to send.
    TokenType,
    /// `enableSession`: `true` sends `x-nura-session: true`.
    SessionFlag,
}

/// A body field, or a query option of a [`ParamIn::Query`] argument.
#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) ty: JsonType,
    pub(crate) required: bool,
    /// `null` is a valid value (the TypeScript type says `| null`).
    pub(crate) nullable: bool,
    /// A query option's key on the wire.
    pub(crate) wire: Option<&'static str>,
}

/// One JavaScript argument of an operation.
#[derive(Debug)]
pub(crate) struct Param {
    pub(crate) name: &'static str,
    pub(crate) kind: ParamIn,
    pub(crate) ty: JsonType,
    pub(crate) required: bool,
    /// The wire name of a query value or body field.
    pub(crate) wire: Option<&'static str>,
    pub(crate) fields: &'static [Field],
    /// A `tokenType` argument's value when it is not given.
    pub(crate) default: Option<TokenKind>,
}

/// One operation: a row of the table.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The JavaScript client's `group.method`.
    pub(crate) name: &'static str,
    pub(crate) method: Method,
    /// The path template, no leading slash, `{name}` for path arguments.
    pub(crate) path: &'static str,
    pub(crate) bearer: BearerKind,
    pub(crate) effect: Option<Effect>,
    pub(crate) action_id: Option<&'static str>,
    /// The JavaScript arguments, in the JavaScript order.
    pub(crate) params: &'static [Param],
    /// Which defect of the reference clients this row corrects.
    pub(crate) correction: Option<&'static str>,
    /// Body fields of which at least one must be given, non-empty (none
    /// of them is required on its own).
    pub(crate) one_of: &'static [&'static str],
}

impl Operation {
    pub(crate) fn group(&self) -> &'static str {
        self.name.split_once('.').map_or(self.name, |(g, _)| g)
    }

    pub(crate) fn method_name(&self) -> &'static str {
        self.name.split_once('.').map_or(self.name, |(_, m)| m)
    }

    pub(crate) fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// Every operation, in `endpoints.json` order (`table.rs`, unpacked once).
pub(crate) fn all() -> &'static [Operation] {
    static ALL: OnceLock<Box<[Operation]>> = OnceLock::new();
    ALL.get_or_init(packed::unpack)
}

/// The operation named `name` (`group.method`), through a map built once.
pub(crate) fn find(name: &str) -> Option<&'static Operation> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Operation>> = OnceLock::new();
    INDEX.get_or_init(|| all().iter().map(|op| (op.name, op)).collect()).get(name).copied()
}

/// The operation named `name`, which the typed calls know exists.
pub(crate) fn row(name: &str) -> &'static Operation {
    find(name).unwrap_or_else(|| panic!("the endpoint table has no row {name:?}"))
}

// Builders the rows are written with (`table.rs`).

const fn op(
    name: &'static str,
    method: Method,
    path: &'static str,
    bearer: BearerKind,
    action_id: &'static str,
    params: &'static [Param],
) -> Operation {
    let action_id = if action_id.is_empty() { None } else { Some(action_id) };
    Operation { name, method, path, bearer, effect: None, action_id, params, correction: None, one_of: &[] }
}

impl Operation {
    const fn effect(mut self, effect: Effect) -> Operation {
        self.effect = Some(effect);
        self
    }

    const fn corrects(mut self, why: &'static str) -> Operation {
        self.correction = Some(why);
        self
    }

    const fn one_of(mut self, fields: &'static [&'static str]) -> Operation {
        self.one_of = fields;
        self
    }
}

const fn param(name: &'static str, kind: ParamIn, ty: JsonType, required: bool) -> Param {
    Param { name, kind, ty, required, wire: None, fields: &[], default: None }
}

/// A path argument (a non-empty string).
const fn path(name: &'static str) -> Param {
    param(name, ParamIn::Path, JsonType::String, true)
}

/// The `data` argument that is the JSON body, with its known fields.
const fn body(fields: &'static [Field]) -> Param {
    Param { fields, ..param("data", ParamIn::Body, JsonType::Object, true) }
}

/// An untyped `data` body: any JSON value, sent as given.
const fn body_any() -> Param {
    param("data", ParamIn::Body, JsonType::Any, true)
}

/// The optional `data` argument holding query options.
const fn query(fields: &'static [Field]) -> Param {
    Param { fields, ..param("data", ParamIn::Query, JsonType::Object, false) }
}

/// An optional argument sent as the query key `wire`.
const fn query_value(name: &'static str, wire: &'static str, ty: JsonType) -> Param {
    Param { wire: Some(wire), ..param(name, ParamIn::QueryValue, ty, false) }
}

/// A required argument sent as the body field `wire`.
const fn body_field(name: &'static str, wire: &'static str, ty: JsonType) -> Param {
    Param { wire: Some(wire), ..param(name, ParamIn::BodyField, ty, true) }
}

/// The explicit bearer token argument.
const fn bearer(name: &'static str) -> Param {
    param(name, ParamIn::Bearer, JsonType::String, false)
}

/// The optional `tokenType` argument, with its default.
const fn token_type(default: Option<TokenKind>) -> Param {
    Param { default, ..param("tokenType", ParamIn::TokenType, JsonType::String, false) }
}

/// The optional `enableSession` argument.
const fn session_flag() -> Param {
    param("enableSession", ParamIn::SessionFlag, JsonType::Boolean, false)
}

/// A required body field.
const fn f(name: &'static str, ty: JsonType) -> Field {
    Field { name, ty, required: true, nullable: false, wire: None }
}

/// An optional body field.
const fn o(name: &'static str, ty: JsonType) -> Field {
    Field { name, ty, required: false, nullable: false, wire: None }
}

/// A query option: its JavaScript name and its key on the wire.
const fn q(name: &'static str, wire: &'static str, ty: JsonType) -> Field {
    Field { name, ty, required: false, nullable: true, wire: Some(wire) }
}

impl Field {
    /// `null` is accepted (and sent) as the value.
    const fn null(mut self) -> Field {
        self.nullable = true;
        self
    }
}

#[cfg(test)]
mod tests;
