#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dfx::fuzzing::ws_frame(data));
