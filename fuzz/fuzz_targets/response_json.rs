#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dfx::fuzzing::response_json(data));
