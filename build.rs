//! Renders the C header from src/ffi with cbindgen into OUT_DIR/dfx.h.
//! `tests/header.rs` fails when it differs from the committed include/dfx.h;
//! `DFX_WRITE_HEADER=1 cargo build` (or `make header`) refreshes the latter.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DFX_WRITE_HEADER");

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    let minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap();
    let patch = env::var("CARGO_PKG_VERSION_PATCH").unwrap();

    // The shared library's SONAME: on Linux it carries the major version
    // (scripts/install.sh makes the libdfx.so.MAJOR links; the Makefile the
    // one in target/); Android loads libraries by their file name, so there
    // it is plain libdfx.so. Only dfx_* symbols are exported either way:
    // rustc hides everything else of a cdylib (tested with nm -D).
    match env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libdfx.so.{major}");
            soname_link(&out_dir, &major);
        }
        Ok("android") => println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libdfx.so"),
        _ => {}
    }
    let preamble = [
        format!("dfx {major}.{minor}.{patch} — C API of the NuraLogix DeepAffex Cloud client."),
        String::new(),
        "Conventions (every function):".into(),
        "- Fallible functions return DfxStatus: DFX_OK (0) or a DFX_ERR_* value;".into(),
        "  dfx_status_name() names it, dfx_last_error_message() explains it.".into(),
        "- Strings going in are NUL-terminated UTF-8; NULL where a value is".into(),
        "  required is DFX_ERR_NULL_ARGUMENT, never a crash.".into(),
        "- Out-parameters are set to NULL first and written only on success".into(),
        "  (and, for API calls, on DFX_ERR_API so the answer can be read).".into(),
        "- Pointers returned by accessors are owned by their handle and live".into(),
        "  exactly as long as it; handles are freed with their _free function,".into(),
        "  which accepts NULL.".into(),
        "- No panic crosses this boundary: an internal failure is DFX_ERR_INTERNAL.".into(),
        "- Secrets (tokens, refresh tokens, passwords, license keys, codes)".into(),
        "  never appear in messages, even when a server echoes them back.".into(),
    ];
    let mut header = String::from("/*\n");
    for line in preamble {
        header.push_str(format!(" * {line}").trim_end());
        header.push('\n');
    }
    header.push_str(" */");
    config.header = Some(header);
    config.after_includes = Some(format!(
        "\n#define DFX_VERSION_MAJOR {major}\n#define DFX_VERSION_MINOR {minor}\n\
         #define DFX_VERSION_PATCH {patch}\n\
         /* MAJOR * 10000 + MINOR * 100 + PATCH */\n\
         #define DFX_VERSION_NUM ({major} * 10000 + {minor} * 100 + {patch})\n\
         #define DFX_VERSION_STRING \"{major}.{minor}.{patch}\"\n\
         \n\
         /* Every function is declared DFX_API: on Windows it imports it from\n\
         \x20* dfx.dll; define DFX_STATIC when linking the static library instead. */\n\
         #ifndef DFX_API\n\
         #  if defined(_WIN32) && !defined(DFX_STATIC)\n\
         #    define DFX_API __declspec(dllimport)\n\
         #  else\n\
         #    define DFX_API\n\
         #  endif\n\
         #endif\n"
    ));

    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header");
    let generated = out_dir.join("dfx.h");
    bindings.write_to_file(&generated);

    if env::var_os("DFX_WRITE_HEADER").is_some_and(|v| v == "1") {
        let target = crate_dir.join("include").join("dfx.h");
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(&generated, &target).expect("could not write include/dfx.h");
    }
}

/// `libdfx.so.MAJOR -> libdfx.so` next to the library cargo is about to
/// link (target/<profile>/, OUT_DIR's grandparent's parent), so a program
/// linked with `-ldfx` from there runs without a hand-made link. The link
/// dangles until the library is written. Best effort: a failure here only
/// costs that convenience.
fn soname_link(out_dir: &std::path::Path, major: &str) {
    #[cfg(unix)]
    if let Some(profile_dir) = out_dir.ancestors().nth(3) {
        let link = profile_dir.join(format!("libdfx.so.{major}"));
        if fs::symlink_metadata(&link).is_err() {
            let _ = std::os::unix::fs::symlink("libdfx.so", &link);
        }
    }
    #[cfg(not(unix))]
    let _ = (out_dir, major);
}
