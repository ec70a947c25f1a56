"""The Python package against the PyPI `x402` package, in one run, printed as ratios
(`scripts/bench-python`). Not a test: figures only.

1. Header decode: a real PAYMENT-SIGNATURE header (a signed `exact` payment), decoded to a
   typed object by the binding (`PaymentSignature.decode`: base64, JSON, the core's struct) and
   by PyPI x402 (`decode_payment_signature_header`: base64, JSON, its pydantic model); the
   binding's full decode (`x402_decode_header`: also the Aptos transaction's BCS, its signature
   checked, JSON out) against the same; and a PAYMENT-RESPONSE (`PaymentResponse.decode` against
   `decode_payment_response_header`). Interleaved rounds, best round of each.
2. Paid round trips through the ASGI gate (FastAPI under uvicorn, a Localnet and its
   facilitator in-process): the same app's free route (the baseline), a paid `exact` route
   paid by our httpx transport, and the same paid route paid by PyPI x402's `x402HttpxClient`
   with our scheme client registered. Reports milliseconds per request and the overhead.
"""

import asyncio
import socket
import statistics
import sys
import threading
import time

import httpx
import uvicorn
from fastapi import FastAPI
from x402 import x402Client
from x402.http import decode_payment_response_header, decode_payment_signature_header
from x402.http.clients import x402HttpxClient as PyPIHttpxClient

import computestream as cs
from computestream.asgi import X402Middleware
from computestream.x402 import ExactAptosScheme, exact_requirements, payment_response, x402HttpxClient

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
PAID = int(sys.argv[2]) if len(sys.argv) > 2 else 40


def rate_of(f, seconds=0.3):
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(64):
            f()
        n += 64
    return n / seconds


def best_of(pairs):
    ours = max(p[0] for p in pairs)
    peer = max(p[1] for p in pairs)
    return ours, peer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def timed(http, url, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r = await http.get(url)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
    return statistics.median(times) * 1000


def main():
    with cs.Localnet() as net:
        usdc = net.create_asset("USDC", 6)
        provider = cs.Client(net.node_url, private_key="0x" + "66" * 32)
        agent = cs.AsyncClient(net.node_url, private_key="0x" + "44" * 32)
        net.fund_account(agent.address, 10**15, usdc)
        app = FastAPI()

        @app.get("/free")
        def free():
            return {"output": "42"}

        @app.get("/paid")
        def paid():
            return {"output": "42"}

        offer = exact_requirements(net.network, usdc, provider.address, 1_000, 60, net.fee_payer)
        app.add_middleware(X402Middleware, routes={"/paid": cs.Gate(net.facilitator_url, [offer], "/paid")})
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        base = f"http://127.0.0.1:{port}"

        payer = cs.Payer(agent, max_per_payment=10**6, max_per_hour=10**12)

        async def run():
            async with x402HttpxClient(payer) as http:
                first = await http.get(f"{base}/paid")
                signature = httpx.get(f"{base}/paid").headers["payment-required"]
                receipt = first.headers["payment-response"]
                assert payment_response(first).success
                await timed(http, f"{base}/free", 20)  # warm-up
                free_ms = await timed(http, f"{base}/free", PAID * 4)
                ours_ms = await timed(http, f"{base}/paid", PAID)
            pypi = x402Client().set_spend_controls(False)
            pypi.register(net.network, ExactAptosScheme(payer))
            async with PyPIHttpxClient(pypi) as http:
                peer_ms = await timed(http, f"{base}/paid", PAID)
            return signature, receipt, free_ms, ours_ms, peer_ms

        challenge, receipt, free_ms, ours_ms, peer_ms = asyncio.run(run())
        seq = cs.Client(net.node_url).now()
        header = cs.x402_pay("0x" + "55" * 32, challenge, 0, seq)
        server.should_exit = True
        thread.join()

    assert decode_payment_signature_header(header).payload["transaction"]
    rounds = [(rate_of(lambda: cs.PaymentSignature.decode(header)), rate_of(lambda: decode_payment_signature_header(header)))
              for _ in range(ROUNDS)]
    ours, peer = best_of(rounds)
    full = [(rate_of(lambda: cs.x402_decode_header(header)), rate_of(lambda: decode_payment_signature_header(header)))
            for _ in range(ROUNDS)]
    ours_full, peer_full = best_of(full)
    receipts = [(rate_of(lambda: cs.PaymentResponse.decode(receipt)), rate_of(lambda: decode_payment_response_header(receipt)))
                for _ in range(ROUNDS)]
    ours_r, peer_r = best_of(receipts)
    print(f"PAYMENT-SIGNATURE decode ({len(header)} chars) to a typed object: binding PaymentSignature.decode "
          f"{ours:,.0f}/s, PyPI x402 decode_payment_signature_header {peer:,.0f}/s, ratio {ours / peer:.2f}x")
    print(f"PAYMENT-SIGNATURE full decode: binding x402_decode_header (also the Aptos transaction's BCS, its "
          f"signature checked, JSON out) {ours_full:,.0f}/s, PyPI x402 {peer_full:,.0f}/s, ratio {ours_full / peer_full:.2f}x")
    print(f"PAYMENT-RESPONSE decode ({len(receipt)} chars): binding {ours_r:,.0f}/s, PyPI x402 {peer_r:,.0f}/s, "
          f"ratio {ours_r / peer_r:.2f}x")
    print(f"round trip, free route: {free_ms:.2f} ms (median of {PAID * 4})")
    print(f"round trip, paid exact, our transport: {ours_ms:.2f} ms (median of {PAID}), "
          f"overhead {ours_ms - free_ms:.2f} ms per request (402, sign, verify, settle on the localnet, receipt)")
    print(f"round trip, paid exact, PyPI x402Client + our scheme: {peer_ms:.2f} ms, "
          f"ours/PyPI time ratio {ours_ms / peer_ms:.2f}")


if __name__ == "__main__":
    main()
