"""A GPU provider in Python: a FastAPI app whose `/infer` costs PRICE (x402 `exact`) and whose
`/rent` rents the GPU by the second (x402 `stream`), gated by `computestream.asgi`.

    NODE_URL=… FACILITATOR_URL=… PROVIDER_KEY=0x… [FEE_PAYER=0x…] [PRICE=5000] \\
    [RATE=2000000000000] [ASSET=0xa] [NETWORK=aptos:4] [PORT=0] python examples/fastapi-provider.py

Registers the provider on first start (RATE nano-units a second), serves on PORT (0: a free
one) and prints its URL. A new rental's job is started on its first request; later requests of a rental carry `COMPUTESTREAM-JOB` and are served
while the stream pays.
"""

import os
import socket

import uvicorn
from fastapi import FastAPI, Request

import computestream as cs
from computestream.asgi import X402Middleware
from computestream.x402 import exact_requirements, stream_requirements

env = os.environ
node, facilitator = env["NODE_URL"], env["FACILITATOR_URL"]
price, rate = int(env.get("PRICE", "5000")), int(env.get("RATE", "2000000000000"))
asset, network, fee_payer = env.get("ASSET", "0xa"), env.get("NETWORK", "aptos:4"), env.get("FEE_PAYER")

me = cs.Client(node, private_key=env["PROVIDER_KEY"])
try:
    me.get_provider(me.address)
except cs.ProviderRegistryError:  # E_PROVIDER_NOT_FOUND: first start
    me.register_provider(gpu_type="H100", vram_gb=80, price_per_second=rate, stake_amount=100_000_000)

app = FastAPI()


@app.get("/infer")
def infer() -> dict:
    return {"output": "a haiku about GPUs"}


@app.get("/rent")
def rent(request: Request) -> dict:
    job = request.state.computestream_job  # 0x<buyer>/<job id>, paid for or presented
    buyer, job_id = job.split("/")
    if me.get_job_status(buyer, int(job_id)) == "pending":  # just rented: the stream accrues from the start
        me.start_job(buyer, int(job_id))
    return {"job": job, "gpu": "H100"}


app.add_middleware(X402Middleware, routes={
    "/infer": cs.Gate(facilitator, [exact_requirements(network, asset, me.address, price, 60, fee_payer)], "/infer"),
    "/rent": cs.Gate(facilitator, [stream_requirements(network, me.contract, me.address, asset, rate, 600, 60,
                                                       fee_payer)], "/rent", node_url=node),
})

sock = socket.socket()
sock.bind(("127.0.0.1", int(env.get("PORT", "0"))))
print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
