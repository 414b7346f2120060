"""The client ExecutionReport's fields in C (gateway/native/report.c) against report_fields'
Python: the same list, value for value and type for type, on random reports."""
import random

import pytest

from wirespeed.enums import ExecType, OrdStatus, OrdType, Side
from wirespeed.gateway.fix import orders as fo
from wirespeed.prices import TickSize
from wirespeed.reasons import RejectReason
from wirespeed.symbols import Symbol, SymbolTable

pytestmark = pytest.mark.skipif(fo._REPORT_FIELDS is None, reason="gateway/native/_report not built or off")

TICKS = [TickSize(1, 2), TickSize(5, 2), TickSize(1, 0), TickSize(25, 4), TickSize(3, 9), TickSize(5, 5),
         TickSize(7, 1)]


def _int(rng):
    return rng.choice([0, 1, rng.randrange(1, 1000), rng.randrange(1 << 32), rng.randrange(1 << 63),
                       rng.randrange(1 << 64), 1 << 64, (1 << 63) - 1])


def test_native_report_fields_are_the_python_ones():
    rng = random.Random(21)
    symbols = SymbolTable()
    for k, tick in enumerate(TICKS, 1):
        symbols.add(Symbol(k, f"S{k}", tick, 100))
    native = 0
    for trial in range(3_000):
        sym = symbols.by_index(rng.randrange(1, len(TICKS) + 1))
        cum = rng.choice([0, 0, rng.randrange(1, 1000), rng.randrange(1, 1 << 32), 1 << 32])
        avg = rng.choice([0, cum * rng.randrange(1, 1 << 20), _int(rng)])
        args = (rng.choice(["FIX.4.2", "FIX.4.4"]), rng.choice(["C1", "", "ORD-ü"]),
                rng.choice([None, 0, rng.randrange(1, 1 << 40)]), f"W{trial}", rng.choice(list(ExecType)),
                rng.choice(list(OrdStatus)), sym.name, rng.choice(list(Side) + [1, 2]),
                rng.choice([100, rng.randrange(1 << 32)]), rng.choice([0, _int(rng), rng.randrange(1, 10**6)]),
                rng.choice([0, 0, _int(rng)]), rng.choice([0, _int(rng), rng.randrange(1, 10**6)]), cum,
                rng.randrange(0, 1000), avg, rng.choice(list(RejectReason)), rng.choice(["", "", "venue: why", "€"]),
                rng.choice(list(OrdType) + [2]))
        want = fo._report_fields(sym, *args)
        got = fo.report_fields(symbols, *args)
        assert got == want, (args, got, want)
        assert [type(v) for _, v in got] == [type(v) for _, v in want]
        c = fo._REPORT_FIELDS(args[0] == "FIX.4.2", *args[1:], fo._tick_args(sym.tick))
        if c is not None:
            assert c == want
            native += 1
    assert native > 1_500, native          # the common case is the C one; the rest fell back


def test_native_report_fields_refuse_what_they_do_not_cover():
    sym = Symbol(1, "AAPL", TickSize(1, 2), 19000)
    tick = fo._tick_args(sym.tick)
    base = [False, "C1", 7, "E1", ExecType.TRADE, OrdStatus.FILLED, "AAPL", Side.BUY, 10, 19000, 10, 19000, 10, 0,
            190000, RejectReason.NONE, "", OrdType.LIMIT, tick]
    assert fo._REPORT_FIELDS(*base) is not None
    for at, value in ((9, -1), (11, 1 << 63), (14, 1 << 64), (12, True), (16, None)):
        args = list(base)
        args[at] = value
        assert fo._REPORT_FIELDS(*args) is None, (at, value)
    with pytest.raises(TypeError, match="19 positional"):
        fo._REPORT_FIELDS(*base[:-1])
    with pytest.raises(KeyError):
        fo._REPORT_FIELDS(*base[:4], "no such exec type", *base[5:])
