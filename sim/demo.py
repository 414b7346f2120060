"""The main job: a venue, the gateway and a client on loopback; orders through risk to fills.

``wirespeed demo`` starts a simulated venue and the gateway on 127.0.0.1, sends
``demo.orders`` orders from a FIX client (a seeded mix of marketable, passive,
risk-failing and malformed orders), then prints accepted / rejected / filled
counts, the reject reasons, and the per-hop latency percentiles.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from dataclasses import dataclass, field

from wirespeed.config import WirespeedConfig, load_config
from wirespeed.enums import OrdStatus
from wirespeed.latency import LatencyRecorder
from wirespeed.symbols import table_from_config
from wirespeed.gateway.client import FixClient
from wirespeed.gateway.fix import tags as T
from wirespeed.gateway.server import Gateway
from wirespeed.gateway.transport import install_uvloop

from .venue import SimVenue

log = logging.getLogger("wirespeed.demo")


@dataclass
class DemoResult:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    filled: int = 0
    fills: int = 0
    reject_reasons: Counter = field(default_factory=Counter)
    latency: LatencyRecorder = field(default_factory=LatencyRecorder)
    venue_stats: dict = field(default_factory=dict)

    def report(self) -> str:
        lines = [
            "wirespeed demo",
            f"  orders sent       {self.sent}",
            f"  accepted by risk  {self.accepted}",
            f"  rejected          {self.rejected}",
            f"  filled (complete) {self.filled}",
            f"  fills             {self.fills}",
            "  reject reasons    " + (", ".join(f"{k}={v}" for k, v in sorted(self.reject_reasons.items())) or "-"),
            "  venue             " + ", ".join(f"{k}={v}" for k, v in self.venue_stats.items()),
            "",
            "latency per hop (microseconds)",
            self.latency.table("us"),
        ]
        return "\n".join(lines)


def _order_plan(rng: random.Random, symbols, n: int):
    """A seeded mix: marketable (fills), passive (rests), and orders that must be rejected."""
    names = [s.name for s in symbols]
    for i in range(n):
        sym = symbols.by_name(rng.choice(names))
        ref = sym.reference_ticks
        side = rng.choice(["1", "2"])
        away = 1 if side == "1" else -1
        kind = rng.random()
        qty = rng.choice([10, 50, 100, 200])
        if kind < 0.45:      # marketable limit: crosses the maker's quotes
            price, ord_type = sym.tick.format(ref + away * 3), "2"
        elif kind < 0.65:    # passive limit: rests
            price, ord_type = sym.tick.format(ref - away * 20), "2"
        elif kind < 0.72:    # market order
            price, ord_type = None, "1"
        elif kind < 0.82:    # outside the price collar
            price, ord_type = sym.tick.format(ref + away * 5000), "2"
        elif kind < 0.90:    # over max quantity
            price, ord_type, qty = sym.tick.format(ref), "2", 1_000_000
        elif kind < 0.95:    # unknown symbol
            yield f"C{i}", "NOPE", side, qty, "1.00", "2"
            continue
        else:                # off-tick price
            price, ord_type = sym.tick.format(ref) + "5", "2"
        yield f"C{i}", sym.name, side, qty, price, ord_type


async def run_demo(config: WirespeedConfig) -> DemoResult:
    symbols = table_from_config(config.symbols)
    venue = SimVenue(config.venue, symbols)
    await venue.start()
    gateway = Gateway(config, venue.port, clients=("CLIENT1",), symbols=symbols)
    await gateway.start()
    client = FixClient("CLIENT1", config.gateway.comp_id, config.gateway.host, gateway.port)
    result = DemoResult()
    try:
        await client.start()
        rng = random.Random(config.demo.seed)
        for cl_ord_id, sym, side, qty, price, ord_type in _order_plan(rng, symbols, config.demo.orders):
            t0 = client.new_order(cl_ord_id, sym, side, qty, price, ord_type)
            first = (await client.wait_report(cl_ord_id))[0]
            result.latency.record("client round trip", first.recv_ns - t0)
            result.sent += 1
        # Let trailing fills arrive, then tally from the reports the client saw.
        await asyncio.sleep(0.2)
        for cl_ord_id, reports in client.reports.items():
            statuses = [m.get(T.OrdStatus) for m in reports]
            if OrdStatus.REJECTED.fix in statuses:
                result.rejected += 1
                text = next(m.get(T.Text, "") for m in reports if m.get(T.OrdStatus) == OrdStatus.REJECTED.fix)
                result.reject_reasons[text.split(":")[0] if not text.startswith("risk:") else text] += 1
            else:
                result.accepted += 1
            result.fills += sum(1 for m in reports if m.get(T.ExecType) == "F")
            if OrdStatus.FILLED.fix in statuses:
                result.filled += 1
        result.latency.merge(gateway.orders.latency)
        result.venue_stats = dict(venue.stats)
    finally:
        await client.stop()
        await gateway.stop()
        await venue.stop()
    return result


def main(config_path: str | None = None, orders: int | None = None) -> int:
    overrides = {"demo": {"orders": orders}} if orders else None
    config = load_config(config_path, overrides)
    install_uvloop()
    result = asyncio.run(run_demo(config))
    print(result.report())
    return 0
