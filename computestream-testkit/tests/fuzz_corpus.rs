//! Replays the fuzz corpus (`fuzz/corpus/<target>/`, the seeds and every input libFuzzer kept
//! for new coverage, plus minimized regressions) through the fuzz targets' bodies, on stable
//! Rust: CI checks each of them without a nightly toolchain or libFuzzer.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use computestream_testkit::fuzz;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            catch_unwind(AssertUnwindSafe(|| run(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target} fails on {failed:#?}");
}

#[test]
fn payment_signature_corpus() {
    replay("payment_signature", fuzz::payment_signature);
}

#[test]
fn signed_transaction_corpus() {
    replay("signed_transaction", fuzz::signed_transaction);
}

#[test]
fn localnet_request_corpus() {
    replay("localnet_request", fuzz::localnet_request);
}
