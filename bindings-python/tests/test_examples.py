"""The examples as users run them: examples/fastapi-provider.py serving, examples/x402-agent.py
buying one call (`exact`, the replay refused) and renting the GPU (`stream`) from it, both as
processes against an in-process Localnet and its facilitator. Every amount is checked."""

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import computestream as cs

EXAMPLES = Path(__file__).parents[2] / "examples"
AGENT_KEY = "0x" + "44" * 32
PROVIDER_KEY = "0x" + "66" * 32
PRICE, RATE = 5_000, 2_000_000_000_000


@pytest.fixture
def provider():
    with cs.Localnet() as net:
        address = cs.address_of(PROVIDER_KEY)
        net.fund_account(address, 1_000_000_000)
        net.fund_account(cs.address_of(AGENT_KEY), 100_000_000)
        env = {"NODE_URL": net.node_url, "FACILITATOR_URL": net.facilitator_url, "PROVIDER_KEY": PROVIDER_KEY,
               "FEE_PAYER": net.fee_payer, "PRICE": str(PRICE), "RATE": str(RATE), "PATH": ""}
        proc = subprocess.Popen([sys.executable, str(EXAMPLES / "fastapi-provider.py")], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = proc.stdout.readline().strip()
            assert url.startswith("http://"), proc.stderr.read()
            yield net, url, address
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def agent(net, url, *args):
    out = subprocess.run([sys.executable, str(EXAMPLES / "x402-agent.py"), net.node_url, url, AGENT_KEY, *args],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_agent_buys_a_call_and_the_replay_is_refused(provider):
    net, url, provider_address = provider
    agent_address = cs.address_of(AGENT_KEY)
    before = net.balance(agent_address), net.balance(provider_address)
    [line] = agent(net, f"{url}/infer")
    assert line["status"] == 200 and line["scheme"] == "exact" and line["receipt"]["success"]
    assert line["result"] == {"output": "a haiku about GPUs"}
    assert net.balance(provider_address) == before[1] + PRICE
    assert net.balance(agent_address) == before[0] - PRICE
    replay = httpx.get(f"{url}/infer", headers={"PAYMENT-SIGNATURE": line["payment"]})
    assert replay.status_code == 402 and replay.json()["error"].endswith("_replayed")
    assert net.balance(provider_address) == before[1] + PRICE


def test_agent_rents_by_the_second_and_closes(provider):
    net, url, provider_address = provider
    agent_address = cs.address_of(AGENT_KEY)
    before = net.balance(agent_address), net.balance(provider_address)
    lines = agent(net, f"{url}/rent", "10000000", "2")
    paid_with, watched, final = lines[0], lines[1:-1], lines[-1]
    job = paid_with["receipt"]["job"]
    assert paid_with["scheme"] == "stream" and paid_with["result"]["job"] == job == final["job"]
    owed = [w["owed"] for w in watched]
    assert len(watched) == 2 and all(w["accruing"] for w in watched) and owed == sorted(owed)
    stream = final["stream"]
    assert stream["is_closed"] and stream["rate_per_second"] == RATE and stream["refundable_at_close"] == 0
    active = stream["closed_at"] - stream["window_start"] - stream["excluded_seconds"]
    assert stream["paid"] == cs.stream_owed(stream["deposited"], RATE, active) == stream["owed_at_close"] > 0
    assert net.balance(provider_address) - before[1] == stream["paid"] == before[0] - net.balance(agent_address)
