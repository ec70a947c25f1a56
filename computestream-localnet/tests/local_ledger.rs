//! The embedded ledger's transaction checks and its persistence.

use computestream_core::aptos_sdk::transaction::{
    EntryFunction, RawTransaction, SignedTransaction, TransactionAuthenticator, TransactionPayload,
};
use computestream_core::aptos_sdk::types::ChainId;
use computestream_core::contract::{Call, LOCAL_CONTRACT_ADDRESS};
use computestream_core::{AssetId, ContractClient, Error, Ledger, RejectReason, Signer};
use computestream_localnet::LocalLedger;
use computestream_localnet::{Clock, ManualClock};

fn raw(
    signer: &Signer,
    seq: u64,
    expiry: u64,
    chain: u8,
    payload: EntryFunction,
) -> RawTransaction {
    RawTransaction::new(
        signer.address(),
        seq,
        TransactionPayload::EntryFunction(payload),
        200_000,
        100,
        expiry,
        ChainId::new(chain),
    )
}

fn register() -> EntryFunction {
    Call::RegisterProvider {
        gpu_type: "H100".into(),
        vram_gb: 80,
        price_per_second: 1,
        stake_amount: 10,
    }
    .entry_function(LOCAL_CONTRACT_ADDRESS)
    .unwrap()
}

fn rejection(result: computestream_core::Result<impl std::fmt::Debug>) -> RejectReason {
    match result {
        Err(Error::Rejected { reason, .. }) => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn prologue_checks_reject_without_committing() {
    let (ledger, _clock) = LocalLedger::with_manual_clock(1_000);
    let alice = Signer::from_seed("alice");
    ledger
        .mint(alice.address(), AssetId::NATIVE, 1_000)
        .unwrap();

    let wrong_chain = alice.sign(&raw(&alice, 0, 2_000, 2, register())).unwrap();
    assert_eq!(
        rejection(ledger.submit(&wrong_chain).await),
        RejectReason::BadChainId
    );

    let expired = alice.sign(&raw(&alice, 0, 1_000, 4, register())).unwrap();
    assert_eq!(
        rejection(ledger.submit(&expired).await),
        RejectReason::TransactionExpired
    );

    let future = alice.sign(&raw(&alice, 1, 2_000, 4, register())).unwrap();
    assert_eq!(
        rejection(ledger.submit(&future).await),
        RejectReason::SequenceNumberTooNew
    );

    let mut forged = alice.sign(&raw(&alice, 0, 2_000, 4, register())).unwrap();
    if let TransactionAuthenticator::Ed25519 { signature, .. } = &mut forged.authenticator {
        signature.0[0] ^= 1;
    }
    assert_eq!(
        rejection(ledger.submit(&forged).await),
        RejectReason::InvalidSignature
    );

    let mallory = Signer::from_seed("mallory");
    let impostor = SignedTransaction::new(
        raw(&alice, 0, 2_000, 4, register()),
        mallory
            .sign(&raw(&alice, 0, 2_000, 4, register()))
            .unwrap()
            .authenticator,
    );
    assert_eq!(
        rejection(ledger.submit(&impostor).await),
        RejectReason::InvalidSignature
    );

    let mut unknown = register();
    unknown.function = "steal".into();
    let unknown = alice.sign(&raw(&alice, 0, 2_000, 4, unknown)).unwrap();
    assert_eq!(
        rejection(ledger.submit(&unknown).await),
        RejectReason::FunctionNotFound
    );

    let mut short = register();
    short.args.pop();
    let short = alice.sign(&raw(&alice, 0, 2_000, 4, short)).unwrap();
    assert_eq!(
        rejection(ledger.submit(&short).await),
        RejectReason::InvalidArguments
    );

    // Nothing above used the sequence number or moved funds.
    assert_eq!(ledger.sequence_number(alice.address()).await.unwrap(), 0);
    assert_eq!(ledger.balance(alice.address(), AssetId::NATIVE), 1_000);

    let ok = alice.sign(&raw(&alice, 0, 2_000, 4, register())).unwrap();
    let outcome = ledger.submit(&ok).await.unwrap();
    assert!(outcome.success);
    assert_eq!(
        rejection(ledger.submit(&ok).await),
        RejectReason::SequenceNumberTooOld
    );
    assert_eq!(
        ledger.transaction_by_hash(outcome.hash).await.unwrap(),
        Some(outcome)
    );

    // An abort is committed: the sequence number is used, nothing else changes.
    let again = alice.sign(&raw(&alice, 1, 2_000, 4, register())).unwrap();
    let aborted = ledger.submit(&again).await.unwrap();
    assert!(!aborted.success);
    assert!(
        aborted.vm_status.contains("E_PROVIDER_ALREADY_REGISTERED"),
        "{}",
        aborted.vm_status
    );
    assert_eq!(ledger.sequence_number(alice.address()).await.unwrap(), 2);
    assert_eq!(ledger.balance(alice.address(), AssetId::NATIVE), 990);
}

#[tokio::test]
async fn a_reopened_ledger_has_every_acknowledged_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at_secs(1_000);
    let open = || {
        LocalLedger::builder()
            .state_dir(dir.path())
            .clock(Clock::Manual(clock.clone()))
            .open()
            .unwrap()
    };
    let provider = Signer::from_seed("provider");
    let buyer = Signer::from_seed("buyer");
    let (job, stream_before, hash) = {
        let ledger = open();
        let usdc = ledger.create_asset("USDC", 6).unwrap();
        ledger
            .mint(provider.address(), AssetId::NATIVE, 1_000_000)
            .unwrap();
        ledger.mint(buyer.address(), usdc, 1_000_000).unwrap();
        let client = ContractClient::new(&ledger, ledger.contract());
        client
            .register_provider(&provider, "H100".into(), 80, 1_000_000_000, 500)
            .await
            .unwrap();
        let rented = client
            .rent(
                &buyer,
                provider.address(),
                "img".into(),
                usdc.0,
                100_000,
                600,
                1_000_000_000,
            )
            .await
            .unwrap();
        let job = rented.created_job(client.contract()).unwrap().unwrap();
        client
            .start_job(&provider, job.buyer, job.id)
            .await
            .unwrap();
        clock.advance_secs(42);
        let settled = client
            .process_payment(&provider, job.buyer, job.id)
            .await
            .unwrap();
        (
            job,
            client.get_stream(job.buyer, job.id).await.unwrap(),
            settled.hash,
        )
    };
    let ledger = open();
    let client = ContractClient::new(&ledger, ledger.contract());
    assert_eq!(
        client.get_stream(job.buyer, job.id).await.unwrap(),
        stream_before
    );
    assert_eq!(stream_before.paid, 42);
    assert_eq!(ledger.sequence_number(buyer.address()).await.unwrap(), 1);
    assert_eq!(ledger.sequence_number(provider.address()).await.unwrap(), 3);
    assert!(ledger.transaction_by_hash(hash).await.unwrap().is_some());
    let usdc = ledger.create_asset("USDC", 6).unwrap();
    assert_eq!(ledger.balance(provider.address(), usdc), 42);
    // The reopened ledger keeps working from where it was.
    client
        .close_stream(&buyer, job.buyer, job.id)
        .await
        .unwrap();
    assert_eq!(ledger.balance(buyer.address(), usdc), 1_000_000 - 42);
}

#[test]
fn the_faucet_caps_supply_so_no_balance_can_overflow() {
    let ledger = LocalLedger::in_memory();
    let (a, b) = (
        Signer::from_seed("a").address(),
        Signer::from_seed("b").address(),
    );
    ledger.mint(a, AssetId::NATIVE, u64::MAX).unwrap();
    assert!(matches!(
        ledger.mint(b, AssetId::NATIVE, 1),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(ledger.balance(b, AssetId::NATIVE), 0);
    assert!(
        matches!(
            ledger.mint(a, AssetId(a), 1),
            Err(Error::InvalidArgument(_))
        ),
        "unknown asset"
    );
}
