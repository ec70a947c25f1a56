//! The settlement driver under faults: 30% of submissions fail, half of those after the
//! transaction was applied (a lost response); the driver is shut down and restarted from its
//! checkpoint mid-run. At the end every stream has been paid exactly what it owes — never
//! more, nothing lost — and the provider holds exactly the sum.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aptos_sdk::transaction::SignedTransaction;
use aptos_sdk::types::{ChainId, HashValue};
use async_trait::async_trait;
use computestream_core::contract::{LOCAL_CONTRACT_ADDRESS, ViewRequest};
use computestream_core::scheduler::FixedInterval;
use computestream_core::scheduler::driver::{Driver, DriverConfig, DriverEvent, paying_status};
use computestream_core::{
    AccountAddress, AssetId, ContractClient, Error, JobId, Ledger, Result, Signer, TxnOutcome, math,
};
use computestream_localnet::LocalLedger;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Fails 30% of submissions: 15% before applying them, 15% after (the response is lost).
struct Faulty {
    inner: Arc<LocalLedger>,
    rng: Mutex<StdRng>,
    injected: Mutex<(u64, u64)>,
}

#[async_trait]
impl Ledger for Faulty {
    async fn gas_unit_price(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    async fn chain_id(&self) -> Result<ChainId> {
        self.inner.chain_id().await
    }
    async fn now_micros(&self) -> Result<u64> {
        self.inner.now_micros().await
    }
    async fn sequence_number(&self, a: AccountAddress) -> Result<u64> {
        self.inner.sequence_number(a).await
    }
    async fn submit(&self, txn: &SignedTransaction) -> Result<TxnOutcome> {
        let roll: f64 = self.rng.lock().unwrap().r#gen();
        let lost = |what: &str| Error::Transport {
            message: what.into(),
            retryable: true,
            status: None,
        };
        if roll < 0.15 {
            self.injected.lock().unwrap().0 += 1;
            return Err(lost("injected: connection reset before the node saw it"));
        }
        let outcome = self.inner.submit(txn).await?;
        if roll < 0.30 {
            self.injected.lock().unwrap().1 += 1;
            return Err(lost("injected: timed out after the node applied it"));
        }
        Ok(outcome)
    }
    async fn simulate(&self, txn: &SignedTransaction) -> Result<TxnOutcome> {
        self.inner.simulate(txn).await
    }
    async fn view(&self, r: &ViewRequest) -> Result<Vec<Vec<u8>>> {
        self.inner.view(r).await
    }
    async fn transaction_by_hash(&self, h: HashValue) -> Result<Option<TxnOutcome>> {
        self.inner.transaction_by_hash(h).await
    }
}

const START: u64 = 10_000;
const RATE: u128 = 2_000_000_000_000; // 2,000 units/s

struct Job {
    id: JobId,
    deposit: u64,
    ends_at: Option<u64>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_a_restart_leave_every_stream_paid_exactly() {
    let (local, clock) = LocalLedger::with_manual_clock(START);
    let local = Arc::new(local);
    let usdc = local.create_asset("USDC", 6).unwrap();
    let provider = Signer::from_seed("faults:provider");
    local
        .mint(provider.address(), AssetId::NATIVE, 1_000_000_000)
        .unwrap();
    let direct = ContractClient::new(local.clone(), LOCAL_CONTRACT_ADDRESS);
    direct
        .register_provider(&provider, "H100".into(), 80, RATE, 100_000_000)
        .await
        .unwrap();

    // 12 streams: some run out of funds mid-test, some are completed early.
    let mut jobs = Vec::new();
    for i in 0..12u64 {
        let buyer = Signer::from_seed(&format!("faults:buyer{i}"));
        local.mint(buyer.address(), usdc, 10_000_000).unwrap();
        let deposit = 2_000 * (10 + 3 * i) + 777;
        direct
            .rent(
                &buyer,
                provider.address(),
                "img".into(),
                usdc.0,
                deposit,
                3_600,
                RATE,
            )
            .await
            .unwrap();
        let id = JobId::new(buyer.address(), 1);
        direct.start_job(&provider, id.buyer, id.id).await.unwrap();
        jobs.push(Job {
            id,
            deposit,
            ends_at: None,
        });
    }

    let faulty = Arc::new(Faulty {
        inner: local.clone(),
        rng: Mutex::new(StdRng::seed_from_u64(7)),
        injected: Mutex::new((0, 0)),
    });
    let dir = tempfile::tempdir().unwrap();
    let config = DriverConfig {
        max_in_flight: 4,
        retry_base: Duration::from_millis(5),
        retry_max: Duration::from_millis(40),
        idle_recheck: Duration::from_millis(200),
        max_sleep: Duration::from_millis(5),
        checkpoint: Some(dir.path().join("driver.json")),
        ..DriverConfig::default()
    };
    let settler = Arc::new(Signer::from_seed("faults:settler"));
    let start_driver = |restore: bool| {
        let client = ContractClient::new(faulty.clone(), LOCAL_CONTRACT_ADDRESS);
        let (driver, events) = Driver::new(
            client,
            settler.clone(),
            Box::new(FixedInterval(2)),
            config.clone(),
        );
        if restore {
            assert_eq!(
                driver.restore().unwrap(),
                jobs.len(),
                "resumed from the checkpoint"
            );
        } else {
            for j in &jobs {
                driver.add(j.id);
            }
        }
        let running = driver.spawn();
        (driver, events, running)
    };

    let mut all_events = Vec::new();
    let (_d, mut events, running) = start_driver(false);
    for _ in 0..20 {
        clock.advance_secs(1);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    running.stop().await.unwrap();
    while let Ok(e) = events.try_recv() {
        all_events.push(e);
    }

    // Restart from the checkpoint.
    let (driver, mut events, running) = start_driver(true);
    for t in 21..=40u64 {
        clock.advance_secs(1);
        if t == 30 {
            for j in jobs.iter_mut().step_by(3) {
                direct
                    .complete_job(&provider, j.id.buyer, j.id.id, "s3://out".into())
                    .await
                    .unwrap();
                j.ends_at = Some(START + 30);
            }
        }
        if t == 35 {
            // Provider side: a depleted stream no longer pays; a funded running one does.
            let small = paying_status(&direct, jobs[1].id).await.unwrap();
            assert!(!small.paying, "{small:?}");
            let big = paying_status(&direct, jobs[11].id).await.unwrap();
            assert!(big.paying, "{big:?}");
            assert_eq!(
                big.seconds_left,
                Some(44 - 35),
                "86,777 units at 2,000/s last 43.4 s"
            );
        }
        if t == 40 {
            // Every job ends: what each stream owes is final from here on.
            for j in jobs.iter_mut().filter(|j| j.ends_at.is_none()) {
                direct
                    .complete_job(&provider, j.id.buyer, j.id.id, "s3://out".into())
                    .await
                    .unwrap();
                j.ends_at = Some(START + 40);
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // The policy settles every 2 s: let chain time pass so the last settlements fall due.
    for _ in 0..4 {
        clock.advance_secs(1);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let now = START + 44;
    let expected = |j: &Job| {
        let active = j.ends_at.unwrap_or(now) - START;
        math::owed(j.deposit, RATE, active)
    };
    // Let the driver catch up (it retries through the faults), then stop it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut done = true;
        for j in &jobs {
            let paid = direct
                .get_total_streamed(j.id.buyer, j.id.id)
                .await
                .unwrap();
            assert!(
                paid <= expected(j),
                "{}: paid {paid} > owed {}",
                j.id,
                expected(j)
            );
            done &= paid == expected(j);
        }
        if done || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.stop().await.unwrap();
    while let Ok(e) = events.try_recv() {
        all_events.push(e);
    }

    let mut total = 0;
    for j in &jobs {
        let paid = direct
            .get_total_streamed(j.id.buyer, j.id.id)
            .await
            .unwrap();
        assert_eq!(paid, expected(j), "{}", j.id);
        total += paid;
    }
    assert_eq!(
        local.balance(provider.address(), usdc),
        total,
        "the provider holds exactly the sum"
    );
    let (before, after) = *faulty.injected.lock().unwrap();
    assert!(
        before > 0 && after > 0,
        "faults were injected: {before} before, {after} after applying"
    );
    let failures = all_events
        .iter()
        .filter(|e| matches!(e, DriverEvent::Failed { .. }))
        .count();
    assert!(failures > 0);
    let depleted = all_events
        .iter()
        .filter(|e| matches!(e, DriverEvent::Depleted { .. }))
        .count();
    assert!(depleted > 0, "small deposits ran out and were reported");
    assert!(
        driver
            .counters()
            .settlements
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );

    let ended = paying_status(&direct, jobs[11].id).await.unwrap();
    assert!(!ended.paying && ended.claimable == 0, "{ended:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_buyer_side_driver_tops_up_a_low_stream_within_its_cap() {
    use computestream_core::scheduler::driver::AutoTopUp;
    let (local, clock) = LocalLedger::with_manual_clock(START);
    let local = Arc::new(local);
    let usdc = local.create_asset("USDC", 6).unwrap();
    let provider = Signer::from_seed("topup:provider");
    let buyer = Arc::new(Signer::from_seed("topup:buyer"));
    local
        .mint(provider.address(), AssetId::NATIVE, 1_000_000_000)
        .unwrap();
    local.mint(buyer.address(), usdc, 10_000_000).unwrap();
    let client = ContractClient::new(local.clone(), LOCAL_CONTRACT_ADDRESS);
    client
        .register_provider(&provider, "H100".into(), 80, RATE, 100_000_000)
        .await
        .unwrap();
    // 20 s of funding.
    client
        .rent(
            &buyer,
            provider.address(),
            "img".into(),
            usdc.0,
            40_000,
            3_600,
            RATE,
        )
        .await
        .unwrap();
    let job = JobId::new(buyer.address(), 1);
    client
        .start_job(&provider, job.buyer, job.id)
        .await
        .unwrap();

    let (driver, mut events) = Driver::new(
        ContractClient::new(local.clone(), LOCAL_CONTRACT_ADDRESS),
        buyer.clone(),
        Box::new(FixedInterval(1)),
        DriverConfig {
            max_sleep: Duration::from_millis(5),
            low_balance_seconds: 10,
            auto_top_up: Some(AutoTopUp {
                below_seconds: 10,
                add_seconds: 15,
                max_total: 50_000,
            }),
            ..DriverConfig::default()
        },
    );
    driver.add(job);
    let running = driver.spawn();
    for _ in 0..60 {
        clock.advance_secs(1);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.stop().await.unwrap();
    let mut topped = 0;
    while let Ok(e) = events.try_recv() {
        if let DriverEvent::ToppedUp { amount, .. } = e {
            topped += amount;
        }
    }
    let escrow = client.get_escrow(job.buyer, job.id).await.unwrap();
    assert_eq!(
        topped, 50_000,
        "15 s (30,000) once, then the 20,000 left under the cap"
    );
    assert_eq!(escrow.deposited, 40_000 + 50_000);
    assert_eq!(local.balance(buyer.address(), usdc), 10_000_000 - 90_000);
}
