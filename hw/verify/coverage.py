"""Functional coverage of the risk pipeline's hazards (cocotb-coverage): check x outcome x
hazard, where a hazard is a relation between an order and what is in flight around it: the
order ahead (one advance ahead, or two) sharing its (symbol, side) entry, session or ClOrdID,
accepted or rejected, conforming or not; a fill or cancel of its symbol taken ``d`` advances
after it entered (d = -1: just in time to be seen; 0, 1, 2: while it is in stage 1, 2, 3);
a register write whose effect lands between it and the order ahead. Only the checks a
hazard can change are crossed with it; every such bin must be hit with both outcomes
(bins no order can reach, such as passing the duplicate check with the key of an
accepted order ahead, are listed in ``UNREACHABLE``).
"""
from __future__ import annotations

from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db

from wirespeed.enums import Side
from wirespeed.reasons import RejectReason as R

from .pipeline_bench import Trace

D_RANGE = range(-1, 3)
WRITE_GROUPS = {"kill": "kill", "reduce_only": "reduce_only", "credit_lo": "credit", "credit_hi": "credit",
                "rate_interval": "rate", "rate_tolerance": "rate", "row": "row",
                "session_credit_lo": "session_credit", "session_credit_hi": "session_credit",
                "session_rate_interval": "session_rate", "session_rate_tolerance": "session_rate"}
#: hazard -> the checks it can change
HAZARDS: dict[str, tuple[R, ...]] = {
    "entry/ahead-accepted": (R.POSITION_LIMIT, R.REDUCE_ONLY),
    "entry/ahead-rejected": (R.POSITION_LIMIT, R.REDUCE_ONLY),
    "entry/two-ahead-accepted": (R.POSITION_LIMIT,),
    # the block-RAM forwarding (hw/risk/counters.py): the order 3 ahead from the write register in
    # stage 1, 4 ahead from the one it wrote as this order's word was read
    "entry/three-ahead-accepted": (R.POSITION_LIMIT,),
    "entry/four-ahead-accepted": (R.POSITION_LIMIT,),
    # a session's credit: the order 2 ahead's notional taken off in stage 2 when it was accepted
    "session/two-ahead-accepted": (R.CREDIT_LIMIT,),
    "session/two-ahead-rejected": (R.CREDIT_LIMIT,),
    "ahead-accepted": (R.CREDIT_LIMIT,),
    "ahead-rejected": (R.CREDIT_LIMIT,),
    "key/ahead-accepted": (R.DUPLICATE_CLORDID,),
    "key/ahead-rejected": (R.DUPLICATE_CLORDID,),
    "key/two-ahead-accepted": (R.DUPLICATE_CLORDID,),
    "session/ahead-conforming": (R.RATE_LIMIT,),
    "session/ahead-nonconforming": (R.RATE_LIMIT,),
    **{f"fill/d{d:+d}": (R.POSITION_LIMIT,) for d in D_RANGE},
    **{f"cancel/d{d:+d}": (R.POSITION_LIMIT, R.CREDIT_LIMIT) for d in D_RANGE},
    "write/kill": (R.KILL_SWITCH,),
    "write/reduce_only": (R.REDUCE_ONLY,),
    "write/credit": (R.CREDIT_LIMIT,),
    "write/rate": (R.RATE_LIMIT,),
    "write/row": (R.RESTRICTED_SYMBOL, R.MAX_QTY),
    "write/session_credit": (R.CREDIT_LIMIT,),
    "write/session_rate": (R.RATE_LIMIT,),
}
UNREACHABLE = [("duplicate_clordid", "pass", "key/ahead-accepted"), ("duplicate_clordid", "pass", "key/two-ahead-accepted")]
CHECKS = sorted({r.name.lower() for rs in HAZARDS.values() for r in rs})
PREFIX = "risk.hazards"
_IGNORED = [(c, None, h) for h, rs in HAZARDS.items() for c in CHECKS if c not in {r.name.lower() for r in rs}]


@CoverPoint(f"{PREFIX}.check", xf=lambda s: s[0], bins=CHECKS)
@CoverPoint(f"{PREFIX}.outcome", xf=lambda s: s[1], bins=["pass", "fail"])
@CoverPoint(f"{PREFIX}.hazard", xf=lambda s: s[2], bins=list(HAZARDS))
@CoverCross(f"{PREFIX}.cross", items=[f"{PREFIX}.check", f"{PREFIX}.outcome", f"{PREFIX}.hazard"],
            ign_bins=_IGNORED + UNREACHABLE)
def _sample(s) -> None:
    pass


def hazards_of(trace: Trace, sessions: int) -> list[tuple[dict, int, bool, set[str]]]:
    """(fields, mask, reduce-only, hazards) per order of one run."""
    by_adv = {a: (f, mask) for a, f, mask, _ in trace.orders}
    first_seeing: dict[int, set[str]] = {}
    for name, first in trace.writes:
        for k in (first - 1, first):          # the last order without the write and the first with it
            first_seeing.setdefault(k, set()).add("write/" + WRITE_GROUPS[name])

    def entry(f):
        return f["symbol"], f["side"] != Side.BUY

    out = []
    for k, (a, f, mask, reduce_only) in enumerate(trace.orders):
        tags = set(first_seeing.get(k, ()))
        ahead, two = by_adv.get(a - 1), by_adv.get(a - 2)
        if ahead is not None:
            af, am = ahead
            verdict = "accepted" if am == 0 else "rejected"
            tags.add(f"ahead-{verdict}")
            if entry(af) == entry(f):
                tags.add(f"entry/ahead-{verdict}")
            if af["cl_ord_key"] == f["cl_ord_key"]:
                tags.add(f"key/ahead-{verdict}")
            if af["session"] == f["session"] < sessions:
                tags.add("session/ahead-" + ("nonconforming" if am & R.RATE_LIMIT.bit else "conforming"))
        if two is not None and two[1] == 0:
            if entry(two[0]) == entry(f):
                tags.add("entry/two-ahead-accepted")
            if two[0]["cl_ord_key"] == f["cl_ord_key"]:
                tags.add("key/two-ahead-accepted")
        if two is not None and two[0]["session"] == f["session"] < sessions:
            tags.add("session/two-ahead-" + ("accepted" if two[1] == 0 else "rejected"))
        for n, name in ((3, "three"), (4, "four")):
            far = by_adv.get(a - n)
            if far is not None and far[1] == 0 and entry(far[0]) == entry(f):
                tags.add(f"entry/{name}-ahead-accepted")
        for at, fill in trace.fills:
            if at - a in D_RANGE and fill.symbol == f["symbol"]:
                tags.add(f"{'cancel' if fill.cancel else 'fill'}/d{at - a:+d}")
        out.append((f, mask, reduce_only, tags))
    return out


def sample(trace: Trace, sessions: int) -> int:
    """Sample every order of a run; the number of samples."""
    n = 0
    for _, mask, reduce_only, tags in hazards_of(trace, sessions):
        for h in tags:
            for check in HAZARDS[h]:
                if check is R.REDUCE_ONLY and not reduce_only:
                    continue                   # the check is off: its pass says nothing
                _sample((check.name.lower(), "fail" if mask & check.bit else "pass", h))
                n += 1
    return n


def missing() -> list[tuple[str, str, str]]:
    return [b for b, hits in coverage_db[f"{PREFIX}.cross"].detailed_coverage.items() if hits == 0]


def report() -> str:
    lines: list[str] = []
    coverage_db.report_coverage(lines.append, bins=True, node=PREFIX)
    cross = coverage_db[f"{PREFIX}.cross"]
    lines.append(f"{PREFIX}: {cross.coverage} of {cross.size} check x outcome x hazard bins hit"
                 + (f"; missing: {missing()}" if missing() else ""))
    return "\n".join(lines)
