import json
from pathlib import Path

import pytest

import computestream as cs

CASES = json.loads((Path(__file__).parents[2] / "testdata" / "bindings" / "cases.json").read_text())


def check(case, f):
    if "error" in case:
        with pytest.raises(cs.ComputeStreamError, match=case["error"]) as raised:
            f()
        assert isinstance(raised.value, ValueError)
        assert raised.value.code == case["code"], case
        assert raised.value.abort_name == case.get("abort_name"), case
    else:
        assert f() == case["returns"], case


def s(v):
    return None if v is None else str(v)


def test_the_case_table_holds_in_python():
    n = 0
    for c in CASES["parse_amount"]:
        check(c, lambda: s(cs.parse_amount(c["text"], c["decimals"])))
        n += 1
    for c in CASES["format_amount"]:
        check(c, lambda: cs.format_amount(int(c["units"]), c["decimals"]))
        n += 1
    for c in CASES["rate"]:
        check(c, lambda: s(cs.rate(int(c["units"]), c["per"])))
        n += 1
    for c in CASES["stream_owed"]:
        check(c, lambda: s(cs.stream_owed(int(c["deposited"]), int(c["rate_per_second"]), int(c["active_seconds"]))))
        n += 1
    for c in CASES["seconds_to_deplete"]:
        check(c, lambda: s(cs.seconds_to_deplete(int(c["deposited"]), int(c["rate_per_second"]))))
        n += 1
    for c in CASES["stream_snapshot"]:
        check(c, lambda: json.loads(cs.stream_snapshot(json.dumps(c["stream"]), int(c["now"]))))
        n += 1
    for c in CASES["calls"]:
        def round_trip():
            bcs = cs.encode_call(json.dumps(c["call"]))
            assert isinstance(bcs, bytes)
            back = cs.decode_call(bcs)
            assert cs.encode_call(back) == bcs
            return json.loads(back)
        check({**c, "returns": c["call"]} if "error" not in c else c, round_trip)
        n += 1
    for c in CASES["sign_call"]:
        check(c, lambda: cs.transaction_hash(cs.sign_call(
            c["private_key"], json.dumps(c["call"]), int(c["sequence_number"]), c["chain_id"],
            int(c["expiration_secs"]), c["contract"])))
        n += 1
    for c in CASES["abort_name"]:
        check(c, lambda: cs.abort_name(c["module"], int(c["code"])))
        n += 1
    assert n >= 25


def test_python_specifics():
    assert isinstance(cs.version(), str)
    assert cs.rate(7_200_000) == 2_000_000_000_000  # per hour by default
    with pytest.raises(OverflowError):
        cs.stream_owed(-1, 1, 1)
    with pytest.raises(OverflowError):
        cs.stream_owed(2**64, 1, 1)
    # pyo3 converts every argument: out of range is Python's OverflowError, not a core error.
    with pytest.raises(OverflowError) as raised:
        cs.parse_amount("1", 256)
    assert not isinstance(raised.value, cs.ComputeStreamError)
    bcs = cs.encode_call(json.dumps(CASES["calls"][0]["call"]))
    with pytest.raises(cs.ComputeStreamError, match="unknown function") as raised:
        cs.decode_call(bcs, "0xbeef")
    assert raised.value.code == "DECODE"


X402 = json.loads((Path(__file__).parents[2] / "testdata" / "bindings" / "x402_cases.json").read_text())


def test_the_x402_case_table_holds_in_python():
    n = 0
    for c in X402["address_of"]:
        check(c, lambda: cs.address_of(c["private_key"]))
        n += 1
    for c in X402["pay"]:
        check(c, lambda: cs.x402_pay(c["private_key"], c["payment_required"], int(c["sequence_number"]),
                                     int(c["now"]), c["accept"], c["docker_image"]))
        n += 1
    for c in X402["verify_payment"]:
        def verify():
            return json.loads(cs.x402_verify(c["header"], json.dumps(c["requirements"]), c["fee_payers"], int(c["now"])))
        if "returns_reason" in c:
            # A payment that fails a rule is an answer, not an exception.
            v = verify()
            assert v["isValid"] is False and v["invalidReason"] == c["returns_reason"], c
            assert isinstance(v["invalidMessage"], str)
        else:
            check(c, verify)
        n += 1
    for c in X402["decode_header"]:
        def summary():
            v = json.loads(cs.x402_decode_header(c["header"]))
            tx = v.get("aptos_transaction", {})
            return {"kind": v["kind"], "signature_valid": tx.get("signature_valid"), "sender": tx.get("sender")}
        check(c, summary)
        n += 1
    for c in X402["encode_header"]:
        def round_trip():
            header = cs.x402_encode_header(json.dumps(c["json"]))
            assert json.loads(cs.x402_decode_header(header))["header"] == c["json"]
            return "round trip"
        check(c, round_trip)
        n += 1
    for c in X402["exact_requirements"]:
        check(c, lambda: json.loads(cs.x402_exact_requirements(
            c["network"], c["asset"], c["pay_to"], int(c["amount"]), int(c["max_timeout_seconds"]), c["fee_payer"])))
        n += 1
    for c in X402["stream_requirements"]:
        check(c, lambda: json.loads(cs.x402_stream_requirements(
            c["network"], c["contract"], c["provider"], c["asset"], int(c["rate_per_second"]),
            int(c["max_duration_seconds"]), int(c["max_timeout_seconds"]), c["fee_payer"])))
        n += 1
    assert n >= 25


def test_an_agent_pays_a_stream_challenge_and_the_provider_verifies_it():
    key = X402["address_of"][0]["private_key"]
    requirements = cs.x402_stream_requirements("aptos:4", "0xc0", "0xb0b", "0xa", cs.rate(7_200_000), 3600, 60)
    challenge = cs.x402_encode_header(json.dumps(
        {"x402Version": 2, "resource": {"url": "https://gpu.example/run"}, "accepts": [json.loads(requirements)]}))
    header = cs.x402_pay(key, challenge, sequence_number=3, now=1_000, docker_image="pytorch/pytorch:2.4")
    verdict = json.loads(cs.x402_verify(header, requirements, [], 1_000))
    assert verdict["isValid"] is True and verdict["payer"] == cs.address_of(key)
    assert verdict["extra"]["amount"] == "7200000"
    described = json.loads(cs.x402_decode_header(header))
    assert described["aptos_transaction"]["entry_function"]["function"].endswith("::payment_stream::rent")
    late = json.loads(cs.x402_verify(header, requirements, [], 1_060))
    assert late["invalidReason"] == "invalid_stream_aptos_payload_transaction_expired"
