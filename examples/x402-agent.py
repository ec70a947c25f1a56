"""An AI agent that pays for GPU work over x402 with the `computestream` Python package.

    python examples/x402-agent.py NODE_URL RESOURCE_URL PRIVATE_KEY [MAX_AMOUNT] [RENT_SECONDS]

GET the resource through an httpx transport that answers the 402 itself: it refuses offers
above MAX_AMOUNT base units (the spending policy), signs the payment (sequence number and chain
time come from the node) and retries. An `exact` offer buys the call. A `stream` offer rents
the GPU: the payment escrows at most MAX_AMOUNT and opens a stream the provider is paid from
every second; the agent watches it for RENT_SECONDS, then closes it, so the provider keeps
what accrued and the rest comes back. Prints one JSON line per step.
"""

import json
import sys
import time

import httpx

import computestream as cs
from computestream.x402 import payment_response, payment_sent, x402Transport

node, url, key = sys.argv[1:4]
max_amount = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000
rent_seconds = int(sys.argv[5]) if len(sys.argv) > 5 else 3

client = cs.Client(node, private_key=key)
payer = cs.Payer(client, max_per_payment=max_amount, max_per_hour=10 * max_amount,
                 docker_image="pytorch/pytorch:2.4")
with httpx.Client(transport=x402Transport(payer), timeout=30) as http:
    r = http.get(url)
receipt, payment = payment_response(r), payment_sent(r)
print(json.dumps({"status": r.status_code, "scheme": payment.scheme, "amount": payment.amount,
                  "receipt": {"success": receipt.success, "transaction": receipt.transaction,
                              "job": receipt.job},
                  "result": r.json(), "payment": payment.value}), flush=True)

if payment.scheme == "stream":  # the rental: watch the stream accrue, then close it
    buyer, job_id = receipt.job.split("/")
    for _ in range(rent_seconds):
        time.sleep(1)
        stream, now = client.get_stream(buyer, int(job_id)), client.now()
        print(json.dumps({"job": receipt.job, "owed": stream.owed(now),
                          "accruing": stream.is_accruing(now)}), flush=True)
    closed = client.close_stream(buyer, int(job_id))
    s = client.get_stream(buyer, int(job_id))
    print(json.dumps({"job": receipt.job, "closed_by": closed.hash, "stream": {
        "is_closed": s.is_closed, "rate_per_second": s.rate_per_second, "deposited": s.deposited,
        "paid": s.paid, "window_start": s.window_start, "closed_at": s.closed_at,
        "excluded_seconds": s.excluded_seconds, "owed_at_close": s.owed(s.closed_at),
        "refundable_at_close": s.refundable(s.closed_at),
        "accruing_at_close": s.is_accruing(s.closed_at)}}), flush=True)
