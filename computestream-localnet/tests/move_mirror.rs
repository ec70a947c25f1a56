//! Generates `move/tests/scenario_mirror.move` from `testdata/scenarios/` and fails when the
//! committed file differs, so the Move tests and the embedded ledger's tests run the same
//! scenarios. Regenerate with
//! `UPDATE_MOVE_MIRROR=1 cargo test -p computestream-localnet --test move_mirror`.
//!
//! Each scenario becomes one Move test of its successful steps (calls, balances and the
//! views whose result is a scalar, an address list or a string), and every expected abort
//! (of a call or a view) becomes an `#[expected_failure]` test of the steps before it.
//! Events and struct-valued views are checked by the Rust runner only: Move code outside a
//! module cannot construct that module's structs to compare them.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use common::{Scenario, Step, scenarios};
use computestream_core::contract::{AbortCode, AbortModule, Call, View};
use serde_json::Value;

const HEADER: &str = "\
// GENERATED from testdata/scenarios/*.json by computestream-localnet/tests/move_mirror.rs.
// Do not edit; regenerate with
//   UPDATE_MOVE_MIRROR=1 cargo test -p computestream-localnet --test move_mirror
// Each scenario's successful steps are one test (calls, balances, scalar views); each expected
// abort is an #[expected_failure] test of the steps before it. Events and struct-valued views
// are checked by the Rust scenario runner.
#[test_only]
module computestream::scenario_mirror {
    use std::option;
    use std::string::utf8;
    use aptos_framework::fungible_asset::{Self, Metadata, MintRef};
    use aptos_framework::object::{Self, Object};
    use aptos_framework::primary_fungible_store;
    use aptos_framework::timestamp;
    use computestream::escrow;
    use computestream::job_registry;
    use computestream::payment_stream;
    use computestream::provider_registry;

    fun new_asset(admin: &signer, symbol: vector<u8>, decimals: u8): (Object<Metadata>, MintRef) {
        let ctor = object::create_named_object(admin, symbol);
        primary_fungible_store::create_primary_store_enabled_fungible_asset(
            &ctor, option::none(), utf8(symbol), utf8(symbol), decimals, utf8(b\"\"), utf8(b\"\"),
        );
        (object::object_from_constructor_ref<Metadata>(&ctor), fungible_asset::generate_mint_ref(&ctor))
    }
";

/// Fixed addresses for the scenario accounts, so the generated file is stable.
fn account_address(name: &str, index: usize) -> String {
    match name {
        "provider" => "@0xb0b".into(),
        "buyer" => "@0xa11ce".into(),
        "stranger" => "@0x5".into(),
        _ => format!("@0x{:x}", 0x1000 + index),
    }
}

struct Gen<'a> {
    scenario: &'a Scenario,
    accounts: BTreeMap<String, String>,
}

impl<'a> Gen<'a> {
    fn new(scenario: &'a Scenario) -> Self {
        let accounts = scenario
            .accounts
            .keys()
            .enumerate()
            .map(|(i, name)| {
                assert!(
                    is_identifier(name) && name != "fx" && name != "admin",
                    "{}: account name {name} is not usable as a Move identifier",
                    scenario.name
                );
                (name.clone(), account_address(name, i))
            })
            .collect();
        Gen { scenario, accounts }
    }

    fn asset_var(&self, symbol: &str) -> String {
        if symbol == "MOVE" {
            // `native` is a Move keyword.
            "native_coin".into()
        } else {
            assert!(
                self.scenario.assets.contains_key(symbol),
                "{}: unknown asset {symbol}",
                self.scenario.name
            );
            let var = symbol.to_ascii_lowercase();
            assert!(is_identifier(&var), "asset symbol {symbol}");
            var
        }
    }

    /// The Move expression for an address-typed JSON value (`"@name"` or a hex literal).
    fn address(&self, v: &Value) -> String {
        let s = v
            .as_str()
            .unwrap_or_else(|| panic!("address expected, got {v}"));
        match s.strip_prefix('@') {
            Some("escrow_vault") => "escrow::vault_address_for_test()".into(),
            Some("stake_vault") => "provider_registry::vault_address_for_test()".into(),
            Some(name) if self.accounts.contains_key(name) => self.accounts[name].clone(),
            Some(symbol) => format!("object::object_address(&{})", self.asset_var(symbol)),
            None => format!("@{s}"),
        }
    }

    fn value(&self, ty: &str, v: &Value) -> String {
        match ty {
            "AccountAddress" => self.address(v),
            "String" => move_string(v.as_str().expect("string value")),
            "bool" => v.as_bool().expect("bool value").to_string(),
            "u8" | "u64" | "u128" | "crate::types::Rate" | "crate::types::JobStatus" => {
                let n = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => panic!("integer expected, got {v}"),
                };
                assert!(n.bytes().all(|b| b.is_ascii_digit()), "integer {n}");
                n
            }
            "Vec<AccountAddress>" => {
                let items: Vec<String> = v
                    .as_array()
                    .expect("array")
                    .iter()
                    .map(|a| self.address(a))
                    .collect();
                format!("vector[{}]", items.join(", "))
            }
            other => panic!("no Move rendering for {other}"),
        }
    }

    fn args(&self, params: &[(&str, &str)], json: &Value) -> Vec<String> {
        params
            .iter()
            .map(|(name, ty)| self.value(ty, &json[*name]))
            .collect()
    }

    fn call(&self, step: &Step) -> Option<String> {
        let json = step.call.as_ref()?;
        let call: Call = serde_json::from_value(typed(json)).unwrap_or_else(|e| {
            panic!("{}: call {json}: {e}", self.scenario.name);
        });
        let sender = step.sender.as_deref().expect("a call needs a sender");
        let mut args = vec![sender.to_string()];
        args.extend(self.args(call.parameters(), json));
        Some(format!(
            "{}::{}({});",
            call.module(),
            call.function(),
            args.join(", ")
        ))
    }

    fn view(&self, json: &Value) -> (View, String) {
        let view: View = serde_json::from_value(typed(json)).unwrap_or_else(|e| {
            panic!("{}: view {json}: {e}", self.scenario.name);
        });
        let expr = format!(
            "{}::{}({})",
            view.module(),
            view.function(),
            self.args(view.parameters(), json).join(", ")
        );
        (view, expr)
    }

    /// The `#[test]` attribute and signature for the accounts that sign in `steps`.
    fn signature(&self, name: &str, steps: &[&Step], abort: Option<AbortCode>) -> String {
        let mut signers: Vec<&str> = steps.iter().filter_map(|s| s.sender.as_deref()).collect();
        signers.sort();
        signers.dedup();
        let mut attr = vec![
            "fx = @aptos_framework".to_string(),
            "admin = @computestream".to_string(),
        ];
        let mut params = vec!["fx: &signer".to_string(), "admin: &signer".to_string()];
        for s in &signers {
            attr.push(format!("{s} = {}", self.accounts[*s]));
            params.push(format!("{s}: &signer"));
        }
        let mut out = format!("\n    #[test({})]\n", attr.join(", "));
        if let Some(code) = abort {
            let location = match code.module() {
                AbortModule::FungibleAsset => "aptos_framework::fungible_asset".to_string(),
                m => format!("computestream::{}", m.name()),
            };
            writeln!(
                out,
                "    #[expected_failure(abort_code = {}, location = {location})]",
                code.code()
            )
            .unwrap();
        }
        writeln!(out, "    fun {name}({}) {{", params.join(", ")).unwrap();
        out
    }

    /// Chain time, the native and test assets, the registries and the initial balances.
    fn setup(&self) -> String {
        let s = self.scenario;
        let mut out = String::new();
        writeln!(
            out,
            "        timestamp::set_time_has_started_for_testing(fx);"
        )
        .unwrap();
        writeln!(
            out,
            "        timestamp::update_global_time_for_test_secs({});",
            s.start_time
        )
        .unwrap();
        let minted = |symbol: &str| s.accounts.values().any(|b| b.contains_key(symbol));
        let mut assets = vec![("MOVE".to_string(), 8u8)];
        assets.extend(s.assets.iter().map(|(k, v)| (k.clone(), *v)));
        for (symbol, decimals) in &assets {
            let var = self.asset_var(symbol);
            let mint = if minted(symbol) {
                format!("{var}_mint")
            } else {
                "_".into()
            };
            writeln!(
                out,
                "        let ({var}, {mint}) = new_asset(admin, b\"{symbol}\", {decimals});"
            )
            .unwrap();
            if symbol == "MOVE" {
                writeln!(
                    out,
                    "        provider_registry::init_for_test(admin, native_coin);"
                )
                .unwrap();
                writeln!(out, "        escrow::init_for_test(admin);").unwrap();
            }
        }
        for (name, balances) in &s.accounts {
            for (symbol, amount) in balances {
                writeln!(
                    out,
                    "        primary_fungible_store::mint(&{}_mint, {}, {amount});",
                    self.asset_var(symbol),
                    self.accounts[name]
                )
                .unwrap();
            }
        }
        out
    }

    fn time(out: &mut String, now: &mut u64, at: u64) {
        if at != *now {
            assert!(at > *now, "steps must not go back in time");
            writeln!(
                out,
                "        timestamp::update_global_time_for_test_secs({at});"
            )
            .unwrap();
            *now = at;
        }
    }

    fn success_test(&self) -> String {
        let s = self.scenario;
        let ok_steps: Vec<&Step> = s.steps.iter().filter(|st| st.abort.is_none()).collect();
        let mut body = self.setup();
        let mut now = s.start_time;
        let mut check = 0;
        for (i, step) in s.steps.iter().enumerate() {
            Self::time(&mut body, &mut now, step.at);
            if step.abort.is_none()
                && let Some(call) = self.call(step)
            {
                writeln!(body, "        {call}").unwrap();
            }
            for (name, balances) in &step.balances {
                let owner = self.address(&Value::String(format!("@{name}")));
                for (symbol, amount) in balances {
                    check += 1;
                    writeln!(
                        body,
                        "        assert!(primary_fungible_store::balance({owner}, {}) == {amount}, {check});",
                        self.asset_var(symbol)
                    )
                    .unwrap();
                }
            }
            for v in &step.views {
                let (view, expr) = self.view(&v.view);
                let Some(expected) = &v.returns else { continue };
                let scalar = !view.returns().starts_with("crate::types::")
                    || matches!(
                        view.returns(),
                        "crate::types::Rate" | "crate::types::JobStatus"
                    );
                if !scalar {
                    writeln!(
                        body,
                        "        // step {i}: {} is a struct, checked by the Rust runner",
                        view.function()
                    )
                    .unwrap();
                    continue;
                }
                check += 1;
                let condition = match expected {
                    Value::Bool(true) => expr,
                    Value::Bool(false) => format!("!{expr}"),
                    _ => format!("{expr} == {}", self.value(view.returns(), expected)),
                };
                writeln!(body, "        assert!({condition}, {check});").unwrap();
            }
        }
        let mut out = self.signature(&s.name, &ok_steps, None);
        out.push_str(&body);
        out.push_str("    }\n");
        out
    }

    /// One `#[expected_failure]` test per expected abort.
    fn abort_tests(&self) -> Vec<String> {
        let s = self.scenario;
        let mut tests = Vec::new();
        for (i, step) in s.steps.iter().enumerate() {
            let prefix: Vec<&Step> = s.steps[..i]
                .iter()
                .filter(|st| st.abort.is_none())
                .collect();
            let replay = |last: Option<&Step>| {
                let mut body = self.setup();
                let mut now = s.start_time;
                for st in prefix.iter().copied().chain(last) {
                    Self::time(&mut body, &mut now, st.at);
                    if let Some(call) = self.call(st) {
                        writeln!(body, "        {call}").unwrap();
                    }
                }
                Self::time(&mut body, &mut now, step.at);
                body
            };
            if let Some(code) = &step.abort {
                let code = AbortCode::from_name(code).expect("known abort code");
                let name = format!("{}_aborts_at_step_{i}", s.name);
                let mut steps = prefix.clone();
                steps.push(step);
                let mut out = self.signature(&name, &steps, Some(code));
                out.push_str(&replay(None));
                writeln!(
                    out,
                    "        {}",
                    self.call(step).expect("abort needs a call")
                )
                .unwrap();
                out.push_str("    }\n");
                tests.push(out);
            }
            for (j, v) in step.views.iter().enumerate() {
                let Some(code) = &v.abort else { continue };
                let code = AbortCode::from_name(code).expect("known abort code");
                let (_, expr) = self.view(&v.view);
                let name = format!("{}_view_aborts_at_step_{i}_{j}", s.name);
                let last = step.abort.is_none().then_some(step);
                let mut steps = prefix.clone();
                steps.extend(last);
                let mut out = self.signature(&name, &steps, Some(code));
                out.push_str(&replay(last));
                writeln!(out, "        let _ = {expr};").unwrap();
                out.push_str("    }\n");
                tests.push(out);
            }
        }
        tests
    }
}

/// The JSON with every `"@name"` replaced by some address, so it parses as a typed call
/// (which gives the parameter types); the Move text is rendered from the original names.
fn typed(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with('@') => Value::String("0x1".into()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), typed(v))).collect())
        }
        other => other.clone(),
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A test that never names an asset it creates binds it to `_` (the compiler warns on an unused
/// local).
fn unused_assets_to_underscore(test: &str) -> String {
    let mut lines: Vec<String> = test.lines().map(str::to_string).collect();
    for i in 0..lines.len() {
        let Some(rest) = lines[i].trim_start().strip_prefix("let (") else {
            continue;
        };
        let Some((var, _)) = rest.split_once(',') else {
            continue;
        };
        if !lines[i].contains("= new_asset(") || var == "_" {
            continue;
        }
        let used = lines.iter().enumerate().any(|(j, line)| {
            j != i
                && line
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|word| word == var)
        });
        if !used {
            lines[i] = lines[i].replacen(&format!("let ({var},"), "let (_,", 1);
        }
    }
    lines.join("\n") + "\n"
}

fn move_string(s: &str) -> String {
    assert!(
        s.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "only printable ASCII strings are mirrored: {s:?}"
    );
    format!(
        "utf8(b\"{}\")",
        s.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

fn generate() -> String {
    let mut out = HEADER.to_string();
    for scenario in scenarios() {
        let g = Gen::new(&scenario);
        out.push_str(&unused_assets_to_underscore(&g.success_test()));
        for t in g.abort_tests() {
            out.push_str(&unused_assets_to_underscore(&t));
        }
    }
    out.push_str("}\n");
    out
}

#[test]
fn the_move_mirror_is_generated_from_the_scenarios() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../move/tests/scenario_mirror.move");
    let generated = generate();
    if std::env::var_os("UPDATE_MOVE_MIRROR").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "move/tests/scenario_mirror.move is stale; regenerate it with \
         UPDATE_MOVE_MIRROR=1 cargo test -p computestream-localnet --test move_mirror"
    );
}

#[test]
fn every_abort_code_has_a_move_expected_failure_test() {
    let generated = generate();
    // The mirror, and the hand-written Move tests for what no scenario can reach (publishing).
    let mut move_tests = generated.clone();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../move/tests");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "move") {
            move_tests.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    for code in AbortCode::ALL {
        let location = match code.module() {
            AbortModule::FungibleAsset => "aptos_framework::fungible_asset".to_string(),
            m => format!("computestream::{}", m.name()),
        };
        let attr = format!(
            "#[expected_failure(abort_code = {}, location = {location})]",
            code.code()
        );
        assert!(
            move_tests.contains(&attr),
            "no Move test expects {}",
            code.name()
        );
    }
    let entry_functions = Call::FUNCTIONS
        .iter()
        .filter(|(m, f)| !generated.contains(&format!("{m}::{f}(")))
        .collect::<Vec<_>>();
    assert!(
        entry_functions.is_empty(),
        "never called in Move: {entry_functions:?}"
    );
}
