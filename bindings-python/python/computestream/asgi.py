"""x402 for Python providers: an ASGI middleware (Starlette, FastAPI, any ASGI app) that gates
routes with `exact` or `stream` through the core's gate (`computestream.Gate`): it verifies
locally, settles through a facilitator, serves each payment once, and for `stream` admits
later requests of the paid job (`COMPUTESTREAM-JOB`) while its stream is paying.

    gate = Gate(facilitator_url, [stream_requirements(...)], "/rent", node_url=node_url)
    app.add_middleware(X402Middleware, routes={"/rent": gate})

The handler finds the rented job (`0x<payer>/<job id>`) in `request.state.computestream_job`
(and `scope["computestream.job"]`). `exact` settles after the handler answered below 400
(the receipt header is added to its response; a failed settlement replaces it with a 402);
`stream` settles before the handler runs.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Tuple

from ._native import Gate, GateDecision

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["Gate", "GateDecision", "X402Middleware"]


def _raw_headers(headers: List[Tuple[str, str]]) -> List[Tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]


async def _respond(send: Send, decision: GateDecision) -> None:
    body = decision.body
    headers = _raw_headers(decision.headers) + [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": decision.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class X402Middleware:
    """Gates the paths of `routes` (exact path → `Gate`); other requests pass through."""

    def __init__(self, app: ASGIApp, routes: Dict[str, Gate]) -> None:
        self.app = app
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gate = self.routes.get(scope.get("path", "")) if scope["type"] == "http" else None
        if gate is None:
            await self.app(scope, receive, send)
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        decision = await gate.begin(headers)
        if decision.respond:
            await _respond(send, decision)
            return
        scope = dict(scope)
        scope["computestream.job"] = decision.job
        scope.setdefault("state", {})["computestream_job"] = decision.job
        finished = False
        replaced = False

        async def gated_send(message: Message) -> None:
            nonlocal finished, replaced
            if message["type"] == "http.response.start":
                finished = True
                outcome = await gate.finish(decision, message["status"] < 400)
                if outcome.respond:
                    replaced = True
                    await _respond(send, outcome)
                    return
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + _raw_headers(outcome.headers)
            elif replaced:
                return
            await send(message)

        try:
            await self.app(scope, receive, gated_send)
        finally:
            if not finished:  # the handler failed before answering: release the payment
                await gate.finish(decision, False)
