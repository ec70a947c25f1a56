//! Helpers shared by the binary's integration tests.

use std::process::Child;

/// Kills a spawned server even when an assertion fails, so no test leaves it running.
pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
