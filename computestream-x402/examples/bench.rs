//! Benchmark (not a test), peers side by side in one run: decoding the reference Aptos
//! `PAYMENT-SIGNATURE` header with this crate, `@x402/core` (Node) and `x402` (Python); full
//! local `exact` verification; and a raw ed25519-dalek signature check, with ratios.
//!
//! "decode" is what the gate does with a header: base64, UTF-8, and the typed, version-
//! dispatched parse into the borrowed [`PaymentHeaderRef`] (the scheme payload checked to be
//! a JSON object and kept raw). The owned decode (every string copied, the maps built) is
//! shown beside it. "full exact verify" is decode plus every local rule and the signature.
//! Run `scripts/bench-x402` (release build; installs the peers through `scripts/interop`).
//! `BENCH_PARTS=1` also times the inner-transaction decode and the signature check alone.

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use computestream_core::AccountAddress;
use computestream_x402::aptos::{AptosPayment, VerifyPolicy};
use computestream_x402::schemes::verify_local;
use computestream_x402::wire::{
    self, PaymentHeader, PaymentHeaderRef, PaymentPayload, PaymentPayloadRef, PaymentRequired,
};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::Value;

const SECONDS: f64 = 2.0;

fn rate(f: impl FnMut()) -> f64 {
    rate_for(SECONDS, f)
}

fn rate_for(seconds: f64, mut f: impl FnMut()) -> f64 {
    for _ in 0..100 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        for _ in 0..64 {
            f();
        }
        n += 64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Two rates measured in alternating rounds (so drift in clock speed hits both), as the
/// medians of the rounds and the median of the per-round ratios a/b.
fn paired(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64, f64) {
    const ROUNDS: usize = 9;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut ra, mut rb, mut ratios) = (vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let x = rate_for(SECONDS / ROUNDS as f64, &mut a);
        let y = rate_for(SECONDS / ROUNDS as f64, &mut b);
        ra.push(x);
        rb.push(y);
        ratios.push(x / y);
    }
    (median(ra), median(rb), median(ratios))
}

fn peer(cmd: &str, args: &[&str]) -> Option<f64> {
    let out = Command::new(cmd).args(args).output().ok()?;
    if !out.status.success() {
        eprintln!("{cmd}: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let vector: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/testdata/x402-aptos-exact.json")).unwrap(),
    )
    .unwrap();
    let e = &vector["expected"];
    let header = e["payment_signature_header"].as_str().unwrap().to_string();
    let required: PaymentRequired =
        wire::decode_header(e["payment_required_header"].as_str().unwrap()).unwrap();
    let requirements = required.accepts[0].clone();
    let fee_payer =
        AccountAddress::from_hex(vector["inputs"]["fee_payer"].as_str().unwrap()).unwrap();
    let policy = VerifyPolicy {
        fee_payers: vec![fee_payer],
    };
    let now = vector["inputs"]["expiration_timestamp_secs"]
        .as_u64()
        .unwrap()
        - 60;
    let payload: PaymentPayload = wire::decode_header(&header).unwrap();
    let view = payload.view();
    let payment = AptosPayment::from_payload(&view.payload).unwrap();
    verify_local(&view, &requirements, &policy, now).expect("the vector verifies");

    // Raw signature check: the same message and key, no decoding.
    let message =
        aptos_sdk::transaction::FeePayerRawTransaction::new_simple(payment.raw.clone(), fee_payer)
            .signing_message()
            .unwrap();
    let auth = aptos_sdk::aptos_bcs::to_bytes(&payment.sender_auth).unwrap();
    let key = VerifyingKey::from_bytes(auth[2..34].try_into().unwrap()).unwrap();
    let sig = Signature::from_bytes(auth[35..99].try_into().unwrap());
    key.verify(&message, &sig).expect("raw signature verifies");

    let ours_decode = rate(|| {
        let text = wire::decode_text(black_box(&header)).unwrap();
        black_box(PaymentHeaderRef::parse(&text).unwrap());
    });
    let owned_decode = rate(|| {
        black_box(PaymentHeader::decode(black_box(&header)).unwrap());
    });
    let naive_decode = rate(|| {
        let bytes = wire::decode_base64(black_box(&header)).unwrap();
        black_box(serde_json::from_slice::<Value>(&bytes).unwrap());
    });
    let (ours_verify, raw_verify, verify_ratio) = paired(
        || {
            let text = wire::decode_text(black_box(&header)).unwrap();
            let p = PaymentPayloadRef::parse(&text).unwrap();
            black_box(verify_local(&p, &requirements, &policy, now).unwrap());
        },
        || {
            black_box(key.verify(black_box(&message), &sig)).unwrap();
        },
    );
    if std::env::var_os("BENCH_PARTS").is_some() {
        let inner = rate(|| {
            black_box(AptosPayment::from_payload(black_box(&view.payload)).unwrap());
        });
        let sig = rate(|| {
            black_box(payment.check_sender_signature()).unwrap();
        });
        let b64 = rate(|| {
            black_box(wire::decode_base64(black_box(&header)).unwrap());
        });
        let text = wire::decode_text(&header).unwrap();
        let json = rate(|| {
            black_box(PaymentPayloadRef::parse(black_box(&text)).unwrap());
        });
        println!(
            "parts: base64 {b64:.0}/s, typed JSON {json:.0}/s, inner decode {inner:.0}/s, sender signature {sig:.0}/s"
        );
    }
    let secs = SECONDS.to_string();
    let node = peer(
        "node",
        &[&format!("{root}/interop/bench.mjs"), &header, &secs],
    );
    let python_bin = format!("{root}/target/bindings-venv/bin/python");
    let python = peer(
        &python_bin,
        &[&format!("{root}/interop/bench.py"), &header, &secs],
    );

    println!(
        "reference Aptos PAYMENT-SIGNATURE ({} bytes), {SECONDS} s per figure; verify and raw \
         ed25519 alternate over 9 rounds (medians, and the median of the round ratios)",
        header.len()
    );
    println!("{:<46} {:>12}", "", "per second");
    let row = |name: &str, v: f64| println!("{name:<46} {v:>12.0}");
    row("computestream-x402 decode", ours_decode);
    row("computestream-x402 decode, owned", owned_decode);
    row(
        "naive serde decode (base64 + serde_json Value)",
        naive_decode,
    );
    if let Some(n) = node {
        row("@x402/core decodePaymentSignatureHeader", n);
    }
    if let Some(p) = python {
        row("x402 (Python) decode_payment_signature_header", p);
    }
    row("computestream-x402 full exact verify", ours_verify);
    row("raw ed25519-dalek verify", raw_verify);
    println!();
    if let Some(n) = node {
        println!(
            "decode vs @x402/core:        {:>6.1}x  (target >= 8x)",
            ours_decode / n
        );
    }
    if let Some(p) = python {
        println!(
            "decode vs Python x402:       {:>6.1}x  (target >= 8x)",
            ours_decode / p
        );
    }
    if let Some(n) = node {
        println!("owned decode vs @x402/core:  {:>6.1}x", owned_decode / n);
    }
    println!(
        "decode vs naive serde:       {:>6.1}x",
        ours_decode / naive_decode
    );
    println!(
        "full verify vs raw ed25519:  {:>6.0}%  (target >= 80%)",
        100.0 * verify_ratio
    );
}
