"""Directed back-to-back scenarios for every forwarding and speculation path of the risk
pipeline (docs/hw/verification.md lists the paths and the scenarios that cover each).

A scenario is a script of steps, one a cycle when nothing stalls: an order, a fill, a bus
write, or nothing. ``Script`` offers them through ``pipeline_bench.drive``, which checks
every decision against the golden model, so the scenarios run in both simulators and
under the same input idles and output backpressure as the random runs. ``expect`` states
the accept pattern a scenario is built to produce with no stalls: it checks the scenario
(against the model), not the hardware.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from wirespeed.enums import OrdType, Side, TimeInForce
from wirespeed.layout import RISK_OUT

from ..regs import map as regmap
from ..risk.model import Fill, LimitEntry
from .pipeline_bench import PipelineConfig, RunResult, drive

OPEN, TIGHT, OTHER = 1, 3, 2          # symbols: no position limit, long/short limit 100, a second open one
WIDE = 0                              # quantities up to 2**32 - 1 (the position candidates' 32-bit halves)
HUGE = (1 << 32) - 1
LIMIT = 100
FILLER = 1 << 29                      # order ids of fillers
DEPTH = 4                             # the scenarios use symbols 1-3
PRICE = 100
G = {r.name: r.offset for r in regmap.GLOBALS}
#: a row whose every field rejects the scenarios' orders (qty 10 at price 100) for a reason of its own
STRICT = LimitEntry(5, 200, 50, valid=True, restricted=True, max_notional=10, long_limit=1, short_limit=1,
                    ref_deadline=0)


@dataclass(frozen=True)
class Step:
    order: dict | None = None
    fill: Fill | None = None
    write: tuple[int, int] | None = None
    ready: bool = True                   # False: ``o.ready`` low in the step's cycle (a stall follows)


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]                       # a step without an order carries a filler
    expect: tuple[int, ...]                       # accepts of the scenario's orders, with no stalls
    settings: dict = field(default_factory=dict)  # PipelineConfig control registers
    window: int = 4

    @property
    def writes_table(self) -> bool:
        return any(s.write is not None and s.write[0] == G["ROW_COMMIT"] for s in self.steps)

    def config(self) -> PipelineConfig:
        table = {OPEN: LimitEntry(10_000, 1, 1_000_000), OTHER: LimitEntry(10_000, 1, 1_000_000),
                 WIDE: LimitEntry(HUGE, 1, 1_000_000),
                 TIGHT: LimitEntry(10_000, 1, 1_000_000, long_limit=LIMIT, short_limit=LIMIT)}
        return PipelineConfig(depth=DEPTH, sessions=4, window=self.window, table=table, **self.settings)


class Script:
    """A ``drive`` source: the next step once nothing is pending, unless an input idle is drawn."""

    def __init__(self, steps, idle: float, rng: random.Random):
        pad = (Step(),) * 4                     # fillers ahead and behind: the pipeline is full throughout
        self.steps = [s if s.order is not None else Step(filler(), s.fill, s.write, s.ready)
                      for s in (*pad, *steps, *pad)]
        self.idle, self.rng = idle, rng
        self.total = len(self.steps)

    def offer(self, order_free: bool, fill_free: bool):
        if not (order_free and fill_free and self.steps) or self.rng.random() < self.idle:
            return None, None, None, None
        s = self.steps.pop(0)
        return s.order, s.fill, s.write, None if s.ready else False

    def decided(self, out: dict) -> None:
        pass


_ids = iter(range(1, 1 << 30))
_filler_ids = iter(range(FILLER, 1 << 31))


def filler() -> dict:
    """An order that keeps the pipeline full (so output backpressure stalls it mid-scenario)
    and touches no state: zero quantity, its own session and symbol, a fresh key."""
    n = next(_filler_ids)
    return {"order_id": n, "cl_ord_key": n, "session": 3, "symbol": OTHER, "side": int(Side.SELL),
            "ord_type": int(OrdType.LIMIT), "tif": int(TimeInForce.DAY), "qty": 0, "price": PRICE}


def order(key: int | None = None, symbol: int = OPEN, side: Side = Side.BUY, qty: int = 10, session: int = 0,
          price: int = PRICE) -> Step:
    n = next(_ids)
    return Step(order={"order_id": n, "cl_ord_key": n + 0x5EED_0000_0000 if key is None else key,
                       "session": session, "symbol": symbol, "side": int(side), "ord_type": int(OrdType.LIMIT),
                       "tif": int(TimeInForce.DAY), "qty": qty, "price": price})


def fill(symbol: int, side: Side, qty: int, cancel: bool = False, session: int = 0) -> Step:
    return Step(fill=Fill(symbol, int(side), qty, qty * PRICE, cancel, session))


def write(addr: int, data: int) -> Step:
    return Step(write=(addr, data))


IDLE = Step()


def _fill_at(d: int, fill_step: Step, probe: Step, stall_after: int | None = None) -> tuple[Step, ...]:
    """Twelve steps: ``probe`` at step 8 and ``fill_step`` ``d`` steps after it (d < 0: before;
    d >= -4, so after the order it releases, put in step 0 by the caller, has been decided);
    with ``stall_after``, the output is held in that step after the probe's, so the pipeline
    stalls with the probe in stage ``stall_after`` (stage 0: its block-RAM reads registered)."""
    at_probe = 8
    steps = [IDLE] * 12
    steps[at_probe] = probe
    steps[at_probe + d] = Step(order=probe.order, fill=fill_step.fill) if d == 0 else fill_step
    if stall_after is not None:
        k = at_probe + stall_after
        steps[k] = Step(steps[k].order, steps[k].fill, steps[k].write, ready=False)
    return tuple(steps)


def scenarios(window: int = 4) -> list[Scenario]:
    """Every scenario, for a pipeline with a duplicate window of ``window`` keys."""
    s: list[Scenario] = []

    def add(sc: Scenario) -> None:
        s.append(Scenario(sc.name, sc.steps, sc.expect, sc.settings, window))
    # duplicate window: the order ahead's key is forwarded when it is accepted, not when rejected
    add(Scenario("dup/six-distinct-accepted", tuple(order() for _ in range(6)), (1,) * 6))
    add(Scenario("dup/same-key-accepted-ahead", (order(77), order(77)), (1, 0)))
    add(Scenario("dup/same-key-rejected-ahead", (order(78, qty=0), order(78)), (0, 1)))
    add(Scenario("dup/same-key-two-ahead", (order(79), order(), order(79)), (1, 1, 0)))
    add(Scenario("dup/same-key-three-ahead", (order(80), order(), order(), order(80)), (1, 1, 1, 0)))
    add(Scenario("dup/window-eviction", (order(81), *(order() for _ in range(window)), order(81), order(81)),
                 (1,) * (window + 2) + (0,)))
    add(Scenario("dup/rejected-ahead-then-key-of-two-ahead", (order(82), order(qty=0), order(82)), (1, 0, 0)))
    add(Scenario("dup/same-key-three-times", (order(83), order(83), order(83)), (1, 0, 0)))
    # the report's other hypotheses: keys equal in their low (or high) 32 bits, key 0 into the
    # empty window after reset, one key from two sessions (the window is shared, as in the model)
    add(Scenario("dup/keys-equal-low-bits", tuple(order((k << 32) | 5) for k in range(6)), (1,) * 6))
    add(Scenario("dup/keys-equal-high-bits", tuple(order((5 << 32) | k) for k in range(3)) + (order(5 << 32),),
                 (1, 1, 1, 0)))
    add(Scenario("dup/key-zero-after-reset", tuple(order(k) for k in range(6)), (1,) * 6))
    add(Scenario("dup/same-key-other-session", (order(84, session=0), order(84, session=1)), (1, 0)))
    # position: the order ahead's quantity on the same (symbol, side) entry
    add(Scenario("pos/same-entry-accepted-ahead", (order(symbol=TIGHT, qty=60), order(symbol=TIGHT, qty=50),
                                                   order(symbol=TIGHT, qty=50), order(symbol=TIGHT, qty=40)),
                 (1, 0, 0, 1)))
    add(Scenario("pos/same-entry-rejected-ahead", (order(symbol=TIGHT, qty=101), order(symbol=TIGHT, qty=100)), (0, 1)))
    add(Scenario("pos/same-symbol-other-side", (order(symbol=TIGHT, qty=100), order(symbol=TIGHT, side=Side.SELL, qty=100),
                                                order(symbol=TIGHT, side=Side.SELL_SHORT, qty=1)), (1, 1, 0)))
    add(Scenario("pos/same-entry-two-ahead", (order(symbol=TIGHT, qty=60), order(), order(symbol=TIGHT, qty=41)), (1, 1, 0)))
    add(Scenario("pos/same-entry-three-ahead", (order(symbol=TIGHT, qty=60), order(), order(), order(symbol=TIGHT, qty=41)),
                 (1, 1, 1, 0)))
    # ... and through the block-RAM forwarding (counters.py): the order 4 ahead (written as this
    # one's entry word is read), 5 and 6 ahead (in the memory); chains on one entry, where
    # every distance is forwarded at once and a rejected order in between must not be
    for k in (3, 4, 5):
        add(Scenario(f"pos/same-entry-{k + 1}-ahead", (order(symbol=TIGHT, qty=60), *(order() for _ in range(k)),
                                                        order(symbol=TIGHT, qty=41), order(symbol=TIGHT, qty=40)),
                     (1,) * (k + 1) + (0, 1)))
    add(Scenario("pos/same-entry-chain", tuple(order(symbol=TIGHT, qty=20) for _ in range(6)), (1,) * 5 + (0,)))
    add(Scenario("pos/same-entry-chain-mixed", (order(symbol=TIGHT, qty=50), order(symbol=TIGHT, qty=60),
                                                order(symbol=TIGHT, qty=40), order(symbol=TIGHT, qty=11),
                                                order(symbol=TIGHT, qty=10), order(symbol=TIGHT, qty=1)),
                 (1, 0, 1, 0, 1, 0)))
    add(Scenario("pos/same-entry-chain-sell-buy", (order(symbol=TIGHT, qty=70), order(symbol=TIGHT, side=Side.SELL, qty=90),
                                                   order(symbol=TIGHT, qty=30), order(symbol=TIGHT, side=Side.SELL, qty=10),
                                                   order(symbol=TIGHT, qty=1), order(symbol=TIGHT, side=Side.SELL, qty=1)),
                 (1, 1, 1, 1, 0, 0)))
    add(Scenario("pos/other-entry-ahead", (order(symbol=TIGHT, qty=100), order(symbol=OTHER, qty=100),
                                           order(symbol=TIGHT, qty=1)), (1, 1, 0)))
    # reduce-only: a long position from a filled buy, then sells back to back
    build = (order(symbol=OPEN, qty=50), IDLE, IDLE, IDLE, IDLE, fill(OPEN, Side.BUY, 50), IDLE, IDLE, IDLE, IDLE)
    add(Scenario("reduce/same-entry-accepted-ahead", (*build, write(G["CTRL"], 2), IDLE, IDLE, IDLE,
                                                      order(side=Side.SELL, qty=30), order(side=Side.SELL, qty=10),
                                                      order(side=Side.SELL, qty=20), order(side=Side.SELL, qty=10)),
                 (1, 1, 1, 0, 1)))
    add(Scenario("reduce/same-entry-rejected-ahead", (*build, write(G["CTRL"], 2), IDLE, IDLE, IDLE,
                                                      order(side=Side.SELL, qty=51), order(side=Side.SELL, qty=51),
                                                      order(side=Side.SELL, qty=50), order(side=Side.BUY, qty=1)),
                 (1, 0, 0, 1, 0)))
    # the position headroom across the low 32 bits' boundary (registered in halves, logic.sub_parts /
    # parts_top, until the compares moved to stage 2: counters.over_used_if, modulo 2**36, exact
    # across it): after an order of 2**32 - 21 and a cancel of 30, the room is
    # 2**32 + 29 and the opened word 2**32 - 21, so the low halves borrow and the high halves'
    # difference (1) less the borrow puts the headroom (50) in range, where the high halves
    # alone say "2**32 or more"; the order ahead accepted (its room less its quantity borrows
    # too), rejected, and two ahead (its new opened word picked in stage 2)
    wide = (order(symbol=WIDE, qty=HUGE - 20), IDLE, IDLE, IDLE, IDLE, fill(WIDE, Side.BUY, 30, cancel=True),
            *(IDLE,) * 6)
    add(Scenario("pos/half-borrow-accepted-ahead", (*wide, order(symbol=WIDE, qty=20), order(symbol=WIDE, qty=31),
                                                    order(symbol=WIDE, qty=30)), (1, 1, 0, 1)))
    add(Scenario("pos/half-borrow-rejected-ahead", (*wide, order(symbol=WIDE, qty=51), order(symbol=WIDE, qty=50)),
                 (1, 0, 1)))
    add(Scenario("pos/half-borrow-two-ahead", (*wide, order(symbol=WIDE, qty=10), order(), order(symbol=WIDE, qty=41),
                                               order(symbol=WIDE, qty=40)), (1, 1, 1, 0, 1)))
    add(Scenario("pos/half-borrow-exact", (*wide, order(symbol=WIDE, qty=50), order(symbol=WIDE, qty=1)), (1, 1, 0)))
    # credit: the order ahead's notional
    credit = {"credit_limit": 10_000}
    add(Scenario("credit/accepted-ahead", (order(qty=60), order(qty=50), order(qty=40)), (1, 0, 1), credit))
    add(Scenario("credit/rejected-ahead", (order(qty=101), order(qty=100)), (0, 1), credit))
    add(Scenario("credit/two-ahead", (order(qty=60), order(qty=0), order(qty=41)), (1, 0, 0), credit))
    # the gross room is a register taken as the order enters (up to the order 4 ahead): the order
    # 3 ahead's notional comes off in stage 1, the order 2 ahead's in stage 2 (picked by its
    # accept), the order ahead's is speculated on; each accepted or rejected, back to back
    add(Scenario("credit/two-ahead-passes", (order(qty=60), order(qty=0), order(qty=40)), (1, 0, 1), credit))
    add(Scenario("credit/three-ahead", (order(qty=60), order(qty=0), order(qty=0), order(qty=41)),
                 (1, 0, 0, 0), credit))
    add(Scenario("credit/three-ahead-passes", (order(qty=60), order(qty=0), order(qty=0), order(qty=40)),
                 (1, 0, 0, 1), credit))
    add(Scenario("credit/four-ahead", (order(qty=60), *(order(qty=0) for _ in range(3)), order(qty=41)),
                 (1, 0, 0, 0, 0), credit))
    add(Scenario("credit/all-accepted-ahead", tuple(order(qty=20) for _ in range(5)) + (order(qty=1),),
                 (1,) * 5 + (0,), credit))
    add(Scenario("credit/rejected-two-ahead", (order(qty=60), order(qty=50), order(qty=10), order(qty=30)),
                 (1, 0, 1, 1), credit))
    add(Scenario("credit/rejected-two-ahead-fails", (order(qty=60), order(qty=50), order(qty=10), order(qty=31)),
                 (1, 0, 1, 0), credit))
    add(Scenario("credit/rejected-three-ahead", (order(qty=60), order(qty=50), order(qty=0), order(qty=40)),
                 (1, 0, 0, 1), credit))
    add(Scenario("credit/rejected-three-ahead-fails", (order(qty=60), order(qty=50), order(qty=0), order(qty=41)),
                 (1, 0, 0, 0), credit))
    add(Scenario("credit/other-sessions-ahead", (order(qty=30, session=1), order(qty=30, session=2),
                                                 order(qty=30, session=1), order(qty=10), order(qty=1)),
                 (1, 1, 1, 1, 0), credit))
    # a session's credit: the order ahead's notional (speculated) if it is of the same session,
    # the order 2 ahead's if it was accepted (stage 2), 3 ahead in the session's state
    sc = {"session_credit": {0: 10_000}}
    add(Scenario("credit/session-accepted-ahead", (order(qty=60), order(qty=50), order(qty=40)), (1, 0, 1), sc))
    add(Scenario("credit/session-other-session-ahead", (order(qty=60), order(qty=50, session=1), order(qty=40),
                                                        order(qty=1)), (1, 1, 1, 0), sc))
    add(Scenario("credit/session-two-ahead", (order(qty=60), order(qty=10, session=1), order(qty=41)), (1, 1, 0), sc))
    add(Scenario("credit/session-rejected-two-ahead", (order(qty=60), order(qty=50), order(qty=10, session=1),
                                                       order(qty=40)), (1, 0, 1, 1), sc))
    add(Scenario("credit/session-rejected-two-ahead-fails", (order(qty=60), order(qty=50), order(qty=10, session=1),
                                                             order(qty=41)), (1, 0, 1, 0), sc))
    add(Scenario("credit/session-three-ahead", (order(qty=60), order(session=1), order(session=1), order(qty=41)),
                 (1, 1, 1, 0), sc))
    add(Scenario("credit/session-and-gross", (order(qty=60), order(qty=30, session=1), order(qty=20, session=1),
                                              order(qty=10)), (1, 1, 0, 1), {**sc, "credit_limit": 10_000}))
    add(Scenario("credit/session-all-accepted-ahead", tuple(order(qty=20) for _ in range(5)) + (order(qty=1),),
                 (1,) * 5 + (0,), sc))
    add(Scenario("credit/session-other-session-two-ahead", (order(qty=60), order(qty=50, session=1),
                                                            order(qty=10), order(qty=30)), (1, 1, 1, 1), sc))
    # the order 3 ahead (stage 1's accepted take, `acc_prev_sroom`: accepted AND of the order's
    # session): of another session its notional is not this session's; of the same session and
    # rejected, not taken off (both fail, with no stall, if the take drops its session or accept term)
    add(Scenario("credit/session-other-session-three-ahead", (order(qty=50, session=1), order(qty=1, session=2),
                                                              order(qty=1, session=3), order(qty=100)),
                 (1, 1, 1, 1), sc))
    add(Scenario("credit/session-other-session-three-ahead-fails", (order(qty=50, session=1), order(qty=1, session=2),
                                                                    order(qty=1, session=3), order(qty=101)),
                 (1, 1, 1, 0), sc))
    add(Scenario("credit/session-rejected-three-ahead", (order(qty=101), order(qty=1, session=2),
                                                         order(qty=1, session=3), order(qty=100)),
                 (0, 1, 1, 1), sc))
    add(Scenario("credit/session-two-ahead-same-session", (order(qty=60), order(qty=10, session=1),
                                                           order(qty=40), order(qty=1)), (1, 1, 1, 0), sc))
    add(Scenario("credit/session-rejected-ahead-then-gross", (order(qty=90), order(qty=20), order(qty=10, session=1),
                                                              order(qty=10)), (1, 0, 1, 0),
                 {**sc, "credit_limit": 10_500}))
    # the credit candidates' registered top (logic.sub_topped: the low 64 bits under -1 / 0 / +1):
    # rooms of 2**64 or more (a cancel released over the 64-bit limit) and below zero (the limit
    # lowered under the accepted notional), where the low 64 bits alone decide the other way;
    # the order ahead accepted (notional 100) and rejected (max qty), the room just over and
    # the window's edge (the decided order's key enters the window an advance after its accept,
    # ``last_key``; the oldest key counts only when the order 2 ahead was rejected): the first key
    # is still in the window with a rejected order (or two) after the window's W accepted, and out
    # once W accepted orders followed it, the order 2 ahead rejected or not
    rest = window - 1
    add(Scenario("dup/window-edge-rejected-ahead-seen", (order(81), *(order() for _ in range(rest)),
                                                         order(qty=0), order(81)), (1,) * window + (0, 0)))
    add(Scenario("dup/window-edge-two-rejected-ahead-seen", (order(82), *(order() for _ in range(rest)),
                                                             order(qty=0), order(qty=0), order(82)),
                 (1,) * window + (0, 0, 0)))
    add(Scenario("dup/window-edge-dropped-accepted-ahead", (order(83), *(order() for _ in range(window)), order(83)),
                 (1,) * (window + 2)))
    add(Scenario("dup/window-edge-dropped-rejected-two-ahead", (order(84), *(order() for _ in range(rest)),
                                                                order(qty=0), order(), order(84)),
                 (1,) * window + (0, 1, 1)))
    # just under 2**64 after it (the low chain's borrow taking the top from +1 to 0)
    wide = {"credit_limit": (1 << 64) - 1}
    settle = (IDLE,) * 6

    def release(notional: int, session: int = 0) -> Step:
        return Step(fill=Fill(OPEN, int(Side.BUY), 0, notional, True, session))

    add(Scenario("credit/top-over-2^64-accepted-ahead", (release(200), *settle, order(qty=1), order(qty=1)),
                 (1, 1), wide))
    add(Scenario("credit/top-over-2^64-rejected-ahead", (release(99), *settle, order(qty=10_001), order(qty=1)),
                 (0, 1), wide))
    add(Scenario("credit/top-just-under-2^64-accepted-ahead", (release(99), *settle, order(qty=1), order(qty=1)),
                 (1, 1), wide))
    add(Scenario("credit/top-session-over-2^64-accepted-ahead", (release(200), *settle, order(qty=1), order(qty=1)),
                 (1, 1), {"session_credit": {0: (1 << 64) - 1}}))
    for limit, passes in ((999, 0), (1_100, 1)):     # room -1 (top -1: the low bits all ones) / 100
        add(Scenario(f"credit/top-limit-lowered-to-{limit}", (order(qty=10), write(G["CREDIT_LIMIT_LO"], limit),
                                                              *settle, order(qty=1)), (1, passes), {"credit_limit": 5_000}))
    # rate: the order ahead's theoretical arrival time, in the same session or not
    rate = {"rate_interval": 4, "rate_tolerance": 0}
    add(Scenario("rate/same-session", (order(session=1), order(session=1), IDLE, IDLE, order(session=1)), (1, 0, 1), rate))
    add(Scenario("rate/other-session", (order(session=1), order(session=2), order(session=1)), (1, 1, 0), rate))
    add(Scenario("rate/nonconforming-ahead", tuple(order(session=1) for _ in range(5)), (1, 0, 0, 0, 1), rate))
    add(Scenario("rate/rejected-but-conforming-ahead", (order(session=1, qty=0), order(session=1)), (0, 0), rate))
    # per-session rates: a session's own interval and tolerance (its words written after the
    # globals, which set every session's): session 1 at T = 3, tau = 3 (bursts of 2), session 2
    # on the global T = 4, session 0 off
    own = {"rate_interval": 4, "rate_tolerance": 0, "session_rate": {1: (3, 3), 0: (0, 0)}}
    add(Scenario("rate/session-own-at-limit", tuple(order(session=1) for _ in range(6)), (1, 1, 0, 1, 0, 0), own))
    add(Scenario("rate/session-own-and-global-interleaved",
                 tuple(order(session=1 + k % 2) for k in range(8)), (1, 1, 1, 0, 1, 1, 1, 0), own))
    add(Scenario("rate/session-off-beside-throttled",
                 tuple(order(session=int(k < 3)) for k in range(6)), (1, 1, 0, 1, 1, 1), own))
    # the window rolls over: after the burst the session's next order conforms exactly when
    # now reaches TAT - tau (one cycle earlier it does not)
    slow = {"session_rate": {1: (4, 0)}}
    add(Scenario("rate/session-rollover-at-boundary", (order(session=1), IDLE, IDLE, IDLE, order(session=1)),
                 (1, 1), slow))
    add(Scenario("rate/session-rollover-one-early", (order(session=1), IDLE, IDLE, order(session=1),
                                                     order(session=1)), (1, 0, 1), slow))
    # a rate-rejected order ahead does not advance the session's TAT (a conforming one rejected
    # for another reason does: rate/rejected-but-conforming-ahead)
    add(Scenario("rate/session-rate-rejected-ahead-not-counted", (order(session=1), order(session=1), IDLE, IDLE,
                                                                  order(session=1)), (1, 0, 1), slow))
    add(Scenario("rate/session-zero-qty-ahead-counted", (order(session=1, qty=0), IDLE, IDLE, order(session=1),
                                                         IDLE, IDLE, IDLE, order(session=1)), (0, 0, 1), slow))
    # the rate compares made in stage 2 (the order ahead's new TAT, max(TAT, now) + T, against the
    # deadline as "its TAT or its now reaches deadline - T + 1"): at the boundary and one over,
    # the order ahead's now deciding (its TAT behind it), then its TAT; the order ahead rejected
    # by the rate check (TAT not moved: the session's TAT as read decides) or for another reason
    # (conforming: moved)
    add(Scenario("rate/floor-now-ahead-at-limit", (order(session=1), order(session=1)), (1, 1),
                 {"session_rate": {1: (3, 2)}}))
    add(Scenario("rate/floor-now-ahead-one-over", (order(session=1), order(session=1)), (1, 0),
                 {"session_rate": {1: (3, 1)}}))
    add(Scenario("rate/floor-tat-ahead-at-limit", tuple(order(session=1) for _ in range(3)), (1, 1, 1),
                 {"session_rate": {1: (3, 4)}}))
    add(Scenario("rate/floor-tat-ahead-one-over", tuple(order(session=1) for _ in range(3)), (1, 1, 0),
                 {"session_rate": {1: (3, 3)}}))
    add(Scenario("rate/floor-rate-rejected-ahead", tuple(order(session=1) for _ in range(4)), (1, 1, 0, 1),
                 {"session_rate": {1: (3, 3)}}))
    add(Scenario("rate/floor-zero-qty-ahead-conforming", (order(session=1, qty=0), order(session=1)), (0, 0),
                 {"session_rate": {1: (3, 1)}}))
    # fills and cancels landing as the order is in each stage (d: cycles after the order)
    for d in range(-4, 3):
        seen = d < 0
        add(Scenario(f"fill/cancel-releases-entry/d{d:+d}",
                     (order(symbol=TIGHT, qty=100),) + _fill_at(d, fill(TIGHT, Side.BUY, 100, cancel=True),
                                                                order(symbol=TIGHT, qty=100))[1:],
                     (1, int(seen))))
        add(Scenario(f"fill/fill-moves-position/d{d:+d}",
                     (order(symbol=TIGHT, qty=100),) + _fill_at(d, fill(TIGHT, Side.BUY, 100),
                                                                order(symbol=TIGHT, side=Side.SELL, qty=150))[1:],
                     (1, int(seen))))
        add(Scenario(f"fill/cancel-releases-credit/d{d:+d}",
                     (order(qty=100),) + _fill_at(d, fill(OPEN, Side.BUY, 100, cancel=True), order(qty=50))[1:],
                     (1, int(seen)), credit))
        # the other outcome at the boundary and in each stage: probes that pass or fail whether
        # or not they see the fill (coverage wants both outcomes for every landing)
        if -1 <= d:
            other = "fail" if seen else "pass"
            add(Scenario(f"fill/cancel-releases-entry/d{d:+d}/{other}s-anyway",
                         (order(symbol=TIGHT, qty=100 if seen else 50),)
                         + _fill_at(d, fill(TIGHT, Side.BUY, 100 if seen else 50, cancel=True),
                                    order(symbol=TIGHT, qty=101 if seen else 50))[1:], (1, int(not seen))))
            add(Scenario(f"fill/fill-moves-position/d{d:+d}/{other}s-anyway",
                         (order(symbol=TIGHT, qty=100),) + _fill_at(d, fill(TIGHT, Side.BUY, 100),
                                                                    order(symbol=TIGHT, side=Side.SELL,
                                                                          qty=201 if seen else 100))[1:],
                         (1, int(not seen))))
            add(Scenario(f"fill/cancel-releases-credit/d{d:+d}/{other}s-anyway",
                         (order(qty=100 if seen else 50),)
                         + _fill_at(d, fill(OPEN, Side.BUY, 100 if seen else 50, cancel=True),
                                    order(qty=101 if seen else 50))[1:], (1, int(not seen)), credit))
        add(Scenario(f"fill/cancel-releases-session-credit/d{d:+d}",
                     (order(qty=100),) + _fill_at(d, fill(OPEN, Side.BUY, 100, cancel=True), order(qty=50))[1:],
                     (1, int(seen)), sc))
        if d == -2:      # a cancel of another session's order releases its credit, not this one's
            add(Scenario(f"fill/cancel-of-other-session/d{d:+d}",
                         (order(qty=100),) + _fill_at(d, fill(OPEN, Side.BUY, 100, cancel=True, session=1),
                                                      order(qty=50))[1:], (1, 0), sc))
        for stall in range(4) if d >= 0 else ():
            # the pipeline stalls with the probe in stage ``stall`` (0-3: stage 0 holds the block
            # RAMs' reads; a stall used to let a cancel taken with the probe reach its credit check)
            tag = f"d{d:+d}/stall-s{stall}"
            add(Scenario(f"fill/cancel-releases-credit/{tag}",
                         (order(qty=100),) + _fill_at(d, fill(OPEN, Side.BUY, 100, cancel=True), order(qty=50),
                                                      stall)[1:], (1, 0), credit))
            add(Scenario(f"fill/cancel-releases-entry/{tag}",
                         (order(symbol=TIGHT, qty=100),) + _fill_at(d, fill(TIGHT, Side.BUY, 100, cancel=True),
                                                                    order(symbol=TIGHT, qty=100), stall)[1:], (1, 0)))
    # fills back to back on one entry: the second reads the word the first is writing (forwarded)
    opened = (order(symbol=TIGHT, qty=100),) + (IDLE,) * 4
    add(Scenario("fill/back-to-back-cancels", (*opened, fill(TIGHT, Side.BUY, 50, cancel=True),
                                               fill(TIGHT, Side.BUY, 50, cancel=True), *(IDLE,) * 4,
                                               order(symbol=TIGHT, qty=100)), (1, 1)))
    add(Scenario("fill/back-to-back-fills", (*opened, fill(TIGHT, Side.BUY, 40), fill(TIGHT, Side.BUY, 30),
                                             fill(TIGHT, Side.BUY, 30), *(IDLE,) * 4,
                                             order(symbol=TIGHT, side=Side.SELL, qty=200),
                                             order(symbol=TIGHT, side=Side.SELL_SHORT, qty=1)), (1, 1, 0)))
    add(Scenario("fill/fill-then-cancel-same-symbol", (*opened, fill(TIGHT, Side.BUY, 40),
                                                        fill(TIGHT, Side.BUY, 60, cancel=True), *(IDLE,) * 4,
                                                        order(symbol=TIGHT, qty=60), order(symbol=TIGHT, qty=1)),
                 (1, 1, 0)))
    # fills two apart on one entry (nothing one apart): the second's word is read as the first
    # is still being written (counters.py forwards the fill two ahead's word too)
    add(Scenario("fill/back-to-back-two-apart-fills", (*opened, fill(TIGHT, Side.BUY, 40), IDLE, fill(TIGHT, Side.BUY, 30),
                                                       IDLE, fill(TIGHT, Side.BUY, 30), *(IDLE,) * 4,
                                                       order(symbol=TIGHT, side=Side.SELL, qty=200),
                                                       order(symbol=TIGHT, side=Side.SELL_SHORT, qty=1)), (1, 1, 0)))
    add(Scenario("fill/back-to-back-two-apart-cancels", (*opened, fill(TIGHT, Side.BUY, 50, cancel=True), IDLE,
                                                         fill(TIGHT, Side.BUY, 50, cancel=True), *(IDLE,) * 4,
                                                         order(symbol=TIGHT, qty=100), order(symbol=TIGHT, qty=1)),
                 (1, 1, 0)))
    # back-to-back cancels whose last lands as the probe enters (seen) and one step later (not)
    for d, seen in ((-1, 1), (0, 0)):
        first, last = fill(TIGHT, Side.BUY, 50, cancel=True), fill(TIGHT, Side.BUY, 50, cancel=True)
        probe = order(symbol=TIGHT, qty=100)
        tail = (Step(order=probe.order, fill=last.fill),) if d == 0 else (last, probe)
        add(Scenario(f"fill/back-to-back-cancels/last-d{d:+d}", (*opened, *(IDLE,) * 3, first, *tail), (1, seen)))
    # register writes landing while orders are in flight (a stream of eight orders)
    stream = [order() for _ in range(8)]

    def mid(step: Step, at: int = 3) -> tuple[Step, ...]:
        return tuple(stream[:at]) + (Step(order=stream[at].order, write=step.write),) + tuple(stream[at + 1:])

    add(Scenario("regs/kill-on", mid(write(G["CTRL"], 1)), (1,) * 2 + (0,) * 6))
    add(Scenario("regs/credit-lowered", mid(write(G["CREDIT_LIMIT_LO"], 3_500)), (1,) * 4 + (0,) * 4,
                 {"credit_limit": 5_000}))
    add(Scenario("regs/session-credit-lowered", mid(write(regmap.session_addr(0, 0), 3_500)),
                 (1,) * 4 + (0,) * 4, {"session_credit": {0: 5_000}}))
    add(Scenario("regs/credit-high-word", mid(write(G["CREDIT_LIMIT_HI"], 0)),
                 (1,) * 4 + (0,) * 4, {"credit_limit": (1 << 32) | 500}))
    add(Scenario("regs/reduce-only-on", mid(write(G["CTRL"], 2)), (1,) * 3 + (0,) * 5))
    add(Scenario("regs/tolerance-lowered", mid(write(G["RATE_TOLERANCE"], 0)), (1,) * 5 + (0,) * 3,
                 {"rate_interval": 2, "rate_tolerance": 1_000}))
    add(Scenario("regs/interval-raised", mid(write(G["RATE_INTERVAL"], 50)), (1,) * 3 + (0,) * 5,
                 {"rate_interval": 1, "rate_tolerance": 40}))
    add(Scenario("regs/session-interval-raised", mid(write(regmap.session_addr(0, 4), 50)), (1,) * 3 + (0,) * 5,
                 {"session_rate": {0: (1, 40)}}))
    add(Scenario("regs/session-tolerance-lowered", mid(write(regmap.session_addr(0, 5), 0)), (1,) * 5 + (0,) * 3,
                 {"session_rate": {0: (2, 1_000)}}))
    add(Scenario("regs/other-session-interval-raised", mid(write(regmap.session_addr(1, 4), 50)), (1,) * 8,
                 {"session_rate": {0: (1, 40)}}))
    # limit rows: shadow words written while orders flow, then committed mid-flight (seen from
    # the order entering two cycles after the commit's write); each field of ``STRICT`` fails a
    # check of its own, so an order that saw a half-written row would carry a mask the model
    # (which only ever holds whole rows) does not give
    flow = [order() for _ in range(16)]

    def rows(writes, start: int = 0) -> tuple[Step, ...]:
        return tuple(Step(order=o.order, write=writes[k - start] if 0 <= k - start < len(writes) else None)
                     for k, o in enumerate(flow))

    strict = regmap.row_writes(OPEN, STRICT.pack())
    add(Scenario("regs/commit-mid-flight", rows(strict), (1,) * 12 + (0,) * 4))
    add(Scenario("regs/commit-mid-flight-late", rows(strict, start=3), (1,) * 15 + (0,)))
    add(Scenario("regs/row-restricted", rows(regmap.row_writes(OPEN, LimitEntry(10_000, 1, 1_000_000, restricted=True)
                                                               .pack())), (1,) * 12 + (0,) * 4))
    add(Scenario("regs/commit-half-written-refused", rows(strict[1:]), (1,) * 16))
    add(Scenario("regs/shadow-written-not-committed", rows(strict[:-1]), (1,) * 16))
    add(Scenario("regs/commit-out-of-table-refused", rows(strict[:-1] + [(strict[-1][0], DEPTH)]), (1,) * 16))
    relax = regmap.row_writes(OPEN, LimitEntry(10_000, 1, 1_000_000).pack())
    add(Scenario("regs/commit-twice", rows(strict + relax[:1] + relax[-1:]), (1,) * 12 + (0,) * 4))
    # a row committed and at once (its first shadow word in the next cycle) rewritten and committed
    both = strict + relax
    long_flow = [order() for _ in range(len(both) + 6)]
    add(Scenario("regs/commit-back-to-back", tuple(Step(order=o.order, write=both[k] if k < len(both) else None)
                                                   for k, o in enumerate(long_flow)),
                 (1,) * 12 + (0,) * 11 + (1,) * 5))
    return s


SCENARIOS = scenarios()


async def run(acc, scenario: Scenario, *, idle: float = 0.0, backpressure: float = 0.0, seed: int = 1,
              table: bool = True, check_state: bool = False) -> RunResult:
    """One scenario, after a reset; ``table=False`` skips writing the limit table (the memory
    survives a reset: when the scenario before wrote the same table and changed no row);
    ``check_state``: the positions, open quantities and credit read back at the end."""
    cfg = scenario.config()
    source = Script(scenario.steps, idle, random.Random(seed))
    res = await drive(acc, cfg, source, seed=seed, backpressure=backpressure, check_state=check_state,
                      configure_table=table, from_reset=True)
    accepts = tuple(d["accept"] for d in map(RISK_OUT.unpack, res.expected) if d["order_id"] < FILLER)
    if idle == backpressure == 0.0 and accepts != scenario.expect:
        raise AssertionError(f"{scenario.name}: the model accepts {accepts}, the scenario is built for "
                             f"{scenario.expect} (the scenario, not the hardware, is wrong)")
    return res
