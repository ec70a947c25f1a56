//! Property tests of the embedded ledger's semantics: random sequences of calls from several
//! accounts with a moving clock. After every step funds are conserved, no stream pays more
//! than it owes, rounding dust stays under one base unit, and job statuses only move along
//! the four legal edges. 10,000 cases.

use std::collections::BTreeMap;

use computestream_core::contract::Call;
use computestream_core::math::RATE_SCALE;
use computestream_core::types::address_from_u64;
use computestream_core::{AccountAddress, AssetId, JobStatus};
use computestream_localnet::State;
use proptest::prelude::*;

const PROVIDERS: [u64; 2] = [0x100, 0x101];
const BUYERS: [u64; 2] = [0x200, 0x201];
const STRANGER: u64 = 0x300;
const MINTED: u64 = 1_000_000_000;

fn actor(i: u8) -> AccountAddress {
    let all = [PROVIDERS[0], PROVIDERS[1], BUYERS[0], BUYERS[1], STRANGER];
    address_from_u64(all[usize::from(i) % all.len()])
}

#[derive(Clone, Debug)]
enum Op {
    Register {
        rate: u128,
        stake: u64,
    },
    Availability(bool),
    Pricing(u128),
    Deregister,
    Create {
        provider: u8,
        escrow: u64,
        duration: u64,
    },
    Start {
        buyer: u8,
        job: u64,
    },
    Complete {
        buyer: u8,
        job: u64,
    },
    Fail {
        buyer: u8,
        job: u64,
    },
    Cancel {
        job: u64,
    },
    Deposit {
        job: u64,
        provider: u8,
        amount: u64,
    },
    Refund {
        job: u64,
    },
    Open {
        job: u64,
        payee: u8,
        rate: u128,
    },
    Process {
        buyer: u8,
        job: u64,
    },
    Pause {
        job: u64,
    },
    Resume {
        job: u64,
    },
    TopUp {
        buyer: u8,
        job: u64,
        amount: u64,
    },
    Close {
        buyer: u8,
        job: u64,
    },
    Rent {
        provider: u8,
        deposit: u64,
        duration: u64,
        max_rate: u128,
    },
}

fn rate() -> impl Strategy<Value = u128> {
    prop_oneof![
        1u128..=10 * RATE_SCALE,
        Just(555_555_555_555u128),
        1u128..1000,
        Just(u128::from(u64::MAX) * RATE_SCALE),
        Just(0u128),
    ]
}

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..2_000_000, Just(0), Just(MINTED), Just(u64::MAX)]
}

fn op() -> impl Strategy<Value = Op> {
    let job = 0u64..4;
    let who = 0u8..5;
    prop_oneof![
        (rate(), amount()).prop_map(|(rate, stake)| Op::Register { rate, stake }),
        any::<bool>().prop_map(Op::Availability),
        rate().prop_map(Op::Pricing),
        Just(Op::Deregister),
        (who.clone(), amount(), 0u64..500).prop_map(|(provider, escrow, duration)| Op::Create {
            provider,
            escrow,
            duration
        }),
        (who.clone(), job.clone()).prop_map(|(buyer, job)| Op::Start { buyer, job }),
        (who.clone(), job.clone()).prop_map(|(buyer, job)| Op::Complete { buyer, job }),
        (who.clone(), job.clone()).prop_map(|(buyer, job)| Op::Fail { buyer, job }),
        job.clone().prop_map(|job| Op::Cancel { job }),
        (job.clone(), who.clone(), amount()).prop_map(|(job, provider, amount)| Op::Deposit {
            job,
            provider,
            amount
        }),
        job.clone().prop_map(|job| Op::Refund { job }),
        (job.clone(), who.clone(), rate()).prop_map(|(job, payee, rate)| Op::Open {
            job,
            payee,
            rate
        }),
        (who.clone(), job.clone()).prop_map(|(buyer, job)| Op::Process { buyer, job }),
        job.clone().prop_map(|job| Op::Pause { job }),
        job.clone().prop_map(|job| Op::Resume { job }),
        (who.clone(), job.clone(), amount()).prop_map(|(buyer, job, amount)| Op::TopUp {
            buyer,
            job,
            amount
        }),
        (who.clone(), job.clone()).prop_map(|(buyer, job)| Op::Close { buyer, job }),
        (who, amount(), 0u64..500, rate()).prop_map(|(provider, deposit, duration, max_rate)| {
            Op::Rent {
                provider,
                deposit,
                duration,
                max_rate,
            }
        }),
    ]
}

fn to_call(op: &Op, usdc: AssetId) -> Call {
    match op.clone() {
        Op::Register { rate, stake } => Call::RegisterProvider {
            gpu_type: "H100".into(),
            vram_gb: 80,
            price_per_second: rate,
            stake_amount: stake,
        },
        Op::Availability(is_active) => Call::UpdateAvailability { is_active },
        Op::Pricing(price_per_second) => Call::UpdatePricing { price_per_second },
        Op::Deregister => Call::Deregister {},
        Op::Create {
            provider,
            escrow,
            duration,
        } => Call::CreateJob {
            provider: actor(provider),
            docker_image: "img".into(),
            escrow_amount: escrow,
            max_duration: duration,
        },
        Op::Start { buyer, job } => Call::StartJob {
            buyer: actor(buyer),
            job_id: job,
        },
        Op::Complete { buyer, job } => Call::CompleteJob {
            buyer: actor(buyer),
            job_id: job,
            output_url: "out".into(),
        },
        Op::Fail { buyer, job } => Call::FailJob {
            buyer: actor(buyer),
            job_id: job,
        },
        Op::Cancel { job } => Call::CancelJob { job_id: job },
        Op::Deposit {
            job,
            provider,
            amount,
        } => Call::DepositEscrow {
            job_id: job,
            provider: actor(provider),
            asset: usdc.0,
            amount,
        },
        Op::Refund { job } => Call::RefundEscrow { job_id: job },
        Op::Open { job, payee, rate } => Call::OpenStream {
            job_id: job,
            payee: actor(payee),
            rate_per_second: rate,
        },
        Op::Process { buyer, job } => Call::ProcessPayment {
            payer: actor(buyer),
            job_id: job,
        },
        Op::Pause { job } => Call::PauseStream { job_id: job },
        Op::Resume { job } => Call::ResumeStream { job_id: job },
        Op::TopUp { buyer, job, amount } => Call::TopUp {
            payer: actor(buyer),
            job_id: job,
            amount,
        },
        Op::Close { buyer, job } => Call::CloseStream {
            payer: actor(buyer),
            job_id: job,
        },
        Op::Rent {
            provider,
            deposit,
            duration,
            max_rate,
        } => Call::Rent {
            provider: actor(provider),
            docker_image: "img".into(),
            asset: usdc.0,
            deposit,
            max_duration: duration,
            max_rate_per_second: max_rate,
        },
    }
}

fn check_invariants(
    state: &State,
    now: u64,
    usdc: AssetId,
    statuses: &mut BTreeMap<(AccountAddress, u64), JobStatus>,
) {
    // Supply: every unit minted is somewhere, per asset.
    let mut totals: BTreeMap<AssetId, u128> = BTreeMap::new();
    for (_, asset, balance) in state.balances() {
        *totals.entry(asset).or_default() += u128::from(balance);
    }
    for asset in [AssetId::NATIVE, usdc] {
        assert_eq!(
            totals.get(&asset).copied().unwrap_or(0),
            state.asset(asset).unwrap().supply,
            "supply of {asset}"
        );
    }
    // Escrows: deposited = paid + refunded + held, and the vault holds the sum of held.
    let held: u64 = state
        .escrows()
        .map(|e| {
            assert!(e.paid + e.refunded <= e.deposited);
            e.held()
        })
        .sum();
    assert_eq!(
        state.balance(state.escrow_vault(), usdc),
        held,
        "escrow vault"
    );
    let staked: u64 = state.providers().map(|p| p.stake).sum();
    assert_eq!(
        state.balance(state.stake_vault(), AssetId::NATIVE),
        staked,
        "stake vault"
    );
    // Streams: paid <= owed; rounding dust < 1 unit; closed streams are fully settled.
    for e in state.escrows().filter(|e| e.has_stream) {
        let bytes = state
            .view(
                now,
                &computestream_core::contract::View::GetStream {
                    payer: e.payer,
                    job_id: e.job_id,
                },
            )
            .unwrap();
        let s: computestream_core::Stream =
            computestream_core::aptos_sdk::aptos_bcs::from_bytes(&bytes).unwrap();
        let owed = s.owed_at(now);
        assert!(s.paid <= owed, "paid {} > owed {owed}", s.paid);
        let exact = s
            .rate_per_second
            .0
            .checked_mul(u128::from(s.active_seconds(now)));
        if let Some(exact) = exact
            && owed < s.deposited
        {
            assert!(
                u128::from(owed) * RATE_SCALE <= exact
                    && exact < (u128::from(owed) + 1) * RATE_SCALE
            );
        }
        if s.is_closed {
            assert_eq!(s.paid, owed, "closed stream not fully settled");
            assert_eq!(
                e.refunded,
                e.deposited - e.paid,
                "closed stream not fully refunded"
            );
            assert!(!e.is_active);
        }
    }
    // Status machine: only legal edges.
    for job in state.jobs() {
        let key = (job.buyer, job.job_id);
        match statuses.insert(key, job.status) {
            Some(before) if before != job.status => {
                assert!(
                    before.can_become(job.status),
                    "illegal edge {before} -> {}",
                    job.status
                )
            }
            None => assert_eq!(job.status, JobStatus::Pending, "a job is born pending"),
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn random_call_sequences_keep_every_invariant(
        steps in proptest::collection::vec((0u8..5, op(), 0u64..120), 1..40)
    ) {
        let mut state = State::genesis(computestream_core::contract::LOCAL_CONTRACT_ADDRESS, "MOVE");
        let usdc = AssetId(address_from_u64(0x05dc));
        state.create_asset(usdc, "USDC", 6);
        for i in 0..5 {
            state.mint(actor(i), AssetId::NATIVE, MINTED).unwrap();
            state.mint(actor(i), usdc, MINTED).unwrap();
        }
        let mut statuses = BTreeMap::new();
        let mut now = 1_000u64;
        for (who, op, dt) in steps {
            now += dt;
            let before = state.clone();
            let mut next = state.clone();
            match next.execute(actor(who), now, to_call(&op, usdc)) {
                Ok(_) => state = next,
                Err(_) => {
                    // An abort leaves the state exactly as it was.
                    let (mut a, mut b): (Vec<_>, Vec<_>) = (before.balances().collect(), state.balances().collect());
                    a.sort();
                    b.sort();
                    prop_assert_eq!(a, b);
                }
            }
            check_invariants(&state, now, usdc, &mut statuses);
        }
    }
}
