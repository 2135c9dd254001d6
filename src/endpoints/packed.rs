//! The table as the library carries it: packed at compile time into
//! arrays of small integers and one string of text, unpacked into
//! [`Operation`] rows on first use.
//!
//! Why: `table.rs` written as `static` rows of `&'static str` and slices
//! held ~1,200 pointers, each a relocation in libdfx.so (24 bytes of
//! `.rela.dyn`, 16-byte string slices in `.data.rel.ro`), ~65 KiB for
//! ~4 KiB of text. Here the rows are `const` (compile-time input only);
//! [`PACKED`] holds offsets into [`Packed::text`] (each distinct string
//! once) and index ranges into the packed fields and parameters: no
//! pointer, no relocation. [`unpack`] rebuilds the very same rows once
//! (the unit test compares them with `table.rs`), so everything that reads
//! the table keeps its `&'static` fields.

use super::table::TABLE;
use super::{BearerKind, Effect, Field, JsonType, Operation, Param, ParamIn};
use crate::session::TokenKind;
use crate::transport::Method;

/// A string of [`Packed::text`]: `len` bytes from `at`; `len == NONE` is
/// no string (`None`).
#[derive(Clone, Copy)]
struct Text {
    at: u16,
    len: u16,
}

const NONE: u16 = u16::MAX;
const NO_TEXT: Text = Text { at: 0, len: NONE };

/// `len` entries from `at` of one of the packed arrays.
#[derive(Clone, Copy)]
struct Span {
    at: u16,
    len: u16,
}

const EMPTY: Span = Span { at: 0, len: 0 };

#[derive(Clone, Copy)]
struct PackedField {
    name: Text,
    wire: Text,
    ty: JsonType,
    required: bool,
    nullable: bool,
}

#[derive(Clone, Copy)]
struct PackedParam {
    name: Text,
    wire: Text,
    fields: Span,
    kind: ParamIn,
    ty: JsonType,
    required: bool,
    default: Option<TokenKind>,
}

#[derive(Clone, Copy)]
struct PackedOperation {
    name: Text,
    path: Text,
    action_id: Text,
    correction: Text,
    params: Span,
    /// Into [`Packed::one_of`].
    one_of: Span,
    method: Method,
    bearer: BearerKind,
    effect: Option<Effect>,
}

/// How much of each the table holds.
struct Counts {
    text: usize,
    fields: usize,
    params: usize,
    one_of: usize,
}

const COUNTS: Counts = count();

struct Packed {
    /// Every distinct string of the table, back to back.
    text: [u8; COUNTS.text],
    fields: [PackedField; COUNTS.fields],
    params: [PackedParam; COUNTS.params],
    one_of: [Text; COUNTS.one_of],
    operations: [PackedOperation; TABLE.len()],
}

static PACKED: Packed = pack();

/// The most distinct strings the table may have (it has ~200), and the
/// slots of the hash table that finds them again (twice as many).
const MAX_STRINGS: usize = 1024;
const SLOTS: usize = 2 * MAX_STRINGS;

/// Each distinct string once: where it is in the text. (A hash table:
/// compile-time evaluation has a budget, and ~1,000 strings each compared
/// with every earlier one would exceed it.)
struct Strings {
    seen: [&'static str; MAX_STRINGS],
    at: [u16; MAX_STRINGS],
    /// 1 + the index in `seen` of the string hashed to this slot (or to an
    /// earlier full one), 0 for a free slot.
    slots: [u16; SLOTS],
    count: usize,
    /// The text's length so far.
    len: usize,
}

impl Strings {
    const fn new() -> Strings {
        Strings { seen: [""; MAX_STRINGS], at: [0; MAX_STRINGS], slots: [0; SLOTS], count: 0, len: 0 }
    }

    /// `s` in the text: where an equal string already is, else at its end
    /// (`true`: `s` is new, to be written there).
    const fn place(&mut self, s: &'static str) -> (Text, bool) {
        assert!(s.len() < NONE as usize, "a string of the endpoint table is too long");
        let mut slot = fnv1a(s.as_bytes()) % SLOTS;
        while self.slots[slot] != 0 {
            let i = self.slots[slot] as usize - 1;
            if same(self.seen[i], s) {
                return (Text { at: self.at[i], len: s.len() as u16 }, false);
            }
            slot = (slot + 1) % SLOTS;
        }
        assert!(self.count < MAX_STRINGS, "the endpoint table has too many distinct strings");
        assert!(self.len + s.len() <= NONE as usize, "the endpoint table's text is too long");
        self.seen[self.count] = s;
        self.at[self.count] = self.len as u16;
        self.count += 1;
        self.slots[slot] = self.count as u16;
        let at = self.len as u16;
        self.len += s.len();
        (Text { at, len: s.len() as u16 }, true)
    }
}

const fn fnv1a(bytes: &[u8]) -> usize {
    let mut hash: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u32).wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash as usize
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Every string of the table in order, to `visit` (the same walk for
/// [`count`] and [`pack`]).
macro_rules! each_string {
    (|$s:ident| $visit:expr) => {{
        let mut o = 0;
        while o < TABLE.len() {
            let op = &TABLE[o];
            string!($s, op.name, $visit);
            string!($s, op.path, $visit);
            optional!($s, op.action_id, $visit);
            optional!($s, op.correction, $visit);
            let mut k = 0;
            while k < op.one_of.len() {
                string!($s, op.one_of[k], $visit);
                k += 1;
            }
            let mut p = 0;
            while p < op.params.len() {
                let param = &op.params[p];
                string!($s, param.name, $visit);
                optional!($s, param.wire, $visit);
                let mut f = 0;
                while f < param.fields.len() {
                    string!($s, param.fields[f].name, $visit);
                    optional!($s, param.fields[f].wire, $visit);
                    f += 1;
                }
                p += 1;
            }
            o += 1;
        }
    }};
}

macro_rules! string {
    ($s:ident, $value:expr, $visit:expr) => {{
        let $s: &'static str = $value;
        $visit;
    }};
}

macro_rules! optional {
    ($s:ident, $value:expr, $visit:expr) => {
        if let Some($s) = $value {
            $visit;
        }
    };
}

const fn count() -> Counts {
    let mut strings = Strings::new();
    each_string!(|s| strings.place(s));
    let (mut fields, mut params, mut one_of) = (0, 0, 0);
    let mut o = 0;
    while o < TABLE.len() {
        one_of += TABLE[o].one_of.len();
        let mut p = 0;
        while p < TABLE[o].params.len() {
            fields += TABLE[o].params[p].fields.len();
            p += 1;
        }
        params += TABLE[o].params.len();
        o += 1;
    }
    assert!(fields <= NONE as usize && params <= NONE as usize && one_of <= NONE as usize);
    Counts { text: strings.len, fields, params, one_of }
}

const fn pack() -> Packed {
    const NO_FIELD: PackedField =
        PackedField { name: NO_TEXT, wire: NO_TEXT, ty: JsonType::Any, required: false, nullable: false };
    const NO_PARAM: PackedParam = PackedParam {
        name: NO_TEXT,
        wire: NO_TEXT,
        fields: EMPTY,
        kind: ParamIn::Body,
        ty: JsonType::Any,
        required: false,
        default: None,
    };
    const NO_OPERATION: PackedOperation = PackedOperation {
        name: NO_TEXT,
        path: NO_TEXT,
        action_id: NO_TEXT,
        correction: NO_TEXT,
        params: EMPTY,
        one_of: EMPTY,
        method: Method::Get,
        bearer: BearerKind::None,
        effect: None,
    };
    let mut packed = Packed {
        text: [0; COUNTS.text],
        fields: [NO_FIELD; COUNTS.fields],
        params: [NO_PARAM; COUNTS.params],
        one_of: [NO_TEXT; COUNTS.one_of],
        operations: [NO_OPERATION; TABLE.len()],
    };
    let mut strings = Strings::new();
    // Write the text first, in the order `count` placed it.
    each_string!(|s| {
        let (at, new) = strings.place(s);
        if new {
            let mut i = 0;
            while i < s.len() {
                packed.text[at.at as usize + i] = s.as_bytes()[i];
                i += 1;
            }
        }
    });
    let (mut fields, mut params, mut one_of) = (0, 0, 0);
    let mut o = 0;
    while o < TABLE.len() {
        let op = &TABLE[o];
        let first_param = params;
        let mut p = 0;
        while p < op.params.len() {
            let param = &op.params[p];
            let first_field = fields;
            let mut f = 0;
            while f < param.fields.len() {
                let field = &param.fields[f];
                packed.fields[fields] = PackedField {
                    name: strings.place(field.name).0,
                    wire: text(&mut strings, field.wire),
                    ty: field.ty,
                    required: field.required,
                    nullable: field.nullable,
                };
                fields += 1;
                f += 1;
            }
            packed.params[params] = PackedParam {
                name: strings.place(param.name).0,
                wire: text(&mut strings, param.wire),
                fields: Span { at: first_field as u16, len: param.fields.len() as u16 },
                kind: param.kind,
                ty: param.ty,
                required: param.required,
                default: param.default,
            };
            params += 1;
            p += 1;
        }
        let first_one_of = one_of;
        let mut k = 0;
        while k < op.one_of.len() {
            packed.one_of[one_of] = strings.place(op.one_of[k]).0;
            one_of += 1;
            k += 1;
        }
        packed.operations[o] = PackedOperation {
            name: strings.place(op.name).0,
            path: strings.place(op.path).0,
            action_id: text(&mut strings, op.action_id),
            correction: text(&mut strings, op.correction),
            params: Span { at: first_param as u16, len: op.params.len() as u16 },
            one_of: Span { at: first_one_of as u16, len: op.one_of.len() as u16 },
            method: op.method,
            bearer: op.bearer,
            effect: op.effect,
        };
        o += 1;
    }
    assert!(strings.len == COUNTS.text);
    packed
}

const fn text(strings: &mut Strings, s: Option<&'static str>) -> Text {
    match s {
        Some(s) => strings.place(s).0,
        None => NO_TEXT,
    }
}

/// The rows of `table.rs`, rebuilt from [`PACKED`] (their parameters,
/// fields and `one_of` lists live as long as the process, like the rows).
pub(super) fn unpack() -> Box<[Operation]> {
    let all = std::str::from_utf8(&PACKED.text).expect("the packed table's text is the table's strings");
    let text = |t: Text| all.get(t.at as usize..t.at as usize + t.len as usize).expect("a string of the packed table");
    let optional = |t: Text| (t.len != NONE).then(|| text(t));
    let span = |s: Span| s.at as usize..s.at as usize + s.len as usize;
    let fields: &'static [Field] = PACKED
        .fields
        .iter()
        .map(|f| Field { name: text(f.name), ty: f.ty, required: f.required, nullable: f.nullable, wire: optional(f.wire) })
        .collect::<Vec<_>>()
        .leak();
    let params: &'static [Param] = PACKED
        .params
        .iter()
        .map(|p| Param {
            name: text(p.name),
            kind: p.kind,
            ty: p.ty,
            required: p.required,
            wire: optional(p.wire),
            fields: &fields[span(p.fields)],
            default: p.default,
        })
        .collect::<Vec<_>>()
        .leak();
    let one_of: &'static [&'static str] = PACKED.one_of.iter().map(|&t| text(t)).collect::<Vec<_>>().leak();
    PACKED
        .operations
        .iter()
        .map(|o| Operation {
            name: text(o.name),
            method: o.method,
            path: text(o.path),
            bearer: o.bearer,
            effect: o.effect,
            action_id: optional(o.action_id),
            params: &params[span(o.params)],
            correction: optional(o.correction),
            one_of: &one_of[span(o.one_of)],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// The unpacked rows are `table.rs`'s, field by field (every field of
    /// the row types is in their `Debug` form).
    #[test]
    fn unpacked_rows_are_the_tables() {
        assert_eq!(format!("{:#?}", super::unpack()), format!("{:#?}", super::TABLE));
        assert_eq!(format!("{:#?}", super::super::all()), format!("{:#?}", super::TABLE));
    }

    // Each distinct string once (962 literals, ~200 distinct).
    const _: () = assert!(super::COUNTS.text < 8 << 10);
}
