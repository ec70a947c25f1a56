"""Decodes and validates ComputeStream's x402 headers with the reference Python SDK (PyPI
x402), then re-encodes them with it: `python check.py ours.json > py.json`."""
import json
import sys

from x402.http import (
    decode_payment_required_header, decode_payment_response_header,
    decode_payment_signature_header, encode_payment_required_header,
    encode_payment_response_header, encode_payment_signature_header,
)
from x402.schemas import PaymentPayload, PaymentPayloadV1, PaymentRequired, SettleResponse


def fail(msg):
    print(f"x402 (Python): {msg}", file=sys.stderr)
    sys.exit(1)


ours = json.load(open(sys.argv[1]))
out = {}

required = decode_payment_required_header(ours["payment_required"])
if not isinstance(required, PaymentRequired) or len(required.accepts) != 2:
    fail(f"payment_required decoded as {type(required).__name__}")
out["payment_required"] = encode_payment_required_header(required)

for key in ("payment_signature", "payment_signature_stream"):
    p = decode_payment_signature_header(ours[key])
    if not isinstance(p, PaymentPayload):
        fail(f"{key} decoded as {type(p).__name__}")
    out[key] = encode_payment_signature_header(p)

v1 = decode_payment_signature_header(ours["x_payment_v1"])
if not isinstance(v1, PaymentPayloadV1):
    fail(f"x_payment_v1 decoded as {type(v1).__name__}")
out["x_payment_v1"] = encode_payment_signature_header(v1)

receipt = decode_payment_response_header(ours["payment_response"])
if not isinstance(receipt, SettleResponse) or not receipt.success:
    fail("payment_response")
out["payment_response"] = encode_payment_response_header(receipt)

json.dump(out, sys.stdout)
print(f"x402 (Python): {len(out)} headers decoded, validated and re-encoded", file=sys.stderr)
