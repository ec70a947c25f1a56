//! The embedded ledger's append-only log. Each record is `len: u32 LE ‖ crc32: u32 LE ‖
//! payload` and is fsynced before the transaction is acknowledged. On open, records are read
//! until the first torn or corrupt one; the file is truncated there (a crash mid-append can
//! only tear the last, unacknowledged record).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use computestream_core::error::{Error, Result};
use computestream_core::types::{AccountAddress, AssetId};

/// Largest record accepted on replay; a longer length prefix is corruption.
const MAX_RECORD: usize = 1 << 20;

/// What changes the ledger's state, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogEntry {
    /// A committed transaction (successful or aborted) and the chain time it ran at.
    Transaction {
        /// BCS of the signed transaction.
        signed_txn: Vec<u8>,
        /// Block timestamp, microseconds.
        timestamp_usecs: u64,
    },
    /// A dev-faucet mint.
    Mint {
        /// Recipient.
        owner: AccountAddress,
        /// Asset.
        asset: AssetId,
        /// Base units.
        amount: u64,
        /// Chain time, microseconds.
        timestamp_usecs: u64,
    },
    /// A test asset was created.
    CreateAsset {
        /// Metadata address.
        asset: AssetId,
        /// Symbol.
        symbol: String,
        /// Decimals.
        decimals: u8,
    },
}

/// The open log file.
#[derive(Debug)]
pub(super) struct Log {
    file: File,
}

impl Log {
    /// Opens (or creates) the log at `path`, locked for this process, and returns it with
    /// every intact entry. A log another process holds open is refused.
    pub(super) fn open(path: &Path) -> Result<(Log, Vec<LogEntry>)> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        // One ledger per log: a second process appending to it would interleave two
        // histories that a replay then merges. Held while the file is open.
        if let Err(e) = file.try_lock() {
            return Err(std::io::Error::other(format!(
                "{}: in use by another ledger ({e}); one process per state directory",
                path.display()
            ))
            .into());
        }
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0))?;
        file.read_to_end(&mut bytes)?;
        let (entries, good_len) = parse(&bytes);
        if good_len < bytes.len() {
            tracing::warn!(
                path = %path.display(),
                kept = good_len,
                dropped = bytes.len() - good_len,
                "ledger log has a torn or corrupt tail; truncating it"
            );
            file.set_len(good_len as u64)?;
            file.sync_all()?;
        }
        Ok((Log { file }, entries))
    }

    /// Appends one entry and fsyncs it.
    pub(super) fn append(&mut self, entry: &LogEntry) -> Result<()> {
        let payload = aptos_sdk::aptos_bcs::to_bytes(entry)
            .map_err(|e| Error::decode(format!("log entry: {e}")))?;
        let mut record = Vec::with_capacity(payload.len() + 8);
        record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        record.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        record.extend_from_slice(&payload);
        self.file.write_all(&record)?;
        self.file.sync_data()?;
        Ok(())
    }
}

/// Every intact entry, and the length of the intact prefix.
pub(super) fn parse(bytes: &[u8]) -> (Vec<LogEntry>, usize) {
    let mut entries = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if len > MAX_RECORD {
            break;
        }
        let Some(payload) = bytes.get(at + 8..at + 8 + len) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Ok(entry) = aptos_sdk::aptos_bcs::from_bytes::<LogEntry>(payload) else {
            break;
        };
        entries.push(entry);
        at += 8 + len;
    }
    (entries, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mint(n: u64) -> LogEntry {
        LogEntry::Mint {
            owner: computestream_core::types::address_from_u64(n),
            asset: AssetId::NATIVE,
            amount: n,
            timestamp_usecs: n,
        }
    }

    #[test]
    fn a_log_is_held_by_one_ledger_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.log");
        let (first, _) = Log::open(&path).unwrap();
        let e = Log::open(&path).unwrap_err();
        assert!(e.to_string().contains("in use by another ledger"), "{e}");
        drop(first);
        Log::open(&path).unwrap();
    }

    #[test]
    fn torn_and_corrupt_tails_are_truncated_and_the_prefix_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.log");
        {
            let (mut log, entries) = Log::open(&path).unwrap();
            assert!(entries.is_empty());
            for n in 1..=3 {
                log.append(&mint(n)).unwrap();
            }
        }
        let full = std::fs::read(&path).unwrap();
        // Every cut inside the last record keeps exactly the first two.
        let two = parse(&full).1 - (full.len() - parse(&full[..full.len() - 1]).1);
        for cut in two + 1..full.len() {
            std::fs::write(&path, &full[..cut]).unwrap();
            let (_, entries) = Log::open(&path).unwrap();
            assert_eq!(entries, vec![mint(1), mint(2)], "cut at {cut}");
            assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, two);
        }
        // A flipped payload byte in record 2 drops records 2 and 3.
        let mut corrupt = full.clone();
        corrupt[two - 1] ^= 0xff;
        std::fs::write(&path, &corrupt).unwrap();
        let (mut log, entries) = Log::open(&path).unwrap();
        assert_eq!(entries, vec![mint(1)]);
        // Appending after truncation continues a valid log.
        log.append(&mint(9)).unwrap();
        drop(log);
        assert_eq!(Log::open(&path).unwrap().1, vec![mint(1), mint(9)]);
    }
}
