"""An AI agent that pays for GPU work over x402 with the `computestream` Python binding.

    python examples/x402-agent.py NODE_URL RESOURCE_URL PRIVATE_KEY [MAX_AMOUNT] [RENT_SECONDS]

GET the resource; on 402, read the PAYMENT-REQUIRED challenge, refuse offers above MAX_AMOUNT
base units, sign the payment (the account's sequence number and the chain time come from the
node) and retry with PAYMENT-SIGNATURE. An `exact` offer buys the call. A `stream` offer rents
the GPU: the payment escrows MAX_AMOUNT at most and opens a stream the provider is paid from
every second; the agent watches it for RENT_SECONDS (`stream_snapshot`), then closes it
itself (`sign_call`), so the provider keeps what accrued and the rest comes back. Prints one
JSON line per step. Only the standard library besides the binding.
"""

import json
import sys
import time
import urllib.error
import urllib.request

import computestream as cs


def call(url, body=None, headers=None, method=None):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    headers = dict(headers or {})
    if data is not None:
        headers.setdefault("content-type", "application/json")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def node_json(node, path, body=None, headers=None):
    status, _, data = call(f"{node}{path}", body, headers)
    if status >= 300:
        sys.exit(f"{path}: HTTP {status}: {data[:300]!r}")
    return json.loads(data)


def submit(node, key, function_call, contract):
    """Signs a contract call with the binding, submits its BCS and waits for it."""
    me = cs.address_of(key)
    info = node_json(node, "")
    seq = int(node_json(node, f"/accounts/{me}")["sequence_number"])
    expires = int(info["ledger_timestamp"]) // 1_000_000 + 60
    signed = cs.sign_call(key, json.dumps(function_call), seq, info["chain_id"], expires, contract)
    node_json(node, "/transactions", signed, {"content-type": "application/x.aptos.signed_transaction+bcs"})
    done = node_json(node, f"/transactions/wait_by_hash/{cs.transaction_hash(signed)}")
    if not done["success"]:
        sys.exit(f"{function_call['function']}: {done['vm_status']}")
    return done["hash"]


def get_stream(node, contract, payer, job_id):
    return node_json(node, "/view", {"function": f"{contract}::payment_stream::get_stream",
                                     "type_arguments": [], "arguments": [payer, job_id]})[0]


def chain_seconds(node):
    return int(node_json(node, "")["ledger_timestamp"]) // 1_000_000


def main():
    node, url, key = sys.argv[1:4]
    max_amount = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000
    rent_seconds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    status, headers, body = call(url)
    if status != 402:
        sys.exit(f"expected 402, got {status}: {body[:200]!r}")
    challenge = headers["PAYMENT-REQUIRED"]
    offer = json.loads(cs.x402_decode_header(challenge))["header"]["accepts"][0]
    if int(offer["amount"]) > max_amount:
        sys.exit(f"refusing to pay {offer['amount']} (cap {max_amount})")

    me = cs.address_of(key)
    sequence_number = int(node_json(node, f"/accounts/{me}")["sequence_number"])
    payment = cs.x402_pay(key, challenge, sequence_number, chain_seconds(node),
                          docker_image="pytorch/pytorch:2.4")
    status, headers, body = call(url, headers={"PAYMENT-SIGNATURE": payment})
    receipt = json.loads(cs.x402_decode_header(headers["PAYMENT-RESPONSE"]))["header"]
    result = json.loads(body)
    print(json.dumps({"status": status, "scheme": offer["scheme"], "amount": offer["amount"],
                      "receipt": receipt, "result": result, "payment": payment}), flush=True)
    if status != 200 or not receipt["success"]:
        sys.exit(1)
    if offer["scheme"] != "stream":
        return

    # The rental: watch the stream accrue, then close it.
    contract = offer["extra"]["contract"]
    payer, job_id = result["job"].split("/")
    for _ in range(rent_seconds):
        time.sleep(1)
        stream = get_stream(node, contract, payer, job_id)
        snapshot = json.loads(cs.stream_snapshot(json.dumps(stream), chain_seconds(node)))
        print(json.dumps({"job": result["job"], **snapshot}), flush=True)
    closed_by = submit(node, key, {"function": "close_stream", "payer": payer, "job_id": job_id}, contract)
    stream = get_stream(node, contract, payer, job_id)
    print(json.dumps({"job": result["job"], "closed_by": closed_by, "stream": stream}), flush=True)


if __name__ == "__main__":
    main()
