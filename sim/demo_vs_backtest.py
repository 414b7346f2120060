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

Three things differ, and they are why the figures differ at all:

1. Latency in simulated time. The backtest's one-way venue latency is 150-400 us; live, every
   real microsecond of sockets, the gateway and the loop is ``speed`` simulated microseconds (at
   speed 30 a 1 ms round trip is 30 simulated ms). Children meet books that have moved more.
2. Our orders reach the books at real (scaled) times, not at the backtest's: the participants'
   own events run from one time-ordered queue timed as the backtest times them (``LoopClock``),
   so until the parent trades the day is the backtest's; from its first child on, the books the
   participants see, and so their later draws, differ.
3. The loop's lag: a participant's event runs when the loop gets to it (its time is right, but the
   book changes that late in real time), so the desk sees books up to the lag x ``speed`` old
   (printed: "participants' timers up to ... late").

The participants trade on the live venue's matching engine directly (as in the backtest: they are
the market, not FIX clients); ``_BridgedEngine`` reports their trades against our resting children
to the venue's order handling, which is what sends those fills to the gateway over FIX.
"""
from __future__ import annotations

import argparse
import asyncio
import heapq
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
from wirespeed.control.tca.tape import ChildRecord
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


class _Handle:
    __slots__ = ("when", "seq", "fn", "args", "cancelled")

    def __init__(self, when: int, seq: int, fn, args: tuple):
        self.when, self.seq, self.fn, self.args, self.cancelled = when, seq, fn, args, False

    def __lt__(self, other: "_Handle") -> bool:
        return (self.when, self.seq) < (other.when, other.seq)

    def cancel(self) -> None:
        self.cancelled = True


class LoopClock:
    """The participants' clock on the running loop: ``call_at`` / ``call_later`` as a
    ``SimClock``'s, run from one queue in time order (FIFO among equal times) when the scaled
    clock reaches them. While a callback runs, ``time_ns`` is its scheduled time, so whatever it
    schedules is timed from where the backtest would time it: the participants' own day is the
    backtest's, event for event, however late the loop gets to it; only what our orders do to
    the books (arriving at real, scaled times) makes it differ."""

    def __init__(self, clock: ScaledClock):
        self.clock, self.speed = clock, clock.speed
        self._loop = asyncio.get_running_loop()
        self._queue: list[_Handle] = []
        self._seq = 0
        self._now: int | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for: int | None = None
        self.late_ns = 0                       # the largest lag of a callback behind its time (simulated)
        self.closed = False

    def time_ns(self) -> int:
        return self._now if self._now is not None else self.clock.time_ns()

    monotonic_ns = time_ns

    def call_at(self, when_ns: int, fn, *args) -> _Handle:
        self._seq += 1
        h = _Handle(int(when_ns), self._seq, fn, args)
        heapq.heappush(self._queue, h)
        if self._now is None and (self._armed_for is None or h.when < self._armed_for):
            self._arm()
        return h

    def call_later(self, delay_s: float, fn, *args) -> _Handle:
        return self.call_at(self.time_ns() + int(delay_s * NS), fn, *args)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._armed_for = None
        if self.closed or not self._queue:
            return
        when = self._queue[0].when
        self._armed_for = when
        self._timer = self._loop.call_later(max(0.0, (when - self.clock.time_ns()) / NS / self.speed), self._drain)

    def _drain(self) -> None:
        self._timer = self._armed_for = None
        now = self.clock.time_ns()
        q = self._queue
        while q and q[0].when <= now and not self.closed:
            h = heapq.heappop(q)
            if h.cancelled:
                continue
            self.late_ns = max(self.late_ns, now - h.when)
            self._now = h.when
            try:
                h.fn(*h.args)
            finally:
                self._now = None
        self._arm()

    def close(self) -> None:
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
        self._queue.clear()


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
    decisions: tuple[int, int] = (0, 0)   # the algorithm's children (not their venue legs): backtest, live

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
                ("decisions (children)", *self.decisions),
                ("venue orders (legs)", b.children, lv.children),
                ("filled", b.filled, lv.filled),
                ("avg px (ticks)", b.avg_px, lv.avg_px),
                ("arrival mid (ticks)", b.arrival_mid, lv.arrival_mid),
                ("market volume", b.market_volume, lv.market_volume)]
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


async def run_live(spec: BacktestSpec, speed: float = 30.0, to_end: bool = True):
    """The spec's order live over sockets on the same synthetic day; returns (TcaResult, tape, wall s,
    late ms). ``to_end``: run on to the parent's EndTime when it finishes early, so its tape has the
    market of its whole horizon, as the backtest's (TCA's market VWAP and end mid are over it)."""
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
        # The parent arrives at its start, as the backtest submits it: its arrival mid (TCA's
        # benchmark) is the book's then, not a second of simulated time earlier.
        await asyncio.sleep(max(0.0, delay - 0.002))
        client.new_order("PARENT", day.symbol, side, qty, None, ord_type="1", extra=strategy_fields(
            spec.algo, {"StartTime": fix_timestamp(start_ns), "EndTime": fix_timestamp(end_ns)}))
        deadline = end_ns + 30 * NS
        while clock.time_ns() < deadline:
            reps = client.reports.get("PARENT") or []
            if reps and reps[-1].get(T.OrdStatus) in ("2", "3", "4", "8"):
                if not to_end or clock.time_ns() >= end_ns:
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


def decisions(tape) -> int:
    """The algorithm's children on a tape: what it decided, before the router split or re-routed them."""
    return len({r.child_id for r in tape.of(ChildRecord)})


def compare(spec: BacktestSpec, speed: float = 30.0, to_end: bool = True) -> Comparison:
    bt = run_backtest(spec, SyntheticDay(spec.seed))
    install_uvloop()
    live, tape, wall, late = asyncio.run(run_live(spec, speed, to_end))
    return Comparison(spec, speed, bt.tca, live, wall, late, (decisions(bt.tape), decisions(tape)))


GOAL_BPS = 2.0
ALGOS = ("twap", "vwap", "pov", "is", "iceberg", "adaptive")


def sweep(algos, seeds, *, qty: int = 3000, start_s: float = 60.0, minutes: float = 2.0, speed: float = 30.0,
          to_end: bool = True, out=None) -> list[Comparison]:
    """``compare`` for each algorithm on each seed's synthetic day (a live run is ``minutes`` x 60 /
    ``speed`` wall seconds and a start-up, so ``len(algos) x len(seeds)`` of them are bounded);
    ``out``: each comparison's row printed as it ends."""
    done = []
    for algo in algos:
        for seed in seeds:
            c = compare(BacktestSpec(algo=algo, qty=qty, start_s=start_s, minutes=minutes, seed=seed), speed, to_end)
            done.append(c)
            if out is not None:
                print(sweep_row(c), file=out, flush=True)
    return done


def sweep_row(c: Comparison) -> str:
    d = c.slippage_diff_bps
    return (f"{c.spec.algo:<9}{c.spec.seed:>5}{c.backtest.slippage_bps:>11.2f}{c.live.slippage_bps:>9.2f}{d:>+10.2f}"
            f"{c.backtest.filled:>9,}{c.live.filled:>9,}  {'ok' if abs(d) <= GOAL_BPS else 'OVER'}")


SWEEP_HEADER = f"{'algo':<9}{'seed':>5}{'bt bps':>11}{'live bps':>9}{'live-bt':>10}{'bt fill':>9}{'lv fill':>9}  vs 2 bps"


def sweep_summary(comps: list[Comparison]) -> str:
    """Per algorithm: how many seeds within the goal, the worst and the mean absolute difference."""
    lines = []
    for algo in dict.fromkeys(c.spec.algo for c in comps):
        ds = [c.slippage_diff_bps for c in comps if c.spec.algo == algo]
        ok = sum(abs(d) <= GOAL_BPS for d in ds)
        worst = max(ds, key=abs)
        lines.append(f"{algo:<9} {ok}/{len(ds)} seeds within {GOAL_BPS:g} bps; worst {worst:+.2f}, mean |diff| "
                     f"{sum(map(abs, ds)) / len(ds):.2f} bps")
    total = sum(abs(c.slippage_diff_bps) <= GOAL_BPS for c in comps)
    lines.append(f"all: {total}/{len(comps)} runs within {GOAL_BPS:g} bps of the backtest")
    return "\n".join(lines)


def _list(text: str, kind):
    try:
        return tuple(kind(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a comma-separated list") from None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m wirespeed.sim.demo_vs_backtest", description=__doc__.split("\n")[0])
    p.add_argument("--algo", default="twap")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sweep", action="store_true", help="every --algos on every --seeds: per-seed difference vs 2 bps")
    p.add_argument("--algos", type=lambda t: _list(t, str), default=ALGOS, help="with --sweep (default: all six)")
    p.add_argument("--seeds", type=lambda t: _list(t, int), default=(1, 2, 3), help="with --sweep (default 1,2,3)")
    p.add_argument("--qty", type=int, default=3000)
    p.add_argument("--start-s", type=float, default=60.0, help="the parent's start, seconds after the open")
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--speed", type=float, default=30.0, help="simulated seconds per real second, live")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if a.sweep:
        bad = [x for x in a.algos if x not in ALGOS]
        if bad:
            p.error(f"--algos: {bad[0]!r} is not one of {', '.join(ALGOS)}")
        print(f"live vs backtest: {len(a.algos)} algorithms x seeds {','.join(map(str, a.seeds))}, {a.qty:,} shares, "
              f"{a.minutes:g} min from +{a.start_s:g}s, live at speed {a.speed:g}")
        print(SWEEP_HEADER)
        comps = sweep(a.algos, a.seeds, qty=a.qty, start_s=a.start_s, minutes=a.minutes, speed=a.speed, out=sys.stdout)
        print(sweep_summary(comps))
        return 0
    spec = BacktestSpec(algo=a.algo, qty=a.qty, start_s=a.start_s, minutes=a.minutes, seed=a.seed)
    print(compare(spec, a.speed).report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
