"""The PyPI aptos-sdk against `computestream localnet`: fund an account from the faucet,
submit a signed payment_stream::rent, wait for it, read the stream back through a view.
`python localnet.py BASE_URL PROVIDER RATE`"""
import asyncio
import json
import sys

from aptos_sdk.account import Account
from aptos_sdk.account_address import AccountAddress
from aptos_sdk.async_client import FaucetClient, RestClient
from aptos_sdk.bcs import Serializer
from aptos_sdk.transactions import EntryFunction, TransactionArgument, TransactionPayload

# The contracts' address in the long form this SDK requires for non-special addresses.
CONTRACT = "0x" + "cafe".rjust(64, "0")


async def main(base: str, provider: str, rate: int) -> None:
    rest = RestClient(f"{base}/v1")
    faucet = FaucetClient(base, rest)
    assert await rest.chain_id() == 4
    buyer = Account.generate()
    await faucet.fund_account(buyer.address(), 100_000_000)
    args = [
        TransactionArgument(AccountAddress.from_str(provider), Serializer.struct),
        TransactionArgument("pytorch/pytorch:2.4", Serializer.str),
        TransactionArgument(AccountAddress.from_str("0xa"), Serializer.struct),
        TransactionArgument(1_000_000, Serializer.u64),
        TransactionArgument(3600, Serializer.u64),
        TransactionArgument(rate, Serializer.u128),
    ]
    payload = EntryFunction.natural(f"{CONTRACT}::payment_stream", "rent", [], args)
    signed = await rest.create_bcs_signed_transaction(buyer, TransactionPayload(payload))
    txn_hash = await rest.submit_bcs_transaction(signed)
    await rest.wait_for_transaction(txn_hash)
    done = await rest.transaction_by_hash(txn_hash)
    assert done["success"], done["vm_status"]
    result = json.loads(
        await rest.view(f"{CONTRACT}::payment_stream::get_stream", [], [str(buyer.address()), "1"])
    )
    stream = result[0]
    assert stream["deposited"] == "1000000", stream
    assert stream["rate_per_second"] == str(rate), stream
    assert stream["payee"] == provider, stream
    assert stream["is_closed"] is False, stream
    await rest.close()
    print(f"aptos-sdk (Python): funded, rented and read back stream {buyer.address()}/1", file=sys.stderr)


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
