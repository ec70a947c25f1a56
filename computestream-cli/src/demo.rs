//! The main job: rent a GPU on the embedded ledger and stream payment for every second.

use std::sync::Arc;
use std::time::Duration;

use computestream_core::contract::ContractEvent;
use computestream_core::ledger::local::{Clock, ManualClock};
use computestream_core::{
    AccountAddress, AssetId, ContractClient, LocalLedger, Rate, Result, Signer,
};

/// How the demo runs.
#[derive(Clone, Debug)]
pub(crate) struct DemoOptions {
    /// Seconds the job runs.
    pub(crate) seconds: u64,
    /// Advance a manual clock instead of sleeping (for tests).
    pub(crate) simulated: bool,
    /// Print progress.
    pub(crate) verbose: bool,
}

/// Balances of one party before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PartyBalance {
    /// Who.
    pub(crate) name: &'static str,
    /// Before the job.
    pub(crate) before: u64,
    /// After the stream closed.
    pub(crate) after: u64,
}

/// What the demo did.
#[derive(Clone, Debug)]
pub(crate) struct Receipt {
    /// Escrow deposited.
    pub(crate) deposited: u64,
    /// Paid to the provider.
    pub(crate) paid: u64,
    /// Refunded to the buyer.
    pub(crate) refunded: u64,
    /// Seconds the stream accrued.
    pub(crate) active_seconds: u64,
    /// Rate, nano-units per second.
    pub(crate) rate: Rate,
    /// USDC balances.
    pub(crate) balances: Vec<PartyBalance>,
    /// Hashes of the transactions, in order, with what they did.
    pub(crate) transactions: Vec<(String, String)>,
    /// deposited == paid + refunded, paid == floor(rate * seconds / 1e9), balances moved by exactly that.
    pub(crate) conservation_holds: bool,
}

const USDC_DECIMALS: u8 = 6;

/// Runs the flow and returns its receipt.
pub(crate) async fn run(options: &DemoOptions) -> Result<Receipt> {
    let manual = ManualClock::at_secs(1_767_225_600);
    let clock = if options.simulated {
        Clock::Manual(manual.clone())
    } else {
        Clock::System
    };
    let ledger = Arc::new(LocalLedger::builder().clock(clock).open()?);
    let client = ContractClient::new(ledger.clone(), ledger.contract());
    let say = |line: String| {
        if options.verbose {
            println!("{line}");
        }
    };

    let provider = Signer::from_seed("demo-provider");
    let buyer = Signer::from_seed("demo-agent");
    let usdc = ledger.create_asset("USDC", USDC_DECIMALS)?;
    ledger.mint(provider.address(), AssetId::NATIVE, 10_000_000_000)?;
    ledger.mint(buyer.address(), usdc, 50_000_000)?;
    let before = [
        ledger.balance(buyer.address(), usdc),
        ledger.balance(provider.address(), usdc),
    ];
    say(format!(
        "embedded ledger up: chain id 4, contracts at {}",
        ledger.contract()
    ));

    let mut transactions = Vec::new();
    let rate = Rate::per_hour(7_200_000); // $7.20/h = $0.002/s
    let outcome = client
        .register_provider(&provider, "H100".into(), 80, rate.0, 1_000_000_000)
        .await?;
    transactions.push((
        outcome.hash.to_string(),
        "provider_registry::register_provider".into(),
    ));
    say(format!(
        "provider {} registered an H100 at {} USDC/h",
        short(provider.address()),
        7.2
    ));

    let deposit = 1_000_000; // $1.00 of escrow
    let outcome = client
        .rent(
            &buyer,
            provider.address(),
            "pytorch/pytorch:2.4".into(),
            usdc.0,
            deposit,
            3_600,
            rate.0,
        )
        .await?;
    let job = outcome
        .created_job(client.contract())?
        .expect("rent emits JobCreated");
    transactions.push((outcome.hash.to_string(), "payment_stream::rent".into()));
    say(format!(
        "agent {} rented it: job {}, escrow 1.00 USDC, stream open",
        short(buyer.address()),
        job.id
    ));

    let outcome = client.start_job(&provider, job.buyer, job.id).await?;
    transactions.push((outcome.hash.to_string(), "job_registry::start_job".into()));

    for second in 1..=options.seconds {
        if options.simulated {
            manual.advance_secs(1);
        } else {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let outcome = client.process_payment(&provider, job.buyer, job.id).await?;
        transactions.push((
            outcome.hash.to_string(),
            "payment_stream::process_payment".into(),
        ));
        let stream = client.get_stream(job.buyer, job.id).await?;
        let now = client.now_seconds().await?;
        say(format!(
            "  t={second:>3}s  accrued {:>9} USDC  settled {:>9}  escrow left {:>9}  depletes in {}s",
            usdc_str(stream.owed_at(now)),
            usdc_str(stream.paid),
            usdc_str(stream.deposited - stream.paid),
            stream.depletion_time(now).saturating_sub(now),
        ));
    }

    let outcome = client
        .complete_job(&provider, job.buyer, job.id, "s3://results/job".into())
        .await?;
    transactions.push((
        outcome.hash.to_string(),
        "job_registry::complete_job".into(),
    ));
    let outcome = client.close_stream(&provider, job.buyer, job.id).await?;
    transactions.push((
        outcome.hash.to_string(),
        "payment_stream::close_stream".into(),
    ));
    let closed = outcome
        .contract_events(client.contract())?
        .into_iter()
        .find_map(|e| {
            if let ContractEvent::StreamClosed(c) = e {
                Some(c)
            } else {
                None
            }
        })
        .expect("close_stream emits StreamClosed");

    let stream = client.get_stream(job.buyer, job.id).await?;
    let active = stream.active_seconds(stream.closed_at);
    let after = [
        ledger.balance(buyer.address(), usdc),
        ledger.balance(provider.address(), usdc),
    ];
    let expected_paid = u64::try_from(rate.amount_for(active))
        .unwrap_or(u64::MAX)
        .min(deposit);
    let conservation_holds = closed.total_paid + closed.total_refunded == deposit
        && closed.total_paid == expected_paid
        && after[0] == before[0] - closed.total_paid
        && after[1] == before[1] + closed.total_paid
        && ledger.balance(ledger.state().escrow_vault(), usdc) == 0;
    Ok(Receipt {
        deposited: deposit,
        paid: closed.total_paid,
        refunded: closed.total_refunded,
        active_seconds: active,
        rate,
        balances: vec![
            PartyBalance {
                name: "agent",
                before: before[0],
                after: after[0],
            },
            PartyBalance {
                name: "provider",
                before: before[1],
                after: after[1],
            },
        ],
        transactions,
        conservation_holds,
    })
}

/// Prints the receipt.
pub(crate) fn print(receipt: &Receipt) {
    println!("\nreceipt");
    println!(
        "  rate            {} nano-USDC/s, {} in base units",
        receipt.rate.0, receipt.rate
    );
    println!("  billed seconds  {}", receipt.active_seconds);
    println!("  escrow          {} USDC", usdc_str(receipt.deposited));
    println!("  paid            {} USDC", usdc_str(receipt.paid));
    println!("  refunded        {} USDC", usdc_str(receipt.refunded));
    for b in &receipt.balances {
        println!(
            "  {:<9} USDC {:>12} -> {:>12}",
            b.name,
            usdc_str(b.before),
            usdc_str(b.after)
        );
    }
    println!("  transactions    {}", receipt.transactions.len());
    for (hash, what) in &receipt.transactions {
        println!("    {hash}  {what}");
    }
    let verdict = if receipt.conservation_holds {
        "holds"
    } else {
        "VIOLATED"
    };
    println!("  conservation    deposited = paid + refunded: {verdict}");
}

fn usdc_str(units: u64) -> String {
    computestream_core::Amount(units).to_decimal(USDC_DECIMALS)
}

fn short(address: AccountAddress) -> String {
    let long = address.to_long_string();
    format!("{}…{}", &long[..6], &long[long.len() - 4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn simulated_demo_pays_exactly_the_streamed_seconds_and_conserves_funds() {
        let receipt = run(&DemoOptions {
            seconds: 5,
            simulated: true,
            verbose: false,
        })
        .await
        .unwrap();
        assert!(receipt.conservation_holds);
        assert_eq!(receipt.active_seconds, 5);
        // $7.20/h = 2000 units/s exactly.
        assert_eq!(receipt.paid, 10_000);
        assert_eq!(receipt.refunded, 990_000);
        assert_eq!(
            receipt.balances[1].after - receipt.balances[1].before,
            10_000
        );
        assert_eq!(receipt.transactions.len(), 3 + 5 + 2);
    }
}
