"""Prints decodes per second of a PAYMENT-SIGNATURE header with PyPI x402: `python bench.py HEADER SECONDS`."""
import sys
import time

from x402.http import decode_payment_signature_header

header, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
n = 0
end = time.perf_counter() + seconds
while time.perf_counter() < end:
    for _ in range(256):
        decode_payment_signature_header(header)
    n += 256
print(n / seconds)
