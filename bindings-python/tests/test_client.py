"""The connected API on an in-process Localnet: the full rental flow through AsyncClient, the
error tree raised by real failures, the blocking Client from threads, and fork()."""

import asyncio
import os
import threading

import pytest

import computestream as cs

RATE = 2_000_000_000_000  # nano-units per second: 2000 base units a second
PROVIDER_KEY = "0x" + "66" * 32
BUYER_KEY = "0x" + "44" * 32


@pytest.fixture
def net():
    with cs.Localnet(manual_clock=True, start_secs=1_700_000_000) as n:
        yield n


async def provider_and_buyer(net):
    usdc = net.create_asset("USDC", 6)
    provider = cs.AsyncClient(net.node_url, private_key=PROVIDER_KEY)
    buyer = cs.AsyncClient(net.node_url, private_key=BUYER_KEY)
    net.fund_account(provider.address, 1_000_000_000)
    net.fund_account(buyer.address, 10_000_000, usdc)
    await provider.register_provider(gpu_type="H100", vram_gb=80, price_per_second=RATE,
                                     stake_amount=100_000_000)
    return provider, buyer, usdc


@pytest.mark.asyncio
async def test_rent_watch_pause_resume_top_up_close(net):
    provider, buyer, usdc = await provider_and_buyer(net)
    assert await buyer.list_providers(0, 10) == [provider.address]
    info = await buyer.get_provider(provider.address)
    assert (info.gpu_type, info.vram_gb, info.price_per_second, info.is_active) == ("H100", 80, RATE, True)

    tx = await buyer.rent(provider=provider.address, docker_image="ghcr.io/acme/llm:1", asset=usdc,
                          deposit=1_000_000, max_duration=3600, max_rate_per_second=RATE)
    assert tx.success and tx.job_id == 1 and tx.sender == buyer.address
    job = tx.job_id
    assert (await buyer.get_job(buyer.address, job)).status == "pending"
    await provider.start_job(buyer.address, job)
    assert await buyer.get_job_status(buyer.address, job) == "running"

    # watch: 10 s at 2000/s
    net.advance(10)
    now = await buyer.now()
    s = await buyer.get_stream(buyer.address, job)
    assert isinstance(s, cs.Stream) and s.rate_per_second == RATE and s.deposited == 1_000_000
    assert s.owed(now) == 20_000 == await buyer.calculate_current_amount(buyer.address, job)
    assert s.is_paying(now) and await buyer.is_stream_active(buyer.address, job)
    assert s.seconds_to_deplete(now) == (1_000_000 - 20_000) // 2000
    assert now + s.seconds_to_deplete(now) == await buyer.depletion_time(buyer.address, job)
    assert s.job == f"{buyer.address}/{job}"

    # pause: paused seconds are not billed
    await buyer.pause_stream(job)
    net.advance(100)
    now = await buyer.now()
    s = await buyer.get_stream(buyer.address, job)
    assert s.is_paused and s.owed(now) == 20_000 and not s.is_paying(now)
    assert s.seconds_to_deplete(now) is None
    await buyer.resume_stream(job)
    net.advance(5)
    now = await buyer.now()
    s = await buyer.get_stream(buyer.address, job)
    assert s.owed(now) == 30_000

    # top up, settle, close
    await buyer.top_up(buyer.address, job, 500_000)
    assert (await buyer.get_escrow(buyer.address, job)).deposited == 1_500_000
    await provider.process_payment(buyer.address, job)
    assert await buyer.get_total_streamed(buyer.address, job) == 30_000
    before = await buyer.balance(buyer.address, usdc)
    close = await buyer.close_stream(buyer.address, job)
    assert close.success and close.job_id is None
    s = await buyer.get_stream(buyer.address, job)
    assert s.is_closed and s.paid == 30_000
    assert await buyer.balance(provider.address, usdc) == 30_000
    assert await buyer.balance(buyer.address, usdc) == before + 1_500_000 - 30_000
    assert await buyer.balance(buyer.address, usdc) == 10_000_000 - 30_000 == net.balance(buyer.address, usdc)
    escrow = await buyer.get_escrow(buyer.address, job)
    assert (escrow.paid, escrow.refunded, escrow.held) == (30_000, 1_470_000, 0)


@pytest.mark.asyncio
async def test_each_error_class_is_raised_by_a_real_failure(net):
    provider, buyer, usdc = await provider_and_buyer(net)
    with pytest.raises(cs.PaymentStreamError) as e:
        await buyer.get_stream(buyer.address, 99)  # a view aborts
    assert isinstance(e.value, cs.AbortError) and isinstance(e.value, cs.ComputeStreamError)
    assert (e.value.code, e.value.name, e.value.module, e.value.abort_name) == (
        "ABORT", "E_STREAM_NOT_FOUND", "payment_stream", "E_STREAM_NOT_FOUND")
    assert e.value.abort_code == 30
    with pytest.raises(cs.PaymentStreamError) as e:  # a transaction aborts
        await buyer.rent(provider=provider.address, docker_image="x", asset=usdc, deposit=1000,
                         max_duration=60, max_rate_per_second=RATE - 1)
    assert e.value.name == "E_RATE_ABOVE_MAX"
    with pytest.raises(cs.ProviderRegistryError) as e:
        await provider.register_provider(gpu_type="H100", vram_gb=80, price_per_second=RATE,
                                         stake_amount=100_000_000)
    assert e.value.name == "E_PROVIDER_ALREADY_REGISTERED"
    with pytest.raises(cs.FungibleAssetError):
        await buyer.rent(provider=provider.address, docker_image="x", asset=usdc, deposit=10**12,
                         max_duration=60, max_rate_per_second=RATE)
    with pytest.raises(cs.InvalidInput) as e:
        await buyer.get_stream("not an address", 1)
    assert e.value.code == "INVALID_INPUT"
    with pytest.raises(cs.InvalidInput):
        await cs.AsyncClient(net.node_url).pause_stream(1)  # no key: cannot sign
    with pytest.raises(cs.InvalidInput, match="private key: .*expected 64 hex digits"):
        cs.AsyncClient(net.node_url, private_key="0x12")
    with pytest.raises(cs.InvalidInput, match='node URL "not a url"'):
        cs.AsyncClient("not a url")
    # A node that answers 404 for what was asked: NOT_FOUND with the status.
    with pytest.raises(cs.NodeError) as e:
        await cs.AsyncClient(net.url + "/elsewhere").now()
    assert (e.value.code, e.value.status) == ("NOT_FOUND", 404)
    with pytest.raises(OverflowError):
        await buyer.get_stream(buyer.address, -1)
    # The node refuses a transaction before executing it (no such function at that address).
    elsewhere = cs.AsyncClient(net.node_url, private_key=BUYER_KEY, contract="0xbeef")
    with pytest.raises(cs.NodeError) as e:
        await elsewhere.pause_stream(1)
    assert (e.value.code, e.value.error_code, e.value.retryable) == ("REJECTED", "FUNCTION_RESOLUTION_FAILURE", False)
    # A node that is not there.
    with pytest.raises(cs.NodeError) as e:
        await cs.AsyncClient("http://127.0.0.1:9", private_key=BUYER_KEY).now()
    assert e.value.code == "TRANSPORT" and e.value.retryable is True
    assert e.value.status is None  # nothing answered
    # A node that answers 503 keeps its status.
    import http.server, threading

    class Overloaded(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"message": "overloaded", "error_code": "internal_error", "vm_error_code": null}'
            self.send_response(503)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Overloaded)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(cs.NodeError) as e:
            await cs.AsyncClient(f"http://127.0.0.1:{server.server_port}/v1").now()
        assert (e.value.status, e.value.retryable) == (503, True), e.value
    finally:
        server.shutdown()


def test_blocking_client_from_threads(net):
    usdc = net.create_asset("USDC", 6)
    keys = ["0x" + f"{i:02x}" * 32 for i in range(1, 9)]
    clients = [cs.Client(net.node_url, private_key=k) for k in keys]
    for c in clients:
        net.fund_account(c.address, 1_000, usdc)
    sink = clients[0].address
    shared = cs.Client(net.node_url)  # one client shared by every thread for reads
    errors = []

    def work(c):
        try:
            for _ in range(3):
                c.transfer(sink, 10, usdc)
                assert shared.balance(c.address, usdc) <= 1_000
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients[1:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert shared.balance(sink, usdc) == 1_000 + 7 * 30
    assert all(shared.balance(c.address, usdc) == 970 for c in clients[1:])


@pytest.mark.asyncio
async def test_async_calls_run_concurrently(net):
    clients = [cs.AsyncClient(net.node_url, private_key="0x" + f"{i:02x}" * 32) for i in range(1, 6)]
    for c in clients:
        net.fund_account(c.address, 100)
    results = await asyncio.gather(*(c.transfer(clients[0].address, 1) for c in clients[1:]))
    assert all(r.success for r in results)
    assert await clients[0].balance(clients[0].address) == 104


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only")
def test_fork_gets_a_runtime_of_its_own(net):
    parent = cs.Client(net.node_url)
    assert parent.now() > 0
    pid = os.fork()
    if pid == 0:  # child: the parent's client refuses; a new localnet and client work
        code = 1
        try:
            try:
                parent.now()
            except cs.ComputeStreamError as e:
                assert e.code == "FORKED"
                with cs.Localnet() as child_net:
                    child = cs.Client(child_net.node_url, private_key=BUYER_KEY)
                    child_net.fund_account(child.address, 5)
                    assert child.balance(child.address) == 5
                    code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert parent.now() > 0
