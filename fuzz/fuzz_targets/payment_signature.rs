#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| computestream_testkit::fuzz::payment_signature(data));
