"""Control-plane overhead per child order, beside the gateway's own added latency, measured in
one run (``python -m wirespeed.control.live.bench``).

Per decision that emits one child: the algorithm's decision, the router's split and the live
context's hand-off (the child's typed values into the gateway) are timed as the whole decision
(the live context's timer firing: ``runner.on_timer`` and the re-arm of the next timer) minus
the time spent inside ``OrderGateway.on_new_order_fields`` (route, throttles, risk, venue
encode), which is the gateway's own part and the baseline the ratio is printed against.
The venue session is a sink (no socket), so neither figure contains network time. The loop is
uvloop's, as the gateway and desk services and the demo run (``--loop asyncio`` for the
standard library's: its timers are Python objects, a few microseconds more per decision).
"""
from __future__ import annotations

import argparse
import asyncio
import time

from wirespeed.config import load_config
from wirespeed.gateway.orders import OrderGateway
from wirespeed.gateway.risk import make_backend
from wirespeed.latency import LatencyRecorder
from wirespeed.symbols import table_from_config

from ..marketdata import Quote
from ..routing import VenueInfo
from .desk import AlgoDesk
from .strategy import strategy_fields

NS = 1_000_000_000


class _SinkSession:
    """A venue session that takes every message and answers nothing."""
    active = True
    protocol = "fix"

    def __init__(self, name):
        self.name = name
        self.sent: list = []

    def send(self, msg_type, fields):
        if msg_type == "D":
            self.sent.append(dict(fields))


class _Client:
    class config:
        target_comp_id = "BENCH"
        begin_string = "FIX.4.4"
    name = "bench-client"

    def send(self, msg_type, fields):
        pass


class _Clock:
    def __init__(self, t):
        self.t = t

    def time_ns(self):
        return self.t


#: (label, object path from the runner, method) of each stage ``--stages`` stamps
STAGES = (("algorithm decision", "algo", "on_timer"), ("router", "router", "route"),
          ("leg bookkeeping", "", "_route"), ("context hand-off", "ctx", "send"),
          ("timer re-arm", "ctx", "set_timer"), ("schedule sample", "", "_schedule_sample"))


async def run(children: int = 3000, stages: dict | None = None) -> LatencyRecorder:
    """The bench; with ``stages`` (a dict), each stage's time per single-child decision is also
    appended to ``stages[label]`` (perf_counter_ns stamps around the runner's, algorithm's,
    router's and context's methods, each stage's own time: what it calls that is another stage,
    or the gateway, is taken out), and the stamps' own cost to ``stages["stamp"]``."""
    from wirespeed.clock import fix_timestamp
    from wirespeed.gateway.fix.message import FixMessage
    from wirespeed.gateway.fix import tags as T
    config = load_config(overrides={"risk": {"default": {"max_qty": 1_000_000, "collar_ticks": 10_000}}})
    symbols = table_from_config(config.symbols)
    orders = OrderGateway(symbols, make_backend(config.risk, symbols))
    venues = ["V1", "V2", "V3"]
    for v in venues:
        orders.add_venue(v, _SinkSession(v))
    clock = _Clock(1_764_599_400 * NS)
    desk = AlgoDesk(orders, symbols, [VenueInfo(v) for v in venues], clock, max_parents=2)
    sym = symbols.by_name("AAPL")
    ref = sym.reference_ticks
    for v in venues:
        desk.on_market(Quote(v, "AAPL", clock.t, ((ref - 1, 10**6),), ((ref + 1, 10**6),)))
    end = clock.t + max(children, 600) * NS      # TWAP finishes 60 s early: keep that a small share
    msg = FixMessage.from_pairs([(T.ClOrdID, "B1"), (T.Symbol, "AAPL"), (T.Side, "1"),
                                 (T.TransactTime, fix_timestamp()), (T.OrderQty, 100 * children),
                                 (T.OrdType, "1")] + strategy_fields("twap", {
                                     "EndTime": fix_timestamp(end), "Urgency": "passive", "DecisionSecs": "1",
                                     "MinChild": "100"}))
    desk.on_new(_Client(), msg)
    parent = desk.parents[("BENCH", "B1")]
    runner = parent.runner
    inner = [0]
    real = orders.on_new_order_fields

    def timed(client, cl, sym, side, ord_type, tif, qty, price, dest):
        # (the entry's arguments by name, not ``*a``: the wrapper's own cost is counted as
        # control's, so it is kept as small as the message entry's two-argument wrapper was)
        t = time.perf_counter_ns()
        real(client, cl, sym, side, ord_type, tif, qty, price, dest)
        inner[0] += time.perf_counter_ns() - t
    orders.on_new_order_fields = timed
    rec = LatencyRecorder(("control per child", "gateway per child"))
    ctx = runner.ctx
    spent: dict[str, int] = {}
    if stages is not None:
        _stamp_stages(runner, spent, inner)
    for i in range(children):
        clock.t += NS
        before = orders.counts["accepted"]
        inner[0] = 0
        # Each decision is the context's timer firing, as live (the loop runs the due handle:
        # taken off the loop here, outside the timing, and run in it; it re-arms the next one).
        if ctx._timer is not None:
            ctx._timer.cancel()
        t0 = time.perf_counter_ns()
        ctx._fire()
        total = time.perf_counter_ns() - t0
        if orders.counts["accepted"] - before == 1:
            rec.record("control per child", total - inner[0])
            rec.record("gateway per child", inner[0])
            if stages is not None:
                for k, v in spent.items():
                    stages.setdefault(k, []).append(v)
                stages.setdefault("stamp", []).append(_stamp_cost())
        spent.clear()
        _fill_all(orders)            # the venue fills every child (outside the timed part) ...
        await asyncio.sleep(0)       # ... and the reports reach control between decisions
    return rec


def _stamp_stages(runner, spent: dict, inner: list) -> None:
    """Wrap each stage's method on its instance: its own time (less the inner stages' and the
    gateway's, which ``inner`` holds) is added to ``spent[label]``."""
    depth = [0]                       # time of the inner stages of the stage running now
    for label, path, name in STAGES:
        obj = getattr(runner, path) if path else runner
        fn = getattr(obj, name)

        def stamped(*a, _fn=fn, _label=label, **kw):
            outer, depth[0] = depth[0], 0
            gw = inner[0]
            t = time.perf_counter_ns()
            r = _fn(*a, **kw)
            took = time.perf_counter_ns() - t
            own = took - depth[0] - (inner[0] - gw)
            spent[_label] = spent.get(_label, 0) + own
            depth[0] = outer + took - (inner[0] - gw)
            return r
        setattr(obj, name, stamped)


def _stamp_cost() -> int:
    """One stamp pair with its bookkeeping, as a stage's wrapper spends it (taken off the figures)."""
    t = time.perf_counter_ns()
    time.perf_counter_ns()
    return time.perf_counter_ns() - t


def _fill_all(orders) -> None:
    """Each venue fills what it was sent: working children stay few, as in a live market."""
    from wirespeed.gateway.fix import tags as T
    from wirespeed.gateway.fix.message import FixMessage
    for link in orders.venues.values():
        s = link.session
        for f in s.sent:
            qty, px = f[T.OrderQty], f.get(T.Price, "190.00")
            orders.on_venue_report(FixMessage.from_pairs([
                (T.MsgType, "8"), (T.OrderID, f[T.ClOrdID]), (T.ClOrdID, f[T.ClOrdID]),
                (T.ExecID, f"X{f[T.ClOrdID]}"), (T.ExecType, "F"), (T.OrdStatus, "2"), (T.Symbol, f[T.Symbol]),
                (T.Side, f[T.Side]), (T.OrderQty, qty), (T.LastQty, qty), (T.LastPx, px), (T.LeavesQty, 0),
                (T.CumQty, qty), (T.AvgPx, px)]), link)
        s.sent.clear()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m wirespeed.control.live.bench")
    p.add_argument("--children", type=int, default=3000)
    p.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                   help="the event loop (default uvloop, as the services and the demo run)")
    p.add_argument("--stages", action="store_true",
                   help="also print where the control plane's time goes (stamps per stage; they cost a little)")
    args = p.parse_args(argv)
    stages: dict | None = {} if args.stages else None
    if args.loop == "uvloop":
        import uvloop
        rec = uvloop.run(run(args.children, stages))
    else:
        rec = asyncio.run(run(args.children, stages))
    c = rec.histogram("control per child").get_value_at_percentile(50) / 1000
    g = rec.histogram("gateway per child").get_value_at_percentile(50) / 1000
    print(rec.table("us"))
    print(f"control-plane overhead per child p50 {c:.1f} us = {c / g:.2f} x the gateway's own {g:.1f} us "
          f"(target <= 30 us; {args.loop} loop)")
    if stages:
        print(_stages_table(stages, g))
    return 0


def _stages_table(stages: dict, gateway_us: float) -> str:
    """Each stage's p50 own time and its multiple of the gateway's own p50 (the stamps' cost is
    taken off each stage: two stamp pairs a call, once for the stage, once for its caller)."""
    import statistics
    stamp = statistics.median(stages["stamp"]) / 1000
    lines = [f"where the control plane's time goes (p50 per child, stamps ~{stamp:.2f} us each taken off):"]
    rows = [(label, max(0.0, statistics.median(stages[label]) / 1000 - stamp)) for label, _, _ in STAGES
            if label in stages]
    for label, us in rows:
        lines.append(f"  {label:22s} {us:7.2f} us  {us / gateway_us:5.2f} x the gateway's own")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
