#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dfx::fuzzing::session_json(data));
