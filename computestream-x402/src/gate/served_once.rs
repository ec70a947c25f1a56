//! The gate's memory of the payments it served, on disk, so a restarted provider does not
//! serve a captured header again while it is still valid: one line per served payment,
//! `<digest hex> <expires>`, appended and synced before the response goes out. An entry lives
//! until its payment expires plus the allowed clock skew; expired entries are dropped when the
//! store is first consulted after opening and whenever the file has doubled since it was last
//! rewritten, so the file stays within twice the unexpired entries (and a few dozen lines).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::aptos::MAX_EXPIRY_SKEW_SECS;

/// Lines below which the file is never rewritten.
const MIN_REWRITE_LINES: usize = 32;

/// Served payments by digest, with their expiry, mirrored in an append-only file.
#[derive(Debug)]
pub(crate) struct ServedOnceStore {
    path: PathBuf,
    file: File,
    entries: HashMap<[u8; 32], u64>,
    /// Lines in the file.
    lines: usize,
    /// Entries left by the last rewrite; `None` until the first one.
    kept_at_rewrite: Option<usize>,
}

/// Whether a payment expiring at `expires` can still be presented at `now`.
fn live(expires: u64, now: u64) -> bool {
    expires.saturating_add(MAX_EXPIRY_SKEW_SECS) >= now
}

fn parse(line: &[u8]) -> Option<([u8; 32], u64)> {
    let line = std::str::from_utf8(line).ok()?;
    let (digest, expires) = line.trim().split_once(' ')?;
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(digest, &mut bytes).ok()?;
    Some((bytes, expires.parse().ok()?))
}

fn line(digest: &[u8; 32], expires: u64) -> String {
    format!("{} {expires}\n", hex::encode(digest))
}

impl ServedOnceStore {
    /// Opens (or creates) the store at `path`, creating its directory. Lines that do not
    /// parse (a write torn by a crash) are skipped.
    pub(crate) fn open(path: &Path) -> io::Result<ServedOnceStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let mut entries = HashMap::new();
        let mut lines = 0;
        match fs::read(path) {
            Ok(bytes) => {
                for (digest, expires) in bytes.split(|b| *b == b'\n').filter_map(parse) {
                    lines += 1;
                    let kept = entries.entry(digest).or_insert(expires);
                    *kept = (*kept).max(expires);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(ServedOnceStore {
            path: path.to_path_buf(),
            file,
            entries,
            lines,
            kept_at_rewrite: None,
        })
    }

    /// Whether `digest` was served and can still be presented at `now`. Answered from
    /// memory, which holds every entry of the file: a failed rewrite is retried later.
    pub(crate) fn contains(&mut self, digest: &[u8; 32], now: u64) -> bool {
        let _ = self.prune_if_due(now);
        self.entries.get(digest).is_some_and(|e| live(*e, now))
    }

    /// Remembers that `digest`, valid until `expires`, was served; on disk before it returns.
    pub(crate) fn record(&mut self, digest: [u8; 32], expires: u64, now: u64) -> io::Result<()> {
        // Remembered in memory even if the disk fails: this process still refuses a replay.
        let _ = self.prune_if_due(now);
        let kept = self.entries.entry(digest).or_insert(expires);
        *kept = (*kept).max(expires);
        self.file.write_all(line(&digest, expires).as_bytes())?;
        self.file.sync_data()?;
        self.lines += 1;
        Ok(())
    }

    /// Lines in the file (for tests of its bound).
    #[cfg(test)]
    pub(crate) fn lines(&self) -> usize {
        self.lines
    }

    fn prune_if_due(&mut self, now: u64) -> io::Result<()> {
        let due = match self.kept_at_rewrite {
            None => true,
            Some(kept) => self.lines >= 2 * kept.max(MIN_REWRITE_LINES),
        };
        if due { self.rewrite(now) } else { Ok(()) }
    }

    /// Drops the expired entries and rewrites the file with the others (a new file renamed
    /// over the old one, so a crash leaves one or the other).
    fn rewrite(&mut self, now: u64) -> io::Result<()> {
        self.entries.retain(|_, expires| live(*expires, now));
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut text = String::with_capacity(self.entries.len() * 76);
        for (digest, expires) in &self.entries {
            text.push_str(&line(digest, *expires));
        }
        // Written through the handle later lines are appended with: it follows the rename.
        let mut file = File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, &self.path)?;
        self.file = file;
        self.lines = self.entries.len();
        self.kept_at_rewrite = Some(self.entries.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(n: u32) -> [u8; 32] {
        let mut d = [0u8; 32];
        d[..4].copy_from_slice(&n.to_be_bytes());
        d
    }

    fn file_lines(path: &Path) -> usize {
        fs::read_to_string(path).unwrap().lines().count()
    }

    #[test]
    fn served_payments_survive_a_reopen_until_they_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gate").join("served-once");
        let mut store = ServedOnceStore::open(&path).unwrap();
        store.record(digest(1), 1_060, 1_000).unwrap();
        assert!(store.contains(&digest(1), 1_000));
        assert!(!store.contains(&digest(2), 1_000));
        drop(store);

        let mut store = ServedOnceStore::open(&path).unwrap();
        assert!(store.contains(&digest(1), 1_050));
        // Until expiry plus the skew; after that the chain refuses it anyway.
        assert!(store.contains(&digest(1), 1_060 + MAX_EXPIRY_SKEW_SECS));
        assert!(!store.contains(&digest(1), 1_061 + MAX_EXPIRY_SKEW_SECS));
    }

    #[test]
    fn the_file_stays_within_twice_the_unexpired_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("served-once");
        let mut store = ServedOnceStore::open(&path).unwrap();
        let mut now = 1_000;
        // A provider serving one payment a second, each valid 90 s: at most ~120 unexpired.
        for n in 0..500 {
            store.record(digest(n), now + 90, now).unwrap();
            let unexpired = (90 + MAX_EXPIRY_SKEW_SECS + 1) as usize;
            assert_eq!(store.lines(), file_lines(&path), "after {n}");
            assert!(
                store.lines() <= 2 * unexpired.max(MIN_REWRITE_LINES),
                "{} lines after {n}",
                store.lines()
            );
            now += 1;
        }
        // Reopened after every entry expired: nothing is kept once it is consulted.
        drop(store);
        let mut store = ServedOnceStore::open(&path).unwrap();
        assert!(!store.contains(&digest(499), now + 1_000));
        assert_eq!(file_lines(&path), 0);
    }

    #[test]
    fn a_torn_last_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("served-once");
        let mut store = ServedOnceStore::open(&path).unwrap();
        store.record(digest(7), 2_000, 1_000).unwrap();
        drop(store);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"00ff").unwrap();
        let mut store = ServedOnceStore::open(&path).unwrap();
        assert!(store.contains(&digest(7), 1_000));
        assert_eq!(file_lines(&path), 1, "rewritten without the torn line");
    }
}
