//! libFuzzer entry point of the `checklist` body in `src/lib.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| core_ide_fuzz::checklist(data));
