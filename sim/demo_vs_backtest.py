"""Live against backtest: the same algorithm, seed and synthetic day, once in process and once over
sockets, and the TCA figures side by side (the issue's "within 2 bps" check).

``python -m wirespeed.sim.demo_vs_backtest [--algo twap] [--seed 1] [--minutes 5] [--speed 30]``

- backtest: ``sim/backtest.run_backtest`` on ``SyntheticDay(seed)`` (three venues XPRI / XALT /
  XINV, each with its own seeded makers, takers and passive noise following one latent value),
  on a ``SimClock``;
- live: the same day's participants (the same ``SyntheticDay.install``, the same seeds) trading on
  three sim venues behind FIX, with their ITCH feeds, the gateway (``model`` risk) and the desk on
  a ``ScaledClock``; the parent goes in over FIX with the backtest's StartTime / EndTime, and the
  desk's algorithm is built from the backtest's own config (``algo_config``: same seed, profile,
  impact parameters).

Two things differ, and they are why the figures differ at all:

1. Latency in simulated time. The backtest's one-way venue latency is 150-400 us; live, every
   real microsecond of sockets, the gateway and the loop is ``speed`` simulated microseconds (at
   speed 30 a 1 ms round trip is 30 simulated ms). Children meet books that have moved more.
2. The participants run on loop timers, not on an exact event queue: the loop fires them late by
   its own lag (times ``speed`` in simulated time), and once our orders trade, the books, the
   participants' reactions and so every later event differ from the backtest's. Same seed means
   the same participants and the same draws, not the same day event for event.

The participants trade on the live venue's matching engine directly (as in the backtest: they are
the market, not FIX clients); ``_BridgedEngine`` reports their trades against our resting children
to the venue's order handling, which is what sends those fills to the gateway over FIX.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from dataclasses import dataclass
from types import SimpleNamespace

from wirespeed.clock import ScaledClock, fix_timestamp
from wirespeed.config import load_config
from wirespeed.control.live import AlgoDesk
from wirespeed.control.live.strategy import strategy_fields
from wirespeed.control.tca.metrics import TcaResult, analyse
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.server import Gateway, VenueEndpoint
from wirespeed.gateway.transport import install_uvloop
from wirespeed.symbols import table_from_config

from .backtest.marketdays import SyntheticDay
from .backtest.run import BacktestSpec, algo_config, horizon, order_qty, run_backtest
from .demo import _feeds
from .venue import LatencyModel, SimVenue, VenueSpec, VenueSymbol
from .venue.core import VenueOrder as _CoreOrder

log = logging.getLogger("wirespeed.demo.compare")
NS = 1_000_000_000


class _RestartClock(ScaledClock):
    """A ``ScaledClock`` whose simulated time can be put back to its start once the venues, the
    gateway and the feeds are up: the day then begins when the market does, not a few simulated
    seconds of set-up later."""

    def restart(self) -> None:
        self._real0 = time.monotonic_ns()


class LoopClock:
    """A ``ScaledClock`` with the ``call_at`` / ``call_later`` the market participants schedule
    with, on the running loop (scaled: a simulated second is ``1 / speed`` real seconds). Its
    handles are kept until they run or are canceled, so ``close()`` stops the whole market."""

    def __init__(self, clock: ScaledClock):
        self.clock, self.speed = clock, clock.speed
        self._loop = asyncio.get_running_loop()
        self._handles: set = set()
        self.late_ns = 0                       # the largest lag of a callback behind its time (simulated)

    def time_ns(self) -> int:
        return self.clock.time_ns()

    monotonic_ns = time_ns

    def call_at(self, when_ns: int, fn, *args):
        delay = max(0.0, (when_ns - self.clock.time_ns()) / NS / self.speed)
        box: list = []

        def run():
            self._handles.discard(box[0])
            self.late_ns = max(self.late_ns, self.clock.time_ns() - when_ns)
            fn(*args)
        h = self._loop.call_later(delay, run)
        box.append(h)
        self._handles.add(h)
        return h

    def call_later(self, delay_s: float, fn, *args):
        return self.call_at(self.clock.time_ns() + int(delay_s * NS), fn, *args)

    def close(self) -> None:
        for h in list(self._handles):
            h.cancel()
        self._handles.clear()


class _Participant:
    """A participant's order as the venue's order handling sees it: the fields its fill
    bookkeeping touches (``VenueCore._fill``), no FIX owner; fills are passed on to the
    participant the way ``VenueAccess`` tells it (``on_fill(trade, maker)``)."""
    __slots__ = ("who", "symbol", "cum", "px_num", "qty", "open", "owner")

    def __init__(self, who, symbol: str, qty: int):
        self.who, self.symbol, self.cum, self.px_num, self.qty, self.open, self.owner = who, symbol, 0, 0, qty, True, None

    def on_fill(self, trade, maker: bool) -> None:
        if hasattr(self.who, "on_fill"):
            self.who.on_fill(trade, maker)

    def on_stp(self, order, qty) -> None:
        if hasattr(self.who, "on_stp"):
            self.who.on_stp(order, qty)


class _BridgedBook:
    """One symbol's book of a live venue, as the participants see it: their orders go straight
    to the book (owned by a ``_Participant``), and a trade against one of the venue's own orders
    (a resting child of ours) is reported through the venue's order handling, which sends the
    execution report to the gateway over FIX."""

    def __init__(self, core, book, symbol: str):
        self._core, self._book, self._symbol = core, book, symbol

    def __getattr__(self, name):
        return getattr(self._book, name)

    def _bridge(self, res):
        for t in res.fills:
            if isinstance(t.passive.owner, _CoreOrder) or isinstance(t.aggressor.owner, _CoreOrder):
                self._core._fill(t.aggressor.owner, t.passive.owner, t.qty, t.price, t.match_id)
        return res

    def submit(self, order):
        if not isinstance(order.owner, (_CoreOrder, _Participant)):
            order.owner = _Participant(order.owner, self._symbol, order.qty)
        return self._bridge(self._book.submit(order))

    def replace(self, order_id, price, qty):
        res = self._book.replace(order_id, price, qty)
        return self._bridge(res) if res is not None else res


class _BridgedEngine:
    """The live venue's engine for the participants (``book`` bridged); and, installed as the
    venue core's engine, it tells a participant of a trade one of our orders made against it."""

    def __init__(self, core, clock: LoopClock):
        self._core, self._engine, self.clock = core, core.engine, clock
        self._books = {s: _BridgedBook(core, b, s) for s, b in core.engine.books.items()}
        core.engine = _CoreSide(core.engine)

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def book(self, symbol: str):
        return self._books[symbol]


class _CoreSide:
    def __init__(self, engine):
        self._engine = engine

    def __getattr__(self, name):
        return getattr(self._engine, name)

    @staticmethod
    def _tell(res):
        if res is not None:
            for t in res.fills:
                for bo, maker in ((t.passive, True), (t.aggressor, False)):
                    if isinstance(bo.owner, _Participant):
                        bo.owner.on_fill(t, maker)
        return res

    def submit(self, symbol, order):
        return self._tell(self._engine.submit(symbol, order))

    def replace(self, symbol, order_id, price, qty):
        return self._tell(self._engine.replace(symbol, order_id, price, qty))


@dataclass
class Comparison:
    spec: BacktestSpec
    speed: float
    backtest: TcaResult
    live: TcaResult
    live_wall_s: float
    loop_late_ms: float           # the participants' worst timer lag, simulated ms

    @property
    def slippage_diff_bps(self) -> float:
        return self.live.slippage_bps - self.backtest.slippage_bps

    @staticmethod
    def vs_vwap_bps(t: TcaResult) -> float:
        return t.sign * (t.avg_px - t.market_vwap) / t.market_vwap * 1e4 if t.market_vwap else float("nan")

    def report(self) -> str:
        b, lv = self.backtest, self.live
        rows = [("slippage vs arrival (bps)", b.slippage_bps, lv.slippage_bps),
                ("vs market VWAP (bps)", self.vs_vwap_bps(b), self.vs_vwap_bps(lv)),
                ("fill rate", b.fill_rate, lv.fill_rate),
                ("children", b.children, lv.children),
                ("filled", b.filled, lv.filled),
                ("avg px (ticks)", b.avg_px, lv.avg_px),
                ("arrival mid (ticks)", b.arrival_mid, lv.arrival_mid)]
        s = self.spec
        out = [f"live vs backtest: {s.algo} {s.side} {b.qty:,} on SyntheticDay(seed={s.seed}), "
               f"{s.minutes:g} min from +{s.start_s:g}s, live at speed {self.speed:g}",
               f"{'':<28}{'backtest':>12}{'live':>12}{'live - bt':>12}"]
        for name, x, y in rows:
            out.append(f"{name:<28}{x:>12.4g}{y:>12.4g}{y - x:>12.4g}")
        verdict = "within" if abs(self.slippage_diff_bps) <= 2.0 else "NOT within"
        out.append(f"slippage difference {self.slippage_diff_bps:+.2f} bps: {verdict} 2 bps")
        out.append(f"live run {self.live_wall_s:.1f}s wall; participants' timers up to {self.loop_late_ms:.0f} "
                   "simulated ms late")
        return "\n".join(out)


async def run_live(spec: BacktestSpec, speed: float = 30.0):
    """The spec's order live over sockets on the same synthetic day; returns (TcaResult, tape, wall s, late ms)."""
    t0 = time.perf_counter()
    day = SyntheticDay(spec.seed)
    qty = order_qty(spec, day)
    cfg = algo_config(spec, day, qty)
    start_ns, end_ns = horizon(spec, day)
    px = day.base.start_ticks / 100
    config = load_config(overrides={
        "symbols": [{"name": day.symbol, "tick": "0.01", "reference": f"{px:.2f}"}],
        "risk": {"default": {"max_qty": 1_000_000, "collar_ticks": day.base.start_ticks // 2}}})
    symbols = table_from_config(config.symbols)
    clock = _RestartClock(speed, start_ns=day.open_ns)
    specs = [VenueSpec(v.name, ouch=False, maker_fee_bps=-v.make_rebate / day.base.start_ticks * 1e4,
                       taker_fee_bps=v.take_fee / day.base.start_ticks * 1e4, latency=LatencyModel(0.0),
                       symbols=(VenueSymbol(day.symbol, "0.01", f"{px:.2f}", levels=0),)) for v in day.venues]
    venues = [SimVenue(s, clock=clock) for s in specs]
    started, subs, gateway, client, lc = [], [], None, None, None
    try:
        for v in venues:
            await v.start()
            started.append(v)
        gateway = Gateway(config, clients=("CLIENT1",), symbols=symbols, venues=[
            VenueEndpoint(v.spec.name, "127.0.0.1", v.port, v.spec.comp_id) for v in venues])
        await gateway.start()
        desk = AlgoDesk(gateway.orders, symbols, day.venues, clock, configs=lambda name, parent: cfg)
        subs = await _feeds(venues, desk, clock, symbol=day.symbol)
        client = FixClient("CLIENT1", config.gateway.comp_id, "127.0.0.1", gateway.port)
        await client.start()
        clock.restart()                                      # the open is now
        lc = LoopClock(clock)
        day.install(SimpleNamespace(clock=lc, venues={v.spec.name: SimpleNamespace(engine=_BridgedEngine(v.core, lc))
                                                      for v in venues}))
        side = "1" if spec.side == "buy" else "2"
        delay = (start_ns - clock.time_ns()) / NS / speed
        await asyncio.sleep(max(0.0, delay - 0.05))          # the parent arrives just before its start
        client.new_order("PARENT", day.symbol, side, qty, None, ord_type="1", extra=strategy_fields(
            spec.algo, {"StartTime": fix_timestamp(start_ns), "EndTime": fix_timestamp(end_ns)}))
        deadline = end_ns + 30 * NS
        while clock.time_ns() < deadline:
            reps = client.reports.get("PARENT") or []
            if reps and reps[-1].get(T.OrdStatus) in ("2", "3", "4", "8"):
                break
            await asyncio.sleep(0.02)
        parent = desk.parents.get(("CLIENT1", "PARENT"))
        if parent is None:
            reps = client.reports.get("PARENT") or []
            raise RuntimeError(f"the live parent was not taken: {reps[-1].get(T.Text) if reps else 'no answer'}")
        tca = analyse(parent.runner.tape, parent.order.parent_id)
        return tca, parent.runner.tape, time.perf_counter() - t0, lc.late_ns / 1e6
    finally:
        if lc is not None:
            lc.close()
        if client is not None:
            await client.stop()
        for s in subs:
            await s.stop()
        if gateway is not None:
            await gateway.stop()
        for v in started:
            await v.stop()


def compare(spec: BacktestSpec, speed: float = 30.0) -> Comparison:
    bt = run_backtest(spec, SyntheticDay(spec.seed))
    install_uvloop()
    live, _tape, wall, late = asyncio.run(run_live(spec, speed))
    return Comparison(spec, speed, bt.tca, live, wall, late)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m wirespeed.sim.demo_vs_backtest", description=__doc__.split("\n")[0])
    p.add_argument("--algo", default="twap")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--qty", type=int, default=3000)
    p.add_argument("--start-s", type=float, default=60.0, help="the parent's start, seconds after the open")
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--speed", type=float, default=30.0, help="simulated seconds per real second, live")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    spec = BacktestSpec(algo=a.algo, qty=a.qty, start_s=a.start_s, minutes=a.minutes, seed=a.seed)
    print(compare(spec, a.speed).report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
