//! `computestream`: the ComputeStream command line.

mod demo;

use std::process::ExitCode;

const USAGE: &str = "\
usage: computestream demo [--seconds N] [--simulated]

  demo   rent a GPU on the embedded ledger: a provider registers, an agent rents it
         (job + escrow + stream in one transaction), the stream pays every second,
         the job completes, the stream closes and the rest of the escrow is refunded.
         --seconds N    how long the job runs (default 5)
         --simulated    advance a simulated clock instead of waiting in real time";

fn parse_demo(args: &[String]) -> Result<demo::DemoOptions, String> {
    let mut options = demo::DemoOptions {
        seconds: 5,
        simulated: false,
        verbose: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = it.next().ok_or("--seconds needs a value")?;
                options.seconds = value
                    .parse()
                    .map_err(|_| format!("--seconds: {value:?} is not a whole number"))?;
            }
            "--simulated" => options.simulated = true,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => {
            let options = match parse_demo(&args[1..]) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("error: {e}\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            };
            match demo::run(&options).await {
                Ok(receipt) => {
                    demo::print(&receipt);
                    if receipt.conservation_holds {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("--help" | "-h" | "help") | None => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("error: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
