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
