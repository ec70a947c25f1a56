"""The PyPI `x402` package pays our gate with our scheme clients registered in its
`x402Client`, through its own `x402HttpxClient`, unchanged: `exact` and `stream`."""

import pytest

import computestream as cs
from computestream.x402 import ExactAptosScheme, StreamAptosScheme

x402 = pytest.importorskip("x402")
from x402.http.clients import x402HttpxClient  # noqa: E402

from test_x402 import AGENT_KEY, PRICE, RATE, world  # noqa: E402,F401  (the fixture)


def pypi_client(w, **policy):
    payer = w.payer(docker_image="ghcr.io/acme/llm:1", **policy)
    # Our Payer holds the spending policy; the x402 client allows only assets it knows unless told.
    client = x402.x402Client().set_spend_controls(False)
    client.register("aptos:4", ExactAptosScheme(payer))
    client.register("aptos:4", StreamAptosScheme(payer))
    return client, payer


@pytest.mark.asyncio
async def test_pypi_x402_pays_exact_and_stream_through_our_scheme_clients(world):
    w = world
    before = w.net.balance(w.provider.address, w.usdc)
    client, payer = pypi_client(w)
    async with x402HttpxClient(client) as http:
        r = await http.get(f"{w.url}/infer")
        assert r.status_code == 200 and r.json() == {"output": "42"}
        receipt = cs.PaymentResponse.decode(r.headers["payment-response"])
        assert receipt.success and receipt.network == "aptos:4"
        assert w.net.balance(w.provider.address, w.usdc) == before + PRICE

        rented = await http.get(f"{w.url}/rent")
        assert rented.status_code == 200, rented.json()
        job = cs.PaymentResponse.decode(rented.headers["payment-response"]).job
        assert rented.json() == {"job": job}
        payer_address, job_id = job.split("/")
        stream = w.agent.get_stream(payer_address, int(job_id))
        assert stream.rate_per_second == RATE and stream.payee == w.provider.address
    assert payer.spent_last_hour() == PRICE + stream.deposited


@pytest.mark.asyncio
async def test_our_policy_holds_inside_the_pypi_client(world):
    w = world
    client, payer = pypi_client(w, max_per_payment=PRICE - 1)
    async with x402HttpxClient(client) as http:
        with pytest.raises(x402.http.clients.httpx.PaymentError) as e:
            await http.get(f"{w.url}/infer")
    # The x402 client wraps what its scheme raised: our typed error, as the cause.
    assert isinstance(e.value.__cause__, cs.SpendingLimitExceeded)
    assert e.value.__cause__.code == "PAYMENT_NOT_ALLOWED"
    assert payer.spent_last_hour() == 0
