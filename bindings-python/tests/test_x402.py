"""x402 over real HTTP: an httpx agent (sync and async transports) pays a FastAPI app gated by
the ASGI middleware, served by uvicorn, against an in-process Localnet and its facilitator:
`exact` and `stream`, replays refused, the spending policy, refusals and bad challenges."""

import json
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import computestream as cs
from computestream.asgi import X402Middleware
from computestream.x402 import (
    JOB_HEADER,
    exact_requirements,
    payment_response,
    payment_sent,
    stream_requirements,
    x402HttpxClient,
    x402Transport,
)

PRICE = 5_000
RATE = 2_000_000_000_000
PROVIDER_KEY = "0x" + "66" * 32
AGENT_KEY = "0x" + "44" * 32


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class World:
    def __init__(self, net):
        self.net = net
        self.usdc = net.create_asset("USDC", 6)
        self.provider = cs.Client(net.node_url, private_key=PROVIDER_KEY)
        self.agent = cs.Client(net.node_url, private_key=AGENT_KEY)
        net.fund_account(self.provider.address, 1_000_000_000)
        net.fund_account(self.agent.address, 100_000_000, self.usdc)
        self.provider.register_provider(gpu_type="H100", vram_gb=80, price_per_second=RATE,
                                        stake_amount=100_000_000)
        exact = exact_requirements(net.network, self.usdc, self.provider.address, PRICE, 60, net.fee_payer)
        stream = stream_requirements(net.network, net.contract, self.provider.address, self.usdc, RATE,
                                     600, 60, net.fee_payer)
        app = FastAPI()

        @app.get("/infer")
        def infer():
            return {"output": "42"}

        @app.get("/rent")
        def rent(request: Request):
            return {"job": request.state.computestream_job}

        @app.get("/broken-402")
        def broken():
            return JSONResponse({"nothing": "to pay"}, status_code=402)

        routes = {
            "/infer": cs.Gate(net.facilitator_url, [exact], "/infer"),
            "/rent": cs.Gate(net.facilitator_url, [stream], "/rent", node_url=net.node_url),
        }
        app.add_middleware(X402Middleware, routes=routes)
        port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}"

    def payer(self, **policy):
        args = {"max_per_payment": 10_000_000, "max_per_hour": 100_000_000, **policy}
        return cs.Payer(self.agent, **args)

    def stop(self):
        self.server.should_exit = True
        self.thread.join()


@pytest.fixture
def world():
    with cs.Localnet() as net:
        w = World(net)
        try:
            yield w
        finally:
            w.stop()


def usdc(w, who):
    return w.net.balance(who, w.usdc)


def test_exact_sync_transport_pays_once_and_replays_are_refused(world):
    w = world
    assert httpx.get(f"{w.url}/infer").status_code == 402
    before = usdc(w, w.agent.address), usdc(w, w.provider.address)
    payer = w.payer()
    with httpx.Client(transport=x402Transport(payer)) as http:
        r = http.get(f"{w.url}/infer")
    assert r.status_code == 200 and r.json() == {"output": "42"}
    receipt = payment_response(r)
    assert receipt is not None and receipt.success and receipt.transaction.startswith("0x")
    assert receipt.network == "aptos:4" and receipt.job is None
    assert usdc(w, w.agent.address) == before[0] - PRICE
    assert usdc(w, w.provider.address) == before[1] + PRICE
    assert payer.spent_last_hour() == PRICE
    sent = payment_sent(r)
    decoded = cs.PaymentSignature.decode(sent.value)
    assert (decoded.scheme, decoded.network, decoded.amount) == ("exact", "aptos:4", str(PRICE))
    assert decoded.pay_to == w.provider.address and decoded.transaction and decoded.resource == "/infer"
    with pytest.raises(cs.InvalidInput):
        cs.PaymentSignature.decode("%%%")
    # The same payment again is refused, and nothing moves.
    replay = httpx.get(f"{w.url}/infer", headers={sent.header: sent.value})
    assert replay.status_code == 402
    assert replay.json()["error"].endswith("_replayed")
    assert usdc(w, w.provider.address) == before[1] + PRICE


@pytest.mark.asyncio
async def test_exact_async_client(world):
    w = world
    agent = cs.AsyncClient(w.net.node_url, private_key=AGENT_KEY)
    payer = cs.Payer(agent, max_per_payment=PRICE, max_per_hour=PRICE * 10, networks=["aptos:4"])
    async with x402HttpxClient(payer) as http:
        first = await http.get(f"{w.url}/infer")
        second = await http.get(f"{w.url}/infer")
    assert first.status_code == second.status_code == 200
    a, b = payment_response(first), payment_response(second)
    assert a.success and b.success and a.transaction != b.transaction
    assert payer.spent_last_hour() == 2 * PRICE


def test_stream_rents_then_admits_the_job_while_it_pays(world):
    w = world
    with httpx.Client(transport=x402Transport(w.payer(docker_image="ghcr.io/acme/llm:1"))) as http:
        r = http.get(f"{w.url}/rent")
    assert r.status_code == 200
    receipt = payment_response(r)
    assert receipt.success and receipt.job and r.json() == {"job": receipt.job}
    payer, job_id = receipt.job.split("/")
    assert payer == w.agent.address
    stream = w.agent.get_stream(payer, int(job_id))
    assert stream.rate_per_second == RATE and stream.payee == w.provider.address and not stream.is_closed
    assert w.agent.get_job(payer, int(job_id)).docker_image == "ghcr.io/acme/llm:1"
    # Later requests of the job get in without paying again.
    again = httpx.get(f"{w.url}/rent", headers={JOB_HEADER: receipt.job})
    assert again.status_code == 200 and again.json() == {"job": receipt.job}
    # A job that does not exist does not.
    assert httpx.get(f"{w.url}/rent", headers={JOB_HEADER: f"{payer}/99"}).status_code == 402
    # Closed, it stops paying: refused once the gate's one-second view cache has expired.
    w.agent.close_stream(payer, int(job_id))
    time.sleep(1.1)
    closed = httpx.get(f"{w.url}/rent", headers={JOB_HEADER: receipt.job})
    assert closed.status_code == 402 and closed.json()["error"] == "stream_not_paying"


def test_spending_policy_refuses_before_signing(world):
    w = world
    with httpx.Client(transport=x402Transport(w.payer(max_per_payment=PRICE - 1))) as http:
        with pytest.raises(cs.SpendingLimitExceeded) as e:
            http.get(f"{w.url}/infer")
    assert e.value.code == "PAYMENT_NOT_ALLOWED" and isinstance(e.value, cs.PaymentRequired)
    with httpx.Client(transport=x402Transport(w.payer(networks=["movement:126"]))) as http:
        with pytest.raises(cs.SpendingLimitExceeded):
            http.get(f"{w.url}/infer")
    payer = w.payer(max_per_hour=PRICE + PRICE // 2)
    with httpx.Client(transport=x402Transport(payer)) as http:
        assert http.get(f"{w.url}/infer").status_code == 200
        with pytest.raises(cs.SpendingLimitExceeded) as e:
            http.get(f"{w.url}/infer")
    assert e.value.code == "BUDGET_EXCEEDED"
    assert payer.spent_last_hour() == PRICE


def test_refused_payment_and_unreadable_challenge(world):
    w = world
    broke = cs.Client(w.net.node_url, private_key="0x" + "77" * 32)  # holds no USDC
    payer = cs.Payer(broke, max_per_payment=PRICE, max_per_hour=PRICE)
    with httpx.Client(transport=x402Transport(payer)) as http:
        with pytest.raises(cs.PaymentRejected) as e:
            http.get(f"{w.url}/infer")
        assert e.value.code == "PAYMENT_REFUSED" and e.value.invalid_reason
        assert (e.value.invalid_message or "").startswith("balance 0 < "), e.value.invalid_message
        with pytest.raises(cs.PaymentRequired) as e:
            http.get(f"{w.url}/broken-402")
        assert e.value.code == "INVALID_CHALLENGE"
    assert payer.spent_last_hour() == 0


def test_gate_decisions_are_typed(world):
    w = world
    plain = httpx.get(f"{w.url}/infer")
    challenge = json.loads(cs.x402_decode_header(plain.headers["payment-required"]))["header"]
    assert challenge["accepts"][0]["amount"] == str(PRICE)
    garbage = httpx.get(f"{w.url}/infer", headers={"PAYMENT-SIGNATURE": "%%%"})
    assert garbage.status_code == 400
