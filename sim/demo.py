"""The main job: a parent order over FIX, worked live by control's algorithm across three venues.

``wirespeed demo`` starts on 127.0.0.1, in accelerated time (a ``ScaledClock``):

- three simulated venues with different fees, latency and liquidity: ALPHA behind OUCH 5.0
  (the gateway's OUCH venue session), BRAVO and CHARLIE behind FIX 4.4; each publishes its book
  as ITCH 5.0 over MoldUDP64 and a seeded taker trades against it (the market's volume);
- two network paths to BRAVO through ``sim/net`` relays; path A is the faster until it degrades
  (a latency toxic) mid-run, then stops answering (a timeout toxic);
- the gateway (``model`` risk backend, or ``--hw verilator``) with one venue session per path;
- the control plane: ``AlgoDesk`` on the gateway's TargetStrategy hook, a ``PathSelector`` for
  BRAVO probed by TestRequest, one ``VenueManager`` per venue whose ``MarketFeed`` (the gateway's
  ITCH / MoldUDP64 feed handler) hands the desk ``Quote``/``TradePrint``;
- a FIX client sending the parent order (default: buy 50,000 AAPL over one simulated hour, VWAP).

It shows a progress bar, then prints the TCA report (slippage vs arrival and VWAP, fill rate, per
venue and per path), the path events and the per-hop latency table, writes plots to ``--out``,
and exits 0.
"""
from __future__ import annotations

import asyncio
import logging
import random
import sys
import time
from dataclasses import dataclass, field

from wirespeed.clock import ScaledClock, fix_timestamp, now_ns
from wirespeed.config import load_config
from wirespeed.control.algorithms import AdaptiveConfig, IcebergConfig, IsConfig, PovConfig, TwapConfig
from wirespeed.control.algorithms.vwap import VolumeProfile, VwapConfig
from wirespeed.control.analytics.impact import ImpactModel
from wirespeed.control.live.strategy import strategy_fields
from wirespeed.control.model import ExecutionRefused
from wirespeed.control.paths import PathConfig
from wirespeed.control.risk import BreakerConfig, VenueCaps
from wirespeed.control.routing import VenueInfo
from wirespeed.control.service import DeskService
from wirespeed.control.service_config import ControlServiceConfig, VenueEntry
from wirespeed.control.venues import FeedEndpoint, MarketFeed, PathEndpoint, ReconnectPolicy, VenueLimits
from wirespeed.control.tca.metrics import analyse
from wirespeed.control.tca.report import text_report
from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.service_config import ClientSessionConfig
from wirespeed.gateway.transport import install_uvloop
from wirespeed.symbols import table_from_config

from .net import Relay, ToxicSpec
from .venue import LatencyModel, SimVenue, VenueSpec, VenueSymbol

log = logging.getLogger("wirespeed.demo")

NS = 1_000_000_000
SYMBOL = "AAPL"
DAY_OPEN_NS = 1_764_599_400 * NS          # 2025-12-01 14:30 UTC (09:30 New York): the simulated day
ALGOS = ("twap", "vwap", "pov", "is", "iceberg", "adaptive")


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """algo: the parent's strategy; qty over minutes (simulated); speed: simulated seconds per real
    second; trade_every_s: a taker order on each venue this often (simulated), trade_qty its size."""
    algo: str = "vwap"
    qty: int = 50_000
    minutes: float = 60.0
    speed: float = 150.0
    seed: int = 7
    hw: str = "model"
    out: str = "demo-out"
    trade_every_s: float = 1.0
    trade_qty: int = 300
    plots: bool = True
    progress: bool = True
    config: str | None = None           # a TOML config laid under the demo's own risk settings

    def __post_init__(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"--algo: {self.algo!r} is none of {', '.join(ALGOS)}")
        if self.qty <= 0:
            raise ValueError(f"--qty: must be positive, not {self.qty}")
        if not self.minutes > 0 or not self.speed > 0:
            raise ValueError(f"--minutes and --speed must be positive, not {self.minutes} / {self.speed}")
        if self.hw not in ("model", "amaranth", "verilator"):
            raise ValueError(f"--hw: {self.hw!r} is none of model, amaranth, verilator")


# Fees in bps of notional at the venue; the router's VenueInfo takes ticks per share (190.00 = 19,000 ticks).
VENUES = (
    VenueSpec("ALPHA", ouch=True, ouch_users={"WSGW": "SECRET"}, maker_fee_bps=-0.2, taker_fee_bps=0.3,
              latency=LatencyModel(40, 10, "normal", 1),
              symbols=(VenueSymbol(SYMBOL, "0.01", "190.00", levels=5, level_qty=800),)),
    VenueSpec("BRAVO", ouch=False, maker_fee_bps=0.0, taker_fee_bps=0.1,
              latency=LatencyModel(120, 60, "exponential", 2),
              symbols=(VenueSymbol(SYMBOL, "0.01", "190.00", levels=4, level_qty=500),)),
    VenueSpec("CHARLIE", ouch=False, maker_fee_bps=-0.1, taker_fee_bps=0.25,
              latency=LatencyModel(60, 20, "uniform", 3),
              symbols=(VenueSymbol(SYMBOL, "0.01", "190.01", levels=3, level_qty=300),)),
)


def venue_info(spec: VenueSpec, ref_ticks: int) -> VenueInfo:
    per_share = ref_ticks / 10_000
    return VenueInfo(spec.name, take_fee=spec.taker_fee_bps * per_share, make_rebate=-spec.maker_fee_bps * per_share)


@dataclass
class DemoResult:
    reports: list = field(default_factory=list)          # the parent's ExecutionReports, as the client saw them
    tca: object = None
    tca_text: str = ""
    path_events: list = field(default_factory=list)
    path_report: str = ""
    per_path: dict = field(default_factory=dict)          # gateway venue link -> shares filled
    latency_table: str = ""
    plots: list = field(default_factory=list)
    wall_s: float = 0.0
    stranded: int = 0
    gateway_counts: dict = field(default_factory=dict)
    trips: list = field(default_factory=list)
    path_health: list = field(default_factory=list)
    rejects: dict = field(default_factory=dict)
    venue_events: list = field(default_factory=list)      # (s, venue, session, what) from the venue managers

    @property
    def final(self):
        return self.reports[-1] if self.reports else None

    def report(self) -> str:
        f = self.final
        lines = ["wirespeed demo: a parent order over FIX, worked live across three venues", ""]
        if f is not None:
            lines.append(f"parent {f.get(T.ClOrdID)}: OrdStatus {f.get(T.OrdStatus)} CumQty {f.get(T.CumQty)} "
                         f"AvgPx {f.get(T.AvgPx)} ({sum(1 for m in self.reports if m.get(T.ExecType) == 'F')} "
                         f"fill reports, LastMkt {sorted({m.get(30) for m in self.reports if m.get(30)})})")
        c = self.gateway_counts
        lines.append(f"gateway: {c.get('accepted', 0)} child orders accepted, {c.get('rejected', 0)} rejected "
                     f"({', '.join(f'{k}={v}' for k, v in sorted(self.rejects.items())) or '-'}), "
                     f"{c.get('fills', 0)} fills")
        lines += ["", self.tca_text, "", "fills per path (gateway venue session)"]
        lines += [f"  {k:<10} {v:>9,}" for k, v in sorted(self.per_path.items())]
        lines += ["", "path events"]
        rows = [(ev.ts_ns, f"{ev.venue}: orders {ev.old} -> {ev.new} ({ev.reason})") for ev in self.path_events]
        rows += [(ts, f"{path} {what}") for ts, path, what in self.path_health]
        lines += [f"  +{ts / 1e9:8.3f}s {text}" for ts, text in sorted(rows)]
        if self.stranded:
            lines.append(f"  {self.stranded} child orders were on a failed path at the end (the gateway reconciles "
                         "them with status requests when the session is back)")
        lines += ["", "venue sessions"]
        lines += [f"  +{ts:8.3f}s {venue} {link}: {what}" for ts, venue, link, what in self.venue_events] or \
            ["  every session stayed up"]
        lines += ["", "circuit breakers"]
        lines += [f"  {t.breaker} {t.venue}: {t.reason}" for t in self.trips] or ["  none tripped"]
        lines += ["", self.path_report, "", "latency per hop (microseconds, real time)", self.latency_table]
        if self.plots:
            lines += ["", "plots: " + ", ".join(str(p) for p in self.plots)]
        lines.append(f"\nwall time {self.wall_s:.1f}s")
        return "\n".join(lines)


class _Taker:
    """The rest of the market at one venue: seeded IOC orders against its book."""

    def on_report(self, r):
        pass


def _configs(opts: DemoOptions, start_ns: int, end_ns: int, ref_ticks: int):
    expected = len(VENUES) * opts.trade_qty * (end_ns - start_ns) / NS / opts.trade_every_s
    bins = 12
    # U-shaped: busier at the start and end of the hour
    w = [1.6 - 1.2 * (1 - abs(2 * i / (bins - 1) - 1)) for i in range(bins)]
    fractions = [x / sum(w) for x in w]
    bin_s = int((end_ns - start_ns) / NS / bins)

    def make(name, parent):
        base = dict(min_child=100, decision_s=20.0, seed=opts.seed)
        if name == "twap":
            return TwapConfig(**base)
        if name == "vwap":
            prof = VolumeProfile.from_fractions(start_ns, bin_s, fractions, expected, end_ns)
            return VwapConfig(profile=prof, **base)
        rate = min(1.0, 1.15 * parent.qty / expected)
        if name == "pov":
            return PovConfig(rate=rate, min_rate=rate / 2, max_rate=min(1.0, 2 * rate), **base)
        if name == "iceberg":
            return IcebergConfig(display_qty=max(100, parent.qty // 40), **base)
        T_s = (end_ns - start_ns) / NS
        p = ImpactModel().ac_params(parent.qty, T_s, expected, ref_ticks, 0.5, 0.05, 0.0)
        is_cfg = IsConfig(params=p, **base)
        if name == "is":
            return is_cfg
        if name == "adaptive":
            return AdaptiveConfig(is_config=is_cfg, pov=PovConfig(rate=rate, min_rate=0.0, max_rate=1.0), **base)
        raise ExecutionRefused(f"unknown algorithm {name!r}")
    return make


async def run_demo(opts: DemoOptions = DemoOptions()) -> DemoResult:
    t_wall = time.perf_counter()
    load_config(opts.config)                  # the file as given is validated (errors name its keys) ...
    config = load_config(opts.config, overrides={"risk": {"backend": opts.hw, "default": {"max_qty": 100_000,
                                                                            "collar_ticks": 2_000}}})
    # ... then the demo's order size and collar are laid over it
    symbols = table_from_config(config.symbols)
    sym = symbols.by_name(SYMBOL)
    clock = ScaledClock(opts.speed, start_ns=DAY_OPEN_NS)
    rng = random.Random(opts.seed)
    venues = [SimVenue(spec, clock=clock) for spec in VENUES]
    relay = Relay(seed=opts.seed)
    result = DemoResult()
    started: list = []
    try:
        for v in venues:
            await v.start()
            started.append(v)
        alpha, bravo, charlie = venues
        path_a = await relay.create("bravo_a", f"127.0.0.1:{bravo.port}")
        path_b = await relay.create("bravo_b", f"127.0.0.1:{bravo.port}", toxics=[
            ToxicSpec("latency", name="slow_b", stream="downstream", attributes={"latency": 0.25})])
        # The desk service's builder (control/service.py), as `wirespeed control` runs it: the gateway,
        # the algo desk, one venue manager per venue owning its sessions (BRAVO's two, through the
        # relays) and its ITCH feed, BRAVO's path selector and prober, the breakers.
        fees = {s.name: venue_info(s, sym.reference_ticks) for s in VENUES}
        feed = lambda v: FeedEndpoint(v.feed.request_port, session=v.spec.feed.session or v.spec.name)  # noqa: E731
        entry = lambda i, v, paths: VenueEntry(  # noqa: E731
            v.spec.name, paths, take_fee=fees[v.spec.name].take_fee, make_rebate=fees[v.spec.name].make_rebate,
            feed=feed(v), limits=VenueLimits(rate=2_000, burst=50), caps=VenueCaps(max_trades=10_000),
            reconnect=ReconnectPolicy(0.05, 1.0, 0.2, seed=opts.seed + i), cancel_on_stop=False)
        cfg = ControlServiceConfig(
            clients=(ClientSessionConfig("CLIENT1"),), gateway=config.gateway, risk=config.risk,
            symbols=config.symbols,
            venues=(entry(0, alpha, (PathEndpoint("ALPHA", alpha.ouch_port, protocol="ouch", username="WSGW",
                                                  password="SECRET"),)),
                    entry(1, bravo, (PathEndpoint("BRAVO-A", path_a.port, comp_id="BRAVO", sender_comp_id="WSGW_A"),
                                     PathEndpoint("BRAVO-B", path_b.port, comp_id="BRAVO", sender_comp_id="WSGW_B"))),
                    entry(2, charlie, (PathEndpoint("CHARLIE", charlie.port),))),
            paths=PathConfig(probe_interval_s=0.05, timeout_s=0.1, alpha=0.1, hysteresis_us=1000),
            breakers=BreakerConfig(), desk_caps=VenueCaps(max_trades=30_000))
        horizon: dict = {}                       # the parent's start and end, set once everything is up
        svc = DeskService(cfg, clock, configs=lambda name, parent: _configs(
            opts, horizon["start"], horizon["end"], sym.reference_ticks)(name, parent))
        gateway, desk, breakers, managers = svc.gateway, svc.desk, svc.breakers, svc.managers
        selector, prober = svc.selectors["BRAVO"], svc.prober
        t_probe0, t_mono0 = now_ns(), time.monotonic()    # the report's times are from here (real seconds)
        port = await svc.start()
        start_ns = horizon["start"] = clock.time_ns() + 5 * NS
        end_ns = horizon["end"] = start_ns + int(opts.minutes * 60 * NS)
        takers = [asyncio.create_task(_taker(v, sym, clock, opts, random.Random(rng.random()))) for v in venues]
        client = FixClient("CLIENT1", config.gateway.comp_id, "127.0.0.1", port)
        await client.start()
        await asyncio.sleep(0.2)                        # the feeds' first books in
        params = {"StartTime": fix_timestamp(start_ns), "EndTime": fix_timestamp(end_ns)}
        client.new_order("PARENT1", SYMBOL, "1", opts.qty, None, ord_type="1",
                         extra=strategy_fields(opts.algo, params))
        try:
            await _work(client, clock, opts, start_ns, end_ns, path_a)
        finally:
            for t in takers:
                t.cancel()
            await prober.stop()
            parent = desk.parents.get(("CLIENT1", "PARENT1"))
            result.reports = list(client.reports["PARENT1"])
            if parent is not None:
                tca = analyse(parent.runner.tape, parent.order.parent_id)
                result.tca = tca
                result.tca_text = text_report(tca, float(sym.tick.to_decimal(1)))
                result.stranded = len(parent.ctx.open)
                for lid, path in parent.ctx.path_of.items():
                    filled = parent.runner.legs[lid].filled if lid in parent.runner.legs else 0
                    if filled:
                        result.per_path[path] = result.per_path.get(path, 0) + filled
                if opts.plots:
                    try:
                        from wirespeed.control.tca.plots import write_plots
                        result.plots = write_plots(parent.runner.tape, parent.order.parent_id, opts.out)
                    except Exception as exc:       # plotting is a report extra: say why, keep the result
                        log.warning("plots not written: %s", exc)
            # event times relative to the start of the run (real seconds: paths are measured in real time)
            result.path_events = [type(e)(e.ts_ns - t_probe0, e.venue, e.old, e.new, e.reason)
                                  for e in selector.events]
            result.path_health = [(ts - t_probe0, path, what) for ts, path, what in selector.health]
            result.path_report = selector.report() + "\n" + selector.latency.table("us")
            result.latency_table = gateway.orders.drain_latency().table("us")
            result.gateway_counts = dict(gateway.orders.counts)
            result.trips = list(breakers.trips)
            result.rejects = dict(gateway.orders.rejects_by_reason)
            result.venue_events = [(e.ts - t_mono0, m.config.name, e.link, e.what)
                                   for m in managers for e in m.events]
            await client.stop()
            await svc.stop()                             # managers: sessions logged out, feeds left
    finally:
        await relay.close()
        for v in started:
            await v.stop()
    result.wall_s = time.perf_counter() - t_wall
    return result


async def _feeds(venues, desk, clock, symbol: str = SYMBOL):
    """Each venue's ITCH feed through control's ``MarketFeed`` (the gateway's feed handler), handed
    to the desk as Quote / TradePrint; for runs without venue managers (sim/demo_vs_backtest.py)."""
    feeds = []
    for v in venues:
        f = MarketFeed(v.spec.name, FeedEndpoint(v.feed.request_port, session=v.spec.feed.session or v.spec.name),
                       v.spec.symbol_table(), clock, desk.on_market)
        await f.start()
        feeds.append(f)
    return feeds


async def _taker(v, sym, clock, opts, rng):
    core, me = v.core, _Taker()
    n = 0
    while True:
        await asyncio.sleep(rng.expovariate(1 / opts.trade_every_s) / opts.speed)
        book = v.books[SYMBOL]
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        px = book.best_ask() if side == Side.BUY else book.best_bid()
        if px is None:
            continue
        n += 1
        core.new_order(me, None, f"TAKER{n}", SYMBOL, side, OrdType.LIMIT, TimeInForce.IOC,
                       rng.randint(1, 2 * opts.trade_qty // 100) * 100, px)


async def _work(client, clock, opts, start_ns, end_ns, path_a):
    """Wait for the parent to end, showing progress; degrade then cut path A on the way."""
    span = end_ns - start_ns
    degraded = down = False
    last_bar = 0.0
    deadline = end_ns + 120 * NS
    while clock.time_ns() < deadline:
        reps = client.reports.get("PARENT1") or []
        if reps and reps[-1].get(T.OrdStatus) in ("2", "3", "4", "8"):
            break
        frac = (clock.time_ns() - start_ns) / span
        if not degraded and frac > 0.3:
            degraded = True
            path_a.add_toxic(ToxicSpec("latency", name="degrade_a", stream="downstream",
                                       attributes={"latency": 4}))
        if not down and frac > 0.55:
            down = True
            path_a.add_toxic(ToxicSpec("timeout", name="outage_a", attributes={"timeout": 0}))
        if opts.progress and time.monotonic() - last_bar > 0.25:
            last_bar = time.monotonic()
            cum = int(reps[-1].get(T.CumQty, "0")) if reps else 0
            _bar(cum, opts.qty, max(0.0, min(1.0, frac)))
        await asyncio.sleep(0.02)
    if opts.progress:
        reps = client.reports.get("PARENT1") or []
        _bar(int(reps[-1].get(T.CumQty, "0")) if reps else 0, opts.qty, 1.0)
        sys.stderr.write("\n")


def _bar(cum: int, qty: int, time_frac: float) -> None:
    width = 40
    done = int(width * cum / qty)
    sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {cum:>7,}/{qty:,} filled  "
                     f"time {time_frac:5.1%}")
    sys.stderr.flush()


def options(args) -> DemoOptions:
    """DemoOptions from ``wirespeed demo``'s arguments (None: the default)."""
    given = {k: getattr(args, k, None) for k in ("algo", "qty", "minutes", "speed", "seed", "hw", "out", "config")}
    opts = DemoOptions(**{k: v for k, v in given.items() if v is not None})
    if getattr(args, "no_plots", False):
        opts = DemoOptions(**{**{f: getattr(opts, f) for f in DemoOptions.__dataclass_fields__}, "plots": False})
    return opts


def main(opts: DemoOptions | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_uvloop()
    result = asyncio.run(run_demo(opts or DemoOptions()))
    print(result.report())
    f = result.final
    return 0 if f is not None and f.get(T.OrdStatus) in ("2", "3") else 1
