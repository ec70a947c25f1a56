"""`computestream mcp` over stdio, driven by the official MCP Python SDK (`mcp`).

Starts a localnet and a provider daemon (running tests/fixtures/tick.sh as its workload) with
the `computestream` binary, then an agent session that lists the tools, rents, watches (tools,
the job's resource and its update notification), is refused over each spending limit with
nothing signed, sends malformed arguments, stops the job and checks the refund and the
receipt. Writes the session's tool calls and results to TRANSCRIPT (Markdown).

Usage: python agent_stdio.py COMPUTESTREAM_BINARY TRANSCRIPT
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

HERE = Path(__file__).resolve().parent
TICK = HERE.parent / "fixtures" / "tick.sh"

# 1,000 base units a second; the daemon's longest rental is 60 s, so its deposit is 60,000.
PRICE_PER_HOUR = 3_600_000
MAX_DURATION = 60
DEPOSIT = 60_000
BUYER_FUNDS = 1_000_000
# The human's limits: one rental may commit its deposit and 10,000 more; an hour, 100,000.
MAX_PER_RENTAL = DEPOSIT + 10_000
MAX_PER_HOUR = 100_000

failures: list[str] = []
passes: list[str] = []


def check(condition: bool, what: str) -> None:
    if condition:
        passes.append(what)
        print(f"ok: {what}")
    else:
        print(f"FAILED: {what}")
        failures.append(what)


class Transcript:
    """The agent's tool calls and their results, as Markdown."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, text: str) -> None:
        self.lines.append(f"\n{text}\n")

    def call(self, name: str, arguments: dict[str, Any], result: Any) -> None:
        self.lines.append(f"\n→ `{name}` {json.dumps(arguments)}\n")
        if result.is_error:
            text = " ".join(c.text for c in result.content if getattr(c, "text", None))
            self.lines.append(f"\n← error: `` {text} ``\n")
        else:
            body = json.dumps(result.structured_content, indent=2)
            self.lines.append(f"\n```json\n{body}\n```\n")

    def write(self, path: Path) -> None:
        path.write_text("".join(self.lines).lstrip() + "\n")


def new_key(binary: str, directory: Path, name: str) -> tuple[str, str]:
    path = directory / f"{name}.key"
    out = subprocess.run(
        [binary, "--json", "keys", "new", "--out", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return str(path), json.loads(out.stdout)["address"]


def spawn_with_url(argv: list[str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if k != "COMPUTESTREAM_PRIVATE_KEY"}
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    first = process.stdout.readline().split()
    if not first:
        process.kill()
        raise SystemExit(f"{argv[:4]} printed no URL")
    return process, first[-1] if len(first) == 1 else first[1]


async def main(binary: str, transcript_path: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        provider_key, provider = new_key(binary, directory, "provider")
        fee_payer_key, fee_payer = new_key(binary, directory, "fee-payer")
        buyer_key, buyer = new_key(binary, directory, "buyer")
        mints = [f"{provider}=10000000000", f"{fee_payer}=10000000000", f"{buyer}={BUYER_FUNDS}"]
        localnet, base = spawn_with_url(
            [binary, "localnet", "--port", "0", *sum((["--mint", m] for m in mints), [])],
            directory,
        )
        node = f"{base}/v1"
        daemon, _ = spawn_with_url(
            [
                binary, "--node", node, "--key", provider_key,
                "provider", "serve", "--port", "0",
                "--exec", f"sh '{TICK}' {{command...}}",
                "--allow-image", "busybox*",
                "--grace", "2", "--max-duration", str(MAX_DURATION),
                "--policy", "before-depletion:1",
                "--fee-payer-key", fee_payer_key,
                "--gpu", "H100", "--vram", "80", "--stake", "100000000",
                "--price-per-hour", str(PRICE_PER_HOUR),
            ],
            directory,
        )
        try:
            await agent(binary, node, buyer_key, buyer, provider, transcript_path)
        finally:
            for process in (daemon, localnet):
                process.terminate()
                process.wait(timeout=30)
    return 1 if failures else 0


async def agent(
    binary: str, node: str, buyer_key: str, buyer: str, provider: str, transcript_path: Path
) -> None:
    transcript = Transcript()
    updates: list[str] = []

    async def on_message(message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/resources/updated":
            updates.append(root.params.uri)

    server = StdioServerParameters(
        command=binary,
        args=[
            "--node", node, "--key", buyer_key, "mcp",
            "--max-per-rental", str(MAX_PER_RENTAL),
            "--max-per-hour", str(MAX_PER_HOUR),
            "--watch-every", "1",
        ],
    )
    async with Client(server, message_handler=on_message) as client:

        async def call(name: str, arguments: dict[str, Any], record: bool = True) -> Any:
            result = await client.call_tool(name, arguments)
            if record:
                transcript.call(name, arguments, result)
            return result

        async def ok(name: str, arguments: dict[str, Any], record: bool = True) -> Any:
            result = await call(name, arguments, record)
            if result.is_error:
                raise SystemExit(f"{name} {arguments}: {result.content}")
            return result.structured_content

        def error_text(result: Any) -> str:
            return " ".join(c.text for c in result.content if getattr(c, "text", None))

        print(f"protocol {client.protocol_version}")
        tools = (await client.list_tools()).tools
        names = sorted(t.name for t in tools)
        check(
            names
            == ["job_logs", "job_status", "list_providers", "rent_gpu", "stop_job", "top_up", "wallet_balance"],
            f"seven tools: {names}",
        )
        check(
            all(t.input_schema.get("type") == "object" and (t.output_schema or {}).get("type") == "object" for t in tools),
            "every tool has input and output schemas",
        )
        transcript.note(f"The agent lists the tools: {', '.join(names)}.")

        wallet = await ok("wallet_balance", {})
        check(wallet["balance"] == BUYER_FUNDS and wallet["sequence_number"] == 0, "a fresh wallet")
        listed = await ok("list_providers", {"gpu_type": "H100"})
        check(
            [p["provider"] for p in listed["providers"]] == [provider] and listed["providers"][0]["endpoint"] != "",
            "the provider daemon is listed with its endpoint",
        )

        # Over the call's own cap: nothing signed.
        refused = await call("rent_gpu", {"image": "busybox:1.36", "command": ["train"], "max_spend": 1000})
        text = error_text(refused)
        check(refused.is_error and text.startswith("BUDGET_EXCEEDED: max_spend is 1000"), f"max_spend refuses: {text}")

        rented = await ok(
            "rent_gpu",
            {"gpu_type": "H100", "max_price_per_hour": PRICE_PER_HOUR, "image": "busybox:1.36",
             "command": ["python", "train.py", "--epochs", "1"]},
        )
        job = rented["job"]
        check(rented["deposit"] == DEPOSIT and rented["rate_per_hour"] == PRICE_PER_HOUR, "deposit and rate")
        check(int(job.split("/")[0], 16) == int(buyer, 16), f"the job {job} is the wallet's")

        # Live state: the resource, and an update notification for it.
        uri = f"computestream://jobs/{job}"
        resources = await client.list_resources()
        check(any(str(r.uri) == uri for r in resources.resources), "the job is listed as a resource")
        if client.protocol_version >= "2026-07-28":
            async with client.listen(resource_subscriptions=[uri]) as subscription:
                with anyio.fail_after(30):
                    event = await subscription.__anext__()
            check(str(getattr(event, "uri", "")) == uri, f"subscriptions/listen delivers an update: {event}")
            how = "subscriptions/listen"
        else:
            await client.subscribe_resource(uri)
            with anyio.fail_after(30):
                while not updates:
                    await anyio.sleep(0.1)
            check(updates[0] == uri, f"resources/subscribe delivers an update: {updates}")
            how = "resources/subscribe"
        transcript.note(f"It subscribes to `{uri}` ({how}, protocol {client.protocol_version}) and gets `notifications/resources/updated`.")

        deadline = time.monotonic() + 60
        while True:
            status = await ok("job_status", {"job": job}, record=False)
            if status["workload"] and status["workload"]["state"] == "running" and status["stream"]["accrued"] > 0:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"never running: {status}")
            await anyio.sleep(0.3)
        await ok("job_status", {"job": job})
        read = await client.read_resource(uri)
        check(json.loads(read.contents[0].text)["job"] == job, "the resource reads the job's state")
        deadline = time.monotonic() + 60
        while "tick 2" not in (logs := await ok("job_logs", {"job": job}, record=False))["logs"]:
            if time.monotonic() > deadline:
                raise SystemExit(f"no output: {logs}")
            await anyio.sleep(0.3)
        await ok("job_logs", {"job": job, "tail_bytes": 200})

        # Top-ups: over the rental's limit, refused; within it, refused too while the escrow
        # already pays for the rest of the job's max duration (a daemon rental's deposit does).
        before = await ok("wallet_balance", {}, record=False)
        refused = await call("top_up", {"job": job, "amount": 20_000})
        text = error_text(refused)
        check(refused.is_error and "max_per_rental is 70000" in text and "over by 10000" in text, f"top-up over max_per_rental: {text}")
        refused = await call("top_up", {"job": job, "amount": 10_000})
        text = error_text(refused)
        check(refused.is_error and text.startswith("INVALID_ARGUMENT") and "would only be refunded" in text, f"a top-up that cannot extend the job: {text}")
        after = await ok("wallet_balance", {}, record=False)
        check((after["balance"], after["sequence_number"]) == (before["balance"], before["sequence_number"]), "refused top-ups signed nothing")

        # A stream the buyer opens by hand (`computestream rent`: the job pending, 1,000
        # escrowed) takes a top-up.
        opened = subprocess.run(
            [binary, "--node", node, "--key", buyer_key, "--json", "rent", "--provider", provider,
             "--asset", "0xa", "--deposit", "1000", "--max-duration", "3600", "--image", "busybox:1.36"],
            check=True, capture_output=True, text=True,
        )
        pending = json.loads(opened.stdout)["job"]
        transcript.note(f"The buyer opens a stream by hand (`computestream rent`, job `{pending}` pending, 1000 escrowed); the agent tops it up.")
        topped = await ok("top_up", {"job": pending, "amount": 10_000})
        check(topped["stream"]["deposited"] == 11_000, "the top-up landed")

        # A second rental: within its own limit, over the hour's.
        after_top_up = await ok("wallet_balance", {}, record=False)
        refused = await call("rent_gpu", {"provider": provider, "image": "busybox:1.36", "command": ["train"]})
        text = error_text(refused)
        check(refused.is_error and "max_per_hour is 100000" in text and "over by 30000" in text, f"rental over max_per_hour: {text}")
        after = await ok("wallet_balance", {}, record=False)
        check(
            (after["balance"], after["sequence_number"]) == (after_top_up["balance"], after_top_up["sequence_number"]),
            "refused calls signed nothing (balance and sequence number unchanged)",
        )
        check(after_top_up["sequence_number"] == before["sequence_number"] + 2, "only the hand-made rent and the top-up were signed")

        # Malformed arguments: errors, and the server goes on.
        transcript.note("Malformed arguments:")
        for name, arguments, expected in [
            ("rent_gpu", {"command": ["x"]}, "missing field `image`"),
            ("top_up", {"job": job, "amount": "lots"}, "invalid type"),
            ("job_status", {"job": 42}, "invalid type"),
            ("job_logs", {"job": job, "follow": True}, "unknown field `follow`"),
            ("stop_job", {"job": "nonsense"}, "INVALID_ARGUMENT"),
        ]:
            result = await call(name, arguments)
            check(result.is_error and expected in error_text(result), f"{name} {arguments}: {error_text(result)}")

        receipt = await ok("stop_job", {"job": job})
        paid = receipt["paid_to_provider"]
        check(paid > 0 and receipt["refunded"] == DEPOSIT - paid, f"receipt: paid {paid}, refunded {receipt['refunded']}")
        check(receipt["billed_seconds"] * 1000 == paid, "paid exactly 1,000 a billed second")
        check(receipt["balance_after"] == BUYER_FUNDS - paid - 11_000, "the refund is back in the wallet")
        receipt = await ok("stop_job", {"job": pending})
        check((receipt["paid_to_provider"], receipt["refunded"]) == (0, 11_000), "the pending job refunds everything")
        final = await ok("wallet_balance", {})
        check(final["balance"] == BUYER_FUNDS - paid == receipt["balance_after"], "the wallet is down by the seconds billed only")
        deadline = time.monotonic() + 60
        while True:
            status = await ok("job_status", {"job": job}, record=False)
            if status["workload"]["state"] == "stopped":
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"never stopped: {status}")
            await anyio.sleep(0.3)
        check(status["workload"]["stop_reason"] == "closed", "the provider stopped the workload at the close")
        await ok("job_status", {"job": job})
    transcript.write(transcript_path)
    print(f"transcript: {transcript_path}")


if __name__ == "__main__":
    code = anyio.run(main, str(Path(sys.argv[1]).resolve()), Path(sys.argv[2]).resolve())
    print(f"mcp: {len(passes)} passed, {len(failures)} failed")
    sys.exit(code)
