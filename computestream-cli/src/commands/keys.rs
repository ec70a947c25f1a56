//! `computestream keys`: make a signing key, or show the address of `--key`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use computestream_core::Signer;
use serde_json::json;

use super::Cli;
use super::common::{print_value, read_signer};

/// `computestream keys …`
#[derive(Subcommand, Debug)]
pub(super) enum KeysCmd {
    /// A new random key: written to --out (or printed) with its address.
    New {
        /// Write the private key here (created with mode 600).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The address of --key.
    Show,
}

/// Runs a `keys` command.
pub(super) fn run(cli: &Cli, cmd: &KeysCmd) -> Result<ExitCode, String> {
    match cmd {
        KeysCmd::New { out } => new(cli, out.as_deref()),
        KeysCmd::Show => {
            let addr = read_signer(cli)?.address().to_hex();
            print_value(cli.json, addr.clone(), json!({"address": addr}));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A random key, written to `out` (never overwriting a file) or printed.
fn new(cli: &Cli, out: Option<&Path>) -> Result<ExitCode, String> {
    let signer = Signer::generate();
    let key = signer.account().private_key().to_hex();
    let addr = signer.address().to_hex();
    match out {
        Some(path) => {
            write_secret(path, &key)?;
            print_value(
                cli.json,
                format!("address {addr}\nkey written to {}", path.display()),
                json!({"address": addr, "key_file": path}),
            );
        }
        None => print_value(
            cli.json,
            format!("address {addr}\nprivate key {key}"),
            json!({"address": addr, "private_key": key}),
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `key` to a new file only its owner can read.
fn write_secret(path: &Path, key: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(f, "{key}").map_err(|e| format!("{}: {e}", path.display()))
}
