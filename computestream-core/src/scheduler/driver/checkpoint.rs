//! The driver's checkpoint: the streams it tracks and when each was last settled, written
//! atomically (temporary file, fsync, rename) so a restart resumes where it stopped.

use serde::{Deserialize, Serialize};

use super::Driver;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::types::JobId;

#[derive(Serialize, Deserialize)]
pub(super) struct Checkpoint {
    version: u32,
    streams: Vec<CheckpointStream>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct CheckpointStream {
    job: JobId,
    last_settled: u64,
    topped_up: u64,
}

fn storage(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::Storage(std::io::Error::new(
        e.kind(),
        format!("checkpoint {}: {e}", path.display()),
    ))
}

impl<L: Ledger + Send + Sync + 'static> Driver<L> {
    /// Resumes the streams of the checkpoint file (none if it does not exist).
    pub fn restore(&self) -> Result<usize> {
        let Some(path) = &self.shared.config.checkpoint else {
            return Ok(0);
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(storage(path, e)),
        };
        let cp: Checkpoint =
            serde_json::from_str(&text).map_err(|e| storage(path, std::io::Error::other(e)))?;
        let n = cp.streams.len();
        for s in cp.streams {
            self.add_at(s.job, 0, s.last_settled, s.topped_up);
        }
        Ok(n)
    }

    pub(super) fn write_checkpoint(&self) -> Result<()> {
        let Some(path) = &self.shared.config.checkpoint else {
            return Ok(());
        };
        let cp = {
            let mut t = self.timers();
            if !t.dirty {
                return Ok(());
            }
            t.dirty = false;
            let mut streams: Vec<CheckpointStream> = t
                .entries
                .iter()
                .map(|(job, e)| CheckpointStream {
                    job: *job,
                    last_settled: e.last_settled,
                    topped_up: e.topped_up,
                })
                .collect();
            streams.sort_by_key(|s| s.job);
            Checkpoint {
                version: 1,
                streams,
            }
        };
        let io = |e: std::io::Error| storage(path, e);
        let bytes = serde_json::to_vec(&cp).map_err(|e| io(std::io::Error::other(e)))?;
        crate::storage::write_atomically(path, &bytes).map_err(io)
    }
}
