"""ComputeStream for Python: per-second GPU rental on Movement.

- `AsyncClient` / `Client`: every Move entry function and view of the contracts as a method
  (Move names and argument names), typed results, sequence numbers and commits handled.
- `Localnet`: the embedded ledger served in-process, with a facilitator (for tests).
- `computestream.x402`: httpx transports that pay 402s under a spending policy, and a scheme
  client for the PyPI `x402` package. `computestream.asgi`: the ASGI gate for providers.
- `computestream.raw`: the pure functions over JSON (also importable from here).

Every error is a `ComputeStreamError` with a stable `code`.
"""

from ._native import (
    AbortError,
    AsyncClient,
    Client,
    ComputeStreamError,
    Escrow,
    EscrowError,
    FungibleAssetError,
    Gate,
    GateDecision,
    InvalidInput,
    Job,
    JobRegistryError,
    Localnet,
    NodeError,
    Payer,
    Payment,
    PaymentRejected,
    PaymentRequired,
    PaymentResponse,
    PaymentSignature,
    PaymentStreamError,
    Provider,
    ProviderRegistryError,
    SpendingLimitExceeded,
    Stream,
    Transaction,
)
from .raw import (  # the pure functions, as before
    abort_name,
    address_of,
    decode_call,
    encode_call,
    format_amount,
    parse_amount,
    rate,
    seconds_to_deplete,
    sign_call,
    stream_owed,
    stream_snapshot,
    transaction_hash,
    version,
    x402_decode_header,
    x402_encode_header,
    x402_exact_requirements,
    x402_pay,
    x402_stream_requirements,
    x402_verify,
)

NATIVE_ASSET = "0xa"
"""The native coin's fungible-asset metadata address (MOVE on Movement, APT on Aptos)."""

__all__ = [
    "NATIVE_ASSET",
    "AbortError",
    "AsyncClient",
    "Client",
    "ComputeStreamError",
    "Escrow",
    "EscrowError",
    "FungibleAssetError",
    "Gate",
    "GateDecision",
    "InvalidInput",
    "Job",
    "JobRegistryError",
    "Localnet",
    "NodeError",
    "Payer",
    "Payment",
    "PaymentRejected",
    "PaymentRequired",
    "PaymentResponse",
    "PaymentSignature",
    "PaymentStreamError",
    "Provider",
    "ProviderRegistryError",
    "SpendingLimitExceeded",
    "Stream",
    "Transaction",
    "abort_name",
    "address_of",
    "decode_call",
    "encode_call",
    "format_amount",
    "parse_amount",
    "rate",
    "seconds_to_deplete",
    "sign_call",
    "stream_owed",
    "stream_snapshot",
    "transaction_hash",
    "version",
    "x402_decode_header",
    "x402_encode_header",
    "x402_exact_requirements",
    "x402_pay",
    "x402_stream_requirements",
    "x402_verify",
]
