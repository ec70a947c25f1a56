import json
from pathlib import Path

import pytest

import computestream as cs

CASES = json.loads((Path(__file__).parents[2] / "testdata" / "bindings" / "cases.json").read_text())


def check(case, f):
    if "error" in case:
        with pytest.raises(ValueError, match=case["error"]):
            f()
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
    bcs = cs.encode_call(json.dumps(CASES["calls"][0]["call"]))
    with pytest.raises(ValueError, match="unknown function"):
        cs.decode_call(bcs, "0xbeef")
