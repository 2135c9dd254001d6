#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dfx::fuzzing::http1_reader(data));
