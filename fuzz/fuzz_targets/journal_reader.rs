//! libFuzzer entry point of the `journal_reader` body in `src/lib.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| core_ide_fuzz::journal_reader(data));
