//! `computestream localnet --state-dir` killed with SIGKILL under load, then restarted on the
//! same directory: every transaction it acknowledged is still there.

mod common;

use common::KillOnDrop;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use computestream_core::contract::LOCAL_CONTRACT_ADDRESS;
use computestream_core::{AptosLedger, ContractClient, Ledger, Signer};

fn start(dir: &std::path::Path) -> (KillOnDrop, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_computestream"))
        .args(["localnet", "--port", "0", "--state-dir"])
        .arg(dir)
        .args(["--mint", "0xb0b=1000000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("http://"),
        "first line is the URL: {line:?}"
    );
    (KillOnDrop(child), format!("{}/v1", line.trim()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_transactions_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start(dir.path());

    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (url, acked, stop) = (url.clone(), acked.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let node = Arc::new(AptosLedger::new(&url, LOCAL_CONTRACT_ADDRESS).unwrap());
            let client = ContractClient::new(node, LOCAL_CONTRACT_ADDRESS);
            let buyer = Signer::from_seed(&format!("crash:buyer{w}"));
            let provider = computestream_core::types::address_from_u64(0xb0b);
            while !stop.load(Ordering::Relaxed) {
                // Aborts on chain (no such provider), but is committed and acknowledged.
                match client
                    .create_job(&buyer, provider, "img".into(), 1, 60)
                    .await
                {
                    Err(computestream_core::Error::Abort { hash: Some(h), .. }) => {
                        acked.lock().unwrap().push(h)
                    }
                    Ok(o) => acked.lock().unwrap().push(o.hash),
                    Err(_) => break, // the node died mid-request: not acknowledged
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 20, "load ran: {} acknowledged", acked.len());

    let (_child, url) = start(dir.path());
    let node = AptosLedger::new(&url, LOCAL_CONTRACT_ADDRESS).unwrap();
    for h in &acked {
        assert!(
            node.transaction_by_hash(*h).await.unwrap().is_some(),
            "acknowledged {h} lost"
        );
    }
    // The minted stake survived too, and the node accepts new work.
    let balance = ContractClient::new(&node, LOCAL_CONTRACT_ADDRESS)
        .balance(
            computestream_core::types::address_from_u64(0xb0b),
            computestream_core::AssetId::NATIVE,
        )
        .await
        .unwrap();
    assert!(balance >= 1_000_000_000);
}
