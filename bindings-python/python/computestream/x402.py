"""x402 for agents: httpx transports that answer a 402 by themselves.

The transports mirror the PyPI `x402` package's httpx integration (`x402AsyncTransport`,
`x402HttpxClient`), driven by the core's transport-neutral payer (`computestream.Payer`):
it reads the challenge, applies the spending policy, takes the sequence number and chain
time from the node, signs `exact` (a transfer) or `stream` (a rental) and, after the paid
request, books the spend or raises `PaymentRejected`. The receipt (`PAYMENT-RESPONSE`:
transaction, and for `stream` the rented job) is on the response:
`payment_response(response)`.

    payer = Payer(Client(node_url, private_key=key), max_per_payment=10_000, max_per_hour=100_000)
    with httpx.Client(transport=x402Transport(payer)) as http:
        r = http.get(url)
        receipt = payment_response(r)
"""

from __future__ import annotations

from typing import Any, Optional

import json

import httpx

from ._native import Payer, Payment, PaymentResponse, PaymentSignature
from .raw import x402_exact_requirements as exact_requirements
from .raw import x402_stream_requirements as stream_requirements

JOB_HEADER = "COMPUTESTREAM-JOB"
"""Later requests of a `stream` rental carry the job (`PaymentResponse.job`) in this header."""

_RECEIPT = "x402_payment_response"
_PAYMENT = "x402_payment"

__all__ = [
    "ExactAptosScheme",
    "JOB_HEADER",
    "StreamAptosScheme",
    "Payer",
    "Payment",
    "PaymentResponse",
    "PaymentSignature",
    "exact_requirements",
    "payment_response",
    "payment_sent",
    "stream_requirements",
    "x402AsyncTransport",
    "x402HttpxClient",
    "x402HttpxSyncClient",
    "x402Transport",
]


def payment_response(response: httpx.Response) -> Optional[PaymentResponse]:
    """The decoded `PAYMENT-RESPONSE` of a response the transport paid for (or any response
    carrying the header), else None."""
    receipt = response.extensions.get(_RECEIPT)
    if isinstance(receipt, PaymentResponse):
        return receipt
    header = _receipt_header(response)
    return PaymentResponse.decode(header) if header else None


def payment_sent(response: httpx.Response) -> Optional[Payment]:
    """The payment the transport sent for this response, if it paid."""
    payment = response.extensions.get(_PAYMENT)
    return payment if isinstance(payment, Payment) else None


def _receipt_header(response: httpx.Response) -> Optional[str]:
    header: Optional[str] = response.headers.get("payment-response")
    return header or response.headers.get("x-payment-response")


def _retry(request: httpx.Request, payment: Payment) -> httpx.Request:
    headers = httpx.Headers(request.headers)
    headers[payment.header] = payment.value
    return httpx.Request(request.method, request.url, headers=headers, content=request.content,
                         extensions=request.extensions)


def _finish(payer: Payer, payment: Payment, paid: httpx.Response) -> httpx.Response:
    receipt = payer.conclude(payment, paid.status_code, _receipt_header(paid),
                             paid.headers.get("payment-required"), paid.content)
    paid.extensions = {**paid.extensions, _RECEIPT: receipt, _PAYMENT: payment}
    return paid


class x402Transport(httpx.BaseTransport):
    """A sync httpx transport that pays a 402 through `payer` and retries once."""

    def __init__(self, payer: Payer, transport: Optional[httpx.BaseTransport] = None) -> None:
        self.payer = payer
        self._transport = transport or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self._transport.handle_request(request)
        if response.status_code != 402:
            return response
        body = response.read()
        response.close()
        payment = self.payer.answer_sync(response.headers.get("payment-required"), body)
        paid = self._transport.handle_request(_retry(request, payment))
        paid.read()
        return _finish(self.payer, payment, paid)

    def close(self) -> None:
        self._transport.close()


class x402AsyncTransport(httpx.AsyncBaseTransport):
    """An asyncio httpx transport that pays a 402 through `payer` and retries once."""

    def __init__(self, payer: Payer, transport: Optional[httpx.AsyncBaseTransport] = None) -> None:
        self.payer = payer
        self._transport = transport or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self._transport.handle_async_request(request)
        if response.status_code != 402:
            return response
        body = await response.aread()
        await response.aclose()
        payment = await self.payer.answer(response.headers.get("payment-required"), body)
        paid = await self._transport.handle_async_request(_retry(request, payment))
        await paid.aread()
        return _finish(self.payer, payment, paid)

    async def aclose(self) -> None:
        await self._transport.aclose()


class x402HttpxClient(httpx.AsyncClient):
    """`httpx.AsyncClient` paying 402s through `payer` (other arguments go to httpx)."""

    def __init__(self, payer: Payer, **kwargs: Any) -> None:
        super().__init__(transport=x402AsyncTransport(payer), **kwargs)


class x402HttpxSyncClient(httpx.Client):
    """`httpx.Client` paying 402s through `payer` (other arguments go to httpx)."""

    def __init__(self, payer: Payer, **kwargs: Any) -> None:
        super().__init__(transport=x402Transport(payer), **kwargs)


class _AptosScheme:
    """A scheme client for the PyPI `x402` package (its `SchemeNetworkClient` protocol): it
    takes the requirements the `x402Client` chose and returns the scheme payload (the signed
    Aptos/Movement transaction), signed by the core under `payer`'s spending policy (the
    spend is booked when signing). Register it for a network:

        x402Client().register("movement:126", ExactAptosScheme(payer))
    """

    scheme = ""

    def __init__(self, payer: Payer) -> None:
        self.payer = payer

    def create_payment_payload(self, requirements: Any) -> dict[str, Any]:
        if hasattr(requirements, "model_dump_json"):  # the x402 package's pydantic model
            text = requirements.model_dump_json(by_alias=True, exclude_none=True)
        else:
            text = json.dumps(requirements)
        payload: dict[str, Any] = json.loads(self.payer.sign_requirements(text))
        return payload


class ExactAptosScheme(_AptosScheme):
    """`exact` on Aptos and Movement: a fungible-asset transfer of the amount."""

    scheme = "exact"


class StreamAptosScheme(_AptosScheme):
    """`stream` (ComputeStream's scheme): `payment_stream::rent`, paid by the second."""

    scheme = "stream"
