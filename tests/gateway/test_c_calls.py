"""The Python calls the fast paths' C made per order, made in C (gateway/native/calls.h).

The same scripts run three ways: the fast paths with those calls made in C
(``order_fast.set_c_calls(True)``, the default), the fast paths calling the Python as before
(``WIRESPEED_C_CALLS=0``'s state) and the Python path. The bytes to the client and each venue, the
trail, the order states, the counts, the books and the stores' numbers must be the same; and a
profile of the Python frames that ran shows the C did the calls (none of the six functions ran
with them on, every one with them off). ``_path.ticks_of`` (parse_ticks' common case) is fuzzed
against ``TickSize.parse_ticks``."""
from __future__ import annotations

import asyncio
import functools
import random
import sys
from collections import Counter

import pytest

from wirespeed.gateway import order_fast
from wirespeed.gateway.fix import orders as fix_orders
from wirespeed.gateway.order_records import OrderState
from wirespeed.gateway.store import MemoryStore
from wirespeed.gateway.transport.tcp import WriteBatcher
from wirespeed.ids import StringIds
from wirespeed.prices import PriceError, TickSize

from .test_fast_path import Rig, _random_script, order, pinned_time  # noqa: F401 (the autouse fixture)
from .test_fast_path_new_book import _many, _untrailed
from .test_report_fast_path import own_dictionaries

_path = pytest.importorskip("wirespeed.gateway.native._path")
pytestmark = pytest.mark.skipif(not hasattr(_path, "bind_calls"), reason="calls.h not built")

WATCHED = {"set_next_target": MemoryStore.set_next_target, "exec_id": StringIds.__next__,
           "parse_ticks": TickSize.parse_ticks, "report_fields": fix_orders.report_fields,
           "venue_order_id": fix_orders.venue_order_id, "batcher_write": WriteBatcher.write,
           "state_init": OrderState.__init__}


@pytest.fixture
def c_calls():
    """Set the switch for a run; put back as it was after the test."""
    was = order_fast.C_CALLS
    yield order_fast.set_c_calls
    order_fast.set_c_calls(was)


def _frames_of(fn) -> Counter:
    """Which of WATCHED ran (as Python frames) while ``fn()`` ran."""
    codes = {f.__code__: name for name, f in WATCHED.items()}
    seen: Counter = Counter()

    def prof(frame, event, arg):
        if event == "call":
            name = codes.get(frame.f_code)
            if name is not None:
                seen[name] += 1
    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return seen


def _bad_prices(rig):
    """Fills whose LastPx the C parse leaves to parse_ticks (finer than the tick, a lone dot, no
    whole part, off the grid, a sign), between clean ones: the reports Python takes from there."""
    rig.read(rig.frame("D", order("warm")))
    for k, px in enumerate(["190.25", "190.255", "190.", ".5", "190.2500", "-190.25", "0190.25", "190.25"]):
        rig.read(rig.frame("D", order(f"P{k}")))
        for m in rig.venue_got():
            if m.msg_type == "D":
                vcl, qty = m.get(11), int(m.get(38))
                rig.venue_says("VENUE1", "8", [(37, f"V{vcl}"), (11, vcl), (17, f"E{vcl}"), (150, "F"), (39, "2"),
                                               (55, m.get(55)), (54, m.get(54)), (38, qty), (32, qty), (31, px),
                                               (151, 0), (14, qty), (6, px)])


def _run(script, way: str, trail: bool, kw, c_calls):
    c_calls(way == "c")
    fast = way != "python"
    rig = Rig(fast, **kw) if trail else _untrailed(fast, True, **kw)
    own_dictionaries(rig)
    seen = _frames_of(lambda: script(rig))
    gw = rig.gw
    return seen, {"result": rig.result(), "client_open": dict(gw._client_open),
                  "open_notional": {n: v.open_notional for n, v in gw.venues.items()},
                  "venues_out": {n: v.messages_out for n, v in rig.venues.items()},
                  "fallbacks": (dict(gw.fast_fallbacks), dict(gw.report_fallbacks)) if fast else None}


@pytest.mark.parametrize("trail", [False, True], ids=["no_trail", "trail"])
@pytest.mark.parametrize("script,kw", [(_many, {"second_venue": True}), (lambda r: _random_script(r, 7), {}),
                                       (lambda r: _random_script(r, 23), {}), (_bad_prices, {})],
                         ids=["many", "random7", "random23", "bad_prices"])
def test_the_calls_made_in_c_give_what_the_python_calls_give(script, kw, trail, c_calls):
    seen_c, in_c = _run(script, "c", trail, kw, c_calls)
    seen_py, by_py = _run(script, "py", trail, kw, c_calls)
    _, by_path = _run(script, "python", trail, kw, c_calls)
    assert in_c["result"]["counts"].get("fills", 0) >= 3, in_c["result"]["counts"]
    for key in in_c:
        assert in_c[key] == by_py[key], key
    for key in ("result", "client_open", "open_notional", "venues_out"):
        assert in_c[key] == by_path[key], key
    # the comparison is worth something: with the switch on the C paths did not call the Python
    # functions (what still calls them is the Python path's own frames: fallbacks, admin, the
    # prices the C parse leaves to parse_ticks), with it off they did, once an order or report
    for name in ("set_next_target", "exec_id", "report_fields", "venue_order_id", "parse_ticks"):
        assert seen_c[name] < seen_py[name], (name, seen_c, seen_py)
    if not trail:        # (the C booking's OrderState: made in C, no __init__ frame; the Python path's are)
        assert seen_c["state_init"] < seen_py["state_init"], (seen_c, seen_py)


def test_the_order_state_made_in_c_is_the_one_its_class_makes(c_calls):
    """Every field of the C booking's OrderState as ``OrderState(...)`` sets it (the defaults, a
    fresh set and list each, ``client_id`` from ``__post_init__``); and a class whose fields are not
    the known ones gets no spec (the C booking then calls it)."""
    c_calls(True)
    rig = _untrailed(True, True)
    rig.read(rig.frame("D", order("warm")))
    rig.read(*(rig.frame("D", order(f"S{k}")) for k in range(3)))
    states = [s for s in rig.gw.orders.values() if s.order.cl_ord_id.startswith("CS")]
    assert len(states) == 3 and rig.client.fast.orders == 3
    for st in states:
        want = OrderState(st.order, rig.client, st.venue, qty=st.order.qty, reserved=st.order.qty, venue_cl=st.venue_cl)
        want.sent_ns = st.sent_ns
        assert st == want and st.client_id == "CLIENT1"
    assert len({id(s.exec_ids) for s in states} | {id(s.ouch_refs) for s in states}) == 6
    assert order_fast.state_spec() is not None and order_fast.state_spec(Rig) is None


def test_a_spec_whose_argument_index_is_not_an_int_in_range_is_refused(c_calls):
    """make_state indexes its argument array with a kind-0 item's value: anything but an int in
    0..5 is refused when bound (before: a str passed, read as -1, ``a[-1]`` outside the array)."""
    c_calls(True)
    rig = _untrailed(True, True)
    core, spec = rig.client.fast.core, order_fast.state_spec()
    for bad in ("order", None, -1, 6, 1 << 80):
        broken = tuple((n, k, bad) if k == 0 and n == "order" else (n, k, v) for n, k, v in spec)
        with pytest.raises(ValueError, match="a spec item"):
            core.bind_new_book(rig.gw, rig.client, OrderState, broken)
    core.bind_new_book(rig.gw, rig.client, OrderState, spec)      # (the good one still binds)


class _Wire:
    """A transport that keeps what is written to it."""

    def __init__(self, wire, name):
        self.wire, self.name = wire, name

    def write(self, data):
        self.wire.append((self.name, bytes(data)))

    def is_closing(self):
        return False


def test_the_batchers_read_branch_made_in_c_writes_what_writebatcher_write_writes(c_calls):
    """A read of four orders to the venue through the service's WriteBatcher: the first at once,
    the other three collected and written once the read is handled, ``batched`` counted; the same
    wire, in the same order, with WriteBatcher.write not called during the read when on."""
    from wirespeed.gateway.transport import tcp

    def run(on):
        c_calls(on)

        async def main():
            rig = Rig(True)
            own_dictionaries(rig)
            rig.read(rig.frame("D", order("first")))          # (the client's first order: Python's)
            rig.venue_got()
            wire = []
            batcher = WriteBatcher(per_turn=False)    # (the read's rest at its end: checked in the read)
            vproto = tcp.FixProtocol(lambda _d: rig.venues["VENUE1"])
            vproto.transport, vproto.session = _Wire(wire, "venue"), rig.venues["VENUE1"]
            rig.venues["VENUE1"]._write = functools.partial(batcher.write, vproto)
            rig.gw.venue_epoch += 1            # (the fast path's venue table redone: the new write)

            def read(*frames):
                batcher.begin_read()
                try:
                    rig.read(*frames)
                finally:
                    batcher.end_read()
            seen = _frames_of(lambda: read(*(rig.frame("D", order(f"w{k}")) for k in range(4))))
            batcher.write(vproto, b"LATER;")      # outside a read: at once (the turn's first)
            read(rig.frame("D", order("behind")))
            await asyncio.sleep(0)
            return wire, batcher.batched, seen, rig.client.fast.orders
        return asyncio.run(main())

    wire_c, batched_c, seen_c, n_c = run(True)
    wire_py, batched_py, seen_py, n_py = run(False)
    assert wire_c == wire_py and batched_c == batched_py == 3 and n_c == n_py == 5
    assert len(wire_c) == 4 and wire_c[1][1].count(b"\x0135=D\x01") == 3, wire_c
    assert seen_c["batcher_write"] == 0 and seen_py["batcher_write"] == 3, (seen_c, seen_py)


def _texts(rng):
    digits = "0123456789"
    for _ in range(6000):
        kind = rng.random()
        whole = "".join(rng.choice(digits) for _ in range(rng.randint(0, 20)))
        frac = "".join(rng.choice(digits + "0000") for _ in range(rng.randint(0, 8)))
        text = whole + ("." + frac if kind < 0.7 else "")
        if kind > 0.9:       # a stray character somewhere
            pos = rng.randint(0, len(text))
            text = text[:pos] + rng.choice("-+. e\x01\xb2") + text[pos:]
        yield text


@pytest.mark.parametrize("units,decimals", [(1, 2), (5, 2), (25, 4), (1, 0), (3, 1), (1, 9)])
def test_the_c_price_parse_gives_parse_ticks_result_or_leaves_it_the_text(units, decimals):
    tick = TickSize(units, decimals)
    rng = random.Random(units * 100 + decimals)
    taken = 0
    for text in _texts(rng):
        got = _path.ticks_of(text.encode("latin-1"), units, decimals)
        try:
            want = tick.parse_ticks(text)
        except PriceError:
            want = None
        if got is not None:
            taken += 1
            assert got == want, (text, got, want)
    # (the C parse takes most prices parse_ticks accepts)
    assert taken > 500, taken
    assert _path.ticks_of(b"190.25", 1, 2) == 19025 and _path.ticks_of(b"190.255", 1, 2) is None
    assert _path.ticks_of(b"190.250000", 5, 2) == 3805 and _path.ticks_of(b"190.26", 5, 2) is None
