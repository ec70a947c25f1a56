"""ComputeStream core for Python: stream math, amounts and the contract ABI.

Amounts are base units; rates are nano-units (1e-9 base unit) per second, as the contracts
store them. Errors raise ValueError with the core's message.
"""

from typing import Literal, Optional

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
