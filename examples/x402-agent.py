"""An AI agent that pays for a GPU call over x402 with the `computestream` Python binding.

    python examples/x402-agent.py NODE_URL RESOURCE_URL PRIVATE_KEY [MAX_PRICE]

GET the resource; on 402, read the PAYMENT-REQUIRED challenge, refuse offers above MAX_PRICE
base units, sign the payment (the account's sequence number and the chain time come from the
node), retry with PAYMENT-SIGNATURE, and print the result with the PAYMENT-RESPONSE receipt as
one JSON line. Only the standard library besides the binding.
"""

import json
import sys
import urllib.error
import urllib.request

import computestream as cs


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def main():
    node, url, key = sys.argv[1:4]
    max_price = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000
    status, headers, body = get(url)
    if status != 402:
        sys.exit(f"expected 402, got {status}: {body[:200]!r}")
    challenge = headers["PAYMENT-REQUIRED"]
    offer = json.loads(cs.x402_decode_header(challenge))["header"]["accepts"][0]
    if int(offer["amount"]) > max_price:
        sys.exit(f"refusing to pay {offer['amount']} (cap {max_price})")

    me = cs.address_of(key)
    sequence_number = int(json.loads(get(f"{node}/accounts/{me}")[2])["sequence_number"])
    now = int(json.loads(get(node)[2])["ledger_timestamp"]) // 1_000_000
    payment = cs.x402_pay(key, challenge, sequence_number, now)

    status, headers, body = get(url, {"PAYMENT-SIGNATURE": payment})
    receipt = json.loads(cs.x402_decode_header(headers["PAYMENT-RESPONSE"]))["header"]
    print(json.dumps({"status": status, "paid": offer["amount"], "receipt": receipt,
                      "result": json.loads(body), "payment": payment}))
    if status != 200 or not receipt["success"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
