"""Codec and risk-check speed against simplefix and an empty call, measured in the same run.

simplefix's parser only frames and splits; ours also validates against the data
dictionary, so the parse ratio understates the difference in work done.
"""
from __future__ import annotations

import time

import simplefix

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.hw.risk import LimitEntry, RiskModel
from wirespeed.order import Order

from ..fix import Encoder, FixParser
from ..fix.dictionary import dictionary

NOS_FIELDS = [(11, "ORD-000123"), (55, "AAPL"), (54, "1"), (60, "20261122-10:00:00.000"), (38, 100), (40, "2"),
              (44, "190.25"), (59, "0")]
SENDING_TIME = "20261122-10:00:00.000"


def best_ns_interleaved(fns, batch_s: float = 0.04, rounds: int = 15) -> list[float]:
    """Best per-call time of each of ``fns``, measured in alternating batches of about
    ``batch_s`` each: every function sees the same stretches of a machine whose speed
    drifts, and gets the same number of equally long chances at a quiet one."""
    counts = []
    for fn in fns:
        t0 = time.perf_counter_ns()
        for _ in range(200):
            fn()
        per_call = max((time.perf_counter_ns() - t0) / 200, 1.0)
        counts.append(max(int(batch_s * 1e9 / per_call), 1))
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, (fn, n) in enumerate(zip(fns, counts)):
            t0 = time.perf_counter_ns()
            for _ in range(n):
                fn()
            best[k] = min(best[k], (time.perf_counter_ns() - t0) / n)
    return best


def bench_codec(batch_s: float = 0.04, rounds: int = 15) -> list[tuple[str, float, float]]:
    enc = Encoder("FIX.4.4", "CLIENT1", "WIRESPEED")

    def sf_encode():
        m = simplefix.FixMessage()
        m.append_pair(8, "FIX.4.4")
        m.append_pair(35, "D")
        m.append_pair(49, "CLIENT1")
        m.append_pair(56, "WIRESPEED")
        m.append_pair(34, 12345)
        m.append_pair(52, SENDING_TIME)
        for t, v in NOS_FIELDS:
            m.append_pair(t, v)
        return m.encode()

    tmpl = enc.template("D", [t for t, _ in NOS_FIELDS])
    values = [v for _, v in NOS_FIELDS]
    # tmpl.encode is the native template where gateway/native is built; py_encode its f-string
    ours_tmpl, ours_enc, sf_enc, ours_py_tmpl = best_ns_interleaved([
        lambda: tmpl.encode(12345, values, SENDING_TIME),
        lambda: enc.encode("D", 12345, NOS_FIELDS, SENDING_TIME), sf_encode,
        lambda: tmpl.py_encode(12345, values, SENDING_TIME)], batch_s, rounds)

    raw = enc.encode("D", 12345, NOS_FIELDS, SENDING_TIME)
    validator = dictionary("FIX.4.4")
    parser = FixParser(dictionary=validator)

    def ours_parse():
        parser.feed(raw)
        msg = parser.poll(1)
        if msg.error is not None or validator.validate(msg) is not None:
            raise AssertionError("benchmark message must be valid")
        return msg
    sf_parser = simplefix.FixParser()

    def sf_parse():
        sf_parser.append_buffer(raw)
        return sf_parser.get_message()
    ours_parse_ns, sf_parse_ns = best_ns_interleaved([ours_parse, sf_parse], batch_s, rounds)
    return [("encode NewOrderSingle (template)", ours_tmpl, sf_enc),
            ("encode NewOrderSingle (generic)", ours_enc, sf_enc),
            ("parse+validate NewOrderSingle", ours_parse_ns, sf_parse_ns),
            ("encode NewOrderSingle (Python tmpl)", ours_py_tmpl, sf_enc)]


def bench_risk() -> tuple[float, float]:
    model = RiskModel(256)
    model.write(1, LimitEntry(1000, 18000, 20000))
    order = Order(1, "X", 0, 1, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 100, 19025)
    # The empty call is the floor: the cost of the call itself.
    check, baseline = best_ns_interleaved([lambda: model.check(order), lambda: None])
    return check, baseline


def bench_native_risk() -> tuple[float, float] | None:
    """The same check through the C port of the model (gateway/native/risk.c), or None if not built."""
    from ..native import _risk
    if _risk is None:
        return None
    model = _risk.RiskCore(256)
    model.write(1, LimitEntry(1000, 18000, 20000))
    order = Order(1, "X", 0, 1, Side.BUY, OrdType.LIMIT, TimeInForce.DAY, 100, 19025)
    return tuple(best_ns_interleaved([lambda: model.check(order), lambda: None]))


def main() -> int:
    print("wirespeed bench (per operation; ratio = baseline / ours, >1 means faster)\n")
    print(f"{'operation':<36}{'wirespeed':>12}{'simplefix':>12}{'ratio':>9}")
    for name, ours, theirs in bench_codec():
        print(f"{name:<36}{ours / 1000:>10.2f}us{theirs / 1000:>10.2f}us{theirs / ours:>8.1f}x")
    risk, floor = bench_risk()
    print(f"\nrisk check (golden model, 15 checks)  {risk / 1000:.2f}us per order "
          f"= {risk / floor:.1f}x an empty call ({floor:.0f}ns)")
    native = bench_native_risk()
    if native is not None:
        print(f"risk check (the model in C, native)   {native[0] / 1000:.2f}us per order "
              f"= {native[0] / native[1]:.1f}x an empty call ({native[1]:.0f}ns)")
    return 0



