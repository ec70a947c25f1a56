//! `--state-dir`: what the daemon keeps on disk so a crash (even `kill -9`) loses nothing.
//!
//! - `served-once.json`, `served-once-access.json`: the gates' served payments (a replay
//!   after a restart is refused);
//! - `scheduler.json`: the settlement driver's checkpoint;
//! - `rentals/BUYER-ID.json`: one record per rental from the moment it is claimed until its
//!   stream is closed on chain, with the workload's process group once it runs.
//!
//! A workload does not outlive its daemon: it is started with `PR_SET_PDEATHSIG`, so the
//! daemon's death sends it SIGTERM at once. On restart the daemon reads the records left
//! behind, kills what is left of each workload's group (only if it is the same process: its
//! start time is recorded), and finalizes the rental on chain — `reject_job` if it never
//! started, `fail_job` if it was running (it was interrupted), then `close_stream`, which pays
//! the provider what the stream owes and refunds the rest. Settlement is read from the chain,
//! so nothing is paid twice.

use std::path::{Path, PathBuf};

use computestream_core::JobId;
use serde::{Deserialize, Serialize};

/// A rental's record.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub(crate) struct RentalRecord {
    /// The job.
    pub(crate) job: JobId,
    /// The workload's process (and group) id, once it runs.
    pub(crate) pid: Option<i32>,
    /// The process's start time (clock ticks since boot, `/proc/PID/stat` field 22), to
    /// tell it from a later process that reuses the id.
    pub(crate) started: Option<u64>,
}

/// The state directory.
#[derive(Clone, Debug)]
pub(crate) struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// Opens (creating) `root`.
    pub(crate) fn open(root: &Path) -> Result<StateDir, String> {
        std::fs::create_dir_all(root.join("rentals"))
            .map_err(|e| format!("--state-dir {}: {e}", root.display()))?;
        Ok(StateDir {
            root: root.to_path_buf(),
        })
    }

    /// The gate's served-once file.
    pub(crate) fn served_once(&self) -> PathBuf {
        self.root.join("served-once.json")
    }

    /// The access-token gate's served-once file.
    pub(crate) fn served_once_access(&self) -> PathBuf {
        self.root.join("served-once-access.json")
    }

    /// The driver's checkpoint file.
    pub(crate) fn checkpoint(&self) -> PathBuf {
        self.root.join("scheduler.json")
    }

    fn record_path(&self, job: JobId) -> PathBuf {
        self.root
            .join("rentals")
            .join(format!("{}-{}.json", job.buyer.to_long_string(), job.id))
    }

    /// Writes `record` atomically ([`computestream_core::storage::write_atomically`]).
    pub(crate) fn save(&self, record: &RentalRecord) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        computestream_core::storage::write_atomically(&self.record_path(record.job), &bytes)
    }

    /// Forgets `job`'s record (its stream is closed).
    pub(crate) fn remove(&self, job: JobId) -> std::io::Result<()> {
        match std::fs::remove_file(self.record_path(job)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The records a previous run left behind; unreadable ones are reported and skipped.
    pub(crate) fn left_behind(&self) -> Vec<RentalRecord> {
        let Ok(entries) = std::fs::read_dir(self.root.join("rentals")) else {
            return vec![];
        };
        let mut records = vec![];
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            {
                Ok(r) => records.push(r),
                Err(e) => eprintln!("--state-dir: skipping {}: {e}", path.display()),
            }
        }
        records
    }
}

/// The start time of process `pid` (`/proc/PID/stat` field 22), if it exists.
pub(crate) fn process_start(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    if state == "Z" || state == "X" {
        return None; // exited, not yet reaped
    }
    // `rest` starts at field 3 (state); field 22 is 19 further on.
    fields.nth(18)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use computestream_core::AccountAddress;

    #[test]
    fn records_survive_a_reopen_and_are_forgotten_when_removed() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open(dir.path()).unwrap();
        let job = JobId {
            buyer: AccountAddress::ONE,
            id: 7,
        };
        let record = RentalRecord {
            job,
            pid: Some(42),
            started: Some(1234),
        };
        state.save(&record).unwrap();
        std::fs::write(dir.path().join("rentals/garbage.json"), b"{").unwrap();
        let again = StateDir::open(dir.path()).unwrap();
        assert_eq!(again.left_behind(), vec![record]);
        again.remove(job).unwrap();
        again.remove(job).unwrap();
        assert!(again.left_behind().is_empty());
    }

    #[test]
    fn this_process_has_a_start_time_and_a_missing_one_does_not() {
        let me = i32::try_from(std::process::id()).unwrap();
        assert!(process_start(me).is_some());
        assert_eq!(process_start(i32::MAX), None);
    }
}
