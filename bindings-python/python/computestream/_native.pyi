"""ComputeStream core for Python: stream math, amounts, the contract ABI, and x402 payments
(pay a `PAYMENT-REQUIRED` challenge, verify a `PAYMENT-SIGNATURE`, build requirements).

Amounts are base units; rates are nano-units (1e-9 base unit) per second, as the contracts
store them. Errors raise ComputeStreamError (a ValueError) with the core's message and its
stable `code`; arguments of the wrong type or out of range raise Python's own TypeError or
OverflowError before the core is called.
"""

from typing import Awaitable, Literal, Optional, Sequence, final

__all__ = [
    "ComputeStreamError",
    "InvalidInput",
    "AbortError",
    "ProviderRegistryError",
    "JobRegistryError",
    "EscrowError",
    "PaymentStreamError",
    "FungibleAssetError",
    "NodeError",
    "PaymentRequired",
    "SpendingLimitExceeded",
    "PaymentRejected",
    "AsyncClient",
    "Client",
    "Localnet",
    "Stream",
    "Provider",
    "Job",
    "Escrow",
    "Transaction",
    "Payer",
    "Payment",
    "PaymentResponse",
    "PaymentSignature",
    "Gate",
    "GateDecision",
    "version",
    "parse_amount",
    "format_amount",
    "rate",
    "stream_owed",
    "seconds_to_deplete",
    "stream_snapshot",
    "encode_call",
    "decode_call",
    "abort_name",
    "sign_call",
    "transaction_hash",
    "address_of",
    "x402_decode_header",
    "x402_encode_header",
    "x402_pay",
    "x402_verify",
    "x402_exact_requirements",
    "x402_stream_requirements",
]

_JobStatus = Literal["pending", "running", "completed", "failed", "cancelled"]

class ComputeStreamError(ValueError):
    """Every error the core raises. `code` is its stable name, the same in every language
    (INVALID_INPUT, INVALID_BASE64, INVALID_JSON, UNSUPPORTED_VERSION, ...); `abort_name` is
    the Move abort's name (E_STREAM_NOT_FOUND) when a contract aborted, else None."""
    code: str
    abort_name: Optional[str]


class InvalidInput(ComputeStreamError):
    """Arguments out of range or malformed, or input that does not decode."""

class AbortError(ComputeStreamError):
    """A contract aborted. `code` is "ABORT"; `abort_code` the number, `name` (== `abort_name`)
    the Move constant (E_STREAM_NOT_FOUND), `module` the aborting module."""
    module: str
    abort_code: int
    name: str

class ProviderRegistryError(AbortError): ...
class JobRegistryError(AbortError): ...
class EscrowError(AbortError): ...
class PaymentStreamError(AbortError): ...
class FungibleAssetError(AbortError):
    """`0x1::fungible_asset` aborted: an insufficient balance."""

class NodeError(ComputeStreamError):
    """The node refused (REJECTED, EXECUTION_FAILED), failed or was unreachable (TRANSPORT)."""
    error_code: Optional[str]
    retryable: bool
    status: Optional[int]

class PaymentRequired(ComputeStreamError):
    """A 402 this client cannot answer (INVALID_CHALLENGE, UNSUPPORTED_SCHEME_OR_NETWORK)."""

class SpendingLimitExceeded(PaymentRequired):
    """The spending policy refused (PAYMENT_NOT_ALLOWED, BUDGET_EXCEEDED); nothing was signed."""

class PaymentRejected(ComputeStreamError):
    """The server refused the payment (PAYMENT_REFUSED)."""
    invalid_reason: str
    invalid_message: Optional[str]
    """What the server said beside the reason (e.g. the Move abort behind a failed simulation)."""


@final
class Stream:
    """`payment_stream::get_stream`. Amounts are base units, `rate_per_second` a nano-rate."""
    @property
    def payer(self) -> str: ...
    @property
    def job_id(self) -> int: ...
    @property
    def payee(self) -> str: ...
    @property
    def asset(self) -> str: ...
    @property
    def rate_per_second(self) -> int: ...
    @property
    def opened_at(self) -> int: ...
    @property
    def window_start(self) -> int: ...
    @property
    def window_end(self) -> int: ...
    @property
    def is_paused(self) -> bool: ...
    @property
    def paused_at(self) -> int: ...
    @property
    def excluded_seconds(self) -> int: ...
    @property
    def is_closed(self) -> bool: ...
    @property
    def closed_at(self) -> int: ...
    @property
    def deposited(self) -> int: ...
    @property
    def paid(self) -> int: ...
    @property
    def job(self) -> str:
        """`0x<payer>/<job id>`, the COMPUTESTREAM-JOB header's value."""
    def owed(self, now: int) -> int:
        """Owed in total at chain time `now` (paid or not)."""
    def claimable(self, now: int) -> int:
        """What a settlement at `now` would pay."""
    def refundable(self, now: int) -> int:
        """What a close at `now` would refund."""
    def seconds_to_deplete(self, now: int) -> Optional[int]:
        """Seconds from `now` until the deposit is fully owed; None if never."""
    def is_paying(self, now: int) -> bool:
        """Open, not paused, window not over, funds left."""
    def is_accruing(self, now: int) -> bool:
        """Paying and its window has started."""

@final
class Provider:
    """`provider_registry::get_provider`."""
    @property
    def provider(self) -> str: ...
    @property
    def gpu_type(self) -> str: ...
    @property
    def vram_gb(self) -> int: ...
    @property
    def price_per_second(self) -> int: ...
    @property
    def stake(self) -> int: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def active_jobs(self) -> int: ...
    @property
    def registered_at(self) -> int: ...
    @property
    def endpoint(self) -> str: ...

@final
class Job:
    """`job_registry::get_job`."""
    @property
    def buyer(self) -> str: ...
    @property
    def job_id(self) -> int: ...
    @property
    def provider(self) -> str: ...
    @property
    def docker_image(self) -> str: ...
    @property
    def escrow_amount(self) -> int: ...
    @property
    def max_duration(self) -> int: ...
    @property
    def status(self) -> _JobStatus: ...
    @property
    def created_at(self) -> int: ...
    @property
    def started_at(self) -> int: ...
    @property
    def ended_at(self) -> int: ...
    @property
    def output_url(self) -> str: ...

@final
class Escrow:
    """`escrow::get_escrow`; `held == deposited - paid - refunded`."""
    @property
    def payer(self) -> str: ...
    @property
    def job_id(self) -> int: ...
    @property
    def payee(self) -> str: ...
    @property
    def asset(self) -> str: ...
    @property
    def deposited(self) -> int: ...
    @property
    def paid(self) -> int: ...
    @property
    def refunded(self) -> int: ...
    @property
    def held(self) -> int: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def has_stream(self) -> bool: ...

@final
class Transaction:
    """A committed transaction; `job_id` is the job a `rent` or `create_job` created."""
    @property
    def hash(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def sender(self) -> str: ...
    @property
    def sequence_number(self) -> int: ...
    @property
    def success(self) -> bool: ...
    @property
    def vm_status(self) -> str: ...
    @property
    def timestamp_usecs(self) -> int: ...
    @property
    def job_id(self) -> Optional[int]: ...

@final
class AsyncClient:
    """The contracts at `contract` (default the embedded ledger's 0xcafe) through the node at
    `node_url`, signing as `private_key` (hex or AIP-80). Every method returns an awaitable."""
    def __new__(cls, node_url: str, private_key: Optional[str] = None, contract: Optional[str] = None) -> AsyncClient: ...
    @property
    def address(self) -> Optional[str]: ...
    @property
    def contract(self) -> str: ...
    @property
    def node_url(self) -> str: ...
    def now(self) -> Awaitable[int]:
        """The chain's time, seconds."""
    def balance(self, owner: str, asset: str = "0xa") -> Awaitable[int]:
        """`owner`'s balance of `asset`, base units."""
    def transfer(self, to: str, amount: int, asset: str = "0xa") -> Awaitable[Transaction]:
        """Sends `amount` of `asset` to `to`."""
    def calculate_current_amount(self, payer: str, job_id: int) -> Awaitable[int]:
        """What a settlement would pay now (aborts `E_STREAM_NOT_FOUND`)."""
    def cancel_job(self, job_id: int) -> Awaitable[Transaction]:
        """The buyer cancels a pending job."""
    def close_stream(self, payer: str, job_id: int) -> Awaitable[Transaction]:
        """The payer or the payee settles and closes the stream; the rest goes back to the payer."""
    def complete_job(self, buyer: str, job_id: int, output_url: str) -> Awaitable[Transaction]:
        """The provider completes a running job."""
    def create_job(self, provider: str, docker_image: str, escrow_amount: int, max_duration: int) -> Awaitable[Transaction]:
        """Creates a pending job for `provider`, funded by the sender."""
    def depletion_time(self, payer: str, job_id: int) -> Awaitable[int]:
        """When the escrow will be fully owed; `u64::MAX` if never under the current state (aborts `E_STREAM_NOT_FOUND`)."""
    def deposit_escrow(self, job_id: int, provider: str, asset: str, amount: int) -> Awaitable[Transaction]:
        """The buyer escrows `amount` of `asset` for one of its jobs."""
    def deregister(self) -> Awaitable[Transaction]:
        """Removes the sender's provider record and returns its stake."""
    def fail_job(self, buyer: str, job_id: int) -> Awaitable[Transaction]:
        """The provider fails a running job."""
    def get_escrow(self, payer: str, job_id: int) -> Awaitable[Escrow]:
        """An escrow (aborts `E_ESCROW_NOT_FOUND`)."""
    def get_job(self, buyer: str, job_id: int) -> Awaitable[Job]:
        """A job (aborts `E_JOB_NOT_FOUND`)."""
    def get_job_counter(self, buyer: str) -> Awaitable[int]:
        """How many jobs the buyer has created (its latest job id)."""
    def get_job_duration(self, buyer: str, job_id: int) -> Awaitable[int]:
        """Seconds the job has run, capped at its maximum duration (aborts `E_JOB_NOT_FOUND`)."""
    def get_job_output_url(self, buyer: str, job_id: int) -> Awaitable[str]:
        """The output URL set on completion (aborts `E_JOB_NOT_FOUND`)."""
    def get_job_status(self, buyer: str, job_id: int) -> Awaitable[_JobStatus]:
        """A job's status (aborts `E_JOB_NOT_FOUND`)."""
    def get_provider(self, provider: str) -> Awaitable[Provider]:
        """A provider's record (aborts `E_PROVIDER_NOT_FOUND`)."""
    def get_provider_price(self, provider: str) -> Awaitable[int]:
        """A provider's price (aborts `E_PROVIDER_NOT_FOUND`)."""
    def get_released_amount(self, payer: str, job_id: int) -> Awaitable[int]:
        """Paid to the payee so far (aborts `E_ESCROW_NOT_FOUND`)."""
    def get_remaining_balance(self, payer: str, job_id: int) -> Awaitable[int]:
        """Held by the contract (aborts `E_ESCROW_NOT_FOUND`)."""
    def get_stream(self, payer: str, job_id: int) -> Awaitable[Stream]:
        """A stream and its escrow's totals (aborts `E_STREAM_NOT_FOUND`)."""
    def get_total_streamed(self, payer: str, job_id: int) -> Awaitable[int]:
        """Paid to the payee so far (aborts `E_STREAM_NOT_FOUND`)."""
    def is_escrow_active(self, payer: str, job_id: int) -> Awaitable[bool]:
        """Whether the escrow is still active."""
    def is_job_active(self, buyer: str, job_id: int) -> Awaitable[bool]:
        """Whether the job is running."""
    def is_provider_active(self, provider: str) -> Awaitable[bool]:
        """Registered and accepting jobs."""
    def is_stream_active(self, payer: str, job_id: int) -> Awaitable[bool]:
        """Open, not paused, inside its window and not depleted."""
    def list_providers(self, offset: int, limit: int) -> Awaitable[list[str]]:
        """Registered providers in registration order (deregistration moves the last one into the gap)."""
    def open_stream(self, job_id: int, payee: str, rate_per_second: int) -> Awaitable[Transaction]:
        """The buyer opens a stream from its escrow to the provider at `rate_per_second`."""
    def pause_stream(self, job_id: int) -> Awaitable[Transaction]:
        """The buyer pauses accrual."""
    def process_payment(self, payer: str, job_id: int) -> Awaitable[Transaction]:
        """Anyone pays the payee what the stream owes now (idempotent)."""
    def refund_escrow(self, job_id: int) -> Awaitable[Transaction]:
        """The buyer takes back an escrow that funds no stream, once the job has ended."""
    def register_provider(self, gpu_type: str, vram_gb: int, price_per_second: int, stake_amount: int) -> Awaitable[Transaction]:
        """Registers the sender as a provider and locks `stake_amount` of the native coin."""
    def reject_job(self, buyer: str, job_id: int) -> Awaitable[Transaction]:
        """The provider turns down a pending job (Pending → Cancelled)."""
    def rent(self, provider: str, docker_image: str, asset: str, deposit: int, max_duration: int, max_rate_per_second: int) -> Awaitable[Transaction]:
        """Job, escrow and stream in one transaction, at the provider's current price."""
    def resume_stream(self, job_id: int) -> Awaitable[Transaction]:
        """The buyer resumes accrual."""
    def start_job(self, buyer: str, job_id: int) -> Awaitable[Transaction]:
        """The provider starts a pending job."""
    def top_up(self, payer: str, job_id: int, amount: int) -> Awaitable[Transaction]:
        """Anyone adds `amount` to a stream's escrow (refunds still go to the payer)."""
    def update_availability(self, is_active: bool) -> Awaitable[Transaction]:
        """Opens or closes the sender (a provider) to new jobs."""
    def update_endpoint(self, endpoint: str) -> Awaitable[Transaction]:
        """Publishes the sender's service URL (`http://` or `https://`, at most 256 bytes;"""
    def update_pricing(self, price_per_second: int) -> Awaitable[Transaction]:
        """Sets the sender's price for new streams."""

@final
class Client:
    """`AsyncClient`, blocking (the GIL is released while it waits; share it between threads)."""
    def __new__(cls, node_url: str, private_key: Optional[str] = None, contract: Optional[str] = None) -> Client: ...
    @property
    def address(self) -> Optional[str]: ...
    @property
    def contract(self) -> str: ...
    @property
    def node_url(self) -> str: ...
    def now(self) -> int:
        """The chain's time, seconds."""
    def balance(self, owner: str, asset: str = "0xa") -> int:
        """`owner`'s balance of `asset`, base units."""
    def transfer(self, to: str, amount: int, asset: str = "0xa") -> Transaction:
        """Sends `amount` of `asset` to `to`."""
    def calculate_current_amount(self, payer: str, job_id: int) -> int:
        """What a settlement would pay now (aborts `E_STREAM_NOT_FOUND`)."""
    def cancel_job(self, job_id: int) -> Transaction:
        """The buyer cancels a pending job."""
    def close_stream(self, payer: str, job_id: int) -> Transaction:
        """The payer or the payee settles and closes the stream; the rest goes back to the payer."""
    def complete_job(self, buyer: str, job_id: int, output_url: str) -> Transaction:
        """The provider completes a running job."""
    def create_job(self, provider: str, docker_image: str, escrow_amount: int, max_duration: int) -> Transaction:
        """Creates a pending job for `provider`, funded by the sender."""
    def depletion_time(self, payer: str, job_id: int) -> int:
        """When the escrow will be fully owed; `u64::MAX` if never under the current state (aborts `E_STREAM_NOT_FOUND`)."""
    def deposit_escrow(self, job_id: int, provider: str, asset: str, amount: int) -> Transaction:
        """The buyer escrows `amount` of `asset` for one of its jobs."""
    def deregister(self) -> Transaction:
        """Removes the sender's provider record and returns its stake."""
    def fail_job(self, buyer: str, job_id: int) -> Transaction:
        """The provider fails a running job."""
    def get_escrow(self, payer: str, job_id: int) -> Escrow:
        """An escrow (aborts `E_ESCROW_NOT_FOUND`)."""
    def get_job(self, buyer: str, job_id: int) -> Job:
        """A job (aborts `E_JOB_NOT_FOUND`)."""
    def get_job_counter(self, buyer: str) -> int:
        """How many jobs the buyer has created (its latest job id)."""
    def get_job_duration(self, buyer: str, job_id: int) -> int:
        """Seconds the job has run, capped at its maximum duration (aborts `E_JOB_NOT_FOUND`)."""
    def get_job_output_url(self, buyer: str, job_id: int) -> str:
        """The output URL set on completion (aborts `E_JOB_NOT_FOUND`)."""
    def get_job_status(self, buyer: str, job_id: int) -> _JobStatus:
        """A job's status (aborts `E_JOB_NOT_FOUND`)."""
    def get_provider(self, provider: str) -> Provider:
        """A provider's record (aborts `E_PROVIDER_NOT_FOUND`)."""
    def get_provider_price(self, provider: str) -> int:
        """A provider's price (aborts `E_PROVIDER_NOT_FOUND`)."""
    def get_released_amount(self, payer: str, job_id: int) -> int:
        """Paid to the payee so far (aborts `E_ESCROW_NOT_FOUND`)."""
    def get_remaining_balance(self, payer: str, job_id: int) -> int:
        """Held by the contract (aborts `E_ESCROW_NOT_FOUND`)."""
    def get_stream(self, payer: str, job_id: int) -> Stream:
        """A stream and its escrow's totals (aborts `E_STREAM_NOT_FOUND`)."""
    def get_total_streamed(self, payer: str, job_id: int) -> int:
        """Paid to the payee so far (aborts `E_STREAM_NOT_FOUND`)."""
    def is_escrow_active(self, payer: str, job_id: int) -> bool:
        """Whether the escrow is still active."""
    def is_job_active(self, buyer: str, job_id: int) -> bool:
        """Whether the job is running."""
    def is_provider_active(self, provider: str) -> bool:
        """Registered and accepting jobs."""
    def is_stream_active(self, payer: str, job_id: int) -> bool:
        """Open, not paused, inside its window and not depleted."""
    def list_providers(self, offset: int, limit: int) -> list[str]:
        """Registered providers in registration order (deregistration moves the last one into the gap)."""
    def open_stream(self, job_id: int, payee: str, rate_per_second: int) -> Transaction:
        """The buyer opens a stream from its escrow to the provider at `rate_per_second`."""
    def pause_stream(self, job_id: int) -> Transaction:
        """The buyer pauses accrual."""
    def process_payment(self, payer: str, job_id: int) -> Transaction:
        """Anyone pays the payee what the stream owes now (idempotent)."""
    def refund_escrow(self, job_id: int) -> Transaction:
        """The buyer takes back an escrow that funds no stream, once the job has ended."""
    def register_provider(self, gpu_type: str, vram_gb: int, price_per_second: int, stake_amount: int) -> Transaction:
        """Registers the sender as a provider and locks `stake_amount` of the native coin."""
    def reject_job(self, buyer: str, job_id: int) -> Transaction:
        """The provider turns down a pending job (Pending → Cancelled)."""
    def rent(self, provider: str, docker_image: str, asset: str, deposit: int, max_duration: int, max_rate_per_second: int) -> Transaction:
        """Job, escrow and stream in one transaction, at the provider's current price."""
    def resume_stream(self, job_id: int) -> Transaction:
        """The buyer resumes accrual."""
    def start_job(self, buyer: str, job_id: int) -> Transaction:
        """The provider starts a pending job."""
    def top_up(self, payer: str, job_id: int, amount: int) -> Transaction:
        """Anyone adds `amount` to a stream's escrow (refunds still go to the payer)."""
    def update_availability(self, is_active: bool) -> Transaction:
        """Opens or closes the sender (a provider) to new jobs."""
    def update_endpoint(self, endpoint: str) -> Transaction:
        """Publishes the sender's service URL (`http://` or `https://`, at most 256 bytes;"""
    def update_pricing(self, price_per_second: int) -> Transaction:
        """Sets the sender's price for new streams."""

@final
class Localnet:
    """The embedded ledger served on a free loopback port, with an x402 facilitator beside it.
    `manual_clock=True` freezes chain time (at `start_secs`, default now) until `advance()`."""
    def __new__(cls, manual_clock: bool = False, start_secs: Optional[int] = None) -> Localnet: ...
    @property
    def url(self) -> str: ...
    @property
    def node_url(self) -> str: ...
    @property
    def facilitator_url(self) -> str: ...
    @property
    def fee_payer(self) -> str: ...
    @property
    def network(self) -> str: ...
    @property
    def contract(self) -> str: ...
    def fund_account(self, address: str, amount: int, asset: str = "0xa") -> None:
        """Mints `amount` base units of `asset` to `address`."""
    def create_asset(self, symbol: str, decimals: int) -> str:
        """A test fungible asset (idempotent); its metadata address."""
    def balance(self, address: str, asset: str = "0xa") -> int: ...
    def now(self) -> int: ...
    def advance(self, seconds: int) -> None:
        """Moves a manual clock forward."""
    def close(self) -> None: ...
    def __enter__(self) -> Localnet: ...
    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool: ...

@final
class Payment:
    """A signed payment: send the request again with `header: value`."""
    @property
    def header(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def scheme(self) -> str: ...
    @property
    def network(self) -> str: ...
    @property
    def amount(self) -> int: ...
    @property
    def asset(self) -> str: ...
    @property
    def pay_to(self) -> str: ...

@final
class PaymentResponse:
    """A decoded PAYMENT-RESPONSE; `job` is a stream rental's `0x<payer>/<job id>`."""
    @property
    def success(self) -> bool: ...
    @property
    def transaction(self) -> str: ...
    @property
    def network(self) -> str: ...
    @property
    def payer(self) -> Optional[str]: ...
    @property
    def error_reason(self) -> Optional[str]: ...
    @property
    def amount(self) -> Optional[str]: ...
    @property
    def job(self) -> Optional[str]: ...
    @staticmethod
    def decode(header: str) -> PaymentResponse: ...

@final
class PaymentSignature:
    """A decoded PAYMENT-SIGNATURE (x402 v2 PaymentPayload)."""
    @staticmethod
    def decode(header: str) -> PaymentSignature: ...
    @property
    def x402_version(self) -> int: ...
    @property
    def scheme(self) -> str: ...
    @property
    def network(self) -> str: ...
    @property
    def amount(self) -> str: ...
    @property
    def asset(self) -> str: ...
    @property
    def pay_to(self) -> str: ...
    @property
    def resource(self) -> Optional[str]: ...
    @property
    def transaction(self) -> Optional[str]: ...

@final
class Payer:
    """Answers 402s as `client`'s account under a spending policy (base units; empty
    `networks`/`assets`: any)."""
    def __new__(cls, client: AsyncClient | Client, max_per_payment: int, max_per_hour: int,
                 networks: Optional[Sequence[str]] = None, assets: Optional[Sequence[str]] = None,
                 schemes: Optional[Sequence[str]] = None, docker_image: str = "") -> Payer: ...
    @property
    def address(self) -> str: ...
    def spent_last_hour(self) -> int: ...
    def answer(self, payment_required: Optional[str], body: bytes = ...) -> Awaitable[Payment]: ...
    def answer_sync(self, payment_required: Optional[str], body: bytes = ...) -> Payment: ...
    def sign_requirements(self, requirements: str) -> str:
        """The scheme payload (JSON) for one PaymentRequirements (JSON), under the policy; books the spend."""
    def conclude(self, payment: Payment, status: int, payment_response: Optional[str] = None,
                 payment_required: Optional[str] = None, body: bytes = ...) -> Optional[PaymentResponse]: ...

@final
class GateDecision:
    """`respond`: send `status`, `headers`, `body` instead of the handler; else proceed
    (`job`: a stream's job), then add `headers` from `Gate.finish`."""
    @property
    def respond(self) -> bool: ...
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def job(self) -> Optional[str]: ...

@final
class Gate:
    """The x402 gate for one resource; `accepts` are PaymentRequirements JSON."""
    def __new__(cls, facilitator_url: str, accepts: Sequence[str], resource: str,
                 description: Optional[str] = None, mime_type: Optional[str] = None,
                 node_url: Optional[str] = None, contract: Optional[str] = None) -> Gate: ...
    def begin(self, headers: Sequence[tuple[str, str]]) -> Awaitable[GateDecision]: ...
    def finish(self, decision: GateDecision, handler_succeeded: bool) -> Awaitable[GateDecision]: ...

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
