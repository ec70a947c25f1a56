"""ComputeStream core for Python: stream math, amounts, the contract ABI, and x402 payments
(pay a `PAYMENT-REQUIRED` challenge, verify a `PAYMENT-SIGNATURE`, build requirements).

Amounts are base units; rates are nano-units (1e-9 base unit) per second, as the contracts
store them. Errors raise ComputeStreamError (a ValueError) with the core's message and its
stable `code`; arguments of the wrong type or out of range raise Python's own TypeError or
OverflowError before the core is called.
"""

from typing import Literal, Optional

class ComputeStreamError(ValueError):
    """Every error the core raises. `code` is its stable name, the same in every language
    (INVALID_INPUT, INVALID_BASE64, INVALID_JSON, UNSUPPORTED_VERSION, ...); `abort_name` is
    the Move abort's name (E_STREAM_NOT_FOUND) when a contract aborted, else None."""
    code: str
    abort_name: Optional[str]


def version() -> str: ...
def parse_amount(text: str, decimals: int) -> int:
    """`parse_amount("7.2", 6) == 7_200_000`."""
def format_amount(units: int, decimals: int) -> str:
    """`format_amount(7_200_000, 6) == "7.2"`."""
def rate(units: int, per: Literal["second", "minute", "hour"] = "hour") -> int:
    """Nano-rate for `units` base units per second, minute or hour."""
def stream_owed(deposited: int, rate_per_second: int, active_seconds: int) -> int:
    """Owed after `active_seconds`, floored, capped at `deposited`."""
def seconds_to_deplete(deposited: int, rate_per_second: int) -> Optional[int]:
    """Active seconds until the deposit is fully owed; None if never."""
def stream_snapshot(stream_json: str, now: int) -> str:
    """JSON {owed, claimable, refundable, depletion_time, accruing} of a `get_stream` record at `now`."""
def encode_call(call_json: str, contract: Optional[str] = None) -> bytes:
    """BCS of the entry function for a call such as {"function": "rent", ...}."""
def decode_call(bcs: bytes, contract: Optional[str] = None) -> str:
    """JSON of an entry function's BCS; inverse of encode_call."""
def abort_name(module: str, code: int) -> Optional[str]:
    """Name of an abort code raised in `module`, e.g. abort_name("payment_stream", 37)."""
def sign_call(private_key: str, call_json: str, sequence_number: int, chain_id: int,
              expiration_secs: int, contract: Optional[str] = None) -> bytes:
    """BCS of the signed transaction for a contract call (the JSON encode_call takes), for
    POST /v1/transactions (content type application/x.aptos.signed_transaction+bcs).
    `expiration_secs` is chain time; gas is 200_000 units at 100."""
def transaction_hash(signed: bytes) -> str:
    """Hash (0x + 64 hex) of a signed transaction's BCS, as the node names it."""
def address_of(private_key: str) -> str:
    """Account address (0x + 64 hex) of an Ed25519 private key."""
def x402_decode_header(header: str) -> str:
    """JSON {"kind": "payment"|"payment-required"|"payment-response", "header": {...},
    "aptos_transaction"?: {... "signature_valid": bool}} of any x402 header."""
def x402_encode_header(json: str) -> str:
    """The header (standard base64 of compact JSON) of an x402 object given as JSON."""
def x402_pay(private_key: str, payment_required: str, sequence_number: int, now: int,
             accept: int = 0, docker_image: str = "") -> str:
    """Signs a payment for the `accept`-th way a PAYMENT-REQUIRED header offers (exact: a
    transfer; stream: payment_stream::rent running `docker_image`), with the account's next
    `sequence_number`, expiring maxTimeoutSeconds after `now` (chain seconds). Returns the
    PAYMENT-SIGNATURE header; the server's facilitator submits it."""
def x402_verify(header: str, requirements_json: str, fee_payers: list[str], now: int) -> str:
    """Every local rule (signature, chain id, gas caps, expiry, function and arguments against
    the requirements) on a payment header. Returns VerifyResponse JSON {"isValid",
    "invalidReason"?, "invalidMessage"?, "payer"?, "extra"?: {"amount", "asset", "digest",
    "expires"}}; raises ComputeStreamError only for input that does not decode. A header stays valid
    until it expires: serve a payment once by remembering `digest` until `expires`."""
def x402_exact_requirements(network: str, asset: str, pay_to: str, amount: int,
                            max_timeout_seconds: int, fee_payer: Optional[str] = None) -> str:
    """`exact` PaymentRequirements JSON; `fee_payer` sponsors gas."""
def x402_stream_requirements(network: str, contract: str, provider: str, asset: str,
                             rate_per_second: int, max_duration_seconds: int,
                             max_timeout_seconds: int, fee_payer: Optional[str] = None) -> str:
    """`stream` PaymentRequirements JSON; the deposit (amount) is the nano-rate over the
    duration, rounded up."""
