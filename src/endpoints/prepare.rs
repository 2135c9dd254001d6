//! Checking a call's parameters against its row and building its request:
//! all of it synchronous, so a bad argument is reported before anything is
//! sent (and, for `_async` calls, before the call is accepted).

use serde_json::{Map, Value};
use crate::requests::SharedToken;
use crate::secret::Zeroizing;

use super::body::encode;
use super::call::{Prepared, Token};
use super::json::type_name;
use super::{BearerKind, Effect, Field, JsonType, Operation, Param, ParamIn};
use crate::error::Error;
use crate::session::TokenKind;
use crate::wire::push_encoded;

/// Whether unknown body fields are refused: the typed calls must send only
/// fields their row knows (a misspelt field in a wrapper fails its tests);
/// callers of the generic call may pass fields the table does not list.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fields {
    PassThrough,
    Known,
}

impl Prepared {
    /// Check `params` (a JSON object keyed by the JavaScript argument
    /// names, or `null` for none) against the operation `name` and build
    /// its request.
    pub(crate) fn new(name: &str, params: &Value, fields: Fields) -> Result<Prepared, Error> {
        let op = super::find(name).ok_or_else(|| unknown_operation(name))?;
        Prepared::for_row(op, params, fields)
    }

    pub(crate) fn for_row(op: &'static Operation, params: &Value, fields: Fields) -> Result<Prepared, Error> {
        let empty = Map::new();
        let args = match params {
            Value::Null => &empty,
            Value::Object(map) => map,
            other => return Err(bad(op, format!("the parameters must be a JSON object, not {}", kind_of(other)))),
        };
        if let Some(key) = args.keys().find(|k| op.param(k).is_none()) {
            return Err(unknown_param(op, key));
        }
        let mut target = String::with_capacity(op.path.len() + 64);
        let mut body_fields: Option<Map<String, Value>> = None;
        let mut body = None;
        let mut explicit = None;
        let mut token_type = None;
        let mut session_header = false;
        for p in op.params {
            let value = get(args, p.name).filter(|v| !v.is_null());
            let Some(value) = value else {
                if p.required {
                    return Err(bad(op, format!("missing required parameter `{}` ({})", p.name, what(p))));
                }
                continue;
            };
            if p.kind == ParamIn::QueryValue {
                check_query_value(op, &p.name, p.ty, value)?;
            } else {
                check_type(op, &p.name, p.ty, value)?;
            }
            match p.kind {
                ParamIn::Path => {
                    if value.as_str().is_some_and(str::is_empty) {
                        return Err(bad(op, format!("`{}` must not be empty (a path value)", p.name)));
                    }
                }
                ParamIn::Body => {
                    check_fields(op, p, value, fields)?;
                    body = Some(encode(value));
                }
                ParamIn::BodyField => {
                    let wire = p.wire.unwrap_or(p.name).to_owned();
                    body_fields.get_or_insert_with(Map::new).insert(wire, value.clone());
                }
                ParamIn::Query | ParamIn::QueryValue => {}
                ParamIn::Bearer => {
                    let token = value.as_str().unwrap_or_default();
                    if token.is_empty() {
                        return Err(bad(op, format!("`{}` must not be empty", p.name)));
                    }
                    explicit = Some(Zeroizing::new(token.to_owned()));
                }
                ParamIn::TokenType => {
                    token_type = Some(match value.as_str() {
                        Some("device") => TokenKind::Device,
                        Some("user") => TokenKind::User,
                        _ => return Err(bad(op, format!("`{}` must be \"device\" or \"user\"", p.name))),
                    });
                }
                ParamIn::SessionFlag => session_header = value.as_bool() == Some(true),
            }
        }
        build_path(op, args, &mut target);
        build_query(op, args, &mut target)?;
        if let Some(mut map) = body_fields {
            let mut value = Value::Object(std::mem::take(&mut map));
            body = Some(encode(&value));
            crate::secret::wipe_json(&mut value);
        }
        let renewing = match op.effect {
            Some(Effect::Renew) => Some(renewed_pair(op, args)?),
            _ => None,
        };
        let bearer = bearer(op, explicit, token_type, renewing.is_some());
        Ok(Prepared { op, target: target.into(), bearer, body, session_header, renewing })
    }

    /// A typed call whose one argument is a `data` body of text fields
    /// (`auths.renew`, `auths.generateToken`, ...), its request built
    /// straight from `fields` (body field name, value), in their order. The
    /// request is the one [`Prepared::typed`] builds from the same object,
    /// byte for byte, and the row is checked as there; but no JSON value is
    /// built, copied and wiped on the way (issue 15: that was 16 of a
    /// renew's 28 allocations).
    ///
    /// A field the row lacks, or types as other than a string, and a row that
    /// needs any other argument are [`Error::Internal`]: the wrapper is
    /// wrong, and its tests fail.
    pub(crate) fn text_body(operation: &str, fields: &[(&str, &str)]) -> Result<Prepared, Error> {
        let op = super::row(operation);
        let data = op.params.iter().find(|p| p.kind == ParamIn::Body && p.name == "data");
        let alone = |data: &&Param| !op.params.iter().any(|p| p.required && !std::ptr::eq(p, *data)) && !op.path.contains('{');
        let Some(data) = data.filter(alone) else {
            return Err(Error::Internal(format!("{}: its row does not take a body of text fields alone", op.name)));
        };
        for (name, _) in fields {
            if !data.fields.iter().any(|f| f.name == *name && matches!(f.ty, JsonType::String | JsonType::Any)) {
                return Err(Error::Internal(format!("{}: the typed call sends a text field the table lacks: {name}", op.name)));
            }
        }
        let given = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, value)| *value);
        if let Some(field) = data.fields.iter().find(|f| f.required && given(f.name).is_none()) {
            return Err(missing_field(op, data, field));
        }
        one_of_given(op, data, |name| given(name).is_some_and(|v| !v.is_empty()))?;
        // No path value, no query: the row's own path.
        let target = op.path.into();
        let renewing = match op.effect {
            Some(Effect::Renew) => Some(spent_pair(op, given)?),
            _ => None,
        };
        let bearer = bearer(op, None, None, renewing.is_some());
        let body = Some(super::body::encode_text_fields(fields));
        Ok(Prepared { op, target, bearer, body, session_header: false, renewing })
    }
}

/// The bearer a call of `op` sends, given its explicit token and token
/// type arguments, if any, and whether it renews a pair.
fn bearer(op: &Operation, explicit: Option<Zeroizing<String>>, token_type: Option<TokenKind>, renewing: bool) -> Token {
    match op.bearer {
        BearerKind::None => Token::None,
        BearerKind::Device => Token::Session(TokenKind::Device),
        BearerKind::User => Token::Session(TokenKind::User),
        BearerKind::UserElseDevice => Token::UserElseDevice,
        BearerKind::Explicit => explicit.map_or(Token::UserElseDevice, Token::Explicit),
        BearerKind::TokenType => {
            let default = op.params.iter().find_map(|p| p.default).unwrap_or(TokenKind::User);
            Token::Session(token_type.unwrap_or(default))
        }
        BearerKind::Renewed if renewing => Token::Renewing,
        BearerKind::Renewed => Token::None,
    }
}

/// The pair a renew spends: the body's `Token` and `RefreshToken`.
fn renewed_pair(op: &Operation, args: &Map<String, Value>) -> Result<(SharedToken, Zeroizing<String>), Error> {
    spent_pair(op, |field| get(args, "data").and_then(Value::as_object).and_then(|d| get(d, field)).and_then(Value::as_str))
}

/// The pair a renew spends, its halves read by `field`: neither may be
/// missing or empty.
fn spent_pair<'a>(op: &Operation, field: impl Fn(&str) -> Option<&'a str>) -> Result<(SharedToken, Zeroizing<String>), Error> {
    let half = |name: &str| field(name).filter(|text| !text.is_empty()).ok_or_else(|| bad(op, format!("`data.{name}` must not be empty")));
    Ok((SharedToken::new(half("Token")?), Zeroizing::new(half("RefreshToken")?.to_owned())))
}

/// `map[key]` by a scan: the maps here hold a few keys, and a lookup in
/// serde_json's map hashes the key with SipHash first (issue 15's profile:
/// ~3 k instructions of a renew went to hashing).
fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter().find_map(|(k, v)| (k == key).then_some(v))
}

/// The path template with each `{name}` replaced by its value, encoded.
fn build_path(op: &Operation, args: &Map<String, Value>, out: &mut String) {
    let mut rest = op.path;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else { break };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..open + len];
        push_encoded(out, get(args, name).and_then(Value::as_str).unwrap_or_default());
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
}

/// `?key=value&...` for the query arguments given (in the row's order),
/// percent-encoded; nothing when none is given.
fn build_query(op: &Operation, args: &Map<String, Value>, out: &mut String) -> Result<(), Error> {
    let mut first = true;
    let mut put = |wire: &str, value: &Value, out: &mut String| {
        let text = match value {
            Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
            Value::Number(n) => Some(n.to_string().into()),
            // Only `true` is sent, as the JavaScript client does.
            Value::Bool(true) => Some("true".into()),
            _ => None,
        };
        if let Some(text) = text {
            out.push(if first { '?' } else { '&' });
            first = false;
            push_encoded(out, wire);
            out.push('=');
            push_encoded(out, &text);
        }
    };
    for p in op.params {
        let Some(value) = get(args, p.name).filter(|v| !v.is_null()) else { continue };
        match p.kind {
            ParamIn::QueryValue => put(p.wire.unwrap_or(p.name), value, out),
            ParamIn::Query => {
                let options = value.as_object().expect("type checked");
                if let Some(key) = options.keys().find(|k| !p.fields.iter().any(|f| f.name == k.as_str())) {
                    return Err(unknown_option(op, p, key));
                }
                for field in p.fields {
                    if let Some(v) = get(options, field.name) {
                        check_query_value(op, &format_args!("{}.{}", p.name, field.name), field.ty, v)?;
                        put(field.wire.unwrap_or(field.name), v, out);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_query_value(op: &Operation, name: &dyn std::fmt::Display, ty: JsonType, value: &Value) -> Result<(), Error> {
    let ok = match ty {
        JsonType::Boolean => value.is_boolean() || value.is_null(),
        // A URL carries text: a string or a number does for either.
        _ => value.is_string() || value.is_number() || value.is_null(),
    };
    if ok {
        return Ok(());
    }
    Err(bad(op, format!("`{name}` must be {}, not {}", query_type(ty), kind_of(value))))
}

fn query_type(ty: JsonType) -> &'static str {
    match ty {
        JsonType::Boolean => "a boolean",
        _ => "a string or a number",
    }
}

/// The known fields of a body object: required ones present, each of the
/// right type.
fn check_fields(op: &Operation, p: &Param, value: &Value, fields: Fields) -> Result<(), Error> {
    let Some(object) = value.as_object() else { return Ok(()) };
    for field in p.fields {
        match get(object, field.name) {
            None => {
                if field.required {
                    return Err(missing_field(op, p, field));
                }
            }
            Some(Value::Null) => {
                if field.required && !field.nullable {
                    return Err(bad(op, format!("`{}.{}` is required and must not be null", p.name, field.name)));
                }
            }
            // The name is formatted only for a message.
            Some(v) => check_type(op, &format_args!("{}.{}", p.name, field.name), field.ty, v)?,
        }
    }
    let given = |name: &&str| get(object, name).is_some_and(|v| !v.is_null() && v.as_str() != Some(""));
    one_of_given(op, p, given)?;
    if fields == Fields::Known {
        if let Some(key) = object.keys().find(|k| !p.fields.iter().any(|f| f.name == k.as_str())) {
            return Err(Error::Internal(format!("{}: the typed call sends a field the table lacks: {key}", op.name)));
        }
    }
    Ok(())
}

fn missing_field(op: &Operation, p: &Param, field: &Field) -> Error {
    bad(op, format!("`{}` is missing its required field `{}`", p.name, field.name))
}

/// A row's `one_of` rule: at least one of those body fields given.
fn one_of_given(op: &Operation, p: &Param, given: impl Fn(&&str) -> bool) -> Result<(), Error> {
    if op.one_of.is_empty() || op.one_of.iter().any(given) {
        return Ok(());
    }
    let names: Vec<String> = op.one_of.iter().map(|n| format!("`{n}`")).collect();
    Err(bad(op, format!("`{}` needs at least one of {}", p.name, names.join(", "))))
}

fn check_type(op: &Operation, name: &dyn std::fmt::Display, ty: JsonType, value: &Value) -> Result<(), Error> {
    let ok = match ty {
        JsonType::String => value.is_string(),
        JsonType::Number => value.is_number(),
        JsonType::Integer => value.is_i64() || value.is_u64(),
        JsonType::Boolean => value.is_boolean(),
        JsonType::Object => value.is_object(),
        JsonType::Array => value.is_array(),
        JsonType::Any => true,
    };
    if ok {
        return Ok(());
    }
    let article = if matches!(ty, JsonType::Integer | JsonType::Object | JsonType::Array) { "an" } else { "a" };
    Err(bad(op, format!("`{name}` must be {article} {}, not {}", type_name(ty), kind_of(value))))
}

/// A value's JSON type, for messages (never the value: it may be a secret).
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn what(p: &Param) -> &'static str {
    match p.kind {
        ParamIn::Path => "a path value",
        ParamIn::Body => "the request body",
        ParamIn::BodyField => "a body field",
        _ => "an argument",
    }
}

fn bad(op: &Operation, message: String) -> Error {
    Error::InvalidArgument(format!("{}: {message}", op.name))
}

/// A name the caller gave, safe to quote: at most 64 characters, no
/// control characters.
fn shown(name: &str) -> String {
    name.chars().take(64).map(|c| if c.is_control() { '?' } else { c }).collect()
}

fn unknown_param(op: &Operation, key: &str) -> Error {
    let names: Vec<&str> = op.params.iter().map(|p| p.name).collect();
    let list = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
    let hint = meant(key, names.iter().copied()).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
    bad(op, format!("no parameter `{}`{hint} (its parameters: {list})", shown(key)))
}

fn unknown_option(op: &Operation, p: &Param, key: &str) -> Error {
    let names = p.fields.iter().map(|f| f.name);
    let hint = meant(key, names).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
    let list: Vec<&str> = p.fields.iter().map(|f| f.name).collect();
    bad(op, format!("`{}` has no option `{}`{hint} (its options: {})", p.name, shown(key), list.join(", ")))
}

fn unknown_operation(name: &str) -> Error {
    let names = nearest(name, super::all().iter().map(|op| op.name), 3);
    Error::InvalidArgument(format!(
        "unknown operation `{}`; the nearest are: {} (dfx_operations_json() lists all {})",
        shown(name),
        names.join(", "),
        super::all().len()
    ))
}

/// Up to `n` of `names` nearest to `name` (case-insensitive edit distance;
/// for `group.method` names the method alone counts too), nearest first.
fn nearest<'a>(name: &str, names: impl Iterator<Item = &'a str>, n: usize) -> Vec<&'a str> {
    nearest_scored(name, names, n).into_iter().map(|(_, c)| c).collect()
}

/// The one name near enough to `name` to be what was meant, if any.
fn meant<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let (d, candidate) = nearest_scored(name, names, 1).into_iter().next()?;
    (d <= (name.len() / 2).max(2)).then_some(candidate)
}

fn nearest_scored<'a>(name: &str, names: impl Iterator<Item = &'a str>, n: usize) -> Vec<(usize, &'a str)> {
    let wanted = name.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = names
        .map(|candidate| {
            let lower = candidate.to_ascii_lowercase();
            let mut d = distance(&wanted, &lower);
            if let Some((_, method)) = lower.split_once('.') {
                d = d.min(distance(&wanted, method) + 1);
            }
            (d, candidate)
        })
        .collect();
    scored.sort_by_key(|(d, _)| *d);
    scored.truncate(n);
    scored
}

/// Levenshtein distance over bytes.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    distance(a, b)
}
