//! Runs every scenario in `testdata/scenarios/` on `LocalLedger`: each step is a real signed
//! transaction; its abort code, events, balances and views must match the file exactly.
//! `move/tests/scenario_mirror.move` is generated from the same files (see `move_mirror.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

mod common;

use common::{Scenario, scenarios};
use computestream_core::contract::{AbortCode, Call, View};
use computestream_core::{
    AccountAddress, AptosLedger, AssetId, ContractClient, Error, Ledger, Signer,
};
use computestream_localnet::LocalLedger;
use computestream_localnet::Localnet;
use computestream_localnet::ManualClock;
use serde_json::Value;

struct World {
    ledger: Arc<LocalLedger>,
    clock: ManualClock,
    names: BTreeMap<String, AccountAddress>,
    assets: BTreeMap<String, AssetId>,
    signers: BTreeMap<String, Signer>,
}

impl World {
    fn address(&self, name: &str) -> AccountAddress {
        match name {
            "escrow_vault" => self.ledger.state().escrow_vault(),
            "stake_vault" => self.ledger.state().stake_vault(),
            _ => *self
                .names
                .get(name)
                .or_else(|| self.assets.get(name).map(|a| &a.0))
                .unwrap_or_else(|| panic!("unknown name @{name}")),
        }
    }

    /// Replaces every `"@name"` string by that account's or asset's long address.
    fn resolve(&self, v: &Value) -> Value {
        match v {
            Value::String(s) if s.starts_with('@') => {
                Value::String(self.address(&s[1..]).to_long_string())
            }
            Value::Array(items) => Value::Array(items.iter().map(|i| self.resolve(i)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Normalizes addresses in actual JSON to long form so they compare with resolved names.
    fn normalize(v: &Value) -> Value {
        match v {
            Value::String(s) if s.starts_with("0x") => match AccountAddress::from_hex(s) {
                Ok(a) => Value::String(a.to_long_string()),
                Err(_) => v.clone(),
            },
            Value::Array(items) => Value::Array(items.iter().map(World::normalize).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), World::normalize(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn asset(&self, name: &str) -> AssetId {
        if name == "MOVE" {
            AssetId::NATIVE
        } else {
            self.assets[name]
        }
    }
}

fn abort_of(result: &Result<impl std::fmt::Debug, Error>) -> Option<String> {
    match result {
        Ok(_) => None,
        Err(Error::Abort { code, .. }) => Some(code.name().to_string()),
        Err(other) => panic!("expected success or an abort, got {other}"),
    }
}

/// Which backend the calls and views go through. Setup (assets, minting, the clock) and the
/// internal checks always use the embedded ledger itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    /// `LocalLedger`, in process.
    Local,
    /// `AptosLedger` over HTTP to a localnet serving the same ledger.
    Http,
}

async fn run(scenario: &Scenario, backend: Backend) {
    let (ledger, clock) = LocalLedger::with_manual_clock(scenario.start_time);
    let ledger = Arc::new(ledger);
    let mut world = World {
        ledger,
        clock,
        names: BTreeMap::new(),
        assets: BTreeMap::new(),
        signers: BTreeMap::new(),
    };
    for (symbol, decimals) in &scenario.assets {
        let asset = world.ledger.create_asset(symbol, *decimals).unwrap();
        world.assets.insert(symbol.clone(), asset);
    }
    for name in scenario.accounts.keys() {
        let signer = Signer::from_seed(&format!("scenario:{name}"));
        world.names.insert(name.clone(), signer.address());
        world.signers.insert(name.clone(), signer);
    }
    for (name, balances) in &scenario.accounts {
        for (asset, amount) in balances {
            world
                .ledger
                .mint(
                    world.names[name],
                    world.asset(asset),
                    amount.parse().unwrap(),
                )
                .unwrap();
        }
    }
    let localnet = match backend {
        Backend::Local => None,
        Backend::Http => Some(Localnet::start_local(world.ledger.clone()).await.unwrap()),
    };
    let via: Arc<dyn Ledger + Send + Sync> = match &localnet {
        None => world.ledger.clone(),
        Some(net) => Arc::new(AptosLedger::new(&net.node_url(), world.ledger.contract()).unwrap()),
    };
    let client = ContractClient::new(via.clone(), world.ledger.contract());

    for (i, step) in scenario.steps.iter().enumerate() {
        let at = format!("{} step {i} (t={})", scenario.name, step.at);
        world.clock.set_secs(step.at);
        assert_eq!(
            world.ledger.now_secs(),
            step.at,
            "{at}: steps must not go back in time"
        );

        if let Some(call) = &step.call {
            let call: Call = serde_json::from_value(world.resolve(call))
                .unwrap_or_else(|e| panic!("{at}: call: {e}"));
            let sender = step
                .sender
                .as_deref()
                .unwrap_or_else(|| panic!("{at}: a call needs a sender"));
            let signer = &world.signers[sender];
            let seq_before = world
                .ledger
                .sequence_number(signer.address())
                .await
                .unwrap();
            let state_before = world.ledger.state();
            let result = client.execute(signer, &call).await;
            assert_eq!(
                abort_of(&result),
                step.abort,
                "{at}: {} abort",
                call.function()
            );
            assert_eq!(
                world
                    .ledger
                    .sequence_number(signer.address())
                    .await
                    .unwrap(),
                seq_before + 1,
                "{at}: sequence"
            );
            match result {
                Ok(outcome) => {
                    if let Some(expected) = &step.events {
                        let actual: Vec<Value> = outcome
                            .contract_events(client.contract())
                            .unwrap()
                            .iter()
                            .map(|e| World::normalize(&serde_json::to_value(e).unwrap()))
                            .collect();
                        let expected: Vec<Value> =
                            expected.iter().map(|e| world.resolve(e)).collect();
                        assert_eq!(actual, expected, "{at}: events");
                    }
                }
                Err(_) => {
                    // An aborted transaction changes nothing but the sender's sequence number.
                    let after = world.ledger.state();
                    let balances = |s: &computestream_localnet::State| {
                        let mut v: Vec<_> = s.balances().collect();
                        v.sort();
                        v
                    };
                    assert_eq!(
                        balances(&after),
                        balances(&state_before),
                        "{at}: aborted txn moved funds"
                    );
                    assert_eq!(
                        after.jobs().count(),
                        state_before.jobs().count(),
                        "{at}: aborted txn created a job"
                    );
                    assert!(
                        step.events.as_ref().is_none_or(|e| e.is_empty()),
                        "{at}: aborts emit no events"
                    );
                }
            }
        } else {
            assert!(
                step.abort.is_none() && step.events.is_none(),
                "{at}: abort/events need a call"
            );
        }

        for (name, balances) in &step.balances {
            for (asset, amount) in balances {
                let actual = world
                    .ledger
                    .balance(world.address(name), world.asset(asset));
                assert_eq!(
                    actual.to_string(),
                    *amount,
                    "{at}: balance of {name} in {asset}"
                );
            }
        }
        for check in &step.views {
            let view: View = serde_json::from_value(world.resolve(&check.view))
                .unwrap_or_else(|e| panic!("{at}: view: {e}"));
            let request = view.request(client.contract()).unwrap();
            match via.view(&request).await {
                Ok(values) => {
                    assert!(
                        check.abort.is_none(),
                        "{at}: {} should abort",
                        view.function()
                    );
                    let actual = World::normalize(&view.result_to_json(&values[0]).unwrap());
                    let expected = world.resolve(check.returns.as_ref().expect("returns"));
                    assert_eq!(actual, expected, "{at}: view {}", view.function());
                }
                Err(Error::Abort { code, .. }) => {
                    assert_eq!(
                        Some(code.name().to_string()),
                        check.abort,
                        "{at}: view {} aborted",
                        view.function()
                    )
                }
                Err(e) => panic!("{at}: view {}: {e}", view.function()),
            }
        }
    }

    // Conservation after every scenario: each escrow's deposits are paid, refunded or held,
    // and the vaults hold exactly what the records say.
    let state = world.ledger.state();
    let mut held_by_asset: BTreeMap<AssetId, u64> = BTreeMap::new();
    for e in state.escrows() {
        assert!(
            e.paid + e.refunded <= e.deposited,
            "{}: escrow over-released",
            scenario.name
        );
        *held_by_asset.entry(e.asset).or_default() += e.held();
    }
    for (asset, held) in held_by_asset {
        assert_eq!(
            state.balance(state.escrow_vault(), asset),
            held,
            "{}: escrow vault",
            scenario.name
        );
    }
    let staked: u64 = state.providers().map(|p| p.stake).sum();
    assert_eq!(
        state.balance(state.stake_vault(), AssetId::NATIVE),
        staked,
        "{}: stake vault",
        scenario.name
    );
}

#[tokio::test]
async fn every_scenario_runs_on_the_local_ledger() {
    let scenarios = scenarios();
    assert!(
        scenarios.len() >= 25,
        "expected at least 25 scenarios, found {}",
        scenarios.len()
    );
    for scenario in &scenarios {
        run(scenario, Backend::Local).await;
    }
}

/// The same suite, every call and view through `AptosLedger` → HTTP → localnet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_through_aptos_ledger_and_the_localnet() {
    for scenario in &scenarios() {
        run(scenario, Backend::Http).await;
    }
}

#[test]
fn the_scenarios_cover_every_entry_function_and_every_abort_code() {
    let mut functions = std::collections::BTreeSet::new();
    let mut aborts = std::collections::BTreeSet::new();
    for scenario in scenarios() {
        for step in &scenario.steps {
            if let Some(call) = &step.call {
                functions.insert(call["function"].as_str().unwrap().to_string());
            }
            aborts.extend(step.abort.clone());
            aborts.extend(step.views.iter().filter_map(|v| v.abort.clone()));
        }
    }
    for (_, function) in Call::FUNCTIONS {
        assert!(
            functions.contains(*function),
            "no scenario calls {function}"
        );
    }
    // Raised only while publishing (no scenario publishes): `move/tests/init_module_tests.move`
    // expects it, which `move_mirror.rs` checks.
    let publish_only = [AbortCode::NativeAssetMissing];
    for code in AbortCode::ALL.iter().filter(|c| !publish_only.contains(c)) {
        assert!(
            aborts.contains(code.name()),
            "no scenario expects {}",
            code.name()
        );
    }
}
