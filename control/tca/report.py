"""The TCA text report of one parent order, and a side-by-side table of several runs."""
from __future__ import annotations

from typing import Sequence

from .metrics import TcaResult


def text_report(r: TcaResult, tick: float = 1.0) -> str:
    """``tick``: currency per tick, for fees and shortfall in currency rather than ticks."""
    side = "buy" if r.side == 1 else "sell"
    lines = [
        f"TCA {r.parent_id} ({r.algo}): {side} {r.qty:,} -> filled {r.filled:,} ({r.fill_rate:.2%}) "
        f"at {r.avg_px * tick:.4f} in {r.children} children",
        f"  arrival mid {r.arrival_mid * tick:.4f}   decision mid {r.decision_mid * tick:.4f}   "
        f"end mid {r.end_mid * tick:.4f}",
        f"  arrival slippage      {r.slippage_bps:9.2f} bps",
        f"  implementation shortfall {r.bps(r.shortfall):6.2f} bps = delay {r.bps(r.delay_cost):.2f} + impact "
        f"{r.bps(r.impact_cost):.2f} + opportunity {r.bps(r.opportunity_cost):.2f} + fees {r.bps(r.fees):.2f}",
        f"  vs market TWAP {r.market_twap * tick:.4f}: {r.twap_tracking_bps:8.2f} bps   "
        f"vs market VWAP {r.market_vwap * tick:.4f}: {r.vwap_tracking_bps:8.2f} bps",
        f"  schedule tracking: largest gap {r.schedule_gap:,.0f} shares ({r.schedule_gap_frac:.2%} of the order)",
        f"  participation {r.participation:.2%} of {r.market_volume:,} shares; fees {r.fees * tick:,.2f} "
        f"(rebates {r.rebates * tick:,.2f})",
        f"  child latency p50 {r.latency_p50_us:.1f} us  p99 {r.latency_p99_us:.1f} us",
        "  venue      sent     filled   fill%    avg px      fees   fills  rejects",
    ]
    for v in r.venues:
        lines.append(f"  {v.venue:<8} {v.sent:>8,} {v.filled:>9,} {v.fill_rate:>7.1%} {v.avg_px * tick:>9.4f} "
                     f"{v.fees * tick:>9.2f} {v.fills:>7} {v.rejects:>8}")
    if len(r.segments) > 1:            # replaced while it ran: each plan's own figures
        t0 = r.segments[0].start_ns
        lines.append("  plan  from (s)  planned    filled   fill%  arrival mid  slippage bps  sched gap")
        for i, g in enumerate(r.segments, 1):
            lines.append(f"  {i:>4} {(g.start_ns - t0) / 1e9:>9.1f} {g.qty:>8,} {g.filled:>9,} {g.fill_rate:>7.1%} "
                         f"{g.arrival_mid * tick:>12.4f} {g.slippage_bps:>13.2f} {g.schedule_gap:>10,.0f}")
    return "\n".join(lines)


def comparison_table(rows: Sequence[TcaResult]) -> str:
    head = (f"{'algorithm':<16}{'fill':>8}{'slip bps':>10}{'IS bps':>9}{'vsTWAP':>9}{'vsVWAP':>9}"
            f"{'sched gap':>11}{'partic':>8}{'children':>9}")
    out = [head, "-" * len(head)]
    for r in rows:
        out.append(f"{r.algo:<16}{r.fill_rate:>8.2%}{r.slippage_bps:>10.2f}{r.bps(r.shortfall):>9.2f}"
                   f"{r.twap_tracking_bps:>9.2f}{r.vwap_tracking_bps:>9.2f}{r.schedule_gap_frac:>11.2%}"
                   f"{r.participation:>8.2%}{r.children:>9}")
    return "\n".join(out)
