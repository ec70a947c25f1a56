//! Benchmark (not a test) of the settlement driver against a no-op ledger that answers every
//! view with an accruing stream and accepts every transaction (signatures are still made).
//! Prints memory per stream, the cost of a scheduling decision, the lag of due settlements
//! (p50/p99/max), and the transactions per job-hour of each policy.
//!
//! `cargo run --release -p computestream-core --example bench_scheduler -- [STREAMS] [SECONDS]`
//! (defaults 100000 and 20; `scripts/bench-scheduler` runs it).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aptos_sdk::aptos_bcs;
use aptos_sdk::transaction::{SignedTransaction, TransactionPayload};
use aptos_sdk::types::{ChainId, HashValue};
use async_trait::async_trait;
use computestream_core::contract::{Call, LOCAL_CONTRACT_ADDRESS, View, ViewRequest};
use computestream_core::scheduler::driver::{Driver, DriverConfig, spread_ms};
use computestream_core::scheduler::{
    BeforeDepletion, EverySecond, FixedInterval, OwedThreshold, StreamScheduler, settlements_over,
};
use computestream_core::types::address_from_u64;
use computestream_core::{
    AccountAddress, AssetId, ContractClient, JobId, Ledger, Rate, Result, Signer, Stream,
    TxnOutcome,
};

const INTERVAL: u64 = 10;

fn stream(job: JobId) -> Stream {
    Stream {
        payer: job.buyer,
        job_id: job.id,
        payee: address_from_u64(0xb0b),
        asset: AssetId(address_from_u64(0xabc)),
        rate_per_second: Rate::per_second(2_000),
        opened_at: 0,
        window_start: 0,
        window_end: u64::MAX,
        is_paused: false,
        paused_at: 0,
        excluded_seconds: 0,
        is_closed: false,
        closed_at: 0,
        deposited: u64::MAX / 2,
        paid: 0,
    }
}

/// Wall-clock chain; records when each stream is settled to measure lag.
struct NoopLedger {
    start: Instant,
    last: Mutex<HashMap<JobId, u64>>,
    lags_ms: Mutex<Vec<u64>>,
    submits: AtomicU64,
}

impl NoopLedger {
    fn now_ms(&self) -> u64 {
        // Chain time starts at 1,000 s so a stream's first settlement is due at once.
        1_000_000 + self.start.elapsed().as_millis() as u64
    }
}

#[async_trait]
impl Ledger for NoopLedger {
    async fn gas_unit_price(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    async fn chain_id(&self) -> Result<ChainId> {
        Ok(ChainId::new(4))
    }
    async fn now_micros(&self) -> Result<u64> {
        Ok(self.now_ms() * 1_000)
    }
    async fn sequence_number(&self, _: AccountAddress) -> Result<u64> {
        Ok(self.submits.load(Ordering::Relaxed))
    }
    async fn submit(&self, txn: &SignedTransaction) -> Result<TxnOutcome> {
        let now = self.now_ms();
        self.submits.fetch_add(1, Ordering::Relaxed);
        if let TransactionPayload::EntryFunction(f) = &txn.raw_txn.payload
            && let Ok(Call::ProcessPayment { payer, job_id }) =
                Call::from_entry_function(LOCAL_CONTRACT_ADDRESS, f)
        {
            let job = JobId::new(payer, job_id);
            if let Some(prev) = self.last.lock().unwrap().insert(job, now) {
                // Due `INTERVAL` s after the previous settlement's chain second.
                let due = (prev / 1_000 + INTERVAL) * 1_000 + spread_ms(job);
                self.lags_ms.lock().unwrap().push(now.saturating_sub(due));
            }
        }
        Ok(TxnOutcome {
            hash: HashValue::ZERO,
            version: 0,
            sender: txn.raw_txn.sender,
            sequence_number: txn.raw_txn.sequence_number,
            success: true,
            vm_status: "Executed successfully".into(),
            abort: None,
            timestamp_usecs: now * 1_000,
            events: vec![],
        })
    }
    async fn simulate(&self, txn: &SignedTransaction) -> Result<TxnOutcome> {
        self.submit(txn).await
    }
    async fn view(&self, r: &ViewRequest) -> Result<Vec<Vec<u8>>> {
        let Ok(View::GetStream { payer, job_id }) = View::from_request(LOCAL_CONTRACT_ADDRESS, r)
        else {
            return Ok(vec![]);
        };
        let mut s = stream(JobId::new(payer, job_id));
        // Something is always claimable, so every due look settles.
        s.paid = s.owed_at(self.now_ms() / 1_000).saturating_sub(1);
        Ok(vec![aptos_bcs::to_bytes(&s).unwrap()])
    }
    async fn transaction_by_hash(&self, _: HashValue) -> Result<Option<TxnOutcome>> {
        Ok(None)
    }
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// User + system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let streams = args.first().copied().unwrap_or(100_000);
    let seconds = args.get(1).copied().unwrap_or(20);

    println!(
        "transactions per job-hour (a stream accruing the whole hour at $7.20/h, 6 decimals):"
    );
    let mut hour = stream(JobId::new(AccountAddress::ONE, 1));
    hour.deposited = 7_200_000;
    hour.window_start = 0;
    let policies: Vec<Box<dyn StreamScheduler>> = vec![
        Box::new(EverySecond),
        Box::new(FixedInterval(60)),
        Box::new(FixedInterval(600)),
        Box::new(OwedThreshold(100_000)),
        Box::new(BeforeDepletion(60)),
    ];
    for p in &policies {
        println!(
            "  {:<28} {:>6}",
            p.name(),
            settlements_over(p.as_ref(), &hour, 3_600)
        );
    }

    let ledger = Arc::new(NoopLedger {
        start: Instant::now(),
        last: Mutex::new(HashMap::with_capacity(streams as usize)),
        lags_ms: Mutex::new(Vec::new()),
        submits: AtomicU64::new(0),
    });
    let client = ContractClient::new(ledger.clone(), LOCAL_CONTRACT_ADDRESS);
    let (driver, mut events) = Driver::new(
        client,
        Arc::new(Signer::from_seed("bench:settler")),
        Box::new(FixedInterval(INTERVAL)),
        DriverConfig {
            max_in_flight: 256,
            max_sleep: Duration::from_millis(5),
            ..DriverConfig::default()
        },
    );
    tokio::spawn(async move { while events.recv().await.is_some() {} });

    let before = rss_bytes();
    let jobs: Vec<JobId> = (0..streams)
        .map(|i| JobId::new(address_from_u64(i + 1), 1))
        .collect();
    // Memory: every stream tracked at once (then dropped, to arrive over time below).
    for &job in &jobs {
        driver.add(job);
    }
    let per_stream = (rss_bytes().saturating_sub(before)) as f64 / streams as f64;
    for &job in &jobs {
        driver.remove(job);
    }
    let cpu_before = cpu_seconds();

    let running = driver.spawn();
    // Streams arrive over the first interval, as rentals do (the driver settles each at once
    // and then every INTERVAL s), then the driver runs for `seconds` more.
    let started = Instant::now();
    let batches = 100u64;
    for (b, chunk) in jobs.chunks((streams / batches).max(1) as usize).enumerate() {
        for &job in chunk {
            driver.add(job);
        }
        let next = Duration::from_secs(INTERVAL) * (b as u32 + 1) / batches as u32;
        tokio::time::sleep(next.saturating_sub(started.elapsed())).await;
    }
    let arrival = started.elapsed();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    running.stop().await.unwrap();
    let busy = started.elapsed();
    let cpu = cpu_seconds() - cpu_before;

    let mut lags = ledger.lags_ms.lock().unwrap().clone();
    lags.sort_unstable();
    let decisions = ledger.submits.load(Ordering::Relaxed);
    println!();
    println!("driver: {streams} streams settled every {INTERVAL} s, 2 worker threads");
    println!(
        "  memory per stream (RSS growth on add)   {per_stream:>10.0} bytes   (target < 1024)"
    );
    println!(
        "  arrival over {:.1} s, then {seconds} s; {:.0} settlements/s sustained",
        arrival.as_secs_f64(),
        ledger.submits.load(Ordering::Relaxed) as f64 / busy.as_secs_f64()
    );
    println!("  settlements in total                    {decisions:>10}");
    println!(
        "  CPU per settlement decision             {:>10.1} us   (view decode + policy + timers + sign + no-op submit)",
        cpu * 1e6 / decisions.max(1) as f64
    );
    println!(
        "  lag of due settlements (n = {}): p50 {} ms, p99 {} ms, max {} ms   (target p99 < 50 ms)",
        lags.len(),
        percentile(&lags, 0.50),
        percentile(&lags, 0.99),
        lags.last().copied().unwrap_or(0)
    );
}
