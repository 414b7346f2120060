"""A parent order's TargetStrategy (847) and StrategyParametersGrp (957-960), read and validated.

Sans-IO: FIX pairs in, a ``StrategyRequest`` out, or ``ExecutionRefused`` whose reason names the
parameter (or tag) that is wrong, which the desk sends back as the reject's Text.
"""
from __future__ import annotations

from dataclasses import dataclass

from wirespeed.clock import parse_fix_timestamp

from ..algorithms import ALGORITHMS
from ..model import ExecutionRefused, Urgency

TargetStrategy = 847
NoStrategyParameters = 957
StrategyParameterName = 958
StrategyParameterType = 959
StrategyParameterValue = 960

# FIX 4.4 TargetStrategy codes (1 VWAP, 2 Participate, 3 MinimizeMarketImpact) and the names a desk types.
STRATEGY_CODES = {"1": "vwap", "2": "pov", "3": "is"}
URGENCY_NAMES = {"passive": Urgency.PASSIVE, "low": Urgency.PASSIVE, "mid": Urgency.MID, "medium": Urgency.MID,
                 "normal": Urgency.MID, "cross": Urgency.CROSS, "high": Urgency.CROSS, "aggressive": Urgency.CROSS}
PARAMETERS = ("StartTime", "EndTime", "MaxPctVolume", "Urgency", "DisplayQty", "MinChild", "DecisionSecs",
              "DurationSecs")


@dataclass(frozen=True, slots=True)
class StrategyRequest:
    """What a parent order asks of the algorithm: ``start_ns``/``end_ns`` on the desk's clock
    (None: not given), ``max_pct_volume`` as a fraction in (0, 1]."""
    algo: str
    start_ns: int | None = None
    end_ns: int | None = None
    max_pct_volume: float | None = None
    urgency: Urgency | None = None
    display_qty: int | None = None
    min_child: int | None = None
    decision_s: float | None = None
    # EndTime as seconds after StartTime (or now) on the desk's clock: for a desk script that does
    # not share the desk's (possibly accelerated) clock. Given with EndTime it is refused.
    duration_s: float | None = None


def _int(name: str, v: str) -> int:
    if not v.isdigit() or int(v) <= 0:
        raise ExecutionRefused(f"strategy parameter {name}: must be a positive integer, not {v!r}")
    return int(v)


def _float(name: str, v: str) -> float:
    try:
        x = float(v)
    except ValueError:
        raise ExecutionRefused(f"strategy parameter {name}: not a number: {v!r}") from None
    if not x > 0 or x != x or x == float("inf"):
        raise ExecutionRefused(f"strategy parameter {name}: must be positive, not {v!r}")
    return x


def _time(name: str, v: str) -> int:
    try:
        return parse_fix_timestamp(v)
    except ValueError as exc:
        raise ExecutionRefused(f"strategy parameter {name}: not a UTCTimestamp: {v!r} ({exc})") from None


def parse_strategy(pairs: list[tuple[int, str]]) -> StrategyRequest:
    """Read 847 and the 957 group from a NewOrderSingle's body pairs (wire order)."""
    target = next((v for t, v in pairs if t == TargetStrategy), None)
    if target is None:
        raise ExecutionRefused("TargetStrategy(847) missing")
    algo = STRATEGY_CODES.get(target, target.lower())
    if algo not in ALGORITHMS:
        raise ExecutionRefused(f"TargetStrategy(847): unknown strategy {target!r} (known: {', '.join(ALGORITHMS)})")
    declared = next((v for t, v in pairs if t == NoStrategyParameters), "0")
    if not declared.isdigit():
        raise ExecutionRefused(f"NoStrategyParameters(957): not a count: {declared!r}")
    names = [v for t, v in pairs if t == StrategyParameterName]
    values = [v for t, v in pairs if t == StrategyParameterValue]
    if len(names) != int(declared) or len(values) != len(names):
        raise ExecutionRefused(f"NoStrategyParameters(957) says {declared} but {len(names)} names and "
                               f"{len(values)} values follow")
    got: dict[str, str] = {}
    for name, value in zip(names, values):
        if name not in PARAMETERS:
            raise ExecutionRefused(f"strategy parameter {name!r}: unknown (known: {', '.join(PARAMETERS)})")
        if name in got:
            raise ExecutionRefused(f"strategy parameter {name}: given twice")
        got[name] = value
    req = {"algo": algo}
    if "StartTime" in got:
        req["start_ns"] = _time("StartTime", got["StartTime"])
    if "EndTime" in got:
        req["end_ns"] = _time("EndTime", got["EndTime"])
    if "MaxPctVolume" in got:
        pct = _float("MaxPctVolume", got["MaxPctVolume"])
        # FIX percentages are sent either as a fraction (0.1) or as percent (10): over 1 means percent.
        pct = pct / 100 if pct > 1 else pct
        if pct > 1:
            raise ExecutionRefused(f"strategy parameter MaxPctVolume: over 100%: {got['MaxPctVolume']!r}")
        req["max_pct_volume"] = pct
    if "Urgency" in got:
        u = URGENCY_NAMES.get(got["Urgency"].lower())
        if u is None:
            raise ExecutionRefused(f"strategy parameter Urgency: {got['Urgency']!r} is none of "
                                   f"{', '.join(sorted(URGENCY_NAMES))}")
        req["urgency"] = u
    if "DisplayQty" in got:
        req["display_qty"] = _int("DisplayQty", got["DisplayQty"])
    if "MinChild" in got:
        req["min_child"] = _int("MinChild", got["MinChild"])
    if "DecisionSecs" in got:
        req["decision_s"] = _float("DecisionSecs", got["DecisionSecs"])
    if "DurationSecs" in got:
        if "EndTime" in got:
            raise ExecutionRefused("strategy parameters EndTime/DurationSecs: give one, not both")
        req["duration_s"] = _float("DurationSecs", got["DurationSecs"])
    r = StrategyRequest(**req)
    if r.start_ns is not None and r.end_ns is not None and r.end_ns <= r.start_ns:
        raise ExecutionRefused(f"strategy parameters StartTime/EndTime: EndTime {got['EndTime']} is not after "
                               f"StartTime {got['StartTime']}")
    if r.display_qty is not None and algo != "iceberg":
        raise ExecutionRefused(f"strategy parameter DisplayQty: only for iceberg, not {algo}")
    return r


def strategy_fields(algo: str, params: dict[str, str]) -> list[tuple[int, str]]:
    """The 847 + 957 group a client sends (the FIX client side, for tests, the demo and the CLI)."""
    out = [(TargetStrategy, algo.upper()), (NoStrategyParameters, str(len(params)))]
    for name, value in params.items():
        out += [(StrategyParameterName, name), (StrategyParameterType, "14" if name.endswith("Time") else "7"),
                (StrategyParameterValue, value)]
    return out
