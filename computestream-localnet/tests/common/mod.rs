//! The scenario vector format of `testdata/scenarios/`, shared by the runner and the Move
//! mirror generator.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

/// One scenario: accounts and assets at `start_time`, then steps.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scenario {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) start_time: u64,
    #[serde(default)]
    pub(crate) assets: BTreeMap<String, u8>,
    pub(crate) accounts: BTreeMap<String, BTreeMap<String, String>>,
    pub(crate) steps: Vec<Step>,
}

/// A call at a time (optional), then the expected abort, events, balances and views.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    pub(crate) at: u64,
    #[serde(default)]
    pub(crate) sender: Option<String>,
    #[serde(default)]
    pub(crate) call: Option<Value>,
    #[serde(default)]
    pub(crate) abort: Option<String>,
    #[serde(default)]
    pub(crate) events: Option<Vec<Value>>,
    #[serde(default)]
    pub(crate) balances: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub(crate) views: Vec<ViewCheck>,
}

/// A view and its expected result or abort.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ViewCheck {
    pub(crate) view: Value,
    #[serde(default)]
    pub(crate) returns: Option<Value>,
    #[serde(default)]
    pub(crate) abort: Option<String>,
}

pub(crate) fn scenario_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Every scenario, checked to be named after its file.
pub(crate) fn scenarios() -> Vec<Scenario> {
    scenario_files()
        .into_iter()
        .map(|file| {
            let scenario: Scenario = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(file.file_stem().unwrap().to_str().unwrap(), scenario.name);
            scenario
        })
        .collect()
}
