//! A rental's process: started from argv (never a shell) in its own process group, its output
//! kept line by line, stopped with SIGTERM to the group and SIGKILL after a grace. It gets
//! SIGTERM when the daemon dies (`PR_SET_PDEATHSIG`), so it never runs on unsupervised.

use std::collections::VecDeque;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// Lines a workload's log keeps (the oldest go first).
const LOG_LINES: usize = 10_000;

/// A workload's output, stdout and stderr interleaved as they arrive.
#[derive(Clone, Debug, Default)]
pub(crate) struct Logs(Arc<LogsInner>);

#[derive(Debug, Default)]
struct LogsInner {
    kept: Mutex<Kept>,
    /// Rung on each new line and when the output ends.
    changed: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct Kept {
    lines: VecDeque<String>,
    /// Lines pushed since the start (the first kept one is number `pushed - lines.len()`).
    pushed: u64,
    /// No more lines will come.
    ended: bool,
}

impl Logs {
    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.0.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends a line, dropping the oldest past [`LOG_LINES`].
    fn push(&self, line: String) {
        let mut kept = self.kept();
        if kept.lines.len() == LOG_LINES {
            kept.lines.pop_front();
        }
        kept.lines.push_back(line);
        kept.pushed += 1;
        drop(kept);
        self.0.changed.notify_waiters();
    }

    /// No more output: followers finish.
    pub(crate) fn end(&self) {
        self.kept().ended = true;
        self.0.changed.notify_waiters();
    }

    /// The kept lines, newline-terminated.
    pub(crate) fn text(&self) -> String {
        self.kept().lines.iter().fold(String::new(), |mut all, l| {
            all.push_str(l);
            all.push('\n');
            all
        })
    }

    /// The kept lines from number `from` on (older ones were dropped), the number of the next
    /// line, and whether the output ended.
    fn since(&self, from: u64) -> (Vec<String>, u64, bool) {
        let kept = self.kept();
        let first = kept.pushed - kept.lines.len() as u64;
        let skip = usize::try_from(from.saturating_sub(first)).unwrap_or(usize::MAX);
        let lines = kept.lines.iter().skip(skip).cloned().collect();
        (lines, kept.pushed, kept.ended)
    }

    /// Every line, the kept ones first, then each new one as it comes, until the output ends.
    pub(crate) fn follow(&self) -> impl futures_util::Stream<Item = String> + Send + 'static {
        let logs = self.clone();
        futures_util::stream::unfold(
            (logs, 0u64, VecDeque::<String>::new()),
            |(logs, mut next, mut ready)| async move {
                loop {
                    if let Some(line) = ready.pop_front() {
                        return Some((line, (logs, next, ready)));
                    }
                    // Registered before reading, so a line pushed in between still wakes us.
                    let changed = logs.0.changed.notified();
                    let (lines, after, ended) = logs.since(next);
                    next = after;
                    if !lines.is_empty() {
                        ready.extend(lines);
                        continue;
                    }
                    if ended {
                        return None;
                    }
                    changed.await;
                }
            },
        )
    }
}

/// A running workload.
#[derive(Debug)]
pub(crate) struct Workload {
    child: Child,
    /// Its process group (its pid: it leads the group).
    group: Pid,
}

impl Workload {
    /// Starts `argv[0]` with the rest as its arguments, stdin closed, output into `logs`.
    pub(crate) fn spawn(argv: &[String], logs: &Logs) -> Result<Workload, String> {
        let (program, args) = argv.split_first().ok_or("empty argv")?;
        let daemon = nix::unistd::getpid();
        let mut command = Command::new(program);
        // SAFETY: between fork and exec the closure makes only async-signal-safe system calls
        // (prctl, getppid) and allocates nothing.
        #[allow(unsafe_code)]
        unsafe {
            command.pre_exec(move || {
                nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
                // The daemon died before the line above: nobody would ever signal us.
                if nix::unistd::getppid() != daemon {
                    return Err(std::io::Error::other("the daemon exited"));
                }
                Ok(())
            });
        }
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group, so stopping it reaches what it started (a shell's children, a
            // container client's helpers) and a Ctrl-C at the daemon's terminal does not.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{program}: {e}"))?;
        let pid = child
            .id()
            .ok_or("the workload exited before it was watched")?;
        let out = child
            .stdout
            .take()
            .map(|out| tokio::spawn(copy_lines(out, logs.clone())));
        let err = child
            .stderr
            .take()
            .map(|err| tokio::spawn(copy_lines(err, logs.clone())));
        // The output ends when both pipes closed (the group exited).
        let ended = logs.clone();
        tokio::spawn(async move {
            for copy in [out, err].into_iter().flatten() {
                let _ = copy.await;
            }
            ended.end();
        });
        Ok(Workload {
            child,
            group: Pid::from_raw(i32::try_from(pid).map_err(|_| "pid out of range")?),
        })
    }

    /// Its process id, which is also its process group's.
    pub(crate) fn pid(&self) -> i32 {
        self.group.as_raw()
    }

    /// Waits for it to exit on its own. Cancel-safe: it can lose a `select!`.
    pub(crate) async fn wait(&mut self) -> Result<ExitStatus, String> {
        self.child.wait().await.map_err(|e| format!("wait: {e}"))
    }

    /// SIGTERM to its group; SIGKILL to the group if it has not exited after `grace`.
    pub(crate) async fn stop(&mut self, grace: Duration) -> Result<ExitStatus, String> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Ok(status);
        }
        // ESRCH: it exited between the check and the signal; `wait` tells how.
        let _ = killpg(self.group, Signal::SIGTERM);
        if let Ok(status) = tokio::time::timeout(grace, self.wait()).await {
            return status;
        }
        let _ = killpg(self.group, Signal::SIGKILL);
        let _ = self.child.start_kill();
        self.wait().await
    }
}

/// Copies `from` into `logs` line by line until it closes.
async fn copy_lines(from: impl AsyncRead + Unpin, logs: Logs) {
    let mut lines = BufReader::new(from).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        logs.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[tokio::test]
    async fn output_is_logged_and_the_exit_code_reported() {
        let logs = Logs::default();
        let mut w = Workload::spawn(
            &argv(&["sh", "-c", "echo one; echo two >&2; exit 3"]),
            &logs,
        )
        .unwrap();
        let status = w.wait().await.unwrap();
        assert_eq!(status.code(), Some(3));
        // The readers finish when the pipes close, just after the exit.
        for _ in 0..50 {
            if logs.text().lines().count() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let text = logs.text();
        assert!(text.contains("one\n") && text.contains("two\n"), "{text:?}");
    }

    #[tokio::test]
    async fn a_follower_gets_every_line_then_the_end() {
        use futures_util::StreamExt;
        let logs = Logs::default();
        let early = logs.follow();
        let mut w = Workload::spawn(
            &argv(&["sh", "-c", "echo one; sleep 0.2; echo two; echo three >&2"]),
            &logs,
        )
        .unwrap();
        assert!(w.wait().await.unwrap().success());
        let got: Vec<String> = tokio::time::timeout(Duration::from_secs(20), early.collect())
            .await
            .expect("the output ends");
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], "one");
        // A follower arriving after the end gets the kept lines and finishes.
        let late: Vec<String> = logs.follow().collect().await;
        assert_eq!(late, got);
    }

    #[tokio::test]
    async fn a_workload_that_handles_sigterm_exits_with_its_own_code() {
        let script = "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.1; done";
        let logs = Logs::default();
        let mut w = Workload::spawn(&argv(&["sh", "-c", script]), &logs).unwrap();
        wait_for_line(&logs, "ready").await;
        let status = w.stop(Duration::from_secs(20)).await.unwrap();
        assert_eq!(status.code(), Some(0), "{status:?}");
    }

    #[tokio::test]
    async fn a_workload_ignoring_sigterm_is_killed_after_the_grace() {
        let script = "trap '' TERM; echo ready; while :; do sleep 0.1; done";
        let logs = Logs::default();
        let mut w = Workload::spawn(&argv(&["sh", "-c", script]), &logs).unwrap();
        wait_for_line(&logs, "ready").await;
        let started = std::time::Instant::now();
        let status = w.stop(Duration::from_millis(300)).await.unwrap();
        assert_eq!(status.signal(), Some(Signal::SIGKILL as i32), "{status:?}");
        assert!(started.elapsed() < Duration::from_secs(20));
    }

    #[tokio::test]
    async fn arguments_reach_the_program_literally() {
        let logs = Logs::default();
        let hostile = "; echo pwned $(id) | cat";
        let mut w = Workload::spawn(&argv(&["printf", "%s\\n", hostile, "$HOME"]), &logs).unwrap();
        assert!(w.wait().await.unwrap().success());
        for _ in 0..50 {
            if logs.text().lines().count() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(logs.text(), format!("{hostile}\n$HOME\n"));
    }

    #[test]
    fn a_missing_program_is_an_error_naming_it() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let err = rt
            .block_on(async {
                Workload::spawn(&argv(&["/nonexistent/workload"]), &Logs::default())
            })
            .unwrap_err();
        assert!(err.contains("/nonexistent/workload"), "{err}");
        assert!(Workload::spawn(&[], &Logs::default()).is_err());
    }

    async fn wait_for_line(logs: &Logs, line: &str) {
        for _ in 0..500 {
            if logs.text().lines().any(|l| l == line) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no {line:?} in {:?}", logs.text());
    }
}
