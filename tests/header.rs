//! The committed include/dfx.h is exactly what build.rs generates, and every
//! export sits inside the panic boundary.

use std::fs;
use std::path::Path;

#[test]
fn committed_header_matches_generated() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/dfx.h"));
    let committed = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/dfx.h"))
        .expect("include/dfx.h exists");
    assert!(
        generated == committed,
        "include/dfx.h is out of date with src/ffi: run `make header` (DFX_WRITE_HEADER=1 cargo build) and commit it"
    );
}

#[test]
fn header_version_macros_match_cargo() {
    let header = include_str!(concat!(env!("OUT_DIR"), "/dfx.h"));
    for (name, value) in [
        ("DFX_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("DFX_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("DFX_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        assert!(header.contains(&format!("#define {name} {value}\n")), "{name}");
    }
    assert!(header.contains(&format!("#define DFX_VERSION_STRING \"{}\"", env!("CARGO_PKG_VERSION"))));
}

/// Every `extern "C" fn` in src/ffi has a body that is exactly one
/// `ffi_status!` or `ffi_value!` call, and is documented.
#[test]
fn every_export_is_inside_the_panic_boundary_and_documented() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ffi");
    let mut exports = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("extern \"C\" fn ") {
            let before = &rest[..at];
            let after = &rest[at..];
            let name: String = after["extern \"C\" fn ".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let body_start = after.find('{').expect("fn body");
            let body = after[body_start + 1..].trim_start();
            assert!(
                body.starts_with("ffi_status!(") || body.starts_with("ffi_value!("),
                "{}: `{name}` does not start with a panic boundary",
                path.display()
            );
            let lines: Vec<&str> = before.lines().rev().skip(1).take(2).collect();
            assert!(
                lines.iter().any(|l| l.trim() == "#[no_mangle]")
                    && before.lines().rev().skip(2).next().is_some_and(|l| l.trim().starts_with("///")),
                "{}: `{name}` must be #[no_mangle] and documented",
                path.display()
            );
            assert!(name.starts_with("dfx_"), "`{name}` must start with dfx_");
            exports += 1;
            rest = &after[body_start..];
        }
    }
    assert!(exports >= 15, "found only {exports} exports");
}

/// One exported function of the header: its doc comment and declaration.
struct Export {
    name: String,
    doc: String,
    decl: String,
}

/// The `DFX_API` functions of the header, each with the doc comment above it.
fn header_exports(header: &str) -> Vec<Export> {
    let mut out = Vec::new();
    let mut rest = header;
    while let Some(start) = rest.find("/**") {
        let after = &rest[start..];
        let end = after.find("*/").expect("comment ends") + 2;
        let doc = &after[..end];
        let tail = after[end..].trim_start();
        if tail.starts_with("DFX_API") {
            let decl = &tail[..tail.find(';').expect("declaration ends")];
            let name: String = decl[..decl.find('(').expect("a function")]
                .rsplit(|c: char| c.is_whitespace() || c == '*')
                .next()
                .unwrap()
                .to_string();
            out.push(Export { name, doc: doc.to_string(), decl: decl.to_string() });
        }
        rest = &after[end..];
    }
    out
}

/// A doc comment as one line of single-spaced words.
fn flat(doc: &str) -> String {
    doc.split_whitespace().filter(|w| *w != "*").collect::<Vec<_>>().join(" ")
}

/// The `DFX_*` status names a doc lists, including those of the functions
/// it refers to with "as for dfx_other()" for its statuses.
fn listed_statuses(export: &Export, all: &[Export]) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let doc = flat(&export.doc);
    for word in doc.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("DFX_OK") || word.starts_with("DFX_ERR_") {
            names.insert(word.to_string());
        }
    }
    if let Some(at) = doc.find("statuses returned as for ") {
        let other: String = doc[at + "statuses returned as for ".len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let target = all.iter().find(|e| e.name == other).unwrap_or_else(|| panic!("{}: no {other}", export.name));
        names.extend(listed_statuses(target, all));
    }
    names
}

/// The header keeps its own conventions, checked from each declaration:
/// every export is documented at length with its thread safety and the
/// version it came in; a status-returning one lists DFX_OK and
/// DFX_ERR_NULL_ARGUMENT, DFX_ERR_INVALID_UTF8 exactly when it takes a
/// string, every transport status when it makes a blocking call, and
/// DFX_ERR_CANCELLED (client being freed) when it is an `_async` call.
#[test]
fn every_export_documents_its_contract() {
    let header = include_str!(concat!(env!("OUT_DIR"), "/dfx.h"));
    let exports = header_exports(header);
    let mut problems = Vec::new();
    for e in &exports {
        let doc = flat(&e.doc);
        let mut problem = |what: &str| problems.push(format!("{}: {what}", e.name));
        if e.doc.lines().count() < 4 {
            problem("documented in fewer than 2 lines");
        }
        if !doc.contains("Thread safety") {
            problem("no \"Thread safety\" line");
        }
        if !doc.contains("Since ") {
            problem("no \"Since\" version");
        }
        if !e.decl.contains("DfxStatus dfx_") {
            continue;
        }
        let listed = listed_statuses(e, &exports);
        let has = |s: &str| listed.contains(s);
        let params = &e.decl[e.decl.find('(').unwrap()..];
        let is_async = params.contains("DfxCallback");
        let blocking_call = params.contains("DfxResponse **out_response");
        if !doc.contains("Returns") && !doc.contains("statuses returned as for") {
            problem("no \"Returns\" list");
        }
        for needed in ["DFX_OK", "DFX_ERR_NULL_ARGUMENT"] {
            if !has(needed) {
                problem(&format!("does not list {needed}"));
            }
        }
        if params.contains("const char *") != has("DFX_ERR_INVALID_UTF8") {
            problem("lists DFX_ERR_INVALID_UTF8 if and only if it takes a string: it does not");
        }
        if is_async && !has("DFX_ERR_CANCELLED") {
            problem("an _async call that does not list DFX_ERR_CANCELLED (the client is being freed)");
        }
        if blocking_call {
            for needed in [
                "DFX_ERR_API",
                "DFX_ERR_CONNECT",
                "DFX_ERR_TIMEOUT",
                "DFX_ERR_TLS",
                "DFX_ERR_DECODE",
                "DFX_ERR_REDIRECT",
                "DFX_ERR_WOULD_DEADLOCK",
                "DFX_ERR_INTERNAL",
            ] {
                if !has(needed) {
                    problem(&format!("a blocking call that does not list {needed}"));
                }
            }
            let lost = ["DFX_ERR_TRUNCATED", "DFX_ERR_CONNECTION_LOST", "DFX_ERR_TRANSPORT"];
            if !has("DFX_ERR_OUTCOME_UNKNOWN") && !lost.iter().all(|s| has(s)) {
                problem("a blocking call that lists neither DFX_ERR_OUTCOME_UNKNOWN nor every lost-answer status");
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// Every `extern "C" fn` of src/ffi is in the header, and nothing else is.
#[test]
fn header_declares_exactly_the_exports() {
    let header = include_str!(concat!(env!("OUT_DIR"), "/dfx.h"));
    let mut in_header: Vec<String> = header_exports(header).into_iter().map(|e| e.name).collect();
    let mut in_source = Vec::new();
    for entry in fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ffi")).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split("extern \"C\" fn ").skip(1) {
            in_source.push(part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>());
        }
    }
    in_header.sort();
    in_source.sort();
    assert_eq!(in_header, in_source);
}
