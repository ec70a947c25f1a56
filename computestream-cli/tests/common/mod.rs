//! Helpers shared by the binary's integration tests (each test binary uses some of them).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use computestream_core::AccountAddress;
use serde_json::Value;

/// Kills a spawned server even when an assertion fails, so no test leaves it running.
pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `computestream keys new --out DIR/NAME.key`: the key file's path and its address.
pub(crate) fn new_key(dir: &Path, name: &str) -> (String, AccountAddress) {
    let path = dir.join(format!("{name}.key"));
    let out = Command::new(env!("CARGO_BIN_EXE_computestream"))
        .args(["--json", "keys", "new", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let address = v["address"].as_str().unwrap().parse().unwrap();
    (path.to_str().unwrap().to_string(), address)
}

/// Spawns `command` (a server of this binary) and returns it with the second word of its
/// first stdout line: its URL.
pub(crate) async fn spawn_with_url(mut command: Command) -> (KillOnDrop, String) {
    command
        .env_remove("COMPUTESTREAM_PRIVATE_KEY")
        .stdout(Stdio::piped());
    let mut child = KillOnDrop(command.spawn().unwrap());
    let stdout = child.0.stdout.take().unwrap();
    let first = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = first
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    (child, url)
}
